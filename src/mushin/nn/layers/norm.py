"""Normalisation layers: ``BatchNorm1D``, ``BatchNorm2D`` and ``LayerNorm``.

All three subtract the mean and divide by the standard deviation over some axes, then
apply a learnt per-feature scale (``weight``) and shift (``bias``). The normalisation is one
primitive (``normalize_axes``, in ``mushin.nn.functional.norm``) with a closed-form VJP, so a layer
adds three graph nodes, not ten.
Batch normalisation normalises over the batch (and spatial) axes while training and keeps
running statistics (``running_mean``, ``running_var``, ``num_batches_tracked`` buffers, as
in PyTorch), which a layer in eval mode (``eval()`` or ``freeze()``) uses instead.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, TypeVarTuple, overload

from mushin import _backend
from mushin._backend import Array
from mushin._check import is_int, is_number, shape_of
from mushin._creation import ones, zeros
from mushin._tensor import Constant, Tensor, Variable
from mushin.errors import ShapeError
from mushin.nn.functional.norm import normalize_axes
from mushin.nn.module import Module
from mushin.ops.shape import reshape

__all__ = ["BatchNorm1D", "BatchNorm1d", "BatchNorm2D", "BatchNorm2d", "LayerNorm"]

if TYPE_CHECKING:
    from mushin._typing import Untyped

Shape = TypeVarTuple("Shape")


def _check_number(layer: str, name: str, value: Any, positive: bool) -> float:
    if not is_number(value) or (value <= 0 if positive else value < 0):
        raise ValueError(f"{layer}: {name} must be a {'positive' if positive else 'non-negative'}"
                         f" number, got {value!r}")
    return float(value)


class _BatchNorm(Module):
    """Batch normalisation over every axis but the channel axis 1."""

    _ranks: tuple[int, ...] = ()
    _layout: str = ""
    running_mean: Constant[*tuple[Any, ...]] | None
    running_var: Constant[*tuple[Any, ...]] | None
    num_batches_tracked: Constant[*tuple[Any, ...]] | None

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, *, dtype: Any = None,
                 device: str | None = None) -> None:
        super().__init__()
        name = type(self).__name__
        if not is_int(num_features) or num_features < 1:
            raise ValueError(f"{name}: num_features must be a positive int, got "
                             f"{num_features!r}")
        self.num_features = num_features
        self.eps = _check_number(name, "eps", eps, positive=True)
        self.momentum = None if momentum is None else _check_number(name, "momentum", momentum,
                                                                    positive=False)
        self.affine = affine
        self.track_running_stats = track_running_stats
        self.weight: Variable[*tuple[Any, ...]] | None = None
        self.bias: Variable[*tuple[Any, ...]] | None = None
        if affine:
            self.weight = ones((num_features,), dtype=dtype, device=device)
            self.bias = zeros((num_features,), dtype=dtype, device=device)
        if track_running_stats:
            self.register_buffer("running_mean",
                                 zeros((num_features,), dtype=dtype, device=device).freeze())
            self.register_buffer("running_var",
                                 ones((num_features,), dtype=dtype, device=device).freeze())
            self.register_buffer("num_batches_tracked", Constant(
                _backend.backend(device).xp.zeros((), dtype="int64")))
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None

    # The input's shape; a Variable, as for Linear (a frozen layer given a Constant returns
    # one at run time).
    @overload
    def forward(self, x: Untyped) -> Untyped: ...
    @overload
    def forward(self, x: Tensor[*Shape]) -> Variable[*Shape]: ...

    def forward(self, x: Any) -> Any:
        """Normalise ``x`` per channel: by the batch's statistics while training (updating
        the running ones), by the running statistics after ``eval()`` (or ``freeze()``)."""
        shape = shape_of(x)
        name = type(self).__name__
        if len(shape) not in self._ranks or shape[1] != self.num_features:
            raise ShapeError(f"{name}: expected an input of shape {self._layout} with C = "
                             f"{self.num_features}, got shape {shape}")
        axes = (0, *range(2, len(shape)))
        broadcast = (1, self.num_features) + (1,) * (len(shape) - 2)
        weight, bias = self._param(self.weight), self._param(self.bias)
        stats = self._running_stats()
        if self.training or stats is None:
            if self.training and math.prod(shape[axis] for axis in axes) <= 1:
                raise ValueError(f"{name}: expected more than 1 value per channel when "
                                 f"training, got an input of shape {shape}")
            if self.training and stats is not None:
                self._update_running_stats(x._data, axes, *stats)
            result = normalize_axes(x, axes, self.eps)
        else:
            running_mean, running_var, _ = stats
            inverse_std = 1 / _backend.namespace_of(running_var).sqrt(running_var + self.eps)
            result = (x - running_mean.reshape(broadcast)) * inverse_std.reshape(broadcast)
        if weight is not None:
            result = result * reshape(weight, broadcast) + reshape(bias, broadcast)
        return result

    def _running_stats(self) -> tuple[Array, Array, Array] | None:
        """The arrays of ``running_mean``, ``running_var`` and ``num_batches_tracked``."""
        if (self.running_mean is None or self.running_var is None
                or self.num_batches_tracked is None):
            return None
        return (self.running_mean.data(), self.running_var.data(),
                self.num_batches_tracked.data())

    def _update_running_stats(self, data: Array, axes: tuple[int, ...], running_mean: Array,
                              running_var: Array, tracked: Array) -> None:
        """Blend the batch's mean and unbiased variance into the running ones, in place."""
        xp = _backend.namespace_of(data)
        count = math.prod(data.shape[axis] for axis in axes)
        mean = xp.mean(data, axis=axes)
        unbiased_var = xp.var(data, axis=axes) * (count / (count - 1))
        tracked += 1
        # momentum=None is PyTorch's cumulative average over every batch seen.
        factor = self.momentum if self.momentum is not None else 1.0 / int(tracked)
        running_mean *= 1 - factor
        running_mean += factor * mean
        running_var *= 1 - factor
        running_var += factor * unbiased_var

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class BatchNorm1D(_BatchNorm):
    """Batch normalisation of ``(N, C)`` or ``(N, C, L)`` inputs per channel ``C``."""

    _ranks = (2, 3)
    _layout = "(N, C) or (N, C, L)"


