"""Matrix products: ``mm`` over the last two axes with broadcast leading axes, and ``matmul``
(``@``), which also accepts vectors as NumPy does."""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

from mushin._check import broadcast_shape, shape_of
from mushin._graph import Primitive
from mushin._surface import exported, method
from mushin._tensor import apply
from mushin.errors import ShapeError
from mushin.ops.shape import expand_dims, squeeze

if TYPE_CHECKING:
    from mushin._typing import HostArray


def _matmul_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any, ...]:
    first, second = inputs
    return (g @ F.matrix_transpose(second) if parents[0] is not None else None,
            F.matrix_transpose(first) @ g if parents[1] is not None else None)


MATMUL = Primitive("matmul", lambda xp, a, b: xp.matmul(a, b), _matmul_vjp)


@exported("matrix_product_function")
@method("mm", typing="matrix_product_method")
def mm(a: Any, b: Any) -> Any:
    """The matrix product over the last two axes; leading axes broadcast.

    ``[*B, M, K] x [*B, K, N] -> [*B, M, N]``; ``ShapeError`` if the inner sizes differ.
    """
    first, second = shape_of(a), shape_of(b)
    if len(first) < 2 or len(second) < 2:
        raise ShapeError(f"mm: both operands need at least 2 axes, got shapes {first} and "
                         f"{second} (use matmul for vectors)")
    if first[-1] != second[-2]:
        raise ShapeError(f"mm: inner sizes differ: shapes {first} and {second} "
                         f"({first[-1]} vs {second[-2]})")
    if first[:-2] != second[:-2]:
        try:
            broadcast_shape("mm", first[:-2], second[:-2])
        except ShapeError:
            raise ShapeError(f"mm: leading axes of shapes {first} and {second} cannot be "
                             "broadcast together") from None
    return apply(MATMUL, a, b)


@exported("matmul_function")
@method("matmul", "__matmul__", typing="matmul_method")
def matmul(a: Any, b: Any) -> Any:
    """``a @ b``: ``mm``, also for a 1-axis operand (a vector, as in NumPy)."""
    first, second = shape_of(a), shape_of(b)
    if builtins.min(len(first), len(second)) == 0:
        raise ShapeError(f"matmul: operands need at least 1 axis, got shapes {first} and "
                         f"{second}")
    if builtins.min(len(first), len(second)) >= 2:
        return mm(a, b)
    vector_left, vector_right = len(first) == 1, len(second) == 1
    # Checked here so that the message names the shapes the caller gave, not the expanded ones.
    inner = second[0] if vector_right else second[-2]
    if first[-1] != inner:
        raise ShapeError(f"matmul: inner sizes differ: shapes {first} and {second} "
                         f"({first[-1]} vs {inner})")
    result = mm(expand_dims(a, 0) if vector_left else a,
                expand_dims(b, -1) if vector_right else b)
    if vector_right:
        result = squeeze(result, -1)
    if vector_left:
        result = squeeze(result, -2 if not vector_right else -1)
    return result


@method("__rmatmul__", typing="runtime_shape_method")
def _rmatmul(x: Any, other: HostArray) -> Any:
    """``other @ x`` for a host array ``other``."""
    return matmul(other, x)
