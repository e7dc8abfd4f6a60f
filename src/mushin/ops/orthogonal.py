"""Orthogonal factorisations: QR (``qr``, ``linalg.qr``), the SVD (``svd``, ``linalg.svd``,
``svdvals``) and the symmetric eigendecomposition (``eigh``, ``eigvalsh``), each one packed
primitive (``_linalg_common.pack``) beside its gradient (PyTorch's formulas).
"""

from __future__ import annotations

import builtins
import math
from typing import Any, NamedTuple

from mushin._backend import namespace_of
from mushin._check import operation_name
from mushin._graph import Primitive
from mushin._surface import exported, method
from mushin._tensor import apply
from mushin.ops._linalg_common import (
    apply_mT,
    check_bool,
    check_matrix,
    check_square,
    diag,
    embed,
    mT,
    pack,
    run,
    unpack,
    unpack_vjp,
    xp_of,
)
from mushin.ops.elementwise import MUL
from mushin.ops.shape import RESHAPE
from mushin.ops.slicing import GETITEM

# --- QR ------------------------------------------------------------------------------------------


def _qr_shapes(m: int, n: int, mode: str) -> list[tuple[int, ...]]:
    k = builtins.min(m, n)
    if mode == "complete":
        return [(m, m), (m, n)]
    if mode == "r":
        return [(k, n)]
    return [(m, k), (k, n)]


def _qr_forward(xp: Any, a: Any, mode: str) -> Any:
    m, n = a.shape[-2:]
    batch = a.shape[:-2]
    if 0 in a.shape:
        shapes = _qr_shapes(m, n, mode)
        if mode == "complete":
            eye = xp.broadcast_to(xp.eye(m, dtype=a.dtype), (*batch, m, m))
            return pack(xp, batch, eye, xp.zeros((*batch, m, n), dtype=a.dtype))
        return pack(xp, batch, *(xp.zeros(batch + shape, dtype=a.dtype) for shape in shapes))
    if mode == "r":
        return pack(xp, batch, xp.linalg.qr(a, mode="r"))
    q, r = xp.linalg.qr(a, mode=mode)
    return pack(xp, batch, q, r)


def _copyltu(F: Any, x: Any) -> Any:
    """The symmetric matrix whose lower triangle is ``x``'s."""
    lower = F.linalg_tril(x, k=-1)
    return lower + mT(F, lower) + embed(F, diag(F, x))


def _qr_square_deep(F: Any, q: Any, r: Any, grad_q: Any, grad_r: Any) -> Any:
    # gA = (gQ + Q copyltu(M)) R^-T, M = R gR^T - gQ^T Q (m >= n).
    product = F.matmul(r, mT(F, grad_r)) - F.matmul(mT(F, grad_q), q)
    left = grad_q + F.matmul(q, _copyltu(F, product))
    return F.linalg_solve_triangular(mT(F, r), left, upper=False, left=False,
                                     unitriangular=False)


def _qr_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, mode: str) -> tuple[Any]:
    a = inputs[0]
    shape = tuple(F.unwrap(a).shape)
    m, n = shape[-2:]
    batch = shape[:-2]
    if mode == "r" or (mode == "complete" and m > n):
        raise RuntimeError("linalg.qr: the gradient is not defined for mode='r', nor for "
                           "mode='complete' with more rows than columns (as in PyTorch)")
    shapes = _qr_shapes(m, n, mode)
    grad_q, grad_r = unpack_vjp(F, g, batch, shapes)
    q, r = unpack_vjp(F, out, batch, shapes)
    if m >= n:
        return (_qr_square_deep(F, q, r, grad_q, grad_r),)
    ndim = len(shape)
    head = (Ellipsis, slice(None), slice(0, m))
    tail = (Ellipsis, slice(None), slice(m, None))
    y = F.getitem(a, index=tail)
    u = F.getitem(r, index=head)
    grad_v = F.getitem(grad_r, index=tail)
    grad_u = F.getitem(grad_r, index=head)
    grad_y = F.matmul(q, grad_v)
    grad_x = _qr_square_deep(F, q, u, grad_q + F.matmul(y, mT(F, grad_v)), grad_u)
    return (F.concat(grad_x, grad_y, axis=ndim - 1, sizes=(m, n - m)),)


