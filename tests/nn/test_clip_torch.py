"""PyTorch's clipping names in ``mu.nn.utils``: ``clip_grad_norm_`` (the total norm returned as a
tensor) and ``clip_grad_value_`` against ``torch.nn.utils``, shared gradients left alone,
gradients with history, a stand-in device and the errors. (``clip_grad_norm``, the crate's,
is tested in test_clip.py.)"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import mushin as mu
from mushin.nn.utils import clip_grad_norm_, clip_grad_value_

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(4)
GRADIENTS = [RNG.normal(size=(3, 4)), RNG.normal(size=(5,)), np.array(2.5)]


def _with_gradients(dtype: Any = np.float64, device: str | None = None) -> list[Any]:
    """Parameters whose gradients are ``GRADIENTS`` (through d sum(p * g) / d p = g)."""
    params = [mu.zeros(np.shape(gradient), dtype=dtype, device=device)
              for gradient in GRADIENTS]
    total: Any = sum((param * mu.constant(gradient.astype(dtype), device=device)).sum()
                     for param, gradient in zip(params, GRADIENTS, strict=True))
    total.backward()
    return params


def _torch_with_gradients() -> list[Any]:
    tensors = [torch.zeros(np.shape(gradient), dtype=torch.float64, requires_grad=True)
               for gradient in GRADIENTS]
    for tensor, gradient in zip(tensors, GRADIENTS, strict=True):
        tensor.grad = torch.tensor(gradient)
    return tensors


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_pytorch(max_norm: float, norm_type: float) -> None:
    params, tensors = _with_gradients(), _torch_with_gradients()
    total = clip_grad_norm_(params, max_norm, norm_type=norm_type, foreach=True)
    expected = torch.nn.utils.clip_grad_norm_(tensors, max_norm, norm_type=norm_type)
    assert isinstance(total, mu.Constant) and total.shape == () and total.dtype == np.float64
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-12)
    for param, tensor in zip(params, tensors, strict=True):
        np.testing.assert_allclose(param.grad().numpy(), tensor.grad.numpy(), rtol=1e-12)


def test_clip_grad_norm_of_no_gradients_is_a_zero_tensor() -> None:
    total = clip_grad_norm_([mu.zeros((2,))], 1.0)
    assert isinstance(total, mu.Constant) and total.item() == 0.0
    assert float(clip_grad_norm_(_with_gradients(np.float32), 1.0)) > 1.0
    assert clip_grad_norm_(_with_gradients(np.float32), 1.0).dtype == np.float32


@pytest.mark.parametrize("clip_value", [0.0, 0.3, 10.0])
def test_clip_grad_value_matches_pytorch(clip_value: float) -> None:
    params, tensors = _with_gradients(), _torch_with_gradients()
    assert clip_grad_value_(params, clip_value) is None
    torch.nn.utils.clip_grad_value_(tensors, clip_value)
    for param, tensor in zip(params, tensors, strict=True):
        np.testing.assert_array_equal(param.grad().numpy(), tensor.grad.numpy())


def test_clip_grad_value_leaves_shared_gradients_and_keeps_history() -> None:
    # a + b gives both the same gradient array: clipping a's must leave b's alone.
    first, second = mu.variable(np.zeros(3)), mu.variable(np.zeros(3))
    (first + second).backward(mu.constant(np.array([-2.0, 0.1, 3.0])))
    clip_grad_value_(first, 1.0)
    np.testing.assert_array_equal(first.grad().numpy(), [-1.0, 0.1, 1.0])
    np.testing.assert_array_equal(second.grad().numpy(), [-2.0, 0.1, 3.0])
    param = mu.variable(np.array([1.0, -2.0]))
    (param * param * param).sum().backward(create_graph=True)  # gradient 3 p^2 with history
    clip_grad_value_([param], 5.0)
    grad = param.grad()
    np.testing.assert_array_equal(grad.numpy(), [3.0, 5.0])
    grad.sum().backward()  # through the clip: 6 p where not clipped
    assert param.grad().numpy()[0] == pytest.approx(3.0 + 6.0)


def test_runs_on_a_device_like_on_the_cpu(device: str) -> None:
    on_device, on_cpu = _with_gradients(device=device), _with_gradients()
    total = clip_grad_norm_(on_device, 0.5)
    assert total.device == device
    np.testing.assert_allclose(total.item(), clip_grad_norm_(on_cpu, 0.5).item(), rtol=1e-12)
    clip_grad_value_(on_device, 0.1)
    clip_grad_value_(on_cpu, 0.1)
    for ours, theirs in zip(on_device, on_cpu, strict=True):
        np.testing.assert_allclose(ours.grad().numpy(), theirs.grad().numpy(), rtol=1e-12)


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda p: clip_grad_value_(p, -1.0), ValueError, "clip_grad_value_: clip_value must be"),
    (lambda p: clip_grad_value_(p, "1"), TypeError, "clip_value must be a number"),
    (lambda p: clip_grad_value_([*p, np.zeros(2)], 1.0), TypeError, "parameter 3 must be a "
                                                                    "Variable"),
    (lambda p: clip_grad_value_(p, 1.0, foreach=1), TypeError, "foreach must be None"),
    (lambda p: clip_grad_norm_(p, 1.0, foreach="yes"), TypeError, "foreach must be None"),
    (lambda p: clip_grad_norm_(p, -1.0), ValueError, "max_norm must be >= 0"),
])
def test_bad_arguments(call: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        call(_with_gradients())


def test_public_paths() -> None:
    assert mu.nn.utils.clip_grad_norm_ is clip_grad_norm_
    assert mu.nn.utils.clip_grad_value_ is clip_grad_value_
