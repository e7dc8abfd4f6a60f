"""MLP training epoch: 784-256-256-10 ReLU MLP, softmax cross-entropy on integer labels, SGD
with momentum 0.9, batch 128, one epoch over 60,000 random samples, float32; mushin and
PyTorch on the same data and initial weights, plus the matmul floor.

    python benchmarks/mlp.py [--samples 60000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import itertools
from typing import Any

import numpy as np
from _common import best_time, matmul_rate, report, torch_or_none

import mushin as mu
from mushin.nn.activations import relu
from mushin.nn.layers import Linear
from mushin.nn.losses import cross_entropy
from mushin.nn.optimizers import SGD

SIZES = (784, 256, 256, 10)
BATCH = 128


def make_data(samples: int) -> tuple[np.ndarray, np.ndarray, list[tuple[np.ndarray, ...]]]:
    rng = np.random.default_rng(0)
    images = rng.standard_normal((samples, SIZES[0]), dtype=np.float32)
    labels = rng.integers(0, SIZES[-1], samples)
    bound = [1 / np.sqrt(n) for n in SIZES[:-1]]
    weights = [(rng.uniform(-b, b, (o, i)).astype(np.float32), rng.uniform(-b, b, o).astype(
        np.float32)) for b, i, o in zip(bound, SIZES[:-1], SIZES[1:], strict=True)]
    return images, labels, weights


def flops_per_epoch(samples: int) -> float:
    steps = samples // BATCH
    forward = sum(2 * BATCH * i * o for i, o in itertools.pairwise(SIZES))
    first_layer = 2 * BATCH * SIZES[0] * SIZES[1]
    return steps * (3 * forward - first_layer)  # no input gradient for the first layer


def mushin_epoch(images: np.ndarray, labels: np.ndarray, weights: Any) -> Any:
    layers = [Linear(i, o) for i, o in itertools.pairwise(SIZES)]
    for layer, (w, b) in zip(layers, weights, strict=True):
        layer.load_state_dict({"weight": w, "bias": b})
    parameters = [p for layer in layers for p in layer.parameters()]
    optimizer = SGD(parameters, lr=0.01, momentum=0.9)
    batches = [(mu.constant(images[s:s + BATCH]), mu.constant(labels[s:s + BATCH]))
               for s in range(0, len(labels) - BATCH + 1, BATCH)]

    def epoch() -> None:
        for x, y in batches:
            h = relu(layers[0](x))
            h = relu(layers[1](h))
            loss = cross_entropy(layers[2](h), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    return epoch


def torch_epoch(torch: Any, images: np.ndarray, labels: np.ndarray, weights: Any) -> Any:
    layers = [torch.nn.Linear(i, o) for i, o in itertools.pairwise(SIZES)]
    with torch.no_grad():
        for layer, (w, b) in zip(layers, weights, strict=True):
            layer.weight.copy_(torch.from_numpy(w))
            layer.bias.copy_(torch.from_numpy(b))
    model = torch.nn.Sequential(layers[0], torch.nn.ReLU(), layers[1], torch.nn.ReLU(),
                                layers[2])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    batches = [(torch.from_numpy(images[s:s + BATCH]), torch.from_numpy(labels[s:s + BATCH]))
               for s in range(0, len(labels) - BATCH + 1, BATCH)]

    def epoch() -> None:
        for x, y in batches:
            loss = torch.nn.functional.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    return epoch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=60_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    images, labels, weights = make_data(args.samples)
    ours = best_time(mushin_epoch(images, labels, weights), args.repeats)
    torch = torch_or_none()
    theirs = None
    if torch is not None:
        theirs = best_time(torch_epoch(torch, images, labels, weights), args.repeats)
    floor = flops_per_epoch(args.samples) / matmul_rate()
    report("mlp epoch", ours, theirs, floor=floor)


if __name__ == "__main__":
    main()
