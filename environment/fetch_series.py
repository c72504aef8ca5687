#!/usr/bin/env python3
"""Fetch, verify and extract the lab's real time series (see data/README.md, "Time series").

One series: the Mauna Loa weekly atmospheric CO2 record (1958-2001, public domain), as shipped in
the datasets of the statsmodels package on PyPI (BSD-3-Clause; only the data file is used):

    data/cache/statsmodels-0.14.4-....whl   the wheel, downloaded with `pip download`
    data/series/co2.csv                      the series, extracted and verified

The wheel is a zip of pure data for our purpose, so one fixed platform's wheel serves every
machine (pip is told the platform; nothing is installed). Every file is checked against a
SHA-256 recorded below. Idempotent: when the series is already there and correct, nothing is
downloaded or written. Standard library only (plus pip, run as `python -m pip`).

Usage: fetch_series.py [--check] [--root DIR]
  --check   only verify data/series; exit 1 when a file is missing or wrong
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

from registry_fetch import file_ok, main, pip_download, write_verified

PACKAGE = "statsmodels"
VERSION = "0.14.4"
WHEEL = f"statsmodels-{VERSION}-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
WHEEL_SHA256 = "e332c2d9b806083d1797231280602340c5c913f90d4caa0213a6a54679ce9331"
PLATFORM_ARGS = ["--platform", "manylinux2014_x86_64", "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311"]

# name in data/series -> (member in the wheel, size in bytes, sha256)
SERIES = {
    "co2.csv": ("statsmodels/datasets/co2/co2.csv", 33_974,
                "16695fa2786e53414e5a6b54767a3fdf5de99cfbc68617f69d1362d92776a92f"),
}


def wrong(target: Path) -> list[str]:
    """Names of the series files that are missing or wrong."""
    return [n for n, (_, size, digest) in SERIES.items() if not file_ok(target / n, size, digest)]


def fetch(cache: Path, target: Path) -> None:
    wheel = pip_download("series", cache, PACKAGE, VERSION, WHEEL, WHEEL_SHA256,
                         ["--only-binary", ":all:", *PLATFORM_ARGS], "wheel (11 MB) for its datasets")
    with zipfile.ZipFile(wheel) as z:
        for name, (member, size, digest) in SERIES.items():
            write_verified("series", z.read(member), size, digest, target / name, f"{member} in {WHEEL}")


if __name__ == "__main__":
    sys.exit(main("series", "series", __doc__, SERIES, wrong, fetch))
