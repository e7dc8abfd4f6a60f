"""Shape changes of ``mu.nn.ops``: ``pad`` (PyTorch's ``F.pad``) and ``batch_flatten``
(exported as ``mu.nn.ops.flatten``), which keeps the batch axis.

Three functions flatten, each its own way: ``mu.flatten`` joins every axis into one,
``batch_flatten`` keeps axis 0 and joins the rest, and the ``Flatten`` layer joins the axes
``start_dim`` to ``end_dim``.
"""

from __future__ import annotations

import math
from typing import Any

from mushin import _typing as typed
from mushin._check import is_int, is_number, shape_of
from mushin._graph import Primitive
from mushin._tensor import apply
from mushin.errors import ShapeError
from mushin.ops.shape import reshape

PAD = Primitive("pad",
                lambda xp, x, widths, value: xp.pad(x, widths, constant_values=value),
                lambda F, g, inputs, out, parents, widths, value: (F.getitem(g, index=tuple(
                    slice(before, before + size) for (before, _), size in zip(
                        widths, parents[0].shape, strict=True))),),
                saves="none")


def pad(x: Any, pad_width: tuple[int, ...] | list[int], value: float = 0.0) -> Any:
    """``x`` padded with ``value`` as PyTorch's ``F.pad``: ``pad_width`` holds (before,
    after) pairs starting from the LAST axis, ``(left, right, top, bottom, ...)``."""
    shape = shape_of(x)
    widths_given = tuple(pad_width)
    if (len(widths_given) % 2 or len(widths_given) // 2 > len(shape)
            or any(not is_int(width) for width in widths_given)):
        raise ValueError(f"pad: pad_width must hold an even number of ints, two per axis, for "
                         f"at most the {len(shape)} axes of shape {shape}; got {pad_width!r}")
    if any(width < 0 for width in widths_given):
        raise ValueError(f"pad: widths must not be negative, got {pad_width!r}")
    pairs = [(widths_given[index], widths_given[index + 1])
             for index in range(0, len(widths_given), 2)]
    widths = tuple([(0, 0)] * (len(shape) - len(pairs)) + pairs[::-1])
    if not is_number(value):
        raise TypeError(f"pad: value must be a number, got {value!r}")
    return apply(PAD, x, widths=widths, value=value)


@typed.batch_flatten_function
def batch_flatten(x: Any) -> Any:
    """``x`` as ``(B, everything else)``: axis 0 kept, the others joined (``mu.nn.ops.flatten``;
    ``mu.flatten`` joins every axis, the ``Flatten`` layer the axes it is given)."""
    shape = shape_of(x)
    if not shape:
        raise ShapeError("flatten: needs at least one axis (the batch), got a 0-d tensor")
    return reshape(x, (shape[0], math.prod(shape[1:])))
