"""The fused CPU kernels of a CNN besides its matrix products (mushin.kernels.cpu): the 2x2
max pool's pair maxima and their gradient routing (``pool.py``, ``RUN_MAX`` and
``RUN_MAX_SCATTER``), and ReLU's forward and gradient (``activation.py``, ``RELU``).

Each runs with the kernels and with the portable rules (inside ``cpu.portable()``), and
against PyTorch: outputs and gradients, float32 and float64, odd sizes, a batch of one,
channel-major (non-contiguous) inputs, ties and NaN/inf, -0.0."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import mushin as mu
import mushin.nn.functional as F
from mushin.kernels import cpu

pytest.importorskip("numba")
torch = pytest.importorskip("torch")

pool_module = importlib.import_module("mushin.nn.functional.pool")

Arrays = list[np.ndarray]


def _both(run: Callable[[], Arrays]) -> tuple[Arrays, Arrays]:
    """``run()`` with the kernels and with the portable rules."""
    fused = run()
    with cpu.portable():
        return fused, run()


def _close(found: Arrays, expected: Arrays, dtype: Any, oracle: bool = False) -> None:
    if np.dtype(dtype) == np.float64:
        rtol, atol = (1e-10, 1e-12) if oracle else (1e-13, 1e-14)
    else:
        rtol, atol = (1e-4, 1e-5) if oracle else (1e-6, 1e-6)
    assert len(found) == len(expected)
    for one, other in zip(found, expected, strict=True):
        assert one.shape == other.shape and one.dtype == other.dtype
        np.testing.assert_allclose(one, other, rtol=rtol, atol=atol)


# --- the 2x2 max pool's pairs -----------------------------------------------------------------

POOLS = [
    pytest.param((2, 3, 8, 8), 2, id="even"),
    pytest.param((1, 2, 7, 9), 2, id="odd-batch-of-one"),
    pytest.param((2, 2, 5, 6), (2, 1), id="rows-only"),
    pytest.param((2, 2, 5, 7), (1, 2), id="columns-only"),
]


def _leaf(x: np.ndarray, channel_major: bool = False) -> tuple[Any, Any]:
    """``x`` as a leaf requiring its gradient and ``x``'s image of it: stored channel after
    channel if asked (a permuted leaf), as a convolution's output (and a ReLU of it) is."""
    if not channel_major:
        source = mu.tensor(x, requires_grad=True)
        return source, source
    source = mu.tensor(np.ascontiguousarray(x.swapaxes(0, 1)), requires_grad=True)
    image = source.permute(1, 0, 2, 3)
    assert image.array().strides[1] >= image.array().strides[0]
    return source, image


def _grad_of(source: Any, channel_major: bool) -> np.ndarray:
    grad: np.ndarray = source.grad().numpy()
    return grad.swapaxes(0, 1) if channel_major else grad


def _pool(x: np.ndarray, kernel: Any, channel_major: bool = False) -> Arrays:
    source, image = _leaf(x, channel_major)
    out = F.max_pool2d(image, kernel)
    weights = np.random.default_rng(5).standard_normal(out.shape).astype(x.dtype)
    (out * mu.constant(weights)).sum().backward()
    return [out.numpy(), _grad_of(source, channel_major)]


def _torch_pool(x: np.ndarray, kernel: Any) -> Arrays:
    source = torch.tensor(x, requires_grad=True)
    out = torch.nn.functional.max_pool2d(source, kernel)
    weights = np.random.default_rng(5).standard_normal(tuple(out.shape)).astype(x.dtype)
    (out * torch.from_numpy(weights)).sum().backward()
    return [out.detach().numpy(), source.grad.numpy()]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("shape", "kernel"), POOLS)
@pytest.mark.parametrize("channel_major", [False, True])
def test_max_pool_pairs_match_the_portable_rules_and_pytorch(
        dtype: str, shape: tuple[int, ...], kernel: Any, channel_major: bool) -> None:
    x = np.random.default_rng(2).standard_normal(shape).astype(dtype)
    x[0, 0, 0, :2] = 1.5  # a tie: the first of the pair takes the gradient
    x[0, 0, :2, 3] = -0.5
    fused, portable = _both(lambda: _pool(x, kernel, channel_major))
    for one, other in zip(fused, portable, strict=True):
        np.testing.assert_array_equal(one, other)  # routing only: exactly the same values
    _close(fused, _torch_pool(x, kernel), dtype, oracle=True)


def test_max_pool_pairs_keep_nan_and_inf_as_the_portable_rules() -> None:
    x = np.random.default_rng(3).standard_normal((1, 2, 6, 6)).astype(np.float32)
    x[0, 0, 0, 0] = np.nan
    x[0, 0, 2, 3] = np.nan
    x[0, 0, 3, 2] = np.nan
    x[0, 1, 0, 1] = np.inf
    x[0, 1, 4, 4] = -np.inf
    fused, portable = _both(lambda: _pool(x, 2))
    for one, other in zip(fused, portable, strict=True):
        np.testing.assert_array_equal(one, other)
    assert np.isnan(fused[0][0, 0, 0, 0]) and fused[0][0, 1, 0, 0] == np.inf


