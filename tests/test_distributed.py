"""Tests of mu.distributed: collectives, DataParallel, sharding and fault behaviour.

The multi-process tests launch ``mpiexec -n N python tests/distributed_worker.py MODE``; each
rank checks its own results against values computed independently (see the worker) and prints
one line on success. They skip, saying why, where mpi4py or ``mpiexec`` is missing.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import mushin as mu
from mushin import distributed as dist
from mushin.nn.module import Module

WORKER = Path(__file__).with_name("distributed_worker.py")
HANG_GUARD_SECONDS = 60
"""How long a launch may take before the test fails as hung (the runs take 1-6 s)."""


def _mpiexec() -> str | None:
    beside_python = Path(sys.executable).with_name("mpiexec")
    if beside_python.exists():
        return str(beside_python)
    return shutil.which("mpiexec")


def launch(ranks: int, mode: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    """Run the worker on ``ranks`` processes; skip when MPI is not available here."""
    pytest.importorskip("mpi4py", reason="mu.distributed needs mpi4py (pip install "
                        "mushin[dist])")
    mpiexec = _mpiexec()
    if mpiexec is None:
        pytest.skip("no mpiexec found beside the Python interpreter or on PATH (pip install "
                    "mpich)")
    environment = {key: value for key, value in os.environ.items()
                   if key != dist.TIMEOUT_VARIABLE}
    return subprocess.run([mpiexec, "-n", str(ranks), sys.executable, str(WORKER), mode,
                           *arguments], capture_output=True, text=True, env=environment,
                          timeout=HANG_GUARD_SECONDS, check=False)


def assert_every_rank_succeeded(result: subprocess.CompletedProcess[str], ranks: int,
                                message: str) -> None:
    assert result.returncode == 0, result.stdout + result.stderr
    for rank in range(ranks):
        assert f"rank {rank}: {message}" in result.stdout, result.stdout + result.stderr


# --- in this process: no MPI world ---------------------------------------------------------

def test_import_mushin_does_not_import_mpi4py() -> None:
    code = ("import sys, mushin, mushin.distributed; "
            "assert 'mpi4py' not in sys.modules, 'mpi4py was imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=HANG_GUARD_SECONDS)


def test_functions_before_init_say_to_call_init() -> None:
    assert not dist.is_initialized()
    for call in (dist.rank, dist.world_size, dist.barrier,
                 lambda: dist.all_reduce(mu.zeros((2,))),
                 lambda: dist.DataParallel(Module())):
        with pytest.raises(RuntimeError, match=r"call mu\.distributed\.init\(\) first"):
            call()


@pytest.mark.parametrize(("arguments", "error", "match"), [
    ({"timeout": -1.0}, ValueError, "timeout must be a number of seconds >= 0"),
    ({"timeout": "5"}, TypeError, "timeout must be a number of seconds"),
    ({"device": 0}, TypeError, "device must be a string"),
    ({"backend": "gloo"}, ValueError, "backend must be 'mpi' or 'nccl'"),
    ({"backend": "nccl"}, ValueError, "the NCCL backend needs a CUDA device"),
])
def test_init_rejects_bad_arguments(arguments: dict[str, object], error: type[Exception],
                                    match: str) -> None:
    with pytest.raises(error, match=match):
        dist.init(**arguments)  # type: ignore[arg-type]
    assert not dist.is_initialized()


def test_init_rejects_a_bad_timeout_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(dist.TIMEOUT_VARIABLE, "ten seconds")
    with pytest.raises(ValueError, match=f"{dist.TIMEOUT_VARIABLE} must be a number"):
        dist.init()
    assert not dist.is_initialized()


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize(("length", "batch_size", "world_size"), [
    (0, 3, 2), (24, 3, 4), (25, 3, 4), (29, 3, 4), (27, 3, 4), (7, 1, 3), (5, 8, 2), (1, 1, 2),
])
def test_shard_ranges_split_each_global_batch(length: int, batch_size: int, world_size: int,
                                              drop_last: bool) -> None:
    shards = [dist.shard_ranges(length, batch_size, rank, world_size, drop_last)
              for rank in range(world_size)]
    steps = {len(ranges) for ranges in shards}
    assert len(steps) == 1, "every rank must take the same number of steps"
    global_batch = batch_size * world_size
    full, rest = divmod(length, global_batch)
    covers_rest = rest >= world_size and not drop_last
    assert steps == {full + covers_rest}
    for step in range(full + covers_rest):
        pieces = [shard[step] for shard in shards]
        rows = [row for start, stop in pieces for row in range(start, stop)]
        # Step k of all ranks together is the k-th batch of one process with the global size.
        assert rows == list(range(step * global_batch, min((step + 1) * global_batch, length)))
        assert all(stop > start for start, stop in pieces)
        if step < full:
            assert all(stop - start == batch_size for start, stop in pieces)
        else:
            sizes = [stop - start for start, stop in pieces]
            assert max(sizes) - min(sizes) <= 1


@pytest.mark.parametrize(("arguments", "error"), [
    ((10, 0, 0, 2), ValueError), ((10, 2, 2, 2), ValueError), ((-1, 2, 0, 2), ValueError),
    ((10, 2.0, 0, 2), TypeError), ((10, 2, True, 2), TypeError),
])
def test_shard_ranges_rejects_bad_arguments(arguments: tuple[object, ...],
                                            error: type[Exception]) -> None:
    with pytest.raises(error, match="shard_ranges"):
        dist.shard_ranges(*arguments)  # type: ignore[arg-type]


# --- under mpiexec -------------------------------------------------------------------------

@pytest.mark.parametrize("ranks", [2, 4])
def test_collectives(ranks: int) -> None:
    assert_every_rank_succeeded(launch(ranks, "collectives"), ranks, "collectives match")


@functools.cache
def hooks_run(ranks: int) -> subprocess.CompletedProcess[str]:
    """One launch of the worker's ``hooks`` checks on ``ranks`` processes, which several
    tests read (each check prints ``rank R: NAME passed`` or why it failed)."""
    return launch(ranks, "hooks")


@pytest.mark.parametrize("ranks", [2, 4])
def test_data_parallel_training_equals_one_process_on_the_whole_batch(ranks: int) -> None:
    # 20 SGD steps through model.backward(loss), with a parameter that gets no gradient.
    assert_every_rank_succeeded(hooks_run(ranks), ranks, "model.backward(loss) passed")


@pytest.mark.parametrize("ranks", [2, 4])
def test_plain_backward_averages_the_gradients_during_the_pass(ranks: int) -> None:
    # 20 SGD steps through loss.backward() equal one process on the global batches (1e-6,
    # float64); each bucket's all-reduce starts as soon as its last gradient is ready, and
    # the averaged gradients share no memory.
    assert_every_rank_succeeded(hooks_run(ranks), ranks, "plain loss.backward() passed")


@pytest.mark.parametrize("ranks", [2, 4])
def test_no_sync_accumulation_equals_one_big_batch(ranks: int) -> None:
    assert_every_rank_succeeded(hooks_run(ranks), ranks, "no_sync passed")


@pytest.mark.parametrize("ranks", [2, 4])
def test_a_parameter_without_gradient_is_reported_on_every_rank(ranks: int) -> None:
    assert_every_rank_succeeded(hooks_run(ranks), ranks, "missing gradients passed")


def test_disagreeing_collectives_and_loaders_raise_on_every_rank() -> None:
    result = hooks_run(2)
    assert_every_rank_succeeded(result, 2, "disagreements passed")
    same = ("every rank must pass a tensor of the same shape and dtype, with the same "
            "arguments")
    expected = {
        "all_reduce shape": "mu.distributed.all_reduce(): the ranks' calls differ: rank 0 "
        "passed a tensor of shape (2, 2, 2) and dtype float32, op 'sum'; rank 1 passed a "
        f"tensor of shape (2, 2, 2, 1) and dtype float32, op 'sum'; {same}",
        "all_reduce dtype": "rank 0 passed a tensor of shape (3,) and dtype float32, op 'sum'; "
        "rank 1 passed a tensor of shape (3,) and dtype float64, op 'sum'",
        "all_reduce op": "op 'sum'; rank 1 passed a tensor of shape (3,) and dtype float32, "
        "op 'max'",
        "broadcast shape": "mu.distributed.broadcast(): the ranks' calls differ: rank 0 "
        "passed a tensor of shape (2, 2) and dtype float32, root 0; rank 1 passed a tensor of "
        "shape (4,) and dtype float32, root 0",
        "broadcast root": "root 0; rank 1 passed a tensor of shape (2,) and dtype float32, "
        "root 1",
        "sharded loader": "DataLoader(shard=True): the ranks' loaders differ (rows: 8 on rank "
        "0, 9 on rank 1); every rank must give the same data set",
    }
    for rank in range(2):
        for case, message in expected.items():
            assert f"rank {rank}: {case}: " in result.stdout, result.stdout
            line = result.stdout.split(f"rank {rank}: {case}: ")[1].splitlines()[0]
            assert message in line, line


def test_data_parallel_on_a_device_stages_through_the_host() -> None:
    assert_every_rank_succeeded(launch(2, "device"), 2, "device training matches")


def test_sharded_loader_gives_disjoint_complete_shards() -> None:
    assert_every_rank_succeeded(launch(3, "shard"), 3, "shards are disjoint and complete")


def test_model_mismatch_is_reported_on_every_rank() -> None:
    result = launch(3, "mismatch")
    assert result.returncode == 3, result.stdout + result.stderr
    expected = ("DataParallel: the model differs between ranks: parameter 'w1' has shape "
                "(5, 7) and dtype float64 on rank 0 but shape (5, 8) and dtype float64 on "
                "rank 2")
    for rank in range(3):
        assert f"rank {rank}: {expected} (reported on rank {rank})" in result.stdout, (
            result.stdout + result.stderr)


def test_a_rank_that_raises_makes_the_others_time_out() -> None:
    result = launch(3, "fault-raise", "5")
    assert result.returncode != 0
    assert "ValueError: injected failure on rank 1" in result.stderr
    for rank in (0, 2):
        assert (f"DataParallel.backward timed out after 5 s on rank {rank} of 3: "
                "another rank has probably failed") in result.stderr, result.stderr


def test_abort_on_error_stops_every_rank_at_once() -> None:
    result = launch(3, "fault-abort", "30")
    assert result.returncode != 0
    assert "ValueError: injected failure on rank 1" in result.stderr
    assert "uncaught ValueError on rank 1: aborting all 3 ranks" in result.stderr
    assert "timed out" not in result.stderr


def test_a_hung_rank_is_ended_by_the_others_timing_out() -> None:
    # Rank 1 sleeps for 120 s; the others time out after 5 s and abort the job, which must
    # therefore end well within HANG_GUARD_SECONDS.
    result = launch(3, "fault-hang", "5")
    assert result.returncode != 0
    assert "uncaught DistributedError on rank 0: aborting all 3 ranks" in result.stderr or (
        "uncaught DistributedError on rank 2: aborting all 3 ranks" in result.stderr)
    assert "injected failure" not in result.stderr

