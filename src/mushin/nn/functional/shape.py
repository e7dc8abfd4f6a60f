"""Shape changes of ``mu.nn.ops``: ``pad`` (PyTorch's ``F.pad``, with its modes) and
``batch_flatten`` (exported as ``mu.nn.ops.flatten``), which keeps the batch axis.

Three functions flatten, each its own way: ``mu.flatten`` joins every axis into one,
``batch_flatten`` keeps axis 0 and joins the rest, and the ``Flatten`` layer joins the axes
``start_dim`` to ``end_dim``.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np

from mushin import _typing as typed
from mushin._check import as_sequence, is_int, is_number, operation_name, shape_of
from mushin._graph import Primitive
from mushin._tensor import Constant, apply
from mushin.errors import ShapeError
from mushin.ops.gather_scatter import index_select
from mushin.ops.shape import reshape

PAD = Primitive("pad",
                lambda xp, x, widths, value: xp.pad(x, widths, constant_values=value),
                lambda F, g, inputs, out, parents, widths, value: (F.getitem(g, index=tuple(
                    slice(before, before + size) for (before, _), size in zip(
                        widths, parents[0].shape, strict=True))),),
                saves="none")


_PAD_MODES: dict[str, Literal["reflect", "edge", "wrap"]] = {
    "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


@typed.runtime_shape_function
def pad(input: Any, pad: tuple[int, ...] | list[int], mode: str = "constant",
        value: float | None = None) -> Any:
    """PyTorch's ``F.pad``: ``input`` padded by ``pad``, (before, after) pairs starting from
    the LAST axis, ``(left, right, top, bottom, ...)``. ``mode`` "constant" fills with
    ``value`` (0 by default; widths must not be negative); "reflect", "replicate" and
    "circular" repeat the input's own elements (negative widths crop)."""
    shape = shape_of(input)
    widths_given = as_sequence(pad)
    if (widths_given is None or len(widths_given) % 2
            or len(widths_given) // 2 > len(shape)
            or any(not is_int(width) for width in widths_given)):
        raise ValueError(f"{operation_name('pad')}: pad must hold an even number of ints, two per "
                         f"axis, for at most the {len(shape)} axes of shape {shape}; got {pad!r}")
    pairs = [(int(widths_given[index]), int(widths_given[index + 1]))
             for index in range(0, len(widths_given), 2)]
    if mode != "constant":
        return _pad_by_index("pad", input, shape, pairs, mode)
    if any(width < 0 for width in widths_given):
        raise ValueError(f"{operation_name('pad')}: widths must not be negative in mode "
                         f"'constant', got {pad!r}")
    widths = tuple([(0, 0)] * (len(shape) - len(pairs)) + pairs[::-1])
    fill = 0.0 if value is None else value
    if not is_number(fill):
        raise TypeError(f"{operation_name('pad')}: value must be a number, got {value!r}")
    return apply(PAD, input, widths=widths, value=fill)


def _pad_by_index(name: str, x: Any, shape: tuple[int, ...], pairs: list[tuple[int, int]],
                  mode: str) -> Any:
    """``x`` padded by repeating its own elements: each padded axis read through an index
    array (numpy's ``pad`` of ``arange``), so the gradient is indexing's."""
    if mode not in _PAD_MODES:
        raise ValueError(f"{operation_name(name)}: mode must be 'constant', 'reflect', 'replicate' "
                         f"or 'circular', got {mode!r}")
    result = x
    for offset, (before, after) in enumerate(pairs):
        axis = len(shape) - 1 - offset
        size = shape[axis]
        if before == 0 and after == 0:
            continue
        grow = (max(before, 0), max(after, 0))
        limit = {"reflect": size - 1, "circular": size}.get(mode, max(grow))
        if size == 0 or grow[0] > limit or grow[1] > limit:
            raise ValueError(f"{operation_name(name)}: mode {mode!r} pads axis {axis} of size "
                             f"{size} by at most {limit} on each side, got ({before}, {after})")
        index: Any
        if mode == "circular":  # PyTorch crops first, then wraps what is left
            kept = np.arange(size)[max(-before, 0):size - max(-after, 0)]
            index = np.pad(kept, grow, mode="wrap") if len(kept) else kept
        else:
            index = np.pad(np.arange(size), grow, mode=_PAD_MODES[mode])
            index = index[max(-before, 0):len(index) - max(-after, 0)]
        if len(index) <= 0:
            raise ValueError(f"{operation_name(name)}: the widths ({before}, {after}) leave axis "
                             f"{axis} of size {size} empty")
        result = index_select(result, axis, Constant(index.astype(np.int64)))
    return result


@typed.batch_flatten_function
def batch_flatten(x: Any) -> Any:
    """``x`` as ``(B, everything else)``: axis 0 kept, the others joined (``mu.nn.ops.flatten``;
    ``mu.flatten`` joins every axis, the ``Flatten`` layer the axes it is given)."""
    shape = shape_of(x)
    if not shape:
        raise ShapeError(f"{operation_name('batch_flatten')}: needs at least one axis (the batch), "
                         "got a 0-d tensor")
    return reshape(x, (shape[0], math.prod(shape[1:])))
