"""Training step time of notebook 00's model: the lab (both engines) beside PyTorch, in one run.

Runs dev.etlab.bench.TrainBenchmark (the eager tape the lab trains with, and the SameDiff graph it
used before) and then torch_train.py (PyTorch on the CPU, same model, same step, same thread count),
one after the other on the same machine, and prints the medians side by side with the ratio to
PyTorch. Run it with nothing else busy: on a 2-core machine any other load distorts every figure.

    environment/bench/setup_torch.sh                      # once: PyTorch in environment/.venv-torch
    environment/.venv-torch/bin/python environment/bench/side_by_side.py [--sizes 128x16,512x8] [--steps 60] \
        [--engines tape,samediff] [--attention standard,exact-tiled]

--attention runs the lab once per attention kind: `standard` is the naive layer (the (T x T) scores as ND4J
arrays), `exact-tiled` the same softmax attention by tiles (the Vector API kernel when the JVM loads it).

The lab must be built first (environment/setup.sh). PyTorch is never a dependency of the lab.
"""
import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def lab_results(sizes, steps, warmup, threads, engines, attention):
    env = dict(os.environ, MALLOC_ARENA_MAX="1", OMP_NUM_THREADS=str(threads),
               OMP_WAIT_POLICY=os.environ.get("OMP_WAIT_POLICY", "PASSIVE"))
    cp = f"{ROOT}/lib/target/etlab.jar:{ROOT}/lib/target/dependency/*"
    cmd = ["java", "--add-modules=jdk.incubator.vector", "-Xmx4g", f"-Dorg.bytedeco.javacpp.cachedir={ROOT}/environment/.javacpp", "-cp", cp,
           "dev.etlab.bench.TrainBenchmark", "--sizes", sizes, "--steps", str(steps), "--warmup", str(warmup), "--engines", engines, "--attention", attention]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    results = [json.loads(line[len("RESULT "):]) for line in out.splitlines() if line.startswith("RESULT ")]
    for r in results:
        r["engine"] = f"{r['engine']}, {attention}"
    return results


def torch_results(sizes, steps, warmup, threads):
    cmd = [sys.executable, str(Path(__file__).with_name("torch_train.py")), "--sizes", sizes, "--steps", str(steps),
           "--warmup", str(warmup), "--threads", str(threads)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="128x16,512x8")
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--engines", default="tape,samediff")
    ap.add_argument("--attention", default="standard", help="comma-separated attention kinds for the lab's model")
    args = ap.parse_args()
    lab = [r for kind in args.attention.split(",")
           for r in lab_results(args.sizes, args.steps, args.warmup, args.threads, args.engines, kind.strip())]
    torch = torch_results(args.sizes, args.steps, args.warmup, args.threads)
    ref = {(r["length"], r["batch"]): r for r in torch}
    print(f"median ms per training step, steps {args.warmup + 1}-{args.steps}, {args.threads} threads, "
          f"{lab[0]['parameters']:,} parameters (PyTorch {torch[0]['torch']}: {torch[0]['parameters']:,})")
    print("| T x batch | engine | step ms | first step ms | ratio to PyTorch |")
    print("| --- | --- | --- | --- | --- |")
    for (t, b), p in ref.items():
        print(f"| {t} x {b} | PyTorch | {p['step_ms']:.1f} | {p['first_step_ms']:.0f} | 1.00 |")
        for r in (r for r in lab if (r["length"], r["batch"]) == (t, b)):
            print(f"| {t} x {b} | lab {r['engine']} | {r['step_ms']:.1f} | {r['first_step_ms']:.0f} | {r['step_ms'] / p['step_ms']:.2f} |")


if __name__ == "__main__":
    main()
