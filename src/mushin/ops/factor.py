"""Triangular factorisations and determinants: LU (``lu_factor``, ``lu``, ``lu_solve``),
Cholesky (``linalg.cholesky``, ``cholesky``, ``cholesky_ex``) and the determinants (``det``,
``slogdet``, ``logdet``), each primitive beside its gradient (PyTorch's formulas; SciPy's ``lu``
one matrix at a time). ``lu`` is a packed primitive (``_linalg_common.pack``). The solves
with a Cholesky factor are in ``solve.py``; QR, SVD and ``eigh`` in ``orthogonal.py``.
"""

from __future__ import annotations

import builtins
from typing import Any, NamedTuple

import numpy as np

from mushin._backend import namespace_of
from mushin._graph import Primitive
from mushin._surface import exported, method
from mushin._tensor import apply, unwrap
from mushin.errors import ShapeError
from mushin.ops._linalg_common import (
    INFO,
    TRIL,
    TRIU,
    apply_mm,
    apply_mT,
    batched,
    check_bool,
    check_info,
    check_matrix,
    check_square,
    diag,
    embed,
    mT,
    nan_like,
    pack,
    run,
    scipy_linalg_of,
    unpack,
    unpack_vjp,
    xp_of,
)
from mushin.ops.elementwise import ADD
from mushin.ops.solve import SOLVE_TRIANGULAR

# --- determinants --------------------------------------------------------------------------------


def _det_forward(xp: Any, a: Any) -> Any:
    if a.shape[-1] == 0:
        return xp.ones(a.shape[:-2], dtype=a.dtype)
    return xp.asarray(xp.linalg.det(a), dtype=a.dtype)


def _cofactor_forward(xp: Any, a: Any) -> Any:
    """The cofactor matrix ``det(A) A^-T``, exact for singular ``A`` too (through the SVD:
    ``det(U) det(V) U diag(prod_{j != i} s_j) V^T``)."""
    n = a.shape[-1]
    if n == 0 or 0 in a.shape[:-2]:
        return xp.zeros(a.shape, dtype=a.dtype)
    u, s, vh = xp.linalg.svd(a)
    ones = xp.ones((*s.shape[:-1], 1), dtype=s.dtype)
    before = xp.cumprod(xp.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)
    after = xp.flip(xp.cumprod(xp.concatenate([ones, xp.flip(s, -1)[..., :-1]], axis=-1),
                               axis=-1), -1)
    others = before * after
    sign = xp.linalg.det(u) * xp.linalg.det(vh)
    return ((u * others[..., None, :]) @ vh * sign[..., None, None]).astype(a.dtype)


def _cofactor_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any]:
    # d cof = det (tr(A^-1 dA) A^-T - A^-T dA^T A^-T) for an invertible A.
    a = inputs[0]
    det = F.linalg_det(a)
    inverse_t = mT(F, F.linalg_inv(a))
    inner = F.sum(g * inverse_t, axis=(len(F.unwrap(a).shape) - 2, len(F.unwrap(a).shape) - 1),
                  keepdims=True)
    expanded = F.reshape(det, shape=(*tuple(F.unwrap(det).shape), 1, 1))
    return (expanded * (inner * inverse_t - F.matmul(inverse_t, F.matmul(mT(F, g),
                                                                          inverse_t))),)


COFACTOR = Primitive("linalg_cofactor", _cofactor_forward, _cofactor_vjp)


def _det_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any]:
    shape = (*tuple(F.unwrap(g).shape), 1, 1)
    return (F.reshape(g, shape=shape) * F.linalg_cofactor(inputs[0]),)


DET = Primitive("linalg_det", _det_forward, _det_vjp)


def _slogdet_parts(xp: Any, a: Any) -> tuple[Any, Any]:
    if a.shape[-1] == 0:
        return xp.ones(a.shape[:-2], dtype=a.dtype), xp.zeros(a.shape[:-2], dtype=a.dtype)
    sign, logabsdet = xp.linalg.slogdet(a)
    return xp.asarray(sign, dtype=a.dtype), xp.asarray(logabsdet, dtype=a.dtype)


def _logabsdet_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any]:
    shape = (*tuple(F.unwrap(g).shape), 1, 1)
    return (F.reshape(g, shape=shape) * mT(F, F.linalg_inv(inputs[0])),)


LOGABSDET = Primitive("linalg_logabsdet", lambda xp, a: _slogdet_parts(xp, a)[1],
                      _logabsdet_vjp)
