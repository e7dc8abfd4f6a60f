"""Activation functions (``mu.nn.activations``), each a primitive with its own VJP.

Each is computed in one pass on the backend and stays numerically stable for any finite
input: ``sigmoid``, ``softplus``, ``softmax`` and ``logsoftmax`` never evaluate ``exp`` of a
large positive number, so inputs of +-1e4 give exact results without overflow warnings.
The VJPs are written with the function set ``F`` (see ``docs/architecture.md``), so second
derivatives (``backward(create_graph=True)``) work through every activation.

``gelu`` is the exact form ``x * Phi(x)`` with the normal CDF ``Phi`` computed from ``erf``,
which is also a primitive here (NumPy has no ``erf``; see :func:`_erf_forward`).
"""

from __future__ import annotations

import math
from typing import Any

from mushin import _backend, _cuda, ops
from mushin import _typing as typed
from mushin._backend import Array
from mushin._graph import Primitive
from mushin._tensor import apply
from mushin.ops._util import accumulator, normalize_axis, shape_of

# --- erf ----------------------------------------------------------------------------------

# erf(x) = x * P(u) for |x| <= 2 with u = (x^2 - 2) / 2 in [-1, 1], and
# erfc(a) = exp(-a^2) / a * Q(v) for 2 <= a <= 6 with v = (2 / a^2 - 5 / 18) / (2 / 9),
# mapping 1 / a^2 in [1/36, 1/4] onto [-1, 1]. P and Q are degree-18 and degree-20
# Chebyshev interpolants of erf(sqrt t) / sqrt t and a * exp(a^2) * erfc(a), computed with
# 50-digit arithmetic and written in powers of u and v; in float64 the result is within
# 2 units in the last place of erf everywhere. Beyond a = 6, erfc(a) < 2.2e-17 rounds away
# in 1 - erfc, so a is clamped there.
_ERF_SMALL = (
    0.674933236039655, -0.2611118609312454, 0.11947913860985186, -0.04866277744915503,
    0.017128344571816667, -0.0052348758361588765, 0.0014050914236518719,
    -0.0003351435335239757, 7.1801008439299e-05, -1.3946273745397808e-05,
    2.475802047377872e-06, -4.045094610710336e-07, 6.119568107896591e-08,
    -8.617701405603135e-09, 1.1348209944033648e-09, -1.4013468256449332e-10,
    1.6333492632134225e-11, -1.892293166904461e-12, 1.9677349461986228e-13,
)
_ERFC_LARGE = (
    0.5312118330102713, -0.022532890108195047, 0.0024337203381536803,
    -0.0003826826204237798, 7.506224468457926e-05, -1.7114544551342474e-05,
    4.360447963801048e-06, -1.2110676189520273e-06, 3.6058138054797494e-07,
    -1.137140173896278e-07, 3.765197020410664e-08, -1.3025211038022014e-08,
    4.666815848045142e-09, -1.675049983422983e-09, 6.339050003727871e-10,
    -3.1315187508521685e-10, 1.2839641090959233e-10, -4.821110430861196e-13,
    -1.4090691540503384e-12, -2.2407795210026754e-11, 9.988478412127209e-12,
)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _horner(coefficients: tuple[float, ...], u: Array) -> Array:
    result = u * coefficients[-1] + coefficients[-2]
    for coefficient in coefficients[-3::-1]:
        result = result * u + coefficient
    return result


def _erf_forward(xp: Any, x: Array) -> Array:
    if _cuda.fusable(x):
        return _cuda.pointwise("mushin_erf", "out = erf(x);", "x", x)
    magnitude = xp.abs(x)
    small = magnitude <= 2
    if xp is not _backend.CPU.xp:
        # On a device, both branches everywhere and a select: asking which elements are
        # small would be a read back from the device. Each branch's argument is clamped into
        # its own range, so the other branch's elements give finite values that are dropped.
        near = xp.minimum(magnitude, 2) * xp.sign(x)
        near = near * _horner(_ERF_SMALL, near * near * 0.5 - 1)
        outer = xp.clip(magnitude, 2, 6)
        squared = outer * outer
        far = xp.sign(x) * (1 - xp.exp(-squared) / outer
                            * _horner(_ERFC_LARGE, (2 / squared - 5 / 18) * 4.5))
        return xp.where(small, near, far)
    if bool(xp.all(small)):
        return x * _horner(_ERF_SMALL, x * x * 0.5 - 1)
    result = xp.empty_like(x)
    inner = x[small]
    result[small] = inner * _horner(_ERF_SMALL, inner * inner * 0.5 - 1)
    large = ~small
    outer = xp.minimum(magnitude[large], 6)
    squared = outer * outer
    tail = xp.exp(-squared) / outer * _horner(_ERFC_LARGE, (2 / squared - 5 / 18) * 4.5)
    result[large] = xp.sign(x[large]) * (1 - tail)
    return result


