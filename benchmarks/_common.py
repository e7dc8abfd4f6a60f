"""Shared pieces of the benchmarks: timing, the machine's matmul rate, PyTorch if present."""

from __future__ import annotations

import os
import platform
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
