"""Special functions: PyTorch's ``torch.special`` (``mu.special``) and the top-level names torch
gives some of them (``mu.erf``, ``mu.lgamma``, ``mu.sigmoid``, ``mu.softmax``...), each a
primitive with its gradient: the error functions and the normal distribution, the gamma
family, ``sinc``, ``entr``, ``logit``, ``xlog1py``, ``zeta``, ``sigmoid``, ``softmax`` and
``log_softmax``. The Bessel and Airy functions and the orthogonal polynomials are
``mushin/ops/bessel.py``, which uses the helpers here (``library``, ``float_dtype``,
``as_floating``, ``scipy_forward``, ``safe_divisor``).

Values come from ``scipy.special`` on the CPU and ``cupyx.scipy.special`` on CuPy (imported on
first use; a function CuPy lacks runs on a host copy). Gradients are the known derivatives,
written with the function set ``F`` so that second derivatives work:
``erfinv' = sqrt(pi)/2 exp(erfinv^2)``, ``lgamma' = digamma``, ``digamma' = polygamma(1)``...

An integer or bool input gives a float32 result, as PyTorch's default dtype; a float input
keeps its dtype. ``zeta``'s first argument is not differentiated, as in PyTorch: its backward
raises ``NotImplementedError``.

``sigmoid``, ``softmax`` and ``log_softmax`` live here (``mu.nn.functional`` re-exports them),
with the CUDA kernels that compute a whole softmax row in one block, and the CPU kernels
(float32 rows of the last axis; the softmax's gradient also float64) with the vectorised
float32 ``exp`` the attention's kernel shares.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.exceptions import AxisError

from mushin import _backend
from mushin._backend import Array, accumulator
from mushin._check import integer, is_int, is_number, operation_name, shape_of
from mushin._graph import Primitive
from mushin._surface import exported, method
from mushin._tensor import apply
from mushin.kernels import cpu, cuda
from mushin.kernels.cuda import BLOCK
from mushin.ops import binary, elementwise, reduce, shape, unary

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI_OVER_2 = math.sqrt(math.pi) / 2.0
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2PI = math.sqrt(2.0 * math.pi)
_LOG_PI = math.log(math.pi)

# --- the libraries and dtypes -----------------------------------------------------------------


def library(xp: Any, name: str) -> Callable[..., Any]:
    """``scipy.special.<name>`` for NumPy arrays, ``cupyx.scipy.special.<name>`` for CuPy's
    (see ``mushin._backend.scipy_of``); SciPy's on a host copy where CuPy has no such
    function."""
    found: Callable[..., Any] | None = getattr(_backend.scipy_of(xp, "special"), name, None)
    if found is not None:
        return found
    host: Callable[..., Any] = getattr(_backend.scipy_of(np, "special"), name)

    def on_host(*operands: Any) -> Any:
        return xp.asarray(host(*(xp.asnumpy(operand) if hasattr(operand, "device") else operand
                                 for operand in operands)))

    return on_host


def float_dtype(name: str, *operands: Any) -> np.dtype[Any]:
    """The dtype of the result of ``name`` on ``operands``: their arrays' floating dtype, or
    float32 (PyTorch's default dtype) where no array is floating (integers, bools, numbers)."""
    floating: list[np.dtype[Any]] = []
    for operand in operands:
        if operand is None:
            raise TypeError(f"{operation_name(name)}: expected a tensor, an array or a number, got "
                            "None")
        dtype = getattr(operand, "dtype", None)
        if dtype is None:
            if isinstance(operand, complex):
                raise TypeError(f"{operation_name(name)}: complex numbers are not supported, got "
                                f"{operand!r}")
            continue
        if dtype.kind == "c":
            raise TypeError(f"{operation_name(name)}: complex tensors are not supported, got "
                            f"{dtype}")
        if dtype.kind == "f":
            floating.append(dtype)
    return np.result_type(*floating) if floating else _backend.DEFAULT_DTYPE


def as_floating(xp: Any, name: str, x: Any) -> Any:
    """``x`` as an array of its result dtype (integers and bools as float32)."""
    return xp.asarray(x, dtype=float_dtype(name, x))


def scipy_forward(name: str, function: str) -> Callable[..., Array]:
    """The forward of ``name``: the SciPy (or CuPy) function ``function`` of the operands, in
    their floating dtype."""

    def forward(xp: Any, *operands: Any) -> Array:
        dtype = float_dtype(name, *operands)
        return xp.asarray(library(xp, function)(*operands), dtype=dtype)

    return forward


def safe_divisor(F: Any, x: Any) -> Any:
    """``x`` with its zeros replaced by ones: a divisor for the branch where ``x != 0``."""
    return F.where(x == 0, 1, x)


# --- error functions and the normal distribution ----------------------------------------------


def _erf_cuda(xp: Any, x: Array) -> Array:
    if not cuda.fusable(x):
        return NotImplemented
    return cuda.pointwise("mushin_erf", "out = erf(x);", "x", x)


def _erf_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any]:
    x = inputs[0]
    return (g * (_TWO_OVER_SQRT_PI * F.exp(-(x * x))),)


