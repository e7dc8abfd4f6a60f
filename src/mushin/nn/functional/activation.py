"""Activation functions (``mu.nn.functional``, ``mu.nn.activations``) with PyTorch's names and
arguments, each a primitive with its own VJP and, beside them, its CUDA rules (one fused kernel
for the forward and one for the gradient on CuPy), or a composition of such primitives where
that is exact and cheap (``selu``, ``mish``, ``softsign``, ``glu``...).

Each is computed in one pass on the backend and stays numerically stable for any finite
input: ``sigmoid``, ``softplus``, ``logsigmoid``, ``softmax`` and ``log_softmax`` never
evaluate ``exp`` of a large positive number. ``sigmoid``, ``softmax``, ``log_softmax`` and
``erf`` are defined in :mod:`mushin.ops.special` (they are ``mu.sigmoid``...) and re-exported
here. The VJPs are written with the function set ``F`` (see ``docs/architecture.md``), so
second derivatives (``backward(create_graph=True)``) work through every activation.

``gelu`` is the exact form ``x * Phi(x)`` with the normal CDF ``Phi`` computed from ``erf``
(SciPy's on the CPU), or PyTorch's tanh approximation with ``approximate="tanh"``.

PyTorch's ``inplace=`` arguments are accepted and change nothing: mushin always computes out
of place (a tensor's values never change under the graph that recorded them).

A CUDA rule returns ``NotImplemented`` for arrays its kernel does not take (not
``cuda.fusable``: float16, or a softmax along another axis than the last), and the portable
rule runs; its kernel computes the same quantities in the same order and dtype. (The CUDA
VJP rules return ``Any``: mypy types ``NotImplemented`` so.)
"""

from __future__ import annotations

import math
from typing import Any

from mushin import _backend
from mushin import _typing as typed
from mushin._backend import Array
from mushin._check import number, shape_of, single_axis
from mushin._graph import Primitive
from mushin._random import generator
from mushin._tensor import apply, unwrap
from mushin.kernels import cuda
from mushin.ops import elementwise, shape, slicing, special
from mushin.ops.special import (
    ERF,
    LOGSOFTMAX,
    SIGMOID,
    SIGMOID_BODY,
    SOFTMAX,
    along_axis,
)

__all__ = [
    "ELU", "ERF", "GELU", "GELU_TANH", "HARDSIGMOID", "HARDSWISH", "HARDTANH",
    "LEAKY_RELU", "LOGSIGMOID", "LOGSOFTMAX", "RELU", "SIGMOID", "SILU", "SOFTMAX", "SOFTPLUS",
    "celu", "elu", "gelu", "glu", "hardshrink", "hardsigmoid", "hardswish", "hardtanh",
    "leaky_relu", "log_softmax", "logsigmoid", "logsoftmax", "mish", "prelu", "relu", "relu6",
    "rrelu", "selu", "sigmoid", "silu", "softmax", "softmin", "softplus", "softshrink",
    "softsign", "tanh", "tanhshrink", "threshold",
]

_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)

# --- relu -------------------------------------------------------------------------------------


def _relu_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any, ...]:
    # The mask ``out > 0`` times the gradient (one compare, one multiply; ``where`` with a
    # broadcast scalar 0 is about ten times slower on NumPy).
    return (g * (out > 0),)


def _relu_cuda_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> Any:
    # ``g * (out > 0)`` in one pass (a NaN gradient stays NaN, as the product's).
    if not cuda.fusable(g, out):
        return NotImplemented
    kernel = cuda.elementwise(cuda.xp_of(g), "T g, U y", "T dx", "dx = g * (T)(y > (U)0);",
                              "mushin_relu_grad")
    return (kernel(g, out),)


RELU = Primitive("relu", lambda xp, x: xp.maximum(x, 0), _relu_vjp, saves="output",
                 cuda_vjp=_relu_cuda_vjp)

# --- leaky relu -------------------------------------------------------------------------------


def _leaky_relu_forward(xp: Any, x: Array, slope: float) -> Array:
    return xp.where(x > 0, x, x * slope)


