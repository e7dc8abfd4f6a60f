"""Per-operation overhead: 10,000 times ``y = y * 1.0001 + 0.0`` on a shape (1,) Variable,
then ``backward()``; microseconds per operation (forward and backward together), for mushin
and, when importable, PyTorch in the same run.

    python benchmarks/overhead.py [--steps N] [--repeats R]
"""

from __future__ import annotations

import argparse
import time

import mushin as mu


def run_mushin(steps: int) -> float:
    x = mu.ones((1,))
    start = time.perf_counter()
    y = x
    for _ in range(steps):
        y = y * 1.0001 + 0.0
    y.backward()
    elapsed = time.perf_counter() - start
    expected = 1.0001 ** steps
    assert abs(x.grad().item() - expected) < 1e-3 * expected, "wrong gradient"
    return elapsed / (2 * steps) * 1e6


def run_torch(steps: int) -> float | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    x = torch.ones(1, requires_grad=True)
    start = time.perf_counter()
    y = x
    for _ in range(steps):
        y = y * 1.0001 + 0.0
    y.backward()
    elapsed = time.perf_counter() - start
    return elapsed / (2 * steps) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    ours = min(run_mushin(args.steps) for _ in range(args.repeats))
    print(f"mushin : {ours:6.2f} us per operation (forward + backward)")
    theirs_runs = [run_torch(args.steps) for _ in range(args.repeats)]
    if theirs_runs[0] is None:
        print("PyTorch: not installed")
        return
    theirs = min(t for t in theirs_runs if t is not None)
    print(f"PyTorch: {theirs:6.2f} us per operation (forward + backward)")
    print(f"ratio mushin/PyTorch: {ours / theirs:.2f}")


if __name__ == "__main__":
    main()