def _erf_cuda_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> Any:
    x = inputs[0]
    if not cuda.fusable(g, x):
        return NotImplemented
    return (cuda.pointwise("mushin_erf_grad", "out = g * (c * exp(-(x * x)));", "g x", g, x,
                           c=_TWO_OVER_SQRT_PI),)


# The CPU kernels' erf: ``x P(x^2) / Q(x^2)`` on |x| <= 3.92 (beyond, erf rounds to +-1 in
# float32), evaluated in float64. The coefficients are a weighted least-squares fit of ours to
# SciPy's erf, relative error 5.2e-8: rounded to float32, within 1.4 ulp of the true value
# (tests/test_cpu_kernels.py). float64 arrays keep the portable rule.


@cpu.function
def erf_float32(v: float) -> float:
    """``erf(v)`` to float32 accuracy (a float64 result within 1.4 float32 ulp), exactly +-1
    from |v| = 3.92 on (so that ``-inf * (1 + erf(-inf))`` is NaN, as in the portable rule)."""
    c = min(max(v, -3.92), 3.92)
    z = c * c
    p = (((((1.9924273130270495e-08 * z - 1.957774328559123e-06) * z + 0.0001418382034819157)
           * z + 0.00370113891096022) * z + 0.050571888747908016) * z
         + 0.19991375911052084) * z + 1.1283791094500604
    q = (((0.0009559214619535164 * z + 0.014352269857083917) * z + 0.11499394556274098) * z
         + 0.5105006154857024) * z + 1.0
    r = c * p / q if abs(v) < 3.92 else (1.0 if v > 0 else -1.0)
    return r if v == v else v


@cpu.kernel
def _erf_float32_kernel(x: Array, out: Array) -> None:
    for i in range(x.size):
        out[i] = erf_float32(np.float64(x[i]))


def _erf_cpu(xp: Any, x: Array) -> Any:
    return cpu.map_float32(_erf_float32_kernel, x)


ERF = Primitive("erf", scipy_forward("erf", "erf"), _erf_vjp, cuda_forward=_erf_cuda,
                cuda_vjp=_erf_cuda_vjp, cpu_forward=_erf_cpu)
ERFC = Primitive("erfc", scipy_forward("erfc", "erfc"),
                 lambda F, g, inputs, out, parents: (
                     -g * (_TWO_OVER_SQRT_PI * F.exp(-(inputs[0] * inputs[0]))),))
ERFCX = Primitive("erfcx", scipy_forward("erfcx", "erfcx"),
                  lambda F, g, inputs, out, parents: (
                      g * (2 * inputs[0] * out - _TWO_OVER_SQRT_PI),), saves="both")
ERFINV = Primitive("erfinv", scipy_forward("erfinv", "erfinv"),
                   lambda F, g, inputs, out, parents: (
                       g * (_SQRT_PI_OVER_2 * F.exp(out * out)),), saves="output")