DET_SIGN = Primitive("linalg_det_sign", lambda xp, a: _slogdet_parts(xp, a)[0], None)


# --- Cholesky ------------------------------------------------------------------------------------

def _cholesky_forward(xp: Any, a: Any) -> Any:
    if a.shape[-1] == 0 or 0 in a.shape[:-2]:
        return xp.zeros(a.shape, dtype=a.dtype)
    try:
        return xp.linalg.cholesky(a)
    except np.linalg.LinAlgError as error:
        raise ValueError(f"linalg.cholesky: the input is not positive-definite ({error})") \
            from None


def _phi(F: Any, x: Any) -> Any:
    """The lower triangle of ``x`` with its diagonal halved."""
    return F.linalg_tril(x, k=-1) + 0.5 * embed(F, diag(F, x))


def _cholesky_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any]:
    # gA = sym(L^-T phi(L^T gL) L^-1), sym(X) = (X + X^T) / 2.
    lower = out
    phi = _phi(F, F.matmul(mT(F, lower), g))
    right = F.linalg_solve_triangular(lower, phi, upper=False, left=False, unitriangular=False)
    grad = F.linalg_solve_triangular(mT(F, lower), right, upper=True, left=True,
                                     unitriangular=False)
    return (0.5 * (grad + mT(F, grad)),)


CHOLESKY = Primitive("linalg_cholesky", _cholesky_forward, _cholesky_vjp, saves="output")


# --- LU ------------------------------------------------------------------------------------------

def _lu_of(scipy_linalg: Any) -> Any:
    """SciPy's ``lu`` of one matrix: ``(P, L, U)``."""

    def factor(matrix: Any) -> Any:
        return scipy_linalg.lu(matrix, check_finite=False)

    return factor


def _lu_shapes(m: int, n: int) -> list[tuple[int, ...]]:
    k = builtins.min(m, n)
    return [(m, m), (m, k), (k, n)]


def _lu_forward(xp: Any, a: Any, pivot: bool) -> Any:
    m, n = a.shape[-2:]
    batch = a.shape[:-2]
    if not pivot:
        raise ValueError("linalg.lu: pivot=False is not supported on the CPU (as in PyTorch)")
    scipy_linalg = scipy_linalg_of(xp)
    shapes = _lu_shapes(m, n)
    parts = batched(xp, _lu_of(scipy_linalg), shapes,
                    [a.dtype] * 3, a)
    if 0 in a.shape:
        parts[0] = xp.broadcast_to(xp.eye(m, dtype=a.dtype), (*batch, m, m))
    return pack(xp, batch, *parts)


def _lu_grad(F: Any, p: Any, lower: Any, upper: Any, grad_l: Any, grad_u: Any, m: int,
             n: int) -> Any:
    """PyTorch's gradient of ``A = P L U`` (square, wide and tall cases)."""
    k = builtins.min(m, n)
    ndim = len(F.unwrap(lower).shape)
    if m == n:
        grad = F.linalg_tril(F.matmul(mT(F, lower), grad_l), k=-1) + F.linalg_triu(
            F.matmul(grad_u, mT(F, upper)), k=0)
        grad = F.linalg_solve_triangular(mT(F, upper), grad, upper=False, left=False,
                                         unitriangular=False)
        grad = F.linalg_solve_triangular(mT(F, lower), grad, upper=True, left=True,
                                         unitriangular=True)
        return F.matmul(p, grad)
    if m < n:
        upper1 = F.getitem(upper, index=(Ellipsis, slice(None), slice(0, k)))
        grad_u1 = F.getitem(grad_u, index=(Ellipsis, slice(None), slice(0, k)))
        grad_u2 = F.getitem(grad_u, index=(Ellipsis, slice(None), slice(k, None)))
        grad = F.matmul(mT(F, lower), grad_l) - F.matmul(F.linalg_triu(grad_u, k=0),
                                                         mT(F, upper))
        grad = F.linalg_solve_triangular(mT(F, upper1), F.linalg_tril(grad, k=-1), upper=False,
                                         left=False, unitriangular=False)
        grad = F.concat(grad + F.linalg_triu(grad_u1, k=0), grad_u2, axis=ndim - 1,
                        sizes=(k, n - k))
        grad = F.linalg_solve_triangular(mT(F, lower), grad, upper=True, left=True,
                                         unitriangular=True)
        return F.matmul(p, grad)
    lower1 = F.getitem(lower, index=(Ellipsis, slice(0, k), slice(None)))
    grad_l1 = F.getitem(grad_l, index=(Ellipsis, slice(0, k), slice(None)))
    grad_l2 = F.getitem(grad_l, index=(Ellipsis, slice(k, None), slice(None)))
    grad = F.matmul(grad_u, mT(F, upper)) - F.matmul(mT(F, lower), F.linalg_tril(grad_l, k=-1))
    grad = F.linalg_solve_triangular(mT(F, lower1), F.linalg_triu(grad, k=0), upper=True,
                                     left=True, unitriangular=True)
    grad = F.concat(grad + F.linalg_tril(grad_l1, k=-1), grad_l2, axis=ndim - 2,
                    sizes=(k, m - k))
    grad = F.linalg_solve_triangular(mT(F, upper), grad, upper=False, left=False,
                                     unitriangular=False)
    return F.matmul(p, grad)


