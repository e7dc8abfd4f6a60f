"""The error function ``erf``, a primitive of its own (NumPy has none), which ``gelu`` uses.

The portable rule evaluates polynomial fits (below) in float64 to within 2 units in the last
place; on CuPy one kernel calls CUDA's own ``erf`` (forward) or ``exp`` (gradient) instead.
"""

from __future__ import annotations

import math
from typing import Any

from mushin import _backend
from mushin._backend import Array
from mushin._graph import Primitive
from mushin._tensor import apply
from mushin.kernels import cuda

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


def _horner(coefficients: tuple[float, ...], u: Array) -> Array:
    result = u * coefficients[-1] + coefficients[-2]
    for coefficient in coefficients[-3::-1]:
        result = result * u + coefficient
    return result


def _erf_forward(xp: Any, x: Array) -> Array:
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


ERF = Primitive("erf", _erf_forward, _erf_vjp, cuda_forward=_erf_cuda, cuda_vjp=_erf_cuda_vjp)


def erf(x: Any) -> Any:
    """The error function ``2 / sqrt(pi) * integral_0^x exp(-t^2) dt``."""
    return apply(ERF, x)