NDTR = Primitive("ndtr", scipy_forward("ndtr", "ndtr"),
                 lambda F, g, inputs, out, parents: (
                     g * (_INV_SQRT_2PI * F.exp(-0.5 * (inputs[0] * inputs[0]))),))
NDTRI = Primitive("ndtri", scipy_forward("ndtri", "ndtri"),
                  lambda F, g, inputs, out, parents: (
                      g * (_SQRT_2PI * F.exp(0.5 * (out * out))),), saves="output")
# d/dx log(ndtr(x)) = pdf(x) / ndtr(x) = exp(-(log_ndtr(x) + x^2 / 2)) / sqrt(2 pi): no
# division of two underflowing numbers in the far left tail.
LOG_NDTR = Primitive("log_ndtr", scipy_forward("log_ndtr", "log_ndtr"),
                     lambda F, g, inputs, out, parents: (
                         g * (_INV_SQRT_2PI * F.exp(-(out + 0.5 * (inputs[0] * inputs[0])))),),
                     saves="both")

# --- gamma functions --------------------------------------------------------------------------


def _polygamma_forward(xp: Any, x: Any, n: int) -> Array:
    dtype = float_dtype("polygamma", x)
    if n == 0:
        return xp.asarray(library(xp, "psi")(x), dtype=dtype)
    return xp.asarray(library(xp, "polygamma")(n, x), dtype=dtype)


POLYGAMMA = Primitive("polygamma", _polygamma_forward,
                      lambda F, g, inputs, out, parents, n: (
                          g * F.polygamma(inputs[0], n=n + 1),))
LGAMMA = Primitive("lgamma", scipy_forward("lgamma", "gammaln"),
                   lambda F, g, inputs, out, parents: (g * F.digamma(inputs[0]),))
DIGAMMA = Primitive("digamma", scipy_forward("digamma", "psi"),
                    lambda F, g, inputs, out, parents: (g * F.polygamma(inputs[0], n=1),))


def _mvlgamma_forward(xp: Any, x: Any, p: int) -> Array:
    x = as_floating(xp, "mvlgamma", x)
    gammaln = library(xp, "gammaln")
    total = gammaln(x)
    for j in range(1, p):
        total = total + gammaln(x - 0.5 * j)
    return xp.asarray(total + p * (p - 1) * 0.25 * _LOG_PI, dtype=x.dtype)


def _mvlgamma_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, p: int) -> tuple[Any]:
    x = inputs[0]
    total = F.digamma(x)
    for j in range(1, p):
        total = total + F.digamma(x - 0.5 * j)
    return (g * total,)


MVLGAMMA = Primitive("mvlgamma", _mvlgamma_forward, _mvlgamma_vjp)

# --- other functions --------------------------------------------------------------------------


def _sinc_forward(xp: Any, x: Any) -> Array:
    return xp.sinc(as_floating(xp, "sinc", x))


def _sinc_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any]:
    # d/dx sin(pi x) / (pi x) = (cos(pi x) - sinc(x)) / x, and 0 at 0, written there as
    # -pi^2 x / 3 (0, with the second derivative's limit -pi^2 / 3; PyTorch's is NaN).
    x = inputs[0]
    return (g * F.where(x == 0, x * (-math.pi ** 2 / 3), (F.cos(math.pi * x) - out)
                        / safe_divisor(F, x)),)


SINC = Primitive("sinc", _sinc_forward, _sinc_vjp, saves="both")
ENTR = Primitive("entr", scipy_forward("entr", "entr"),
                 lambda F, g, inputs, out, parents: (-g * (F.log(inputs[0]) + 1),))


def _logit_forward(xp: Any, x: Any, eps: float | None) -> Array:
    x = as_floating(xp, "logit", x)
    if eps is not None:
        x = xp.clip(x, eps, 1 - eps)
    return xp.log(x / (1 - x))


