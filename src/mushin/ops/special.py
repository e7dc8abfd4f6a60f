"""Special functions: PyTorch's ``torch.special`` (``mu.special``) and the top-level names torch
gives some of them (``mu.erf``, ``mu.lgamma``, ``mu.sigmoid``, ``mu.softmax``...), each a
primitive with its gradient.

Values come from ``scipy.special`` on the CPU and ``cupyx.scipy.special`` on CuPy (imported on
first use; a function CuPy lacks runs on a host copy). The orthogonal polynomials follow
PyTorch's own recurrences, written with the array module, so they give PyTorch's values
bit for bit where it uses the recurrence. Gradients are the known derivatives, written with
the function set ``F`` so that second derivatives work: ``erfinv' = sqrt(pi)/2 exp(erfinv^2)``,
``lgamma' = digamma``, ``digamma' = polygamma(1)``, ``i0' = i1``, ``i0e' = i1e - sign i0e``...

An integer or bool input gives a float32 result, as PyTorch's default dtype; a float input
keeps its dtype. The Bessel and Airy functions, which PyTorch does not differentiate, are
differentiated here; the polynomials (whose degree is an integer) and ``zeta``'s first
argument are not, as in PyTorch: their backward raises ``NotImplementedError``.

``sigmoid``, ``softmax`` and ``log_softmax`` live here (``mu.nn.functional`` re-exports them),
with the CUDA kernels that compute a whole softmax row in one block.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.exceptions import AxisError

from mushin import _backend
from mushin._backend import Array, accumulator
from mushin._check import integer, is_int, is_number, shape_of
from mushin._graph import Primitive
from mushin._surface import exported, method
from mushin._tensor import apply
from mushin.kernels import cuda
from mushin.kernels.cuda import BLOCK
from mushin.ops import binary, elementwise, reduce, shape, unary

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI_OVER_2 = math.sqrt(math.pi) / 2.0
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2PI = math.sqrt(2.0 * math.pi)
_LOG_PI = math.log(math.pi)

# --- the libraries and dtypes -----------------------------------------------------------------


def _library(xp: Any, name: str) -> Callable[..., Any]:
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


def _float_dtype(name: str, *operands: Any) -> np.dtype[Any]:
    """The dtype of the result of ``name`` on ``operands``: their arrays' floating dtype, or
    float32 (PyTorch's default dtype) where no array is floating (integers, bools, numbers)."""
    floating: list[np.dtype[Any]] = []
    for operand in operands:
        if operand is None:
            raise TypeError(f"{name}: expected a tensor, an array or a number, got None")
        dtype = getattr(operand, "dtype", None)
        if dtype is None:
            if isinstance(operand, complex):
                raise TypeError(f"{name}: complex numbers are not supported, got {operand!r}")
            continue
        if dtype.kind == "c":
            raise TypeError(f"{name}: complex tensors are not supported, got {dtype}")
        if dtype.kind == "f":
            floating.append(dtype)
    return np.result_type(*floating) if floating else _backend.DEFAULT_DTYPE


def _floating(xp: Any, name: str, x: Any) -> Any:
    """``x`` as an array of its result dtype (integers and bools as float32)."""
    return xp.asarray(x, dtype=_float_dtype(name, x))


def _scipy(name: str, function: str) -> Callable[..., Array]:
    """The forward of ``name``: the SciPy (or CuPy) function ``function`` of the operands, in
    their floating dtype."""

    def forward(xp: Any, *operands: Any) -> Array:
        dtype = _float_dtype(name, *operands)
        return xp.asarray(_library(xp, function)(*operands), dtype=dtype)

    return forward


def _safe(F: Any, x: Any) -> Any:
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


ERF = Primitive("erf", _scipy("erf", "erf"), _erf_vjp, cuda_forward=_erf_cuda,
                cuda_vjp=_erf_cuda_vjp)
ERFC = Primitive("erfc", _scipy("erfc", "erfc"),
                 lambda F, g, inputs, out, parents: (
                     -g * (_TWO_OVER_SQRT_PI * F.exp(-(inputs[0] * inputs[0]))),))
ERFCX = Primitive("erfcx", _scipy("erfcx", "erfcx"),
                  lambda F, g, inputs, out, parents: (
                      g * (2 * inputs[0] * out - _TWO_OVER_SQRT_PI),), saves="both")
ERFINV = Primitive("erfinv", _scipy("erfinv", "erfinv"),
                   lambda F, g, inputs, out, parents: (
                       g * (_SQRT_PI_OVER_2 * F.exp(out * out)),), saves="output")
NDTR = Primitive("ndtr", _scipy("ndtr", "ndtr"),
                 lambda F, g, inputs, out, parents: (
                     g * (_INV_SQRT_2PI * F.exp(-0.5 * (inputs[0] * inputs[0]))),))
NDTRI = Primitive("ndtri", _scipy("ndtri", "ndtri"),
                  lambda F, g, inputs, out, parents: (
                      g * (_SQRT_2PI * F.exp(0.5 * (out * out))),), saves="output")
# d/dx log(ndtr(x)) = pdf(x) / ndtr(x) = exp(-(log_ndtr(x) + x^2 / 2)) / sqrt(2 pi): no
# division of two underflowing numbers in the far left tail.
LOG_NDTR = Primitive("log_ndtr", _scipy("log_ndtr", "log_ndtr"),
                     lambda F, g, inputs, out, parents: (
                         g * (_INV_SQRT_2PI * F.exp(-(out + 0.5 * (inputs[0] * inputs[0])))),),
                     saves="both")

# --- gamma functions --------------------------------------------------------------------------


def _polygamma_forward(xp: Any, x: Any, n: int) -> Array:
    dtype = _float_dtype("polygamma", x)
    if n == 0:
        return xp.asarray(_library(xp, "psi")(x), dtype=dtype)
    return xp.asarray(_library(xp, "polygamma")(n, x), dtype=dtype)


POLYGAMMA = Primitive("polygamma", _polygamma_forward,
                      lambda F, g, inputs, out, parents, n: (
                          g * F.polygamma(inputs[0], n=n + 1),))
LGAMMA = Primitive("lgamma", _scipy("lgamma", "gammaln"),
                   lambda F, g, inputs, out, parents: (g * F.digamma(inputs[0]),))
DIGAMMA = Primitive("digamma", _scipy("digamma", "psi"),
                    lambda F, g, inputs, out, parents: (g * F.polygamma(inputs[0], n=1),))


def _mvlgamma_forward(xp: Any, x: Any, p: int) -> Array:
    x = _floating(xp, "mvlgamma", x)
    gammaln = _library(xp, "gammaln")
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

# --- Bessel and Airy functions ----------------------------------------------------------------

I0 = Primitive("i0", _scipy("i0", "i0"),
               lambda F, g, inputs, out, parents: (g * F.i1(inputs[0]),))
I0E = Primitive("i0e", _scipy("i0e", "i0e"),
                lambda F, g, inputs, out, parents: (
                    g * (F.i1e(inputs[0]) - F.sign(inputs[0]) * out),), saves="both")


def _i1_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any]:
    x = inputs[0]
    return (g * F.where(x == 0, 0.5, F.i0(x) - out / _safe(F, x)),)


