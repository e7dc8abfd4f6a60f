"""Numerical robustness: stable functions at extreme inputs, float16, and anomaly detection.

- The stable functions (``softmax``, ``logsoftmax``, ``logsumexp``, ``sigmoid``, ``softplus``,
  ``cross_entropy``, ``bce_with_logits``) give exact values and gradients at inputs of +-1e4,
  in float32 and float64, with NumPy's overflow, division and invalid-value warnings turned
  into errors (underflow to 0 is the right answer there, so it stays quiet).
- float16 is supported by every operation tested here: values and gradients stay within a
  few float16 rounding errors of float64, with float16 results. Sums inside means, variances,
  ``logsumexp``, ``softmax``/``logsoftmax`` and the losses' mean are accumulated in float32 (as
  NumPy's ``mean`` does), so they stay right where a float16 running sum would overflow at
  65504 (a mean over 100,000 elements, say). Gradients are float16 arithmetic throughout: an
  intermediate beyond 65504 there overflows (the sum of 100,000 ones reaching logsoftmax).
- ``mu.detect_anomaly()`` names the first operation whose forward or backward result holds a
  NaN or an infinity, and says which pass.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import mushin as mu
from mushin.nn import activations, losses

Array = np.ndarray[Any, Any]

EXTREMES = np.array([1e4, -1e4, 0.0, 5e3, -5e3, 1.0])


@pytest.fixture
def strict_numpy() -> Iterator[None]:
    """NumPy's warnings (overflow, division by zero, invalid values) as errors."""
    with np.errstate(over="raise", divide="raise", invalid="raise"), \
            warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# --- float64 references, written from the definitions with the max subtracted -------------------

def _logsumexp(x: Array, axis: int) -> Array:
    peak = np.max(x, axis=axis, keepdims=True)
    return np.log(np.sum(np.exp(x - peak), axis=axis, keepdims=True)) + peak


def _logsoftmax(x: Array, axis: int) -> Array:
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def _softmax(x: Array, axis: int) -> Array:
    shifted = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return shifted / np.sum(shifted, axis=axis, keepdims=True)


def _sigmoid(x: Array) -> Array:
    # 1 / (1 + e^-x) for x >= 0 and e^x / (1 + e^x) below, each evaluated where it is safe.
    negative_part = np.exp(np.minimum(x, 0))
    return np.where(x >= 0, 1 / (1 + np.exp(-np.maximum(x, 0))),
                    negative_part / (1 + negative_part))


def _softplus(x: Array) -> Array:
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def _value_and_gradient(function: Callable[[Any], Any], values: Array, dtype: str,
                        seed: Array | None = None) -> tuple[Array, Array]:
    x = mu.variable(values, dtype=dtype)
    output = function(x)
    seed = np.ones(output.shape) if seed is None else seed
    output.backward(seed.astype(dtype))
    assert output.dtype == np.dtype(dtype)
    assert x.grad().dtype == np.dtype(dtype)
    return output.numpy().astype(np.float64), x.grad().numpy().astype(np.float64)


def _exact(actual: Array, expected: Array, dtype: str) -> None:
    """Equal to the float64 reference up to the dtype's rounding (relative, or absolute
    below 1)."""
    tolerance = 4 * np.finfo(dtype).eps
    np.testing.assert_allclose(actual, expected, rtol=tolerance, atol=tolerance)
    assert np.all(np.isfinite(actual))


# --- stable functions at +-1e4 ----------------------------------------------------------------

_ROWS = np.stack([EXTREMES, -EXTREMES, EXTREMES[::-1], np.full(6, 1e4), np.full(6, -1e4)])
_SEED = (np.arange(_ROWS.size).reshape(_ROWS.shape) - 14) / 8  # exact in every dtype


@pytest.mark.usefixtures("strict_numpy")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("axis", [0, 1])
def test_softmax_logsoftmax_and_logsumexp_are_exact_at_1e4(dtype: str, axis: int) -> None:
    rows = _ROWS.astype(dtype).astype(np.float64)
    seed = _SEED

    value, gradient = _value_and_gradient(lambda x: activations.softmax(x, axis=axis), rows,
                                          dtype, seed)
    expected = _softmax(rows, axis)
    _exact(value, expected, dtype)
    _exact(gradient, expected * (seed - np.sum(seed * expected, axis=axis, keepdims=True)),
           dtype)

    value, gradient = _value_and_gradient(lambda x: activations.logsoftmax(x, axis=axis), rows,
                                          dtype, seed)
    _exact(value, _logsoftmax(rows, axis), dtype)
    _exact(gradient, seed - expected * np.sum(seed, axis=axis, keepdims=True), dtype)

    reduced_seed = np.sum(seed, axis=axis)
    value, gradient = _value_and_gradient(lambda x: mu.logsumexp(x, axis=axis), rows, dtype,
                                          reduced_seed)
    _exact(value, np.squeeze(_logsumexp(rows, axis), axis), dtype)
    _exact(gradient, np.expand_dims(reduced_seed, axis) * expected, dtype)