def _leaky_relu_cuda(xp: Any, x: Array, slope: float) -> Array:
    if not cuda.fusable(x):
        return NotImplemented
    return cuda.pointwise("mushin_leaky_relu", "out = x > (T)0 ? x : x * slope;", "x", x,
                          slope=slope)


def _leaky_relu_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any,
                    slope: float) -> tuple[Any]:
    x = inputs[0]
    return (F.where(x > 0, g, g * slope),)


def _leaky_relu_cuda_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any,
                         slope: float) -> Any:
    x = inputs[0]
    if not cuda.fusable(g, x):
        return NotImplemented
    return (cuda.pointwise("mushin_leaky_relu_grad", "out = x > (T)0 ? g : g * slope;",
                           "g x", g, x, slope=slope),)


LEAKY_RELU = Primitive("leaky_relu", _leaky_relu_forward, _leaky_relu_vjp,
                       cuda_forward=_leaky_relu_cuda, cuda_vjp=_leaky_relu_cuda_vjp)

# --- gelu -------------------------------------------------------------------------------------


def _gelu_forward(xp: Any, x: Array) -> Array:
    return x * (0.5 + 0.5 * ERF.forward(xp, x * _INV_SQRT_2))


def _gelu_cuda(xp: Any, x: Array) -> Array:
    if not cuda.fusable(x):
        return NotImplemented
    return cuda.pointwise("mushin_gelu", "out = x * ((T)0.5 + (T)0.5 * erf(x * c));", "x", x,
                          c=_INV_SQRT_2)


def _gelu_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any]:
    x = inputs[0]
    cdf = 0.5 + 0.5 * F.erf(x * _INV_SQRT_2)
    density = F.exp(-0.5 * (x * x)) * _INV_SQRT_2PI
    return (g * (cdf + x * density),)


def _gelu_cuda_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> Any:
    x = inputs[0]
    if not cuda.fusable(g, x):
        return NotImplemented
    return (cuda.pointwise(
        "mushin_gelu_grad", "T cdf = (T)0.5 + (T)0.5 * erf(x * c);"
        "T density = exp((T)-0.5 * (x * x)) * d; out = g * (cdf + x * density);",
        "g x", g, x, c=_INV_SQRT_2, d=_INV_SQRT_2PI),)


GELU = Primitive("gelu", _gelu_forward, _gelu_vjp, cuda_forward=_gelu_cuda,
                 cuda_vjp=_gelu_cuda_vjp)

# --- silu -------------------------------------------------------------------------------------


def _silu_forward(xp: Any, x: Array) -> Array:
    return x * SIGMOID.forward(xp, x)


def _silu_cuda(xp: Any, x: Array) -> Array:
    if not cuda.fusable(x):
        return NotImplemented
    return cuda.pointwise("mushin_silu", SIGMOID_BODY + "out = x * s;", "x", x)


def _silu_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any]:
    x = inputs[0]
    gate = F.sigmoid(x)
    return (g * (gate + x * gate * (1 - gate)),)


def _silu_cuda_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> Any:
    x = inputs[0]
    if not cuda.fusable(g, x):
        return NotImplemented
    return (cuda.pointwise("mushin_silu_grad",
                           SIGMOID_BODY + "out = g * (s + x * s * ((T)1 - s));", "g x", g, x),)


SILU = Primitive("silu", _silu_forward, _silu_vjp, cuda_forward=_silu_cuda,
                 cuda_vjp=_silu_cuda_vjp)

# --- elu --------------------------------------------------------------------------------------


def _elu_forward(xp: Any, x: Array, alpha: float) -> Array:
    return xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, 0)))


def _elu_cuda(xp: Any, x: Array, alpha: float) -> Array:
    if not cuda.fusable(x):
        return NotImplemented
    # ``low`` keeps a NaN, as NumPy's minimum(x, 0) does.
    return cuda.pointwise("mushin_elu", "T low = (x < (T)0 || x != x) ? x : (T)0;"
                          "out = x > (T)0 ? x : alpha * expm1(low);", "x", x, alpha=alpha)


