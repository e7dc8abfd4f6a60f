"""Norms and vector products: ``vector_norm``, ``matrix_norm``, ``linalg.norm``, ``cond``,
``vecdot``, the cross products (``linalg.cross``, ``cross``) and ``cdist`` (beside the vector
norm it uses).
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Sequence
from typing import Any, cast

from mushin._check import (
    as_sequence,
    broadcast_shape,
    is_int,
    is_number,
    normalize_axis,
    operation_name,
    shape_of,
)
from mushin._graph import Primitive
from mushin._surface import exported, method
from mushin._tensor import apply
from mushin.errors import ShapeError
from mushin.ops._linalg_common import batch_shapes, check_matrix, check_square, floating_dtype
from mushin.ops.elementwise import ADD, DIV, MUL, SUB
from mushin.ops.join import CONCAT
from mushin.ops.orthogonal import svdvals
from mushin.ops.reduce import AMAX, AMIN, SUM
from mushin.ops.shape import BROADCAST_TO, RESHAPE, TRANSPOSE
from mushin.ops.slicing import GETITEM
from mushin.ops.solve import INV

# --- norms ---------------------------------------------------------------------------------------


def _vector_norm_forward(xp: Any, x: Any, ord: float, axis: Any, keepdims: bool) -> Any:
    magnitude = xp.abs(x)
    if ord == 2:
        result = xp.sqrt(xp.sum(magnitude * magnitude, axis=axis, keepdims=keepdims))
    elif ord == math.inf:
        result = xp.max(magnitude, axis=axis, keepdims=keepdims)
    elif ord == -math.inf:
        result = xp.min(magnitude, axis=axis, keepdims=keepdims)
    elif ord == 0:
        result = xp.sum(magnitude != 0, axis=axis, keepdims=keepdims).astype(x.dtype)
    elif ord == 1:
        result = xp.sum(magnitude, axis=axis, keepdims=keepdims)
    else:
        result = xp.sum(magnitude ** ord, axis=axis, keepdims=keepdims) ** (1.0 / ord)
    return xp.asarray(result, dtype=x.dtype)


def _vector_norm_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, ord: float, axis: Any,
                     keepdims: bool) -> tuple[Any]:
    x = inputs[0]
    shape = parents[0].shape
    if not keepdims:
        kept = tuple(1 if axis is None or index in axis else size
                     for index, size in enumerate(shape))
        g = F.reshape(g, shape=kept)
        out = F.reshape(out, shape=kept)
    if ord == 0:
        return (F.zeros_like(x) * g,)
    sign = F.sign(x)
    if ord == 1:
        return (sign * g,)
    if ord in (math.inf, -math.inf):
        magnitude = F.abs(x)
        chosen = F.astype((magnitude == out) | (magnitude != magnitude), dtype=F.unwrap(x).dtype)
        return (sign * (g / F.sum(chosen, axis=axis, keepdims=True)) * chosen,)
    zero = out == 0
    if ord == 2:
        return (x * F.where(zero, 0, g / F.where(zero, 1, out)),)
    if ord < 1:
        nonzero = x != 0
        scaled = sign * F.where(nonzero, F.abs(F.where(nonzero, x, 1)) ** (ord - 1), 0)
        return (scaled * g * out ** (1 - ord),)
    scale = F.where(zero, 0, g / F.where(zero, 1, out) ** (ord - 1))
    if ord < 2:
        return (sign * F.abs(x) ** (ord - 1) * scale,)
    return (x * F.abs(x) ** (ord - 2) * scale,)


VECTOR_NORM = Primitive("linalg_vector_norm", _vector_norm_forward, _vector_norm_vjp,
                        saves="both")


# --- norms (public) ------------------------------------------------------------------------------

def _ord_value(name: str, ord: Any) -> float:
    if not is_number(ord):
        raise TypeError(f"{operation_name(name)}: ord must be a number, got {ord!r}")
    return float(ord)


def _norm_axes(name: str, dim: Any, ndim: int) -> tuple[int, ...] | None:
    if dim is None:
        return None
    listed = as_sequence(dim)
    if listed is not None:
        dim = tuple(listed)
    if isinstance(dim, tuple) and not dim:
        return None
    return normalize_axis(name, dim, builtins.max(ndim, 1))


def _cast_input(name: str, x: Any, dtype: Any) -> Any:
    if dtype is not None:
        from mushin.ops.elementwise import astype

        return astype(x, dtype)
    floating_dtype(name, x)
    return x


@exported("runtime_shape_function", namespace="linalg", name="vector_norm")
def vector_norm(x: Any, ord: Any = 2, dim: Any = None, keepdim: bool = False, *,
                dtype: Any = None, axis: Any = None, keepdims: Any = None) -> Any:
    """The vector ``ord``-norm over ``dim`` (every axis by default): ``sum(|x|^ord)^(1/ord)``,
    ``ord`` = inf/-inf the largest/smallest ``|x|``, 0 the count of non-zeros. Gradients are
    PyTorch's (0 where the norm is 0)."""
    from mushin._check import keep_argument

    name = "linalg.vector_norm"
    x = _cast_input(name, x, dtype)
    if axis is not None and dim is not None:
        raise TypeError(f"{operation_name(name)}: give dim= or axis=, not both")
    chosen = axis if axis is not None else dim
    keep = keep_argument(name, keepdims=keepdims) if keepdims is not None else bool(keepdim)
    keep = keep or bool(keepdim)
    order = _ord_value(name, ord)
    shape = shape_of(x)
    axes = _norm_axes(name, chosen, len(shape))
    reduced = range(len(shape)) if axes is None or not shape else axes
    if order < 0 and builtins.any(shape[index] == 0 for index in reduced):
        raise ValueError(f"{operation_name(name)}: a negative ord cannot reduce an empty axis "
                         f"(shape {shape})")
    if order == math.inf and builtins.any(shape[index] == 0 for index in reduced):
        raise ValueError(f"{operation_name(name)}: ord=inf cannot reduce an empty axis (shape "
                         f"{shape})")
    if not shape:
        axes = None
        if keep:
            return apply(VECTOR_NORM, x, ord=order, axis=None, keepdims=False)
    return apply(VECTOR_NORM, x, ord=order, axis=axes, keepdims=keep)


