"""MLP training epoch: 784-256-256-10 ReLU MLP, softmax cross-entropy on integer labels, SGD
with momentum 0.9, batch 128, one epoch over 60,000 random samples, float32; mushin and
PyTorch on the same data and initial weights, plus the matmul floor.

    python benchmarks/mlp.py [--samples 60000] [--repeats 3] [--bounds]
"""

from __future__ import annotations

import argparse
import itertools
from typing import Any

import numpy as np
from _common import (
    add_alone_option,
    alone,
    best_time,
    matmul_rate,
    report,
    report_alone,
    torch_or_none,
)

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
    # (``from_numpy`` shares the data set's memory, as the PyTorch epoch's ``torch.from_numpy``)
    batches = [(mu.from_numpy(images[s:s + BATCH]), mu.from_numpy(labels[s:s + BATCH]))
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


def numpy_epoch(images: np.ndarray, labels: np.ndarray, weights: Any) -> Any:
    """The same epoch written directly in NumPy, no autodiff: each step's products (laid out
    as mushin lays them out), ReLUs, the fused softmax cross-entropy gradient and the in-place
    momentum update. What a library running on NumPy can at best reach."""
    params = [array.copy() for pair in weights for array in pair]
    buffers = [np.zeros_like(param) for param in params]
    scratch = [np.empty_like(param) for param in params]
    rows = np.arange(BATCH)
    batches = [(images[s:s + BATCH], labels[s:s + BATCH])
               for s in range(0, len(labels) - BATCH + 1, BATCH)]

    def linear(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
        result = np.matmul(weight, x.T).T
        result += bias
        return result

    def epoch() -> None:
        w0, b0, w1, b1, w2, b2 = params
        for x, y in batches:
            h1 = np.maximum(linear(x, w0, b0), 0)
            h2 = np.maximum(linear(h1, w1, b1), 0)
            logits = linear(h2, w2, b2)
            shifted = logits - logits.max(axis=1, keepdims=True)
            grad = np.exp(shifted)
            total = grad.sum(axis=1, keepdims=True)
            losses = np.log(total[:, 0])
            losses -= shifted[rows, y]
            losses.mean()
            grad /= total
            grad[rows, y] -= 1
            grad *= 1 / BATCH
            g2 = np.matmul(w2.T, grad.T).T * (h2 > 0)
            g1 = np.matmul(w1.T, g2.T).T * (h1 > 0)
            grads = (g1.T @ x, g1.sum(axis=0), g2.T @ h1, g2.sum(axis=0), grad.T @ h2,
                     grad.sum(axis=0))
            for param, g, buffer, temp in zip(params, grads, buffers, scratch, strict=True):
                buffer *= 0.9
                buffer += g
                param -= np.multiply(buffer, 0.01, out=temp)

    return epoch


def matmuls_epoch(images: np.ndarray, weights: Any) -> Any:
    """Only the eight matrix products of each step, in NumPy on the step's shapes: the floor
    at these shapes for a library whose products are NumPy's."""
    w0, w1, w2 = (pair[0] for pair in weights)
    rng = np.random.default_rng(1)
    h1, h2 = (np.asfortranarray(rng.standard_normal((BATCH, SIZES[1]), dtype=np.float32))
              for _ in range(2))
    grad = rng.standard_normal((BATCH, SIZES[3]), dtype=np.float32)
    batches = [images[s:s + BATCH] for s in range(0, len(images) - BATCH + 1, BATCH)]

    def epoch() -> None:
        for x in batches:
            np.matmul(w0, x.T)
            np.matmul(w1, h1.T)
            np.matmul(w2, h2.T)
            np.matmul(grad.T, h2)  # the weight gradients, (out, in)
            np.matmul(h2.T, h1)
            np.matmul(h1.T, x)
            np.matmul(w2.T, grad.T)  # the input gradients of layers 2 and 3
            np.matmul(w1.T, h2.T)

    return epoch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=60_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--bounds", action="store_true",
                        help="also time the epoch hand-written in NumPy (no autodiff) and the "
                        "step's matrix products alone in NumPy")
    add_alone_option(parser)
    args = parser.parse_args()
    images, labels, weights = make_data(args.samples)
    torch = torch_or_none()
    if args.time_only == "mushin":
        report_alone(best_time(mushin_epoch(images, labels, weights), args.repeats))
        return
    if args.time_only == "torch":
        report_alone(best_time(torch_epoch(torch, images, labels, weights), args.repeats))
        return
    ours = alone("mushin")["seconds"]
    theirs = None if torch is None else alone("torch")["seconds"]
    floor = flops_per_epoch(args.samples) / matmul_rate()
    report("mlp epoch", ours, theirs, floor=floor)
    if args.bounds:
        by_hand = best_time(numpy_epoch(images, labels, weights), args.repeats)
        products = best_time(matmuls_epoch(images, weights), args.repeats)
        print(f"  NumPy by hand (no autodiff): {by_hand:.4f} s"
              + (f" (ratio to PyTorch {by_hand / theirs:.2f})" if theirs else ""))
        print(f"  NumPy matrix products alone: {products:.4f} s ({products / floor:.2f}x the "
              "floor)")


if __name__ == "__main__":
    main()