def _elu_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, alpha: float) -> tuple[Any]:
    x = inputs[0]
    return (F.where(x > 0, g, g * (out + alpha)),)


def _elu_cuda_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any,
                  alpha: float) -> Any:
    x = inputs[0]
    if not cuda.fusable(g, x, out):
        return NotImplemented
    return (cuda.pointwise("mushin_elu_grad", "out = x > (T)0 ? g : g * (y + alpha);",
                           "g x y", g, x, out, alpha=alpha),)


ELU = Primitive("elu", _elu_forward, _elu_vjp, saves="both", cuda_forward=_elu_cuda,
                cuda_vjp=_elu_cuda_vjp)

# --- softplus ---------------------------------------------------------------------------------


def _softplus_forward(xp: Any, x: Array, beta: float, threshold: float) -> Array:
    scaled = x * beta
    # log(1 + e^z) = max(z, 0) + log1p(e^-|z|): no overflow; linear above the threshold.
    smooth = (xp.maximum(scaled, 0) + xp.log1p(xp.exp(-xp.abs(scaled)))) / beta
    return xp.where(scaled > threshold, x, smooth)


def _softplus_cuda(xp: Any, x: Array, beta: float, threshold: float) -> Array:
    if not cuda.fusable(x):
        return NotImplemented
    # ``high`` keeps a NaN, as NumPy's maximum(z, 0) does.
    return cuda.pointwise(
        "mushin_softplus", "T z = x * beta; T high = (z > (T)0 || z != z) ? z : (T)0;"
        "T smooth = (high + log1p(exp(-fabs(z)))) / beta; out = z > threshold ? x : smooth;",
        "x", x, beta=beta, threshold=threshold)


def _softplus_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, beta: float,
                  threshold: float) -> tuple[Any]:
    scaled = inputs[0] * beta
    return (F.where(scaled > threshold, g, g * F.sigmoid(scaled)),)


def _softplus_cuda_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, beta: float,
                       threshold: float) -> Any:
    if not cuda.fusable(g, inputs[0]):
        return NotImplemented
    return (cuda.pointwise(
        "mushin_softplus_grad",
        "T x = z * beta;" + SIGMOID_BODY + "out = x > threshold ? g : g * s;", "g z", g,
        inputs[0], beta=beta, threshold=threshold),)


SOFTPLUS = Primitive("softplus", _softplus_forward, _softplus_vjp,
                     cuda_forward=_softplus_cuda, cuda_vjp=_softplus_cuda_vjp)


# --- gelu, tanh approximation -----------------------------------------------------------------

_GELU_BETA = math.sqrt(2.0 / math.pi)
_GELU_KAPPA = 0.044715


def _gelu_tanh_forward(xp: Any, x: Array) -> Array:
    inner = _GELU_BETA * (x + _GELU_KAPPA * (x * x * x))
    return 0.5 * x * (1 + xp.tanh(inner))


def _gelu_tanh_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any]:
    x = inputs[0]
    squared = x * x
    t = F.tanh(_GELU_BETA * (x + _GELU_KAPPA * (squared * x)))
    slope = 0.5 * x * (1 - t * t) * (_GELU_BETA * (1 + 3 * _GELU_KAPPA * squared))
    return (g * (0.5 * (1 + t) + slope),)


GELU_TANH = Primitive("gelu_tanh", _gelu_tanh_forward, _gelu_tanh_vjp)

# --- hardtanh, hardswish, hardsigmoid ---------------------------------------------------------


def _hardtanh_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, lo: float,
                  hi: float) -> tuple[Any]:
    # PyTorch's: no gradient at or beyond either bound (NaN inputs pass it on).
    x = inputs[0]
    return (F.where((x <= lo) | (x >= hi), 0, g),)


HARDTANH = Primitive("hardtanh", lambda xp, x, lo, hi: xp.clip(x, lo, hi), _hardtanh_vjp)


