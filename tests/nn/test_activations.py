"""Activations: values against float64 NumPy formulas, gradients against finite differences,
second derivatives, stability at +-1e4 and dtype preservation."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mushin as mu
from mushin.nn import activations
from mushin.testing import gradcheck


def _erf(values: np.ndarray) -> np.ndarray:
    return np.vectorize(math.erf)(values)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -x))


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    return np.exp(_logsoftmax(x, axis))


def _logsoftmax(x: np.ndarray, axis: int) -> np.ndarray:
    peak = x.max(axis=axis, keepdims=True)
    return x - peak - np.log(np.exp(x - peak).sum(axis=axis, keepdims=True))


# name, mushin function, float64 reference formula
CASES: list[tuple[str, Callable[[Any], Any], Callable[[np.ndarray], np.ndarray]]] = [
    ("relu", activations.relu, lambda x: np.maximum(x, 0)),
    ("softmax", activations.softmax, lambda x: _softmax(x, -1)),
    ("softmax-axis0", lambda x: activations.softmax(x, axis=0), lambda x: _softmax(x, 0)),
    ("logsoftmax", activations.logsoftmax, lambda x: _logsoftmax(x, -1)),
    ("logsoftmax-axis0", lambda x: activations.logsoftmax(x, 0), lambda x: _logsoftmax(x, 0)),
    ("sigmoid", activations.sigmoid, _sigmoid),
    ("tanh", activations.tanh, np.tanh),
    ("leaky_relu", activations.leaky_relu, lambda x: np.where(x > 0, x, 0.01 * x)),
    ("leaky_relu-0.3", lambda x: activations.leaky_relu(x, 0.3),
     lambda x: np.where(x > 0, x, 0.3 * x)),
    ("gelu", activations.gelu, lambda x: x * 0.5 * (1 + _erf(x / math.sqrt(2)))),
    ("silu", activations.silu, lambda x: x * _sigmoid(x)),
    ("elu", activations.elu, lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0)))),
    ("elu-2", lambda x: activations.elu(x, alpha=2.0),
     lambda x: np.where(x > 0, x, 2 * np.expm1(np.minimum(x, 0)))),
    ("softplus", activations.softplus,
     lambda x: np.where(x > 20, x, np.logaddexp(0.0, x))),
    ("softplus-beta", lambda x: activations.softplus(x, beta=3.0, threshold=4.0),
     lambda x: np.where(3 * x > 4, x, np.logaddexp(0.0, 3 * x) / 3)),
]
IDS = [case[0] for case in CASES]


@pytest.mark.parametrize(("name", "function", "reference"), CASES, ids=IDS)
def test_values_match_float64_formulas(name: str, function: Callable[[Any], Any],
                                       reference: Callable[[np.ndarray], np.ndarray]) -> None:
    x = np.random.default_rng(0).standard_normal((4, 6)) * 5
    np.testing.assert_allclose(function(mu.constant(x)).numpy(), reference(x), rtol=1e-12,
                               atol=1e-14)


@pytest.mark.parametrize(("name", "function", "reference"), CASES, ids=IDS)
def test_gradients_match_finite_differences(name: str, function: Callable[[Any], Any],
                                            reference: Callable[[np.ndarray], np.ndarray]
                                            ) -> None:
    x = np.random.default_rng(1).standard_normal((3, 4)) * 2
    x[np.abs(x) < 0.05] = 0.3  # keep away from the kinks of relu, leaky_relu and elu
    assert gradcheck(function, x)


def _first_derivative(function: Callable[[Any], Any], x: np.ndarray) -> np.ndarray:
    leaf = mu.variable(x, dtype="float64")
    function(leaf).sum().backward()
    return leaf.grad().numpy()


@pytest.mark.parametrize(("name", "function", "reference"), CASES, ids=IDS)
def test_second_derivatives_match_finite_differences(
        name: str, function: Callable[[Any], Any],
        reference: Callable[[np.ndarray], np.ndarray]) -> None:
    """d/dx of (w . first derivative), by double backward and by central differences of the
    first derivative."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3)) * 2
    x[np.abs(x) < 0.05] = 0.3
    direction = rng.standard_normal(x.shape)
    leaf = mu.variable(x, dtype="float64")
    function(leaf).sum().backward(create_graph=True)
    first = leaf.grad()
    leaf.reset()
    (first * direction).sum().backward()
    numeric = np.zeros_like(x)
    eps = 1e-6
    for index in np.ndindex(*x.shape):
        step = np.zeros_like(x)
        step[index] = eps
        above = _first_derivative(function, x + step)
        below = _first_derivative(function, x - step)
        numeric[index] = np.sum(direction * (above - below)) / (2 * eps)
    np.testing.assert_allclose(leaf.grad().numpy(), numeric, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("name", "function", "reference"), CASES, ids=IDS)