def _logit_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any,
               eps: float | None) -> tuple[Any]:
    # PyTorch's choice: NaN outside [0, 1] without eps; 0 where eps clamped the input.
    x = inputs[0]
    lo, hi, outside = (0.0, 1.0, math.nan) if eps is None else (eps, 1 - eps, 0.0)
    return (F.where((x < lo) | (x > hi), outside, g / (x * (1 - x))),)


LOGIT = Primitive("logit", _logit_forward, _logit_vjp)


def _xlog_vjp(name: str, offset: int) -> Callable[..., tuple[Any, Any]]:
    """The VJP of ``xlog1py`` (``offset`` 1; ``xlogy``'s would be 0): PyTorch's, whose
    gradient in ``x`` is 0 where ``x == 0`` and ``y`` is at or below the logarithm's pole."""

    def vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any, Any]:
        x, y = inputs
        grad_x = grad_y = None
        if parents[0] is not None:
            grad_x = F.where((x == 0) & (y <= -offset), 0, getattr(F, name)(g, y))
        if parents[1] is not None:
            grad_y = g * x / (y + offset)
        return grad_x, grad_y

    return vjp


XLOG1PY = Primitive("xlog1py", scipy_forward("xlog1py", "xlog1py"), _xlog_vjp("xlog1py", 1))


def _zeta_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any, Any]:
    x, q = inputs
    if parents[0] is not None:
        raise NotImplementedError("zeta: the derivative with respect to x is not implemented "
                                  "(PyTorch has none either); only q's is")
    # d/dq zeta(x, q) = -x zeta(x + 1, q)
    return None, (-g * x * F.zeta(x + 1, q) if parents[1] is not None else None)


ZETA = Primitive("zeta", scipy_forward("zeta", "zeta"), _zeta_vjp)

# --- sigmoid ----------------------------------------------------------------------------------

SIGMOID_BODY = "T d = exp(-fabs(x)); T s = x >= (T)0 ? (T)1 / ((T)1 + d) : d / ((T)1 + d);"
"""CUDA C setting ``s`` to the sigmoid of ``x``: ``exp(-|x|)`` never overflows; each branch is
the accurate form on its side of 0 (``silu``'s kernels use it too)."""


def _sigmoid_forward(xp: Any, x: Any) -> Array:
    x = as_floating(xp, "sigmoid", x)
    decay = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + decay), decay / (1 + decay))


def _sigmoid_cuda(xp: Any, x: Array) -> Array:
    if not cuda.fusable(x):
        return NotImplemented
    return cuda.pointwise("mushin_sigmoid", SIGMOID_BODY + "out = s;", "x", x)


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


# --- CPU: one float32 row at a time, with an exp that vectorises ----------------------------
# Numba calls libm's scalar exp (4 to 5 ns an element), NumPy's exp on float32 is SIMD (0.5
# ns) but is one more pass over the array and its temporaries. ``exp_shifted_float32`` reduces
# the argument by ln 2 (in two parts, so the reduction is exact) to |r| <= ln(2) / 2 and takes
# ``1 + r + r^2 P(r)``, P of degree 5 (our weighted least-squares fit of exp, relative error
# 5e-11 in float64; within 1 float32 ulp evaluated in float32), as two loops that LLVM
# vectorises: 0.3 ns an element, inside the row kernels, the row in the L1 cache. Results
# below float32's smallest normal (arguments below -87.33) are flushed to 0.

_LOG2_E = 1.4426950408889634
_LN2_HIGH = 0.693359375  # ln 2 to 10 bits: power * _LN2_HIGH is exact in float32
_LN2_LOW = math.log(2.0) - _LN2_HIGH
_EXP_FLOOR = -87.33654  # log of float32's smallest normal number
_NAN_BITS = 0x7FC00000


