"""Inverses and solvers: ``inv`` (``inverse``, ``inv_ex``), ``solve`` (``solve_ex``),
``solve_triangular`` (``triangular_solve``), ``cholesky_solve``, ``cholesky_inverse``,
``tensorinv`` and ``tensorsolve``, each primitive beside its gradient (PyTorch's formulas).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from mushin._backend import namespace_of
from mushin._check import as_sequence, is_int, normalize_axis, operation_name, shape_of
from mushin._graph import Primitive
from mushin._surface import exported, method
from mushin._tensor import Constant, apply, unwrap
from mushin.errors import ShapeError
from mushin.ops._linalg_common import (
    INFO,
    apply_mT,
    batch_of,
    batch_shapes,
    batched,
    check_bool,
    check_info,
    check_matrix,
    check_square,
    floating_dtype,
    mT,
    nan_like,
    run,
    scipy_linalg_of,
)
from mushin.ops.elementwise import MUL, where
from mushin.ops.shape import RESHAPE, TRANSPOSE

# --- solvers -------------------------------------------------------------------------------------


def _solve_forward(xp: Any, a: Any, b: Any) -> Any:
    batch = batch_of(a.shape[:-2], b.shape[:-2])
    a = xp.broadcast_to(a, batch + a.shape[-2:])
    b = xp.broadcast_to(b, batch + b.shape[-2:])
    if a.shape[-1] == 0 or b.shape[-1] == 0 or 0 in batch:
        return xp.zeros(batch + b.shape[-2:], dtype=xp.result_type(a, b))
    try:
        return xp.linalg.solve(a, b)
    except np.linalg.LinAlgError as error:
        raise ValueError(f"{operation_name('linalg.solve')}: the matrix is singular "
                         f"({error})") from None


def _solve_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any, ...]:
    a, _ = inputs
    grad_b = F.linalg_solve(mT(F, a), g)
    grad_a = None if parents[0] is None else -F.matmul(grad_b, mT(F, out))
    return grad_a, grad_b if parents[1] is not None else None


SOLVE = Primitive("linalg_solve", _solve_forward, _solve_vjp, saves="both")


def _triangular_forward(xp: Any, a: Any, b: Any, upper: bool, left: bool,
                        unitriangular: bool) -> Any:
    if not left:
        return xp.swapaxes(_triangular_forward(xp, xp.swapaxes(a, -1, -2), xp.swapaxes(b, -1, -2),
                                               not upper, True, unitriangular), -1, -2)
    scipy_linalg = scipy_linalg_of(xp)
    dtype = xp.result_type(a, b)

    def solve(matrix: Any, rhs: Any) -> tuple[Any]:
        return (scipy_linalg.solve_triangular(matrix, rhs, lower=not upper,
                                              unit_diagonal=unitriangular, check_finite=False),)

    return batched(xp, solve, [b.shape[-2:]], [dtype], a, b)[0]


def _triangle(F: Any, x: Any, upper: bool, unitriangular: bool) -> Any:
    """The triangle of ``x`` that a triangular matrix's gradient lives in."""
    offset = int(unitriangular)
    return F.linalg_triu(x, k=offset) if upper else F.linalg_tril(x, k=-offset)


def _triangular_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, upper: bool,
                    left: bool, unitriangular: bool) -> tuple[Any, ...]:
    a, _ = inputs
    grad_b = F.linalg_solve_triangular(mT(F, a), g, upper=not upper, left=left,
                                       unitriangular=unitriangular)
    grad_a = None
    if parents[0] is not None:
        full = -F.matmul(grad_b, mT(F, out)) if left else -F.matmul(mT(F, out), grad_b)
        grad_a = _triangle(F, full, upper, unitriangular)
    return grad_a, grad_b if parents[1] is not None else None


SOLVE_TRIANGULAR = Primitive("linalg_solve_triangular", _triangular_forward, _triangular_vjp,
                             saves="both")


def _inv_forward(xp: Any, a: Any) -> Any:
    if a.shape[-1] == 0 or 0 in a.shape[:-2]:
        return xp.zeros(a.shape, dtype=a.dtype)
    try:
        return xp.linalg.inv(a)
    except np.linalg.LinAlgError as error:
        raise ValueError(f"linalg.inv: the matrix is singular ({error})") from None


def _inv_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any]:
    inverse_t = mT(F, out)
    return (-F.matmul(inverse_t, F.matmul(g, inverse_t)),)


INV = Primitive("linalg_inv", _inv_forward, _inv_vjp, saves="output")


