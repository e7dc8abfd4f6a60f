"""The pseudo-inverse and what shares its cutoff of the singular values: ``pinv``
(``pinverse``), ``matrix_rank`` and ``lstsq`` (solved through the pseudo-inverse).
"""

from __future__ import annotations

import builtins
import math
from typing import Any, NamedTuple

import numpy as np

from mushin._backend import namespace_of
from mushin._check import broadcast_shape, is_number, operation_name, shape_of
from mushin._graph import Primitive
from mushin._surface import exported, method
from mushin._tensor import Constant, Tensor, apply, unwrap
from mushin.errors import ShapeError
from mushin.ops._linalg_common import (
    apply_mm,
    batch_shapes,
    check_bool,
    check_matrix,
    check_square,
    floating_dtype,
    mT,
)
from mushin.ops.elementwise import ADD, MUL
from mushin.ops.orthogonal import svdvals
from mushin.ops.reduce import SUM
from mushin.ops.shape import RESHAPE
from mushin.ops.slicing import GETITEM

# --- pinv ----------------------------------------------------------------------------------------


def _cutoff(xp: Any, top: Any, atol: Any, rtol: Any) -> Any:
    atol_value = xp.asarray(0.0 if atol is None else atol, dtype=top.dtype)
    rtol_value = xp.asarray(rtol, dtype=top.dtype)
    return xp.maximum(atol_value, rtol_value * top)


def _default_rtol(atol: Any, rtol: Any, m: int, n: int, dtype: Any) -> Any:
    if rtol is not None:
        return rtol
    if atol is not None and not (is_number(atol) and atol <= 0):
        return 0.0
    return float(np.finfo(dtype).eps) * builtins.max(m, n)


def _pinv_forward(xp: Any, a: Any, atol: Any, rtol: Any, hermitian: bool) -> Any:
    m, n = a.shape[-2:]
    if 0 in a.shape:
        return xp.zeros((*a.shape[:-2], n, m), dtype=a.dtype)
    rtol = _default_rtol(atol, rtol, m, n, a.dtype)
    if hermitian:
        values, vectors = xp.linalg.eigh(a)
        magnitude = xp.abs(values)
        top = xp.max(magnitude, axis=-1, keepdims=True)
        keep = magnitude > _cutoff(xp, top, _expand_tol(xp, atol), _expand_tol(xp, rtol))
        inverse = xp.where(keep, 1 / xp.where(keep, values, 1), 0)
        return ((vectors * inverse[..., None, :]) @ xp.swapaxes(vectors, -1, -2)).astype(a.dtype)
    u, s, vh = xp.linalg.svd(a, full_matrices=False)
    top = s[..., :1]
    keep = s > _cutoff(xp, top, _expand_tol(xp, atol), _expand_tol(xp, rtol))
    inverse = xp.where(keep, 1 / xp.where(keep, s, 1), 0)
    return (xp.swapaxes(vh, -1, -2) * inverse[..., None, :]) @ xp.swapaxes(u, -1, -2)


def _expand_tol(xp: Any, tol: Any) -> Any:
    """A tolerance (a number, or an array over the batch) as an array that broadcasts over the
    singular values."""
    if tol is None or is_number(tol):
        return tol
    return xp.asarray(tol)[..., None]


def _pinv_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, atol: Any, rtol: Any,
              hermitian: bool) -> tuple[Any]:
    a = inputs[0]
    shape = tuple(F.unwrap(a).shape)
    m, n = shape[-2:]
    pinv = out
    pinv_t = mT(F, pinv)
    grad_t = mT(F, g)
    if m <= n:
        k = F.matmul(grad_t, pinv)
        k_pinv_t = F.matmul(k, pinv_t)
        return (-mT(F, F.matmul(pinv, k)) + k_pinv_t
                - F.matmul(F.matmul(a, pinv), k_pinv_t)
                + F.matmul(F.matmul(pinv_t, pinv), grad_t - F.matmul(k, a)),)
    k = F.matmul(pinv, grad_t)
    pinv_t_k = F.matmul(pinv_t, k)
    return (-mT(F, F.matmul(k, pinv))
            + F.matmul(F.matmul(grad_t - F.matmul(a, k), pinv), pinv_t)
            + pinv_t_k - F.matmul(F.matmul(pinv_t_k, pinv), a),)


