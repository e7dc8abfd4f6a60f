"""Dropout: ``dropout`` (inverted dropout, a random mask applied with one multiplication), the
channel-wise ``dropout1d`` / ``dropout2d`` / ``dropout3d`` (``feature_dropout``), and the
self-normalising ``alpha_dropout`` / ``feature_alpha_dropout``, under PyTorch's names and
arguments.

The masks are drawn from mushin's generator (reproducible after ``mu.seed``). A dropout mask
holds 0 or ``1 / (1 - p)``, so the product is the whole operation and its gradient
(``mul``'s); an alpha-dropout mask ``m`` gives ``x * a m + b(m)``, an affine map whose
gradient is ``a m``. The channel-wise forms draw one value per ``(sample, channel)`` and
broadcast it over the other axes. ``inplace=True`` writes the result into the input (while
training), as PyTorch's does.
"""

from __future__ import annotations

import warnings
from typing import Any

from mushin import _backend
from mushin import _typing as typed
from mushin._backend import Array
from mushin._check import operation_name, probability, shape_of
from mushin._random import generator
from mushin._tensor import unwrap
from mushin.errors import ShapeError
from mushin.nn.functional.activation import maybe_in_place
from mushin.ops.elementwise import add, mul

# SELU's negative saturation -scale * alpha, which alpha dropout sets dropped values to.
_SELU_SATURATION = 1.7580993408473766


def _keep_mask(function: str, x: Any, p: float, mask_shape: tuple[int, ...]) -> Array:
    """A float mask of ``mask_shape`` in ``x``'s dtype, on its device: 1 with probability
    ``1 - p``, else 0."""
    data = unwrap(x)
    if not hasattr(data, "dtype") or data.dtype.kind != "f":
        raise TypeError(f"{operation_name(function)}: expected a floating tensor, got "
                        f"{getattr(data, 'dtype', type(x).__name__)}")
    backend = _backend.backend_of(data)
    # the generators draw float32 or float64 only: a narrower dtype's draws are float32
    draw_dtype = data.dtype if data.dtype.itemsize >= 4 else "float32"
    draws = generator(backend).random(mask_shape, dtype=draw_dtype)
    result: Array = (draws >= p).astype(data.dtype)
    return result


def _feature_shape(function: str, x: Any) -> tuple[int, ...]:
    """The mask shape of a channel-wise dropout: one value per ``(sample, channel)``."""
    dims = shape_of(x)
    if len(dims) < 2:
        raise ShapeError(f"{operation_name(function)}: expected an input of shape (N, C, *) with "
                         f"at least 2 axes, got shape {dims}")
    return dims[:2] + (1,) * (len(dims) - 2)


def _dropout(function: str, x: Any, p: float, training: bool,
             mask_shape: tuple[int, ...] | None, inplace: bool) -> Any:
    """Inverted dropout of ``x`` with a mask of ``mask_shape`` (``x``'s shape when None),
    written into ``x`` with ``inplace``."""
    p = probability(function, "p", p)
    if not training or p == 0:
        return x
    shape = shape_of(x) if mask_shape is None else mask_shape
    mask = _keep_mask(function, x, p, shape) if p < 1 else None
    if mask is None:
        data = unwrap(x)
        mask = _backend.namespace_of(data).zeros(shape, dtype=data.dtype)
    else:
        mask *= 1.0 / (1.0 - p)
    return maybe_in_place(function, x, inplace, lambda y: mul(y, mask))


def _alpha_dropout(function: str, x: Any, p: float, training: bool,
                   mask_shape: tuple[int, ...] | None, inplace: bool) -> Any:
    """Alpha dropout of ``x`` with a mask of ``mask_shape`` (``x``'s shape when None):
    dropped values set to SELU's saturation, then an affine map keeping the mean and the
    variance of a standard normal input (PyTorch's ``a`` and ``b``); written into ``x`` with
    ``inplace``."""
    p = probability(function, "p", p)
    if not training or p == 0:
        return x
    shape = shape_of(x) if mask_shape is None else mask_shape
    if p == 1:
        data = unwrap(x)
        zeros = _backend.namespace_of(data).zeros(shape, dtype=data.dtype)
        return maybe_in_place(function, x, inplace, lambda y: mul(y, zeros))
    mask = _keep_mask(function, x, p, shape)
    a = ((_SELU_SATURATION ** 2 * p + 1) * (1 - p)) ** -0.5
    shift = (mask - 1) * (_SELU_SATURATION * a) + _SELU_SATURATION * a * p
    return maybe_in_place(function, x, inplace, lambda y: add(mul(y, mask * a), shift))