@pytest.mark.usefixtures("strict_numpy")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_and_softplus_are_exact_at_1e4(dtype: str) -> None:
    values = EXTREMES.astype(dtype).astype(np.float64)
    value, gradient = _value_and_gradient(activations.sigmoid, values, dtype)
    expected = _sigmoid(values)
    _exact(value, expected, dtype)
    _exact(gradient, expected * (1 - expected), dtype)
    np.testing.assert_array_equal(value[:2], [1.0, 0.0])

    value, gradient = _value_and_gradient(activations.softplus, values, dtype)
    _exact(value, _softplus(values), dtype)
    _exact(gradient, expected, dtype)
    assert value[0] == 1e4


@pytest.mark.usefixtures("strict_numpy")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_is_exact_at_1e4(dtype: str, reduction: str) -> None:
    logits = _ROWS.astype(dtype).astype(np.float64)
    target = np.array([1, 1, 2, 3, 5])
    seed = np.linspace(0.5, 1.5, 5) if reduction == "none" else np.array(1.0)

    value, gradient = _value_and_gradient(
        lambda x: losses.cross_entropy(x, mu.constant(target), reduction=reduction), logits,
        dtype, seed)
    per_row = -_logsoftmax(logits, 1)[np.arange(5), target]
    expected = {"mean": np.mean(per_row), "sum": np.sum(per_row), "none": per_row}[reduction]
    _exact(value, expected, dtype)
    one_hot = np.eye(6)[target]
    row_weight = {"mean": np.full(5, 1 / 5), "sum": np.ones(5), "none": seed}[reduction]
    _exact(gradient, (_softmax(logits, 1) - one_hot) * row_weight[:, None], dtype)
    assert per_row.max() == 2e4  # a logit 2e4 below the largest is picked: no overflow


@pytest.mark.usefixtures("strict_numpy")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bce_with_logits_is_exact_at_1e4(dtype: str) -> None:
    logits = np.concatenate([EXTREMES, EXTREMES]).astype(dtype).astype(np.float64)
    target = np.concatenate([np.ones(6), np.zeros(6)])
    value, gradient = _value_and_gradient(
        lambda x: losses.bce_with_logits(x, mu.constant(target), reduction="none"), logits,
        dtype)
    expected = _softplus(logits) - logits * target
    _exact(value, expected, dtype)
    _exact(gradient, _sigmoid(logits) - target, dtype)
    np.testing.assert_array_equal(value[[0, 1, 6, 7]], [0.0, 1e4, 1e4, 0.0])


@pytest.mark.usefixtures("strict_numpy")
def test_masked_softmax_rows_with_minus_infinity() -> None:
    """-inf logits (masked positions) get probability 0 and gradient 0, without warnings."""
    logits = np.array([[0.0, -np.inf, 1.0], [-np.inf, 2.0, -np.inf]])
    value, gradient = _value_and_gradient(lambda x: activations.softmax(x, axis=1), logits,
                                          "float64", np.array([[1.0, 2.0, 3.0]] * 2))
    finite = np.array([[0.0, -1e300, 1.0], [-1e300, 2.0, -1e300]])
    np.testing.assert_allclose(value, _softmax(finite, 1), rtol=1e-15)
    assert gradient[0, 1] == 0.0 and gradient[1, 0] == 0.0


# --- float16 -------------------------------------------------------------------------------------

_FLOAT16_TOLERANCE = 8 * float(np.finfo(np.float16).eps)
_CLASSES = np.array([0, 2, 4, 1])
_BINARY = np.array([[0.0, 1.0, 1.0, 0.0, 1.0]] * 4)

FLOAT16_OPERATIONS: dict[str, Callable[[Any], Any]] = {
    "softmax": lambda x: activations.softmax(x, axis=1),
    "logsoftmax": lambda x: activations.logsoftmax(x, axis=1),
    "logsumexp": lambda x: mu.logsumexp(x, axis=1),
    "sigmoid": activations.sigmoid,
    "softplus": activations.softplus,
    "gelu": activations.gelu,
    "silu": activations.silu,
    "elu": activations.elu,
    "tanh": mu.tanh,
    "relu": activations.relu,
    "exp": mu.exp,
    "log": lambda x: mu.log(1 + x * x),
    "sqrt": lambda x: mu.sqrt(1 + x * x),
    "mean": lambda x: mu.mean(x, axis=0),
    "var": lambda x: mu.var(x, axis=1),
    "matmul": lambda x: x @ x.mT,
    "cross_entropy": lambda x: losses.cross_entropy(x, mu.constant(_CLASSES)),
    "bce_with_logits": lambda x: losses.bce_with_logits(x, mu.constant(_BINARY)),
    "mse": lambda x: losses.mse(x, mu.constant(_BINARY)),
}


