"""Activation functions (``mu.nn.activations``), each a primitive with its own VJP and, beside
them, its CUDA rules: one fused kernel for the forward and one for the gradient on CuPy.

Each is computed in one pass on the backend and stays numerically stable for any finite
input: ``sigmoid``, ``softplus``, ``softmax`` and ``logsoftmax`` never evaluate ``exp`` of a
large positive number, so inputs of +-1e4 give exact results without overflow warnings.
The VJPs are written with the function set ``F`` (see ``docs/architecture.md``), so second
derivatives (``backward(create_graph=True)``) work through every activation.

``gelu`` is the exact form ``x * Phi(x)`` with the normal CDF ``Phi`` computed from ``erf``
(a primitive too: ``mushin.nn.functional.special``).

A CUDA rule returns ``NotImplemented`` for arrays its kernel does not take (not
``cuda.fusable``: float16, or a softmax along another axis than the last), and the portable
rule runs; its kernel computes the same quantities in the same order and dtype. (The CUDA
VJP rules return ``Any``: mypy types ``NotImplemented`` so.)
"""

from __future__ import annotations

import math
from typing import Any

from mushin import _typing as typed
from mushin._backend import Array, accumulator
from mushin._check import normalize_axis, number, shape_of
from mushin._graph import Primitive
from mushin._tensor import apply
from mushin.kernels import cuda
from mushin.kernels.cuda import BLOCK
from mushin.nn.functional.special import ERF
from mushin.ops import elementwise

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

# --- sigmoid ----------------------------------------------------------------------------------

# exp(-|x|) never overflows; each branch is the accurate form on its side of 0.
_SIGMOID = "T d = exp(-fabs(x)); T s = x >= (T)0 ? (T)1 / ((T)1 + d) : d / ((T)1 + d);"


def _sigmoid_forward(xp: Any, x: Array) -> Array:
    decay = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + decay), decay / (1 + decay))


def _sigmoid_cuda(xp: Any, x: Array) -> Array:
    if not cuda.fusable(x):
        return NotImplemented
    return cuda.pointwise("mushin_sigmoid", _SIGMOID + "out = s;", "x", x)


def _sigmoid_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any]:
    return (g * out * (1 - out),)


def _sigmoid_cuda_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> Any:
    if not cuda.fusable(g, out):
        return NotImplemented
    return (cuda.pointwise("mushin_sigmoid_grad", "out = g * y * ((T)1 - y);", "g y", g, out),)


SIGMOID = Primitive("sigmoid", _sigmoid_forward, _sigmoid_vjp, saves="output",
                    cuda_forward=_sigmoid_cuda, cuda_vjp=_sigmoid_cuda_vjp)

# --- softmax and log-softmax ------------------------------------------------------------------

_SOFTMAX_ROWS = r"""
// One block per row of c values: softmax (or, with take_log, log-softmax) of the row.
extern "C" __global__ void mushin_softmax_rows(const T* x, T* y, long long c, int take_log) {
    __shared__ T shared[BLOCK];
    long long row = blockIdx.x;
    const T* r = x + row * c;
    T* o = y + row * c;
    T m, s;
    row_stats(r, c, shared, &m, &s);
    T log_sum = log(s);
    for (long long j = threadIdx.x; j < c; j += BLOCK)
        o[j] = take_log ? (r[j] - m) - log_sum : exp(r[j] - m) / s;
}

// One block per row: the gradient of softmax, y * (g - sum(g * y)), or of log-softmax,
// g - exp(y) * sum(g), for the output y and its gradient g.
extern "C" __global__ void mushin_softmax_grad_rows(
        const T* g, const T* y, T* dx, long long c, int take_log) {
    __shared__ T shared[BLOCK];
    long long row = blockIdx.x;
    const T* gr = g + row * c;
    const T* yr = y + row * c;
    T* o = dx + row * c;
    T total = 0;
    for (long long j = threadIdx.x; j < c; j += BLOCK)
        total += take_log ? gr[j] : gr[j] * yr[j];
    total = block_sum(total, shared);
    for (long long j = threadIdx.x; j < c; j += BLOCK)
        o[j] = take_log ? gr[j] - exp(yr[j]) * total : yr[j] * (gr[j] - total);
}
"""


def _softmax_rows(kernel: str, arrays: list[Array], take_log: bool) -> Array:
    """``kernel`` of :data:`_SOFTMAX_ROWS` run on ``arrays`` (the input, or the output gradient
    and the output), one block per run of their last axis."""
    xp = cuda.xp_of(arrays[0])
    arrays = [xp.ascontiguousarray(array) for array in arrays]
    first = arrays[0]
    result = xp.empty(first.shape, dtype=first.dtype)
    columns = first.shape[-1]
    if first.size:
        cuda.raw(xp, _SOFTMAX_ROWS, kernel, first.dtype.name, "int64")(
            (first.size // columns,), (BLOCK,), (*arrays, result, xp.int64(columns),
                                                 xp.int32(take_log)))
    return result


