"""Making tensors (docs/api.md#making-tensors) and what every tensor offers (``Tensor``'s members).

Random draws are checked on 10^5 samples against their distribution's moments, with
tolerances of several standard errors, on a seeded draw so the checks never flake.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import mushin as mu
from mushin._tensor import storage

MAKERS: list[tuple[str, Callable[..., Any], Callable[[tuple[int, ...]], Any]]] = [
    ("fill", lambda shape, **kw: mu.fill(shape, 2.5, **kw), lambda shape: np.full(shape, 2.5)),
    ("zeros", mu.zeros, np.zeros),
    ("ones", mu.ones, np.ones),
    ("eye", mu.eye, lambda shape: np.broadcast_to(np.eye(shape[-2], shape[-1]), shape)),
]


@pytest.mark.parametrize(("name", "make", "expected"), MAKERS, ids=[case[0] for case in MAKERS])
@pytest.mark.parametrize("shape", [(2, 3), (1, 1, 3, 2), (2, 4, 4)], ids=str)
def test_deterministic_makers(name: str, make: Callable[..., Any],
                              expected: Callable[[tuple[int, ...]], Any],
                              shape: tuple[int, ...]) -> None:
    default = make(shape)
    assert type(default) is mu.Variable
    assert default.shape == shape
    assert default.dtype == np.float32
    np.testing.assert_array_equal(default.numpy(), expected(shape))
    double = make(shape, dtype="float64", device="cpu")
    assert double.dtype == np.float64
    assert double.device == "cpu"
    np.testing.assert_array_equal(double.numpy(), expected(shape))
    assert make(shape, dtype=np.float16).dtype == np.float16


def test_makers_take_an_int_as_a_one_axis_shape_and_allow_empty_and_0d_shapes() -> None:
    assert mu.zeros(3).shape == (3,)
    assert mu.ones(()).shape == ()
    assert mu.fill((0, 2), 1.0).shape == (0, 2)
    assert mu.randn([2, 1]).shape == (2, 1)


def test_eye_puts_its_value_on_the_diagonal_of_the_last_two_axes() -> None:
    batched = mu.eye((2, 3, 2, 4), 7.0, dtype="float64").numpy()
    expected = np.zeros((2, 3, 2, 4))
    expected[..., 0, 0] = expected[..., 1, 1] = 7.0
    np.testing.assert_array_equal(batched, expected)
    tall = mu.eye((4, 2), -1.5).numpy()
    np.testing.assert_array_equal(tall, -1.5 * np.eye(4, 2))
    # Every element is its own: writing to one copy of the batch leaves the others alone.
    assert storage(mu.eye((2, 2, 2))).flags.writeable


@pytest.mark.parametrize(("make", "mean", "variance", "bounds"), [
    (mu.randn, 0.0, 1.0, None), (mu.randu, 0.5, 1.0 / 12.0, (0.0, 1.0)),
], ids=["randn", "randu"])
@pytest.mark.parametrize("dtype", [None, "float64"], ids=["float32", "float64"])
def test_random_draws_follow_their_distribution(make: Callable[..., Any], mean: float,
                                                variance: float, bounds: tuple[float, float] | None,
                                                dtype: str | None) -> None:
    mu.seed(2024)  # a fixed draw: the bounds below are several standard errors wide
    samples = make((100, 1000), dtype=dtype, device="cpu")
    assert type(samples) is mu.Variable
    assert samples.dtype == np.dtype(dtype or "float32")
    values = samples.numpy().astype(np.float64)
    standard_error = np.sqrt(variance / values.size)
    assert abs(values.mean() - mean) < 6 * standard_error
    assert abs(values.var() - variance) < 0.02 * variance
    if bounds is None:
        # Normal tails: about 0.27 % of the draws beyond 3 standard deviations.
        assert 0.002 < np.mean(np.abs(values) > 3.0) < 0.0035
    else:
        assert bounds[0] <= values.min() and values.max() < bounds[1]
        histogram, _ = np.histogram(values, bins=10, range=bounds)
        np.testing.assert_allclose(histogram / values.size, 0.1, atol=0.005)
    assert len(np.unique(values)) > 0.99 * values.size


@pytest.mark.parametrize("make", [mu.randn, mu.randu], ids=["randn", "randu"])
def test_seed_makes_draws_reproducible(make: Callable[..., Any]) -> None:
    mu.seed(123)
    first = make((3, 4)).numpy(), make((5,)).numpy()
    mu.seed(123)
    second = make((3, 4)).numpy(), make((5,)).numpy()
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert not np.array_equal(first[0].ravel()[:5], first[1])
    mu.seed(124)
    assert not np.array_equal(make((3, 4)).numpy(), first[0])
    mu.seed(7)
    double = make((3, 4), dtype="float64").numpy()
    mu.seed(7)
    np.testing.assert_array_equal(make((3, 4), dtype="float64").numpy(), double)


def test_random_draws_respect_float16() -> None:
    half = mu.randn((1000,), dtype="float16")
    assert half.dtype == np.float16
    assert 0.8 < float(np.std(half.numpy().astype(np.float64))) < 1.2
    assert mu.randu((10,), dtype=np.float16).dtype == np.float16


def test_custom_fills_row_major() -> None:
    x = mu.custom([1, 2, 3, 4, 5, 6], (2, 3))
    assert type(x) is mu.Variable
    assert x.dtype == np.float32
    np.testing.assert_array_equal(x.numpy(), [[1, 2, 3], [4, 5, 6]])
    batched = mu.custom(list(range(12)), (2, 3, 2), dtype="float64", device="cpu")
    assert batched.dtype == np.float64
    np.testing.assert_array_equal(batched.numpy(), np.arange(12.0).reshape(2, 3, 2))
    assert batched.numpy()[1, 0, 1] == 7.0


def test_variable_and_constant_from_lists_arrays_and_scalars() -> None:
    nested = mu.variable([[1.0, 2.0], [3.0, 4.0]])
    assert type(nested) is mu.Variable
    assert nested.shape == (2, 2)
    assert nested.dtype == np.float32
    scalar = mu.variable(3.5)
    assert scalar.shape == ()
    assert scalar.item() == 3.5
    array = np.arange(6.0).reshape(2, 3)
    from_array = mu.variable(array)
    assert from_array.dtype == np.float64
    np.testing.assert_array_equal(from_array.numpy(), array)
    assert type(mu.constant(array)) is mu.Constant
    assert mu.constant(array).dtype == np.float64
    assert mu.constant([1, 2]).dtype.kind == "i"
    assert mu.constant([True, False]).dtype == np.bool_
    assert mu.constant([1, 2], dtype="float64", device="cpu").dtype == np.float64
    assert mu.variable(array, dtype="float32", device="cpu").dtype == np.float32
    copied = mu.variable(mu.constant([1.0, 2.0]))
    assert type(copied) is mu.Variable
    assert mu.Variable([1.0]).dtype == np.float32
    assert mu.Constant([1]).dtype.kind == "i"


def test_tensor_members() -> None:
    values = np.arange(6.0).reshape(2, 3)
    for tensor, kind in ((mu.variable(values), "Variable"), (mu.constant(values), "Constant")):
        assert tensor.shape == (2, 3)
        assert tensor.ndim == 2
        assert tensor.numel() == 6
        assert tensor.size() == (2, 3) and tensor.size(1) == 3 and tensor.size(-2) == 2
        assert tensor.dtype == np.float64
        assert isinstance(tensor.dtype, np.dtype)
        assert tensor.device == "cpu"
        assert isinstance(tensor.array(), np.ndarray)
        raw = tensor.array()  # the values themselves, read-only: writes go through x.data
        assert np.shares_memory(raw, tensor.array()) and not raw.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            raw[0, 0] = 1.0
        copy = tensor.numpy()
        copy[0, 0] = 100.0
        assert tensor.numpy()[0, 0] == 0.0  # numpy() is a copy
        np.testing.assert_array_equal(np.asarray(tensor), values)
        assert np.asarray(tensor, dtype=np.float32).dtype == np.float32
        assert len(tensor) == 2
        rows = list(tensor)
        assert len(rows) == 2
        assert all(type(row).__name__ == kind for row in rows)
        np.testing.assert_array_equal(rows[1].numpy(), values[1])
        text = repr(tensor)
        assert text.startswith(f"{kind}(")
        assert "shape=(2, 3)" in text
        assert "dtype=float64" in text
        assert "5." in text


def test_item_and_bool_of_one_element_tensors() -> None:
    assert mu.variable([[2.5]]).item() == 2.5
    assert isinstance(mu.variable([[2.5]]).item(), float)
    assert mu.constant([7]).item() == 7
    assert isinstance(mu.constant([7]).item(), int)
    assert bool(mu.variable([1.0])) is True
    assert bool(mu.variable(0.0)) is False
    assert bool(mu.constant([[True]])) is True
    assert bool(mu.ones((3,)).sum() > 2.0) is True


def test_repr_of_a_large_tensor_is_summarised() -> None:
    text = repr(mu.zeros((100, 100)))
    assert "..." in text
    assert len(text) < 1000