def _move_to_end(x: Any, first: int, second: int) -> Any:
    ndim = len(shape_of(x))
    rest = [axis for axis in range(ndim) if axis not in (first, second)]
    order = tuple([*rest, first, second])
    if order == tuple(range(ndim)):
        return x
    return apply(TRANSPOSE, x, axes=order)


def _restore_kept(result: Any, shape: tuple[int, ...], first: int, second: int) -> Any:
    kept = tuple(1 if index in (first, second) else size for index, size in enumerate(shape))
    return apply(RESHAPE, result, shape=kept)


@exported("runtime_shape_function", namespace="linalg", name="matrix_norm")
def matrix_norm(A: Any, ord: Any = "fro", dim: Any = (-2, -1),
                keepdim: bool = False, *, dtype: Any = None) -> Any:
    """The matrix norm over the two axes ``dim``: ``'fro'``, ``'nuc'`` (the sum of the
    singular values), 2/-2 (the largest/smallest singular value), 1/-1 (the largest/smallest
    column sum of ``|A|``), inf/-inf (row sums)."""
    name = "linalg.matrix_norm"
    A = _cast_input(name, A, dtype)  # pyright: ignore[reportConstantRedefinition]
    shape = shape_of(A)
    if len(shape) < 2:
        raise ShapeError(f"{operation_name(name)}: expected a matrix or a batch of matrices, got "
                         f"shape {shape}")
    if not isinstance(dim, tuple | list) or len(cast("Sequence[Any]", dim)) != 2:
        raise TypeError(f"{operation_name(name)}: dim must be a pair of axes, got {dim!r}")
    axes = normalize_axis(name, tuple(cast("Sequence[Any]", dim)), len(shape))
    if axes is None or len(axes) != 2:
        raise ValueError(f"{operation_name(name)}: dim must name two different axes, got {dim!r}")
    first, second = (int(axis) % len(shape) for axis in cast("Sequence[Any]", dim))
    if ord in ("fro", "nuc"):
        if ord == "fro":
            return apply(VECTOR_NORM, A, ord=2.0, axis=axes, keepdims=bool(keepdim))
        result = apply(SUM, svdvals(_move_to_end(A, first, second)), axis=(len(shape) - 2,),
                       keepdims=False)
    elif isinstance(ord, str) or not is_number(ord) or float(ord) not in (
            1.0, -1.0, 2.0, -2.0, math.inf, -math.inf):
        raise ValueError(f"{operation_name(name)}: ord must be 'fro', 'nuc', 2, -2, 1, -1, inf or "
                         f"-inf, got {ord!r}")
    else:
        order = float(ord)
        # The final max/min runs over columns (ord 1) or rows (ord inf), all for ord 2.
        needed = (second,) if abs(order) == 1 else (first,) if abs(order) == math.inf else (
            first, second)
        if builtins.any(shape[axis] == 0 for axis in needed):
            raise ValueError(f"{operation_name(name)}: ord={ord} needs non-empty matrices, got "
                             f"shape {shape}")
        moved = _move_to_end(A, first, second)
        last = len(shape) - 1
        if order in (2.0, -2.0):
            values = svdvals(moved)
            result = apply(AMAX if order > 0 else AMIN, values, axis=(last - 1,),
                           keepdims=False)
        else:
            # 1: columns (sum over rows); inf: rows (sum over columns).
            summed_axis = last - 1 if abs(order) == 1 else last
            sums = apply(VECTOR_NORM, moved, ord=1.0, axis=(summed_axis,), keepdims=False)
            result = apply(AMAX if order > 0 else AMIN, sums, axis=(last - 1,), keepdims=False)
    if keepdim:
        result = _restore_kept(result, shape, first, second)
    return result