def _erf_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any]:
    x = inputs[0]
    if _cuda.fused_vjp(F, g, x):
        return (_cuda.pointwise("mushin_erf_grad", "out = g * (c * exp(-(x * x)));", "g x", g,
                                x, c=_TWO_OVER_SQRT_PI),)
    return (g * (_TWO_OVER_SQRT_PI * F.exp(-(x * x))),)


ERF = Primitive("erf", _erf_forward, _erf_vjp)


def erf(x: Any) -> Any:
    """The error function ``2 / sqrt(pi) * integral_0^x exp(-t^2) dt``."""
    return apply(ERF, x)


# --- primitives ---------------------------------------------------------------------------

def _relu_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any, ...]:
    # The mask ``out > 0`` times the gradient (one compare, one multiply; ``where`` with a
    # broadcast scalar 0 is about ten times slower on NumPy), one fused kernel on CuPy.
    if _cuda.fused_vjp(F, g, out):
        return (_cuda.relu_grad(g, out),)
    return (g * (out > 0),)


RELU = Primitive("relu", lambda xp, x: xp.maximum(x, 0), _relu_vjp, saves="output")


# exp(-|x|) never overflows; each branch is the accurate form on its side of 0.
_SIGMOID = "T d = exp(-fabs(x)); T s = x >= (T)0 ? (T)1 / ((T)1 + d) : d / ((T)1 + d);"


def _sigmoid_forward(xp: Any, x: Array) -> Array:
    if _cuda.fusable(x):
        return _cuda.pointwise("mushin_sigmoid", _SIGMOID + "out = s;", "x", x)
    decay = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + decay), decay / (1 + decay))


def _sigmoid_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any]:
    if _cuda.fused_vjp(F, g, out):
        return (_cuda.pointwise("mushin_sigmoid_grad", "out = g * y * ((T)1 - y);", "g y", g,
                                out),)
    return (g * out * (1 - out),)


SIGMOID = Primitive("sigmoid", _sigmoid_forward, _sigmoid_vjp, saves="output")


def _softmax_forward(xp: Any, x: Array, axis: int) -> Array:
    if axis == x.ndim - 1 and _cuda.fusable(x):
        return _cuda.softmax_rows(x, take_log=False)
    shifted = xp.exp(x - xp.max(x, axis=axis, keepdims=True))
    wide = accumulator(x)
    result = shifted / xp.sum(shifted, axis=axis, keepdims=True, dtype=wide)
    return result if wide is None else result.astype(x.dtype)


def _softmax_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any,
                 axis: int) -> tuple[Any]:
    if axis == out.ndim - 1 and _cuda.fused_vjp(F, g, out):
        return (_cuda.softmax_rows_grad(g, out, take_log=False),)
    return (out * (g - F.sum(g * out, axis=(axis,), keepdims=True)),)


SOFTMAX = Primitive("softmax", _softmax_forward, _softmax_vjp, saves="output")


def _logsoftmax_forward(xp: Any, x: Array, axis: int) -> Array:
    if axis == x.ndim - 1 and _cuda.fusable(x):
        return _cuda.softmax_rows(x, take_log=True)
    shifted = x - xp.max(x, axis=axis, keepdims=True)
    wide = accumulator(x)
    result = shifted - xp.log(xp.sum(xp.exp(shifted), axis=axis, keepdims=True, dtype=wide))
    return result if wide is None else result.astype(x.dtype)


