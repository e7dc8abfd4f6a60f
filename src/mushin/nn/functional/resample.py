"""Resampling, PyTorch's: ``interpolate`` (modes ``nearest``, ``nearest-exact``, ``linear``,
``bilinear``, ``bicubic``, ``trilinear`` and ``area``) with its older names ``upsample``,
``upsample_nearest`` and ``upsample_bilinear``; ``pixel_shuffle`` and ``pixel_unshuffle``.

Every mode of ``interpolate`` is separable: along each spatial axis an output element is a
weighted sum of a few input elements of that axis (one for the nearest modes, two for linear,
four for cubic, a whole window for area), its *taps*. A resampling is one ``resample_taps``
primitive per axis that changes: each tap gathered and weighted. Its VJP is the same
primitive with the transposed taps (for each input element, the outputs that read it), a
gather as fast as the forward, and so second derivatives work. The taps are PyTorch's to the
rounding: the nearest modes compute their source positions in float32 and the others in the
input's precision, as its kernels do, so equal sizes and scale factors pick the same pixels.
The adaptive average pools (``pool.py``) are the ``area`` taps.

``pixel_shuffle`` and ``pixel_unshuffle`` are a reshape, a permutation and a reshape.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, cast

import numpy as np

from mushin import _typing as typed
from mushin._backend import Array
from mushin._check import is_int, is_number, operation_name, shape_of
from mushin._graph import Primitive
from mushin._tensor import apply, unwrap
from mushin.errors import ShapeError
from mushin.ops.shape import permute, reshape

Taps = tuple[np.ndarray, np.ndarray | None]
"""The taps of a resampling along one axis: the source index of each tap of each output
element ``(taps, out)``, and their weights ``(taps, out)`` (``None``: one tap, weight 1)."""

# --- the primitive ----------------------------------------------------------------------------


def _along(weights: Array, tap: int, ndim: int, axis: int) -> Array:
    """The weights of ``tap``, shaped to broadcast along ``axis`` of an ``ndim``-d array."""
    return weights[tap].reshape((-1,) + (1,) * (ndim - axis - 1))


def _resample_forward(xp: Any, x: Array, axis: int, index: np.ndarray,
                      weights: np.ndarray | None) -> Array:
    """Each output element along ``axis``: the sum of its taps' elements of ``x`` times their
    weights."""
    sources = xp.asarray(index)
    result = xp.take(x, sources[0], axis=axis)
    if weights is None:
        return result
    scales = xp.asarray(weights, dtype=x.dtype)
    result *= _along(scales, 0, x.ndim, axis)
    for tap in range(1, len(index)):
        result += xp.take(x, sources[tap], axis=axis) * _along(scales, tap, x.ndim, axis)
    return result


def _transposed(index: np.ndarray, weights: np.ndarray | None, size: int) -> Taps:
    """The taps of the adjoint map, onto ``size`` elements: for each element, every output
    that reads it with a non-zero weight, and that weight. An element read by fewer than the
    most read pads its list with its first entry (or output 0) at weight 0."""
    count = int(index.shape[1])
    scales = np.ones(index.shape) if weights is None else weights
    kept = scales.ravel() != 0
    order = np.argsort(index.ravel()[kept], kind="stable")
    sources = index.ravel()[kept][order]
    outputs = np.tile(np.arange(count), len(index))[kept][order]
    values = scales.ravel()[kept][order]
    readers = np.bincount(sources, minlength=size)
    ranks = np.arange(len(sources)) - np.repeat(np.cumsum(readers) - readers, readers)
    first = np.zeros(size, dtype=np.int64)
    first[sources[ranks == 0]] = outputs[ranks == 0]
    adjoint_index = np.tile(first, (max(int(readers.max(initial=0)), 1), 1))
    adjoint_weights = np.zeros(adjoint_index.shape, dtype=scales.dtype)
    adjoint_index[ranks, sources] = outputs
    adjoint_weights[ranks, sources] = values
    return adjoint_index, adjoint_weights


def _resample_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, axis: int,
                  index: np.ndarray, weights: np.ndarray | None) -> tuple[Any]:
    adjoint_index, adjoint_weights = _transposed(index, weights, parents[0].shape[axis])
    return (F.resample_taps(g, axis=axis, index=adjoint_index, weights=adjoint_weights),)


# A linear map of its operand whose adjoint is another (the transposed taps): nothing saved.
# Gathering the adjoint's taps costs what the forward does, where scattering the gradient
# onto the sources (``add.at`` or ``bincount``) costs several times more.
RESAMPLE_TAPS = Primitive("resample_taps", _resample_forward, _resample_vjp, saves="none")


def resample(x: Any, axes_taps: Sequence[tuple[int, Taps | None]]) -> Any:
    """``x`` resampled along each ``axis`` by its taps (``None``: the axis is kept as it is,
    though ``x`` is always copied)."""
    changes = [(axis, taps) for axis, taps in axes_taps if taps is not None]
    if not changes:  # a new tensor all the same, as PyTorch gives
        last = len(shape_of(x)) - 1
        changes = [(last, (np.arange(shape_of(x)[last])[None], None))]
    for axis, (index, weights) in changes:
        x = apply(RESAMPLE_TAPS, x, axis=axis, index=index, weights=weights)
    return x


# --- the taps of each mode --------------------------------------------------------------------

def _precision(dtype: Any) -> Any:
    """The NumPy scalar type PyTorch's kernels compute positions in for ``dtype``: float64 for
    float64, float32 for the rest."""
    return np.float64 if np.dtype(dtype) == np.float64 else np.float32


def _step(real: Any, size_in: int, size_out: int, scale: float | None,
          align_corners: bool) -> Any:
    """The distance in the input between neighbouring outputs, in the type ``real``:
    PyTorch's ``area_pixel_compute_scale`` (``1 / scale`` where a scale factor was given)."""
    if align_corners:
        return real(size_in - 1) / real(size_out - 1) if size_out > 1 else real(0)
    if scale is not None and scale > 0:
        return real(1.0 / scale)
    return real(size_in) / real(size_out)