@exported("runtime_shape_function", namespace="linalg", name="norm")
def linalg_norm(A: Any, ord: Any = None, dim: Any = None, keepdim: bool = False, *,
                dtype: Any = None) -> Any:
    """``linalg.norm``: a vector norm when ``dim`` is an int (or ``A`` has one axis), a matrix
    norm when ``dim`` is a pair (or ``A`` has two axes and ``ord`` is given); with neither
    ``ord`` nor ``dim``, the 2-norm of every element."""
    name = "linalg.norm"
    shape = shape_of(A)
    if dim is not None and is_int(dim):
        dim = (dim,)
    listed = as_sequence(dim)
    if listed is not None:
        dim = tuple(listed)
    elif dim is not None:
        raise TypeError(f"{operation_name(name)}: dim must be an int, a pair of ints or None, "
                        f"got {dim!r}")
    if isinstance(ord, str) or (dim is not None and len(dim) == 2) or (
            dim is None and ord is not None and len(shape) == 2):
        if dim is None:
            if len(shape) != 2:
                raise ShapeError(f"{operation_name(name)}: a matrix ord needs a 2-D input or dim= "
                                 f"of two axes, got shape {shape}")
            dim = (-2, -1)
        if len(dim) != 2:
            raise ValueError(f"{operation_name(name)}: a matrix ord needs two axes, got "
                             f"dim={dim!r}")
        return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
    if dim is None and ord is not None and len(shape) != 1:
        raise ShapeError(f"{operation_name(name)}: ord={ord!r} without dim= needs a 1-D or 2-D "
                         f"input, got shape {shape}")
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


@exported("runtime_shape_function", namespace="linalg", name="cond")
def cond(A: Any, p: Any = None) -> Any:
    """The condition number in the norm ``p`` (None or 2: largest / smallest singular value;
    -2 the inverse; ``'fro'``, ``'nuc'``, 1, -1, inf, -inf: ``norm(A) * norm(inv(A))``)."""
    shape = check_matrix("linalg.cond", A)
    last = len(shape) - 2
    if p is None or (is_number(p) and float(p) in (2.0, -2.0)):
        values = svdvals(A)
        largest = apply(AMAX, values, axis=(last,), keepdims=False)
        smallest = apply(AMIN, values, axis=(last,), keepdims=False)
        if p is not None and float(p) == -2.0:
            return apply(DIV, smallest, largest)
        return apply(DIV, largest, smallest)
    check_square("linalg.cond", A)
    return apply(MUL, matrix_norm(A, p), matrix_norm(apply(INV, A), p))


# --- vector products -----------------------------------------------------------------------------

@exported("mixed_function", namespace="linalg", name="vecdot")
def vecdot(x: Any, y: Any, *, dim: int = -1) -> Any:
    """The dot product of vectors along ``dim`` (broadcasting the other axes)."""
    if not is_int(dim):
        raise TypeError(f"linalg.vecdot: dim must be an int, got {dim!r}")
    product = apply(MUL, x, y)
    shape = shape_of(product)
    axis = normalize_axis("linalg.vecdot", dim, len(shape))
    if min(len(shape_of(x)), len(shape_of(y))) < abs(dim) + (dim >= 0):
        raise ShapeError(f"linalg.vecdot: both operands need the axis dim={dim}, got shapes "
                         f"{shape_of(x)} and {shape_of(y)}")
    if shape_of(x)[dim] != shape_of(y)[dim]:
        raise ShapeError(f"linalg.vecdot: sizes along dim {dim} differ: shapes {shape_of(x)} and "
                         f"{shape_of(y)}")
    return apply(SUM, product, axis=axis, keepdims=False)


