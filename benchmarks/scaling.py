"""How a training step scales, for mushin and PyTorch:

- the 784-W-W-10 ReLU MLP of ``mlp.py`` (cross-entropy on integer labels, SGD with momentum
  0.9, float32), one step timed as the batch grows (1x, 4x, 16x at the base width) and as the
  width W grows (1x, 4x, 16x at the base batch);
- the GPT of ``gpt.py`` (nanoGPT's model from ``examples/gpt.py``, AdamW, float32), one step
  timed as the width (``n_embd``) grows 1x, 4x, 16x and as the sequence (``block_size``) grows
  4x and 16x. Smaller than ``gpt.py``'s so that the largest rows take a tenth of a second a
  step and the whole script under two minutes: 2 layers, 2 heads, batch 8, base width 32 and
  base sequence 32 (``--gpt-width``, ``--gpt-block``).

For each configuration it prints the time per step, the matrix-product FLOPs per step, the
rate achieved and the time over the matmul floor (FLOPs / the machine's NumPy float32
matmul rate). A small step is bound by the fixed cost of each operation (Python work); once
the batch, the width or the sequence is large the time follows the FLOPs and the floor ratio
falls toward what the BLAS reaches at those shapes. Both libraries run in this one process
(the steps are small and the sizes change between rows).

    python benchmarks/scaling.py [--batch 32] [--width 64] [--gpt-width 32] [--gpt-block 32]
                                 [--seconds 0.3] [--repeats 5]
"""

from __future__ import annotations

import argparse
import itertools
import time
from collections.abc import Callable
from typing import Any

import gpt
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
GPT_SIZES = {"n_layer": 2, "n_head": 2, "dropout": 0.0, "bias": True}
GPT_BATCH = 8


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


def gpt_steps(backend: str, sizes: dict[str, Any], vocab: int,
              weights: dict[str, np.ndarray]) -> Callable[[int], Any]:
    model, optimizer = gpt.build(backend, sizes, vocab, weights)
    return gpt.train_steps(model, optimizer, gpt.batches(backend, sizes, BATCHES, GPT_BATCH))


def seconds_per_step(run: Callable[[int], Any], seconds: float, repeats: int) -> float:
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


def figures(flops: float, rate: float, ours: float, theirs: float | None) -> str:
    """A row's figures: each library's time, rate and time over the floor, and the ratio."""
    floor = flops / rate
    line = (f"{flops / 1e6:8.1f} | {ours * 1e6:7.0f}us {flops / ours / 1e9:7.1f} "
            f"{ours / floor:6.2f}")
    if theirs is not None:
        line += (f" | {theirs * 1e6:7.0f}us {flops / theirs / 1e9:7.1f} {theirs / floor:6.2f} | "
                 f"{ours / theirs:5.2f}")
    return line


def header(torch: Any, *columns: str) -> str:
    line = f"  {'grown':6s} " + " ".join(f"{column:>5s}" for column in columns)
    line += f" {'MFLOP':>8s} | {'mushin':>9s} {'GFLOP/s':>7s} {'xfloor':>6s}"
    if torch is not None:
        line += f" | {'PyTorch':>9s} {'GFLOP/s':>7s} {'xfloor':>6s} | {'ratio':>5s}"
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32, help="base batch size")
    parser.add_argument("--width", type=int, default=64, help="base hidden width")
    parser.add_argument("--gpt-width", type=int, default=32, help="the GPT's base n_embd")
    parser.add_argument("--gpt-block", type=int, default=32, help="the GPT's base sequence")
    parser.add_argument("--seconds", type=float, default=0.3, help="time per measurement")
    parser.add_argument("--repeats", type=int, default=5, help="measurements (the best counts)")
    args = parser.parse_args()
    torch = torch_or_none()
    rate = matmul_rate()
    print(f"[mlp step scaling] {machine()}")
    print(f"  matmul rate (NumPy float32, 2048x2048): {rate / 1e9:.0f} GFLOP/s")
    configs = [("batch", args.batch * f, args.width) for f in FACTORS]
    configs += [("width", args.batch, args.width * f) for f in FACTORS[1:]]
    print(header(torch, "batch", "width"))
    for grown, batch, width in configs:
        sizes = sizes_of(width)
        data = make_data(sizes, batch)
        ours = seconds_per_step(mushin_steps(sizes, data), args.seconds, args.repeats)
        theirs = None if torch is None else seconds_per_step(
            torch_steps(torch, sizes, data), args.seconds, args.repeats)
        print(f"  {grown:6s} {batch:5d} {width:5d} "
              + figures(flops_per_step(sizes, batch), rate, ours, theirs))
    _, vocab = gpt.text()
    print(f"[gpt step scaling] {GPT_SIZES['n_layer']} layers, {GPT_SIZES['n_head']} heads, "
          f"batch {GPT_BATCH}, vocabulary {vocab}, AdamW, float32")
    gpt_configs = [("width", args.gpt_width * f, args.gpt_block) for f in FACTORS]
    gpt_configs += [("block", args.gpt_width, args.gpt_block * f) for f in FACTORS[1:]]
    print(header(torch, "width", "block"))
    for grown, width, block in gpt_configs:
        sizes = {**GPT_SIZES, "n_embd": width, "block_size": block}
        weights = gpt.initial_weights(sizes, vocab)
        ours = seconds_per_step(gpt_steps("mushin", sizes, vocab, weights), args.seconds,
                                args.repeats)
        theirs = None if torch is None else seconds_per_step(
            gpt_steps("torch", sizes, vocab, weights), args.seconds, args.repeats)
        print(f"  {grown:6s} {width:5d} {block:5d} "
              + figures(gpt.flops_per_step(sizes, vocab, GPT_BATCH), rate, ours, theirs))


if __name__ == "__main__":
    main()
