"""Spatial transformers, PyTorch's: ``affine_grid`` (the sampling grid of a batch of affine
maps) and ``grid_sample`` (an input read at a grid's positions), for 4-d ``(N, C, H, W)`` and
5-d ``(N, C, D, H, W)`` inputs.

A sample is a weighted sum of a few input pixels, its *taps*: the 2 ** d corners around its
position (``bilinear``), the nearest pixel (``nearest``) or the 4 by 4 pixels around it
(``bicubic``, 4-d only). The taps' integer positions and whether they fall inside the input
are computed on the arrays, never differentiated (PyTorch's gradient does not see them); the
weights are mushin operations on the grid and the pixels a ``take_along_dim`` of the input's
flattened planes, so the gradients with respect to both (and to ``theta`` through
``affine_grid``) are the composition's and equal PyTorch's kernels. The padding modes move a
position (``border``: clamped, ``reflection``: reflected at the edges, then clamped) as
PyTorch's ``grid_sampler_compute_source_index`` does; a tap outside the input reads 0.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

import numpy as np

from mushin._backend import namespace_of
from mushin._check import as_sequence, is_int, operation_name, shape_of
from mushin._tensor import Constant, Tensor, Variable, new_constant, unwrap
from mushin.errors import ShapeError
from mushin.ops.elementwise import abs, clamp, where
from mushin.ops.gather_scatter import take_along_dim
from mushin.ops.linalg import matmul
from mushin.ops.shape import matrix_transpose, reshape

if TYPE_CHECKING:
    from mushin._typing import AnyShape, Untyped

N = TypeVar("N")
C = TypeVar("C")
D = TypeVar("D")
H = TypeVar("H")
W = TypeVar("W")

_MODES = ("bilinear", "nearest", "bicubic")
_PADDINGS = ("zeros", "border", "reflection")


# --- positions --------------------------------------------------------------------------------

def _unnormalize(coord: Any, size: int, align_corners: bool) -> Any:
    """A grid coordinate in [-1, 1] as a position in pixels along an axis of ``size``:
    -1 and 1 are the corner pixels' centres (``align_corners``) or their outer edges."""
    if align_corners:
        return (coord + 1) / 2 * (size - 1)
    return ((coord + 1) * size - 1) / 2


def _reflect(position: Any, twice_low: int, twice_high: int) -> Any:
    """``position`` reflected into ``[twice_low / 2, twice_high / 2]`` at its ends, as often
    as it takes (PyTorch's ``reflect_coordinates``)."""
    if twice_low == twice_high:
        return position * 0
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    distance = abs(position - low)
    xp = namespace_of(unwrap(distance))
    flips = xp.floor(unwrap(distance) / span)
    extra = distance - new_constant(flips * span)  # fmod(distance, span), its gradient 1
    return where(new_constant(flips % 2 == 0), extra + low, span - extra + low)


def _padded(position: Any, size: int, padding_mode: str, align_corners: bool) -> Any:
    """``position`` moved by the padding mode: kept (``zeros``), clamped to the input
    (``border``) or reflected at its edges and clamped (``reflection``)."""
    if padding_mode == "zeros":
        return position
    if padding_mode == "reflection":
        position = (_reflect(position, 0, 2 * (size - 1)) if align_corners
                    else _reflect(position, -1, 2 * size - 1))
    return clamp(position, 0, size - 1)


def _cubic_weights(t: Any) -> list[Any]:
    """The four weights of cubic convolution (``A = -0.75``) at a fraction ``t``."""
    a = -0.75

    def near(x: Any) -> Any:  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x: Any) -> Any:  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


# --- taps -------------------------------------------------------------------------------------

Tap = tuple[list[Any], Any]
"""One tap of every sample: its integer position along each spatial axis (backend arrays
``(N, L)``, the last axis first) and its weight (a tensor ``(N, L)``, or None for 1)."""


def _linear_taps(positions: list[Any]) -> list[Tap]:
    """The 2 ** d corners around each position, weighted by the products of the fractions."""
    per_axis: list[list[tuple[Any, Any]]] = []
    for position in positions:
        below = namespace_of(unwrap(position)).floor(unwrap(position))
        fraction = position - new_constant(below)
        below = below.astype("int64")
        per_axis.append([(below, 1 - fraction), (below + 1, fraction)])
    return _products(per_axis)


def _products(per_axis: list[list[tuple[Any, Any]]]) -> list[Tap]:
    """Every combination of one tap per axis, weighted by the product of their weights."""
    taps: list[Tap] = []
    for combination in itertools.product(*per_axis):
        weight = combination[0][1]
        for _, factor in combination[1:]:
            weight = weight * factor
        taps.append(([index for index, _ in combination], weight))
    return taps


