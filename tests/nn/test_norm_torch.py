"""The normalisations against PyTorch in float64: ``F.batch_norm``, ``F.instance_norm``
(training and evaluation, running statistics updated in place), ``F.group_norm``,
``F.layer_norm``, ``F.rms_norm`` and ``F.local_response_norm`` (values and the gradients of
the input, the weight and the bias); the layers ``BatchNorm1d/2d/3d``,
``InstanceNorm1d/2d/3d``, ``GroupNorm``, ``LayerNorm``, ``RMSNorm`` and
``LocalResponseNorm`` (state dicts, running statistics over a few training steps, eval
behaviour, reprs); the errors; and a run on the stand-in GPU device."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from layer_oracle import (
    assert_gradients_equal,
    assert_same_state,
    compare,
    copy_parameters,
    torch,
)

import mushin as mu
import mushin.nn.functional as F
from mushin import nn

TF = torch.nn.functional


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


# --- the functions ------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 6), (2, 3, 4, 5), (2, 3, 2, 3, 2)])
@pytest.mark.parametrize("momentum", [0.1, 0.3])
def test_batch_norm_training_matches_torch(shape: tuple[int, ...], momentum: float) -> None:
    rng = _rng(len(shape))
    x = rng.standard_normal(shape) * 2 + 1
    weight, bias = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])
    running = [rng.standard_normal(shape[1]), rng.random(shape[1]) + 0.5]
    ours = [mu.constant(array.copy()) for array in running]
    theirs = [torch.tensor(array.copy()) for array in running]
    compare(lambda a, w, b: F.batch_norm(a, *ours, w, b, True, momentum, 1e-3),
            lambda a, w, b: TF.batch_norm(a, *theirs, w, b, True, momentum, 1e-3),
            [x, weight, bias])
    for mine, other in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(mine.numpy(), other.numpy(), rtol=1e-12)
    # without running statistics, and without the affine parameters
    compare(lambda a: F.batch_norm(a, None, None, training=True),
            lambda a: TF.batch_norm(a, None, None, training=True), [x])


@pytest.mark.parametrize("shape", [(5, 3), (2, 3, 4), (2, 3, 4, 5)])
def test_batch_norm_evaluation_matches_torch(shape: tuple[int, ...]) -> None:
    rng = _rng(7)
    mean, var = rng.standard_normal(shape[1]), rng.random(shape[1]) + 0.5
    arrays = [rng.standard_normal(shape), rng.standard_normal(shape[1]),
              rng.standard_normal(shape[1])]
    compare(lambda a, w, b: F.batch_norm(a, mu.constant(mean), mu.constant(var), w, b),
            lambda a, w, b: TF.batch_norm(a, torch.tensor(mean), torch.tensor(var), w, b),
            arrays)
    compare(lambda a, b: F.batch_norm(a, mean, var, bias=b, eps=0.1),
            lambda a, b: TF.batch_norm(a, torch.tensor(mean), torch.tensor(var), bias=b,
                                       eps=0.1), [arrays[0], arrays[2]])


@pytest.mark.parametrize("shape", [(2, 3, 5), (3, 2, 4, 3), (2, 2, 2, 3, 2)])
def test_instance_norm_matches_torch(shape: tuple[int, ...]) -> None:
    rng = _rng(sum(shape))
    x = rng.standard_normal(shape) * 3 - 1
    weight, bias = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])
    compare(lambda a, w, b: F.instance_norm(a, weight=w, bias=b),
            lambda a, w, b: TF.instance_norm(a, weight=w, bias=b), [x, weight, bias])
    running = [rng.standard_normal(shape[1]), rng.random(shape[1]) + 0.5]
    ours = [mu.constant(array.copy()) for array in running]
    theirs = [torch.tensor(array.copy()) for array in running]
    compare(lambda a: F.instance_norm(a, *ours, momentum=0.2, eps=1e-3),
            lambda a: TF.instance_norm(a, *theirs, momentum=0.2, eps=1e-3), [x])
    for mine, other in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(mine.numpy(), other.numpy(), rtol=1e-12)
    compare(lambda a, w: F.instance_norm(a, *ours, w, use_input_stats=False),
            lambda a, w: TF.instance_norm(a, *theirs, w, use_input_stats=False), [x, weight])


@pytest.mark.parametrize(("shape", "groups"), [((2, 6, 5), 3), ((3, 4, 3, 2), 2), ((2, 4), 4),
                                               ((2, 6, 2, 2, 2), 1), ((1, 6, 3), 6)])
def test_group_norm_matches_torch(shape: tuple[int, ...], groups: int) -> None:
    rng = _rng(groups)
    arrays = [rng.standard_normal(shape) * 2, rng.standard_normal(shape[1]),
              rng.standard_normal(shape[1])]
    compare(lambda a, w, b: F.group_norm(a, groups, w, b, 1e-3),
            lambda a, w, b: TF.group_norm(a, groups, w, b, 1e-3), arrays)
    compare(lambda a: F.group_norm(a, groups), lambda a: TF.group_norm(a, groups), arrays[:1])


@pytest.mark.parametrize(("shape", "normalized"), [((3, 5), 5), ((2, 3, 4), (3, 4)),
                                                   ((2, 3, 4), [4])])
def test_layer_norm_and_rms_norm_match_torch(shape: tuple[int, ...], normalized: Any) -> None:
    sizes = (normalized,) if isinstance(normalized, int) else tuple(normalized)
    rng = _rng(len(sizes))
    arrays = [rng.standard_normal(shape), rng.standard_normal(sizes), rng.standard_normal(sizes)]
    compare(lambda a, w, b: F.layer_norm(a, normalized, w, b, 1e-3),
            lambda a, w, b: TF.layer_norm(a, sizes, w, b, 1e-3), arrays)
    compare(lambda a: F.layer_norm(a, normalized), lambda a: TF.layer_norm(a, sizes),
            arrays[:1])
    compare(lambda a, w: F.rms_norm(a, normalized, w, 1e-3),
            lambda a, w: TF.rms_norm(a, sizes, w, 1e-3), arrays[:2])
    compare(lambda a: F.rms_norm(a, normalized), lambda a: TF.rms_norm(a, sizes), arrays[:1])


@pytest.mark.parametrize(("shape", "size"), [((2, 6, 5), 3), ((2, 5, 3, 4), 2),
                                             ((1, 4, 2, 3, 2), 5), ((2, 3, 4), 1)])
def test_local_response_norm_matches_torch(shape: tuple[int, ...], size: int) -> None:
    x = _rng(size).standard_normal(shape) * 3
    compare(lambda a: F.local_response_norm(a, size), lambda a: TF.local_response_norm(a, size),
            [x])
    compare(lambda a: F.local_response_norm(a, size, alpha=0.3, beta=0.5, k=2.0),
            lambda a: TF.local_response_norm(a, size, alpha=0.3, beta=0.5, k=2.0), [x])


def test_function_errors_name_the_problem() -> None:
    x = mu.constant(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match=r"batch_norm: expected more than 1 value per channel"):
        F.batch_norm(mu.ones((1, 3)), None, None, training=True)
    with pytest.raises(ValueError, match="batch_norm: running_mean and running_var must be"):
        F.batch_norm(x, None, None)
    with pytest.raises(mu.ShapeError, match=r"batch_norm: running_mean must have shape \(3,\)"):
        F.batch_norm(x, np.zeros(4), np.ones(3), training=True)
    with pytest.raises(mu.ShapeError, match=r"batch_norm: weight must have shape \(3,\)"):
        F.batch_norm(x, None, None, np.ones(2), training=True)
    with pytest.raises(ValueError, match="instance_norm: expected more than 1 spatial"):
        F.instance_norm(mu.ones((2, 3, 1)))
    with pytest.raises(ValueError, match="instance_norm: running_mean and running_var"):
        F.instance_norm(x, use_input_stats=False)
    with pytest.raises(mu.ShapeError, match="instance_norm: expected an input of shape"):
        F.instance_norm(mu.ones((2, 3)))
    with pytest.raises(ValueError, match=r"group_norm: .*3 channels.*divisible by num_groups=2"):
        F.group_norm(x, 2)
    with pytest.raises(ValueError, match="group_norm: expected more than 1 value per group"):
        F.group_norm(mu.ones((1, 3)), 3)
    with pytest.raises(TypeError, match="group_norm: num_groups must be an int"):
        F.group_norm(x, 1.5)  # type: ignore[arg-type]
    with pytest.raises(mu.ShapeError, match=r"layer_norm: .*last axes are \(3,\)"):
        F.layer_norm(x, 3)
    with pytest.raises(ValueError, match="rms_norm: normalized_shape must be a positive int"):
        F.rms_norm(x, 0)
    with pytest.raises(mu.ShapeError, match=r"local_response_norm: .*at least 3 axes"):
        F.local_response_norm(mu.ones((2, 3)), 2)
    with pytest.raises(ValueError, match="local_response_norm: size must be at least 1"):
        F.local_response_norm(x, 0)


# --- the layers ---------------------------------------------------------------------------------

def _train_steps(ours: nn.Module, theirs: torch.nn.Module, shape: tuple[int, ...],
                 steps: int = 3) -> None:
    """A few training steps of both on the same batches: equal outputs, input gradients and
    parameter gradients each step, and equal state (running statistics) after each."""
    rng = _rng(steps + len(shape))
    for _ in range(steps):
        x = rng.standard_normal(shape) * 2 + 0.5
        mine, their = mu.variable(x), torch.tensor(x, requires_grad=True)
        result, expected = ours(mine), theirs(their)
        np.testing.assert_allclose(result.numpy(), expected.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)
        cotangent = rng.standard_normal(shape)
        (result * mu.constant(cotangent)).sum().backward()
        (expected * torch.tensor(cotangent)).sum().backward()
        np.testing.assert_allclose(mine.grad().numpy(), their.grad.numpy(), rtol=1e-10,
                                   atol=1e-12)
        if list(theirs.parameters()):
            assert_gradients_equal(ours, theirs)
            ours.zero_grad()
            theirs.zero_grad()
        assert_same_state(ours, theirs)


def _eval_agrees(ours: nn.Module, theirs: torch.nn.Module, shape: tuple[int, ...]) -> None:
    """In eval mode both give the same values."""
    ours.eval()
    theirs.eval()
    x = _rng(99).standard_normal(shape)
    np.testing.assert_allclose(ours(mu.constant(x)).numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10, atol=1e-12)


def _randomise(ours: nn.Module, theirs: torch.nn.Module, seed: int = 3) -> None:
    """Random affine parameters in PyTorch's layer, copied into ours."""
    rng = _rng(seed)
    with torch.no_grad():
        for parameter in theirs.parameters():
            parameter.copy_(torch.tensor(rng.standard_normal(tuple(parameter.shape))))
    copy_parameters(ours, theirs)


