"""PyTorch side of `npm run bench -- train`: the same TBN network and options as tbn's engine.

Reads a training set written by bench/train.ts (float32 examples channel-last, int32 labels), trains for a
number of steps after a warm-up and prints one JSON line: samples, wall seconds and process CPU seconds.
Method as in /work/shared/notes/tbn-method.md: tile = sign(sum of the p chunks of the latent S), 0 -> -1,
identity STE to every S element; one alpha per tile copy = mean |W| over the chunk of a separate latent W;
BatchNorm after every hidden layer; sign activations with a hardtanh STE; int8 fake-quantised input;
Adam (L2 decay on W) with a cosine schedule; softmax cross-entropy.
"""
import argparse
import json
import math
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class TileSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, s, p):
        chunks = s.reshape(p, -1)
        t = torch.where(chunks.sum(0) > 0, 1.0, -1.0)
        return t.repeat(p).view_as(s)

    @staticmethod
    def backward(ctx, g):
        return g, None  # identity: each S element gets the gradient of its own position


class SignSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.where(x > 0, 1.0, -1.0)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (x.abs() <= 1).to(g.dtype)


class TiledWeight(nn.Module):
    def __init__(self, shape, p, fan_in):
        super().__init__()
        self.p = p
        bound = 1 / math.sqrt(fan_in)
        self.scores = nn.Parameter(torch.empty(shape).uniform_(-bound, bound))
        self.weight = nn.Parameter(torch.randn(shape) * math.sqrt(2 / fan_in))

    def forward(self):
        b = TileSTE.apply(self.scores, self.p)
        alpha = self.weight.abs().reshape(self.p, -1).mean(1)
        return (b.reshape(self.p, -1) * alpha[:, None]).view_as(self.scores)


class Mlp(nn.Module):
    def __init__(self, sizes, ps):
        super().__init__()
        self.w = nn.ModuleList(TiledWeight((o, i), p, i) for i, o, p in zip(sizes[:-1], sizes[1:], ps))
        self.bn = nn.ModuleList(nn.BatchNorm1d(o) for o in sizes[1:-1])
        self.bias = nn.Parameter(torch.zeros(sizes[-1]))

    def forward(self, x):
        x = x.flatten(1)
        for i, w in enumerate(self.w):
            x = F.linear(x, w())
            if i < len(self.bn):
                x = SignSTE.apply(self.bn[i](x))
        return x + self.bias


class HarCnn(nn.Module):
    """Conv1d(6->32,k5) BN sign, Conv1d(32->64,k5) BN sign, MaxPool(2), Conv1d(64->64,k5) BN sign, GAP, Linear(64->classes)."""

    def __init__(self, cin, classes, ps):
        super().__init__()
        shapes = [(32, cin, 5), (64, 32, 5), (64, 64, 5)]
        self.w = nn.ModuleList(TiledWeight(s, p, s[1] * s[2]) for s, p in zip(shapes, ps))
        self.bn = nn.ModuleList(nn.BatchNorm1d(s[0]) for s in shapes)
        self.fc = TiledWeight((classes, 64), ps[3], 64)
        self.bias = nn.Parameter(torch.zeros(classes))

    def forward(self, x):
        x = x.transpose(1, 2)  # (batch, channels, time)
        for i, w in enumerate(self.w):
            x = SignSTE.apply(self.bn[i](F.conv1d(x, w())))
            if i == 1:
                x = F.max_pool1d(x, 2)
        return F.linear(x.mean(2), self.fc()) + self.bias


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=["mlp", "har"], required=True)
    ap.add_argument("--x", required=True)
    ap.add_argument("--y", required=True)
    ap.add_argument("--shape", required=True, help="h,w,c of one example")
    ap.add_argument("--classes", type=int, required=True)
    ap.add_argument("--p", required=True, help="p per weight layer, e.g. 4,4,1")
    ap.add_argument("--batch", type=int, required=True)
    ap.add_argument("--samples", type=int, required=True, help="timed samples (whole batches)")
    ap.add_argument("--warmup", type=int, default=5, help="untimed warm-up steps")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1, help="initialisation and order (two processes train different models)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    h, w, c = (int(v) for v in a.shape.split(","))
    ps = [int(v) for v in a.p.split(",")]
    x = torch.from_numpy(np.fromfile(a.x, dtype=np.float32).reshape(-1, h * w, c))
    y = torch.from_numpy(np.fromfile(a.y, dtype=np.int32).astype(np.int64))
    mean, std = x.mean((0, 1)), x.std((0, 1)).clamp_min(1e-8)
    scale = float(((x - mean) / std).abs().flatten().quantile(0.9999) / 127) if x.numel() < 16_000_000 else 4 / 127
    model = Mlp([h * w * c, 256, 256, a.classes], ps) if a.model == "mlp" else HarCnn(c, a.classes, ps)
    decay = [m.weight for m in model.modules() if isinstance(m, TiledWeight)]
    rest = [q for q in model.parameters() if all(q is not d for d in decay)]
    opt = torch.optim.Adam([{"params": decay, "weight_decay": 1e-4}, {"params": rest, "weight_decay": 0}], lr=1e-3)
    steps = a.samples // a.batch
    total = steps + a.warmup
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, total) / total)))
    n = x.shape[0]
    order = torch.randperm(n)

    def step(i):
        idx = order[(i * a.batch) % (n - a.batch + 1):][: a.batch]
        xb = x[idx]
        xq = torch.clamp(torch.round((xb - mean) / std / scale), -127, 127) * scale
        loss = F.cross_entropy(model(xq), y[idx])
        opt.zero_grad(set_to_none=False)
        loss.backward()
        opt.step()
        sched.step()

    model.train()
    for i in range(a.warmup):
        step(i)
    w0, c0 = time.perf_counter(), time.process_time()
    for i in range(steps):
        step(a.warmup + i)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    print(json.dumps({"samples": steps * a.batch, "wall": wall, "cpu": cpu, "torch": torch.__version__, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
