"""The examples run as a user runs them, and do what their docstrings promise.

``examples/digits.py`` is the README's main job: a short run must train, report its accuracy,
reload its checkpoint with identical predictions and write its PNG. The data-parallel
``examples/digits_distributed.py`` on two MPI ranks must reach the accuracy of the same
script on one process (the issue's correctness bar for data parallelism). The crate's two
small examples must run and learn.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from test_distributed import HANG_GUARD_SECONDS, _mpiexec

import mushin as mu

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _run(*command: str, timeout: float = 300) -> str:
    result = subprocess.run(list(command), capture_output=True, text=True, timeout=timeout,
                            check=False, cwd=EXAMPLES.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _accuracy(output: str) -> float:
    found = re.findall(r"test accuracy: ([0-9.]+) %", output)
    assert found, output
    return float(found[-1])


def test_main_job_trains_checkpoints_and_plots(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    pytest.importorskip("matplotlib")
    pytest.importorskip("tqdm")
    output = _run(sys.executable, str(EXAMPLES / "digits.py"), "--epochs", "8",
                  "--out", str(tmp_path))
    assert _accuracy(output) >= 90.0, output
    assert "reloaded: identical predictions" in output
    figure = tmp_path / "digits.png"
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    state = mu.load(tmp_path / "digits.safetensors")
    assert state["0.weight"].shape == (16, 1, 3, 3)
    assert state["9.weight"].shape == (10, 64)


def test_distributed_example_matches_the_single_process_accuracy() -> None:
    pytest.importorskip("mpi4py")
    pytest.importorskip("sklearn")
    mpiexec = _mpiexec()
    if mpiexec is None:
        pytest.skip("no mpiexec found beside the Python interpreter or on PATH")
    script = str(EXAMPLES / "digits_distributed.py")
    alone = _accuracy(_run(sys.executable, script, "--epochs", "10"))
    together = _accuracy(_run(mpiexec, "-n", "2", sys.executable, script, "--epochs", "10",
                              timeout=2 * HANG_GUARD_SECONDS))
    assert alone >= 90.0
    assert abs(together - alone) <= 1.0, (alone, together)


def test_seed_linear_example_lowers_its_loss() -> None:
    output = _run(sys.executable, str(EXAMPLES / "seed_linear.py"))
    losses = [float(value) for value in re.findall(r"loss ([0-9.]+)", output)]
    assert len(losses) == 5
    assert losses[-1] < losses[0]


def test_perceptron_example_runs() -> None:
    assert _run(sys.executable, str(EXAMPLES / "perceptron.py")).strip()
