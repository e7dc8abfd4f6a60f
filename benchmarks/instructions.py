"""Instructions per operation and per MLP training step, counted by valgrind's callgrind.

Wall-clock ratios on a shared 2-core VM move by tens of percent between identical runs;
instruction counts do not (the same total twice, whatever else the machine does), so this is
the check for a change that must not slow the library down: run it on the old and the new
tree and compare. Each figure is the difference between two runs of different lengths, so the
import and set-up costs cancel. OpenBLAS runs on one thread, whose counts are repeatable (its
idle threads spin, and callgrind counts the spinning) and string hashing is fixed
(PYTHONHASHSEED=0: set and dict orders, and so the work, vary with it).

    python benchmarks/instructions.py                 # the working tree
    python benchmarks/instructions.py --src OTHER/src # another checkout, e.g. a git worktree
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

WORKLOAD = """
import sys
import numpy as np
import mushin as mu
from mushin.nn import layers, losses, optimizers

def overhead(steps):
    x = mu.ones((1,))
    y = x
    for _ in range(steps):
        y = y * 1.0001 + 0.0
    y.backward()

def mlp(steps):
    mu.seed(0)
    model = mu.nn.Sequential(layers.Linear(784, 256), layers.ReLU(), layers.Linear(256, 256),
                             layers.ReLU(), layers.Linear(256, 10))
    optimizer = optimizers.SGD(model.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(0)
    x = mu.constant(rng.standard_normal((128, 784)).astype("float32"))
    target = mu.constant(rng.integers(0, 10, 128))
    for _ in range(steps):
        optimizer.zero_grad()
        losses.cross_entropy(model(x), target).backward()
        optimizer.step()

{"overhead": overhead, "mlp": mlp}[sys.argv[1]](int(sys.argv[2]))
"""


def count(script: Path, source: Path, workload: str, steps: int) -> int:
    """The instructions one run of ``workload`` for ``steps`` steps executes."""
    environment = {**os.environ, "PYTHONPATH": str(source), "OPENBLAS_NUM_THREADS": "1",
                   "PYTHONHASHSEED": "0"}
    with tempfile.TemporaryDirectory() as folder:
        result = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={folder}/out",
             sys.executable, str(script), workload, str(steps)],
            capture_output=True, text=True, env=environment, check=True)
    found = re.search(r"Collected : (\d+)", result.stderr)
    if found is None:
        raise SystemExit(f"callgrind printed no count:\n{result.stderr}")
    return int(found[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=ROOT / "src",
                        help="the folder holding the mushin package to count")
    arguments = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is needed (Debian: apt install valgrind)")
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "workload.py"
        script.write_text(WORKLOAD)
        # A first run compiles the fused CPU kernels into Numba's disk cache, which is kept
        # per source folder: otherwise the long run below, the first, would count the
        # compilation (about 2 billion instructions) and the short one only the loading.
        count(script, arguments.src, "mlp", 1)
        # (workload, operations per step, short run, long run); the mlp runs start after 7
        # steps, when one-time work is done (with the fused CPU kernels, 2 -> 7 steps counted
        # some 1.1 billion instructions of Numba's loading besides the steps)
        for workload, per_step, short, long in (("overhead", 2, 200, 2200), ("mlp", 1, 7, 12)):
            extra = (count(script, arguments.src, workload, long)
                     - count(script, arguments.src, workload, short))
            unit = "operation (forward + backward)" if workload == "overhead" else "training step"
            print(f"{workload:9s}: {extra / ((long - short) * per_step):14,.0f} instructions "
                  f"per {unit}")


if __name__ == "__main__":
    main()
