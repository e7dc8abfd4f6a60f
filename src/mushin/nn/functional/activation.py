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

Beside the CUDA rules, the CPU rules (``cpu_forward``/``cpu_vjp``, ``mushin.kernels.cpu``) do
a float32 activation and its gradient in one pass over the arrays where Numba is
installed; the portable rule runs otherwise and stays their reference.

``inplace=True`` writes the result into the input and returns it, as PyTorch does, and so do
the in-place functions (``relu_``, ``elu_``, ``leaky_relu_``, ``hardtanh_``, ``rrelu_``,
``celu_``, ``selu_``, ``threshold_``), under the rules of the in-place tensor methods
(``mushin.ops.inplace``: a leaf ``Variable`` is refused while recording; a graph that saved
the input's old values raises at backward).

``gumbel_softmax`` draws its Gumbel noise from mushin's generator (``mu.manual_seed`` repeats
it); with ``hard=True`` its forward is one-hot and its gradient the soft sample's
(PyTorch's straight-through estimator).

A CUDA rule returns ``NotImplemented`` for arrays its kernel does not take (not
``cuda.fusable``: float16, or a softmax along another axis than the last), and the portable
rule runs; its kernel computes the same quantities in the same order and dtype. (The CUDA
VJP rules return ``Any``: mypy types ``NotImplemented`` so.)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

import numpy as np

from mushin import _backend
from mushin import _typing as typed
from mushin._backend import Array
from mushin._check import number, operation_name, shape_of, single_axis
from mushin._graph import Primitive
from mushin._random import generator
from mushin._tensor import apply, change_in_place, unwrap

if TYPE_CHECKING:
    from mushin._tensor import Tensor
from mushin.kernels import cpu, cuda
from mushin.ops import elementwise, shape, slicing, special
from mushin.ops.special import (
    ERF,
    LOGSOFTMAX,
    SIGMOID,
    SIGMOID_BODY,
    SOFTMAX,
    along_axis,
    erf_float32,
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


def _dense_order(*arrays: Array) -> tuple[int, ...] | None:
    """The axes of ``arrays`` (NumPy arrays of one shape and strides) from the slowest in
    memory to the fastest, where that transposition of each is C-contiguous: a convolution's
    channel-major output, say; ``None`` for arrays with gaps or of different layouts."""
    first = arrays[0]
    if any(array.strides != first.strides for array in arrays[1:]):
        return None
    order = tuple(sorted(range(first.ndim), key=lambda axis: -abs(first.strides[axis])))
    if not first.transpose(order).flags.c_contiguous:
        return None
    return order


def _relu_cpu(xp: Any, x: Array) -> Any:
    # One pass in memory order: NumPy's maximum with a broadcast 0 runs four times slower
    # (0.34 against 0.08 ms on the cnn benchmark's first, channel-major, activation)
    order = _dense_order(x) if cpu.fusable(x) else None
    if order is None:
        return NotImplemented
    out = np.empty_like(x)  # x's layout
    _relu_kernel(x.transpose(order).reshape(-1), out.transpose(order).reshape(-1))
    return out


def _relu_cpu_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> Any:
    # ``g * (out > 0)`` in one pass rather than a mask and a product (0.11 against 0.27 ms)
    order = _dense_order(g, out) if cpu.fusable(g, out) else None
    if order is None:
        return NotImplemented
    grad = np.empty_like(g)
    _relu_grad_kernel(g.transpose(order).reshape(-1), out.transpose(order).reshape(-1),
                      grad.transpose(order).reshape(-1))
    return (grad,)


@cpu.kernel
def _relu_kernel(x: Array, out: Array) -> None:
    # NumPy's maximum(x, 0) exactly: NaN stays NaN, -0.0 becomes 0.0
    for index in range(x.shape[0]):
        value = x[index]
        out[index] = value if value > 0 or value != value else 0


@cpu.kernel
def _relu_grad_kernel(g: Array, out: Array, grad: Array) -> None:
    for index in range(g.shape[0]):
        grad[index] = g[index] * (out[index] > 0)


RELU = Primitive("relu", lambda xp, x: xp.maximum(x, 0), _relu_vjp, saves="output",
                 cuda_vjp=_relu_cuda_vjp, cpu_forward=_relu_cpu, cpu_vjp=_relu_cpu_vjp)

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


@cpu.kernel
def _gelu_float32_kernel(x: Array, out: Array) -> None:
    for i in range(x.size):
        v = np.float64(x[i])
        out[i] = v * (0.5 + 0.5 * erf_float32(v * 0.7071067811865476))


@cpu.kernel
def _gelu_grad_float32_kernel(g: Array, x: Array, density: Array) -> None:
    # ``density`` holds exp(-x^2 / 2) (NumPy's vectorised exp: Numba's is a scalar call, 4
    # times slower here) and receives the gradient.
    for i in range(x.size):
        v = np.float64(x[i])
        cdf = 0.5 + 0.5 * erf_float32(v * 0.7071067811865476)
        density[i] = g[i] * (cdf + v * (np.float64(density[i]) * 0.3989422804014327))


def _gelu_cpu(xp: Any, x: Array) -> Any:
    return cpu.map_float32(_gelu_float32_kernel, x)


def _gelu_cpu_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> Any:
    x = inputs[0]
    if not cpu.float32_contiguous(g, x):
        return NotImplemented
    grad = np.multiply(x, x)
    grad *= np.float32(-0.5)
    np.exp(grad, out=grad)
    _gelu_grad_float32_kernel(g.reshape(-1), x.reshape(-1), grad.reshape(-1))
    return (grad,)


GELU = Primitive("gelu", _gelu_forward, _gelu_vjp, cuda_forward=_gelu_cuda,
                 cuda_vjp=_gelu_cuda_vjp, cpu_forward=_gelu_cpu, cpu_vjp=_gelu_cpu_vjp)

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

def maybe_in_place(name: str, input: Any, inplace: bool, compute: Callable[[Any], Any]) -> Any:
    """``compute(input)``, or with ``inplace`` the same written into ``input`` (returned):
    PyTorch's ``inplace=True`` (``name`` is the function's, ``relu``; the error says
    ``relu_``)."""
    if inplace:
        return change_in_place(name + "_", input, compute)
    return compute(input)


@typed.activation_function
def relu(input: Any, inplace: bool = False) -> Any:
    """``max(input, 0)`` elementwise (gradient 0 at 0, as PyTorch)."""
    return maybe_in_place("relu", input, inplace, lambda x: apply(RELU, x))


@typed.activation_function
def relu6(input: Any, inplace: bool = False) -> Any:
    """``min(max(input, 0), 6)``: ``hardtanh(input, 0, 6)`` (gradient 0 at both bounds)."""
    return maybe_in_place("relu6", input, inplace, lambda x: apply(HARDTANH, x, lo=0.0, hi=6.0))


@typed.activation_function
def hardtanh(input: Any, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Any:
    """``input`` clamped to ``[min_val, max_val]``; the gradient passes strictly inside."""
    lo = number("hardtanh", "min_val", min_val)
    hi = number("hardtanh", "max_val", max_val)
    if lo > hi:
        raise ValueError(f"{operation_name('hardtanh')}: min_val ({lo}) cannot be greater "
                         f"than max_val ({hi})")
    return maybe_in_place("hardtanh", input, inplace, lambda x: apply(HARDTANH, x, lo=lo, hi=hi))


@typed.activation_function
def hardswish(input: Any, inplace: bool = False) -> Any:
    """``input * relu6(input + 3) / 6``."""
    return maybe_in_place("hardswish", input, inplace, lambda x: apply(HARDSWISH, x))


@typed.activation_function
def hardsigmoid(input: Any, inplace: bool = False) -> Any:
    """``relu6(input + 3) / 6``: 0 below -3, 1 above 3, linear between."""
    return maybe_in_place("hardsigmoid", input, inplace, lambda x: apply(HARDSIGMOID, x))


@typed.activation_function
def softmax(input: Any, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None, *,
            axis: int = -1) -> Any:
    """``exp(input) / sum(exp(input))`` along ``dim`` (or ``axis``): each slice sums to 1
    (``mu.softmax``). Without ``dim`` it works along the last axis (PyTorch's deprecated
    implicit choice differs for 0-, 1- and 3-D inputs: give ``dim``)."""
    return special.softmax(input, dim, dtype, axis=axis)


@typed.activation_function
def log_softmax(input: Any, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None, *,
                axis: int = -1) -> Any:
    """``input - logsumexp(input)`` along ``dim`` (or ``axis``; the last axis by default): the
    log of ``softmax``, computed stably (``mu.log_softmax``)."""
    return special.log_softmax(input, dim, dtype, axis=axis)


@typed.activation_function
def logsoftmax(input: Any, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None, *,
               axis: int = -1) -> Any:
    """:func:`log_softmax` under the crate's older name."""
    return along_axis(LOGSOFTMAX, "logsoftmax", input, dim, dtype, axis)


@typed.activation_function
def softmin(input: Any, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None, *,
            axis: int = -1) -> Any:
    """``softmax(-input)`` along ``dim`` (or ``axis``; the last axis by default)."""
    if dtype is not None:
        input = elementwise.astype(input, dtype)
    return along_axis(SOFTMAX, "softmin", elementwise.neg(input), dim, None, axis)


@typed.activation_function
def sigmoid(input: Any) -> Any:
    """``1 / (1 + exp(-input))`` elementwise (``mu.sigmoid``)."""
    return apply(SIGMOID, input)


@typed.activation_function
def logsigmoid(input: Any) -> Any:
    """``log(sigmoid(input)) = -softplus(-input)``, stable for any finite ``input``."""
    return apply(LOGSIGMOID, input)


@typed.activation_function
def tanh(input: Any) -> Any:
    """The hyperbolic tangent (``mu.tanh``)."""
    return elementwise.tanh(input)


@typed.activation_function
def tanhshrink(input: Any) -> Any:
    """``input - tanh(input)``."""
    return elementwise.sub(input, elementwise.tanh(input))


@typed.activation_function
def softsign(input: Any) -> Any:
    """``input / (1 + |input|)``."""
    return elementwise.div(input, elementwise.add(elementwise.abs(input), 1))


@typed.activation_function
def softshrink(input: Any, lambd: float = 0.5) -> Any:
    """``input - lambd`` above ``lambd``, ``input + lambd`` below ``-lambd``, 0 between
    (``lambd >= 0``)."""
    lambd = number("softshrink", "lambd", lambd)
    if lambd < 0:
        raise ValueError(f"{operation_name('softshrink')}: lambd must be at least 0, got {lambd}")
    shrunk = elementwise.where(elementwise.compare("greater", input, lambd),
                               elementwise.sub(input, lambd), 0)
    return elementwise.where(elementwise.compare("less", input, -lambd),
                             elementwise.add(input, lambd), shrunk)


@typed.activation_function
def hardshrink(input: Any, lambd: float = 0.5) -> Any:
    """``input`` outside ``[-lambd, lambd]``, 0 inside."""
    lambd = number("hardshrink", "lambd", lambd)
    inside = elementwise.compare("logical_and", elementwise.compare("greater_equal", input, -lambd),
                                 elementwise.compare("less_equal", input, lambd))
    return elementwise.where(inside, 0, input)


@typed.activation_function
def threshold(input: Any, threshold: float, value: float, inplace: bool = False) -> Any:
    """``input`` where ``input > threshold``, ``value`` elsewhere (NaN stays NaN); the gradient
    passes where ``input > threshold``."""
    return maybe_in_place("threshold", input, inplace, lambda x: _thresholded(x, threshold, value))


def _thresholded(input: Any, threshold: float, value: float) -> Any:
    limit = number("threshold", "threshold", threshold)
    value = number("threshold", "value", value)
    return elementwise.where(elementwise.compare("less_equal", input, limit), value, input)


@typed.activation_function
def leaky_relu(input: Any, negative_slope: float = 0.01, inplace: bool = False) -> Any:
    """``input`` where positive, ``negative_slope * input`` elsewhere."""
    slope = number("leaky_relu", "negative_slope", negative_slope)
    return maybe_in_place("leaky_relu", input, inplace, lambda x: apply(LEAKY_RELU, x, slope=slope))


@typed.mixed_function
def prelu(input: Any, weight: Any) -> Any:
    """``input`` where positive, ``weight * input`` elsewhere, with one learnt slope (``weight``
    of one element) or one per channel (``weight`` of ``input.shape[1]`` elements; the channel
    axis is axis 1, and a tensor of fewer than 2 axes has one channel)."""
    dims = shape_of(input)
    weight_shape = shape_of(weight)
    count = math.prod(weight_shape)
    channels = dims[1] if len(dims) >= 2 else 1
    if len(weight_shape) > 1 or (count != 1 and count != channels):
        raise ValueError(f"{operation_name('prelu')}: weight must have 1 element or one per "
                         f"channel ({channels}, axis 1 of the input), got shape {weight_shape}")
    if count == 1:
        weight = shape.reshape(weight, ())  # one slope: a 0-d input stays 0-d
    else:
        weight = shape.reshape(weight, (channels,) + (1,) * (len(dims) - 2))
    return elementwise.where(elementwise.compare("greater", input, 0), input,
                             elementwise.mul(weight, input))


@typed.activation_function
def rrelu(input: Any, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Any:
    """The randomised leaky ReLU: ``input`` where positive, ``a * input`` elsewhere, ``a`` drawn
    uniformly from ``[lower, upper]`` for each element while ``training`` (from mushin's
    generator, so ``mu.seed`` repeats it), and ``(lower + upper) / 2`` otherwise."""
    if inplace:
        return change_in_place("rrelu_", input, lambda x: rrelu(x, lower, upper, training))
    lower = number("rrelu", "lower", lower)
    upper = number("rrelu", "upper", upper)
    if lower > upper:
        raise ValueError(f"{operation_name('rrelu')}: lower ({lower}) must not be greater than "
                         f"upper ({upper})")
    if not training:
        return apply(LEAKY_RELU, input, slope=(lower + upper) / 2)
    data = unwrap(input)
    if not hasattr(data, "dtype"):
        return apply(LEAKY_RELU, input, slope=(lower + upper) / 2)
    _backend.check_real_dtype(data.dtype)
    backend = _backend.backend_of(data)
    draw_dtype = data.dtype if data.dtype.itemsize >= 4 and data.dtype.kind == "f" else "float32"
    slopes = generator(backend).random(data.shape, dtype=draw_dtype) * (upper - lower) + lower
    slopes = backend.xp.where(data <= 0, slopes, 1).astype(
        data.dtype if data.dtype.kind == "f" else _backend.DEFAULT_DTYPE)
    return elementwise.mul(input, slopes)


@typed.activation_function
def gelu(input: Any, approximate: str = "none") -> Any:
    """The Gaussian error linear unit ``input * Phi(input)``, with the exact normal CDF ``Phi``
    (``approximate="none"``, PyTorch's default) or PyTorch's approximation
    ``0.5 input (1 + tanh(sqrt(2 / pi) (input + 0.044715 input^3)))`` (``approximate="tanh"``)."""
    if approximate == "none":
        return apply(GELU, input)
    if approximate == "tanh":
        return apply(GELU_TANH, input)
    raise ValueError(f"{operation_name('gelu')}: approximate must be 'none' or 'tanh', got "
                     f"{approximate!r}")


@typed.activation_function
def silu(input: Any, inplace: bool = False) -> Any:
    """``input * sigmoid(input)`` (also called swish)."""
    return maybe_in_place("silu", input, inplace, lambda x: apply(SILU, x))


@typed.activation_function
def mish(input: Any, inplace: bool = False) -> Any:
    """``input * tanh(softplus(input))``."""
    return maybe_in_place("mish", input, inplace, lambda x: elementwise.mul(
        x, elementwise.tanh(softplus(x))))


@typed.activation_function
def elu(input: Any, alpha: float = 1.0, inplace: bool = False) -> Any:
    """``input`` where positive, ``alpha * (exp(input) - 1)`` elsewhere."""
    scale = number("elu", "alpha", alpha)
    return maybe_in_place("elu", input, inplace, lambda x: apply(ELU, x, alpha=scale))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


@typed.activation_function
def selu(input: Any, inplace: bool = False) -> Any:
    """The self-normalising ``scale * elu(input, alpha)`` with PyTorch's constants
    (alpha 1.6733, scale 1.0507)."""
    return maybe_in_place("selu", input, inplace, lambda x: elementwise.mul(
        apply(ELU, x, alpha=_SELU_ALPHA), _SELU_SCALE))


@typed.activation_function
def celu(input: Any, alpha: float = 1.0, inplace: bool = False) -> Any:
    """``input`` where positive, ``alpha * (exp(input / alpha) - 1)`` elsewhere (``alpha != 0``)."""
    alpha = number("celu", "alpha", alpha)
    if alpha == 0:
        raise ValueError(f"{operation_name('celu')}: alpha must not be 0")
    return maybe_in_place("celu", input, inplace, lambda x: elementwise.mul(
        apply(ELU, elementwise.div(x, alpha), alpha=1.0), alpha))


@typed.activation_function
def softplus(input: Any, beta: float = 1.0, threshold: float = 20.0) -> Any:
    """``log(1 + exp(beta * input)) / beta``, and ``input`` itself where ``beta * input >
    threshold`` (PyTorch's definition)."""
    beta = number("softplus", "beta", beta)
    if beta == 0:
        raise ValueError(f"{operation_name('softplus')}: beta must not be 0")
    return apply(SOFTPLUS, input, beta=beta, threshold=number("softplus", "threshold", threshold))


@typed.runtime_shape_function
def glu(input: Any, dim: int = -1) -> Any:
    """The gated linear unit: ``input`` split in halves ``a, b`` along ``dim``, ``a *
    sigmoid(b)`` (the result is half as long along ``dim``)."""
    dims = shape_of(input)
    if not dims:
        raise ValueError(f"{operation_name('glu')}: needs a tensor with at least one axis (the "
                         "halving axis), got a 0-d tensor")
    axis = single_axis("glu", dim, len(dims))
    if dims[axis] % 2:
        raise ValueError(f"{operation_name('glu')}: the halving axis {axis} must have an even "
                         f"size, got {dims[axis]}")
    half = dims[axis] // 2
    before = (slice(None),) * axis
    first = slicing.getitem(input, (*before, slice(0, half)))
    second = slicing.getitem(input, (*before, slice(half, None)))
    return elementwise.mul(first, apply(SIGMOID, second))


# Typed by hand: the operand is PyTorch's ``logits``, not the ``input`` of ActivationFunction.
_Logits = TypeVar("_Logits", bound="Tensor[*tuple[Any, ...]]")


def gumbel_softmax(logits: _Logits, tau: float = 1.0, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1) -> _Logits:
    """PyTorch's ``F.gumbel_softmax``: a sample of the Gumbel-softmax distribution,
    ``softmax((logits + g) / tau)`` along ``dim`` with ``g`` standard Gumbel noise drawn from
    mushin's generator. ``hard=True`` returns the one-hot of each sample's largest element
    whose gradient is the soft sample's (``y_hard - y_soft.detach() + y_soft``). ``eps`` is
    deprecated and unused, as in PyTorch."""
    if eps != 1e-10:
        warnings.warn("gumbel_softmax: `eps` parameter is deprecated and has no effect.",
                      stacklevel=2)
    data = unwrap(logits)
    if not hasattr(data, "dtype") or data.dtype.kind != "f":
        raise TypeError(f"{operation_name('gumbel_softmax')}: expected floating logits, got "
                        f"{getattr(data, 'dtype', type(logits).__name__)}")
    axis = single_axis("gumbel_softmax", dim, data.ndim)
    backend = _backend.backend_of(data)
    xp = backend.xp
    draw_dtype = data.dtype if data.dtype.itemsize >= 4 else "float32"
    uniform = generator(backend).random(data.shape, dtype=draw_dtype)
    # -log of an Exponential(1) draw -log(1 - u), u kept off 0 so the draw is never 0
    exponential = -xp.log1p(-xp.maximum(uniform, xp.finfo(draw_dtype).tiny))
    gumbels = (-xp.log(exponential)).astype(data.dtype)
    soft: Any = special.softmax(elementwise.div(elementwise.add(logits, gumbels), tau), axis)
    if not hard:
        return cast("_Logits", soft)
    values = unwrap(soft)
    # one-hot of the first largest element, as PyTorch's max(dim)[1] picks it
    positions = xp.arange(data.shape[axis]).reshape((-1,) + (1,) * (data.ndim - axis - 1))
    one_hot = (positions == xp.argmax(values, axis=axis, keepdims=True)).astype(data.dtype)
    return cast("_Logits", elementwise.add(one_hot - values, soft))


def relu_(input: Any) -> Any:
    """PyTorch's in-place ``F.relu_``: ``relu`` written into ``input``, returned."""
    return relu(input, inplace=True)


def elu_(input: Any, alpha: float = 1.0) -> Any:
    """PyTorch's in-place ``F.elu_``: ``elu`` written into ``input``, returned."""
    return elu(input, alpha, inplace=True)


def leaky_relu_(input: Any, negative_slope: float = 0.01) -> Any:
    """PyTorch's in-place ``F.leaky_relu_``: ``leaky_relu`` written into ``input``."""
    return leaky_relu(input, negative_slope, inplace=True)


def hardtanh_(input: Any, min_val: float = -1.0, max_val: float = 1.0) -> Any:
    """PyTorch's in-place ``F.hardtanh_``: ``hardtanh`` written into ``input``."""
    return hardtanh(input, min_val, max_val, inplace=True)


def rrelu_(input: Any, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
           training: bool = False) -> Any:
    """PyTorch's in-place ``F.rrelu_``: ``rrelu`` written into ``input``."""
    return rrelu(input, lower, upper, training, inplace=True)


def celu_(input: Any, alpha: float = 1.0) -> Any:
    """PyTorch's in-place ``F.celu_``: ``celu`` written into ``input``."""
    return celu(input, alpha, inplace=True)


def selu_(input: Any) -> Any:
    """PyTorch's in-place ``F.selu_``: ``selu`` written into ``input``."""
    return selu(input, inplace=True)


def threshold_(input: Any, threshold: float, value: float) -> Any:
    """PyTorch's in-place ``F.threshold_``: ``threshold`` written into ``input``."""
    return change_in_place("threshold_", input, lambda x: _thresholded(x, threshold, value))
