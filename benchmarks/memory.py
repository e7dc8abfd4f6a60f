"""Peak memory of training, mushin and PyTorch, on each benchmark's workload: the ``mlp``
epoch (784-256-256-10 ReLU MLP, softmax cross-entropy, SGD with momentum, batch 128, 60,000
random float32 samples), the ``cnn`` run (100 steps), the ``lstm`` run (50 steps) and 20 steps
of the ``gpt`` model (``gpt.py``'s nanoGPT, AdamW). Each library runs in a fresh subprocess,
which reports its peak resident memory while it builds the workload's data and model and
trains, minus its resident memory just before: the data, the model, the optimizer's state and
the training's working memory, as a program needs them, without the library itself.

Each library first trains the same workload on a model of its own with batches of two
samples, so that what it loads on first use (PyTorch's lazily initialised kernels; mushin's
fused CPU kernels, whose Numba and LLVM runtime takes some 120 to 150 MiB) counts as the
library, as its import does, not as the training's memory; the tiny batches leave little
working memory behind. That one-time cost is printed apart ("runtime loaded at first use").

    python benchmarks/memory.py [--workload mlp cnn lstm gpt] [--samples 60000] [--epochs 1]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import os
import resource
import subprocess
import sys
from collections.abc import Callable
from typing import Any, cast

from _common import machine, torch_or_none

MIB = 1 << 20
WORKLOADS = {"mlp": "mlp epoch (60,000 samples)", "cnn": "cnn (100 steps)",
             "lstm": "lstm (50 steps)", "gpt": "gpt (20 steps)"}


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


def _trainer(workload: str, torch: Any, samples: int) -> Callable[[bool], Callable[[], Any]]:
    """``make(small)``: a training run of ``workload`` for ``torch`` (None: mushin), ready
    to call. ``small``: the warm-up's, on a model of its own with batches of two samples, so
    that it loads what the library loads on first use but leaves no batch-sized temporaries
    (mushin keeps freed memory for reuse, ``mushin/_allocator.py``: a full-size warm-up would
    leave the training's own working memory resident before the measure starts)."""
    library = "mushin" if torch is None else "torch"
    if workload == "gpt":
        import gpt

        _, vocab = gpt.text()

        def make_gpt(small: bool) -> Callable[[], Any]:
            with contextlib.redirect_stdout(io.StringIO()):  # the model's, optimizer's reports
                module = gpt.example(library)
                model = module.GPT(module.GPTConfig(vocab_size=vocab, **gpt.SIZES))
                optimizer = model.configure_optimizers(0.1, gpt.LEARNING_RATE, (0.9, 0.99),
                                                       "cpu")
            steps = 2 if small else 20
            data = gpt.batches(library, gpt.SIZES, steps, 2 if small else gpt.BATCH)
            run = gpt.train_steps(model, optimizer, data)
            return lambda: run(steps)

        return make_gpt
    module = importlib.import_module(workload)
    full_batch = module.BATCH
    weights = None
    if workload == "cnn":
        weights = {name: value.numpy()
                   for name, value in module.mushin_model().state_dict().items()}
    elif workload == "lstm":
        weights = module.weights_of(*module.mushin_model())

    def make(small: bool) -> Callable[[], Any]:
        # the scripts read their module's BATCH when they cut the batches
        module.BATCH = 2 if small else full_batch
        try:
            if workload == "mlp":
                images, labels, initial = module.make_data(4 if small else samples)
                if torch is None:
                    return cast(Callable[[], Any], module.mushin_epoch(images, labels, initial))
                return cast(Callable[[], Any], module.torch_epoch(torch, images, labels, initial))
            data = module.make_data(2 if small else 100 if workload == "cnn" else 50)  # steps
            if torch is None:
                return cast(Callable[[], Any], module.mushin_run(*data, weights)[0])
            return cast(Callable[[], Any], module.torch_run(torch, *data, weights)[0])
        finally:
            module.BATCH = full_batch

    return make


def child(workload: str, framework: str, samples: int, epochs: int) -> None:
    """Run in the subprocess: build, measure, train, measure; print one JSON line."""
    torch = torch_or_none() if framework == "torch" else None
    make = _trainer(workload, torch, samples)
    cold = _current_bytes()
    make(True)()  # the runtime each library loads on first use
    warm = _current_bytes()
    # The window holds building the data and the model as well as training: memory freed
    # while building (the data's temporaries) and kept by the allocator would otherwise serve
    # the training unseen, by chance more for one library than the other.
    exact = _reset_peak()
    before = _current_bytes()
    train = make(False)
    for _ in range(epochs):
        train()
    print(json.dumps({"before": before, "peak": _peak_bytes(), "exact": exact,
                      "runtime": warm - cold}))


def measure(workload: str, framework: str, samples: int, epochs: int) -> dict[str, int]:
    """Run ``child`` for ``framework`` in a fresh interpreter and return its figures."""
    here = os.path.dirname(os.path.abspath(__file__))
    result = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--child", framework, "--workload",
         workload, "--samples", str(samples), "--epochs", str(epochs)],
        capture_output=True, text=True, check=True, cwd=here)
    figures: dict[str, int] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", nargs="+", choices=WORKLOADS, default=list(WORKLOADS))
    parser.add_argument("--samples", type=int, default=60_000, help="the mlp epoch's samples")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--child", choices=("mushin", "torch"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.workload[0], args.child, args.samples, args.epochs)
        return
    print(f"[peak memory of training] {machine()}")
    frameworks = ["mushin"] + (["torch"] if torch_or_none() is not None else [])
    for workload in args.workload:
        print(f"  {WORKLOADS[workload]}:")
        growth = {}
        for framework in frameworks:
            figures = measure(workload, framework, args.samples, args.epochs)
            growth[framework] = figures["peak"] - figures["before"]
            note = "" if figures["exact"] else " (peak since start: no peak reset here)"
            name = "PyTorch" if framework == "torch" else framework
            print(f"    {name:7s}: {growth[framework] / MIB:8.1f} MiB over "
                  f"{figures['before'] / MIB:.1f} MiB resident before{note}; runtime "
                  f"loaded at first use {figures['runtime'] / MIB:.1f} MiB")
        if "torch" in growth:
            print(f"    ratio mushin/PyTorch: {growth['mushin'] / max(growth['torch'], 1):.2f}")
        else:
            print("    PyTorch: not installed")


if __name__ == "__main__":
    main()
