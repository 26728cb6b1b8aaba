"""PyTorch re-implementation of has8Vgg (DESIGN.md 4.1, 4.4, 4.5), for side-by-side speed only.

Plain torch modules: the bit-plane encoder as a torch.autograd.Function with the fourier
surrogate (order-aware), LIF written out over T with the atan surrogate, hard reset, BatchNorm
momentum sqrt(0.1) on the SNN side. Prints one JSON line: train and inference images/s, peak RSS,
parameter count and the BLAS torch's matmuls run on. Refuses the reference BLAS (30x slower
matmuls would flatter us) unless --allow-reference-blas.

Usage: python3 torch_has8vgg.py --channels 1 [--batch 32] [--size 32] [--steps 6] [--threads N]
       python3 torch_has8vgg.py --profile   # one training step by category (torch.profiler), as text
"""
import argparse
import json
import math
import os
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class BitPlane(torch.autograd.Function):
    """q in [0, 255] -> 8 planes MSB first [T, ...]; backward: fourier surrogate, order-aware."""

    @staticmethod
    def forward(ctx, q, alpha):
        ctx.save_for_backward(q)
        ctx.alpha = alpha
        n = torch.floor(q).clamp(0, 255)
        planes = [torch.remainder(torch.floor(n / 2 ** k), 2) for k in range(7, -1, -1)]
        return torch.stack(planes, 0)

    @staticmethod
    def backward(ctx, grad_out):
        (q,) = ctx.saved_tensors
        grad_q = torch.zeros_like(q)
        for t, k in enumerate(range(7, -1, -1)):
            c = 2.0 ** k
            g = torch.full_like(q, 0.5)
            for n in range(1, 2 * ctx.alpha, 2):
                g = g - (2.0 / c) * torch.cos(math.pi * n * q / c)
            g = g * (k / 2 ** (7 - k))
            grad_q = grad_q + g * grad_out[t]
        return grad_q, None


def scope(name):
    return torch.profiler.record_function(name)


def encode(x, alpha=5):
    with scope('hs:encoder'):
        return _encode(x, alpha)


def _encode(x, alpha):
    lo, hi = x.min(), x.max()
    if not (lo >= 0 and hi <= 1):
        x = (x - lo) / (hi - lo) if hi > lo else torch.ones_like(x)
    return BitPlane.apply(x * 255.0, alpha)


WEIGHTS = torch.tensor([2.0 ** (7 - t) / 255.0 for t in range(8)])


def decode(s):
    with scope('hs:decoder'):
        return (s * WEIGHTS.view(8, *([1] * (s.dim() - 1)))).sum(0)


class Spike(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x >= 0).float()

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        alpha = 2.0
        return g * (alpha / 2) / (1 + (math.pi / 2 * alpha * x) ** 2)


def lif(x, tau=2.0, vth=1.0):
    """x: [T, ...]; hard reset to 0; decay_input charge; BPTT through the written-out loop."""
    with scope('hs:neuron'):
        v = torch.zeros_like(x[0])
        out = []
        for t in range(x.shape[0]):
            h = v + (x[t] - v) / tau
            s = Spike.apply(h - vth)
            v = h * (1 - s)
            out.append(s)
        return torch.stack(out, 0)


def fold(s):
    return s.reshape(s.shape[0] * s.shape[1], *s.shape[2:])