BATCH_NORMS: list[tuple[str, tuple[int, ...], dict[str, Any]]] = [
    ("BatchNorm1d", (6, 3), {}),
    ("BatchNorm1d", (4, 3, 5), {"momentum": None}),
    ("BatchNorm2d", (2, 3, 4, 3), {"momentum": 0.3, "eps": 1e-3}),
    ("BatchNorm3d", (2, 3, 2, 3, 2), {}),
    ("BatchNorm2d", (2, 3, 4, 3), {"affine": False}),
    ("BatchNorm2d", (2, 3, 4, 3), {"bias": False}),
    ("BatchNorm1d", (5, 3), {"track_running_stats": False}),
]


@pytest.mark.parametrize(("name", "shape", "options"), BATCH_NORMS)
def test_batch_norm_layers_train_and_evaluate_like_torch(name: str, shape: tuple[int, ...],
                                                         options: dict[str, Any]) -> None:
    ours = getattr(nn, name)(3, **options, dtype="float64")
    theirs = getattr(torch.nn, name)(3, **options, dtype=torch.float64)
    assert_same_state(ours, theirs)
    _randomise(ours, theirs)
    _train_steps(ours, theirs, shape)
    _eval_agrees(ours, theirs, shape)
    assert_same_state(ours, theirs)


