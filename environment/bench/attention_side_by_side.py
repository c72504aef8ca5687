"""One attention layer, the lab beside PyTorch, in one run: time and peak memory, forward and forward+backward.

The lab's side: dev.etlab.bench.SuiteMain --suite peers (fresh JVM per point, 1 warm-up + 3 timed runs,
medians, peak resident memory above the point's baseline): `standard` (the naive O(T^2) layer),
`exact-tiled` (exact attention in O(T) memory), Performer (m = 64), Linformer (k = 128), Longformer
(w = 64 each side, no global token). The peers, each the same size (d_model 64, 4 heads, batch 1,
float32, bidirectional): the same biased Q/K/V/O layer around torch's scaled_dot_product_attention;
performer-pytorch's SelfAttention (nb_features 64); linformer's LinformerSelfAttention (k = 128);
local-attention's LocalMHA (window 64, one window back and one ahead: each query sees 128–192 keys,
ours 129). Each peer point runs in a fresh Python process, 1 warm-up + 3 timed runs, peak resident
memory (ru_maxrss) above the process's baseline before the first run. Forward+backward: the loss
sum(out * R), gradients of every parameter and the input, like the lab's.

    environment/bench/setup_torch.sh --peers
    environment/.venv-torch/bin/python environment/bench/attention_side_by_side.py [--lengths 1024,4096,16384]

Run with nothing else busy; same thread count on both sides (--threads, default 2).
"""
import argparse
import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import json, resource, statistics, sys, time, torch
import torch.nn.functional as F
t, mode, threads, kind = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
torch.set_num_threads(threads)
torch.manual_seed(42)
d, h = 64, 4
x = torch.randn(1, t, d, requires_grad=(mode != "forward"))
r = torch.randn(1, t, d)
if kind == "sdpa":
    proj = torch.nn.ModuleList(torch.nn.Linear(d, d) for _ in range(4))
    def layer():
        split = lambda y: y.view(1, t, h, d // h).transpose(1, 2)
        a = F.scaled_dot_product_attention(split(proj[0](x)), split(proj[1](x)), split(proj[2](x)))
        return proj[3](a.transpose(1, 2).reshape(1, t, d))
    module = proj
else:
    if kind == "performer":
        from performer_pytorch import SelfAttention
        module = SelfAttention(dim=d, heads=h, dim_head=d // h, nb_features=64, causal=False, qkv_bias=True)
    elif kind == "linformer":
        from linformer import LinformerSelfAttention
        module = LinformerSelfAttention(dim=d, seq_len=t, k=128, heads=h)
    elif kind == "local":
        from local_attention import LocalMHA
        module = LocalMHA(dim=d, window_size=64, dim_head=d // h, heads=h, causal=False)
    layer = lambda: module(x)
def run():
    if mode == "forward":
        with torch.no_grad():
            layer()
    else:
        (layer() * r).sum().backward()
        module.zero_grad(set_to_none=True)
        x.grad = None
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
run()
times = []
for _ in range(3):
    t0 = time.perf_counter(); run(); times.append((time.perf_counter() - t0) * 1e3)
peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) * 1024
print(json.dumps({"median_ms": statistics.median(times), "peak_bytes": peak}))
"""


PAIRS = [("standard", "sdpa", "PyTorch SDPA"), ("exact-tiled", "sdpa", "PyTorch SDPA"),
         ("performer m=64", "performer", "performer-pytorch"), ("linformer k=128", "linformer", "linformer"),
         ("longformer w=64", "local", "local-attention LocalMHA")]


def lab_points(lengths, modes, threads, cap):
    env = dict(os.environ, MALLOC_ARENA_MAX="1", OMP_NUM_THREADS=str(threads),
               OMP_WAIT_POLICY=os.environ.get("OMP_WAIT_POLICY", "PASSIVE"))
    out = ROOT / "build" / "bench" / "attention_side_by_side.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = ["java", "--add-modules=jdk.incubator.vector", "-Xmx2g", f"-Dorg.bytedeco.javacpp.cachedir={ROOT}/environment/.javacpp",
           "-cp", f"{ROOT}/lib/target/etlab.jar:{ROOT}/lib/target/dependency/*", "dev.etlab.bench.SuiteMain",
           "--suite", "peers", "--lengths", ",".join(map(str, lengths)), "--modes", ",".join(modes),
           "--cap", cap, "--out", str(out)]
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    return {(r["mechanism"], r["mode"], int(r["length"])): r for r in rows}


def torch_point(t, mode, threads, kind):
    out = subprocess.run([sys.executable, "-c", CHILD, str(t), mode, str(threads), kind], capture_output=True, text=True)
    if out.returncode != 0:
        return {"error": (out.stderr.strip().splitlines() or ["failed"])[-1][:80]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def mib(b):
    return f"{float(b) / 2**20:.0f} MiB" if b not in ("", None) else "-"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lengths", default="1024,4096,16384")
    ap.add_argument("--modes", default="forward,forward+backward")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cap", default="14g", help="the lab skips points predicted to peak above this")
    args = ap.parse_args()
    lengths = [int(v) for v in args.lengths.split(",")]
    modes = args.modes.split(",")
    lab = lab_points(lengths, modes, args.threads, args.cap)
    print(f"one attention layer, d_model 64, 4 heads, batch 1, float32, {args.threads} threads; "
          "ratio = lab / peer (time; memory)")
    print("| mode | T | lab layer | lab | peer | peer's figures | ratio |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    cache = {}
    for mode in modes:
        for t in lengths:
            for label, kind, peer in PAIRS:
                key = (t, mode, kind)
                if key not in cache:
                    cache[key] = torch_point(t, "forward" if mode == "forward" else "fb", args.threads, kind)
                ref = cache[key]
                theirs = f"{ref['median_ms']:.1f} ms, {mib(ref['peak_bytes'])}" if "error" not in ref else f"failed: {ref['error']}"
                r = lab.get((label, mode, t))
                if r is None or r["skipped"]:
                    ours, ratio = f"skipped ({r['skipped'] if r else 'missing'})", "-"
                else:
                    ms, peak = float(r["median_ms"]), float(r["peak_rss_bytes"])
                    ours = f"{ms:.1f} ms, {mib(peak)}"
                    ratio = "-" if "error" in ref else f"{ms / ref['median_ms']:.2f}; {peak / max(ref['peak_bytes'], 1):.2f}"
                print(f"| {mode} | {t} | {label} | {ours} | {peer} | {theirs} | {ratio} |", flush=True)


if __name__ == "__main__":
    main()