PINV = Primitive("linalg_pinv", _pinv_forward, _pinv_vjp, saves="both")


# --- named results -------------------------------------------------------------------------------

class LstsqResult(NamedTuple):
    """``lstsq``'s result (PyTorch's ``gelsy`` driver: ``residuals`` only for tall full-rank
    systems, ``singular_values`` empty)."""

    solution: Any
    residuals: Any
    rank: Any
    singular_values: Any


# --- pinv, lstsq, rank ---------------------------------------------------------------------------

def _tolerance(name: str, argument: str, value: Any, batch: tuple[int, ...] = ()) -> Any:
    """A tolerance: None, a number, or a tensor that broadcasts over the batch axes."""
    if value is None or is_number(value):
        return value
    if isinstance(value, Tensor) or hasattr(value, "shape"):
        shape = shape_of(value)
        try:
            fits = broadcast_shape(name, shape, batch) == batch
        except ShapeError:
            fits = False
        if not fits:
            raise ShapeError(f"{operation_name(name)}: {argument} of shape {shape} does not "
                             f"broadcast over the batch shape {batch}")
        return unwrap(value)
    raise TypeError(f"{operation_name(name)}: {argument} must be a number or a tensor, got "
                    f"{value!r}")


@exported("runtime_shape_function", namespace="linalg", name="pinv")
def pinv(A: Any, rcond: Any = None, hermitian: bool = False, *,
         atol: Any = None, rtol: Any = None) -> Any:
    """The Moore-Penrose pseudo-inverse (``[*, m, n] -> [*, n, m]``): singular values below
    ``max(atol, rtol * largest)`` are dropped (``rtol`` defaults to ``eps * max(m, n)`` when
    neither is given, else 0; ``rcond`` is the older name of ``rtol``). PyTorch's closed-form
    gradient."""
    batch = check_matrix("linalg.pinv", A)[:-2]
    check_bool("linalg.pinv", "hermitian", hermitian)
    if rcond is not None:
        if rtol is not None:
            raise TypeError("linalg.pinv: give rcond or rtol, not both")
        rtol = rcond
    if hermitian:
        check_square("linalg.pinv", A)
    return apply(PINV, A, atol=_tolerance("linalg.pinv", "atol", atol, batch),
                 rtol=_tolerance("linalg.pinv", "rtol", rtol, batch), hermitian=bool(hermitian))


@exported("runtime_shape_function")
@method("pinverse", typing="runtime_shape_method")
def pinverse(input: Any, rcond: float = 1e-15) -> Any:
    """``torch.pinverse``: the pseudo-inverse, singular values below ``rcond * largest``
    dropped."""
    batch = check_matrix("pinverse", input)[:-2]
    return apply(PINV, input, atol=None, rtol=_tolerance("pinverse", "rcond", rcond, batch),
                 hermitian=False)


def _rank_forward(xp: Any, a: Any, atol: Any, rtol: Any, hermitian: bool) -> Any:
    m, n = a.shape[-2:]
    if 0 in a.shape[-2:]:
        return xp.zeros(a.shape[:-2], dtype=np.int64)
    rtol = _default_rtol(atol, rtol, m, n, a.dtype)
    values = xp.abs(xp.linalg.eigvalsh(a)) if hermitian else xp.linalg.svd(a, compute_uv=False)
    top = xp.max(values, axis=-1, keepdims=True)
    keep = values > _cutoff(xp, top, _expand_tol(xp, atol), _expand_tol(xp, rtol))
    return xp.sum(keep, axis=-1).astype(np.int64)


RANK = Primitive("linalg_matrix_rank", _rank_forward, None)


