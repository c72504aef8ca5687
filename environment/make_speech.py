#!/usr/bin/env python3
"""Synthesise the lab's spoken-digit corpus with eSpeak NG (see data/README.md, "Speech").

eSpeak NG 1.52 comes from the PyPI package espeakng-loader 0.2.4 (installed in the venv from
requirements.txt; the library and its voice data are inside the wheel, nothing else is
downloaded). It is a data-generation tool run here, through ctypes; it is not linked into the
Java library. The output is our own synthetic data:

    data/speech/digits.pcm    every utterance's samples, int16 little-endian, mono, 22,050 Hz, back to back
    data/speech/digits.tsv    one row per utterance: id, speaker, accent, variant, rate, pitch, range,
                              offset_samples, length_samples, transcript
    data/speech/MANIFEST      generator version, seed, sample rate, counts, SHA-256 of both files

Speakers: SPEAKERS_PER_ACCENT speakers for each of the English accents in ACCENTS, each with its own
voice variant (drawn without replacement from VARIANTS), base rate (words per minute), base pitch and
pitch range; each speaker says UTTERANCES_PER_SPEAKER digit strings of 1 to MAX_DIGITS words
("three one four"), each with its own jitter of rate and pitch. Everything is drawn from one
random.Random(SEED). Leading and trailing silence is trimmed (TRIM_* below). No noise is added here:
the Java loader adds it, seeded, at the SNR asked for.

Idempotent: when data/speech holds what this script version with this seed would write (the
MANIFEST's generator line and the files' SHA-256 match), nothing is synthesised. The audio's
SHA-256 is recorded, not enforced against a constant: eSpeak's output could differ across builds
or platforms, and that must not stop the setup.

Usage: make_speech.py [--check] [--force] [--root DIR] [--jobs N]
  --check   only verify data/speech against its MANIFEST; exit 1 when missing, stale or wrong
  --force   synthesise again even if data/speech is up to date
"""

from __future__ import annotations

import argparse
import array
import ctypes
import hashlib
import multiprocessing
import os
import random
import sys
import time
from pathlib import Path

GENERATOR = "make_speech.py 1"          # bump when anything below changes what is written
SEED = 13
SAMPLE_RATE = 22_050                    # eSpeak NG's native rate; checked at initialisation
ACCENTS = ["en-us", "en", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan",
           "en-gb-x-gbcwmd", "en-us-nyc", "en-029"]
VARIANTS = ["m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "f1", "f2", "f3", "f4", "f5",
            "klatt", "klatt2", "klatt3", "klatt4", "Alex", "Andy", "Annie", "ed", "linda",
            "max", "paul", "steph", "benjamin"]
SPEAKERS_PER_ACCENT = 6
UTTERANCES_PER_SPEAKER = 42
MAX_DIGITS = 4
DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
RATE_WPM = (135, 195)                   # speaker's base rate, eSpeak words per minute (default 175)
PITCH = (25, 75)                        # speaker's base pitch, eSpeak 0-100 (default 50)
RANGE = (30, 80)                        # speaker's pitch range, eSpeak 0-100 (default 50)
RATE_JITTER = 0.10                      # each utterance: rate × U(1 - j, 1 + j)
PITCH_JITTER = 6                        # each utterance: pitch + U{-j..j}
VOLUME_LEVEL = 50                       # eSpeak amplitude 0-200 (default 100 clips now and then; 50 leaves headroom)
TRIM_THRESHOLD = 100                    # |sample| above this (int16; about -50 dBFS) counts as sound
TRIM_MARGIN = SAMPLE_RATE * 30 // 1000  # 30 ms of the original kept before the first and after the last sound
FILES = ["digits.pcm", "digits.tsv"]
# What this version wrote on Linux x86-64 (the same in repeated runs, with 1, 2 or 3 processes). Only compared and
# reported: another platform's build of eSpeak may round differently, and that is no reason to stop the setup.
REFERENCE_SHA256 = {
    "digits.pcm": "8aefdeb5dd184a29f490b02f37c0ad427929b4c567994e775e7efa13663e491b",
    "digits.tsv": "1383036e7c799bf6a15978211ed39ca366e51b961f29e805a63f1da9008321b7",
}
TSV_HEADER = "id\tspeaker\taccent\tvariant\trate\tpitch\trange\toffset_samples\tlength_samples\ttranscript"

# eSpeak NG's C API (speak_lib.h)
AUDIO_OUTPUT_SYNCHRONOUS = 2
INITIALIZE_DONT_EXIT = 0x8000
RATE, VOLUME, PITCH_PARAM, RANGE_PARAM = 1, 2, 3, 4
POS_CHARACTER = 1
CHARS_UTF8 = 1
CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


