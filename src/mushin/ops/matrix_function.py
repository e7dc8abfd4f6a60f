"""Matrix functions and small matrix builders: ``matrix_exp`` (its gradient the Frechet
derivative, as in PyTorch), ``matrix_power``, ``linalg.diagonal`` and ``linalg.vander``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mushin._backend import namespace_of
from mushin._check import integer, is_int, normalize_axis, operation_name, shape_of
from mushin._graph import Primitive
from mushin._surface import exported, method
from mushin._tensor import apply, unwrap
from mushin.errors import ShapeError
from mushin.ops._linalg_common import (
    DIAGONAL,
    apply_mm,
    batched,
    check_square,
    floating_dtype,
    mT,
    scipy_linalg_of,
    xp_of,
)
from mushin.ops.elementwise import ADD, MUL
from mushin.ops.join import CONCAT
from mushin.ops.shape import RESHAPE
from mushin.ops.slicing import GETITEM
from mushin.ops.solve import INV

# --- matrix exponential --------------------------------------------------------------------------


def _expm_forward(xp: Any, a: Any) -> Any:
    if 0 in a.shape:
        return xp.zeros(a.shape, dtype=a.dtype)
    scipy_linalg = scipy_linalg_of(xp)
    if xp is np:
        return np.asarray(scipy_linalg.expm(a), dtype=a.dtype)
    n = a.shape[-1]

    def expm(matrix: Any) -> tuple[Any]:
        return (scipy_linalg.expm(matrix),)

    return batched(xp, expm, [(n, n)], [a.dtype], a)[0]


def _expm_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any]:
    # The Frechet derivative of exp at A^T applied to g: the top-right block of
    # exp([[A^T, g], [0, A^T]]).
    a_t = mT(F, inputs[0])
    shape = tuple(F.unwrap(a_t).shape)
    n = shape[-1]
    ndim = len(shape)
    xp = xp_of(F, a_t)
    zeros = xp.zeros(shape, dtype=F.unwrap(a_t).dtype)
    top = F.concat(a_t, g, axis=ndim - 1, sizes=(n, n))
    bottom = F.concat(zeros, a_t, axis=ndim - 1, sizes=(n, n))
    block = F.concat(top, bottom, axis=ndim - 2, sizes=(n, n))
    return (F.getitem(F.linalg_matrix_exp(block),
                      index=(Ellipsis, slice(0, n), slice(n, 2 * n))),)


MATRIX_EXP = Primitive("linalg_matrix_exp", _expm_forward, _expm_vjp)


# --- matrix functions ----------------------------------------------------------------------------

@exported("runtime_shape_function", namespace="linalg", name="matrix_exp")
@exported("runtime_shape_function")
@method("matrix_exp", typing="runtime_shape_method")
def matrix_exp(A: Any) -> Any:
    """The matrix exponential of each square matrix; the gradient is the Frechet derivative
    at ``A^T`` (a block-matrix exponential, as in PyTorch)."""
    check_square("linalg.matrix_exp", A)
    return apply(MATRIX_EXP, A)


@exported("runtime_shape_function", namespace="linalg", name="matrix_power")
@exported("runtime_shape_function")
@method("matrix_power", typing="runtime_shape_method")
def matrix_power(A: Any, n: int) -> Any:
    """``A`` to the integer power ``n`` by repeated squaring (``n < 0``: of the inverse;
    ``n = 0``: the identity, with a zero gradient)."""
    shape = shape_of(A)
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ShapeError(f"linalg.matrix_power: expected square matrices, got shape {shape}")
    if not is_int(n):
        raise TypeError(f"linalg.matrix_power: n must be an int, got {n!r}")
    if n < 0:
        floating_dtype("linalg.matrix_power", A)
        A = apply(INV, A)  # pyright: ignore[reportConstantRedefinition]
        n = -n
    if n == 0:
        xp = namespace_of(unwrap(A))
        eye = xp.broadcast_to(xp.eye(shape[-1], dtype=unwrap(A).dtype), shape)
        return apply(ADD, apply(MUL, A, 0), eye)
    result: Any = None
    power = A
    while True:
        if n & 1:
            result = power if result is None else apply_mm(result, power)
        n >>= 1
        if not n:
            return result
        power = apply_mm(power, power)


# --- small matrix builders -----------------------------------------------------------------------

@exported("runtime_shape_function", namespace="linalg", name="diagonal")
def diagonal(A: Any, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Any:
    """The diagonal ``offset`` of the axes ``dim1`` and ``dim2``, as a last axis."""
    shape = shape_of(A)
    name = "linalg.diagonal"
    if not is_int(offset):
        raise TypeError(f"{operation_name(name)}: offset must be an int, got {offset!r}")
    axes = normalize_axis(name, (dim1, dim2), len(shape))
    if axes is None or len(axes) != 2:
        raise ValueError(f"{operation_name(name)}: dim1 and dim2 must differ, got {dim1} and "
                         f"{dim2}")
    return apply(DIAGONAL, A, offset=int(offset), axis1=int(dim1) % len(shape),
                 axis2=int(dim2) % len(shape))


@exported("runtime_shape_function", namespace="linalg", name="vander")
def vander(x: Any, *, N: Any = None) -> Any:
    """The Vandermonde matrix: columns ``x^0, x^1, ..., x^(N-1)`` (``N`` = ``x``'s last size by
    default); the powers are products, so gradients are exact at 0."""
    shape = shape_of(x)
    if not shape:
        x = apply(RESHAPE, x, shape=(1,))
        shape = (1,)
    count = shape[-1] if N is None else N
    if not is_int(count) or count < 0:
        raise ValueError(f"linalg.vander: N must be a non-negative int, got {N!r}")
    count = integer("linalg.vander", "N", count)
    if count == 0:
        xp = namespace_of(unwrap(x))
        return apply(MUL, apply(GETITEM, x, index=(Ellipsis, None, slice(0, 0))),
                     xp.zeros((), dtype=unwrap(x).dtype))
    column = apply(RESHAPE, x, shape=(*shape, 1))
    ones = apply(ADD, apply(MUL, column, 0), 1)
    columns = [ones]
    for _ in range(count - 1):
        columns.append(apply(MUL, columns[-1], column))
    if len(columns) == 1:
        return columns[0]
    return apply(CONCAT, *columns, axis=len(shape), sizes=(1,) * len(columns))