def _logsoftmax_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any,
                    axis: int) -> tuple[Any]:
    if axis == out.ndim - 1 and _cuda.fused_vjp(F, g, out):
        return (_cuda.softmax_rows_grad(g, out, take_log=True),)
    return (g - F.exp(out) * F.sum(g, axis=(axis,), keepdims=True),)


LOGSOFTMAX = Primitive("logsoftmax", _logsoftmax_forward, _logsoftmax_vjp, saves="output")

def _leaky_relu_forward(xp: Any, x: Array, slope: float) -> Array:
    if _cuda.fusable(x):
        return _cuda.pointwise("mushin_leaky_relu", "out = x > (T)0 ? x : x * slope;", "x", x,
                               slope=slope)
    return xp.where(x > 0, x, x * slope)


def _leaky_relu_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any,
                    slope: float) -> tuple[Any]:
    x = inputs[0]
    if _cuda.fused_vjp(F, g, x):
        return (_cuda.pointwise("mushin_leaky_relu_grad", "out = x > (T)0 ? g : g * slope;",
                                "g x", g, x, slope=slope),)
    return (F.where(x > 0, g, g * slope),)


LEAKY_RELU = Primitive("leaky_relu", _leaky_relu_forward, _leaky_relu_vjp)


def _gelu_forward(xp: Any, x: Array) -> Array:
    if _cuda.fusable(x):
        return _cuda.pointwise("mushin_gelu", "out = x * ((T)0.5 + (T)0.5 * erf(x * c));", "x",
                               x, c=_INV_SQRT_2)
    return x * (0.5 + 0.5 * _erf_forward(xp, x * _INV_SQRT_2))


def _gelu_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any]:
    x = inputs[0]
    if _cuda.fused_vjp(F, g, x):
        return (_cuda.pointwise(
            "mushin_gelu_grad", "T cdf = (T)0.5 + (T)0.5 * erf(x * c);"
            "T density = exp((T)-0.5 * (x * x)) * d; out = g * (cdf + x * density);",
            "g x", g, x, c=_INV_SQRT_2, d=_INV_SQRT_2PI),)
    cdf = 0.5 + 0.5 * F.erf(x * _INV_SQRT_2)
    density = F.exp(-0.5 * (x * x)) * _INV_SQRT_2PI
    return (g * (cdf + x * density),)


GELU = Primitive("gelu", _gelu_forward, _gelu_vjp)


def _silu_forward(xp: Any, x: Array) -> Array:
    if _cuda.fusable(x):
        return _cuda.pointwise("mushin_silu", _SIGMOID + "out = x * s;", "x", x)
    return x * _sigmoid_forward(xp, x)


def _silu_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any]:
    x = inputs[0]
    if _cuda.fused_vjp(F, g, x):
        return (_cuda.pointwise("mushin_silu_grad",
                                _SIGMOID + "out = g * (s + x * s * ((T)1 - s));", "g x", g, x),)
    gate = F.sigmoid(x)
    return (g * (gate + x * gate * (1 - gate)),)


SILU = Primitive("silu", _silu_forward, _silu_vjp)

def _elu_forward(xp: Any, x: Array, alpha: float) -> Array:
    if _cuda.fusable(x):  # min(x, 0) keeps a NaN, as NumPy's minimum
        return _cuda.pointwise("mushin_elu", "T low = (x < (T)0 || x != x) ? x : (T)0;"
                               "out = x > (T)0 ? x : alpha * expm1(low);", "x", x, alpha=alpha)
    return xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, 0)))


def _elu_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, alpha: float) -> tuple[Any]:
    x = inputs[0]
    if _cuda.fused_vjp(F, g, x, out):
        return (_cuda.pointwise("mushin_elu_grad", "out = x > (T)0 ? g : g * (y + alpha);",
                                "g x y", g, x, out, alpha=alpha),)
    return (F.where(x > 0, g, g * (out + alpha)),)


ELU = Primitive("elu", _elu_forward, _elu_vjp, saves="both")