QR = Primitive("linalg_qr", _qr_forward, _qr_vjp, saves="both")


# --- SVD -----------------------------------------------------------------------------------------

def _svd_shapes(m: int, n: int, full: bool) -> list[tuple[int, ...]]:
    k = builtins.min(m, n)
    if full:
        return [(m, m), (k,), (n, n)]
    return [(m, k), (k,), (k, n)]


def _svd_forward(xp: Any, a: Any, full_matrices: bool) -> Any:
    m, n = a.shape[-2:]
    batch = a.shape[:-2]
    if 0 in a.shape:
        parts: list[Any] = []
        for shape in _svd_shapes(m, n, full_matrices):
            if len(shape) == 2 and shape[0] == shape[1]:
                parts.append(xp.broadcast_to(xp.eye(shape[0], dtype=a.dtype), batch + shape))
            else:
                parts.append(xp.zeros(batch + shape, dtype=a.dtype))
        return pack(xp, batch, *parts)
    u, s, vh = xp.linalg.svd(a, full_matrices=full_matrices)
    return pack(xp, batch, u, s, vh)


def _is_zero(F: Any, value: Any) -> bool:
    """Whether a VJP value is all zeros (read on the array: a result that was not used)."""
    array = F.unwrap(value)
    return not bool(namespace_of(array).any(array != 0))


def _svd_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any,
             full_matrices: bool) -> tuple[Any]:
    shape = tuple(F.unwrap(inputs[0]).shape)
    m, n = shape[-2:]
    k = builtins.min(m, n)
    batch = shape[:-2]
    shapes = _svd_shapes(m, n, full_matrices)
    grad_u, grad_s, grad_vh = unpack_vjp(F, g, batch, shapes)
    u, s, vh = unpack_vjp(F, out, batch, shapes)
    if full_matrices:  # only the first k singular vectors take part (as in PyTorch)
        u = F.getitem(u, index=(Ellipsis, slice(None), slice(0, k)))
        grad_u = F.getitem(grad_u, index=(Ellipsis, slice(None), slice(0, k)))
        vh = F.getitem(vh, index=(Ellipsis, slice(0, k), slice(None)))
        grad_vh = F.getitem(grad_vh, index=(Ellipsis, slice(0, k), slice(None)))
    s_row = F.reshape(s, shape=(*batch, 1, k))
    s_col = F.reshape(s, shape=(*batch, k, 1))
    use_u = not _is_zero(F, grad_u)
    use_v = not _is_zero(F, grad_vh)
    if not use_u and not use_v:
        return (F.matmul(u * F.reshape(grad_s, shape=(*batch, 1, k)), vh),)
    xp = xp_of(F, s)
    v = mT(F, vh)
    grad_v = mT(F, grad_vh)
    squares = s * s
    eye = xp.eye(k, dtype=F.unwrap(s).dtype)
    gaps = (F.reshape(squares, shape=(*batch, 1, k)) - F.reshape(squares, shape=(*batch, k, 1))
            ) + eye  # E_jk = s_k^2 - s_j^2, 1 on the diagonal
    inner: Any = 0.0
    if use_u:
        product = F.matmul(mT(F, u), grad_u)
        inner = (product - mT(F, product)) * s_row
    if use_v:
        product = F.matmul(vh, grad_v)
        inner = inner + s_col * (product - mT(F, product))
    grad = inner / gaps + embed(F, grad_s)
    if m > n and use_u:
        grad = F.matmul(u, grad)
        scaled = grad_u / s_row
        grad = grad + scaled - F.matmul(u, F.matmul(mT(F, u), scaled))
        return (F.matmul(grad, vh),)
    if m < n and use_v:
        grad = F.matmul(grad, vh)
        scaled = grad_vh / s_col
        grad = grad + scaled - F.matmul(F.matmul(scaled, v), vh)
        return (F.matmul(u, grad),)
    return (F.matmul(u, F.matmul(grad, vh)),)


