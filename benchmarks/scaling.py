"""How an MLP training step scales: the 784-W-W-10 ReLU MLP of ``mlp.py`` (cross-entropy on
integer labels, SGD with momentum 0.9, float32), one step timed as the batch grows (1x, 4x,
16x at the base width) and as the width W grows (1x, 4x, 16x at the base batch), for mushin
and PyTorch.

For each configuration it prints the time per step, the matrix-product FLOPs per step, the
rate achieved and the time over the matmul floor (FLOPs / the machine's NumPy float32
matmul rate). A small step is bound by the fixed cost of each operation (Python work); once
the batch or the width is large the time follows the FLOPs and the floor ratio falls toward
what the BLAS reaches at those shapes.

    python benchmarks/scaling.py [--batch 32] [--width 64] [--seconds 0.3] [--repeats 5]
"""

from __future__ import annotations

import argparse
import itertools
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from _common import machine, matmul_rate, torch_or_none

import mushin as mu
from mushin.nn.activations import relu
from mushin.nn.layers import Linear
from mushin.nn.losses import cross_entropy
from mushin.nn.optimizers import SGD

FEATURES, CLASSES = 784, 10
FACTORS = (1, 4, 16)
BATCHES = 8
"""Distinct batches cycled through (random data: only the time matters)."""


def sizes_of(width: int) -> tuple[int, ...]:
    return (FEATURES, width, width, CLASSES)


def flops_per_step(sizes: tuple[int, ...], batch: int) -> float:
    """Matrix-product FLOPs of one step: forward, weight gradients, and input gradients of
    every layer but the first (its input is data)."""
    forward = sum(2 * batch * i * o for i, o in itertools.pairwise(sizes))
    return 3 * forward - 2 * batch * sizes[0] * sizes[1]


def make_data(sizes: tuple[int, ...], batch: int) -> tuple[Any, ...]:
    rng = np.random.default_rng(0)
    images = rng.standard_normal((BATCHES, batch, sizes[0]), dtype=np.float32)
    labels = rng.integers(0, sizes[-1], (BATCHES, batch))
    bounds = [1 / np.sqrt(n) for n in sizes[:-1]]
    weights = [(rng.uniform(-b, b, (o, i)).astype(np.float32),
                rng.uniform(-b, b, o).astype(np.float32))
               for b, i, o in zip(bounds, sizes[:-1], sizes[1:], strict=True)]
    return images, labels, weights


def mushin_steps(sizes: tuple[int, ...], data: tuple[Any, ...]) -> Callable[[int], None]:
    images, labels, weights = data
    layers = [Linear(i, o) for i, o in itertools.pairwise(sizes)]
    for layer, (w, b) in zip(layers, weights, strict=True):
        layer.load_state_dict({"weight": w, "bias": b})
    optimizer = SGD([p for layer in layers for p in layer.parameters()], lr=0.01,
                    momentum=0.9)
    batches = [(mu.constant(x), mu.constant(y)) for x, y in zip(images, labels, strict=True)]

    def run(steps: int) -> None:
        for step in range(steps):
            x, y = batches[step % BATCHES]
            h = relu(layers[0](x))
            h = relu(layers[1](h))
            loss = cross_entropy(layers[2](h), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    return run


def torch_steps(torch: Any, sizes: tuple[int, ...],
                data: tuple[Any, ...]) -> Callable[[int], None]:
    images, labels, weights = data
    layers = [torch.nn.Linear(i, o) for i, o in itertools.pairwise(sizes)]
    with torch.no_grad():
        for layer, (w, b) in zip(layers, weights, strict=True):
            layer.weight.copy_(torch.from_numpy(w))
            layer.bias.copy_(torch.from_numpy(b))
    model = torch.nn.Sequential(layers[0], torch.nn.ReLU(), layers[1], torch.nn.ReLU(),
                                layers[2])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    batches = [(torch.from_numpy(x), torch.from_numpy(y))
               for x, y in zip(images, labels, strict=True)]

    def run(steps: int) -> None:
        for step in range(steps):
            x, y = batches[step % BATCHES]
            loss = torch.nn.functional.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    return run


def seconds_per_step(run: Callable[[int], None], seconds: float, repeats: int) -> float:
    """The best of ``repeats`` timings of about ``seconds`` each, per step (after warm-up)."""
    run(2)
    start = time.perf_counter()
    run(5)
    steps = max(5, int(seconds / max((time.perf_counter() - start) / 5, 1e-9)))
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run(steps)
        best = min(best, (time.perf_counter() - start) / steps)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32, help="base batch size")
    parser.add_argument("--width", type=int, default=64, help="base hidden width")
    parser.add_argument("--seconds", type=float, default=0.3, help="time per measurement")
    parser.add_argument("--repeats", type=int, default=5, help="measurements (the best counts)")
    args = parser.parse_args()
    torch = torch_or_none()
    rate = matmul_rate()
    print(f"[mlp step scaling] {machine()}")
    print(f"  matmul rate (NumPy float32, 2048x2048): {rate / 1e9:.0f} GFLOP/s")
    configs = [("batch", args.batch * f, args.width) for f in FACTORS]
    configs += [("width", args.batch, args.width * f) for f in FACTORS[1:]]
    header = (f"  {'grown':6s} {'batch':>5s} {'width':>5s} {'MFLOP':>8s} | {'mushin':>9s} "
              f"{'GFLOP/s':>7s} {'xfloor':>6s}")
    if torch is not None:
        header += f" | {'PyTorch':>9s} {'GFLOP/s':>7s} {'xfloor':>6s} | {'ratio':>5s}"
    print(header)
    for grown, batch, width in configs:
        sizes = sizes_of(width)
        data = make_data(sizes, batch)
        flops = flops_per_step(sizes, batch)
        floor = flops / rate
        ours = seconds_per_step(mushin_steps(sizes, data), args.seconds, args.repeats)
        line = (f"  {grown:6s} {batch:5d} {width:5d} {flops / 1e6:8.1f} | "
                f"{ours * 1e6:7.0f}us {flops / ours / 1e9:7.1f} {ours / floor:6.2f}")
        if torch is not None:
            theirs = seconds_per_step(torch_steps(torch, sizes, data), args.seconds,
                                      args.repeats)
            line += (f" | {theirs * 1e6:7.0f}us {flops / theirs / 1e9:7.1f} "
                     f"{theirs / floor:6.2f} | {ours / theirs:5.2f}")
        print(line)


if __name__ == "__main__":
    main()