def _i1e_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any]:
    x = inputs[0]
    return (g * F.where(x == 0, 0.5, F.i0e(x) - out * (F.sign(x) + 1 / _safe(F, x))),)


I1 = Primitive("i1", _scipy("i1", "i1"), _i1_vjp, saves="both")
I1E = Primitive("i1e", _scipy("i1e", "i1e"), _i1e_vjp, saves="both")


def _bessel_j1_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any]:
    x = inputs[0]
    return (g * F.where(x == 0, 0.5, F.bessel_j0(x) - out / _safe(F, x)),)


def _bessel_y1_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any]:
    x = inputs[0]
    return (g * (F.bessel_y0(x) - out / x),)


def _k1_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any]:
    x = inputs[0]
    return (g * (-F.modified_bessel_k0(x) - out / x),)


def _k1e_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any]:
    x = inputs[0]
    return (g * (out - F.scaled_modified_bessel_k0(x) - out / x),)


BESSEL_J0 = Primitive("bessel_j0", _scipy("bessel_j0", "j0"),
                      lambda F, g, inputs, out, parents: (-g * F.bessel_j1(inputs[0]),))
BESSEL_J1 = Primitive("bessel_j1", _scipy("bessel_j1", "j1"), _bessel_j1_vjp, saves="both")
BESSEL_Y0 = Primitive("bessel_y0", _scipy("bessel_y0", "y0"),
                      lambda F, g, inputs, out, parents: (-g * F.bessel_y1(inputs[0]),))