def _lu_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, pivot: bool) -> tuple[Any]:
    shape = tuple(F.unwrap(inputs[0]).shape)
    m, n = shape[-2:]
    batch = shape[:-2]
    shapes = _lu_shapes(m, n)
    _, grad_l, grad_u = unpack_vjp(F, g, batch, shapes)
    p, lower, upper = unpack_vjp(F, out, batch, shapes)
    return (_lu_grad(F, F.unwrap(p), lower, upper, grad_l, grad_u, m, n),)


LU = Primitive("linalg_lu", _lu_forward, _lu_vjp, saves="both")


def _lu_factor_forward(xp: Any, a: Any) -> Any:
    """The packed ``LU`` (``L`` below the diagonal, unit diagonal implied, ``U`` on and above)."""
    m, n = a.shape[-2:]
    batch = a.shape[:-2]
    scipy_linalg = scipy_linalg_of(xp)
    _p, lower, upper = batched(xp, _lu_of(scipy_linalg),
                               _lu_shapes(m, n), [a.dtype] * 3, a)
    k = builtins.min(m, n)
    packed = xp.zeros((*batch, m, n), dtype=a.dtype)
    packed[..., :, :k] += xp.tril(lower, -1)
    packed[..., :k, :] += xp.triu(upper)
    return packed


def _lu_factor_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any]:
    a = inputs[0]
    shape = tuple(F.unwrap(a).shape)
    m, n = shape[-2:]
    k = builtins.min(m, n)
    xp = xp_of(F, a)
    # L and U as differentiable slices of the packed output (for a recorded backward), P
    # recomputed (the factorisation is deterministic).
    eye = xp.eye(m, k, dtype=F.unwrap(out).dtype)
    lower = F.getitem(F.linalg_tril(out, k=-1), index=(Ellipsis, slice(None), slice(0, k))) + eye
    upper = F.getitem(F.linalg_triu(out, k=0), index=(Ellipsis, slice(0, k), slice(None)))
    scipy_linalg = scipy_linalg_of(xp)
    array = F.unwrap(a)
    p = batched(xp, _lu_of(scipy_linalg),
                _lu_shapes(m, n), [array.dtype] * 3, array)[0]
    grad_l = F.getitem(F.linalg_tril(g, k=-1), index=(Ellipsis, slice(None), slice(0, k)))
    grad_u = F.getitem(F.linalg_triu(g, k=0), index=(Ellipsis, slice(0, k), slice(None)))
    return (_lu_grad(F, p, lower, upper, grad_l, grad_u, m, n),)


LU_FACTOR = Primitive("linalg_lu_factor", _lu_factor_forward, _lu_factor_vjp, saves="both")


def _pivots_forward(xp: Any, a: Any) -> Any:
    m, n = a.shape[-2:]
    k = builtins.min(m, n)
    scipy_linalg = scipy_linalg_of(xp)

    def pivots(matrix: Any) -> tuple[Any]:
        return (scipy_linalg.lu_factor(matrix, check_finite=False)[1][:k] + 1,)

    return _pivots_batched(xp, a, pivots, k)


def _pivots_batched(xp: Any, a: Any, pivots: Any, k: int) -> Any:
    batch = a.shape[:-2]
    result = xp.zeros((*batch, k), dtype=np.int32)
    if 0 in a.shape:
        result[...] = xp.arange(1, k + 1, dtype=np.int32)
        return result
    for index in np.ndindex(*batch):
        result[index] = pivots(a[index])[0]
    return result


PIVOTS = Primitive("linalg_lu_pivots", _pivots_forward, None)


