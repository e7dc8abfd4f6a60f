"""Fractional max pooling against PyTorch in float64: ``F.fractional_max_pool2d/3d`` and their
``_with_indices`` forms given PyTorch's ``_random_samples`` (values, indices, input gradients),
batched and unbatched, by output size and by ratio, in float32 too (the starts in the input's
dtype); fresh draws from mushin's generator; the layers (state dicts, reprs, forward); the
errors; and a run on the stand-in GPU device."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import mushin as mu
import mushin.nn.functional as F
from mushin import nn

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _samples(shape: tuple[int, ...], dims: int, seed: int, dtype: Any = np.float64) -> Any:
    """PyTorch's ``_random_samples`` for an input of ``shape``: ``(N, C, dims)`` in [0, 1)."""
    batch = shape[0] if len(shape) == dims + 2 else 1
    channels = shape[-dims - 1]
    return np.random.default_rng(seed).random((batch, channels, dims)).astype(dtype)


CASES = [  # (dims, input shape, kwargs)
    (2, (2, 3, 11, 13), {"kernel_size": (2, 3), "output_size": (5, 4)}),
    (2, (3, 17, 23), {"kernel_size": 3, "output_size": 7}),
    (2, (2, 2, 9, 10), {"kernel_size": 2, "output_ratio": (0.5, 0.7)}),
    (2, (1, 2, 8, 8), {"kernel_size": 2, "output_size": (1, 7)}),
    (2, (1, 1, 4, 4), {"kernel_size": 4, "output_size": 1}),
    (3, (2, 2, 7, 9, 8), {"kernel_size": (2, 2, 3), "output_size": (4, 3, 5)}),
    (3, (2, 13, 11, 10), {"kernel_size": 2, "output_ratio": 0.5}),
]


@pytest.mark.parametrize("with_indices", [False, True])
@pytest.mark.parametrize(("dims", "shape", "kwargs"), CASES)
def test_values_indices_and_gradients_match_pytorch(dims: int, shape: tuple[int, ...],
                                                     kwargs: dict[str, Any],
                                                     with_indices: bool) -> None:
    x = np.random.default_rng(0).standard_normal(shape)
    x[..., :2] = 0.5  # ties: the gradient goes to each window's first maximum
    samples = _samples(shape, dims, 1)
    name = f"fractional_max_pool{dims}d" + ("_with_indices" if with_indices else "")
    mine = mu.variable(x, dtype="float64")
    their = torch.tensor(x, requires_grad=True)
    result, indices = getattr(F, name)(mine, return_indices=True,
                                       _random_samples=mu.constant(samples), **kwargs)
    expected, expected_indices = getattr(TF, name)(
        their, return_indices=True, _random_samples=torch.tensor(samples), **kwargs)
    assert isinstance(indices, mu.Constant) and indices.dtype == np.int64
    np.testing.assert_array_equal(indices.numpy(), expected_indices.numpy())
    np.testing.assert_array_equal(result.numpy(), expected.detach().numpy())
    cotangent = np.random.default_rng(2).standard_normal(tuple(expected.shape))
    (result * mu.constant(cotangent)).sum().backward()
    (expected * torch.tensor(cotangent)).sum().backward()
    np.testing.assert_allclose(mine.grad().numpy(), their.grad.numpy(), rtol=1e-10, atol=0)


def test_without_indices_returns_the_values_only() -> None:
    x = np.random.default_rng(3).standard_normal((2, 3, 10, 10))
    samples = _samples(x.shape, 2, 4)
    result = F.fractional_max_pool2d(mu.constant(x), 3, output_size=5,
                                     _random_samples=mu.constant(samples))
    expected = TF.fractional_max_pool2d(torch.tensor(x), 3, output_size=5,
                                        _random_samples=torch.tensor(samples))
    np.testing.assert_array_equal(result.numpy(), expected.numpy())
    pair = F.fractional_max_pool2d_with_indices(mu.constant(x), 3, output_size=5,
                                                _random_samples=mu.constant(samples))
    assert isinstance(pair, tuple) and len(pair) == 2


def test_float32_starts_are_computed_in_float32_as_pytorch() -> None:
    rng = np.random.default_rng(5)
    for seed in range(5):
        x = rng.standard_normal((2, 4, 31, 29, 7)).astype(np.float32)
        samples = _samples(x.shape, 3, seed, np.float32)
        result, indices = F.fractional_max_pool3d(
            mu.constant(x), (3, 2, 2), output_size=(11, 13, 3), return_indices=True,
            _random_samples=mu.constant(samples))
        expected, expected_indices = TF.fractional_max_pool3d(
            torch.tensor(x), (3, 2, 2), output_size=(11, 13, 3), return_indices=True,
            _random_samples=torch.tensor(samples))
        assert result.dtype == np.float32
        np.testing.assert_array_equal(indices.numpy(), expected_indices.numpy())
        np.testing.assert_array_equal(result.numpy(), expected.numpy())