INSTANCE_NORMS: list[tuple[str, tuple[int, ...], dict[str, Any]]] = [
    ("InstanceNorm1d", (2, 3, 5), {}),
    ("InstanceNorm1d", (3, 6), {"affine": True}),  # no batch axis
    ("InstanceNorm2d", (2, 3, 4, 3), {"affine": True, "track_running_stats": True}),
    ("InstanceNorm2d", (3, 4, 3), {"track_running_stats": True, "momentum": 0.3}),
    ("InstanceNorm3d", (2, 3, 2, 3, 2), {"affine": True, "bias": False}),
    ("InstanceNorm3d", (3, 2, 2, 3), {"track_running_stats": True, "momentum": None}),
]


@pytest.mark.parametrize(("name", "shape", "options"), INSTANCE_NORMS)
def test_instance_norm_layers_train_and_evaluate_like_torch(name: str, shape: tuple[int, ...],
                                                            options: dict[str, Any]) -> None:
    ours = getattr(nn, name)(3, **options, dtype="float64")
    theirs = getattr(torch.nn, name)(3, **options, dtype=torch.float64)
    assert_same_state(ours, theirs)
    _randomise(ours, theirs)
    _train_steps(ours, theirs, shape)
    _eval_agrees(ours, theirs, shape)


def test_group_layer_and_rms_norm_layers_match_torch() -> None:
    cases: list[tuple[Callable[[Any], Any], tuple[int, ...]]] = [
        (lambda m: m.GroupNorm(2, 4), (3, 4, 5)),
        (lambda m: m.GroupNorm(4, 4, eps=1e-3, affine=False), (2, 4, 3, 2)),
        (lambda m: m.GroupNorm(1, 4, bias=False), (2, 4)),
        (lambda m: m.LayerNorm((3, 4), eps=1e-3), (2, 3, 4)),
        (lambda m: m.LayerNorm(4, bias=False), (2, 3, 4)),
        (lambda m: m.LayerNorm(4, elementwise_affine=False), (5, 4)),
        (lambda m: m.RMSNorm(4), (2, 3, 4)),
        (lambda m: m.RMSNorm([3, 4], eps=1e-2), (2, 3, 4)),
        (lambda m: m.LocalResponseNorm(3), (2, 5, 4)),
        (lambda m: m.LocalResponseNorm(2, 0.2, 0.6, 1.5), (2, 4, 3, 3)),
    ]
    for make, shape in cases:
        ours, theirs = make(nn).double(), make(torch.nn).double()
        assert_same_state(ours, theirs)
        _randomise(ours, theirs)
        _train_steps(ours, theirs, shape, steps=1)
        _eval_agrees(ours, theirs, shape)