def plan() -> list[dict]:
    """Every utterance to synthesise, in order: the whole corpus is a function of SEED."""
    rng = random.Random(SEED)
    utterances = []
    for a, accent in enumerate(ACCENTS):
        for k, variant in enumerate(rng.sample(VARIANTS, SPEAKERS_PER_ACCENT)):
            speaker = f"s{a * SPEAKERS_PER_ACCENT + k:02d}"
            rate, pitch, rng_ = rng.randint(*RATE_WPM), rng.randint(*PITCH), rng.randint(*RANGE)
            for u in range(UTTERANCES_PER_SPEAKER):
                words = [rng.choice(DIGITS) for _ in range(rng.randint(1, MAX_DIGITS))]
                utterances.append(dict(
                    id=f"{speaker}-{u:03d}", speaker=speaker, accent=accent, variant=variant,
                    rate=round(rate * rng.uniform(1 - RATE_JITTER, 1 + RATE_JITTER)),
                    pitch=min(99, max(0, pitch + rng.randint(-PITCH_JITTER, PITCH_JITTER))),
                    range=rng_, transcript=" ".join(words), seed=SEED * 100_000 + len(utterances)))
    return utterances


class SpeechError(RuntimeError):
    """A failure of the synthesiser. Raised, not sys.exit: a worker process that exits would hang the pool."""


class Espeak:
    """libespeak-ng in synchronous mode: synth() returns one utterance's int16 samples."""

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError:
            raise SpeechError("[speech] ERROR: the Python package espeakng-loader is not installed in this venv; "
                     "run environment/setup.sh (it installs environment/requirements.txt)")
        try:
            self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        except OSError as e:
            raise SpeechError(f"[speech] ERROR: cannot load eSpeak NG from espeakng-loader ({e}); "
                     "see README, Troubleshooting")
        data_parent = str(Path(espeakng_loader.get_data_path()).parent).encode()
        self.lib.espeak_Initialize.restype = ctypes.c_int
        rate = self.lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, data_parent, INITIALIZE_DONT_EXIT)
        if rate != SAMPLE_RATE:
            raise SpeechError(f"[speech] ERROR: espeak_Initialize returned {rate}, expected the sample rate {SAMPLE_RATE}")
        self.libc = ctypes.CDLL(None)                  # the process's C library, for srand()
        self.chunks: list[bytes] = []
        self._callback = CALLBACK(self._collect)      # kept referenced: eSpeak calls it later
        self.lib.espeak_SetSynthCallback(self._callback)
        self.lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                          ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]

    def _collect(self, wav, n, events) -> int:
        if n > 0:
            self.chunks.append(ctypes.string_at(wav, 2 * n))
        return 0                                       # 0: go on synthesising

    def synth(self, voice: str, rate: int, pitch: int, range_: int, text: str, seed: int) -> bytes:
        # eSpeak draws random numbers (noise sources, some variants' jitter) from its own generator and,
        # in places, libc's rand(): both reseeded per utterance, so an utterance does not depend on
        # what was synthesised before it in this process.
        self.lib.espeak_ng_SetRandSeed(ctypes.c_long(seed))
        self.libc.srand(ctypes.c_uint(seed))
        if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise SpeechError(f"[speech] ERROR: eSpeak NG has no voice {voice!r}")
        for param, value in ((RATE, rate), (PITCH_PARAM, pitch), (RANGE_PARAM, range_), (VOLUME, VOLUME_LEVEL)):
            self.lib.espeak_SetParameter(param, value, 0)
        self.chunks = []
        b = text.encode()
        err = self.lib.espeak_Synth(b, len(b) + 1, 0, POS_CHARACTER, 0, CHARS_UTF8, None, None)
        if err != 0:
            raise SpeechError(f"[speech] ERROR: espeak_Synth returned {err} for {text!r} in voice {voice!r}")
        return b"".join(self.chunks)


def trim(pcm: bytes) -> bytes:
    """Drops leading and trailing silence, keeping TRIM_MARGIN samples around the first and last sound."""
    s = memoryview(pcm).cast("h")
    first = next((i for i in range(len(s)) if abs(s[i]) > TRIM_THRESHOLD), None)
    if first is None:
        return pcm
    last = next(i for i in range(len(s) - 1, -1, -1) if abs(s[i]) > TRIM_THRESHOLD)
    start, end = max(0, first - TRIM_MARGIN), min(len(s), last + 1 + TRIM_MARGIN)
    return pcm[2 * start:2 * end]


def synth_shard(utterances: list[dict]) -> list[bytes]:
    """One accent's utterances, in order, in a process of its own.

    eSpeak keeps state from one utterance to the next (its random generators are reseeded per utterance, but
    the output still depends on what this process synthesised before), so each shard runs in a fresh process:
    the corpus is then the same whatever the number of worker processes.
    """
    engine = Espeak()
    out = []
    for u in utterances:
        pcm = trim(engine.synth(f"{u['accent']}+{u['variant']}", u["rate"], u["pitch"], u["range"], u["transcript"],
                                u["seed"]))
        if sys.byteorder != "little":                 # eSpeak writes native int16; the file is little-endian
            a = array.array("h", pcm)
            a.byteswap()
            pcm = a.tobytes()
        out.append(pcm)
    return out