def _cholesky_solve_forward(xp: Any, b: Any, factor: Any, upper: bool) -> Any:
    lower = xp.swapaxes(xp.triu(factor), -1, -2) if upper else xp.tril(factor)
    middle = _triangular_forward(xp, lower, b, False, True, False)
    return _triangular_forward(xp, xp.swapaxes(lower, -1, -2), middle, True, True, False)


def _cholesky_solve_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any,
                        upper: bool) -> tuple[Any, ...]:
    _b, factor = inputs
    grad_b = F.linalg_cholesky_solve(g, factor, upper=upper)
    grad_factor = None
    if parents[1] is not None:
        common = F.matmul(grad_b, mT(F, out))
        common = common + mT(F, common)
        grad_factor = -F.matmul(factor, common) if upper else -F.matmul(common, factor)
    return grad_b if parents[0] is not None else None, grad_factor


CHOLESKY_SOLVE = Primitive("linalg_cholesky_solve", _cholesky_solve_forward, _cholesky_solve_vjp,
                           saves="both")


def _cholesky_inverse_forward(xp: Any, factor: Any, upper: bool) -> Any:
    n = factor.shape[-1]
    eye = xp.broadcast_to(xp.eye(n, dtype=factor.dtype), factor.shape)
    return _cholesky_solve_forward(xp, eye, factor, upper)


def _cholesky_inverse_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any,
                          upper: bool) -> tuple[Any]:
    factor = inputs[0]
    common = F.matmul(out, F.matmul(g + mT(F, g), out))
    return (-F.matmul(factor, common) if upper else -F.matmul(common, factor),)


CHOLESKY_INVERSE = Primitive("linalg_cholesky_inverse", _cholesky_inverse_forward,
                             _cholesky_inverse_vjp, saves="both")


# --- named results -------------------------------------------------------------------------------

class InvExResult(NamedTuple):
    """``inv_ex``'s result: the inverse, and ``info`` (0 where the matrix is invertible)."""

    inverse: Any
    info: Any


class SolveExResult(NamedTuple):
    """``solve_ex``'s result: the solution, and ``info`` (0 where it exists)."""

    result: Any
    info: Any


class TriangularSolveResult(NamedTuple):
    """``triangular_solve``'s result: the solution and a copy of the coefficient matrix."""

    solution: Any
    cloned_coefficient: Any


# --- inverses (public) ---------------------------------------------------------------------------

@exported("runtime_shape_function", namespace="linalg", name="inv")
def inv(A: Any) -> Any:
    """The inverse of each square matrix (``ValueError`` if one is singular); gradient
    ``-A^-T g A^-T``."""
    check_square("linalg.inv", A)
    return run("linalg.inv", INV, A)


@exported("runtime_shape_function")
@method("inverse", typing="runtime_shape_method")
def inverse(input: Any) -> Any:
    """The inverse of each square matrix (``torch.inverse``, same as ``linalg.inv``)."""
    check_square("inverse", input)
    return run("inverse", INV, input)


@exported("split_function", namespace="linalg", name="inv_ex")
def inv_ex(A: Any, *, check_errors: bool = False) -> InvExResult:
    """``(inverse, info)``: ``info`` is 0 for each invertible matrix, else positive (and the
    inverse holds NaN or infinities there); ``check_errors=True`` raises instead."""
    check_square("linalg.inv_ex", A)
    info = apply(INFO, unwrap(A), kind="inv")
    if check_errors:
        check_info("linalg.inv_ex", info, "a matrix is singular")
    if bool(namespace_of(unwrap(info)).any(unwrap(info) != 0)):
        return InvExResult(nan_like(A), info)
    return InvExResult(apply(INV, A), info)


def _vector_rhs(a_shape: tuple[int, ...], b_shape: tuple[int, ...]) -> bool:
    """PyTorch's rule: ``B`` is a (batch of) vector(s) if it has one axis, or one axis fewer
    than ``A`` with ``A``'s leading shape."""
    return len(b_shape) == 1 or (len(b_shape) == len(a_shape) - 1
                                 and b_shape == a_shape[:-1])