def test_stable_at_large_magnitudes(name: str, function: Callable[[Any], Any],
                                    reference: Callable[[np.ndarray], np.ndarray]) -> None:
    x = np.array([[-1e4, -50.0, 0.0, 50.0, 1e4], [1e4, 1e4 - 1, -1e4, 3.0, -3.0]])
    leaf = mu.variable(x, dtype="float64")
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise",
                                                invalid="raise"):
        warnings.simplefilter("error")
        result = function(leaf)
        result.backward(np.ones(result.shape))
    values, grads = result.numpy(), leaf.grad().numpy()
    assert np.all(np.isfinite(values)) and np.all(np.isfinite(grads))
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(values, reference(x), rtol=1e-12, atol=1e-300)


def test_stable_softmax_family_exact_at_large_magnitudes() -> None:
    x = mu.constant(np.array([[1e4, 0.0, -1e4], [1e4, 1e4, 1e4]]))
    np.testing.assert_array_equal(activations.softmax(x).numpy(),
                                  [[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]])
    np.testing.assert_array_equal(activations.logsoftmax(x).numpy()[0], [0.0, -1e4, -2e4])
    np.testing.assert_array_equal(activations.sigmoid(x).numpy()[0], [1.0, 0.5, 0.0])
    np.testing.assert_array_equal(activations.softplus(x).numpy()[0], [1e4, math.log(2), 0.0])


@pytest.mark.parametrize(("name", "function", "reference"), CASES, ids=IDS)
def test_float32_stays_float32(name: str, function: Callable[[Any], Any],
                               reference: Callable[[np.ndarray], np.ndarray]) -> None:
    x = mu.variable(np.random.default_rng(3).standard_normal((3, 4)).astype(np.float32))
    result = function(x)
    result.sum().backward()
    assert result.dtype == np.float32
    assert x.grad().dtype == np.float32
    np.testing.assert_allclose(result.numpy(), reference(x.numpy().astype(np.float64)),
                               rtol=2e-6, atol=2e-6)


def test_erf_is_accurate_to_a_few_units_in_the_last_place() -> None:
    x = np.concatenate([np.linspace(-7, 7, 20001), np.geomspace(1e-300, 7, 500),
                        [0.0, -0.0, np.inf, -np.inf]])
    expected = _erf(x)
    result = activations.erf(mu.constant(x)).numpy()
    ulps = np.abs(result - expected) / np.spacing(np.maximum(np.abs(expected), 1e-300))
    assert ulps.max() <= 4
    assert np.isnan(activations.erf(mu.constant(np.array([np.nan]))).item())


def test_erf_gradient() -> None:
    x = np.array([-3.0, -0.4, 0.0, 0.7, 2.5])
    assert gradcheck(activations.erf, x)


@given(st.integers(1, 4), st.integers(1, 5), st.sampled_from([0, 1, -1]))
def test_softmax_slices_sum_to_one(rows: int, columns: int, axis: int) -> None:
    x = np.random.default_rng(rows * 10 + columns).standard_normal((rows, columns)) * 10
    result = activations.softmax(mu.constant(x), axis=axis).numpy()
    np.testing.assert_allclose(result.sum(axis=axis), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.exp(activations.logsoftmax(mu.constant(x), axis).numpy()),
                               result, rtol=1e-12)


def test_kinds_follow_the_operand() -> None:
    constant = mu.constant(np.ones((2, 2)))
    assert isinstance(activations.relu(constant), mu.Constant)
    assert isinstance(activations.gelu(constant.unfreeze()), mu.Variable)


def test_bad_arguments_raise_clear_errors() -> None:
    x = mu.ones((2, 3))
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        activations.softmax(x, axis=2)
    with pytest.raises(TypeError, match="one int"):
        activations.logsoftmax(x, axis=(0, 1))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="softmax"):
        activations.softmax(x, axis=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="negative_slope must be a number"):
        activations.leaky_relu(x, "0.1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="beta must not be 0"):
        activations.softplus(x, beta=0)