def _nearest_taps(size_in: int, size_out: int, scale: float | None, exact: bool) -> Taps | None:
    """``nearest`` (``floor(i * step)``) or ``nearest-exact`` (``floor((i + 0.5) * step)``), in
    float32 as PyTorch's CPU kernels; ``None`` where nothing changes."""
    if size_out == size_in and (scale is None or scale == 1):
        return None
    outputs = np.arange(size_out)
    step = _step(np.float32, size_in, size_out, scale, False)
    if exact:  # a double product, then float32, as floorf((i + 0.5) * scale) does
        positions = ((outputs + 0.5) * np.float64(step)).astype(np.float32)
    else:
        positions = outputs.astype(np.float32) * step
    return np.minimum(np.floor(positions).astype(np.int64), size_in - 1)[None], None


def _source_positions(real: Any, size_out: int, step: Any, align_corners: bool,
                      cubic: bool) -> np.ndarray:
    """Where each output falls in the input: PyTorch's ``area_pixel_compute_source_index``
    (clamped at 0 except for cubic)."""
    outputs = np.arange(size_out).astype(real)
    if align_corners:
        return np.asarray(step * outputs)
    positions = np.asarray(step * (outputs + real(0.5)) - real(0.5))
    return positions if cubic else np.maximum(positions, real(0))


def _split(real: Any, positions: np.ndarray, size_in: int) -> tuple[np.ndarray, np.ndarray]:
    """Each position's input index at or below it (floored in float32, as PyTorch's
    ``floorf``) and its fraction past that index, in [0, 1]."""
    below = np.minimum(np.floor(positions.astype(np.float32)).astype(np.int64), size_in - 1)
    fraction = np.clip(positions - below.astype(real), real(0), real(1)).astype(real)
    return below, fraction


def _linear_taps(size_in: int, size_out: int, scale: float | None, align_corners: bool,
                 dtype: Any) -> Taps | None:
    """Linear interpolation between the two inputs around each output's position (one at the
    last); ``None`` where the size is kept, which PyTorch copies whatever the scale."""
    if size_out == size_in:
        return None
    real = _precision(dtype)
    step = _step(real, size_in, size_out, scale, align_corners)
    below, fraction = _split(real, _source_positions(real, size_out, step, align_corners,
                                                     False), size_in)
    above = below + (below < size_in - 1)
    return np.stack([below, above]), np.stack([real(1) - fraction, fraction])