@cpu.function
def exp_shifted_float32(values: Array, top: Any, out: Array, bits: Array) -> float:
    """``out[j] = exp(values[j] - top)`` for the float32 row ``values`` (which ``out`` may
    be) and float32 ``top``, ``bits`` an int32 scratch row as long; returns the sum of
    ``out`` (in float64).
    NaN stays NaN, ``-inf`` gives 0."""
    count = out.size
    for j in range(count):
        shifted = values[j] - top
        clipped = min(max(shifted, np.float32(_EXP_FLOOR)), np.float32(88.0))
        power = np.floor(clipped * np.float32(_LOG2_E) + np.float32(0.5))
        reduced = (clipped - power * np.float32(_LN2_HIGH)) - power * np.float32(_LN2_LOW)
        poly = np.float32(0.0001979032822418958)
        poly = poly * reduced + np.float32(0.0013944708043709397)
        poly = poly * reduced + np.float32(0.008333497680723667)
        poly = poly * reduced + np.float32(0.04166629537940025)
        poly = poly * reduced + np.float32(0.1666666567325592)
        poly = poly * reduced + np.float32(0.5)
        out[j] = poly * reduced * reduced + reduced + np.float32(1.0)
        # 2 ** power as float32 bits; 0 (the float 0.0) below the floor; NaN for NaN
        bits[j] = ((np.int32(power) + np.int32(127)) << 23 if shifted >= np.float32(_EXP_FLOOR)
                   else (np.int32(0) if shifted < np.float32(_EXP_FLOOR)
                         else np.int32(_NAN_BITS)))
    powers = bits.view(np.float32)
    total = 0.0
    for j in range(count):
        value = out[j] * powers[j]
        out[j] = value
        total += value
    return total


@cpu.function
def row_max_float32(values: Array, count: int) -> Any:
    """The largest of the float32 ``values[:count]`` (``-inf`` for none), NaNs skipped: the
    rows it is for turn NaN through them anyway."""
    top = np.float32(-np.inf)
    for j in range(count):
        value = values[j]
        top = value if value > top else top
    return top


@cpu.kernel
def _softmax_float32_kernel(x: Array, out: Array, take_log: bool) -> None:
    rows, columns = x.shape
    bits = np.empty(columns, np.int32)
    for row in range(rows):
        values, result = x[row], out[row]
        top = row_max_float32(values, columns)
        total = exp_shifted_float32(values, top, result, bits)
        if take_log:  # (x - top) - log(sum) in two steps: x - top is exact
            log_total = np.float32(np.log(total))
            for j in range(columns):
                result[j] = (values[j] - top) - log_total
        else:
            inverse = np.float32(1.0 / total)
            for j in range(columns):
                result[j] *= inverse


@cpu.kernel
def _softmax_grad_kernel(g: Array, y: Array, factor: float, out: Array) -> None:
    rows, columns = y.shape
    for row in range(rows):
        grads, values, result = g[row], y[row], out[row]
        total = 0.0
        for j in range(columns):
            total += grads[j] * values[j]
        for j in range(columns):
            result[j] = values[j] * (grads[j] - total) * factor


def softmax_grad_cpu(g: Array, y: Array, factor: float = 1.0) -> Array | None:
    """``y * (g - sum(g * y)) * factor`` along the last axis, the gradient of a softmax ``y``
    (float32 or float64 NumPy arrays of one shape) by one row kernel, or None where the
    kernel does not take them."""
    rows = _last_axis_rows(g.ndim - 1, g, y, dtypes="fd")
    if rows is None:
        return None
    grad = np.empty(y.shape, dtype=y.dtype)
    _softmax_grad_kernel(*rows, factor, grad.reshape(rows[0].shape))
    return grad


@cpu.kernel
def _logsoftmax_grad_float32_kernel(g: Array, y: Array, out: Array) -> None:
    rows, columns = y.shape
    bits = np.empty(columns, np.int32)
    for row in range(rows):
        grads, result = g[row], out[row]
        total = 0.0
        for j in range(columns):
            total += grads[j]
        exp_shifted_float32(y[row], np.float32(0.0), result, bits)
        for j in range(columns):
            result[j] = grads[j] - result[j] * total