BESSEL_Y1 = Primitive("bessel_y1", _scipy("bessel_y1", "y1"), _bessel_y1_vjp, saves="both")
MODIFIED_BESSEL_K0 = Primitive("modified_bessel_k0", _scipy("modified_bessel_k0", "k0"),
                               lambda F, g, inputs, out, parents: (
                                   -g * F.modified_bessel_k1(inputs[0]),))
MODIFIED_BESSEL_K1 = Primitive("modified_bessel_k1", _scipy("modified_bessel_k1", "k1"),
                               _k1_vjp, saves="both")
SCALED_MODIFIED_BESSEL_K0 = Primitive(
    "scaled_modified_bessel_k0", _scipy("scaled_modified_bessel_k0", "k0e"),
    lambda F, g, inputs, out, parents: (
        g * (out - F.scaled_modified_bessel_k1(inputs[0])),), saves="both")
SCALED_MODIFIED_BESSEL_K1 = Primitive(
    "scaled_modified_bessel_k1", _scipy("scaled_modified_bessel_k1", "k1e"), _k1e_vjp,
    saves="both")


def _spherical_bessel_j0_forward(xp: Any, x: Any) -> Array:
    x = _floating(xp, "spherical_bessel_j0", x)
    nonzero = xp.where(x == 0, 1, x)
    result = xp.where(x == 0, 1, xp.sin(nonzero) / nonzero)
    return xp.asarray(xp.where(xp.isinf(x), 0, result), dtype=x.dtype)


def _spherical_bessel_j0_vjp(F: Any, g: Any, inputs: Any, out: Any,
                             parents: Any) -> tuple[Any]:
    # (x cos x - sin x) / x^2 = (cos x - j0(x)) / x, and 0 at 0, written there as -x / 3
    # (0, with the second derivative's limit -1/3).
    x = inputs[0]
    return (g * F.where(x == 0, x * (-1 / 3), (F.cos(x) - out) / _safe(F, x)),)


SPHERICAL_BESSEL_J0 = Primitive("spherical_bessel_j0", _spherical_bessel_j0_forward,
                                _spherical_bessel_j0_vjp, saves="both")


def _airy(index: int) -> Callable[..., Array]:
    """The forward of Ai (``index`` 0) or Ai' (1): one output of SciPy's ``airy``."""

    def forward(xp: Any, x: Any) -> Array:
        dtype = _float_dtype("airy_ai", x)
        return xp.asarray(_library(xp, "airy")(x)[index], dtype=dtype)

    return forward


AIRY_AI_PRIME = Primitive("airy_ai_prime", _airy(1),
                          lambda F, g, inputs, out, parents: (
                              g * inputs[0] * F.airy_ai(inputs[0]),))  # Ai'' = x Ai
AIRY_AI = Primitive("airy_ai", _airy(0),
                    lambda F, g, inputs, out, parents: (g * F.airy_ai_prime(inputs[0]),))

