"""Peak memory of the ``mlp`` benchmark's training epoch (784-256-256-10 ReLU MLP, softmax
cross-entropy, SGD with momentum, batch 128, 60,000 random float32 samples), mushin and
PyTorch: each runs in a fresh subprocess, which reports its peak resident memory during the
epoch minus its resident memory once the data set, the model and the batches are built, so
neither framework's allocations hide the other's and the data set itself does not count.

Each library first trains one small epoch (two batches), so that what it loads on first use
(PyTorch's lazily initialised kernels; mushin's fused CPU kernels, whose Numba and LLVM
runtime takes some 150 MiB) counts as the library, as its import does, not as the training's
memory. That one-time cost is printed apart ("runtime loaded at first use").

    python benchmarks/memory.py [--samples 60000] [--epochs 1]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
from typing import Any

from _common import machine, torch_or_none
from mlp import BATCH, make_data, mushin_epoch, torch_epoch

MIB = 1 << 20


def _status_kib(field: str) -> int | None:
    """A ``/proc/self/status`` figure in KiB (``VmRSS``, ``VmHWM``), None off Linux."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark to the current RSS (Linux 4.0+); whether it did."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def _peak_bytes() -> int:
    peak = _status_kib("VmHWM")
    if peak is not None:
        return peak * 1024
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss if sys.platform == "darwin" else maxrss * 1024  # bytes on macOS, else KiB


def _current_bytes() -> int:
    current = _status_kib("VmRSS")
    return current * 1024 if current is not None else _peak_bytes()


def child(framework: str, samples: int, epochs: int) -> None:
    """Run in the subprocess: build, measure, train, measure; print one JSON line."""
    torch = torch_or_none() if framework == "torch" else None

    def build(count: int) -> Any:
        images, labels, weights = make_data(count)
        if torch is None:
            return mushin_epoch(images, labels, weights)
        return torch_epoch(torch, images, labels, weights)

    cold = _current_bytes()
    build(2 * BATCH)()  # the runtime each library loads on first use
    warm = _current_bytes()
    epoch = build(samples)
    # without the reset, a peak reached while building (temporaries) would count as training
    exact = _reset_peak()
    before = _current_bytes()
    for _ in range(epochs):
        epoch()
    print(json.dumps({"before": before, "peak": _peak_bytes(), "exact": exact,
                      "runtime": warm - cold}))


def measure(framework: str, samples: int, epochs: int) -> dict[str, int]:
    """Run ``child`` for ``framework`` in a fresh interpreter and return its figures."""
    here = os.path.dirname(os.path.abspath(__file__))
    result = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--child", framework, "--samples",
         str(samples), "--epochs", str(epochs)],
        capture_output=True, text=True, check=True, cwd=here)
    figures: dict[str, int] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=60_000)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--child", choices=("mushin", "torch"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.samples, args.epochs)
        return
    print(f"[mlp epoch peak memory] {machine()}")
    growth = {}
    frameworks = ["mushin"] + (["torch"] if torch_or_none() is not None else [])
    for framework in frameworks:
        figures = measure(framework, args.samples, args.epochs)
        growth[framework] = figures["peak"] - figures["before"]
        note = "" if figures["exact"] else " (peak since start: no peak reset here)"
        name = "PyTorch" if framework == "torch" else framework
        print(f"  {name:7s}: {growth[framework] / MIB:8.1f} MiB over {figures['before'] / MIB:.1f}"
              f" MiB resident before training{note}; runtime loaded at first use "
              f"{figures['runtime'] / MIB:.1f} MiB")
    if "torch" in growth:
        print(f"  ratio mushin/PyTorch: {growth['mushin'] / max(growth['torch'], 1):.2f}")
    else:
        print("  PyTorch: not installed")


if __name__ == "__main__":
    main()