class BatchNorm2D(_BatchNorm):
    """Batch normalisation of ``(N, C, H, W)`` images per channel ``C``."""

    _ranks = (4,)
    _layout = "(N, C, H, W)"


class LayerNorm(Module):
    """Normalisation of each sample over its last axes (``normalized_shape``), then a learnt
    elementwise scale and shift of that shape."""

    def __init__(self, normalized_shape: int | tuple[int, ...] | list[int], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, *, dtype: Any = None,
                 device: str | None = None) -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(
            normalized_shape)
        if not shape or any(not is_int(size) or size < 1 for size in shape):
            raise ValueError(f"LayerNorm: normalized_shape must be a positive int or a tuple of "
                             f"them, got {normalized_shape!r}")
        self.normalized_shape = shape
        self.eps = _check_number("LayerNorm", "eps", eps, positive=True)
        self.elementwise_affine = elementwise_affine
        self.weight: Variable | None = None
        self.bias: Variable | None = None
        if elementwise_affine:
            self.weight = ones(shape, dtype=dtype, device=device)
            if bias:
                self.bias = zeros(shape, dtype=dtype, device=device)

    @overload
    def forward(self, x: Untyped) -> Untyped: ...
    @overload
    def forward(self, x: Tensor[*Shape]) -> Variable[*Shape]: ...

    def forward(self, x: Any) -> Any:
        """``x`` normalised over its last ``len(normalized_shape)`` axes, scaled and
        shifted."""
        shape = shape_of(x)
        count = len(self.normalized_shape)
        if shape[len(shape) - count:] != self.normalized_shape:
            raise ShapeError(f"LayerNorm: expected an input whose last axes are "
                             f"{self.normalized_shape}, got shape {shape}")
        result = normalize_axes(x, tuple(range(len(shape) - count, len(shape))), self.eps)
        weight, bias = self._param(self.weight), self._param(self.bias)
        if weight is not None:
            result = result * weight
        if bias is not None:
            result = result + bias
        return result

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


# PyTorch's casing of the crate's names: the same class objects.
BatchNorm1d = BatchNorm1D
BatchNorm2d = BatchNorm2D