def _nearest_taps(positions: list[Any]) -> list[Tap]:
    """The pixel nearest each position, halves rounded to even (PyTorch's ``nearbyint``)."""
    indices = [namespace_of(unwrap(p)).rint(unwrap(p)).astype("int64") for p in positions]
    return [(indices, None)]


def _cubic_taps(positions: list[Any], sizes: list[int], padding_mode: str,
                align_corners: bool) -> list[Tap]:
    """The 4 by 4 pixels around each (unpadded) position, weighted by cubic convolution; the
    padding mode moves each tap's integer position (PyTorch's ``get_value_bounded``)."""
    per_axis: list[list[tuple[Any, Any]]] = []
    for position, size in zip(positions, sizes, strict=True):
        below = namespace_of(unwrap(position)).floor(unwrap(position))
        weights = _cubic_weights(position - new_constant(below))
        axis_taps: list[tuple[Any, Any]] = []
        for offset, weight in zip(range(-1, 3), weights, strict=True):
            moved = _padded(new_constant(below + offset), size, padding_mode, align_corners)
            axis_taps.append((unwrap(moved).astype("int64"), weight))
        per_axis.append(axis_taps)
    return _products(per_axis)


def _read(input: Any, taps: list[Tap]) -> Any:
    """The weighted sum of ``input``'s ``(N, C, *spatial)`` pixels at the taps, ``(N, C, L)``;
    a tap outside the input reads 0."""
    shape = shape_of(input)
    spatial = shape[2:]
    planes = reshape(input, (shape[0], shape[1], math.prod(spatial)))
    total: Any = None
    for indices, weight in taps:
        xp = namespace_of(indices[0])
        inside = xp.ones(indices[0].shape, dtype=bool)
        flat = xp.zeros(indices[0].shape, dtype="int64")
        stride = 1
        for index, size in zip(indices, reversed(spatial), strict=True):
            inside &= (index >= 0) & (index < size)
            flat += index * stride
            stride *= size
        flat = xp.where(inside, flat, 0)
        pixels = take_along_dim(planes, flat[:, None, :], dim=2)
        mask = new_constant(inside.astype(unwrap(planes).dtype))
        scale = mask if weight is None else weight * mask
        term = pixels * reshape(scale, (shape[0], 1, -1))
        total = term if total is None else total + term
    return total


# --- the functions ----------------------------------------------------------------------------

def _check_grid(name: str, input_shape: tuple[int, ...], grid_shape: tuple[int, ...],
                mode: str, padding_mode: str) -> None:
    """``ValueError`` for an unknown mode or padding mode, ``ShapeError`` for an input and a
    grid that do not fit each other."""
    if mode not in _MODES:
        raise ValueError(f"{operation_name(name)}: mode must be 'bilinear', 'nearest' or "
                         f"'bicubic', got {mode!r}")
    if padding_mode not in _PADDINGS:
        raise ValueError(f"{operation_name(name)}: padding_mode must be 'zeros', 'border' or "
                         f"'reflection', got {padding_mode!r}")
    dims = len(input_shape) - 2
    if dims not in (2, 3):
        raise ShapeError(f"{operation_name(name)}: expected an input of shape (N, C, H, W) "
                         f"or (N, C, D, H, W), got shape {input_shape}")
    wanted = "(N, H_out, W_out, 2)" if dims == 2 else "(N, D_out, H_out, W_out, 3)"
    if len(grid_shape) != dims + 2 or grid_shape[-1] != dims or grid_shape[0] != input_shape[0]:
        raise ShapeError(f"{operation_name(name)}: expected a grid of shape {wanted} with N = "
                         f"{input_shape[0]} for an input of shape {input_shape}, got shape "
                         f"{grid_shape}")
    if mode == "bicubic" and dims != 2:
        raise ShapeError(f"{operation_name(name)}: mode 'bicubic' needs a 4-d input (N, C, H, W), "
                         f"got shape {input_shape}")
    if min(input_shape[2:]) <= 0:
        raise ShapeError(f"{operation_name(name)}: expected an input with non-empty spatial axes, "
                         f"got shape {input_shape}")


# (N, C, H_in, W_in) read at a grid (N, H, W, 2) gives (N, C, H, W), and in 5-d (N, C, D, H, W)
# from a grid (N, D, H, W, 3): a Variable when either is one.
@overload
def grid_sample(input: Untyped, grid: Any, mode: str = ..., padding_mode: str = ...,
                align_corners: bool | None = ...) -> Untyped: ...
@overload
def grid_sample(input: Tensor[*AnyShape], grid: Untyped, mode: str = ..., padding_mode: str = ...,
                align_corners: bool | None = ...) -> Untyped: ...
@overload
def grid_sample(input: Variable[N, C, Any, Any], grid: Tensor[N, H, W, Literal[2]],
                mode: str = ..., padding_mode: str = ...,
                align_corners: bool | None = ...) -> Variable[N, C, H, W]: ...