SVD = Primitive("linalg_svd", _svd_forward, _svd_vjp, saves="both")


# --- eigh ----------------------------------------------------------------------------------------

def _eigh_forward(xp: Any, a: Any, uplo: str) -> Any:
    n = a.shape[-1]
    batch = a.shape[:-2]
    if n == 0 or 0 in batch:
        return pack(xp, batch, xp.zeros((*batch, n), dtype=a.dtype),
                    xp.zeros((*batch, n, n), dtype=a.dtype))
    values, vectors = xp.linalg.eigh(a, UPLO=uplo)
    return pack(xp, batch, values, vectors)


def _eigh_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, uplo: str) -> tuple[Any]:
    shape = tuple(F.unwrap(inputs[0]).shape)
    n = shape[-1]
    batch = shape[:-2]
    shapes = [(n,), (n, n)]
    grad_values, grad_vectors = unpack_vjp(F, g, batch, shapes)
    values, vectors = unpack_vjp(F, out, batch, shapes)
    if _is_zero(F, grad_vectors):
        return (F.matmul(vectors * F.reshape(grad_values, shape=(*batch, 1, n)),
                         mT(F, vectors)),)
    xp = xp_of(F, values)
    product = F.matmul(mT(F, vectors), grad_vectors)
    skew = 0.5 * (product - mT(F, product))
    gaps = (F.reshape(values, shape=(*batch, 1, n)) - F.reshape(values, shape=(*batch, n, 1))
            ) + xp.eye(n, dtype=F.unwrap(values).dtype)
    grad = skew / gaps + embed(F, grad_values)
    return (F.matmul(vectors, F.matmul(grad, mT(F, vectors))),)


EIGH = Primitive("linalg_eigh", _eigh_forward, _eigh_vjp, saves="both")


# --- named results -------------------------------------------------------------------------------

class QRResult(NamedTuple):
    """``qr``'s result: ``Q`` (orthonormal columns) and ``R`` (upper triangular)."""

    Q: Any
    R: Any


class SVDResult(NamedTuple):
    """``linalg.svd``'s result: ``A = U diag(S) Vh``."""

    U: Any
    S: Any
    Vh: Any


class TorchSVDResult(NamedTuple):
    """``svd``'s result (the older ``torch.svd``): ``A = U diag(S) V^T``."""

    U: Any
    S: Any
    V: Any


class EighResult(NamedTuple):
    """``eigh``'s result: ascending eigenvalues and the eigenvectors as columns."""

    eigenvalues: Any
    eigenvectors: Any


# --- QR, SVD, eigh (public) ----------------------------------------------------------------------

@exported("split_function")
@method("qr", typing="split_method")
def qr(input: Any, some: bool = True) -> QRResult:
    """``torch.qr``: ``(Q, R)``, reduced (``some=True``) or complete."""
    check_matrix("qr", input)
    return linalg_qr(input, "reduced" if some else "complete")


@exported("split_function", namespace="linalg", name="qr")
def linalg_qr(A: Any, mode: str = "reduced") -> QRResult:
    """``(Q, R)`` with ``A = Q R``: ``mode`` ``'reduced'`` (``Q`` is ``m x k``),
    ``'complete'`` (``m x m``) or ``'r'`` (``Q`` empty, not differentiable)."""
    shape = check_matrix("linalg.qr", A)
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"linalg.qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    m, n = shape[-2:]
    batch = shape[:-2]
    packed = apply(QR, A, mode=mode)
    parts = unpack(packed, batch, _qr_shapes(m, n, mode))
    if mode == "r":
        empty = apply(RESHAPE, apply(GETITEM, packed, index=(Ellipsis, slice(0, 0))),
                      shape=(math.prod(batch) * 0,)) if batch else apply(
            GETITEM, packed, index=(Ellipsis, slice(0, 0)))
        return QRResult(empty, parts[0])
    return QRResult(parts[0], parts[1])