def test_a_nan_wins_its_window_the_last_one_as_pytorch() -> None:
    x = np.array([[[[1.0, np.nan, 2.0, np.nan, 0.0]]]])
    samples = np.zeros((1, 1, 2))
    result, indices = F.fractional_max_pool2d(mu.constant(x), (1, 4), output_size=(1, 2),
                                              return_indices=True,
                                              _random_samples=mu.constant(samples))
    expected, expected_indices = TF.fractional_max_pool2d(
        torch.tensor(x), (1, 4), output_size=(1, 2), return_indices=True,
        _random_samples=torch.tensor(samples))
    np.testing.assert_array_equal(indices.numpy(), expected_indices.numpy())
    np.testing.assert_array_equal(result.numpy(), expected.numpy())


def test_fresh_draws_come_from_mushins_generator() -> None:
    x = mu.constant(np.random.default_rng(6).standard_normal((2, 3, 16, 16)))
    kwargs: dict[str, Any] = {"output_size": (6, 7), "return_indices": True}
    mu.seed(7)
    first, first_indices = F.fractional_max_pool2d(x, 2, **kwargs)
    mu.seed(7)
    again, again_indices = F.fractional_max_pool2d(x, 2, **kwargs)
    np.testing.assert_array_equal(first.numpy(), again.numpy())
    np.testing.assert_array_equal(first_indices.numpy(), again_indices.numpy())
    assert first.shape == (2, 3, 6, 7)
    # every window holds its maximum: the value sits at its index in its plane
    planes = x.numpy().reshape(2, 3, -1)
    np.testing.assert_array_equal(
        np.take_along_axis(planes, first_indices.numpy().reshape(2, 3, -1), axis=2),
        first.numpy().reshape(2, 3, -1))
    # (a fractional step: 14 / 5 per window, so the draws move the windows)
    other = [F.fractional_max_pool2d(x, 2, **kwargs)[1].numpy() for _ in range(3)]
    assert any(not np.array_equal(found, first_indices.numpy()) for found in other)


def test_float16_draws() -> None:
    x = mu.constant(np.random.default_rng(8).standard_normal((1, 2, 9, 9)).astype(np.float16))
    result = F.fractional_max_pool2d(x, 2, output_size=4)
    assert result.dtype == np.float16 and result.shape == (1, 2, 4, 4)


@pytest.mark.parametrize(("dims", "kwargs"), [
    (2, {"kernel_size": 2, "output_size": 3}),
    (2, {"kernel_size": (2, 3), "output_ratio": 0.5, "return_indices": True}),
    (3, {"kernel_size": 2, "output_size": (2, 3, 2)}),
    (3, {"kernel_size": (1, 2, 2), "output_ratio": (0.5, 0.25, 0.5), "return_indices": True}),
])
def test_layers_match_pytorch(dims: int, kwargs: dict[str, Any]) -> None:
    shape = (2, 3, 6, 8, 8)[: dims + 2]
    x = np.random.default_rng(9).standard_normal(shape)
    samples = _samples(shape, dims, 10)
    name = f"FractionalMaxPool{dims}d"
    layer = getattr(nn, name)(**kwargs, _random_samples=mu.constant(samples))
    reference = getattr(torch.nn, name)(**kwargs, _random_samples=torch.tensor(samples))
    assert repr(layer) == repr(reference)
    assert {key: tuple(value.shape) for key, value in layer.state_dict().items()} == {
        key: tuple(value.shape) for key, value in reference.state_dict().items()}
    for attribute in ("kernel_size", "output_size", "output_ratio", "return_indices"):
        assert getattr(layer, attribute) == getattr(reference, attribute), attribute
    result, expected = layer(mu.constant(x)), reference(torch.tensor(x))
    if kwargs.get("return_indices"):
        np.testing.assert_array_equal(result[1].numpy(), expected[1].numpy())
        result, expected = result[0], expected[0]
    np.testing.assert_array_equal(result.numpy(), expected.numpy())