# --- other functions --------------------------------------------------------------------------


def _sinc_forward(xp: Any, x: Any) -> Array:
    return xp.sinc(_floating(xp, "sinc", x))


def _sinc_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any]:
    # d/dx sin(pi x) / (pi x) = (cos(pi x) - sinc(x)) / x, and 0 at 0, written there as
    # -pi^2 x / 3 (0, with the second derivative's limit -pi^2 / 3; PyTorch's is NaN).
    x = inputs[0]
    return (g * F.where(x == 0, x * (-math.pi ** 2 / 3), (F.cos(math.pi * x) - out)
                        / _safe(F, x)),)


SINC = Primitive("sinc", _sinc_forward, _sinc_vjp, saves="both")
ENTR = Primitive("entr", _scipy("entr", "entr"),
                 lambda F, g, inputs, out, parents: (-g * (F.log(inputs[0]) + 1),))


def _logit_forward(xp: Any, x: Any, eps: float | None) -> Array:
    x = _floating(xp, "logit", x)
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


XLOG1PY = Primitive("xlog1py", _scipy("xlog1py", "xlog1py"), _xlog_vjp("xlog1py", 1))


def _zeta_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any, Any]:
    x, q = inputs
    if parents[0] is not None:
        raise NotImplementedError("zeta: the derivative with respect to x is not implemented "
                                  "(PyTorch has none either); only q's is")
    # d/dq zeta(x, q) = -x zeta(x + 1, q)
    return None, (-g * x * F.zeta(x + 1, q) if parents[1] is not None else None)


ZETA = Primitive("zeta", _scipy("zeta", "zeta"), _zeta_vjp)

# --- orthogonal polynomials -------------------------------------------------------------------


def _degree(xp: Any, n: Any) -> Array:
    """The degree ``n`` as int64, truncated as PyTorch casts it; NaN, infinite or out-of-range
    degrees as -1 (the value 0, where a C++ cast would be undefined)."""
    n = xp.asarray(n)
    if n.dtype.kind == "f":
        valid = xp.isfinite(n) & (xp.abs(n) < 2.0 ** 62)
        n = xp.where(valid, xp.trunc(xp.where(valid, n, -1)), -1)
    return n.astype("int64")


def _recurrence(xp: Any, n: Array, first: Array, step: Callable[[int, Array, Array], Array],
                skip: Array | None = None) -> Array:
    """``P_n`` of a three-term recurrence for every element: ``P_0 = 1``, ``P_1 = first``,
    ``P_m = step(m, P_(m-1), P_(m-2))``; 0 for ``n < 0``. Elements where ``skip`` holds are
    left out of the loop's length (another formula gives them)."""
    result = xp.where(n == 0, xp.ones_like(first), first)
    steps = n if skip is None else xp.where(skip, 0, n)
    top = int(steps.max()) if steps.size else 0
    previous, current = xp.ones_like(first), first
    for m in range(2, top + 1):
        previous, current = current, step(m, current, previous)
        result = xp.where(steps == m, current, result)
    return xp.where(n < 0, xp.zeros_like(result), result)


def _operands(xp: Any, name: str, x: Any, n: Any) -> tuple[Array, Array]:
    """``x`` in the result's dtype and the degree ``n`` as int64, broadcast together."""
    dtype = _float_dtype(name, x, n)
    x, degree = xp.broadcast_arrays(xp.asarray(x, dtype=dtype), _degree(xp, n))
    return x, degree


_CHEBYSHEV_TRIG_FROM = {("t", False): 6, ("u", False): 8, ("v", False): 8, ("w", False): 8,
                        ("t", True): 6, ("u", True): 6, ("v", True): 6, ("w", True): 4}
"""The degree above which PyTorch evaluates a Chebyshev polynomial inside (-1, 1) by its
trigonometric form rather than the recurrence."""


