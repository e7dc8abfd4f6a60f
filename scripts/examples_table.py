"""Run the ported PyTorch programs of ``examples/`` and their PyTorch twins; print the README's
table.

Each ported example is a PyTorch program with ``torch`` renamed to ``mu``; its twin is the same
source with the imports put back (``tests/examples/twin.py``). This script writes every twin
into a temporary folder, runs each program and its twin with their default settings one after
the other on this machine, reads the ``result:`` and ``time:`` lines they print, and prints a
Markdown table for README.md. It needs PyTorch installed (the twins import it).

    .venv/bin/python scripts/examples_table.py [--only gpt,mnist] [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "examples"))
from twin import twin_source  # noqa: E402

PROGRAMS = {
    # name: what the original is (pytorch/examples folder, or nanoGPT)
    "gpt": "nanoGPT model.py + a char-level train loop",
    "mnist": "mnist",
    "word_language_model": "word_language_model (LSTM)",
    "vae": "vae",
    "dcgan": "dcgan",
    "time_sequence_prediction": "time_sequence_prediction",
    "regression": "regression",
    "mnist_rnn": "mnist_rnn",
    "reinforce": "reinforcement_learning/reinforce.py",
    "actor_critic": "reinforcement_learning/actor_critic.py",
}


def run(script: Path, threads: int) -> tuple[str, float]:
    """The ``result:`` value and the ``time:`` seconds ``script`` prints."""
    environment = dict(os.environ, OMP_NUM_THREADS=str(threads),
                       OPENBLAS_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          cwd=ROOT, env=environment, check=False)
    if done.returncode:
        raise SystemExit(f"{script} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    result = re.findall(r"^result: (.+)$", done.stdout, re.MULTILINE)
    seconds = re.findall(r"^time: ([0-9.]+) s$", done.stdout, re.MULTILINE)
    if not result or not seconds:
        raise SystemExit(f"{script} printed no 'result:' and 'time:' lines:\n{done.stdout}")
    return result[-1], float(seconds[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated program names")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    names = [name for name in args.only.split(",") if name] or list(PROGRAMS)
    rows = ["| program (original) | PyTorch result | mushin result | PyTorch s | mushin s | "
            "ratio |", "| --- | --- | --- | ---: | ---: | ---: |"]
    with tempfile.TemporaryDirectory() as folder:
        twins = Path(folder)
        for source in (ROOT / "examples").glob("*.py"):
            (twins / source.name).write_text(twin_source(source.read_text()))
        for name in names:
            theirs, their_time = run(twins / f"{name}.py", args.threads)
            ours, our_time = run(ROOT / "examples" / f"{name}.py", args.threads)
            rows.append(f"| `examples/{name}.py` ({PROGRAMS[name]}) | {theirs} | {ours} | "
                        f"{their_time:.1f} | {our_time:.1f} | {our_time / their_time:.2f} |")
            print(rows[-1], flush=True)
    print("\n".join(rows))


if __name__ == "__main__":
    main()