def _hardswish_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any]:
    # PyTorch's: 0 up to -3, x / 3 + 1/2 inside (-3, 3), 1 from 3 on.
    x = inputs[0]
    return (F.where(x <= -3, 0, F.where(x < 3, g * (x / 3 + 0.5), g)),)


HARDSWISH = Primitive("hardswish", lambda xp, x: x * xp.clip(x + 3, 0, 6) / 6, _hardswish_vjp)
HARDSIGMOID = Primitive(
    "hardsigmoid", lambda xp, x: xp.clip(x + 3, 0, 6) / 6,
    lambda F, g, inputs, out, parents: (
        F.where((inputs[0] > -3) & (inputs[0] < 3), g / 6, 0),))

# --- logsigmoid -------------------------------------------------------------------------------


def _logsigmoid_forward(xp: Any, x: Array) -> Array:
    # log(1 / (1 + e^-x)) = min(x, 0) - log1p(e^-|x|): no overflow.
    return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))


LOGSIGMOID = Primitive("logsigmoid", _logsigmoid_forward,
                       lambda F, g, inputs, out, parents: (g * F.sigmoid(-inputs[0]),))


# --- public functions -----------------------------------------------------------------------

@typed.activation_function
def relu(x: Any, inplace: bool = False) -> Any:
    """``max(x, 0)`` elementwise (gradient 0 at 0, as PyTorch)."""
    return apply(RELU, x)


@typed.activation_function
def relu6(x: Any, inplace: bool = False) -> Any:
    """``min(max(x, 0), 6)``: ``hardtanh(x, 0, 6)`` (gradient 0 at both bounds)."""
    return apply(HARDTANH, x, lo=0.0, hi=6.0)