def _softplus_forward(xp: Any, x: Array, beta: float, threshold: float) -> Array:
    if _cuda.fusable(x):  # max(z, 0) keeps a NaN, as NumPy's maximum
        return _cuda.pointwise(
            "mushin_softplus", "T z = x * beta; T high = (z > (T)0 || z != z) ? z : (T)0;"
            "T smooth = (high + log1p(exp(-fabs(z)))) / beta; out = z > threshold ? x : smooth;",
            "x", x, beta=beta, threshold=threshold)
    scaled = x * beta
    # log(1 + e^z) = max(z, 0) + log1p(e^-|z|): no overflow; linear above the threshold.
    smooth = (xp.maximum(scaled, 0) + xp.log1p(xp.exp(-xp.abs(scaled)))) / beta
    return xp.where(scaled > threshold, x, smooth)


def _softplus_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, beta: float,
                  threshold: float) -> tuple[Any]:
    if _cuda.fused_vjp(F, g, inputs[0]):
        return (_cuda.pointwise(
            "mushin_softplus_grad",
            "T x = z * beta;" + _SIGMOID + "out = x > threshold ? g : g * s;", "g z", g,
            inputs[0], beta=beta, threshold=threshold),)
    scaled = inputs[0] * beta
    return (F.where(scaled > threshold, g, g * F.sigmoid(scaled)),)


SOFTPLUS = Primitive("softplus", _softplus_forward, _softplus_vjp)


# --- public functions -----------------------------------------------------------------------

def _axis(name: str, x: Any, axis: object) -> int:
    shape = shape_of(x)
    if not shape:
        raise ValueError(f"{name}: needs a tensor with at least one axis, got a 0-d tensor")
    if axis is None or isinstance(axis, tuple | list):
        raise TypeError(f"{name}: axis must be one int, got {axis!r}")
    return (normalize_axis(name, axis, len(shape)) or (0,))[0]


def _number(name: str, argument: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name}: {argument} must be a number, got {value!r}")
    return float(value)


@typed.activation_function
def relu(x: Any) -> Any:
    """``max(x, 0)`` elementwise (gradient 0 at 0, as PyTorch)."""
    return apply(RELU, x)


@typed.activation_function
def softmax(x: Any, axis: int = -1) -> Any:
    """``exp(x) / sum(exp(x))`` along ``axis``: each slice along ``axis`` sums to 1."""
    return apply(SOFTMAX, x, axis=_axis("softmax", x, axis))


@typed.activation_function
def logsoftmax(x: Any, axis: int = -1) -> Any:
    """``x - logsumexp(x)`` along ``axis``: the log of ``softmax``, computed stably."""
    return apply(LOGSOFTMAX, x, axis=_axis("logsoftmax", x, axis))


@typed.activation_function
def sigmoid(x: Any) -> Any:
    """``1 / (1 + exp(-x))`` elementwise."""
    return apply(SIGMOID, x)


@typed.activation_function
def tanh(x: Any) -> Any:
    """The hyperbolic tangent (``mu.tanh``)."""
    return ops.tanh(x)


@typed.activation_function
def leaky_relu(x: Any, negative_slope: float = 0.01) -> Any:
    """``x`` where positive, ``negative_slope * x`` elsewhere."""
    return apply(LEAKY_RELU, x, slope=_number("leaky_relu", "negative_slope", negative_slope))


@typed.activation_function
def gelu(x: Any) -> Any:
    """The Gaussian error linear unit ``x * Phi(x)``, with the exact normal CDF ``Phi``
    (PyTorch's default, not the tanh approximation)."""
    return apply(GELU, x)


@typed.activation_function
def silu(x: Any) -> Any:
    """``x * sigmoid(x)`` (also called swish)."""
    return apply(SILU, x)


@typed.activation_function
def elu(x: Any, alpha: float = 1.0) -> Any:
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere."""
    return apply(ELU, x, alpha=_number("elu", "alpha", alpha))


@typed.activation_function
def softplus(x: Any, beta: float = 1.0, threshold: float = 20.0) -> Any:
    """``log(1 + exp(beta * x)) / beta``, and ``x`` itself where ``beta * x > threshold``
    (PyTorch's definition)."""
    beta = _number("softplus", "beta", beta)
    if beta == 0:
        raise ValueError("softplus: beta must not be 0")
    return apply(SOFTPLUS, x, beta=beta, threshold=_number("softplus", "threshold", threshold))