def test_reprs_follow_torch() -> None:
    for make in (lambda m: m.GroupNorm(2, 4), lambda m: m.GroupNorm(2, 4, affine=False),
                 lambda m: m.LocalResponseNorm(3), lambda m: m.RMSNorm(4),
                 lambda m: m.RMSNorm((2, 3), eps=1e-3, elementwise_affine=False)):
        assert repr(make(nn)) == repr(make(torch.nn))
    # The crate's forms, as before (PyTorch's add bias=).
    assert repr(nn.InstanceNorm2d(3)) == (
        "InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=False, track_running_stats=False)")
    assert repr(nn.BatchNorm3d(2, momentum=None)) == (
        "BatchNorm3d(2, eps=1e-05, momentum=None, affine=True, track_running_stats=True)")


def test_batch_norm_running_statistics_stay_in_eval_and_reset() -> None:
    layer = nn.BatchNorm1d(2, dtype="float64")
    layer(mu.constant(_rng(1).standard_normal((4, 2))))
    state = {name: value.numpy() for name, value in layer.state_dict().items()}
    assert state["num_batches_tracked"] == 1 and layer.state_dict()[
        "num_batches_tracked"].dtype == np.int64
    layer.eval()
    layer(mu.constant(_rng(2).standard_normal((4, 2))))
    for name, value in layer.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), state[name])
    # eval() only: the parameters still get gradients
    weight = layer.weight
    assert weight is not None
    layer(mu.variable(_rng(3).standard_normal((4, 2)))).sum().backward()
    assert weight.grad() is not None
    layer.reset_running_stats()
    np.testing.assert_array_equal(layer.running_mean.numpy(), [0, 0])  # type: ignore
    np.testing.assert_array_equal(layer.running_var.numpy(), [1, 1])  # type: ignore
    assert layer.num_batches_tracked.item() == 0  # type: ignore[union-attr]


