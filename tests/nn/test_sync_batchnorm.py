"""``nn.SyncBatchNorm``: in one process exactly ``BatchNorm`` and PyTorch's ``SyncBatchNorm``
(values, gradients, running statistics, evaluation, state dicts); the synchronised path in
this process through a stand-in group of two identical ranks (against ``BatchNorm`` over the
doubled batch); ``convert_sync_batchnorm`` as PyTorch's; the errors; the stand-in GPU device;
and three MPI ranks with uneven shares of a batch against one ``BatchNorm`` over all of it,
alone and in a converted model trained under ``mu.distributed.DataParallel``
(``sync_batchnorm_worker.py``; skipped, saying why, without mpi4py or ``mpiexec``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from layer_oracle import assert_same_state, compare, copy_parameters, torch

import mushin as mu
from mushin import nn

WORKER = Path(__file__).with_name("sync_batchnorm_worker.py")


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


@pytest.mark.parametrize(("shape", "options"), [
    ((5, 3), {}), ((4, 3, 6), {"momentum": None}), ((2, 3, 4, 5), {"eps": 1e-3}),
    ((2, 3, 2, 3, 2), {"affine": False}), ((3, 3, 2, 2, 2, 2), {"track_running_stats": False}),
])
def test_one_process_is_batch_norm_and_pytorchs_sync_batch_norm(
        shape: tuple[int, ...], options: dict[str, Any]) -> None:
    ours = nn.SyncBatchNorm(3, **options).double()
    theirs = torch.nn.SyncBatchNorm(3, **options).double()
    assert_same_state(ours, theirs)
    if ours.weight is not None:
        with torch.no_grad():
            theirs.weight.uniform_(0.5, 1.5)
            theirs.bias.uniform_(-1, 1)
        copy_parameters(ours, theirs)
    for step in range(2):
        x = _rng(step).standard_normal(shape) * 2 + 1
        compare(lambda a: ours(a), lambda a: theirs(a), [x], seed=step)
        assert_same_state(ours, theirs)
    ours.eval()
    theirs.eval()
    x = _rng(5).standard_normal(shape)
    compare(lambda a: ours(a), lambda a: theirs(a), [x])


class _TwinGroup:
    """A stand-in process group of two ranks holding the same values: its all-reduce
    doubles the array (the test of the synchronised path without MPI)."""

    size = 2

    def start_all_reduce(self, array: Any, op: str) -> Any:
        assert op == "sum"
        array *= 2
        return None

    def finish(self, pending: Any, operation: str) -> None:
        assert operation == "SyncBatchNorm"


@pytest.mark.parametrize(("shape", "momentum"), [((4, 3), 0.1), ((2, 3, 5), None),
                                                 ((2, 3, 2, 2), 0.5)])
def test_synchronised_path_is_batch_norm_over_every_ranks_rows(
        shape: tuple[int, ...], momentum: float | None) -> None:
    """Two ranks with one batch: the statistics (and the running ones) are those of the
    doubled batch, and each rank's input gradient is its half of the doubled batch's."""
    rng = _rng(len(shape))
    layer = nn.SyncBatchNorm(3, momentum=momentum, process_group=_TwinGroup()).double()
    reference = nn.BatchNorm1d(3, momentum=momentum).double() if len(shape) < 4 else (
        nn.BatchNorm2d(3, momentum=momentum).double())
    state = {"weight": rng.standard_normal(3), "bias": rng.standard_normal(3)}
    layer.load_state_dict(state, strict=False)
    reference.load_state_dict(state, strict=False)
    for _ in range(2):
        x = rng.standard_normal(shape)
        cotangent = rng.standard_normal(shape)
        mine = mu.variable(x)
        output = layer(mine)
        (output * mu.constant(cotangent)).sum().backward()
        doubled = mu.variable(np.concatenate([x, x]))
        expected = reference(doubled)
        (expected * mu.constant(np.concatenate([cotangent, cotangent]))).sum().backward()
        half = slice(0, shape[0])
        np.testing.assert_allclose(output.numpy(), expected.numpy()[half], rtol=1e-12)
        np.testing.assert_allclose(mine.grad().numpy(), doubled.grad().numpy()[half],
                                   rtol=1e-10, atol=1e-12)
        # each rank's parameter gradient is its half of the whole one
        for parameter, wanted in zip(layer.parameters(), reference.parameters(), strict=True):
            np.testing.assert_allclose(2 * parameter.grad().numpy(), wanted.grad().numpy(),
                                       rtol=1e-10, atol=1e-12)
            parameter.reset()
            wanted.reset()
        for buffer, wanted_buffer in zip(layer.buffers(), reference.buffers(), strict=True):
            np.testing.assert_allclose(buffer.numpy(), wanted_buffer.numpy(), rtol=1e-12)


def test_second_derivatives_through_the_synchronised_statistics() -> None:
    """The all-reduce's VJP is itself recorded: a gradient of a gradient matches the doubled
    batch's."""
    x = _rng(3).standard_normal((3, 2, 4))
    results = []
    for layer, value in ((nn.SyncBatchNorm(2, process_group=_TwinGroup()).double(), x),
                         (nn.BatchNorm1d(2).double(), np.concatenate([x, x]))):
        leaf = mu.variable(value)
        (layer(leaf) ** 3).sum().backward(create_graph=True)
        first = leaf.grad()
        leaf.reset()
        (first ** 2).sum().backward()
        results.append(leaf.grad().numpy()[:3])
    np.testing.assert_allclose(results[0], results[1], rtol=1e-9, atol=1e-10)