def _relative_error(actual: Array, expected: Array) -> float:
    return float(np.max(np.abs(actual - expected) / (np.abs(expected) + 1.0)))


@pytest.mark.parametrize("name", sorted(FLOAT16_OPERATIONS))
def test_float16_is_supported(name: str) -> None:
    function = FLOAT16_OPERATIONS[name]
    values = np.random.default_rng(5).uniform(-4.0, 4.0, (4, 5)).astype(np.float16)
    value, gradient = _value_and_gradient(function, values.astype(np.float64), "float16")
    expected, expected_gradient = _value_and_gradient(function, values.astype(np.float64),
                                                      "float64")
    assert _relative_error(value, expected) < _FLOAT16_TOLERANCE
    assert _relative_error(gradient, expected_gradient) < _FLOAT16_TOLERANCE


LONG_FLOAT16_REDUCTIONS: dict[str, tuple[Callable[[Any], Any], Callable[[Array], Any]]] = {
    "mean": (mu.mean, np.mean),
    "var": (mu.var, np.var),
    "logsumexp": (mu.logsumexp, lambda x: _logsumexp(x, 0)[0]),
    "softmax": (lambda x: activations.softmax(x, axis=0), lambda x: _softmax(x, 0)),
    "logsoftmax": (lambda x: activations.logsoftmax(x, axis=0),
                   lambda x: _logsoftmax(x, 0)),
    "cross_entropy": (lambda x: losses.cross_entropy(mu.reshape(x, (-1, 2)), mu.constant(
        np.zeros(x.shape[0] // 2, dtype=np.int64))),
                      lambda x: np.mean(-_logsoftmax(x.reshape(-1, 2), 1)[:, 0])),
    "mse": (lambda x: losses.mse(x, mu.constant(np.zeros(x.shape))), lambda x: np.mean(x * x)),
}


@pytest.mark.parametrize("name", sorted(LONG_FLOAT16_REDUCTIONS))
def test_float16_reductions_over_100000_elements_do_not_overflow(name: str) -> None:
    """A float16 running sum overflows at 65504; these results are far below it."""
    function, reference = LONG_FLOAT16_REDUCTIONS[name]
    values = np.random.default_rng(6).uniform(1.9, 2.1, 100_000).astype(np.float16)
    x = mu.variable(values, dtype="float16")
    with np.errstate(over="raise", invalid="raise"):
        output = function(x)
        # Alternating signs: a seed of ones would make logsoftmax's gradient sum 100,000 ones,
        # which no float16 number holds (losses pick one log-probability per row instead).
        output.backward(np.resize([1.0, -1.0], output.shape))
    assert output.dtype == np.float16
    expected = reference(values.astype(np.float64))
    np.testing.assert_allclose(output.numpy().astype(np.float64), expected,
                               rtol=_FLOAT16_TOLERANCE, atol=1e-7)
    assert np.all(np.isfinite(x.grad().numpy()))


@pytest.mark.parametrize("values", [
    np.array([-2**63, -2**63], dtype=np.int64),
    np.array([2**62, 2**62, 2**62], dtype=np.int64),
    np.array([[250, 251], [255, 0]], dtype=np.uint8),
    np.array([True, False, True]),
], ids=["int64-min", "int64-large", "uint8", "bool"])
def test_integer_mean_and_var_do_not_wrap_around(values: np.ndarray) -> None:
    """NumPy averages integers in float64; a sum in the integer dtype would wrap around.
    (``var`` divides by n - 1 by default, PyTorch's correction.)"""
    x = mu.constant(values)

    def sample_var(array: np.ndarray, **options: Any) -> Any:
        return np.var(array, ddof=1, **options)

    for function, reference in ((mu.mean, np.mean), (mu.var, sample_var)):
        result = function(x)
        assert result.dtype == np.float64
        np.testing.assert_allclose(result.numpy(), reference(values.astype(np.float64)),
                                   rtol=1e-15)
        np.testing.assert_allclose(function(x, axis=0).numpy(),
                                   reference(values.astype(np.float64), axis=0), rtol=1e-15)


# --- detect_anomaly -------------------------------------------------------------------------------

def _forward_offenders() -> dict[str, tuple[str, Callable[[], Any]]]:
    """Programs whose first non-finite forward result comes from the named operation; the
    operations after it would produce NaNs or infinities too."""

    def variable(*values: float) -> mu.Variable[Any]:
        return mu.variable(np.array(values), dtype="float64")

    return {
        "log": ("log", lambda: mu.exp(mu.log(variable(1.0, -1.0) - 0.5) * 2)),
        "sqrt": ("sqrt", lambda: mu.sqrt(variable(-4.0, 4.0)).sum()),
        "div": ("div", lambda: mu.sin(variable(1.0, 2.0) / variable(0.0, 1.0))),
        "exp": ("exp", lambda: mu.log(mu.exp(variable(1000.0, 1.0)))),
        "mul": ("mul", lambda: (variable(1e200, 1.0) * 1e200) - 1.0),
        "pow": ("pow", lambda: (variable(1e200, 2.0) ** 2).mean()),
        "sum": ("sum", lambda: mu.sum(variable(1e308, 1e308)) * 0.0),
        "matmul": ("matmul", lambda: mu.reshape(variable(1e300, 1e300), (1, 2))
                   @ mu.reshape(variable(1e300, 1e300), (2, 1))),
        "var": ("mul", lambda: mu.var(variable(1e300, -1e300))),
        "sub before softmax": ("sub", lambda: activations.softmax(variable(1.0, 2.0) - np.inf)),
        "conv2d": ("conv2d", lambda: _conv2d(1e300)),
    }


def _conv2d(scale: float) -> Any:
    from mushin.nn.ops import conv2d

    image = mu.variable(np.full((1, 1, 3, 3), scale))
    return conv2d(image, mu.variable(np.full((1, 1, 2, 2), scale)))


@pytest.mark.parametrize("case", sorted(_forward_offenders()))
def test_detect_anomaly_names_the_first_forward_offender(case: str) -> None:
    expected, program = _forward_offenders()[case]
    with np.errstate(all="ignore"):
        assert not np.all(np.isfinite(program().numpy()))  # unchecked: NaNs flow on, silently
        with mu.detect_anomaly(), pytest.raises(FloatingPointError) as raised:
            program()
    message = str(raised.value)
    assert f"'{expected}'" in message, message
    assert "forward" in message


def _backward_offenders() -> dict[str, tuple[str, Callable[[], tuple[Any, Any]]]]:
    """(input, output) of programs whose forward is finite and whose first non-finite
    gradient, in the order backward visits the operations, comes from the named one."""

    def leaf(*values: float) -> mu.Variable[Any]:
        return mu.variable(np.array(values), dtype="float64")

    def sqrt_at_zero() -> tuple[Any, Any]:
        x = leaf(0.0, 1.0)
        return x, (mu.sqrt(x) * 3.0).sum()

    def power_at_zero() -> tuple[Any, Any]:
        x = leaf(0.0, 4.0)
        return x, mu.exp(x ** 0.5).sum()

    def sqrt_before_pow() -> tuple[Any, Any]:
        x = leaf(0.0, 1.0)
        return x, mu.sqrt(x ** 3.0).sum()

    def tiny_denominator() -> tuple[Any, Any]:
        x = leaf(1e-300, 1.0)
        return x, (1.0 / x).sum() * 1e-250

    def log_of_tiny() -> tuple[Any, Any]:
        x = leaf(1e-320, 1.0)
        return x, (mu.log(x) * 2.0).sum()

    def large_factor() -> tuple[Any, Any]:
        x = leaf(1e-300, 1e-300)
        return x, (x * 1e300 * 1e10).sum()

    return {
        "sqrt": ("sqrt", sqrt_at_zero),
        "sqrt before pow": ("sqrt", sqrt_before_pow),
        "pow": ("pow", power_at_zero),
        "div": ("div", tiny_denominator),
        "log": ("log", log_of_tiny),
        "mul": ("mul", large_factor),
    }


@pytest.mark.parametrize("case", sorted(_backward_offenders()))
def test_detect_anomaly_names_the_first_backward_offender(case: str) -> None:
    expected, program = _backward_offenders()[case]
    with np.errstate(all="ignore"):
        x, output = program()
        assert math.isfinite(output.item())
        output.backward()
        assert not np.all(np.isfinite(x.grad().numpy()))  # unchecked: silently non-finite
        with mu.detect_anomaly():
            x, output = program()
            with pytest.raises(FloatingPointError) as raised:
                output.backward()
    message = str(raised.value)
    assert f"'{expected}'" in message, message
    assert "backward" in message


def test_detect_anomaly_lets_finite_programs_run_and_ends_with_its_block() -> None:
    x = mu.variable(np.array([0.5, 1.5]), dtype="float64")
    with mu.detect_anomaly():
        output = (activations.softmax(x * 1e4) * mu.log(x)).sum()
        output.backward()
    np.testing.assert_allclose(x.grad().numpy(), [0.0, 2 / 3], atol=1e-12)
    with np.errstate(divide="ignore"):
        assert mu.log(mu.variable(np.zeros(1))).numpy()[0] == -np.inf
