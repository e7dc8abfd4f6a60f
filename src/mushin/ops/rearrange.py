"""Operations that rearrange or copy a tensor's elements, PyTorch's names: repeats (``repeat``,
``tile``, ``repeat_interleave``), flips, rolls and rotations (``flip``, ``fliplr``, ``flipud``,
``roll``, ``rot90``), copies (``clone``, ``contiguous``) and moving between devices
(``to_device``, which ``x.to(device)`` uses).

A repeat is one broadcast between two reshapes, so its gradient sums over the copies; a flip's
or a roll's gradient is flipped or rolled back; a copy's passes through unchanged.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from mushin import _backend
from mushin._check import host_array, integer, is_int, normalize_axis, operation_name, shape_of
from mushin._graph import Primitive
from mushin._surface import exported, method
from mushin._tensor import Constant, apply, host_range, new_constant, unwrap
from mushin.errors import ShapeError
from mushin.ops.shape import (
    BROADCAST_TO,
    RESHAPE,
    items_of,
    one_axis,
    ravel,
    sizes_argument,
    swap_axes,
)
from mushin.ops.slicing import getitem

TO_DEVICE = Primitive("to_device",
                      lambda xp, x, device, source: _backend.backend(device).asarray(x),
                      lambda F, g, inputs, out, parents, device, source: (
                          F.to_device(g, device=source, source=device),), saves="none")

FLIP = Primitive("flip", lambda xp, x, dims: xp.flip(x, axis=dims) if dims else x,
                 lambda F, g, inputs, out, parents, dims: (F.flip(g, dims=dims),), saves="none")
ROLL = Primitive("roll", lambda xp, x, shifts, dims: xp.roll(x, shifts, axis=dims) if dims else x,
                 lambda F, g, inputs, out, parents, shifts, dims: (
                     F.roll(g, shifts=tuple(-shift for shift in shifts), dims=dims),),
                 saves="none")
CLONE = Primitive("clone", lambda xp, x: xp.array(x, copy=True),
                  lambda F, g, inputs, out, parents: (g,), saves="none")


# --- repeats ------------------------------------------------------------------------------------

def _repeat(name: str, x: Any, repeats: tuple[int, ...]) -> Any:
    """``x`` (with leading size-1 axes up to ``len(repeats)``) repeated ``repeats[i]`` times
    along axis ``i``, whole copies after one another: one broadcast between two reshapes."""
    shape = shape_of(x)
    for count in repeats:
        if not is_int(count):
            raise TypeError(f"{operation_name(name)}: repeats must be ints, got {repeats}")
        if count < 0:
            raise ValueError(f"{operation_name(name)}: repeats must be non-negative ints, got "
                             f"{repeats}")
    full = (1,) * (len(repeats) - len(shape)) + shape
    spread = tuple(size for pair in zip((1,) * len(full), full, strict=True) for size in pair)
    wide = tuple(size for pair in zip(repeats, full, strict=True) for size in pair)
    result = apply(BROADCAST_TO, apply(RESHAPE, x, shape=spread), shape=wide)
    return apply(RESHAPE, result, shape=tuple(
        count * size for count, size in zip(repeats, full, strict=True)))


@method("repeat", typing="runtime_shape_method")
def repeat(x: Any, *sizes: Any) -> Any:
    """``x.repeat(2, 3)``: ``x`` tiled ``sizes[i]`` times along axis ``i`` (at least one size
    per axis; extra sizes add leading axes). The gradient sums over the copies."""
    repeats = sizes_argument("repeat", "sizes", sizes)
    if len(repeats) < len(shape_of(x)):
        raise ValueError(f"repeat: {len(repeats)} repeats {repeats} for a tensor of shape "
                         f"{shape_of(x)}: give at least one per axis")
    return _repeat("repeat", x, repeats)


@exported("runtime_shape_function")
@method("tile", typing="runtime_shape_method")
def tile(x: Any, dims: Any) -> Any:
    """``x`` tiled ``dims[i]`` times along axis ``i``; fewer ``dims`` than axes are padded
    with 1s in front (unlike ``repeat``)."""
    repeats = sizes_argument("tile", "dims", (dims,))
    ndim = len(shape_of(x))
    return _repeat("tile", x, (1,) * (ndim - len(repeats)) + repeats)


def _host_ints(name: str, value: Any) -> Any:
    """Integer values (a tensor, an array or a list) as a NumPy int64 array on the host."""
    data = unwrap(value)
    if hasattr(data, "dtype") and not isinstance(data, np.ndarray | np.generic):
        data = data.get()  # a CuPy array
    array: np.ndarray[Any, Any] = host_array(name, data)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{operation_name(name)}: expected integers, got values of dtype "
                        f"{array.dtype}")
    return array.astype(np.int64)


@exported("runtime_shape_function")
@method("repeat_interleave", typing="runtime_shape_method")
def repeat_interleave(x: Any, repeats: Any = None, dim: Any = None, *,
                      output_size: Any = None) -> Any:
    """Each element repeated ``repeats`` times (an int, or one count per element along
    ``dim``) in place, along ``dim`` (of the flattened ``x`` by default). With ``x`` alone,
    integer counts: the indices ``0, 1, ...`` each repeated its count (a ``Constant``)."""
    if repeats is None:
        counts = _host_ints("repeat_interleave", x)
        if counts.ndim != 1 or (counts < 0).any():
            raise ValueError("repeat_interleave: counts must be a 1-D tensor of non-negative "
                             f"ints, got shape {counts.shape}")
        positions = np.repeat(np.arange(len(counts)), counts)
        data = unwrap(x)
        return new_constant(_backend.backend_of(data).asarray(positions)
                            if hasattr(data, "dtype") else positions)
    if dim is None:
        x = ravel(x)
        dim = 0
    shape = shape_of(x)
    axis = one_axis("repeat_interleave", dim, len(shape))
    if not shape:
        x, shape = apply(RESHAPE, x, shape=(1,)), (1,)
    if is_int(repeats) or (hasattr(unwrap(repeats), "dtype") and shape_of(repeats) in ((), (1,))):
        count = integer("repeat_interleave", "repeats", repeats) if is_int(repeats) else int(
            _host_ints("repeat_interleave", repeats).reshape(()))
        if count < 0:
            raise ValueError(f"repeat_interleave: repeats must not be negative, got {count}")
        total = shape[axis] * count
        if output_size is not None and output_size != total:
            raise ValueError(f"repeat_interleave: output_size {output_size} but the result has "
                             f"{total} along dim {dim}")
        spread = (*shape[:axis + 1], 1, *shape[axis + 1:])
        wide = (*shape[:axis + 1], count, *shape[axis + 1:])
        result = apply(BROADCAST_TO, apply(RESHAPE, x, shape=spread), shape=wide)
        return apply(RESHAPE, result, shape=(*shape[:axis], total, *shape[axis + 1:]))
    counts = _host_ints("repeat_interleave", repeats)
    if counts.shape != (shape[axis],) or (counts < 0).any():
        raise ValueError(f"repeat_interleave: repeats must hold one non-negative count per "
                         f"element of dim {dim} (size {shape[axis]}), got shape {counts.shape}")
    positions = np.repeat(np.arange(shape[axis]), counts)
    if output_size is not None and output_size != len(positions):
        raise ValueError(f"repeat_interleave: output_size {output_size} but the result has "
                         f"{len(positions)} along dim {dim}")
    return getitem(x, (slice(None),) * axis + (positions,))


# --- flips and rolls ----------------------------------------------------------------------------

@exported("same_type_function")
@method("flip", typing="same_type_method")
def flip(x: Any, *args: Any, dims: Any = None) -> Any:
    """``x`` reversed along the axes ``dims`` (``mu.flip(x, (0, 1))``, ``x.flip(0, 1)``,
    ``dims=``). The gradient is flipped back."""
    shape = shape_of(x)
    if dims is not None and args:
        raise TypeError("flip: give the axes positionally or as dims=, not both")
    if dims is None and not args:
        raise TypeError("flip: missing the axes to flip (dims)")
    axes = sizes_argument("flip", "dims", args if dims is None else (dims,))
    chosen = normalize_axis("flip", axes, builtins.max(len(shape), 1)) or ()
    return apply(FLIP, x, dims=chosen if shape else ())


@exported("same_type_function")
@method("fliplr", typing="same_type_method")
def fliplr(x: Any) -> Any:
    """``x`` reversed along axis 1 (left to right); needs at least 2 axes."""
    shape = shape_of(x)
    if len(shape) < 2:
        raise ShapeError(f"fliplr: needs at least 2 axes, got shape {shape}")
    return apply(FLIP, x, dims=(1,))


@exported("same_type_function")
@method("flipud", typing="same_type_method")
def flipud(x: Any) -> Any:
    """``x`` reversed along axis 0 (up to down); needs at least 1 axis."""
    shape = shape_of(x)
    if not shape:
        raise ShapeError("flipud: needs at least 1 axis, got a 0-d tensor")
    return apply(FLIP, x, dims=(0,))


@exported("same_type_function")
@method("roll", typing="same_type_method")
def roll(x: Any, shifts: Any, dims: Any = None) -> Any:
    """``x`` shifted circularly by ``shifts`` along ``dims`` (ints or tuples of one length);
    without ``dims``, the flattened ``x`` is rolled and its shape restored."""
    shape = shape_of(x)
    steps = items_of(shifts)
    if builtins.any(not is_int(step) for step in steps):
        raise TypeError(f"roll: shifts must be ints, got {shifts!r}")
    if dims is None:
        if len(steps) != 1:
            raise ValueError(f"roll: {len(steps)} shifts need as many dims, got none")
        flat = apply(ROLL, ravel(x), shifts=(int(steps[0]),), dims=(0,))
        return apply(RESHAPE, flat, shape=shape)
    axes = items_of(dims)
    if len(axes) != len(steps):
        raise ValueError(f"roll: shifts {steps} and dims {axes} must have the same length")
    chosen = tuple(one_axis("roll", axis, len(shape)) for axis in axes)
    if not shape:
        return apply(ROLL, x, shifts=(), dims=())
    return apply(ROLL, x, shifts=tuple(int(step) for step in steps), dims=chosen)


@exported("runtime_shape_function")
@method("rot90", typing="runtime_shape_method")
def rot90(x: Any, k: int = 1, dims: Any = (0, 1)) -> Any:
    """``x`` rotated by ``k`` quarter turns in the plane of the two axes ``dims``, from the
    first towards the second."""
    shape = shape_of(x)
    axes = items_of(dims)
    if len(axes) != 2:
        raise ValueError(f"rot90: dims must name two axes, got {dims!r}")
    if len(shape) < 2:
        raise ShapeError(f"rot90: needs at least 2 axes, got shape {shape}")
    if not is_int(k):
        raise TypeError(f"rot90: k must be an int, got {k!r}")
    first, second = (one_axis("rot90", axis, len(shape)) for axis in axes)
    if first == second:
        raise ValueError(f"rot90: dims must be two different axes, got {dims!r}")
    turns = int(k) % 4
    if turns == 0:
        return clone(x)
    if turns == 2:
        return apply(FLIP, x, dims=tuple(sorted((first, second))))
    flipped = apply(FLIP, x, dims=(second if turns == 1 else first,))
    return swap_axes("rot90", flipped, first, second)


# --- copies -----------------------------------------------------------------------------------

@method("contiguous", typing="same_type_method")
def contiguous(x: Any, memory_format: Any = None) -> Any:
    """``x`` itself: mushin's tensors need no particular memory layout."""
    return x


@exported("same_type_function")
@method("clone", typing="same_type_method")
def clone(x: Any, *, memory_format: Any = None) -> Any:
    """A copy of ``x`` with its own memory; the gradient passes through unchanged."""
    return apply(CLONE, x)


# --- moving between devices ---------------------------------------------------------------------

def to_device(x: Any, device: str) -> Any:
    """``x`` copied to ``device`` (``x`` itself if it is already there).

    A ``Variable`` copy stays in the graph: gradients flow back to the original device.
    """
    target = _backend.backend(device)
    source = _backend.backend_of(unwrap(x))
    if target is source:
        return x
    moved: Any = apply(TO_DEVICE, x, device=target.device, source=source.device)
    if moved.__class__ is Constant and source is _backend.CPU:
        bounds = host_range(x)
        if bounds is not None:
            moved._range = bounds
    return moved