@overload
def grid_sample(input: Tensor[N, C, Any, Any], grid: Variable[N, H, W, Literal[2]],
                mode: str = ..., padding_mode: str = ...,
                align_corners: bool | None = ...) -> Variable[N, C, H, W]: ...
@overload
def grid_sample(input: Constant[N, C, Any, Any], grid: Constant[N, H, W, Literal[2]],
                mode: str = ..., padding_mode: str = ...,
                align_corners: bool | None = ...) -> Constant[N, C, H, W]: ...
@overload
def grid_sample(input: Tensor[N, C, Any, Any], grid: Tensor[N, H, W, Literal[2]],
                mode: str = ..., padding_mode: str = ...,
                align_corners: bool | None = ...) -> Tensor[N, C, H, W]: ...
@overload
def grid_sample(input: Variable[N, C, Any, Any, Any], grid: Tensor[N, D, H, W, Literal[3]],
                mode: str = ..., padding_mode: str = ...,
                align_corners: bool | None = ...) -> Variable[N, C, D, H, W]: ...
@overload
def grid_sample(input: Tensor[N, C, Any, Any, Any], grid: Variable[N, D, H, W, Literal[3]],
                mode: str = ..., padding_mode: str = ...,
                align_corners: bool | None = ...) -> Variable[N, C, D, H, W]: ...
@overload
def grid_sample(input: Constant[N, C, Any, Any, Any], grid: Constant[N, D, H, W, Literal[3]],
                mode: str = ..., padding_mode: str = ...,
                align_corners: bool | None = ...) -> Constant[N, C, D, H, W]: ...
@overload
def grid_sample(input: Tensor[N, C, Any, Any, Any], grid: Tensor[N, D, H, W, Literal[3]],
                mode: str = ..., padding_mode: str = ...,
                align_corners: bool | None = ...) -> Tensor[N, C, D, H, W]: ...


def grid_sample(input: Any, grid: Any, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners: bool | None = None) -> Any:
    """PyTorch's ``F.grid_sample``: ``input`` ``(N, C, H, W)`` read at the positions of
    ``grid`` ``(N, H_out, W_out, 2)``, giving ``(N, C, H_out, W_out)`` (5-d: ``(N, C, D, H,
    W)`` and a grid ``(N, D_out, H_out, W_out, 3)``).

    A grid's last axis holds ``x`` (along ``W``), ``y`` (``H``) and ``z`` (``D``), each in
    ``[-1, 1]`` across the input: the corner pixels' centres with ``align_corners=True``,
    their outer edges otherwise (the default). ``mode`` is ``"bilinear"`` (trilinear on
    5-d), ``"nearest"`` or ``"bicubic"`` (4-d only); ``padding_mode`` reads outside the input
    as zeros (``"zeros"``), the nearest edge pixel (``"border"``) or the input reflected at
    its edges (``"reflection"``). Differentiable in ``input`` and ``grid`` (``nearest``'s
    gradient with respect to the grid is 0).
    """
    name = "grid_sample"
    shape, grid_shape = shape_of(input), shape_of(grid)
    _check_grid(name, shape, grid_shape, mode, padding_mode)
    corners = bool(align_corners)
    count = math.prod(grid_shape[1:-1])
    coords = reshape(grid, (grid_shape[0], count, grid_shape[-1]))
    sizes = list(reversed(shape[2:]))  # x along the last axis first
    positions = [_unnormalize(coords[:, :, axis], size, corners)
                 for axis, size in enumerate(sizes)]
    if mode == "bicubic":
        taps = _cubic_taps(positions, sizes, padding_mode, corners)
    else:
        positions = [_padded(position, size, padding_mode, corners)
                     for position, size in zip(positions, sizes, strict=True)]
        taps = _linear_taps(positions) if mode == "bilinear" else _nearest_taps(positions)
    samples = _read(input, taps)
    if mode == "nearest":  # the grid's gradient is 0, as PyTorch's, and not absent
        samples = samples + reshape(coords.sum(axis=2) * 0, (grid_shape[0], 1, count))
    return reshape(samples, (shape[0], shape[1], *grid_shape[1:-1]))


def _steps(size: int, align_corners: bool) -> Any:
    """``size`` coordinates evenly across [-1, 1]: the pixels' centres (``align_corners``:
    the first and last at -1 and 1); one pixel is at 0."""
    if size <= 1:
        return np.zeros(max(size, 0))
    steps = np.linspace(-1.0, 1.0, size)
    return steps if align_corners else steps * (size - 1) / size