def _chebyshev(kind: str, shifted: bool) -> Callable[..., Array]:
    """The forward of the Chebyshev polynomial of the ``kind`` t, u, v or w (of ``2x - 1``
    when ``shifted``), computed as PyTorch does."""
    name = f"{'shifted_' if shifted else ''}chebyshev_polynomial_{kind}"
    trig_from = _CHEBYSHEV_TRIG_FROM[kind, shifted]

    def forward(xp: Any, x: Any, n: Any) -> Array:
        x, n = _operands(xp, name, x, n)
        y = x + x - 1 if shifted else x
        first = {"t": y, "u": y + y, "v": y + y - 1, "w": y + y + 1}[kind]
        inside = (xp.abs(y) < 1) & (n > trig_from)
        result = _recurrence(xp, n, first, lambda m, q, p: (y + y) * q - p, skip=inside)
        theta = xp.arccos(xp.clip(y, -1, 1))
        degree = n.astype(x.dtype)
        if kind == "t":
            trig = xp.cos(degree * theta)
        elif kind == "u":
            trig = xp.sin((degree + 1) * theta) / xp.where(inside, xp.sin(theta), 1)
        elif kind == "v":
            trig = xp.cos((degree + 0.5) * theta) / xp.where(inside, xp.cos(theta / 2), 1)
        else:
            trig = xp.sin((degree + 0.5) * theta) / xp.where(inside, xp.sin(theta / 2), 1)
        result = xp.where(inside, trig, result)
        sign = xp.where(n % 2 == 0, 1, -1).astype(x.dtype)
        at_one = {"t": 1, "u": n + 1, "v": 1, "w": n + n + 1}[kind]
        at_minus_one = sign * {"t": 1, "u": n + 1, "v": n + n + 1, "w": 1}[kind]
        result = xp.where(y == 1, at_one, xp.where(y == -1, at_minus_one, result))
        return xp.asarray(xp.where(n < 0, 0, result), dtype=x.dtype)

    return forward


def _hermite(physicists: bool) -> Callable[..., Array]:
    """The forward of the Hermite polynomial ``H_n`` (``physicists``) or ``He_n``, NaN above
    PyTorch's largest degree (512 in float64, 128 in float32)."""

    def forward(xp: Any, x: Any, n: Any) -> Array:
        x, n = _operands(xp, "hermite_polynomial_h" if physicists else "hermite_polynomial_he",
                         x, n)
        limit = {"float64": 512, "float32": 128}.get(x.dtype.name, 1024)
        too_high = n > limit
        if physicists:
            result = _recurrence(xp, n, x + x, lambda m, q, p: (x + x) * q - (2 * (m - 1)) * p,
                                 skip=too_high)
        else:
            result = _recurrence(xp, n, x, lambda m, q, p: x * q - (m - 1) * p, skip=too_high)
        return xp.asarray(xp.where(too_high, math.nan, result), dtype=x.dtype)

    return forward


def _laguerre_forward(xp: Any, x: Any, n: Any) -> Array:
    x, n = _operands(xp, "laguerre_polynomial_l", x, n)
    result = _recurrence(xp, n, 1 - x,
                         lambda m, q, p: ((2 * (m - 1) + (1 - x)) * q - (m - 1) * p) / m)
    return xp.asarray(xp.where((x == 0) & (n >= 0), 1, result), dtype=x.dtype)


def _legendre_forward(xp: Any, x: Any, n: Any) -> Array:
    x, n = _operands(xp, "legendre_polynomial_p", x, n)
    result = _recurrence(xp, n, x, lambda m, q, p: ((2 * m - 1) * x * q - (m - 1) * p) / m)
    sign = xp.where(n % 2 == 0, 1, -1)
    result = xp.where((xp.abs(x) == 1) & (n >= 0), xp.where(x > 0, 1, sign), result)
    return xp.asarray(result, dtype=x.dtype)