def _softmax_forward(xp: Any, x: Array, axis: int) -> Array:
    shifted = xp.exp(x - xp.max(x, axis=axis, keepdims=True))
    wide = accumulator(x)
    result = shifted / xp.sum(shifted, axis=axis, keepdims=True, dtype=wide)
    return result if wide is None else result.astype(x.dtype)


def _softmax_cuda(xp: Any, x: Array, axis: int) -> Array:
    if axis != x.ndim - 1 or not cuda.fusable(x):
        return NotImplemented
    return _softmax_rows("mushin_softmax_rows", [x], take_log=False)


def _softmax_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any,
                 axis: int) -> tuple[Any]:
    return (out * (g - F.sum(g * out, axis=(axis,), keepdims=True)),)


def _softmax_cuda_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any,
                      axis: int) -> Any:
    if axis != out.ndim - 1 or not cuda.fusable(g, out):
        return NotImplemented
    return (_softmax_rows("mushin_softmax_grad_rows", [g, out], take_log=False),)


SOFTMAX = Primitive("softmax", _softmax_forward, _softmax_vjp, saves="output",
                    cuda_forward=_softmax_cuda, cuda_vjp=_softmax_cuda_vjp)


def _logsoftmax_forward(xp: Any, x: Array, axis: int) -> Array:
    shifted = x - xp.max(x, axis=axis, keepdims=True)
    wide = accumulator(x)
    result = shifted - xp.log(xp.sum(xp.exp(shifted), axis=axis, keepdims=True, dtype=wide))
    return result if wide is None else result.astype(x.dtype)


def _logsoftmax_cuda(xp: Any, x: Array, axis: int) -> Array:
    if axis != x.ndim - 1 or not cuda.fusable(x):
        return NotImplemented
    return _softmax_rows("mushin_softmax_rows", [x], take_log=True)


def _logsoftmax_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any,
                    axis: int) -> tuple[Any]:
    return (g - F.exp(out) * F.sum(g, axis=(axis,), keepdims=True),)


def _logsoftmax_cuda_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any,
                         axis: int) -> Any:
    if axis != out.ndim - 1 or not cuda.fusable(g, out):
        return NotImplemented
    return (_softmax_rows("mushin_softmax_grad_rows", [g, out], take_log=True),)


LOGSOFTMAX = Primitive("logsoftmax", _logsoftmax_forward, _logsoftmax_vjp, saves="output",
                       cuda_forward=_logsoftmax_cuda, cuda_vjp=_logsoftmax_cuda_vjp)

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
    return x * _sigmoid_forward(xp, x)


def _silu_cuda(xp: Any, x: Array) -> Array:
    if not cuda.fusable(x):
        return NotImplemented
    return cuda.pointwise("mushin_silu", _SIGMOID + "out = x * s;", "x", x)


def _silu_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any]:
    x = inputs[0]
    gate = F.sigmoid(x)
    return (g * (gate + x * gate * (1 - gate)),)


def _silu_cuda_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> Any:
    x = inputs[0]
    if not cuda.fusable(g, x):
        return NotImplemented
    return (cuda.pointwise("mushin_silu_grad",
                           _SIGMOID + "out = g * (s + x * s * ((T)1 - s));", "g x", g, x),)


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
        "T x = z * beta;" + _SIGMOID + "out = x > threshold ? g : g * s;", "g z", g,
        inputs[0], beta=beta, threshold=threshold),)


SOFTPLUS = Primitive("softplus", _softplus_forward, _softplus_vjp,
                     cuda_forward=_softplus_cuda, cuda_vjp=_softplus_cuda_vjp)


# --- public functions -----------------------------------------------------------------------

def _axis(name: str, x: Any, axis: object) -> int:
    shape = shape_of(x)
    if not shape:
        raise ValueError(f"{name}: needs a tensor with at least one axis, got a 0-d tensor")
    if axis is None or isinstance(axis, tuple | list):
        raise TypeError(f"{name}: axis must be one int, got {axis!r}")
    return (normalize_axis(name, axis, len(shape)) or (0,))[0]


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
    return elementwise.tanh(x)


@typed.activation_function
def leaky_relu(x: Any, negative_slope: float = 0.01) -> Any:
    """``x`` where positive, ``negative_slope * x`` elsewhere."""
    return apply(LEAKY_RELU, x, slope=number("leaky_relu", "negative_slope", negative_slope))


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
    return apply(ELU, x, alpha=number("elu", "alpha", alpha))


@typed.activation_function
def softplus(x: Any, beta: float = 1.0, threshold: float = 20.0) -> Any:
    """``log(1 + exp(beta * x)) / beta``, and ``x`` itself where ``beta * x > threshold``
    (PyTorch's definition)."""
    beta = number("softplus", "beta", beta)
    if beta == 0:
        raise ValueError("softplus: beta must not be 0")
    return apply(SOFTPLUS, x, beta=beta, threshold=number("softplus", "threshold", threshold))