def unfold(y, T):
    return y.reshape(T, y.shape[0] // T, *y.shape[1:])


class AnnConv(nn.Module):
    def __init__(self, a, b):
        super().__init__()
        self.conv = nn.Conv2d(a, b, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(b)

    def forward(self, x):
        return F.avg_pool2d(F.leaky_relu(self.bn(self.conv(x)), 0.01), 2)


class SnnConv(nn.Module):
    def __init__(self, a, b):
        super().__init__()
        self.conv = nn.Conv2d(a, b, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(b, momentum=math.sqrt(0.1))

    def forward(self, x):
        s = encode(x)
        T = s.shape[0]
        u = unfold(self.bn(self.conv(fold(s))), T)
        p = unfold(F.avg_pool2d(fold(lif(u)), 2), T)
        return decode(p)


class AnnHead(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.fc = nn.ModuleList([nn.Linear(i, 1024), nn.Linear(1024, 512), nn.Linear(512, o)])

    def forward(self, x):
        for f in self.fc:
            x = F.leaky_relu(f(x), 0.01)
        return x


class SnnHead(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.fc = nn.ModuleList([nn.Linear(i, 1024), nn.Linear(1024, 512), nn.Linear(512, o)])

    def forward(self, x):
        s = encode(x)
        for f in self.fc:
            s = lif(f(s))
        return decode(s)


class Has8Vgg(nn.Module):
    def __init__(self, c, classes=10, base=16, m=2, depth=4):
        super().__init__()
        widths = [c, c * base]
        for _ in range(depth):
            widths.append(widths[-1] * m)
        self.ann = nn.ModuleList([AnnConv(a, b) for a, b in zip(widths, widths[1:])])
        self.snn = nn.ModuleList([SnnConv(a, b) for a, b in zip(widths, widths[1:])])
        self.head_ann = AnnHead(widths[-1], classes)
        self.head_snn = SnnHead(widths[-1], classes)

    def forward(self, x):
        for a, s in zip(self.ann, self.snn):
            x = a(x) + s(x)
        x = x.mean((2, 3))
        return self.head_ann(x) + self.head_snn(x)


def blas_in_use():
    """The BLAS library torch's matmuls actually call, from this process's memory map."""
    torch.randn(64, 64) @ torch.randn(64, 64)
    libs = set()
    with open('/proc/self/maps') as f:
        for line in f:
            path = line.split()[-1]
            if 'blas' in os.path.basename(path).lower():
                libs.add(os.path.realpath(path))
    return sorted(libs)


CATEGORIES = [
    # (category, test on the event's own name or an enclosing scope / autograd node's name)
    ('encoder (fwd + surrogate bwd)', lambda n: n in ('hs:encoder',) or 'BitPlaneBackward' in n),
    ('neurons (LIF fwd + BPTT)', lambda n: n == 'hs:neuron' or 'SpikeBackward' in n),
    ('decoders', lambda n: n == 'hs:decoder'),
    ('optimizer (Adam)', lambda n: n.startswith('Optimizer.step')),
    ('conv input + filter grad', lambda n: 'ConvolutionBackward' in n or n == 'aten::convolution_backward'),
    ('conv forward', lambda n: n in ('aten::convolution', 'aten::_convolution', 'aten::mkldnn_convolution')),
    ('BatchNorm', lambda n: 'batch_norm' in n.lower()),
    ('matmul (linear layers)', lambda n: 'AddmmBackward' in n or 'MmBackward' in n or n in ('aten::addmm', 'aten::mm', 'aten::linear')),
    ('pooling', lambda n: 'avg_pool' in n.lower() or 'AvgPool' in n),
]


def profile(a, model, step):
    """One step under torch.profiler: each event's self time goes to the category of the nearest
    enclosing scope, autograd node or op that has one (else 'other ops')."""
    from torch.profiler import ProfilerActivity, profile as prof
    for _ in range(3):  # warm-up: the allocator and oneDNN's primitive cache
        step()
    with prof(activities=[ProfilerActivity.CPU]) as p:
        t0 = time.perf_counter()
        step()
        wall = (time.perf_counter() - t0) * 1000
    totals = {}
    for e in p.events():
        cat = None
        node = e
        while node is not None and cat is None:
            for name, test in CATEGORIES:
                if test(node.name):
                    cat = name
                    break
            node = node.cpu_parent
        cat = cat or 'other ops (elementwise, loss, layout)'
        totals[cat] = totals.get(cat, 0.0) + e.self_cpu_time_total / 1000
    print(f'torch {torch.__version__}, {a.threads} threads; has8Vgg b16, {a.channels} channel(s), batch {a.batch}; one training step under torch.profiler: {wall:.1f} ms wall')
    print('| category | ms (self time) | share of profiled time |')
    print('|---|---|---|')
    profiled = sum(totals.values())
    for k, v in sorted(totals.items(), key=lambda kv: -kv[1]):
        print(f'| {k} | {v:.1f} | {100 * v / profiled:.1f}% |')
    print(f'| all profiled ops (several threads: may exceed the wall time) | {profiled:.1f} | 100% |')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--channels', type=int, default=1)
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--size', type=int, default=32)
    ap.add_argument('--steps', type=int, default=6)
    ap.add_argument('--threads', type=int, default=os.cpu_count())
    ap.add_argument('--allow-reference-blas', action='store_true')
    ap.add_argument('--profile', action='store_true')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    libs = blas_in_use()
    openblas = any('openblas' in p for p in libs)
    if not openblas and not a.allow_reference_blas:
        print(json.dumps({'error': f'torch runs on the reference BLAS ({libs}); install libopenblas0-pthread (apt) or pass --allow-reference-blas'}))
        sys.exit(3)
    model = Has8Vgg(a.channels)
    params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-3)
    x = torch.rand(a.batch, a.channels, a.size, a.size)
    y = torch.randint(0, 10, (a.batch,))
    model.train()

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    if a.profile:
        profile(a, model, step)
        return
    step()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        step()
    train = a.batch * a.steps / (time.perf_counter() - t0)
    model.eval()
    with torch.no_grad():
        model(x)
        t0 = time.perf_counter()
        for _ in range(a.steps):
            model(x)
        infer = a.batch * a.steps / (time.perf_counter() - t0)
    print(json.dumps({
        'impl': 'torch', 'channels': a.channels, 'train_ips': train, 'infer_ips': infer,
        'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        'params': params, 'threads': a.threads, 'blas': libs, 'torch': torch.__version__,
    }))


if __name__ == '__main__':
    main()