@typed.activation_function
def hardtanh(x: Any, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Any:
    """``x`` clamped to ``[min_val, max_val]``; the gradient passes strictly inside."""
    lo = number("hardtanh", "min_val", min_val)
    hi = number("hardtanh", "max_val", max_val)
    if lo > hi:
        raise ValueError(f"hardtanh: min_val ({lo}) cannot be greater than max_val ({hi})")
    return apply(HARDTANH, x, lo=lo, hi=hi)


@typed.activation_function
def hardswish(x: Any, inplace: bool = False) -> Any:
    """``x * relu6(x + 3) / 6``."""
    return apply(HARDSWISH, x)


@typed.activation_function
def hardsigmoid(x: Any, inplace: bool = False) -> Any:
    """``relu6(x + 3) / 6``: 0 below -3, 1 above 3, linear between."""
    return apply(HARDSIGMOID, x)


@typed.activation_function
def softmax(x: Any, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None, *,
            axis: int = -1) -> Any:
    """``exp(x) / sum(exp(x))`` along ``dim`` (or ``axis``): each slice sums to 1 (``mu.softmax``).
    Without ``dim`` it works along the last axis (PyTorch's deprecated implicit choice differs
    for 0-, 1- and 3-D inputs: give ``dim``)."""
    return special.softmax(x, dim, dtype, axis=axis)


@typed.activation_function
def log_softmax(x: Any, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None, *,
                axis: int = -1) -> Any:
    """``x - logsumexp(x)`` along ``dim`` (or ``axis``; the last axis by default): the log of
    ``softmax``, computed stably (``mu.log_softmax``)."""
    return special.log_softmax(x, dim, dtype, axis=axis)


@typed.activation_function
def logsoftmax(x: Any, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None, *,
               axis: int = -1) -> Any:
    """:func:`log_softmax` under the crate's older name."""
    return along_axis(LOGSOFTMAX, "logsoftmax", x, dim, dtype, axis)


@typed.activation_function
def softmin(x: Any, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None, *,
            axis: int = -1) -> Any:
    """``softmax(-x)`` along ``dim`` (or ``axis``; the last axis by default)."""
    if dtype is not None:
        x = elementwise.astype(x, dtype)
    return along_axis(SOFTMAX, "softmin", elementwise.neg(x), dim, None, axis)


@typed.activation_function
def sigmoid(x: Any) -> Any:
    """``1 / (1 + exp(-x))`` elementwise (``mu.sigmoid``)."""
    return apply(SIGMOID, x)


@typed.activation_function
def logsigmoid(x: Any) -> Any:
    """``log(sigmoid(x)) = -softplus(-x)``, stable for any finite ``x``."""
    return apply(LOGSIGMOID, x)


@typed.activation_function
def tanh(x: Any) -> Any:
    """The hyperbolic tangent (``mu.tanh``)."""
    return elementwise.tanh(x)


@typed.activation_function
def tanhshrink(x: Any) -> Any:
    """``x - tanh(x)``."""
    return elementwise.sub(x, elementwise.tanh(x))


@typed.activation_function
def softsign(x: Any) -> Any:
    """``x / (1 + |x|)``."""
    return elementwise.div(x, elementwise.add(elementwise.abs(x), 1))


@typed.activation_function
def softshrink(x: Any, lambd: float = 0.5) -> Any:
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, 0 between
    (``lambd >= 0``)."""
    lambd = number("softshrink", "lambd", lambd)
    if lambd < 0:
        raise ValueError(f"softshrink: lambd must be at least 0, got {lambd}")
    shrunk = elementwise.where(elementwise.compare("greater", x, lambd),
                               elementwise.sub(x, lambd), 0)
    return elementwise.where(elementwise.compare("less", x, -lambd),
                             elementwise.add(x, lambd), shrunk)


@typed.activation_function
def hardshrink(x: Any, lambd: float = 0.5) -> Any:
    """``x`` outside ``[-lambd, lambd]``, 0 inside."""
    lambd = number("hardshrink", "lambd", lambd)
    inside = elementwise.compare("logical_and", elementwise.compare("greater_equal", x, -lambd),
                                 elementwise.compare("less_equal", x, lambd))
    return elementwise.where(inside, 0, x)


@typed.activation_function
def threshold(x: Any, threshold: float, value: float, inplace: bool = False) -> Any:
    """``x`` where ``x > threshold``, ``value`` elsewhere (NaN stays NaN); the gradient passes
    where ``x > threshold``."""
    limit = number("threshold", "threshold", threshold)
    value = number("threshold", "value", value)
    return elementwise.where(elementwise.compare("less_equal", x, limit), value, x)


@typed.activation_function
def leaky_relu(x: Any, negative_slope: float = 0.01, inplace: bool = False) -> Any:
    """``x`` where positive, ``negative_slope * x`` elsewhere."""
    return apply(LEAKY_RELU, x, slope=number("leaky_relu", "negative_slope", negative_slope))


@typed.mixed_function
def prelu(x: Any, weight: Any) -> Any:
    """``x`` where positive, ``weight * x`` elsewhere, with one learnt slope (``weight`` of one
    element) or one per channel (``weight`` of ``x.shape[1]`` elements; the channel axis is
    axis 1, and a tensor of fewer than 2 axes has one channel)."""
    dims = shape_of(x)
    weight_shape = shape_of(weight)
    count = math.prod(weight_shape)
    channels = dims[1] if len(dims) >= 2 else 1
    if len(weight_shape) > 1 or (count != 1 and count != channels):
        raise ValueError(f"prelu: weight must have 1 element or one per channel ({channels}, "
                         f"axis 1 of the input), got shape {weight_shape}")
    if count == 1:
        weight = shape.reshape(weight, ())  # one slope: a 0-d input stays 0-d
    else:
        weight = shape.reshape(weight, (channels,) + (1,) * (len(dims) - 2))
    return elementwise.where(elementwise.compare("greater", x, 0), x,
                             elementwise.mul(weight, x))


@typed.activation_function
def rrelu(x: Any, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Any:
    """The randomised leaky ReLU: ``x`` where positive, ``a * x`` elsewhere, ``a`` drawn
    uniformly from ``[lower, upper]`` for each element while ``training`` (from mushin's
    generator, so ``mu.seed`` repeats it), and ``(lower + upper) / 2`` otherwise."""
    lower = number("rrelu", "lower", lower)
    upper = number("rrelu", "upper", upper)
    if lower > upper:
        raise ValueError(f"rrelu: lower ({lower}) must not be greater than upper ({upper})")
    if not training:
        return apply(LEAKY_RELU, x, slope=(lower + upper) / 2)
    data = unwrap(x)
    if not hasattr(data, "dtype"):
        return apply(LEAKY_RELU, x, slope=(lower + upper) / 2)
    backend = _backend.backend_of(data)
    draw_dtype = data.dtype if data.dtype.itemsize >= 4 and data.dtype.kind == "f" else "float32"
    slopes = generator(backend).random(data.shape, dtype=draw_dtype) * (upper - lower) + lower
    slopes = backend.xp.where(data <= 0, slopes, 1).astype(
        data.dtype if data.dtype.kind == "f" else _backend.DEFAULT_DTYPE)
    return elementwise.mul(x, slopes)


@typed.activation_function
def gelu(x: Any, approximate: str = "none") -> Any:
    """The Gaussian error linear unit ``x * Phi(x)``, with the exact normal CDF ``Phi``
    (``approximate="none"``, PyTorch's default) or PyTorch's approximation
    ``0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))`` (``approximate="tanh"``)."""
    if approximate == "none":
        return apply(GELU, x)
    if approximate == "tanh":
        return apply(GELU_TANH, x)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


@typed.activation_function
def silu(x: Any, inplace: bool = False) -> Any:
    """``x * sigmoid(x)`` (also called swish)."""
    return apply(SILU, x)


@typed.activation_function
def mish(x: Any, inplace: bool = False) -> Any:
    """``x * tanh(softplus(x))``."""
    return elementwise.mul(x, elementwise.tanh(softplus(x)))


@typed.activation_function
def elu(x: Any, alpha: float = 1.0, inplace: bool = False) -> Any:
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere."""
    return apply(ELU, x, alpha=number("elu", "alpha", alpha))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