def _no_derivative(name: str) -> Callable[..., tuple[Any, Any]]:
    """The VJP of a polynomial: PyTorch defines no derivative in ``x`` or in the degree."""

    def vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any, Any]:
        raise NotImplementedError(f"{name}: the derivative is not implemented (PyTorch has "
                                  "none either)")

    return vjp


def _polynomial(name: str, forward: Callable[..., Array]) -> Primitive:
    return Primitive(name, forward, _no_derivative(name), saves="none")


CHEBYSHEV_POLYNOMIAL_T = _polynomial("chebyshev_polynomial_t", _chebyshev("t", False))
CHEBYSHEV_POLYNOMIAL_U = _polynomial("chebyshev_polynomial_u", _chebyshev("u", False))
CHEBYSHEV_POLYNOMIAL_V = _polynomial("chebyshev_polynomial_v", _chebyshev("v", False))
CHEBYSHEV_POLYNOMIAL_W = _polynomial("chebyshev_polynomial_w", _chebyshev("w", False))
SHIFTED_CHEBYSHEV_POLYNOMIAL_T = _polynomial("shifted_chebyshev_polynomial_t",
                                             _chebyshev("t", True))
SHIFTED_CHEBYSHEV_POLYNOMIAL_U = _polynomial("shifted_chebyshev_polynomial_u",
                                             _chebyshev("u", True))
SHIFTED_CHEBYSHEV_POLYNOMIAL_V = _polynomial("shifted_chebyshev_polynomial_v",
                                             _chebyshev("v", True))
SHIFTED_CHEBYSHEV_POLYNOMIAL_W = _polynomial("shifted_chebyshev_polynomial_w",
                                             _chebyshev("w", True))
HERMITE_POLYNOMIAL_H = _polynomial("hermite_polynomial_h", _hermite(True))
HERMITE_POLYNOMIAL_HE = _polynomial("hermite_polynomial_he", _hermite(False))
LAGUERRE_POLYNOMIAL_L = _polynomial("laguerre_polynomial_l", _laguerre_forward)
LEGENDRE_POLYNOMIAL_P = _polynomial("legendre_polynomial_p", _legendre_forward)

# --- sigmoid ----------------------------------------------------------------------------------

SIGMOID_BODY = "T d = exp(-fabs(x)); T s = x >= (T)0 ? (T)1 / ((T)1 + d) : d / ((T)1 + d);"
"""CUDA C setting ``s`` to the sigmoid of ``x``: ``exp(-|x|)`` never overflows; each branch is
the accurate form on its side of 0 (``silu``'s kernels use it too)."""


def _sigmoid_forward(xp: Any, x: Any) -> Array:
    x = _floating(xp, "sigmoid", x)
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


def _softmax_forward(xp: Any, x: Array, axis: int) -> Array:
    x = _floating(xp, "softmax", x)
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
                    cuda_forward=_softmax_cuda, cuda_vjp=_softmax_cuda_vjp)


def _logsoftmax_forward(xp: Any, x: Array, axis: int) -> Array:
    x = _floating(xp, "log_softmax", x)
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
                       cuda_forward=_logsoftmax_cuda, cuda_vjp=_logsoftmax_cuda_vjp)