def _cross_axis(name: str, a_shape: tuple[int, ...], b_shape: tuple[int, ...],
                dim: Any) -> tuple[tuple[int, ...], int]:
    shape = batch_shapes(name, a_shape, b_shape, a_shape, b_shape)
    if dim is None:
        found = next((index for index, size in enumerate(shape) if size == 3), None)
        if found is None:
            raise ShapeError(f"{operation_name(name)}: no axis of size 3 in shapes {a_shape} and "
                             f"{b_shape}")
        return shape, found
    if not is_int(dim):
        raise TypeError(f"{operation_name(name)}: dim must be an int, got {dim!r}")
    if not -len(shape) <= dim < len(shape):
        raise IndexError(f"{operation_name(name)}: dim {dim} is out of range for {len(shape)} axes")
    axis = int(dim) % len(shape)
    offset = axis - len(shape)
    if builtins.any(len(each) >= -offset and each[offset] != 3 for each in (a_shape, b_shape)):
        raise ShapeError(f"{operation_name(name)}: dim {dim} must have size 3 in both inputs, got "
                         f"shapes {a_shape} and {b_shape}")
    return shape, axis


def cross_product(name: str, a: Any, b: Any, dim: Any) -> Any:
    """The cross product of 3-vectors along ``dim`` (operands broadcast)."""
    a_shape, b_shape = shape_of(a), shape_of(b)
    shape, axis = _cross_axis(name, a_shape, b_shape, dim)
    if a_shape != shape:
        a = apply(BROADCAST_TO, a, shape=shape)
    if b_shape != shape:
        b = apply(BROADCAST_TO, b, shape=shape)

    def part(x: Any, index: int) -> Any:
        return apply(GETITEM, x, index=(slice(None),) * axis + (slice(index, index + 1),))

    def term(i: int, j: int) -> Any:
        return apply(ADD, apply(MUL, part(a, i), part(b, j)),
                     apply(MUL, apply(MUL, part(a, j), part(b, i)), -1.0))

    return apply(CONCAT, term(1, 2), term(2, 0), term(0, 1), axis=axis, sizes=(1, 1, 1))


@exported("mixed_function", namespace="linalg", name="cross")
def linalg_cross(input: Any, other: Any, *, dim: int = -1) -> Any:
    """The cross product along ``dim`` (size 3), broadcasting the other axes."""
    return cross_product("linalg.cross", input, other, dim)


# --- torch.cross and torch.cdist (here beside the norms they use) --------------------------------

@exported("mixed_function")
@method("cross", typing="mixed_method")
def cross(input: Any, other: Any, dim: Any = None) -> Any:
    """``torch.cross``: the cross product along ``dim`` (by default the first axis of size 3)."""
    return cross_product("cross", input, other, dim)


@exported("mixed_function")
def cdist(x1: Any, x2: Any, p: float = 2.0, compute_mode: Any = None) -> Any:
    """The ``p``-norm distance between each row of ``x1`` ``[*, P, M]`` and of ``x2``
    ``[*, R, M]``: ``[*, P, R]``. The gradient is 0 where two rows coincide."""
    first, second = shape_of(x1), shape_of(x2)
    if len(first) < 2 or len(second) < 2:
        raise ShapeError(f"cdist: x1 and x2 need at least 2 axes, got shapes {first} and "
                         f"{second}")
    if first[-1] != second[-1]:
        raise ShapeError(f"cdist: x1 and x2 must have rows of one size, got shapes {first} and "
                         f"{second}")
    if not is_number(p) or p < 0:
        raise ValueError(f"cdist: p must be a non-negative number, got {p!r}")
    batch = broadcast_shape("cdist", first[:-2], second[:-2])
    left = apply(RESHAPE, x1, shape=(*first[:-1], 1, first[-1]))
    right = apply(RESHAPE, x2, shape=(*second[:-2], 1, *second[-2:]))
    difference = apply(SUB, left, right)
    ndim = len(batch) + 3
    if 0 in shape_of(difference):
        return apply(SUM, apply(MUL, difference, 0.0), axis=(ndim - 1,), keepdims=False)
    return apply(VECTOR_NORM, difference, ord=float(p), axis=(ndim - 1,), keepdims=False)