def test_a_group_of_one_rank_or_evaluation_does_not_synchronise() -> None:
    class Alone(_TwinGroup):
        size = 1

        def start_all_reduce(self, array: Any, op: str) -> Any:
            raise AssertionError("a group of one rank must not be reduced over")

    x = _rng(1).standard_normal((4, 3))
    alone = nn.SyncBatchNorm(3, process_group=Alone()).double()
    np.testing.assert_array_equal(alone(mu.constant(x)).numpy(),
                                  nn.BatchNorm1d(3).double()(mu.constant(x)).numpy())
    twins = nn.SyncBatchNorm(3, process_group=Alone()).double().eval()
    np.testing.assert_array_equal(twins(mu.constant(x)).numpy(),
                                  nn.BatchNorm1d(3).double().eval()(mu.constant(x)).numpy())


def test_convert_sync_batchnorm_as_pytorchs() -> None:
    ours = nn.Sequential(nn.Conv2d(2, 3, 1), nn.BatchNorm2d(3, momentum=0.2),
                         nn.Sequential(nn.BatchNorm1d(3, affine=False), nn.ReLU()))
    theirs = torch.nn.Sequential(
        torch.nn.Conv2d(2, 3, 1), torch.nn.BatchNorm2d(3, momentum=0.2),
        torch.nn.Sequential(torch.nn.BatchNorm1d(3, affine=False), torch.nn.ReLU()))
    ours[2].eval()
    theirs[2].eval()
    weight = ours[1].weight
    running = ours[2][0].running_mean
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(ours)
    expected = torch.nn.SyncBatchNorm.convert_sync_batchnorm(theirs)
    assert converted is ours
    assert [type(module).__name__.replace("2D", "2d") for module in converted.modules()] == [
        type(module).__name__ for module in expected.modules()]
    assert converted[1].weight is weight and converted[2][0].running_mean is running
    assert converted[1].momentum == 0.2 and not converted[2][0].affine
    assert converted[1].training and not converted[2][0].training
    assert list(converted.state_dict()) == list(expected.state_dict())
    # a batch normalisation given alone comes back converted
    single = nn.SyncBatchNorm.convert_sync_batchnorm(nn.BatchNorm1d(4))
    assert type(single) is nn.SyncBatchNorm and single.num_features == 4


def test_errors_name_the_layer() -> None:
    layer = nn.SyncBatchNorm(3)
    with pytest.raises(mu.ShapeError, match=r"SyncBatchNorm: expected an input of shape "
                                            r"\(N, C, \*\) with C = 3, got shape \(3,\)"):
        layer(mu.ones(3))
    synchronised = nn.SyncBatchNorm(3, process_group=_TwinGroup())
    with pytest.raises(mu.ShapeError, match=r"SyncBatchNorm: expected an input of shape "
                                            r"\(N, C, \*\) with C = 3, got shape \(2, 4\)"):
        synchronised(mu.ones(2, 4))
    with pytest.raises(ValueError, match="SyncBatchNorm: expected more than 1 value per "
                                         "channel over the ranks"):
        nn.SyncBatchNorm(3, process_group=type("One", (_TwinGroup,), {
            "start_all_reduce": lambda self, array, op: None})())(mu.ones(1, 3))


def test_runs_on_a_device_like_on_the_cpu(device: str) -> None:
    x = _rng(6).standard_normal((3, 2, 4))
    results = {}
    for where in ("cpu", device):
        layer = nn.SyncBatchNorm(2, process_group=_TwinGroup()).double().to(where)
        value = mu.variable(x, dtype="float64", device=where)
        output = layer(value)
        assert output.device == where
        (output * mu.constant(_rng(7).standard_normal(x.shape), device=where)).sum().backward()
        results[where] = [output.numpy(), value.grad().numpy(),
                          *(parameter.grad().numpy() for parameter in layer.parameters()),
                          *(buffer.numpy() for buffer in layer.buffers())]
    for found, expected in zip(results[device], results["cpu"], strict=True):
        np.testing.assert_allclose(found, expected, rtol=1e-10, atol=1e-12)


def _mpiexec() -> str | None:
    beside_python = Path(sys.executable).with_name("mpiexec")
    return str(beside_python) if beside_python.exists() else shutil.which("mpiexec")


def test_three_ranks_train_as_one_batch_norm_over_the_whole_batch() -> None:
    pytest.importorskip("mpi4py", reason="mu.distributed needs mpi4py (pip install "
                        "mushin[dist])")
    mpiexec = _mpiexec()
    if mpiexec is None:
        pytest.skip("no mpiexec found beside the Python interpreter or on PATH")
    environment = {key: value for key, value in os.environ.items()
                   if key != "MUSHIN_DIST_TIMEOUT"}
    result = subprocess.run([mpiexec, "-n", "3", sys.executable, str(WORKER)],
                            capture_output=True, text=True, env=environment, timeout=120,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    for rank in range(3):
        assert f"rank {rank}: sync batchnorm ok" in result.stdout, result.stdout + result.stderr
