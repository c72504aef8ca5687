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

import argparse
import hashlib
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

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


def say(msg: str) -> None:
    print(f"[corpus] {msg}", flush=True)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def text_ok(path: Path, size: int, digest: str) -> bool:
    return path.is_file() and path.stat().st_size == size and sha256_of(path) == digest


def corpus_ok(corpus: Path) -> list[str]:
    """Names of the texts that are missing or wrong."""
    return [n for n, (size, digest) in TEXTS.items() if not text_ok(corpus / n, size, digest)]


def download(cache: Path) -> Path:
    archive = cache / ARCHIVE
    if archive.is_file() and sha256_of(archive) == ARCHIVE_SHA256:
        say(f"using cached {archive.relative_to(cache.parent.parent)}")
        return archive
    cache.mkdir(parents=True, exist_ok=True)
    say(f"downloading the {PACKAGE}=={VERSION} source distribution from PyPI (7 MB) ...")
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
               "--no-binary", ":all:", "--no-deps", "--dest", tmp, f"{PACKAGE}=={VERSION}"]
        r = subprocess.run(cmd)
        got = Path(tmp) / ARCHIVE
        if r.returncode != 0 or not got.is_file():
            sys.exit(f"[corpus] ERROR: `{' '.join(cmd)}` failed (exit {r.returncode}); "
                     "is PyPI reachable? A proxy needs HTTPS_PROXY set for pip.")
        digest = sha256_of(got)
        if digest != ARCHIVE_SHA256:
            sys.exit(f"[corpus] ERROR: {ARCHIVE} has sha256 {digest}, expected {ARCHIVE_SHA256}; "
                     "refusing to use it.")
        os.replace(got, archive)
    return archive


def extract(archive: Path, corpus: Path) -> None:
    corpus.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "r:gz") as tar:
        for name, (size, digest) in TEXTS.items():
            member = tar.getmember(f"{MEMBER_DIR}/{name}")
            if not member.isfile():
                sys.exit(f"[corpus] ERROR: {member.name} in {ARCHIVE} is not a regular file")
            data = tar.extractfile(member).read()
            if len(data) != size or hashlib.sha256(data).hexdigest() != digest:
                sys.exit(f"[corpus] ERROR: {member.name} in {ARCHIVE} does not match its recorded "
                         f"size/sha256 ({len(data)} bytes, {hashlib.sha256(data).hexdigest()})")
            target = corpus / name
            tmp = target.with_suffix(".part")
            tmp.write_bytes(data)
            os.replace(tmp, target)
            say(f"data/corpus/{name}  {size:,} bytes  sha256 ok")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="only verify data/corpus")
    ap.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent,
                    help="project root (default: the parent of environment/)")
    args = ap.parse_args()
    corpus = args.root / "data" / "corpus"
    cache = args.root / "data" / "cache"

    bad = corpus_ok(corpus)
    if not bad:
        say(f"data/corpus up to date ({', '.join(TEXTS)})")
        return 0
    if args.check:
        say(f"missing or wrong: {', '.join(bad)} (run environment/setup.sh)")
        return 1
    extract(download(cache), corpus)
    bad = corpus_ok(corpus)
    if bad:
        say(f"ERROR: still wrong after extraction: {', '.join(bad)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
