"""Making tensors: ``fill``, ``eye``, ``randn``, ``randu``, ``custom``, ``zeros``, ``ones``,
``variable``, ``constant`` (the random state behind them is ``mushin._random``).

Each maker returns a leaf ``Variable`` (call ``.freeze()`` for a ``Constant``), except
``constant``; each takes keyword-only ``dtype=`` (float32 by default) and ``device=``.

Statically, a maker given a tuple shape returns ``Variable[*Shape]`` with the tuple's sizes, so
``w: Variable[L[784], L[10]] = randn((784, 10))`` checks the sizes against the annotation (the
checkers infer the literal sizes from it); ``variable`` and ``constant`` return tensors whose
shape is known only at run time (a bare ``Variable`` or ``Constant``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from mushin import _backend
from mushin._backend import Backend
from mushin._check import check_shape_argument, number
from mushin._random import generator
from mushin._tensor import Constant, Variable, new_variable

if TYPE_CHECKING:
    from numpy.typing import DTypeLike

    from mushin._typing import Shape

def _target(shape: Any, dtype: Any, device: str | None, name: str) -> tuple[
        tuple[int, ...], np.dtype[Any], Backend]:
    return (check_shape_argument(name, shape),
            _backend.float_dtype(_backend.DEFAULT_DTYPE if dtype is None else dtype),
            _backend.backend(device))


@overload
def fill(shape: tuple[*Shape], value: float, *, dtype: DTypeLike | None = None,
         device: str | None = None) -> Variable[*Shape]: ...


@overload
def fill(shape: int | list[int], value: float, *, dtype: DTypeLike | None = None,
         device: str | None = None) -> Variable: ...


def fill(shape: Any, value: float, *, dtype: DTypeLike | None = None,
         device: str | None = None) -> Variable:
    """A leaf whose every element is ``value``."""
    size, kind, where = _target(shape, dtype, device, "fill")
    return new_variable(where.xp.full(size, number("fill", "value", value), dtype=kind))


@overload
def zeros(shape: tuple[*Shape], *, dtype: DTypeLike | None = None,
          device: str | None = None) -> Variable[*Shape]: ...


@overload
def zeros(shape: int | list[int], *, dtype: DTypeLike | None = None,
          device: str | None = None) -> Variable: ...


def zeros(shape: Any, *, dtype: DTypeLike | None = None,
          device: str | None = None) -> Variable:
    """A leaf of zeros."""
    size, kind, where = _target(shape, dtype, device, "zeros")
    return new_variable(where.xp.zeros(size, dtype=kind))


@overload
def ones(shape: tuple[*Shape], *, dtype: DTypeLike | None = None,
         device: str | None = None) -> Variable[*Shape]: ...


@overload
def ones(shape: int | list[int], *, dtype: DTypeLike | None = None,
         device: str | None = None) -> Variable: ...


def ones(shape: Any, *, dtype: DTypeLike | None = None,
         device: str | None = None) -> Variable:
    """A leaf of ones."""
    size, kind, where = _target(shape, dtype, device, "ones")
    return new_variable(where.xp.ones(size, dtype=kind))


@overload
def eye(shape: tuple[*Shape], value: float = 1.0, *, dtype: DTypeLike | None = None,
        device: str | None = None) -> Variable[*Shape]: ...


@overload
def eye(shape: int | list[int], value: float = 1.0, *, dtype: DTypeLike | None = None,
        device: str | None = None) -> Variable: ...


def eye(shape: Any, value: float = 1.0, *, dtype: DTypeLike | None = None,
        device: str | None = None) -> Variable:
    """``value`` on the main diagonal of the last two axes, 0 elsewhere."""
    size, kind, where = _target(shape, dtype, device, "eye")
    if len(size) < 2:
        raise ValueError(f"eye: the shape needs at least 2 axes, got {size}")
    matrix = where.xp.eye(size[-2], size[-1], dtype=kind) * kind.type(
        number("eye", "value", value))
    return new_variable(where.xp.ascontiguousarray(where.xp.broadcast_to(matrix, size)))


@overload
def randn(shape: tuple[*Shape], *, dtype: DTypeLike | None = None,
          device: str | None = None) -> Variable[*Shape]: ...


@overload
def randn(shape: int | list[int], *, dtype: DTypeLike | None = None,
          device: str | None = None) -> Variable: ...


def randn(shape: Any, *, dtype: DTypeLike | None = None,
          device: str | None = None) -> Variable:
    """A leaf drawn from the standard normal distribution."""
    size, kind, where = _target(shape, dtype, device, "randn")
    draw = generator(where).standard_normal(size, dtype=kind if kind.itemsize >= 4 else None)
    return new_variable(draw.astype(kind, copy=False))


@overload
def randu(shape: tuple[*Shape], *, dtype: DTypeLike | None = None,
          device: str | None = None) -> Variable[*Shape]: ...


@overload
def randu(shape: int | list[int], *, dtype: DTypeLike | None = None,
          device: str | None = None) -> Variable: ...


def randu(shape: Any, *, dtype: DTypeLike | None = None,
          device: str | None = None) -> Variable:
    """A leaf drawn uniformly from [0, 1)."""
    size, kind, where = _target(shape, dtype, device, "randu")
    draw = generator(where).random(size, dtype=kind if kind.itemsize >= 4 else None)
    return new_variable(draw.astype(kind, copy=False))


@overload
def custom(values: Sequence[float], shape: tuple[*Shape], *, dtype: DTypeLike | None = None,
           device: str | None = None) -> Variable[*Shape]: ...


@overload
def custom(values: Sequence[float], shape: int | list[int], *, dtype: DTypeLike | None = None,
           device: str | None = None) -> Variable: ...


def custom(values: Sequence[float], shape: Any, *, dtype: DTypeLike | None = None,
           device: str | None = None) -> Variable:
    """A leaf from a flat sequence of values in row-major order."""
    size, kind, where = _target(shape, dtype, device, "custom")
    flat = np.asarray(values, dtype=kind)
    if flat.ndim != 1:
        raise ValueError(f"custom: values must be a flat sequence, got {flat.ndim} axes")
    if flat.size != math.prod(size):
        raise ValueError(f"custom: {flat.size} values cannot fill shape {size} "
                         f"({math.prod(size)} elements)")
    return new_variable(where.asarray(flat.reshape(size)))


def variable(values: Any, *, dtype: DTypeLike | None = None,
             device: str | None = None) -> Variable:
    """A leaf ``Variable`` from a nested list, an array or a scalar (always floating)."""
    return Variable(values, dtype=dtype, device=device)


def constant(values: Any, *, dtype: DTypeLike | None = None,
             device: str | None = None) -> Constant:
    """A ``Constant`` from a nested list, an array or a scalar (integer and bool data kept)."""
    return Constant(values, dtype=dtype, device=device)