def along_axis(prim: Primitive, name: str, x: Any, dim: Any, dtype: Any, axis: Any) -> Any:
    """``softmax`` or ``log_softmax`` (``prim``) of ``x`` along one axis: PyTorch's ``dim``
    or NumPy's ``axis`` (whose default, -1, is the last axis; ``axis=None`` is refused, as a
    softmax works along one axis), after converting ``x`` to ``dtype`` if one is given. A
    0-d tensor is a one-element axis."""
    if axis is None:
        raise TypeError(f"{name}: axis must be one int (a softmax works along one axis), "
                        "got None")
    if dim is not None and axis != -1:
        raise TypeError(f"{name}: give dim= or axis=, not both")
    position = axis if dim is None else dim
    if not is_int(position):
        raise TypeError(f"{name}: dim must be one int, got {position!r}")
    if dtype is not None:
        x = elementwise.astype(x, dtype)
    rank = len(shape_of(x))
    span = max(rank, 1)
    if not -span <= position < span:
        # NumPy's AxisError is both PyTorch's IndexError and NumPy's ValueError.
        raise AxisError(f"{name}: axis {position} is out of range for a tensor with {rank} "
                        f"axes (dim must lie in [{-span}, {span}))")
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
@exported("unary_function", namespace="special", name="i0")
@exported("unary_function", namespace="special", name="modified_bessel_i0")
@method("i0", typing="same_type_method")
def i0(x: Any) -> Any:
    """The modified Bessel function of the first kind of order 0 (also
    ``mu.special.modified_bessel_i0``); gradient ``i1``."""
    return apply(I0, x)


@exported("unary_function", namespace="special", name="i0e")
def i0e(x: Any) -> Any:
    """The exponentially scaled ``i0``: ``exp(-|x|) * i0(x)``."""
    return apply(I0E, x)


@exported("unary_function", namespace="special", name="i1")
@exported("unary_function", namespace="special", name="modified_bessel_i1")
def i1(x: Any) -> Any:
    """The modified Bessel function of the first kind of order 1 (also
    ``mu.special.modified_bessel_i1``)."""
    return apply(I1, x)


@exported("unary_function", namespace="special", name="i1e")
def i1e(x: Any) -> Any:
    """The exponentially scaled ``i1``: ``exp(-|x|) * i1(x)``."""
    return apply(I1E, x)


@exported("unary_function", namespace="special", name="bessel_j0")
def bessel_j0(x: Any) -> Any:
    """The Bessel function of the first kind of order 0; gradient ``-bessel_j1``."""
    return apply(BESSEL_J0, x)


@exported("unary_function", namespace="special", name="bessel_j1")
def bessel_j1(x: Any) -> Any:
    """The Bessel function of the first kind of order 1."""
    return apply(BESSEL_J1, x)


@exported("unary_function", namespace="special", name="bessel_y0")
def bessel_y0(x: Any) -> Any:
    """The Bessel function of the second kind of order 0 (NaN for x < 0)."""
    return apply(BESSEL_Y0, x)


@exported("unary_function", namespace="special", name="bessel_y1")
def bessel_y1(x: Any) -> Any:
    """The Bessel function of the second kind of order 1 (NaN for x < 0)."""
    return apply(BESSEL_Y1, x)


@exported("unary_function", namespace="special", name="modified_bessel_k0")
def modified_bessel_k0(x: Any) -> Any:
    """The modified Bessel function of the second kind of order 0 (NaN for x < 0)."""
    return apply(MODIFIED_BESSEL_K0, x)


@exported("unary_function", namespace="special", name="modified_bessel_k1")
def modified_bessel_k1(x: Any) -> Any:
    """The modified Bessel function of the second kind of order 1 (NaN for x < 0)."""
    return apply(MODIFIED_BESSEL_K1, x)


@exported("unary_function", namespace="special", name="scaled_modified_bessel_k0")
def scaled_modified_bessel_k0(x: Any) -> Any:
    """``exp(x) * modified_bessel_k0(x)``."""
    return apply(SCALED_MODIFIED_BESSEL_K0, x)


@exported("unary_function", namespace="special", name="scaled_modified_bessel_k1")
def scaled_modified_bessel_k1(x: Any) -> Any:
    """``exp(x) * modified_bessel_k1(x)``."""
    return apply(SCALED_MODIFIED_BESSEL_K1, x)


@exported("unary_function", namespace="special", name="spherical_bessel_j0")
def spherical_bessel_j0(x: Any) -> Any:
    """The spherical Bessel function of the first kind of order 0, ``sin(x) / x`` (1 at 0)."""
    return apply(SPHERICAL_BESSEL_J0, x)