def _permutation_forward(xp: Any, pivots: Any, m: int, dtype: Any) -> Any:
    """The permutation matrix ``P`` (``A = P L U``) of LAPACK's 1-based row swaps."""
    batch = pivots.shape[:-1]
    host = np.asarray(pivots.get() if hasattr(pivots, "get") else pivots)
    result = np.zeros((*batch, m, m), dtype=dtype)
    for index in np.ndindex(*batch):
        order = list(range(m))
        for row, swap in enumerate(host[index]):
            other = int(swap) - 1
            order[row], order[other] = order[other], order[row]
        result[(*index, order, list(range(m)))] = 1  # row order[i] of A is row i of P^T A
    return xp.asarray(result)


PERMUTATION = Primitive("linalg_lu_permutation", _permutation_forward, None)


# --- named results -------------------------------------------------------------------------------

class SlogdetResult(NamedTuple):
    """``slogdet``'s result: the sign of the determinant and the log of its magnitude."""

    sign: Any
    logabsdet: Any


class CholeskyExResult(NamedTuple):
    """``cholesky_ex``'s result: the factor, and ``info`` (0 where it exists)."""

    L: Any
    info: Any


class LUFactorResult(NamedTuple):
    """``lu_factor``'s result: the packed ``LU`` and LAPACK's 1-based ``pivots`` (int32)."""

    LU: Any
    pivots: Any


class LUResult(NamedTuple):
    """``lu``'s result: ``A = P L U``."""

    P: Any
    L: Any
    U: Any


# --- determinants (public) -----------------------------------------------------------------------

@exported("runtime_shape_function", namespace="linalg", name="det")
@exported("runtime_shape_function")
@method("det", typing="runtime_shape_method")
def det(A: Any) -> Any:
    """The determinant of each square matrix of ``A`` (``[*, n, n] -> [*]``); its gradient is
    the cofactor matrix, exact for singular matrices too."""
    check_square("linalg.det", A)
    return apply(DET, A)


@exported("split_function", namespace="linalg", name="slogdet")
@exported("split_function")
@method("slogdet", typing="split_method")
def slogdet(A: Any) -> SlogdetResult:
    """``(sign, logabsdet)`` of the determinant; the gradient flows through ``logabsdet``
    (``A^-T``), ``sign`` is not differentiated."""
    check_square("linalg.slogdet", A)
    return SlogdetResult(apply(DET_SIGN, A), apply(LOGABSDET, A))


@exported("runtime_shape_function")
@method("logdet", typing="runtime_shape_method")
def logdet(A: Any) -> Any:
    """``log(det(A))``: NaN where the determinant is negative, ``-inf`` where it is 0."""
    check_square("logdet", A)
    sign = apply(DET_SIGN, unwrap(A))
    logabs = apply(LOGABSDET, A)
    xp = namespace_of(unwrap(sign))
    data = unwrap(sign)
    shift = xp.where(data < 0, xp.nan, xp.where(data == 0, -xp.inf, 0)).astype(data.dtype)
    return apply(ADD, logabs, shift)


# --- Cholesky (public) ---------------------------------------------------------------------------

@exported("runtime_shape_function", namespace="linalg", name="cholesky")
def linalg_cholesky(A: Any, *, upper: bool = False) -> Any:
    """The Cholesky factor ``L`` (``A = L L^T``; ``U = L^T`` with ``upper=True``) of each
    symmetric positive-definite matrix (only the lower triangle is read); ``ValueError`` if
    one is not positive-definite."""
    check_square("linalg.cholesky", A)
    check_bool("linalg.cholesky", "upper", upper)
    lower = run("linalg.cholesky", CHOLESKY, A)
    return apply_mT(lower) if upper else lower


@exported("runtime_shape_function")
@method("cholesky", typing="runtime_shape_method")
def cholesky(input: Any, upper: bool = False) -> Any:
    """``torch.cholesky``: the Cholesky factor, lower (upper with ``upper=True``)."""
    check_square("cholesky", input)
    lower = run("cholesky", CHOLESKY, input)
    return apply_mT(lower) if upper else lower


@exported("split_function", namespace="linalg", name="cholesky_ex")
def cholesky_ex(A: Any, *, upper: bool = False,
                check_errors: bool = False) -> CholeskyExResult:
    """``(L, info)``: ``info`` is 0 where the matrix is positive-definite, else the order of
    the leading minor that is not (and ``L`` is NaN there)."""
    check_square("linalg.cholesky_ex", A)
    info = apply(INFO, unwrap(A), kind="cholesky")
    if check_errors:
        check_info("linalg.cholesky_ex", info, "a matrix is not positive-definite")
    if bool(namespace_of(unwrap(info)).any(unwrap(info) != 0)):
        return CholeskyExResult(nan_like(A), info)
    return CholeskyExResult(linalg_cholesky(A, upper=upper), info)