def test_layer_without_samples_has_an_empty_state_dict_and_draws() -> None:
    layer = nn.FractionalMaxPool3d(2, output_ratio=0.5)
    assert repr(layer) == "FractionalMaxPool3d()" and layer.state_dict() == {}
    assert layer(mu.randn((2, 6, 6, 6))).shape == (2, 3, 3, 3)


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda x: F.fractional_max_pool2d(x, 2), ValueError,
     "fractional_max_pool2d requires specifying either an output_size or an output_ratio"),
    (lambda x: F.fractional_max_pool2d(x, 3, output_size=(6, 8)), ValueError,
     r"fractional_max_pool2d: pool height 3 too large relative to input height 7"),
    (lambda x: F.fractional_max_pool2d(x, 2, output_ratio=(0.5, 1.5)), ValueError,
     r"pool width 2 too large relative to input width 9"),
    (lambda x: F.fractional_max_pool3d(x[None], 2, output_size=3), ValueError,
     r"fractional_max_pool3d: pool time 2 too large relative to input time 3"),
    (lambda x: F.fractional_max_pool2d(x, 0, output_size=3), ValueError,
     r"kernel_size must be at least 1, got 0"),
    (lambda x: F.fractional_max_pool2d(x, 2, output_size=-1), ValueError,
     r"output_size must be at least 0, got -1"),
    (lambda x: F.fractional_max_pool2d(x, 2, output_size=(1, 2, 3)), TypeError,
     r"output_size must be an int or 2 ints, got \(1, 2, 3\)"),
    (lambda x: F.fractional_max_pool2d(x, 2, output_ratio=(0.5, 0.5, 0.5)), TypeError,
     r"output_ratio must be a number or 2 numbers"),
    (lambda x: F.fractional_max_pool2d(x[0, 0], 2, output_size=3), mu.ShapeError,
     r"expected an input of shape \(N, C, H, W\) or \(C, H, W\), got shape \(7, 9\)"),
    (lambda x: F.fractional_max_pool2d(x[:, :, :0], 2, output_size=0), mu.ShapeError,
     r"non-zero sizes off the batch axis, got shape \(2, 3, 0, 9\)"),
    (lambda x: F.fractional_max_pool2d(x, 2, output_size=3,
                                       _random_samples=mu.constant(np.zeros((2, 3, 3)))),
     mu.ShapeError, r"_random_samples must have shape \(N, C, 2\) .* got shape \(2, 3, 3\)"),
    (lambda x: F.fractional_max_pool2d(x, 2, output_size=3,
                                       _random_samples=mu.constant(np.zeros((1, 3, 2)))),
     mu.ShapeError, r"at least the input's 2 rows"),
    (lambda x: F.fractional_max_pool2d(
        x, 2, output_size=3, _random_samples=mu.constant(np.zeros((2, 3, 2), np.float32))),
     TypeError, r"_random_samples must have the input's dtype float64, got float32"),
    (lambda x: F.fractional_max_pool2d(mu.constant(np.zeros((2, 3, 7, 9), np.int64)), 2,
                                       output_size=3),
     TypeError, r"fractional_max_pool2d: expected a floating tensor, got int64"),
    (lambda x: nn.FractionalMaxPool2d(2), ValueError,
     r"FractionalMaxPool2d requires specifying either an output size, or a pooling ratio"),
    (lambda x: nn.FractionalMaxPool2d(2, output_size=3, output_ratio=0.5), ValueError,
     r"only one of output_size and output_ratio may be specified"),
    (lambda x: nn.FractionalMaxPool3d(2, output_ratio=(0.5, 1, 0.5)), ValueError,
     r"FractionalMaxPool3d: output_ratio must be between 0 and 1 \(exclusive\), got "
     r"\(0.5, 1, 0.5\)"),
    (lambda x: nn.FractionalMaxPool2d(2, output_ratio="half"), TypeError,
     r"FractionalMaxPool2d: output_ratio must be a number or 2 numbers, got 'half'"),
])
def test_errors(call: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call(mu.constant(np.zeros((2, 3, 7, 9))))


def test_batch_of_none_pools_to_nothing() -> None:
    result = F.fractional_max_pool2d(mu.variable(np.zeros((0, 3, 7, 9))), 2, output_size=3)
    assert result.shape == (0, 3, 3, 3)


def test_runs_on_a_device_like_on_the_cpu(device: str) -> None:
    x = np.random.default_rng(11).standard_normal((2, 3, 9, 8, 10))
    samples = _samples(x.shape, 3, 12)
    results = {}
    for where in ("cpu", device):
        layer = nn.FractionalMaxPool3d(2, output_size=(4, 5, 3), return_indices=True,
                                       _random_samples=mu.constant(samples)).to(where)
        value = mu.variable(x, dtype="float64", device=where)
        output, indices = layer(value)
        weights = np.random.default_rng(13).standard_normal(output.shape)
        (output * mu.constant(weights, device=where)).sum().backward()
        assert output.device == where and indices.device == where
        results[where] = [output.numpy(), indices.numpy(), value.grad().numpy()]
        drawn = F.fractional_max_pool2d(value[0], 2, output_ratio=0.5)
        assert drawn.device == where and drawn.shape == (3, 9, 4, 5)
    for found, expected in zip(results[device], results["cpu"], strict=True):
        np.testing.assert_array_equal(found, expected)
