"""CNN training steps: Conv2D(1->16, 3x3)+ReLU+MaxPool2D(2) -> Conv2D(16->32, 3x3)+ReLU+
MaxPool2D(2) -> Flatten -> Linear(800->10), softmax cross-entropy on integer labels, SGD with
momentum 0.9, batch 64, 28x28 float32 images, 100 training steps; mushin and PyTorch on the
same data and initial weights (PyTorch's layouts, copied from mushin's), plus the matmul
floor.

Two checks keep the comparison honest: the timed float32 runs must end on the same loss, and
a few float64 steps of both must make the same weight updates. (Over 100 float32 steps the
weights themselves drift apart: one rounding difference that moves a window's maximum or a
ReLU's sign routes a gradient differently, and momentum carries it on; in float64 the two
agree to 1e-15.)

    python benchmarks/cnn.py [--steps 100] [--repeats 3]
"""

from __future__ import annotations

import argparse
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
from mushin.nn.layers import Conv2D, Flatten, Linear, MaxPool2D, Sequential
from mushin.nn.losses import cross_entropy
from mushin.nn.optimizers import SGD

BATCH = 64
SIDE = 28
CLASSES = 10
LR = 0.01
# (in channels, out channels, input side) of each 3x3 convolution; each is followed by a
# 2x2 max pooling: 28 -> 26 -> 13 -> 11 -> 5, and 32 * 5 * 5 = 800 features.
CONVS = ((1, 16, 28), (16, 32, 13))
FEATURES = 32 * 5 * 5
CHECK_STEPS = 3


def make_data(steps: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    images = rng.standard_normal((steps * BATCH, 1, SIDE, SIDE), dtype=np.float32)
    labels = rng.integers(0, CLASSES, steps * BATCH)
    return images, labels


def flops(steps: int) -> float:
    """Twice the multiply-adds of the convolutions' and the linear layer's forward and
    backward passes (no input gradient for the first convolution)."""
    total = 0
    for index, (channels, out_channels, side) in enumerate(CONVS):
        forward = 2 * BATCH * (side - 2) ** 2 * out_channels * channels * 9
        total += forward * (2 if index == 0 else 3)
    total += 3 * 2 * BATCH * FEATURES * CLASSES
    return steps * total


def mushin_model(dtype: str = "float32") -> Any:
    mu.seed(0)
    # ReLU as a plain function in the Sequential: the layers are numbered as in PyTorch's.
    return Sequential(Conv2D(1, 16, 3, dtype=dtype), relu, MaxPool2D(2),
                      Conv2D(16, 32, 3, dtype=dtype), relu, MaxPool2D(2), Flatten(),
                      Linear(FEATURES, CLASSES, dtype=dtype))


def torch_model(torch: Any) -> Any:
    nn = torch.nn
    return nn.Sequential(nn.Conv2d(1, 16, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 32, 3),
                         nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(FEATURES, CLASSES))


def mushin_run(images: np.ndarray, labels: np.ndarray, weights: dict[str, np.ndarray],
               dtype: str = "float32") -> tuple[Any, dict[str, Any]]:
    """A run of ``len(labels) / BATCH`` steps from ``weights``, and the loss and the weights
    it ends on (filled in by each run)."""
    model = mushin_model(dtype)
    batches = [(mu.from_numpy(images[s:s + BATCH].astype(dtype)),
                mu.from_numpy(labels[s:s + BATCH]))
               for s in range(0, len(labels), BATCH)]
    final: dict[str, Any] = {}

    def run() -> None:
        model.load_state_dict({name: value.astype(dtype) for name, value in weights.items()})
        optimizer = SGD(model.parameters(), lr=LR, momentum=0.9)
        loss: Any = None
        for x, y in batches:
            loss = cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        final["loss"] = float(loss.item())
        final["state"] = {name: value.numpy() for name, value in model.state_dict().items()}

    return run, final


def torch_run(torch: Any, images: np.ndarray, labels: np.ndarray,
              weights: dict[str, np.ndarray], dtype: str = "float32") -> tuple[
                  Any, dict[str, Any]]:
    model = torch_model(torch).to(getattr(torch, dtype))
    state = {name: torch.from_numpy(value.astype(dtype)) for name, value in weights.items()}
    batches = [(torch.from_numpy(images[s:s + BATCH].astype(dtype)),
                torch.from_numpy(labels[s:s + BATCH])) for s in range(0, len(labels), BATCH)]
    final: dict[str, Any] = {}

    def run() -> None:
        model.load_state_dict(state)
        optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=0.9)
        loss: Any = None
        for x, y in batches:
            loss = torch.nn.functional.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        final["loss"] = float(loss.item())
        final["state"] = {name: value.detach().numpy().copy()
                          for name, value in model.state_dict().items()}

    return run, final


def check_same_updates(torch: Any, images: np.ndarray, labels: np.ndarray,
                       weights: dict[str, np.ndarray]) -> None:
    """A few float64 steps of both frameworks make the same weight updates."""
    images, labels = images[:CHECK_STEPS * BATCH], labels[:CHECK_STEPS * BATCH]
    run_ours, final_ours = mushin_run(images, labels, weights, "float64")
    run_theirs, final_theirs = torch_run(torch, images, labels, weights, "float64")
    run_ours()
    run_theirs()
    ours, theirs = final_ours["state"], final_theirs["state"]
    for name, start in weights.items():
        step = theirs[name] - start
        error = np.linalg.norm(ours[name] - start - step) / np.linalg.norm(step)
        assert error < 1e-9, f"{name}: the float64 weight updates differ by {error:.1e}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    add_alone_option(parser)
    args = parser.parse_args()
    images, labels = make_data(args.steps)
    weights = {name: value.numpy() for name, value in mushin_model().state_dict().items()}
    torch = torch_or_none()
    if args.time_only is not None:
        run, final = (mushin_run(images, labels, weights) if args.time_only == "mushin"
                      else torch_run(torch, images, labels, weights))
        report_alone(best_time(run, args.repeats), final["loss"])
        return
    ours_report = alone("mushin")
    ours = ours_report["seconds"]
    theirs = None
    if torch is not None:
        their_report = alone("torch")
        theirs = their_report["seconds"]
        losses = ours_report["result"], their_report["result"]
        print(f"  final loss: mushin {losses[0]:.6f}, PyTorch {losses[1]:.6f}")
        assert abs(losses[0] - losses[1]) <= 1e-3 * abs(losses[1]), "the final losses differ"
        check_same_updates(torch, images, labels, weights)
    floor = flops(args.steps) / matmul_rate()
    report(f"cnn {args.steps} steps", ours, theirs, floor=floor)


if __name__ == "__main__":
    main()
