"""PyTorch's fractional max pooling, ``F.fractional_max_pool2d`` and ``F.fractional_max_pool3d``
(and their ``_with_indices`` forms): the maximum over ``kernel_size`` windows whose starts
advance by a random, fractional step, so that ``output_size`` windows span the input.

Each (sample, channel) draws one number ``u`` in [0, 1) per spatial axis (from mushin's
generator, or PyTorch's ``_random_samples`` of shape ``(N, C, axes)``, the last entry of a 2-d
pooling's for the height and the first for the width, a 3-d pooling's in (depth, height, width)
order). With ``alpha = (size - kernel) / (out - 1)``, window ``i`` starts at ``int((i + u) *
alpha) - int(u * alpha)`` and the last one at ``size - kernel``, computed in the input's dtype as
PyTorch's kernel does. The starts are found on the host side of the graph; each window's first
maximum (its last NaN, if any, as PyTorch's) is then gathered with ``take_along_dim``, whose
gradient puts each output gradient back at that position.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, cast

from mushin import _backend
from mushin._backend import Array
from mushin._check import is_number, operation_name, shape_of
from mushin._random import generator
from mushin._tensor import new_constant, unwrap
from mushin.errors import ShapeError
from mushin.nn.functional.window import ints
from mushin.ops.gather_scatter import take_along_dim
from mushin.ops.shape import reshape

# PyTorch's names for the spatial axes in its error messages.
_AXIS_NAMES = {2: ("height", "width"), 3: ("time", "height", "width")}

# The column of ``_random_samples`` that places each spatial axis's windows, as PyTorch's.
_SAMPLE_COLUMNS = {2: (1, 0), 3: (0, 1, 2)}


def output_ratios(name: str, output_ratio: float | Sequence[float], dims: int
                  ) -> tuple[float, ...]:
    """``output_ratio``, a number (the same on every axis) or ``dims`` numbers, as floats."""
    given = cast("Sequence[Any]",
                 (output_ratio,) * dims if is_number(output_ratio) else output_ratio)
    if (not isinstance(given, tuple | list) or len(given) != dims
            or any(not is_number(ratio) or isinstance(ratio, bool) for ratio in given)):
        raise TypeError(f"{operation_name(name)}: output_ratio must be a number or {dims} numbers, "
                        f"got {output_ratio!r}")
    return tuple(float(ratio) for ratio in given)


def _output_sizes(name: str, dims: int, spatial: tuple[int, ...], kernel: tuple[int, ...],
                  output_size: Any, output_ratio: Any) -> tuple[int, ...]:
    """``output_size`` (an int or one per axis), else ``int(size * ratio)`` per axis; each
    window must fit: ``out + kernel - 1 <= size``."""
    if output_size is not None:
        sizes = ints(name, "output_size", output_size, 0, dims)
    elif output_ratio is not None:
        ratios = output_ratios(name, output_ratio, dims)
        sizes = tuple(int(size * ratio) for size, ratio in zip(spatial, ratios, strict=True))
    else:
        raise ValueError(f"{name} requires specifying either an output_size or an "
                         f"output_ratio")
    for axis, size, reach, out in zip(_AXIS_NAMES[dims], spatial, kernel, sizes, strict=True):
        if out + reach - 1 > size:
            raise ValueError(f"{operation_name(name)}: pool {axis} {reach} too large relative to "
                             f"input {axis} {size} (for an output {axis} of {out})")
    return sizes


def _samples(name: str, dims: int, data: Array, batch: int, channels: int,
             random_samples: Any) -> Array:
    """The ``(N, C, dims)`` numbers in [0, 1) that place the windows: ``random_samples``
    (PyTorch's ``_random_samples``: at least ``N`` rows, the input's dtype) or fresh draws."""
    xp = _backend.namespace_of(data)
    if random_samples is None:
        # the generators draw float32 or float64 only: a narrower dtype's draws are float32
        draw_dtype = data.dtype if data.dtype.itemsize >= 4 else "float32"
        draws = generator(_backend.backend_of(data)).random((batch, channels, dims),
                                                            dtype=draw_dtype)
        return xp.asarray(draws, dtype=data.dtype)
    samples = unwrap(random_samples)
    shape = shape_of(random_samples)
    if len(shape) != 3 or shape[0] < batch or shape[1:] != (channels, dims):
        raise ShapeError(f"{operation_name(name)}: _random_samples must have shape (N, C, {dims}) "
                         f"with at least the input's {batch} rows and its {channels} channels, got "
                         f"shape {shape}")
    if getattr(samples, "dtype", None) != data.dtype:
        raise TypeError(f"{operation_name(name)}: _random_samples must have the input's dtype "
                        f"{data.dtype}, got "
                        f"{getattr(samples, 'dtype', type(random_samples).__name__)}")
    return xp.asarray(samples[:batch])


def _starts(xp: Any, samples: Array, size: int, reach: int, out: int) -> Array:
    """The ``(N, C, out)`` window starts along one axis of ``size``, PyTorch's sequence for
    the ``(N, C)`` samples, in their dtype."""
    dtype = samples.dtype.type
    alpha = dtype(size - reach) / dtype(max(out - 1, 1))
    steps = xp.arange(out - 1, dtype=samples.dtype)
    starts = ((steps + samples[..., None]) * alpha).astype(xp.int64)
    starts -= (samples * alpha).astype(xp.int64)[..., None]
    last = xp.full((*samples.shape, 1 if out else 0), size - reach, dtype=xp.int64)
    result: Array = xp.concatenate([starts, last], axis=-1)
    return result


def _window_positions(xp: Any, samples: Array, spatial: tuple[int, ...],
                      kernel: tuple[int, ...], sizes: tuple[int, ...]) -> Array:
    """The flat position in its plane (volume) of every element of every window: ``(N, C,
    outputs, kernel elements)``, windows and their elements in row-major order."""
    dims = len(spatial)
    batch, channels = samples.shape[:2]
    positions = xp.zeros((batch, channels) + (1,) * (2 * dims), dtype=xp.int64)
    columns = _SAMPLE_COLUMNS[dims]
    for axis, (size, reach, out) in enumerate(zip(spatial, kernel, sizes, strict=True)):
        starts = _starts(xp, samples[..., columns[axis]], size, reach, out)
        along = starts[..., None] + xp.arange(reach)  # (N, C, out, reach)
        shape = [batch, channels] + [1] * (2 * dims)
        shape[2 + axis], shape[2 + dims + axis] = out, reach
        # every later axis is faster: scale this one's positions by their sizes' product
        positions = positions * size + along.reshape(shape)
    return positions.reshape(batch, channels, math.prod(sizes), math.prod(kernel))


def _first_maxima(xp: Any, values: Array) -> Array:
    """The index along the last axis of each row's first maximum, or of its last NaN (PyTorch
    takes every NaN it meets in turn)."""
    chosen: Array = xp.argmax(values, axis=-1)
    if values.dtype.kind == "f":
        nan = xp.isnan(values)
        last_nan = values.shape[-1] - 1 - xp.argmax(nan[..., ::-1], axis=-1)
        chosen = xp.where(nan.any(axis=-1), last_nan, chosen)
    return chosen


def _fractional_max_pool(name: str, dims: int, input: Any, kernel_size: Any, output_size: Any,
                         output_ratio: Any, return_indices: bool, random_samples: Any) -> Any:
    """``fractional_max_pool2d`` or ``fractional_max_pool3d`` (``dims`` 2 or 3)."""
    kernel = ints(name, "kernel_size", kernel_size, 1, dims)
    shape = shape_of(input)
    if len(shape) not in (dims + 1, dims + 2):
        axes = "(N, C, H, W) or (C, H, W)" if dims == 2 else "(N, C, D, H, W) or (C, D, H, W)"
        raise ShapeError(f"{operation_name(name)}: expected an input of shape {axes}, got shape "
                         f"{shape}")
    if 0 in shape[-dims - 1:]:
        raise ShapeError(f"{operation_name(name)}: expected an input with non-zero sizes off the "
                         f"batch axis, got shape {shape}")
    data = unwrap(input)
    if data.dtype.kind != "f":
        raise TypeError(f"{operation_name(name)}: expected a floating tensor, got {data.dtype}")
    batched = len(shape) == dims + 2
    batch, channels = (shape[0], shape[1]) if batched else (1, shape[0])
    spatial = shape[-dims:]
    sizes = _output_sizes(name, dims, spatial, kernel, output_size, output_ratio)
    xp = _backend.namespace_of(data)
    samples = _samples(name, dims, data, batch, channels, random_samples)
    positions = _window_positions(xp, samples, spatial, kernel, sizes)
    planes = reshape(input, (batch, channels, math.prod(spatial)))
    flat = unwrap(planes)
    outputs, elements = positions.shape[2:]
    windows = xp.take_along_axis(flat, positions.reshape(batch, channels, outputs * elements),
                                 axis=2)
    chosen = _first_maxima(xp, windows.reshape(positions.shape))
    index = xp.take_along_axis(positions, chosen[..., None], axis=3)[..., 0]
    lead = shape[:-dims]
    result = reshape(take_along_dim(planes, index, 2), (*lead, *sizes))
    if not return_indices:
        return result
    return result, reshape(new_constant(index), (*lead, *sizes))


def fractional_max_pool2d(input: Any, kernel_size: int | Sequence[int],
                          output_size: int | Sequence[int] | None = None,
                          output_ratio: float | Sequence[float] | None = None,
                          return_indices: bool = False, _random_samples: Any = None) -> Any:
    """PyTorch's ``F.fractional_max_pool2d``: the maxima of ``input`` ``(N, C, H, W)`` or
    ``(C, H, W)`` over ``kernel_size`` windows (an int or (height, width)) placed at random,
    fractional steps so that ``output_size`` of them (an int or a pair; else ``output_ratio``
    times the input's size) span it. ``return_indices=True`` also returns each maximum's
    position ``h * W + w`` in its plane; the gradient goes to each window's first maximum.
    ``_random_samples`` ``(N, C, 2)`` in the input's dtype replaces the draws (width first)."""
    return _fractional_max_pool("fractional_max_pool2d", 2, input, kernel_size, output_size,
                                output_ratio, return_indices, _random_samples)


def fractional_max_pool2d_with_indices(input: Any, kernel_size: int | Sequence[int],
                                       output_size: int | Sequence[int] | None = None,
                                       output_ratio: float | Sequence[float] | None = None,
                                       return_indices: bool = False,
                                       _random_samples: Any = None) -> Any:
    """PyTorch's ``F.fractional_max_pool2d_with_indices``: ``fractional_max_pool2d``
    returning the indices too, whatever ``return_indices`` says (as PyTorch's)."""
    return _fractional_max_pool("fractional_max_pool2d_with_indices", 2, input, kernel_size,
                                output_size, output_ratio, True, _random_samples)


def fractional_max_pool3d(input: Any, kernel_size: int | Sequence[int],
                          output_size: int | Sequence[int] | None = None,
                          output_ratio: float | Sequence[float] | None = None,
                          return_indices: bool = False, _random_samples: Any = None) -> Any:
    """PyTorch's ``F.fractional_max_pool3d``: ``fractional_max_pool2d`` over the depth, the
    height and the width of ``input`` ``(N, C, D, H, W)`` or ``(C, D, H, W)`` (each argument
    an int or three). ``return_indices=True`` also returns each maximum's position ``(d * H +
    h) * W + w`` in its volume. ``_random_samples`` is ``(N, C, 3)``, in (D, H, W) order."""
    return _fractional_max_pool("fractional_max_pool3d", 3, input, kernel_size, output_size,
                                output_ratio, return_indices, _random_samples)


def fractional_max_pool3d_with_indices(input: Any, kernel_size: int | Sequence[int],
                                       output_size: int | Sequence[int] | None = None,
                                       output_ratio: float | Sequence[float] | None = None,
                                       return_indices: bool = False,
                                       _random_samples: Any = None) -> Any:
    """PyTorch's ``F.fractional_max_pool3d_with_indices``: ``fractional_max_pool3d``
    returning the indices too, whatever ``return_indices`` says (as PyTorch's)."""
    return _fractional_max_pool("fractional_max_pool3d_with_indices", 3, input, kernel_size,
                                output_size, output_ratio, True, _random_samples)
