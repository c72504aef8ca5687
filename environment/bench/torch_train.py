"""Times notebook 00's model in PyTorch on the CPU, as a PyTorch user would write it.

The same architecture as dev.etlab.nn.TransformerModel with ModelConfig.languageModel(85, T): token
embedding (no bias), sinusoidal positions, 2 pre-LayerNorm blocks (d_model 64, 4 heads with biased
Q/K/V/O projections, causal scaled_dot_product_attention, feed-forward 256 with tanh-GELU), final
LayerNorm, biased output layer: 111,061 parameters. AdamW (lr 3e-3, betas 0.9/0.98, eps 1e-8, weight
decay 0.01 on matrices only), global-norm clipping at 1.0, random token batches: the same step the
lab's TrainBenchmark times. Prints one line per size; used by side_by_side.py.

Run with environment/.venv-torch/bin/python (environment/bench/setup_torch.sh makes it).
"""
import argparse
import json
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB = 85


def sinusoid(t, d):
    pos = torch.arange(t, dtype=torch.float32)[:, None]
    i = torch.arange(0, d, 2, dtype=torch.float32)
    angle = pos / torch.pow(10000.0, i / d)
    pe = torch.zeros(t, d)
    pe[:, 0::2] = torch.sin(angle)
    pe[:, 1::2] = torch.cos(angle)
    return pe


class Block(nn.Module):
    def __init__(self, d, heads, d_ff):
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.wq, self.wk, self.wv, self.wo = (nn.Linear(d, d) for _ in range(4))
        self.w1, self.w2 = nn.Linear(d, d_ff), nn.Linear(d_ff, d)

    def forward(self, x):
        b, t, d = x.shape
        h = self.ln1(x)
        split = lambda y: y.view(b, t, self.heads, d // self.heads).transpose(1, 2)
        a = F.scaled_dot_product_attention(split(self.wq(h)), split(self.wk(h)), split(self.wv(h)), is_causal=True)
        x = x + self.wo(a.transpose(1, 2).reshape(b, t, d))
        return x + self.w2(F.gelu(self.w1(self.ln2(x)), approximate="tanh"))


class LanguageModel(nn.Module):
    def __init__(self, t, d=64, heads=4, d_ff=256, layers=2):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, d)
        self.register_buffer("pos", sinusoid(t, d))
        self.blocks = nn.ModuleList(Block(d, heads, d_ff) for _ in range(layers))
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, VOCAB)

    def forward(self, tokens):
        x = self.embed(tokens) + self.pos[: tokens.shape[1]]
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x))


def time_size(t, batch, steps, warmup, seed=7):
    torch.manual_seed(2)
    model = LanguageModel(t)
    params = sum(p.numel() for p in model.parameters())
    decay = [p for p in model.parameters() if p.dim() >= 2]
    rest = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": rest, "weight_decay": 0.0}],
                            lr=3e-3, betas=(0.9, 0.98), eps=1e-8)
    gen = torch.Generator().manual_seed(seed)
    times, first = [], None
    for s in range(steps):
        tokens = torch.randint(0, VOCAB, (batch, t), generator=gen)
        targets = torch.randint(0, VOCAB, (batch, t), generator=gen)
        t0 = time.perf_counter()
        loss = F.cross_entropy(model(tokens).reshape(-1, VOCAB), targets.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        ms = (time.perf_counter() - t0) * 1e3
        if s == 0:
            first = ms
        times.append(ms)
    return {"engine": "pytorch", "length": t, "batch": batch, "parameters": params, "step_ms": statistics.median(times[warmup:]),
            "first_step_ms": first, "loss": loss.item(), "threads": torch.get_num_threads(), "torch": torch.__version__}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="128x16,512x8")
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    for size in args.sizes.split(","):
        t, b = (int(v) for v in size.split("x"))
        print(json.dumps(time_size(t, b, args.steps, args.warmup)), flush=True)


if __name__ == "__main__":
    main()