def test_layers_load_torch_state_dicts() -> None:
    theirs = torch.nn.Sequential(torch.nn.BatchNorm2d(3), torch.nn.GroupNorm(1, 3),
                                 torch.nn.InstanceNorm2d(3, affine=True,
                                                         track_running_stats=True)).double()
    theirs(torch.randn(2, 3, 4, 4, dtype=torch.float64))
    ours = nn.Sequential(nn.BatchNorm2d(3), nn.GroupNorm(1, 3),
                         nn.InstanceNorm2d(3, affine=True, track_running_stats=True)).double()
    copy_parameters(ours, theirs)
    assert_same_state(ours, theirs)


def test_layer_errors_name_the_problem() -> None:
    with pytest.raises(ValueError, match=r"GroupNorm: num_channels \(5\) must be divisible by "
                                         r"num_groups \(2\)"):
        nn.GroupNorm(2, 5)
    with pytest.raises(mu.ShapeError, match=r"GroupNorm: .*\(N, C, \*\) with C = 4, got shape"):
        nn.GroupNorm(2, 4)(mu.ones((2, 3, 5)))
    with pytest.raises(mu.ShapeError, match=r"BatchNorm3d: .*\(N, C, D, H, W\) with C = 2"):
        nn.BatchNorm3d(2)(mu.ones((2, 2, 3, 3)))
    with pytest.raises(mu.ShapeError, match=r"InstanceNorm2d: expected an input of 3 or 4 axes"):
        nn.InstanceNorm2d(2)(mu.ones((2, 2, 3, 3, 3)))
    with pytest.raises(mu.ShapeError, match=r"InstanceNorm1d: expected 2 channels \(axis 1\)"):
        nn.InstanceNorm1d(2, affine=True)(mu.ones((2, 3, 4)))
    with pytest.warns(UserWarning, match="not used because affine=False"):
        nn.InstanceNorm1d(2)(mu.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="InstanceNorm1d: num_features must be a positive int"):
        nn.InstanceNorm1d(0)
    with pytest.raises(ValueError, match="RMSNorm: eps must be a positive number"):
        nn.RMSNorm(3, eps=-1.0)
    with pytest.raises(mu.ShapeError, match=r"RMSNorm: .*last axes are \(3,\)"):
        nn.RMSNorm(3)(mu.ones((3, 2)))
    with pytest.raises(TypeError, match="LocalResponseNorm: size must be an int"):
        nn.LocalResponseNorm(2.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="LocalResponseNorm: beta must be a number"):
        nn.LocalResponseNorm(2, beta="x")  # type: ignore[arg-type]


# --- on a device ----------------------------------------------------------------------------

DEVICE_CASES: list[tuple[str, Callable[[Any], Any], tuple[int, ...]]] = [
    ("batch_norm", lambda m: m.BatchNorm2d(3), (2, 3, 4, 4)),
    ("instance_norm", lambda m: m.InstanceNorm1d(3, affine=True, track_running_stats=True),
     (2, 3, 5)),
    ("group_norm", lambda m: m.GroupNorm(3, 6), (2, 6, 4)),
    ("layer_norm", lambda m: m.LayerNorm(5), (2, 3, 5)),
    ("rms_norm", lambda m: m.RMSNorm(5), (2, 3, 5)),
    ("local_response_norm", lambda m: m.Sequential(m.Linear(5, 5), m.LocalResponseNorm(2)),
     (2, 3, 5)),
]


@pytest.mark.parametrize(("name", "make", "shape"), DEVICE_CASES,
                         ids=[case[0] for case in DEVICE_CASES])
def test_runs_on_a_device_like_on_the_cpu(device: str, name: str, make: Callable[[Any], Any],
                                          shape: tuple[int, ...]) -> None:
    x = _rng(6).standard_normal(shape)
    results = {}
    for where in ("cpu", device):
        mu.seed(1)
        layer = make(nn).to(mu.float64).to(where)
        value = mu.variable(x, dtype="float64", device=where)
        output = layer(value)
        weights = _rng(7).standard_normal(output.shape)
        (output * mu.constant(weights, device=where)).sum().backward()
        assert output.device == where
        layer.eval()
        evaluated = layer(mu.constant(x, device=where))
        results[where] = [output.numpy(), value.grad().numpy(), evaluated.numpy(),
                          *(parameter.grad().numpy() for parameter in layer.parameters()),
                          *(buffer.numpy() for buffer in layer.buffers())]
    for found, expected in zip(results[device], results["cpu"], strict=True):
        np.testing.assert_allclose(found, expected, rtol=1e-10, atol=1e-12)