def manifest_text(counts: dict, digests: dict) -> str:
    lines = [f"generator\t{GENERATOR}", f"seed\t{SEED}", f"sample_rate\t{SAMPLE_RATE}",
             f"sample_format\tint16 little-endian mono",
             *(f"{k}\t{v}" for k, v in counts.items()),
             *(f"sha256 {name}\t{digests[name]}" for name in FILES)]
    return "\n".join(lines) + "\n"


def read_manifest(folder: Path) -> dict:
    try:
        return dict(line.split("\t", 1) for line in (folder / "MANIFEST").read_text().splitlines() if "\t" in line)
    except OSError:
        return {}


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def problems(folder: Path) -> list[str]:
    """Why data/speech is not what this script version writes (empty when it is)."""
    m = read_manifest(folder)
    if not m:
        return ["MANIFEST missing"]
    if m.get("generator") != GENERATOR or m.get("seed") != str(SEED):
        return [f"made by {m.get('generator')!r} seed {m.get('seed')}, this is {GENERATOR!r} seed {SEED}"]
    wrong = [n for n in FILES if not (folder / n).is_file() or sha256_of(folder / n) != m.get(f"sha256 {n}")]
    return [f"{n} missing or not the MANIFEST's sha256" for n in wrong]


def generate(folder: Path, jobs: int) -> None:
    t0 = time.monotonic()
    utterances = plan()
    print(f"[speech] synthesising {len(utterances):,} utterances with eSpeak NG ({jobs} processes, one per accent at a time) ...", flush=True)
    shards = [[u for u in utterances if u["accent"] == a] for a in ACCENTS]
    with multiprocessing.Pool(jobs, maxtasksperchild=1) as pool:   # a fresh process per shard
        pcms = [pcm for shard in pool.map(synth_shard, shards, chunksize=1) for pcm in shard]
    folder.mkdir(parents=True, exist_ok=True)
    rows, offset = [TSV_HEADER], 0
    for u, pcm in zip(utterances, pcms):
        n = len(pcm) // 2
        rows.append("\t".join(str(v) for v in (u["id"], u["speaker"], u["accent"], u["variant"], u["rate"],
                                               u["pitch"], u["range"], offset, n, u["transcript"])))
        offset += n
    (folder / "MANIFEST").unlink(missing_ok=True)      # a half-written folder never looks up to date
    for name, data in (("digits.pcm", b"".join(pcms)), ("digits.tsv", ("\n".join(rows) + "\n").encode())):
        tmp = folder / (name + ".part")
        tmp.write_bytes(data)
        os.replace(tmp, folder / name)
    counts = {"utterances": len(utterances), "speakers": len(utterances) // UTTERANCES_PER_SPEAKER,
              "samples": offset, "seconds": f"{offset / SAMPLE_RATE:.1f}"}
    digests = {n: sha256_of(folder / n) for n in FILES}
    (folder / "MANIFEST").write_text(manifest_text(counts, digests))
    same = [n for n in FILES if digests[n] == REFERENCE_SHA256[n]]
    print(f"[speech] {'identical to' if len(same) == len(FILES) else 'NOT identical to (fine; recorded in MANIFEST)'} "
          f"the reference corpus (sha256 in make_speech.py)", flush=True)
    print(f"[speech] data/speech: {len(utterances):,} utterances, {offset / SAMPLE_RATE / 60:.1f} min of audio, "
          f"{2 * offset / 1e6:.1f} MB, in {time.monotonic() - t0:.1f} s", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="only verify data/speech against its MANIFEST")
    ap.add_argument("--force", action="store_true", help="synthesise again even when up to date")
    ap.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent,
                    help="project root (default: the parent of environment/)")
    ap.add_argument("--jobs", type=int, default=min(4, os.cpu_count() or 1), help="synthesis processes")
    args = ap.parse_args()
    folder = args.root / "data" / "speech"
    bad = problems(folder)
    if not bad and not args.force:
        print(f"[speech] data/speech up to date ({GENERATOR}, seed {SEED})", flush=True)
        return 0
    if args.check:
        print(f"[speech] data/speech is not up to date: {'; '.join(bad)} (run environment/setup.sh)", flush=True)
        return 1
    try:
        generate(folder, max(1, args.jobs))
    except SpeechError as e:
        print(e, flush=True)
        return 1
    bad = problems(folder)
    if bad:
        print(f"[speech] ERROR: data/speech still wrong after writing: {'; '.join(bad)}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