@exported("index_function", namespace="linalg", name="matrix_rank")
def matrix_rank(A: Any, *, atol: Any = None, rtol: Any = None,
                hermitian: bool = False, tol: Any = None) -> Any:
    """The numerical rank (int64 ``Constant``): the singular values above
    ``max(atol, rtol * largest)`` (``tol`` is the older name of ``atol``)."""
    batch = check_matrix("linalg.matrix_rank", A)[:-2]
    if tol is not None:
        if atol is not None:
            raise TypeError("linalg.matrix_rank: give tol= or atol=, not both")
        atol, rtol = tol, 0.0 if rtol is None else rtol
    return apply(RANK, unwrap(A), atol=_tolerance("linalg.matrix_rank", "atol", atol, batch),
                 rtol=_tolerance("linalg.matrix_rank", "rtol", rtol, batch),
                 hermitian=bool(hermitian))


def _empty_like(x: Any) -> Any:
    """An empty 1-D tensor of ``x``'s kind and dtype (a result PyTorch leaves empty)."""
    flat = apply(RESHAPE, x, shape=(math.prod(shape_of(x)),))
    return apply(GETITEM, flat, index=(slice(0, 0),))


@exported("split_function", namespace="linalg", name="lstsq")
def lstsq(A: Any, B: Any, rcond: Any = None, *, driver: Any = None) -> LstsqResult:
    """The least-squares solution of ``A X = B`` (through the pseudo-inverse, whose gradient
    is PyTorch's for ``lstsq``), with ``residuals`` (tall full-rank systems; empty otherwise),
    ``rank`` and ``singular_values`` (empty but for ``driver='gelsd'``/``'gelss'``)."""
    a_shape = check_matrix("linalg.lstsq", A)
    b_shape = shape_of(B)
    floating_dtype("linalg.lstsq", B)
    if driver not in (None, "gels", "gelsy", "gelsd", "gelss"):
        raise ValueError(f"linalg.lstsq: driver must be 'gels', 'gelsy', 'gelsd' or 'gelss', "
                         f"got {driver!r}")
    if rcond is not None and not is_number(rcond):
        raise TypeError(f"linalg.lstsq: rcond must be a number, got {rcond!r}")
    vector = len(b_shape) == len(a_shape) - 1
    rhs = apply(RESHAPE, B, shape=(*b_shape, 1)) if vector else B
    rhs_shape = shape_of(rhs)
    if len(rhs_shape) < 2 or rhs_shape[-2] != a_shape[-2]:
        raise ShapeError(f"linalg.lstsq: A of shape {a_shape} and B of shape {b_shape} do not "
                         "fit")
    batch_shapes("linalg.lstsq", a_shape[:-2], rhs_shape[:-2], a_shape, b_shape)
    m, n = a_shape[-2:]
    tolerance = rcond if rcond is not None else float(np.finfo(floating_dtype(
        "linalg.lstsq", A)).eps) * builtins.max(m, n)
    solution = apply_mm(apply(PINV, A, atol=None, rtol=tolerance, hermitian=False), rhs)
    rank = apply(RANK, unwrap(A), atol=None, rtol=tolerance, hermitian=False)
    xp = namespace_of(unwrap(rank))
    dtype = floating_dtype("linalg.lstsq", A)
    full_rank = bool(xp.all(unwrap(rank) == builtins.min(m, n)))
    if m > n and full_rank and driver != "gelsy" and driver is not None:
        difference = apply(ADD, apply_mm(A, solution), apply(MUL, rhs, -1.0))
        residuals = apply(SUM, apply(MUL, difference, difference),
                          axis=(len(shape_of(difference)) - 2,), keepdims=False)
        if vector:
            residuals = apply(RESHAPE, residuals, shape=shape_of(residuals)[:-1])
    else:
        residuals = _empty_like(A)
    if driver in ("gelsd", "gelss"):
        singular_values: Any = svdvals(unwrap(A))
    else:
        singular_values = _empty_like(A)
    if driver == "gels":
        rank = Constant(xp.zeros((0,), dtype=np.int64))
    del dtype
    if vector:
        solution = apply(RESHAPE, solution, shape=shape_of(solution)[:-1])
    return LstsqResult(solution, residuals, rank, singular_values)