def _last_axis_rows(axis: int, *arrays: Array, dtypes: str = "f") -> list[Array] | None:
    """``arrays`` as C-contiguous ``(rows, last axis)`` matrices for the CPU row kernels
    (copies only where needed), or None where those do not take them: an axis other than
    the last, NumPy arrays of another dtype than ``dtypes`` (``"f"``: float32, ``"fd"``: also
    float64), an empty one."""
    first = arrays[0]
    if (not cpu.fusable(*arrays) or first.dtype.char not in dtypes or not first.size
            or not first.ndim or axis != first.ndim - 1):
        return None
    return [np.ascontiguousarray(array).reshape(-1, first.shape[-1]) for array in arrays]


def _softmax_cpu(xp: Any, x: Array, axis: int) -> Any:
    rows = _last_axis_rows(axis, x)
    if rows is None:
        return NotImplemented
    out = np.empty(x.shape, dtype=x.dtype)
    _softmax_float32_kernel(rows[0], out.reshape(rows[0].shape), False)
    return out


def _softmax_cpu_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, axis: int) -> Any:
    grad = softmax_grad_cpu(g, out) if axis == out.ndim - 1 else None
    return NotImplemented if grad is None else (grad,)


def _logsoftmax_cpu(xp: Any, x: Array, axis: int) -> Any:
    rows = _last_axis_rows(axis, x)
    if rows is None:
        return NotImplemented
    out = np.empty(x.shape, dtype=x.dtype)
    _softmax_float32_kernel(rows[0], out.reshape(rows[0].shape), True)
    return out


def _logsoftmax_cpu_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any,
                        axis: int) -> Any:
    rows = _last_axis_rows(axis, g, out)
    if rows is None:
        return NotImplemented
    grad = np.empty(out.shape, dtype=out.dtype)
    _logsoftmax_grad_float32_kernel(*rows, grad.reshape(rows[0].shape))
    return (grad,)


def _softmax_forward(xp: Any, x: Array, axis: int) -> Array:
    x = as_floating(xp, "softmax", x)
    if x.size == 0:  # an empty axis has no maximum; the result is as empty
        return xp.empty_like(x)
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
                    cuda_forward=_softmax_cuda, cuda_vjp=_softmax_cuda_vjp,
                    cpu_forward=_softmax_cpu, cpu_vjp=_softmax_cpu_vjp)


def _logsoftmax_forward(xp: Any, x: Array, axis: int) -> Array:
    x = as_floating(xp, "log_softmax", x)
    if x.size == 0:
        return xp.empty_like(x)
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
                       cuda_forward=_logsoftmax_cuda, cuda_vjp=_logsoftmax_cuda_vjp,
                       cpu_forward=_logsoftmax_cpu, cpu_vjp=_logsoftmax_cpu_vjp)


def along_axis(prim: Primitive, name: str, x: Any, dim: Any, dtype: Any, axis: Any) -> Any:
    """``softmax`` or ``log_softmax`` (``prim``) of ``x`` along one axis: PyTorch's ``dim``
    or NumPy's ``axis`` (whose default, -1, is the last axis; ``axis=None`` is refused, as a
    softmax works along one axis), after converting ``x`` to ``dtype`` if one is given. A
    0-d tensor is a one-element axis."""
    if axis is None:
        raise TypeError(f"{operation_name(name)}: axis must be one int (a softmax works along one "
                        "axis), got None")
    if dim is not None and axis != -1:
        raise TypeError(f"{operation_name(name)}: give dim= or axis=, not both")
    position = axis if dim is None else dim
    if not is_int(position):
        raise TypeError(f"{operation_name(name)}: dim must be one int, got {position!r}")
    if dtype is not None:
        x = elementwise.astype(x, dtype)
    rank = len(shape_of(x))
    span = max(rank, 1)
    if not -span <= position < span:
        # NumPy's AxisError is both PyTorch's IndexError and NumPy's ValueError.
        raise AxisError(f"{operation_name(name)}: axis {position} is out of range for a tensor "
                        f"with {rank} axes (dim must lie in [{-span}, {span}))")
    if rank == 0:
        return shape.reshape(apply(prim, shape.reshape(x, (1,)), axis=0), ())
    return apply(prim, x, axis=position % span)


