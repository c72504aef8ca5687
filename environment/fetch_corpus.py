#!/usr/bin/env python3
"""Fetch, verify and extract the lab's text corpus (see data/README.md).

The corpus is three public-domain texts of the Canterbury compression corpus, taken from
the test data inside the PyPI source distribution of brotli 1.2.1:

    data/cache/brotli-1.2.1.tar.gz   the archive, downloaded with `pip download`
    data/corpus/<name>.txt           the three texts, extracted and verified

Every file is checked against a SHA-256 recorded below. Idempotent: when the texts are
already there and correct, nothing is downloaded or written. Standard library only (plus
pip, run as `python -m pip` with the interpreter running this script).

Usage: fetch_corpus.py [--check] [--root DIR]
  --check   only verify data/corpus; exit 1 when a file is missing or wrong
"""

from __future__ import annotations

import sys
import tarfile
from pathlib import Path

from registry_fetch import file_ok, main, pip_download, write_verified

PACKAGE = "brotli"
VERSION = "1.2.1"
ARCHIVE = f"brotli-{VERSION}.tar.gz"
ARCHIVE_SHA256 = "02b2f7b5a83485efe448a44ddf7983def05c3bb1dcf917d4f7154070260e13de"
MEMBER_DIR = f"brotli-{VERSION}/tests/testdata"

# name -> (size in bytes, sha256)
TEXTS = {
    "alice29.txt": (152_089, "7467306ee0feed4971260f3c87421154a05be571d944e9cb021a5713700c38f0"),
    "asyoulik.txt": (125_179, "eaa3526fe53859f34ecdf255712f9ecf0b2c903451d4755b2edaa2e2599cb0fc"),
    "plrabn12.txt": (481_861, "07e2e0b461af78c7c647cb53dab39de560198e16f799b4516eccf0fbd69f764c"),
}


def corpus_ok(corpus: Path) -> list[str]:
    """Names of the texts that are missing or wrong."""
    return [n for n, (size, digest) in TEXTS.items() if not file_ok(corpus / n, size, digest)]


def fetch(cache: Path, corpus: Path) -> None:
    archive = pip_download("corpus", cache, PACKAGE, VERSION, ARCHIVE, ARCHIVE_SHA256,
                           ["--no-binary", ":all:"], "source distribution (7 MB)")
    with tarfile.open(archive, "r:gz") as tar:
        for name, (size, digest) in TEXTS.items():
            member = tar.getmember(f"{MEMBER_DIR}/{name}")
            if not member.isfile():
                sys.exit(f"[corpus] ERROR: {member.name} in {ARCHIVE} is not a regular file")
            write_verified("corpus", tar.extractfile(member).read(), size, digest, corpus / name, f"{member.name} in {ARCHIVE}")


if __name__ == "__main__":
    sys.exit(main("corpus", "corpus", __doc__, TEXTS, corpus_ok, fetch))
