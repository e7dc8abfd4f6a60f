"""LSTM training steps: one-layer LSTM (64 -> 128, batch-first ``(batch, time, features)``)
over 50 time steps (or, with ``--cell gru|rnn``, a GRU or tanh RNN of the same sizes), a
Linear(128 -> 10) head on the last step, softmax cross-entropy on integer labels, SGD with
momentum 0.9, batch 32, 50 training steps, float32; mushin and PyTorch (``nn.LSTM``,
``nn.GRU``, ``nn.RNN``) on the same data and initial weights (mushin's recurrent parameters
are PyTorch's, name for name), plus the matmul floor. At the end both frameworks' losses after
the same steps must agree, so the two can't silently compute different things.

    python benchmarks/lstm.py [--steps 50] [--repeats 3] [--cell lstm|gru|rnn]
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
from mushin.nn.layers import GRU, LSTM, RNN, Linear
from mushin.nn.losses import cross_entropy
from mushin.nn.optimizers import SGD

BATCH = 32
STEPS_IN_TIME = 50
FEATURES = 64
HIDDEN = 128
CLASSES = 10
LR = 0.01
# gate blocks per weight and the mushin layer of each cell; PyTorch's has the upper-case name
GATES = {"lstm": 4, "gru": 3, "rnn": 1}
LAYERS: dict[str, Any] = {"lstm": LSTM, "gru": GRU, "rnn": RNN}


def make_data(steps: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    sequences = rng.standard_normal((steps * BATCH, STEPS_IN_TIME, FEATURES), dtype=np.float32)
    labels = rng.integers(0, CLASSES, steps * BATCH)
    return sequences, labels


def flops(steps: int, cell: str = "lstm") -> float:
    """Multiply-adds x 2 of the recurrent layer's and the head's forward and backward passes:
    the input projection forward and its weight gradient (no input gradient: the data is
    constant), the recurrent product forward, its state gradient and its weight gradient."""
    rows = BATCH * STEPS_IN_TIME
    gates = GATES[cell] * HIDDEN
    recurrent = 2 * rows * gates * (2 * FEATURES + 3 * HIDDEN)
    head = 3 * 2 * BATCH * HIDDEN * CLASSES
    return steps * (recurrent + head)


def mushin_model(cell: str = "lstm") -> tuple[Any, Any]:
    mu.seed(0)
    return LAYERS[cell](FEATURES, HIDDEN, batch_first=True), Linear(HIDDEN, CLASSES)


def weights_of(lstm: Any, head: Any) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """mushin's initial weights, in PyTorch's names and layouts."""
    return ({name: value.numpy() for name, value in lstm.state_dict().items()},
            {name: value.numpy() for name, value in head.state_dict().items()})


def mushin_run(sequences: np.ndarray, labels: np.ndarray, weights: Any,
               cell: str = "lstm") -> Any:
    lstm, head = mushin_model(cell)
    parameters = [*lstm.parameters(), *head.parameters()]
    batches = [(mu.from_numpy(sequences[s:s + BATCH]), mu.from_numpy(labels[s:s + BATCH]))
               for s in range(0, len(labels), BATCH)]
    losses: list[float] = []

    def run() -> None:
        lstm.load_state_dict(weights[0])
        head.load_state_dict(weights[1])
        optimizer = SGD(parameters, lr=LR, momentum=0.9)
        loss = None
        for x, y in batches:
            output, _ = lstm(x)
            loss = cross_entropy(head(output[:, -1]), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        losses.append(float(loss.item()))

    return run, losses


def torch_run(torch: Any, sequences: np.ndarray, labels: np.ndarray, weights: Any,
              cell: str = "lstm") -> Any:
    nn = torch.nn
    lstm = getattr(nn, cell.upper())(FEATURES, HIDDEN, batch_first=True)
    head = nn.Linear(HIDDEN, CLASSES)
    states = [{name: torch.from_numpy(value) for name, value in part.items()}
              for part in weights]
    parameters = [*lstm.parameters(), *head.parameters()]
    batches = [(torch.from_numpy(sequences[s:s + BATCH]), torch.from_numpy(labels[s:s + BATCH]))
               for s in range(0, len(labels), BATCH)]
    losses: list[float] = []

    def run() -> None:
        lstm.load_state_dict(states[0])
        head.load_state_dict(states[1])
        optimizer = torch.optim.SGD(parameters, lr=LR, momentum=0.9)
        loss = None
        for x, y in batches:
            output, _ = lstm(x)
            loss = nn.functional.cross_entropy(head(output[:, -1]), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        losses.append(float(loss.item()))

    return run, losses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cell", choices=sorted(GATES), default="lstm")
    add_alone_option(parser)
    args = parser.parse_args()
    sequences, labels = make_data(args.steps)
    weights = weights_of(*mushin_model(args.cell))
    torch = torch_or_none()
    if args.time_only is not None:
        run, losses = (mushin_run(sequences, labels, weights, args.cell)
                       if args.time_only == "mushin"
                       else torch_run(torch, sequences, labels, weights, args.cell))
        seconds = best_time(run, args.repeats)
        report_alone(seconds, [float(loss) for loss in losses])
        return
    ours_report = alone("mushin")
    ours, ours_losses = ours_report["seconds"], ours_report["result"]
    theirs = None
    if torch is not None:
        their_report = alone("torch")
        theirs, their_losses = their_report["seconds"], their_report["result"]
        # Every run starts from the same weights, so each run ends on the same loss.
        np.testing.assert_allclose(ours_losses, their_losses, rtol=1e-3, atol=1e-4)
        print(f"  final loss: mushin {ours_losses[-1]:.6f}, PyTorch {their_losses[-1]:.6f}")
    floor = flops(args.steps, args.cell) / matmul_rate()
    report(f"{args.cell} {args.steps} steps", ours, theirs, floor=floor)


if __name__ == "__main__":
    main()