# --- public functions -------------------------------------------------------------------------


@exported("unary_function")
@exported("unary_function", namespace="special", name="erf")
@method("erf", typing="same_type_method")
def erf(x: Any) -> Any:
    """The error function ``2 / sqrt(pi) * integral_0^x exp(-t^2) dt``."""
    return apply(ERF, x)


@exported("unary_function")
@exported("unary_function", namespace="special", name="erfc")
@method("erfc", typing="same_type_method")
def erfc(x: Any) -> Any:
    """The complementary error function ``1 - erf(x)``, accurate where ``erf`` is near 1."""
    return apply(ERFC, x)


@exported("unary_function", namespace="special", name="erfcx")
def erfcx(x: Any) -> Any:
    """The scaled complementary error function ``exp(x^2) * erfc(x)``."""
    return apply(ERFCX, x)


@exported("unary_function")
@exported("unary_function", namespace="special", name="erfinv")
@method("erfinv", typing="same_type_method")
def erfinv(x: Any) -> Any:
    """The inverse of ``erf`` on (-1, 1) (+-inf at +-1, NaN outside)."""
    return apply(ERFINV, x)


@exported("unary_function", namespace="special", name="ndtr")
def ndtr(x: Any) -> Any:
    """The standard normal distribution function ``P(Z <= x)``."""
    return apply(NDTR, x)


@exported("unary_function", namespace="special", name="ndtri")
def ndtri(x: Any) -> Any:
    """The inverse of ``ndtr``: the standard normal quantile of ``x`` in [0, 1]."""
    return apply(NDTRI, x)


@exported("unary_function", namespace="special", name="log_ndtr")
def log_ndtr(x: Any) -> Any:
    """``log(ndtr(x))``, accurate in the far left tail."""
    return apply(LOG_NDTR, x)


@exported("unary_function")
@exported("unary_function", namespace="special", name="gammaln")
@method("lgamma", typing="same_type_method")
def lgamma(x: Any) -> Any:
    """``log |Gamma(x)|`` (``mu.special.gammaln``); gradient ``digamma``."""
    return apply(LGAMMA, x)


@exported("unary_function")
@exported("unary_function", namespace="special", name="digamma")
@exported("unary_function", namespace="special", name="psi")
@method("digamma", typing="same_type_method")
def digamma(x: Any) -> Any:
    """``Gamma'(x) / Gamma(x)`` (``mu.special.psi``): -inf at 0, NaN at negative integers."""
    return apply(DIGAMMA, x)


@exported("mixed_function")
@exported("mixed_function", namespace="special", name="polygamma")
def polygamma(n: int, x: Any) -> Any:
    """The ``n``-th derivative of ``digamma`` at ``x`` (``n >= 0``; ``polygamma(0, x)`` is
    ``digamma(x)``); gradient ``polygamma(n + 1, x)``. The order ``n`` is an int, so the
    operands may also come as ``(x, n)`` (PyTorch's ``OpInfo`` calls it so)."""
    if is_int(x) and not is_int(n):
        n, x = x, n
    return apply(POLYGAMMA, x, n=integer("polygamma", "n", n, minimum=0))


@method("polygamma", typing="same_type_method")
def _polygamma_method(x: Any, n: int) -> Any:
    """``x.polygamma(n)``: ``polygamma(n, x)``."""
    return polygamma(n, x)


@exported("same_type_function")
@exported("same_type_function", namespace="special", name="multigammaln")
@method("mvlgamma", typing="same_type_method")
def mvlgamma(x: Any, p: int) -> Any:
    """The multivariate log-gamma function of dimension ``p``: ``p (p - 1) / 4 log(pi) +
    sum_j lgamma(x - j / 2)`` for j in [0, p) (``mu.special.multigammaln``); gradient the
    matching sum of ``digamma``. As in PyTorch, ``x`` is not checked against
    ``(p - 1) / 2``: below it the terms are those of ``lgamma`` there."""
    p = integer("mvlgamma", "p", p, minimum=1)
    return apply(MVLGAMMA, x, p=p)