# --- LU (public) ---------------------------------------------------------------------------------

@exported("split_function", namespace="linalg", name="lu_factor")
def lu_factor(A: Any, *, pivot: bool = True) -> LUFactorResult:
    """``(LU, pivots)``: ``L`` (unit diagonal, implied) and ``U`` packed in one matrix, and
    LAPACK's 1-based row swaps (int32 ``Constant``). Differentiable in ``LU``."""
    check_matrix("linalg.lu_factor", A)
    if not pivot:
        raise ValueError("linalg.lu_factor: pivot=False is only supported on CUDA in PyTorch")
    return LUFactorResult(apply(LU_FACTOR, A), apply(PIVOTS, unwrap(A)))


@exported("split_function", namespace="linalg", name="lu")
def lu(A: Any, *, pivot: bool = True) -> LUResult:
    """``(P, L, U)`` with ``A = P L U``: ``P`` a permutation, ``L`` unit lower triangular
    (``m x k``), ``U`` upper triangular (``k x n``). PyTorch's gradient."""
    shape = check_matrix("linalg.lu", A)
    if not pivot:
        raise ValueError("linalg.lu: pivot=False is only supported on CUDA in PyTorch")
    m, n = shape[-2:]
    packed = apply(LU, A, pivot=True)
    p, lower, upper = unpack(packed, shape[:-2], _lu_shapes(m, n))
    return LUResult(p, lower, upper)


@exported("mixed_function", namespace="linalg", name="lu_solve")
def lu_solve(LU: Any, pivots: Any, B: Any, *, left: bool = True,
             adjoint: bool = False) -> Any:
    """The solution of ``A X = B`` from ``lu_factor``'s ``(LU, pivots)`` (``X A = B`` with
    ``left=False``; ``A^T`` with ``adjoint``); differentiable in ``LU`` and ``B``."""
    shape = check_square("linalg.lu_solve", LU)
    b_shape = check_matrix("linalg.lu_solve", B)
    n = shape[-1]
    rows = b_shape[-2] if left else b_shape[-1]
    if rows != n:
        raise ShapeError(f"linalg.lu_solve: LU of shape {shape} and B of shape {b_shape} do not "
                         f"fit ({n} vs {rows})")
    pivot_data = unwrap(pivots)
    if not hasattr(pivot_data, "dtype") or np.dtype(pivot_data.dtype).kind not in "iu":
        raise TypeError("linalg.lu_solve: pivots must be an integer tensor (lu_factor's)")
    p = apply(PERMUTATION, pivot_data, m=n, dtype=np.dtype(unwrap(LU).dtype))
    lower = apply(TRIL, LU, k=-1)
    upper = apply(TRIU, LU, k=0)
    # A = P L U with L's unit diagonal: solves with unitriangular=True ignore L's diagonal.
    if left and not adjoint:  # X = U^-1 L^-1 P^T B
        y = apply_mm(apply_mT(p), B)
        y = apply(SOLVE_TRIANGULAR, lower, y, upper=False, left=True, unitriangular=True)
        return apply(SOLVE_TRIANGULAR, upper, y, upper=True, left=True, unitriangular=False)
    if left:  # A^T X = B: U^T L^T P^T X = B
        y = apply(SOLVE_TRIANGULAR, apply_mT(upper), B, upper=False, left=True, unitriangular=False)
        y = apply(SOLVE_TRIANGULAR, apply_mT(lower), y, upper=True, left=True, unitriangular=True)
        return apply_mm(p, y)
    if not adjoint:  # X P L U = B
        y = apply(SOLVE_TRIANGULAR, upper, B, upper=True, left=False, unitriangular=False)
        y = apply(SOLVE_TRIANGULAR, lower, y, upper=False, left=False, unitriangular=True)
        return apply_mm(y, apply_mT(p))
    # X A^T = B: X U^T L^T P^T = B
    y = apply_mm(B, p)
    y = apply(SOLVE_TRIANGULAR, apply_mT(lower), y, upper=True, left=False, unitriangular=True)
    return apply(SOLVE_TRIANGULAR, apply_mT(upper), y, upper=False, left=False, unitriangular=False)