@exported("mixed_function", namespace="linalg", name="solve")
def solve(A: Any, B: Any, *, left: bool = True) -> Any:
    """The solution ``X`` of ``A X = B`` (``X A = B`` with ``left=False``); ``B`` may be a
    vector or a batch of vectors (PyTorch's rule). Gradients: ``gB = A^-T g``,
    ``gA = -gB X^T``."""
    a_shape = check_square("linalg.solve", A)
    b_shape = shape_of(B)
    if not b_shape:
        raise ShapeError(f"{operation_name('linalg.solve')}: B must have at least one axis, "
                         "got a 0-d tensor")
    floating_dtype("linalg.solve", B)
    check_bool("linalg.solve", "left", left)
    vector = _vector_rhs(a_shape, b_shape)
    if vector:
        rhs = apply(RESHAPE, B, shape=(*b_shape, 1)) if left else apply(
            RESHAPE, B, shape=(*b_shape[:-1], 1, b_shape[-1]))
    else:
        rhs = B
    rows = shape_of(rhs)[-2] if left else shape_of(rhs)[-1]
    if rows != a_shape[-1]:
        raise ShapeError(f"{operation_name('linalg.solve')}: A of shape {a_shape} and B of shape "
                         f"{b_shape} do not fit ({a_shape[-1]} vs {rows})")
    batch_shapes("linalg.solve", a_shape[:-2], shape_of(rhs)[:-2], a_shape, b_shape)
    result = run("linalg.solve", SOLVE, A, rhs) if left else apply_mT(
        run("linalg.solve", SOLVE, apply_mT(A), apply_mT(rhs)))
    if vector:
        shape = shape_of(result)
        result = apply(RESHAPE, result, shape=shape[:-1] if left else shape[:-2] + shape[-1:])
    return result


@exported("split_function", namespace="linalg", name="solve_ex")
def solve_ex(A: Any, B: Any, *, left: bool = True,
             check_errors: bool = False) -> SolveExResult:
    """``(result, info)`` of ``solve``; ``info`` is 0 where ``A`` is invertible, positive
    where it is singular (the result is NaN for those matrices; ``check_errors=True`` raises
    instead)."""
    a_shape = check_square("linalg.solve_ex", A)
    info = apply(INFO, unwrap(A), kind="inv")
    if check_errors:
        check_info("linalg.solve_ex", info, "a matrix is singular")
    singular = unwrap(info) != 0
    xp = namespace_of(singular)
    if not bool(xp.any(singular)):
        return SolveExResult(solve(A, B, left=left), info)
    # Solve with each singular matrix replaced by the identity, then mark those results NaN.
    data = unwrap(A)
    mask = Constant(singular.reshape((*singular.shape, 1, 1)))
    safe = where(mask, Constant(xp.eye(a_shape[-1], dtype=data.dtype)), A)
    result = solve(safe, B, left=left)
    if len(shape_of(result)) == len(a_shape) - 1:  # vector right-hand sides
        mask = Constant(singular.reshape((*singular.shape, 1)))
    return SolveExResult(where(mask, math.nan, result), info)


@exported("mixed_function", namespace="linalg", name="solve_triangular")
def solve_triangular(A: Any, B: Any, *, upper: bool, left: bool = True,
                     unitriangular: bool = False) -> Any:
    """The solution of ``A X = B`` (``X A = B`` with ``left=False``) for triangular ``A``
    (only its ``upper`` or lower triangle is read; its diagonal is taken as ones with
    ``unitriangular``). The gradient of ``A`` stays in that triangle."""
    a_shape = check_square("linalg.solve_triangular", A)
    b_shape = check_matrix("linalg.solve_triangular", B)
    for argument, value in (("upper", upper), ("left", left), ("unitriangular", unitriangular)):
        check_bool("linalg.solve_triangular", argument, value)
    rows = b_shape[-2] if left else b_shape[-1]
    if rows != a_shape[-1]:
        raise ShapeError(f"linalg.solve_triangular: A of shape {a_shape} and B of shape "
                         f"{b_shape} do not fit ({a_shape[-1]} vs {rows})")
    batch_shapes("linalg.solve_triangular", a_shape[:-2], b_shape[:-2], a_shape, b_shape)
    return apply(SOLVE_TRIANGULAR, A, B, upper=bool(upper), left=bool(left),
                 unitriangular=bool(unitriangular))


@exported("split_function")
@method("triangular_solve", typing="split_method")
def triangular_solve(b: Any, A: Any, upper: bool = True, transpose: bool = False,
                     unitriangular: bool = False) -> TriangularSolveResult:
    """``torch.triangular_solve``: ``(X, A)`` with ``A X = b`` (``A^T X = b`` with
    ``transpose``) for triangular ``A``."""
    a_shape = check_square("triangular_solve", A)
    b_shape = check_matrix("triangular_solve", b)
    if b_shape[-2] != a_shape[-1]:
        raise ShapeError(f"triangular_solve: A of shape {a_shape} and b of shape {b_shape} do "
                         f"not fit ({a_shape[-1]} vs {b_shape[-2]})")
    batch_shapes("triangular_solve", a_shape[:-2], b_shape[:-2], a_shape, b_shape)
    matrix = apply_mT(A) if transpose else A
    solution = apply(SOLVE_TRIANGULAR, matrix, b, upper=bool(upper) != bool(transpose),
                     left=True, unitriangular=bool(unitriangular))
    return TriangularSolveResult(solution, apply(MUL, A, 1.0))


