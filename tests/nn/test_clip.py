"""Gradient clipping by total norm: values against NumPy and PyTorch, the engine's rules, errors."""

from __future__ import annotations

import importlib
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import mushin as mu
from mushin.nn.utils import clip_grad_norm

RNG = np.random.default_rng(3)
GRADIENTS = [RNG.normal(size=(3, 4)), RNG.normal(size=(5,)), np.array(2.5)]


def _with_gradients(gradients: list[np.ndarray], dtype: Any = np.float64,
                    device: str | None = None) -> list[Any]:
    """Parameters whose gradients are ``gradients`` (through d sum(p * g) / d p = g)."""
    params = [mu.zeros(np.shape(gradient), dtype=dtype, device=device)
              for gradient in gradients]
    total: Any = sum((param * mu.constant(gradient.astype(dtype), device=device)).sum()
                     for param, gradient in zip(params, gradients, strict=True))
    total.backward()
    return params


def _norm(gradients: list[np.ndarray], norm_type: float) -> float:
    flat = np.concatenate([np.ravel(gradient) for gradient in gradients])
    return float(np.linalg.norm(flat, ord=norm_type))


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, 0.5, math.inf])
def test_clips_to_max_norm(norm_type: float) -> None:
    params = _with_gradients(GRADIENTS)
    expected_total = _norm(GRADIENTS, norm_type)
    max_norm = expected_total / 4
    total = clip_grad_norm(params, max_norm, norm_type=norm_type)
    assert isinstance(total, float)
    assert total == pytest.approx(expected_total, rel=1e-12)
    scale = max_norm / (expected_total + 1e-6)
    for param, gradient in zip(params, GRADIENTS, strict=True):
        np.testing.assert_allclose(param.grad().numpy(), gradient * scale, rtol=1e-12)
    clipped = [param.grad().numpy() for param in params]
    assert _norm(clipped, norm_type) == pytest.approx(max_norm, rel=1e-5)


def test_small_gradients_are_left_alone() -> None:
    params = _with_gradients(GRADIENTS)
    before = [param._grad for param in params]
    total = clip_grad_norm(params, 1e6)
    assert total == pytest.approx(_norm(GRADIENTS, 2.0), rel=1e-12)
    assert all(param._grad is grad for param, grad in zip(params, before, strict=True))


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
def test_matches_pytorch(norm_type: float) -> None:
    torch = pytest.importorskip("torch")
    tensors = [torch.zeros(np.shape(gradient), dtype=torch.float64) for gradient in GRADIENTS]
    for tensor, gradient in zip(tensors, GRADIENTS, strict=True):
        tensor.grad = torch.tensor(gradient)
    expected = torch.nn.utils.clip_grad_norm_(tensors, 0.7, norm_type=norm_type)
    params = _with_gradients(GRADIENTS)
    assert clip_grad_norm(params, 0.7, norm_type=norm_type) == pytest.approx(
        expected.item(), rel=1e-12)
    for param, tensor in zip(params, tensors, strict=True):
        np.testing.assert_allclose(param.grad().numpy(), tensor.grad.numpy(), rtol=1e-12)


def test_float32_stays_float32_and_shared_gradients_are_untouched() -> None:
    first, second = mu.zeros((4,)), mu.zeros((4,))
    seed = np.array([3.0, 4.0, 0.0, 0.0], dtype=np.float32)
    (first + second).backward(mu.constant(seed))  # both get the same gradient array
    total = clip_grad_norm([first], 1.0)
    assert total == pytest.approx(5.0)
    assert first.grad().dtype == np.float32
    np.testing.assert_allclose(first.grad().numpy(), seed / (5.0 + 1e-6), rtol=1e-6)
    np.testing.assert_array_equal(second.grad().numpy(), seed)


def test_skips_missing_gradients_and_takes_one_variable() -> None:
    with_grad = _with_gradients([np.array([6.0, 8.0])])[0]
    without = mu.zeros((3,))
    assert clip_grad_norm([with_grad, without], 5.0) == pytest.approx(10.0)
    assert without._grad is None
    np.testing.assert_allclose(with_grad.grad().numpy(), [3.0, 4.0], rtol=1e-6)
    assert clip_grad_norm(mu.zeros((2,)), 1.0) == 0.0
    single = _with_gradients([np.array([0.0, 3.0])])[0]
    assert clip_grad_norm(single, 1.0) == pytest.approx(3.0)
    np.testing.assert_allclose(single.grad().numpy(), [0.0, 1.0], rtol=1e-6)


def test_gradient_with_history_keeps_it() -> None:
    values = np.array([1.0, 2.0])
    param = mu.variable(values.copy())
    (param * param * param).sum().backward(create_graph=True)  # gradient 3 p**2 = [3, 12]
    total = clip_grad_norm([param], 1.0)
    assert total == pytest.approx(math.hypot(3.0, 12.0))
    scale = 1.0 / (total + 1e-6)
    scaled = param.grad()
    np.testing.assert_allclose(scaled.numpy(), 3 * values**2 * scale)
    # The scaled gradient is still a function of p: its backward adds d sum(scale 3 p**2)/dp.
    scaled.sum().backward()
    np.testing.assert_allclose(param.grad().numpy(), (3 * values**2 + 6 * values) * scale)


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_non_finite_norms() -> None:
    params = _with_gradients([np.array([np.inf, 1.0])])
    with pytest.raises(RuntimeError, match="error_if_nonfinite"):
        clip_grad_norm(params, 1.0, error_if_nonfinite=True)
    assert clip_grad_norm(params, 1.0) == math.inf
    np.testing.assert_array_equal(params[0].grad().numpy(), [np.nan, 0.0])  # as PyTorch


@pytest.mark.parametrize(("args", "error", "message"), [
    (([mu.constant([1.0])], 1.0), TypeError, "must be a Variable, got Constant"),
    (([mu.zeros((1,))], "1"), TypeError, "max_norm must be a number"),
    (([mu.zeros((1,))], -1.0), ValueError, "max_norm must be >= 0"),
    (([mu.zeros((1,))], 1.0, 0), ValueError, "norm_type must be positive"),
    (([mu.zeros((1,))], 1.0, "fro"), TypeError, "norm_type must be a number"),
])
def test_bad_arguments(args: tuple[Any, ...], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        clip_grad_norm(*args)


def test_on_a_device(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1]))
    with importlib.import_module("fake_cupy").registered() as device:
        params = _with_gradients(GRADIENTS, device=device)
        total = clip_grad_norm(params, 1.0)
        assert total == pytest.approx(_norm(GRADIENTS, 2.0), rel=1e-12)
        for param, gradient in zip(params, GRADIENTS, strict=True):
            assert param.device == device
            np.testing.assert_allclose(param.grad().numpy(), gradient / (total + 1e-6),
                                       rtol=1e-12)