@typed.activation_function
def selu(x: Any, inplace: bool = False) -> Any:
    """The self-normalising ``scale * elu(x, alpha)`` with PyTorch's constants
    (alpha 1.6733, scale 1.0507)."""
    return elementwise.mul(apply(ELU, x, alpha=_SELU_ALPHA), _SELU_SCALE)


@typed.activation_function
def celu(x: Any, alpha: float = 1.0, inplace: bool = False) -> Any:
    """``x`` where positive, ``alpha * (exp(x / alpha) - 1)`` elsewhere (``alpha != 0``)."""
    alpha = number("celu", "alpha", alpha)
    if alpha == 0:
        raise ValueError("celu: alpha must not be 0")
    return elementwise.mul(apply(ELU, elementwise.div(x, alpha), alpha=1.0), alpha)


@typed.activation_function
def softplus(x: Any, beta: float = 1.0, threshold: float = 20.0) -> Any:
    """``log(1 + exp(beta * x)) / beta``, and ``x`` itself where ``beta * x > threshold``
    (PyTorch's definition)."""
    beta = number("softplus", "beta", beta)
    if beta == 0:
        raise ValueError("softplus: beta must not be 0")
    return apply(SOFTPLUS, x, beta=beta, threshold=number("softplus", "threshold", threshold))


@typed.runtime_shape_function
def glu(x: Any, dim: int = -1) -> Any:
    """The gated linear unit: ``x`` split in halves ``a, b`` along ``dim``, ``a *
    sigmoid(b)`` (the result is half as long along ``dim``)."""
    dims = shape_of(x)
    if not dims:
        raise ValueError("glu: needs a tensor with at least one axis (the halving axis), got "
                         "a 0-d tensor")
    axis = single_axis("glu", dim, len(dims))
    if dims[axis] % 2:
        raise ValueError(f"glu: the halving axis {axis} must have an even size, got "
                         f"{dims[axis]}")
    half = dims[axis] // 2
    before = (slice(None),) * axis
    first = slicing.getitem(x, (*before, slice(0, half)))
    second = slicing.getitem(x, (*before, slice(half, None)))
    return elementwise.mul(first, apply(SIGMOID, second))