def _count_calls(monkeypatch: pytest.MonkeyPatch, module: Any,
                 names: tuple[str, ...]) -> dict[str, int]:
    """The kernels ``names`` of ``module`` replaced by ones that count their calls (in the
    dict returned) and run them."""
    calls: dict[str, int] = {}
    for name in names:
        kernel = getattr(module, name)

        def counted(*arguments: Any, kernel: Any = kernel, name: str = name) -> None:
            calls[name] = calls.get(name, 0) + 1
            kernel(*arguments)

        monkeypatch.setattr(module, name, counted)
    return calls


def test_pair_kernels_run_outside_portable_only(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _count_calls(monkeypatch, pool_module, ("_pair_max_kernel", "_pair_scatter_kernel"))
    x = np.ones((1, 1, 4, 4))
    with cpu.portable():
        _pool(x, 2)
    assert calls == {}
    _pool(x, 2)
    assert calls == {"_pair_max_kernel": 2, "_pair_scatter_kernel": 2}


def test_a_three_wide_pool_keeps_the_portable_rules() -> None:
    x = np.random.default_rng(4).standard_normal((2, 2, 9, 9))
    fused, portable = _both(lambda: _pool(x, 3))
    _close(fused, portable, "float64")
    _close(fused, _torch_pool(x, 3), "float64", oracle=True)


def test_a_channel_major_pool_keeps_its_layout() -> None:
    # the pair kernels run along the memory of a convolution's (channel-major) output, and
    # their results keep that layout for the next pass
    _, image = _leaf(np.random.default_rng(6).standard_normal((3, 2, 6, 8)), True)
    out = F.max_pool2d(image, 2).array()
    assert out.strides[1] > out.strides[0]
    with cpu.portable():
        expected = F.max_pool2d(image, 2).numpy()
    np.testing.assert_array_equal(out, expected)


# --- ReLU -------------------------------------------------------------------------------------

def _relu(x: np.ndarray, layout: str) -> Arrays:
    """ReLU of ``x`` laid out as ``layout`` says, and its input's gradient."""
    source, image = _leaf(x, layout == "channel-major")
    if layout == "strided":  # gaps between the elements: the portable rule runs
        image = mu.cat([image, image], axis=3)[..., :x.shape[3]]
    out = F.relu(image)
    weights = np.random.default_rng(7).standard_normal(out.shape).astype(x.dtype)
    weights.reshape(-1)[:3] = (np.nan, np.inf, -np.inf)
    (out * mu.constant(weights)).sum().backward()
    return [out.numpy(), _grad_of(source, layout == "channel-major")]


def _torch_relu(x: np.ndarray) -> Arrays:
    source = torch.tensor(x, requires_grad=True)
    out = torch.relu(source)
    weights = np.random.default_rng(7).standard_normal(tuple(out.shape)).astype(x.dtype)
    weights.reshape(-1)[:3] = (np.nan, np.inf, -np.inf)
    (out * torch.from_numpy(weights)).sum().backward()
    return [out.detach().numpy(), source.grad.numpy()]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("layout", ["contiguous", "channel-major", "strided"])
def test_relu_matches_the_portable_rule_and_pytorch(dtype: str, layout: str) -> None:
    x = np.random.default_rng(8).standard_normal((3, 5, 7, 9)).astype(dtype)
    x.reshape(-1)[:3] = (1.0, -1.0, 0.0)  # NaN, inf, -inf gradients meet each side of 0
    x[1, 2, 3, :5] = (np.nan, np.inf, -np.inf, -0.0, 0.0)
    fused, portable = _both(lambda: _relu(x, layout))
    for one, other in zip(fused, portable, strict=True):
        np.testing.assert_array_equal(one, other)  # the same operations, element by element
    assert not np.signbit(fused[0][1, 2, 3, 3])  # -0.0 becomes 0.0, as NumPy's maximum
    expected = _torch_relu(x)
    expected[0][1, 2, 3, 3] = 0.0  # PyTorch keeps the sign of -0.0; equal all the same
    # A NaN or inf gradient where the input is not positive: PyTorch's threshold_backward
    # gives 0, mushin's product (portable and fused alike) NaN
    np.testing.assert_array_equal(fused[1].reshape(-1)[:3], [np.nan, np.nan, np.nan])
    expected[1].reshape(-1)[:3] = np.nan
    expected[1][1, 2, 3, 0] = 0.0  # at a NaN input PyTorch passes the gradient, mushin 0
    _close(fused, expected, dtype, oracle=True)


def test_relu_kernels_run_outside_portable_only_on_dense_layouts(
        monkeypatch: pytest.MonkeyPatch) -> None:
    activation = importlib.import_module("mushin.nn.functional.activation")
    calls = _count_calls(monkeypatch, activation, ("_relu_kernel", "_relu_grad_kernel"))
    x = np.ones((1, 1, 2, 2), np.float32)
    with cpu.portable():
        _relu(x, "channel-major")
    assert calls == {}
    _relu(x, "strided")  # a gapped input; its gradient and ReLU's output are dense
    assert calls == {"_relu_grad_kernel": 1}
    _relu(x, "channel-major")
    assert calls == {"_relu_kernel": 1, "_relu_grad_kernel": 2}
