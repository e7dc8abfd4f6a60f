"""Shared pieces of the benchmarks: timing, the machine's matmul rate, PyTorch if present,
and running each library's timed part in a process of its own."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np


def best_time(run: Callable[[], Any], repeats: int) -> float:
    """The fastest of ``repeats`` runs of ``run``, in seconds (after one warm-up run)."""
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def matmul_rate(size: int = 2048) -> float:
    """The machine's float32 matrix-product rate through NumPy, in FLOP/s."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size), dtype=np.float32)
    b = rng.standard_normal((size, size), dtype=np.float32)
    seconds = best_time(lambda: a @ b, 5)
    return 2 * size**3 / seconds


def torch_or_none() -> Any:
    """PyTorch, set to use every core, or None where it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(os.cpu_count() or 1)
    return torch


def machine() -> str:
    """A one-line description of the machine and the library versions."""
    torch = torch_or_none()
    versions = f"numpy {np.__version__}" + (f", torch {torch.__version__}" if torch else "")
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {versions}"


def report(name: str, ours: float, theirs: float | None, unit: str = "s",
           floor: float | None = None) -> None:
    """Print mushin's and PyTorch's figures, their ratio and the physical floor if known."""
    print(f"[{name}] {machine()}")
    print(f"  mushin : {ours:10.4f} {unit}")
    if theirs is None:
        print("  PyTorch: not installed")
    else:
        print(f"  PyTorch: {theirs:10.4f} {unit}")
        print(f"  ratio mushin/PyTorch: {ours / theirs:.2f}")
    if floor is not None:
        print(f"  matmul floor: {floor:.4f} {unit} (mushin at {ours / floor:.2f}x the floor)")


ALONE = "--time-only"
"""The flag with which a benchmark script re-runs itself to time one library only."""


def add_alone_option(parser: argparse.ArgumentParser) -> None:
    """The hidden option ``--time-only mushin|torch`` that :func:`alone` passes."""
    parser.add_argument(ALONE, choices=("mushin", "torch"), help=argparse.SUPPRESS)


def alone(library: str) -> dict[str, Any]:
    """Run this script again in a new process that times only ``library`` and reports with
    :func:`report_alone`; its report.

    Each library then starts from a fresh process, as a user's program does. In one process
    the first library's allocations change glibc's allocator for the second (a large block
    freed back to the system raises the size below which later blocks stay on the heap), so
    the second may run faster or slower than it would on its own: seen as 0.46 s against
    0.63 s for PyTorch's CNN steps, depending on what ran before.
    """
    command = [sys.executable, sys.argv[0], *sys.argv[1:], ALONE, library]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"timing {library} alone failed:\n{result.stdout}{result.stderr}")
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


def report_alone(seconds: float, result: Any = None) -> None:
    """What a process started by :func:`alone` prints last: its time and a JSON-able result
    (a final loss, say) that the parent compares between the libraries."""
    print(json.dumps({"seconds": seconds, "result": result}))