@exported("unary_function", namespace="special", name="airy_ai")
def airy_ai(x: Any) -> Any:
    """The Airy function ``Ai``; gradient ``Ai'`` (whose own is ``x Ai``)."""
    return apply(AIRY_AI, x)


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


def _polynomial_function(prim: Primitive, doc: str) -> Callable[[Any, Any], Any]:
    """The public function of a polynomial primitive: ``(x, n)``, ``n`` truncated to an int."""

    def polynomial(x: Any, n: Any) -> Any:
        return apply(prim, x, n)

    polynomial.__name__ = polynomial.__qualname__ = prim.name
    polynomial.__doc__ = (f"{doc} of degree ``n`` (a number or a tensor, truncated to an "
                          "integer; 0 for n < 0), as PyTorch computes it. Not differentiable.")
    return polynomial


chebyshev_polynomial_t = _polynomial_function(
    CHEBYSHEV_POLYNOMIAL_T, "The Chebyshev polynomial of the first kind ``T_n(x)``")
chebyshev_polynomial_u = _polynomial_function(
    CHEBYSHEV_POLYNOMIAL_U, "The Chebyshev polynomial of the second kind ``U_n(x)``")
chebyshev_polynomial_v = _polynomial_function(
    CHEBYSHEV_POLYNOMIAL_V, "The Chebyshev polynomial of the third kind ``V_n(x)``")
chebyshev_polynomial_w = _polynomial_function(
    CHEBYSHEV_POLYNOMIAL_W, "The Chebyshev polynomial of the fourth kind ``W_n(x)``")
shifted_chebyshev_polynomial_t = _polynomial_function(
    SHIFTED_CHEBYSHEV_POLYNOMIAL_T, "The shifted Chebyshev polynomial ``T_n(2x - 1)``")
shifted_chebyshev_polynomial_u = _polynomial_function(
    SHIFTED_CHEBYSHEV_POLYNOMIAL_U, "The shifted Chebyshev polynomial ``U_n(2x - 1)``")
shifted_chebyshev_polynomial_v = _polynomial_function(
    SHIFTED_CHEBYSHEV_POLYNOMIAL_V, "The shifted Chebyshev polynomial ``V_n(2x - 1)``")
shifted_chebyshev_polynomial_w = _polynomial_function(
    SHIFTED_CHEBYSHEV_POLYNOMIAL_W, "The shifted Chebyshev polynomial ``W_n(2x - 1)``")
hermite_polynomial_h = _polynomial_function(
    HERMITE_POLYNOMIAL_H, "The physicists' Hermite polynomial ``H_n(x)`` (NaN above degree "
    "512 in float64, 128 in float32)")
hermite_polynomial_he = _polynomial_function(
    HERMITE_POLYNOMIAL_HE, "The probabilists' Hermite polynomial ``He_n(x)`` (NaN above "
    "degree 512 in float64, 128 in float32)")
laguerre_polynomial_l = _polynomial_function(
    LAGUERRE_POLYNOMIAL_L, "The Laguerre polynomial ``L_n(x)``")
legendre_polynomial_p = _polynomial_function(
    LEGENDRE_POLYNOMIAL_P, "The Legendre polynomial ``P_n(x)``")
for _function in (chebyshev_polynomial_t, chebyshev_polynomial_u, chebyshev_polynomial_v,
                  chebyshev_polynomial_w, shifted_chebyshev_polynomial_t,
                  shifted_chebyshev_polynomial_u, shifted_chebyshev_polynomial_v,
                  shifted_chebyshev_polynomial_w, hermite_polynomial_h, hermite_polynomial_he,
                  laguerre_polynomial_l, legendre_polynomial_p):
    exported("binary_function", namespace="special")(_function)


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