@exported("split_function", namespace="linalg", name="svd")
def linalg_svd(A: Any, full_matrices: bool = True, *, driver: Any = None) -> SVDResult:
    """``(U, S, Vh)`` with ``A = U diag(S) Vh``, singular values descending. The gradient is
    PyTorch's; with ``full_matrices`` only the first ``min(m, n)`` vectors take part."""
    shape = check_matrix("linalg.svd", A)
    if driver is not None:
        raise ValueError(f"linalg.svd: driver= is only for CUDA in PyTorch, got {driver!r}")
    check_bool("linalg.svd", "full_matrices", full_matrices)
    m, n = shape[-2:]
    batch = shape[:-2]
    packed = run("linalg.svd", SVD, A, full_matrices=bool(full_matrices))
    u, s, vh = unpack(packed, batch, _svd_shapes(m, n, bool(full_matrices)))
    return SVDResult(u, s, vh)


@exported("split_function")
@method("svd", typing="split_method")
def svd(input: Any, some: bool = True, compute_uv: bool = True) -> TorchSVDResult:
    """``torch.svd``: ``(U, S, V)`` with ``A = U diag(S) V^T`` (``some=False``: full ``U`` and
    ``V``; ``compute_uv=False``: ``U`` and ``V`` are zeros)."""
    shape = check_matrix("svd", input)
    m, n = shape[-2:]
    batch = shape[:-2]
    full = not some
    packed = apply(SVD, input, full_matrices=full)
    u, s, vh = unpack(packed, batch, _svd_shapes(m, n, full))
    if not compute_uv:
        return TorchSVDResult(apply(MUL, u, 0.0), s, apply(MUL, apply_mT(vh), 0.0))
    return TorchSVDResult(u, s, apply_mT(vh))


@exported("runtime_shape_function", namespace="linalg", name="svdvals")
def svdvals(A: Any, *, driver: Any = None) -> Any:
    """The singular values, descending (``[*, m, n] -> [*, min(m, n)]``); gradient
    ``U diag(g) Vh``."""
    shape = check_matrix("linalg.svdvals", A)
    m, n = shape[-2:]
    batch = shape[:-2]
    packed = apply(SVD, A, full_matrices=False)
    return unpack(packed, batch, _svd_shapes(m, n, False))[1]


def _uplo(name: str, uplo: Any) -> str:
    if uplo not in ("L", "U"):
        raise ValueError(f"{operation_name(name)}: UPLO must be 'L' or 'U', got {uplo!r}")
    return str(uplo)


@exported("split_function", namespace="linalg", name="eigh")
def eigh(A: Any, UPLO: str = "L") -> EighResult:
    """``(eigenvalues, eigenvectors)`` of each symmetric matrix (only the ``UPLO`` triangle is
    read), eigenvalues ascending. The gradient is PyTorch's (not symmetrised)."""
    shape = check_square("linalg.eigh", A)
    n = shape[-1]
    batch = shape[:-2]
    packed = run("linalg.eigh", EIGH, A, uplo=_uplo("linalg.eigh", UPLO))
    values, vectors = unpack(packed, batch, [(n,), (n, n)])
    return EighResult(values, vectors)


@exported("runtime_shape_function", namespace="linalg", name="eigvalsh")
def eigvalsh(A: Any, UPLO: str = "L") -> Any:
    """The eigenvalues (ascending) of each symmetric matrix; gradient ``V diag(g) V^T``."""
    shape = check_square("linalg.eigvalsh", A)
    n = shape[-1]
    batch = shape[:-2]
    packed = apply(EIGH, A, uplo=_uplo("linalg.eigvalsh", UPLO))
    return unpack(packed, batch, [(n,), (n, n)])[0]