def _cubic(real: Any, t: np.ndarray) -> np.ndarray:
    """The four weights of cubic convolution (``A = -0.75``) at a fraction ``t``."""
    a = real(-0.75)

    def near(x: np.ndarray) -> np.ndarray:  # |x| <= 1
        return np.asarray(((a + 2) * x - (a + 3)) * x * x + 1)

    def far(x: np.ndarray) -> np.ndarray:  # 1 < |x| < 2
        return np.asarray(((a * x - 5 * a) * x + 8 * a) * x - 4 * a)

    return np.stack([far(t + real(1)), near(t), near(real(1) - t), far(real(2) - t)])


def _cubic_taps(size_in: int, size_out: int, scale: float | None, align_corners: bool,
                dtype: Any) -> Taps:
    """Cubic convolution over the four inputs around each output's position, indices clamped
    to the input (PyTorch's bicubic; it has no shortcut for a kept size)."""
    real = _precision(dtype)
    step = _step(real, size_in, size_out, scale, align_corners)
    below, fraction = _split(real, _source_positions(real, size_out, step, align_corners,
                                                     True), size_in)
    index = np.clip(below + np.arange(-1, 3)[:, None], 0, size_in - 1)
    return index, _cubic(real, fraction).astype(real)


def adaptive_windows(size_in: int, size_out: int) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's adaptive windows, from ``floor(i * L / out)`` to ``ceil((i + 1) * L / out)``
    for ``L = size_in``: the input index of each element of each window ``(K, out)`` (a window
    shorter than ``K`` repeats its last element) and each window's width."""
    outputs = np.arange(size_out)
    starts = outputs * size_in // size_out
    ends = -(-(outputs + 1) * size_in // size_out)
    widths = ends - starts
    offsets = np.arange(int(widths.max(initial=1)))[:, None]
    return np.minimum(starts + offsets, ends - 1), widths


def average_taps(size_in: int, size_out: int, dtype: Any) -> Taps:
    """The mean of each adaptive window (PyTorch's adaptive average pooling and ``area``
    mode): a window's repeated elements weigh 0."""
    index, widths = adaptive_windows(size_in, size_out)
    inside = np.arange(len(index))[:, None] < widths
    return index, np.where(inside, 1.0 / widths, 0.0).astype(dtype)


# --- interpolate ------------------------------------------------------------------------------

_MODES = {"nearest": None, "nearest-exact": None, "area": None, "linear": 3, "bilinear": 4,
          "bicubic": 4, "trilinear": 5}
"""Each mode and the number of axes of the input it needs (``None``: 3, 4 or 5)."""


def _per_axis(value: Any, dims: int) -> list[Any]:
    """An argument given once for every axis, or per axis, as one item per axis given."""
    if isinstance(value, tuple | list):
        return list(cast("Sequence[Any]", value))
    return [value] * dims


def _sizes(name: str, shape: tuple[int, ...], size: Any, scale_factor: Any,
           recompute_scale_factor: bool | None
           ) -> tuple[tuple[int, ...], tuple[float | None, ...]]:
    """The output's spatial sizes and the scale of each axis that the positions use (``None``
    where they follow from the sizes), as PyTorch's ``interpolate`` settles them."""
    dims = len(shape) - 2
    if size is not None and scale_factor is not None:
        raise ValueError(f"{operation_name(name)}: only one of size or scale_factor should be "
                         "defined")
    if size is None and scale_factor is None:
        raise ValueError(f"{operation_name(name)}: either size or scale_factor should be defined")
    scales: tuple[float | None, ...] = (None,) * dims
    if size is not None:
        if recompute_scale_factor:
            raise ValueError(f"{operation_name(name)}: recompute_scale_factor is not meaningful "
                             "with an explicit size")
        sizes = _per_axis(size, dims)
        if len(sizes) != dims or any(not is_int(item) for item in sizes):
            raise (ValueError if len(sizes) != dims else TypeError)(
                f"{operation_name(name)}: size must be an int or {dims} ints for an input of "
                f"shape {shape} "
                f"({dims} spatial axes), got {size!r}")
        outputs = tuple(int(item) for item in sizes)
    else:
        factors = _per_axis(scale_factor, dims)
        if len(factors) != dims or any(not is_number(item) for item in factors):
            raise (ValueError if len(factors) != dims else TypeError)(
                f"{operation_name(name)}: scale_factor must be a number or {dims} numbers for "
                "an input of "
                f"shape {shape} ({dims} spatial axes), got {scale_factor!r}")
        outputs = tuple(math.floor(length * float(factor))
                        for length, factor in zip(shape[2:], factors, strict=True))
        if not recompute_scale_factor:
            scales = tuple(float(factor) for factor in factors)
    if min(outputs) <= 0 or min(shape[2:]) <= 0:
        raise ValueError(f"{operation_name(name)}: input and output sizes should be greater than "
                         f"0, got an input of shape {shape} and output sizes {outputs}")
    return outputs, scales


def _check_mode(name: str, ndim: int, mode: str, align_corners: bool | None,
                antialias: bool) -> None:
    """``NotImplementedError`` for an unknown mode or one given the wrong number of axes,
    ``ValueError`` for ``align_corners`` where it does not apply (PyTorch's classes)."""
    if not isinstance(mode, str) or mode not in _MODES:
        modes = ", ".join(map(repr, _MODES))
        raise NotImplementedError(f"{operation_name(name)}: mode must be one of {modes}, got "
                                  f"{mode!r}")
    if align_corners is not None and _MODES[mode] is None:
        raise ValueError(f"{operation_name(name)}: align_corners option can only be set with the "
                         f"interpolating modes: linear | bilinear | bicubic | trilinear, "
                         f"not {mode!r}")
    if antialias:
        raise NotImplementedError(f"{operation_name(name)}: antialias=True is not supported")
    needed = _MODES[mode]
    if ndim not in (3, 4, 5) or (needed is not None and ndim != needed):
        wanted = "3, 4 or 5" if needed is None else str(needed)
        raise NotImplementedError(f"{operation_name(name)}: mode {mode!r} needs an input of "
                                  f"{wanted} axes (N, C, d1, ...), got {ndim} axes")


@typed.runtime_shape_function
def interpolate(input: Any, size: int | Sequence[int] | None = None,
                scale_factor: float | Sequence[float] | None = None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Any:
    """PyTorch's ``F.interpolate``: ``input`` ``(N, C, d1, ...)`` (1 to 3 spatial axes)
    resized to ``size`` or by ``scale_factor`` (output sizes ``floor(d * scale_factor)``).

    ``mode`` is ``"nearest"`` (PyTorch's legacy rounding), ``"nearest-exact"``, ``"linear"``
    (3 axes), ``"bilinear"`` or ``"bicubic"`` (4), ``"trilinear"`` (5), or ``"area"`` (the
    adaptive average pool); the interpolating modes take ``align_corners`` (default False).
    A given scale factor places the samples (``1 / scale_factor`` apart) unless
    ``recompute_scale_factor=True``, which places them by the sizes. ``antialias`` is not
    supported.
    """
    name = "interpolate"
    shape = shape_of(input)
    _check_mode(name, len(shape), mode, align_corners, antialias)
    outputs, scales = _sizes(name, shape, size, scale_factor, recompute_scale_factor)
    corners = bool(align_corners)
    dtype = unwrap(input).dtype
    axes_taps: list[tuple[int, Taps | None]] = []
    for axis in reversed(range(2, len(shape))):  # the last axis first, as it is contiguous
        size_in, size_out, scale = shape[axis], outputs[axis - 2], scales[axis - 2]
        taps: Taps | None
        if mode in ("nearest", "nearest-exact"):
            taps = _nearest_taps(size_in, size_out, scale, mode == "nearest-exact")
        elif mode == "area":
            taps = None if size_out == size_in else average_taps(size_in, size_out, dtype)
        elif mode == "bicubic":
            taps = _cubic_taps(size_in, size_out, scale, corners, dtype)
        else:
            taps = _linear_taps(size_in, size_out, scale, corners, dtype)
        axes_taps.append((axis, taps))
    return resample(input, axes_taps)


@typed.runtime_shape_function
def upsample(input: Any, size: int | Sequence[int] | None = None,
             scale_factor: float | Sequence[float] | None = None, mode: str = "nearest",
             align_corners: bool | None = None) -> Any:
    """PyTorch's deprecated ``F.upsample``: ``interpolate``."""
    return interpolate(input, size, scale_factor, mode, align_corners)


@typed.runtime_shape_function
def upsample_nearest(input: Any, size: int | Sequence[int] | None = None,
                     scale_factor: float | Sequence[float] | None = None) -> Any:
    """PyTorch's deprecated ``F.upsample_nearest``: ``interpolate(..., mode="nearest")``."""
    return interpolate(input, size, scale_factor, mode="nearest")


@typed.runtime_shape_function
def upsample_bilinear(input: Any, size: int | Sequence[int] | None = None,
                      scale_factor: float | Sequence[float] | None = None) -> Any:
    """PyTorch's deprecated ``F.upsample_bilinear``: ``interpolate(..., mode="bilinear",
    align_corners=True)``."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# --- pixel shuffle ----------------------------------------------------------------------------

def positive_factor(name: str, argument: str, value: Any) -> int:
    """``value`` as a positive int; ``ValueError`` otherwise."""
    if not is_int(value) or value < 1:
        raise ValueError(f"{operation_name(name)}: {argument} must be a positive int, got "
                         f"{value!r}")
    return int(value)


def _image_axes(name: str, shape: tuple[int, ...]) -> tuple[int, int, int]:
    """The channels, height and width of an input of at least 3 axes."""
    if len(shape) < 3:
        raise ShapeError(f"{operation_name(name)}: expected an input of shape (*, C, H, W) with at "
                         f"least 3 axes, got shape {shape}")
    return shape[-3], shape[-2], shape[-1]


@typed.runtime_shape_function
def pixel_shuffle(input: Any, upscale_factor: int) -> Any:
    """PyTorch's ``F.pixel_shuffle``: ``(*, C * r * r, H, W)`` to ``(*, C, H * r, W * r)``
    with ``r = upscale_factor``, each channel's ``r * r`` block of channels spread over an
    ``r`` by ``r`` block of pixels."""
    name = "pixel_shuffle"
    shape = shape_of(input)
    factor = positive_factor(name, "upscale_factor", upscale_factor)
    channels, height, width = _image_axes(name, shape)
    lead = shape[:-3]
    if channels % (factor * factor):
        raise ShapeError(f"{operation_name(name)}: the channels of the input of shape {shape} "
                         f"({channels}) must be divisible by upscale_factor squared "
                         f"({factor * factor})")
    n = len(lead)
    blocks = reshape(input, (*lead, channels // factor ** 2, factor, factor, height, width))
    spread = permute(blocks, (*range(n), n, n + 3, n + 1, n + 4, n + 2))
    return reshape(spread, (*lead, channels // factor ** 2, height * factor, width * factor))


@typed.runtime_shape_function
def pixel_unshuffle(input: Any, downscale_factor: int) -> Any:
    """PyTorch's ``F.pixel_unshuffle``, the inverse of ``pixel_shuffle``: ``(*, C, H * r,
    W * r)`` to ``(*, C * r * r, H, W)`` with ``r = downscale_factor``."""
    name = "pixel_unshuffle"
    shape = shape_of(input)
    factor = positive_factor(name, "downscale_factor", downscale_factor)
    channels, height, width = _image_axes(name, shape)
    lead = shape[:-3]
    if height % factor or width % factor:
        raise ShapeError(f"{operation_name(name)}: the height and width of the input of shape "
                         f"{shape} must be divisible by downscale_factor ({factor})")
    n = len(lead)
    blocks = reshape(input, (*lead, channels, height // factor, factor, width // factor,
                             factor))
    gathered = permute(blocks, (*range(n), n, n + 2, n + 4, n + 1, n + 3))
    return reshape(gathered, (*lead, channels * factor ** 2, height // factor,
                              width // factor))