@exported("unary_function")
@exported("unary_function", namespace="special", name="sinc")
@method("sinc", typing="same_type_method")
def sinc(x: Any) -> Any:
    """The normalised sinc ``sin(pi x) / (pi x)``, 1 at 0."""
    return apply(SINC, x)


@exported("unary_function", namespace="special", name="entr")
def entr(x: Any) -> Any:
    """The entropy term ``-x log(x)``: 0 at 0, -inf for x < 0."""
    return apply(ENTR, x)


@exported("same_type_function")
@exported("same_type_function", namespace="special", name="logit")
@method("logit", typing="same_type_method")
def logit(x: Any, eps: float | None = None) -> Any:
    """``log(x / (1 - x))``, ``x`` first clamped to ``[eps, 1 - eps]`` when ``eps`` is given
    (a negative ``eps`` clamps nothing, as PyTorch's). The gradient is 0 where the clamp
    acted, NaN outside [0, 1] without ``eps``."""
    if eps is not None:
        if not is_number(eps):
            raise TypeError(f"logit: eps must be a number or None, got {eps!r}")
        eps = float(eps) if eps >= 0 else None
    return apply(LOGIT, x, eps=eps)


@exported("binary_function", namespace="special", name="xlog1py")
def xlog1py(x: Any, y: Any) -> Any:
    """``x * log1p(y)``, 0 where ``x == 0`` (unless ``y`` is NaN)."""
    return apply(XLOG1PY, x, y)


@exported("binary_function", namespace="special", name="zeta")
def zeta(x: Any, q: Any) -> Any:
    """The Hurwitz zeta function ``sum_k (k + q)^-x`` (Riemann's for ``q = 1``). Only ``q``
    is differentiated (``-x zeta(x + 1, q)``); PyTorch differentiates neither."""
    return apply(ZETA, x, q)


@exported("unary_function")
@exported("unary_function", namespace="special", name="expit")
@method("sigmoid", typing="same_type_method")
def sigmoid(x: Any) -> Any:
    """``1 / (1 + exp(-x))`` (``mu.special.expit``), stable for any finite ``x``."""
    return apply(SIGMOID, x)


@exported("same_type_function")
@exported("same_type_function", namespace="special", name="softmax")
@method("softmax", typing="same_type_method")
def softmax(x: Any, dim: int | None = None, dtype: Any = None, *,
            axis: int = -1) -> Any:
    """``exp(x) / sum(exp(x))`` along ``dim`` (or NumPy's ``axis``; the last axis when neither
    is given, where PyTorch requires one), ``x`` first converted to ``dtype`` if given. An
    empty axis gives an empty result."""
    return along_axis(SOFTMAX, "softmax", x, dim, dtype, axis)


@exported("same_type_function")
@exported("same_type_function", namespace="special", name="log_softmax")
@method("log_softmax", typing="same_type_method")
def log_softmax(x: Any, dim: int | None = None, dtype: Any = None, *,
                axis: int = -1) -> Any:
    """``x - logsumexp(x)`` along ``dim`` (or ``axis``; the last axis by default): the log of
    ``softmax``, computed stably; ``x`` first converted to ``dtype`` if given."""
    return along_axis(LOGSOFTMAX, "log_softmax", x, dim, dtype, axis)


exported("reduction_function", namespace="special", name="logsumexp")(reduce.logsumexp)
exported("binary_function", namespace="special", name="xlogy")(binary.xlogy)
exported("unary_function", namespace="special", name="exp2")(unary.exp2)
exported("unary_function", namespace="special", name="expm1")(unary.expm1)
exported("unary_function", namespace="special", name="log1p")(unary.log1p)
exported("same_type_function", namespace="special", name="round")(unary.round)

