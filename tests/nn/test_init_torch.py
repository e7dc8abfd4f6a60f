"""``mu.nn.init``'s PyTorch names (``uniform_``, ``kaiming_normal_``, ``orthogonal_``...) against
``torch.nn.init``: the same signatures, in-place fills of a layer's parameters, the spreads and
bounds PyTorch's give (compared on large tensors), exact fills, orthogonality, reproducibility
after ``mu.manual_seed``, a stand-in device and the errors."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import mushin as mu
from mushin._tensor import storage
from mushin.nn import init

torch = pytest.importorskip("torch")

NAMES = ["uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_",
         "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
         "orthogonal_", "dirac_", "sparse_", "calculate_gain"]


@pytest.mark.parametrize("name", NAMES)
def test_signatures_are_pytorchs(name: str) -> None:
    ours = inspect.signature(getattr(init, name)).parameters
    theirs = inspect.signature(getattr(torch.nn.init, name)).parameters
    assert list(ours) == list(theirs)
    assert [parameter.default for parameter in ours.values()] == [
        parameter.default for parameter in theirs.values()]


def test_gains_are_pytorchs() -> None:
    for nonlinearity in ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                         "conv_transpose2d", "conv_transpose3d", "sigmoid", "tanh", "relu",
                         "leaky_relu", "selu"]:
        assert init.calculate_gain(nonlinearity) == pytest.approx(
            torch.nn.init.calculate_gain(nonlinearity), rel=1e-15)
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(
        torch.nn.init.calculate_gain("leaky_relu", 0.2), rel=1e-15)


SHAPE = (300, 200)
CONV_SHAPE = (64, 32, 3, 3)
# name -> (mushin call, PyTorch call) on a tensor; compared by extremes and spread
RANDOM_FILLS: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "uniform_": (lambda t: init.uniform_(t, -0.3, 0.7),
                 lambda t: torch.nn.init.uniform_(t, -0.3, 0.7)),
    "normal_": (lambda t: init.normal_(t, 0.5, 2.0), lambda t: torch.nn.init.normal_(t, 0.5, 2.0)),
    "trunc_normal_": (lambda t: init.trunc_normal_(t, 0.2, 1.5, -1.0, 2.5),
                      lambda t: torch.nn.init.trunc_normal_(t, 0.2, 1.5, -1.0, 2.5)),
    "trunc_normal_-default": (init.trunc_normal_, torch.nn.init.trunc_normal_),
    "xavier_uniform_": (lambda t: init.xavier_uniform_(t, gain=2.0),
                        lambda t: torch.nn.init.xavier_uniform_(t, gain=2.0)),
    "xavier_normal_": (init.xavier_normal_, torch.nn.init.xavier_normal_),
    "kaiming_uniform_": (lambda t: init.kaiming_uniform_(t, a=math.sqrt(5)),
                         lambda t: torch.nn.init.kaiming_uniform_(t, a=math.sqrt(5))),
    "kaiming_normal_": (lambda t: init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"),
                        lambda t: torch.nn.init.kaiming_normal_(t, mode="fan_out",
                                                                nonlinearity="relu")),
}


@pytest.mark.parametrize("shape", [SHAPE, CONV_SHAPE], ids=["linear", "conv"])
@pytest.mark.parametrize("name", RANDOM_FILLS)
def test_random_fills_have_pytorchs_distribution(name: str, shape: tuple[int, ...]) -> None:
    ours_call, theirs_call = RANDOM_FILLS[name]
    mu.manual_seed(0)
    torch.manual_seed(0)
    ours = mu.zeros(shape, dtype="float64")
    assert ours_call(ours) is ours
    theirs = torch.zeros(shape, dtype=torch.float64)
    theirs_call(theirs)
    found, expected = ours.numpy(), theirs.numpy()
    np.testing.assert_allclose(found.mean(), expected.mean(), atol=0.03 * expected.std())
    np.testing.assert_allclose(found.std(), expected.std(), rtol=0.03)
    np.testing.assert_allclose([found.min(), found.max()], [expected.min(), expected.max()],
                               rtol=0.15 if "normal" in name and "trunc" not in name else 0.01)


def test_trunc_normal_stays_within_its_bounds() -> None:
    values = init.trunc_normal_(mu.zeros((1000,)), mean=1.0, std=3.0, a=0.5, b=1.2).numpy()
    assert values.min() >= 0.5 and values.max() <= 1.2
    assert values.dtype == np.float32


EXACT_FILLS: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "constant_": (lambda t: init.constant_(t, 0.25), lambda t: torch.nn.init.constant_(t, 0.25)),
    "ones_": (init.ones_, torch.nn.init.ones_),
    "zeros_": (init.zeros_, torch.nn.init.zeros_),
    "eye_": (init.eye_, torch.nn.init.eye_),
}


@pytest.mark.parametrize("shape", [(4, 6), (6, 4)])
@pytest.mark.parametrize("name", EXACT_FILLS)
def test_exact_fills_equal_pytorchs(name: str, shape: tuple[int, int]) -> None:
    ours_call, theirs_call = EXACT_FILLS[name]
    ours = mu.variable(np.full(shape, 7.0))
    theirs = torch.full(shape, 7.0)
    ours_call(ours)
    theirs_call(theirs)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("shape", [(8, 5), (5, 8), (6, 2, 3, 3), (4, 4)])
def test_orthogonal_gives_orthonormal_rows_or_columns(shape: tuple[int, ...]) -> None:
    weight = init.orthogonal_(mu.zeros(shape, dtype="float64"), gain=2.0)
    matrix = weight.numpy().reshape(shape[0], -1)
    small = min(matrix.shape)
    gram = matrix.T @ matrix if matrix.shape[0] >= matrix.shape[1] else matrix @ matrix.T
    np.testing.assert_allclose(gram, 4.0 * np.eye(small), atol=1e-12)


def test_fills_a_layers_parameters_in_place() -> None:
    layer = mu.nn.Linear(20, 30)
    weight, array = layer.weight, storage(layer.weight)
    init.kaiming_uniform_(weight, nonlinearity="relu")
    init.zeros_(layer.bias)
    assert layer.weight is weight and storage(weight) is array
    assert np.abs(array).max() <= math.sqrt(6 / 20) and np.abs(array).max() > 0
    np.testing.assert_array_equal(layer.bias.numpy(), np.zeros(30))


def test_draws_repeat_after_manual_seed() -> None:
    def draw() -> np.ndarray:
        mu.manual_seed(5)
        return np.concatenate([init.trunc_normal_(mu.zeros((10,))).numpy(),
                               init.orthogonal_(mu.zeros((3, 4))).numpy().ravel()])

    np.testing.assert_array_equal(draw(), draw())


def test_runs_on_a_device_like_on_the_cpu(device: str) -> None:
    for fill in (init.trunc_normal_, init.orthogonal_, init.eye_, init.kaiming_normal_):
        weight = mu.zeros((40, 30), dtype="float64", device=device)
        array = storage(weight)
        fill(weight)
        assert weight.device == device and storage(weight) is array
    np.testing.assert_array_equal(init.eye_(mu.zeros((3, 3), device=device)).numpy(), np.eye(3))
    np.testing.assert_array_equal(init.dirac_(mu.zeros((2, 2, 3), device=device)).numpy(),
                                  init.dirac_(mu.zeros((2, 2, 3))).numpy())
    sparse = init.sparse_(mu.zeros((10, 6), dtype="float64", device=device), 0.5).numpy()
    assert ((sparse == 0).sum(axis=0) == 5).all()
    mu.manual_seed(1)
    on_device = init.orthogonal_(mu.zeros((6, 4), dtype="float64", device=device)).numpy()
    gram = on_device.T @ on_device
    np.testing.assert_allclose(gram, np.eye(4), atol=1e-12)


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: init.orthogonal_(mu.zeros((4,))), ValueError, "orthogonal_: needs a tensor with "
                                                           "at least 2 axes"),
    (lambda: init.eye_(mu.zeros((2, 2, 2))), ValueError, "eye_: only 2-d tensors"),
    (lambda: init.uniform_(mu.zeros((2,)), generator=object()), TypeError,  # type: ignore[arg-type]
     "uniform_: mushin draws from its own generator"),
    (lambda: init.kaiming_normal_(mu.zeros((2, 2)), mode="fan"), ValueError,
     "mode must be 'fan_in' or 'fan_out'"),
    (lambda: init.trunc_normal_(mu.zeros((2,)), a=1.0, b=-1.0), ValueError,
     "trunc_normal_: needs std > 0 and a < b"),
    (lambda: init.constant_(mu.zeros((2,)), "1"), TypeError,  # type: ignore[arg-type]
     "constant_: val must be a number"),
    (lambda: init.calculate_gain("swish"), ValueError, "unknown nonlinearity 'swish'"),
])
def test_bad_arguments(call: Callable[[], Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize(("shape", "groups"), [((4, 3, 5), 1), ((6, 2, 3, 3), 2),
                                               ((4, 6, 3, 2, 5), 1), ((3, 3, 1, 1), 3)])
def test_dirac_equals_pytorchs_and_keeps_the_input(shape: tuple[int, ...], groups: int) -> None:
    ours = mu.variable(np.ones(shape))
    theirs = torch.ones(shape, dtype=torch.float64)
    assert init.dirac_(ours, groups) is ours
    torch.nn.init.dirac_(theirs, groups)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    if len(shape) == 4 and shape[0] == shape[1] * groups:  # a "same" convolution is identity
        x = np.random.default_rng(0).standard_normal((2, shape[1] * groups, 6, 6))
        conv = mu.nn.functional.conv2d(mu.constant(x), ours, padding="same", groups=groups)
        np.testing.assert_allclose(conv.numpy()[:, :shape[0]], x[:, :shape[0]])


def test_sparse_zeroes_that_many_rows_of_each_column() -> None:
    mu.manual_seed(3)
    weight = mu.variable(np.zeros((10, 40)))
    init.sparse_(weight, 0.3, std=0.5)
    values = weight.numpy()
    assert ((values == 0).sum(axis=0) == 3).all()  # ceil(0.3 * 10) rows in every column
    nonzero = values[values != 0]
    assert abs(nonzero.std() - 0.5) < 0.08 and abs(nonzero.mean()) < 0.1
    mu.manual_seed(3)
    again = mu.variable(np.zeros((10, 40)))
    np.testing.assert_array_equal(init.sparse_(again, 0.3, std=0.5).numpy(), values)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: init.dirac_(mu.variable(np.zeros((3, 3)))), "dirac_: only tensors with 3, 4, or 5"),
    (lambda: init.dirac_(mu.variable(np.zeros((3, 3, 3))), 2), r"dim 0 \(3\) must be divisible"),
    (lambda: init.sparse_(mu.variable(np.zeros((3, 3, 3))), 0.1), "sparse_: only 2-d"),
    (lambda: init.sparse_(mu.variable(np.zeros((3, 3))), 1.5), r"sparsity must be in \[0, 1\]"),
])
def test_dirac_and_sparse_refuse_bad_arguments(call: Callable[[], Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()