# theta (N, 2, 3) with a size (N, C, H, W) gives a grid (N, H, W, 2), theta (N, 3, 4) with a size
# (N, C, D, H, W) a grid (N, D, H, W, 3), of theta's kind; a size given as a list, a run-time
# shape.
@overload
def affine_grid(theta: Untyped, size: Sequence[int], align_corners: bool | None = ...
                ) -> Untyped: ...
@overload
def affine_grid(theta: Variable[N, Literal[2], Literal[3]], size: tuple[N, C, H, W],
                align_corners: bool | None = ...) -> Variable[N, H, W, Literal[2]]: ...
@overload
def affine_grid(theta: Constant[N, Literal[2], Literal[3]], size: tuple[N, C, H, W],
                align_corners: bool | None = ...) -> Constant[N, H, W, Literal[2]]: ...
@overload
def affine_grid(theta: Tensor[N, Literal[2], Literal[3]], size: tuple[N, C, H, W],
                align_corners: bool | None = ...) -> Tensor[N, H, W, Literal[2]]: ...
@overload
def affine_grid(theta: Variable[N, Literal[3], Literal[4]], size: tuple[N, C, D, H, W],
                align_corners: bool | None = ...) -> Variable[N, D, H, W, Literal[3]]: ...
@overload
def affine_grid(theta: Constant[N, Literal[3], Literal[4]], size: tuple[N, C, D, H, W],
                align_corners: bool | None = ...) -> Constant[N, D, H, W, Literal[3]]: ...
@overload
def affine_grid(theta: Tensor[N, Literal[3], Literal[4]], size: tuple[N, C, D, H, W],
                align_corners: bool | None = ...) -> Tensor[N, D, H, W, Literal[3]]: ...
@overload
def affine_grid(theta: Variable[*AnyShape], size: list[int],
                align_corners: bool | None = ...) -> Variable[*AnyShape]: ...
@overload
def affine_grid(theta: Constant[*AnyShape], size: list[int],
                align_corners: bool | None = ...) -> Constant[*AnyShape]: ...
@overload
def affine_grid(theta: Tensor[*AnyShape], size: list[int],
                align_corners: bool | None = ...) -> Tensor[*AnyShape]: ...


def affine_grid(theta: Any, size: Sequence[Any], align_corners: bool | None = None) -> Any:
    """PyTorch's ``F.affine_grid``: the grid ``(N, H, W, 2)`` that ``grid_sample`` reads an
    ``(N, C, H, W)`` output from, each output pixel's coordinates ``(x, y, 1)`` mapped by its
    batch's affine matrix ``theta`` ``(N, 2, 3)`` (5-d: ``size`` ``(N, C, D, H, W)``,
    ``theta`` ``(N, 3, 4)``, grid ``(N, D, H, W, 3)``). ``align_corners`` places the
    coordinates as ``grid_sample``'s does (default False). Differentiable in ``theta``."""
    import numpy as np

    name = "affine_grid"
    items: list[Any] = as_sequence(size) or [None]  # a non-sequence: refused below
    shape = tuple(items)
    if any(not is_int(item) for item in shape):
        raise TypeError(f"{operation_name(name)}: size must be a sequence of ints, got {size!r}")
    theta_shape = shape_of(theta)
    values: Any = unwrap(theta)
    dtype = values.dtype if hasattr(values, "dtype") else np.asarray(values).dtype
    if dtype.kind != "f":
        raise TypeError(f"{operation_name(name)}: expected theta to have a floating point dtype, "
                        f"got {dtype}")
    if len(shape) not in (4, 5):
        raise NotImplementedError(f"{operation_name(name)}: only 4-d and 5-d sizes are supported "
                                  f"(2-d and 3-d affine maps), got size {shape}")
    dims = len(shape) - 2
    if len(theta_shape) != 3 or theta_shape[1:] != (dims, dims + 1):
        raise ShapeError(f"{operation_name(name)}: expected a batch of {dims}-d affine matrices of "
                         f"shape (N, {dims}, {dims + 1}) for size {shape}, got shape {theta_shape}")
    if min(shape) <= 0:
        raise ValueError(f"{operation_name(name)}: expected a positive output size, got {shape}")
    if theta_shape[0] != shape[0]:
        raise ShapeError(f"{operation_name(name)}: theta has {theta_shape[0]} matrices but size "
                         f"asks for a batch of {shape[0]}")
    corners = bool(align_corners)
    spatial = shape[2:]
    axes = np.meshgrid(*(_steps(length, corners) for length in spatial), indexing="ij")
    # x, y, z (the last spatial axis first) and 1 for the translation
    base = np.stack([*reversed(axes), np.ones(spatial)], axis=-1).reshape(-1, dims + 1)
    xp = namespace_of(unwrap(theta))
    points = new_constant(xp.asarray(base.astype(dtype)))
    mapped = matmul(points, matrix_transpose(theta))
    return reshape(mapped, (shape[0], *spatial, dims))