@typed.activation_function
def dropout(input: Any, p: float = 0.5, training: bool = True, inplace: bool = False) -> Any:
    """Inverted dropout: each element zeroed with probability ``p`` and the rest scaled by
    ``1 / (1 - p)`` while ``training``; ``input`` itself otherwise."""
    return _dropout("dropout", input, p, training, None, inplace)


@typed.activation_function
def dropout1d(input: Any, p: float = 0.5, training: bool = True, inplace: bool = False) -> Any:
    """Channel-wise dropout of ``(N, C, L)`` or ``(C, L)`` inputs: each channel of each
    sample zeroed whole with probability ``p``, the rest scaled by ``1 / (1 - p)``, while
    ``training``."""
    dims = shape_of(input)
    if len(dims) not in (2, 3):
        raise ShapeError(f"{operation_name('dropout1d')}: expected an input of shape (N, C, L) or "
                         f"(C, L), got shape {dims}")
    # Without the batch axis: one draw per channel, axis 0.
    mask_shape = (dims[0], 1) if len(dims) == 2 else _feature_shape("dropout1d", input)
    return _dropout("dropout1d", input, p, training, mask_shape, inplace)


@typed.activation_function
def dropout2d(input: Any, p: float = 0.5, training: bool = True, inplace: bool = False) -> Any:
    """Channel-wise dropout of ``(N, C, H, W)`` inputs: each channel of each sample zeroed
    whole with probability ``p``, the rest scaled by ``1 / (1 - p)``, while ``training``.

    As PyTorch, a 3-D input is taken as ``(N, C, L)`` (with a warning), and inputs of other
    ranks (at least 2 axes) as ``(N, C, *)``, with a warning."""
    dims = shape_of(input)
    if len(dims) == 3:
        warnings.warn("dropout2d: a 3-D input is taken as (N, C, L), PyTorch's behaviour; use "
                      "dropout1d for channel-wise 1-D dropout", stacklevel=2)
    elif len(dims) != 4:
        warnings.warn(f"dropout2d: expected a 4-D input (N, C, H, W), got shape {dims}; it "
                      f"is taken as (N, C, *)", stacklevel=2)
    return _dropout("dropout2d", input, p, training, _feature_shape("dropout2d", input), inplace)


@typed.activation_function
def dropout3d(input: Any, p: float = 0.5, training: bool = True, inplace: bool = False) -> Any:
    """Channel-wise dropout of ``(N, C, D, H, W)`` or ``(C, D, H, W)`` inputs: each channel
    of each sample zeroed whole with probability ``p``, the rest scaled by ``1 / (1 - p)``,
    while ``training``. Inputs of other ranks are taken as ``(N, C, *)``, with a warning."""
    dims = shape_of(input)
    if len(dims) == 4:  # without the batch axis: one draw per channel, axis 0
        return _dropout("dropout3d", input, p, training, (dims[0], 1, 1, 1), inplace)
    if len(dims) != 5:
        warnings.warn(f"dropout3d: expected a 5-D input (N, C, D, H, W) or a 4-D one, got "
                      f"shape {dims}; it is taken as (N, C, *)", stacklevel=2)
    return _dropout("dropout3d", input, p, training, _feature_shape("dropout3d", input), inplace)


@typed.activation_function
def alpha_dropout(input: Any, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Any:
    """Alpha dropout (for SELU networks) while ``training`` (off by default, as PyTorch):
    each element set with probability ``p`` to SELU's negative saturation ``-1.7581``, then
    all scaled and shifted so that a zero-mean, unit-variance input keeps its mean and
    variance."""
    return _alpha_dropout("alpha_dropout", input, p, training, None, inplace)


@typed.activation_function
def feature_alpha_dropout(input: Any, p: float = 0.5, training: bool = False,
                          inplace: bool = False) -> Any:
    """:func:`alpha_dropout` of whole channels of ``(N, C, *)`` inputs: one draw per
    channel of each sample."""
    return _alpha_dropout("feature_alpha_dropout", input, p, training,
                          _feature_shape("feature_alpha_dropout", input), inplace)