# --- Cholesky solves (public) --------------------------------------------------------------------

@exported("mixed_function")
@method("cholesky_solve", typing="mixed_method")
def cholesky_solve(B: Any, L: Any, upper: bool = False) -> Any:
    """The solution of ``A X = B`` given ``A``'s Cholesky factor ``L`` (upper with
    ``upper=True``); the gradient of ``L`` is PyTorch's (of ``A = L L^T``)."""
    l_shape = check_square("cholesky_solve", L)
    b_shape = check_matrix("cholesky_solve", B)
    if b_shape[-2] != l_shape[-1]:
        raise ShapeError(f"cholesky_solve: B of shape {b_shape} and L of shape {l_shape} do not "
                         f"fit ({b_shape[-2]} vs {l_shape[-1]})")
    batch_shapes("cholesky_solve", b_shape[:-2], l_shape[:-2], b_shape, l_shape)
    return apply(CHOLESKY_SOLVE, B, L, upper=bool(upper))


@exported("runtime_shape_function")
@method("cholesky_inverse", typing="runtime_shape_method")
def cholesky_inverse(L: Any, upper: bool = False) -> Any:
    """The inverse of ``A = L L^T`` (``U^T U`` with ``upper=True``) from its Cholesky factor."""
    check_square("cholesky_inverse", L)
    return apply(CHOLESKY_INVERSE, L, upper=bool(upper))


# --- tensor inverses and solves ------------------------------------------------------------------

@exported("runtime_shape_function", namespace="linalg", name="tensorinv")
def tensorinv(A: Any, ind: int = 2) -> Any:
    """The inverse of ``A`` seen as a matrix of its first ``ind`` axes by the others
    (result shape ``A.shape[ind:] + A.shape[:ind]``)."""
    shape = shape_of(A)
    if not is_int(ind) or ind <= 0:
        raise ValueError(f"linalg.tensorinv: ind must be a positive int, got {ind!r}")
    rows, cols = math.prod(shape[:ind]), math.prod(shape[ind:])
    if rows != cols:
        raise ShapeError(f"linalg.tensorinv: the product of the first {ind} sizes of shape "
                         f"{shape} ({rows}) must equal that of the others ({cols})")
    floating_dtype("linalg.tensorinv", A)
    square = apply(RESHAPE, A, shape=(rows, cols))
    return apply(RESHAPE, apply(INV, square), shape=shape[ind:] + shape[:ind])


@exported("mixed_function", namespace="linalg", name="tensorsolve")
def tensorsolve(A: Any, B: Any, dims: Any = None) -> Any:
    """The ``X`` with ``tensordot(A, X, X.ndim) = B``; the axes ``dims`` of ``A`` are moved to
    its end first."""
    shape = shape_of(A)
    ndim = len(shape)
    if dims is not None:
        listed = as_sequence(dims)
        if listed is None:
            raise TypeError(f"linalg.tensorsolve: dims must be a tuple of ints, got {dims!r}")
        dims = tuple(listed)
        moved = normalize_axis("linalg.tensorsolve", dims, ndim) or ()
        order = tuple(axis for axis in range(ndim) if axis not in moved) + tuple(
            int(axis) % ndim for axis in dims)
        A = apply(TRANSPOSE, A, axes=order)  # pyright: ignore[reportConstantRedefinition]
        shape = shape_of(A)
    b_shape = shape_of(B)
    if len(b_shape) > len(shape):
        raise ShapeError(f"linalg.tensorsolve: B of shape {b_shape} has more axes than A of "
                         f"shape {shape}")
    rows = math.prod(b_shape)
    result_shape = shape[len(b_shape):]
    cols = math.prod(result_shape)
    if rows != cols:
        raise ShapeError(f"linalg.tensorsolve: A of shape {shape} does not give a square system "
                         f"for B of shape {b_shape}")
    floating_dtype("linalg.tensorsolve", A)
    matrix = apply(RESHAPE, A, shape=(rows, cols))
    rhs = apply(RESHAPE, B, shape=(rows, 1))
    return apply(RESHAPE, apply(SOLVE, matrix, rhs), shape=result_shape)
