"""Normalisation layers with PyTorch's names, parameters and buffers: ``BatchNorm1D`` /
``BatchNorm2D`` (also ``BatchNorm1d`` / ``BatchNorm2d``), ``BatchNorm3d``, ``InstanceNorm1d`` /
``InstanceNorm2d`` / ``InstanceNorm3d``, ``GroupNorm``, ``LayerNorm``, ``RMSNorm`` and
``LocalResponseNorm``.

Each subtracts a mean and divides by a standard deviation over some axes (the primitive
``normalize_axes`` of ``mushin.nn.functional.norm``, with a closed-form VJP, so a layer adds
three graph nodes, not ten), then applies a learnt per-feature scale (``weight``) and shift
(``bias``). Batch normalisation, and instance normalisation with ``track_running_stats``,
keep running statistics (``running_mean``, ``running_var``, ``num_batches_tracked`` buffers,
as in PyTorch) while training, which a layer in eval mode (``eval()`` or ``freeze()``) uses
instead of the batch's.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, Generic, TypeVar, TypeVarTuple, overload

from mushin import _backend
from mushin._check import integer, is_int, is_number, number, shape_of
from mushin._creation import ones, zeros
from mushin._tensor import Constant, Tensor, Variable, writable
from mushin.errors import ShapeError
from mushin.nn.functional.norm import (
    batch_norm,
    group_norm,
    instance_norm,
    layer_norm,
    local_response_norm,
    normalized_sizes,
    rms_norm,
    trailing_axes,
)
from mushin.nn.module import Module, check_options
from mushin.ops.shape import reshape

__all__ = [
    "BatchNorm1D", "BatchNorm1d", "BatchNorm2D", "BatchNorm2d", "BatchNorm3d",
    "GroupNorm", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "LayerNorm",
    "LocalResponseNorm", "RMSNorm",
]

if TYPE_CHECKING:
    from mushin._typing import Untyped

Shape = TypeVarTuple("Shape")
Batch = TypeVarTuple("Batch")
Width = TypeVar("Width", bound=int)
TensorT = TypeVar("TensorT")


def _check_number(layer: str, name: str, value: Any, positive: bool) -> float:
    if not is_number(value) or (value <= 0 if positive else value < 0):
        raise ValueError(f"{layer}: {name} must be a {'positive' if positive else 'non-negative'}"
                         f" number, got {value!r}")
    return float(value)


def _check_size(layer: str, name: str, value: Any) -> int:
    if not is_int(value) or value < 1:
        raise ValueError(f"{layer}: {name} must be a positive int, got {value!r}")
    return int(value)


def _affine(owner: Module, count: int, affine: bool, bias: bool, dtype: Any,
            device: str | None) -> None:
    """Give ``owner`` PyTorch's per-channel ``weight`` (ones) and ``bias`` (zeros) of
    ``count`` values, or None for each one it does not learn."""
    owner.weight = ones((count,), dtype=dtype, device=device) if affine else None
    owner.bias = zeros((count,), dtype=dtype, device=device) if affine and bias else None


class _NormBase(Module):
    """The parameters and buffers batch and instance normalisation share (PyTorch's
    ``_NormBase``): ``weight`` and ``bias`` of ``num_features`` values if ``affine``, and
    the running statistics if ``track_running_stats``."""

    weight: Variable[*tuple[Any, ...]] | None
    bias: Variable[*tuple[Any, ...]] | None
    running_mean: Constant[*tuple[Any, ...]] | None
    running_var: Constant[*tuple[Any, ...]] | None
    num_batches_tracked: Constant[*tuple[Any, ...]] | None

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 device: str | None = None, dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__()
        name = type(self).__name__
        self.num_features = _check_size(name, "num_features", num_features)
        self.eps = _check_number(name, "eps", eps, positive=True)
        self.momentum = None if momentum is None else _check_number(name, "momentum", momentum,
                                                                    positive=False)
        self.affine = affine
        self.track_running_stats = track_running_stats
        _affine(self, num_features, affine, bias, dtype, device)
        if track_running_stats:
            self.register_buffer("running_mean",
                                 zeros((num_features,), dtype=dtype, device=device).freeze())
            self.register_buffer("running_var",
                                 ones((num_features,), dtype=dtype, device=device).freeze())
            self.register_buffer("num_batches_tracked", Constant(
                _backend.backend(device).xp.zeros((), dtype="int64")))
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batch seen (PyTorch's method)."""
        if self.running_mean is not None and self.running_var is not None:
            writable(self.running_mean)[...] = 0
            writable(self.running_var)[...] = 1
        if self.num_batches_tracked is not None:
            writable(self.num_batches_tracked)[...] = 0

    def reset_parameters(self) -> None:
        """The running statistics reset, ``weight`` back to ones and ``bias`` to zeros."""
        self.reset_running_stats()
        if self.weight is not None:
            writable(self.weight)[...] = 1
        if self.bias is not None:
            writable(self.bias)[...] = 0

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    """Batch normalisation over every axis but the channel axis 1."""

    _ranks: tuple[int, ...] = ()
    _layout: str = ""

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
        if len(shape) not in self._ranks or shape[1] != self.num_features:
            raise ShapeError(f"{type(self).__name__}: expected an input of shape "
                             f"{self._layout} with C = {self.num_features}, got shape {shape}")
        # PyTorch's rules: the batch's statistics while training or without running ones;
        # the running ones updated only while training; momentum None a cumulative average.
        factor = self.momentum if self.momentum is not None else 0.0
        if self.training and self.num_batches_tracked is not None:
            tracked = writable(self.num_batches_tracked)
            tracked += 1
            if self.momentum is None:
                factor = 1.0 / int(tracked)
        use_batch = self.training or self.running_mean is None or self.running_var is None
        update = not self.training or self.track_running_stats
        return batch_norm(x, self.running_mean if update else None,
                          self.running_var if update else None, self._param(self.weight),
                          self._param(self.bias), use_batch, factor, self.eps)


class BatchNorm1D(_BatchNorm):
    """Batch normalisation of ``(N, C)`` or ``(N, C, L)`` inputs per channel ``C``."""

    _ranks = (2, 3)
    _layout = "(N, C) or (N, C, L)"


class BatchNorm2D(_BatchNorm):
    """Batch normalisation of ``(N, C, H, W)`` images per channel ``C``."""

    _ranks = (4,)
    _layout = "(N, C, H, W)"


class BatchNorm3d(_BatchNorm):
    """Batch normalisation of ``(N, C, D, H, W)`` volumes per channel ``C``."""

    _ranks = (5,)
    _layout = "(N, C, D, H, W)"


class _InstanceNorm(_NormBase):
    """Instance normalisation: each channel of each sample over its own spatial axes
    (PyTorch's defaults: no ``affine`` parameters, no running statistics). An input without
    the batch axis is taken as one sample."""

    _spatial = 0

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = False, track_running_stats: bool = False,
                 device: str | None = None, dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)

    @overload
    def forward(self, x: Untyped) -> Untyped: ...
    @overload
    def forward(self, x: Tensor[*Shape]) -> Variable[*Shape]: ...

    def forward(self, x: Any) -> Any:
        """``x`` ``(N, C, *spatial)`` or ``(C, *spatial)`` normalised per sample and channel:
        by its own statistics while training (or without running statistics), by the
        running ones in eval mode."""
        shape = shape_of(x)
        name = type(self).__name__
        if len(shape) not in (self._spatial + 1, self._spatial + 2):
            raise ShapeError(f"{name}: expected an input of {self._spatial + 1} or "
                             f"{self._spatial + 2} axes, (C, *spatial) or (N, C, *spatial), "
                             f"got shape {shape}")
        channels = shape[len(shape) - self._spatial - 1]
        if channels != self.num_features:
            if self.affine:
                raise ShapeError(f"{name}: expected {self.num_features} channels (axis "
                                 f"{len(shape) - self._spatial - 1}), got shape {shape}")
            # As PyTorch: without affine parameters num_features is not used.
            warnings.warn(f"{name}: the input's {channels} channels differ from num_features="
                          f"{self.num_features}, which is not used because affine=False",
                          stacklevel=2)
        batched = len(shape) == self._spatial + 2
        given = x if batched else reshape(x, (1, *shape))
        result = instance_norm(given, self.running_mean, self.running_var,
                               self._param(self.weight), self._param(self.bias),
                               self.training or not self.track_running_stats,
                               self.momentum if self.momentum is not None else 0.0, self.eps)
        return result if batched else reshape(result, shape)


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation of ``(N, C, L)`` or ``(C, L)`` inputs."""

    _spatial = 1


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation of ``(N, C, H, W)`` or ``(C, H, W)`` inputs."""

    _spatial = 2


class InstanceNorm3d(_InstanceNorm):
    """Instance normalisation of ``(N, C, D, H, W)`` or ``(C, D, H, W)`` inputs."""

    _spatial = 3


class GroupNorm(Module):
    """Group normalisation (PyTorch's ``nn.GroupNorm``): the ``num_channels`` channels of an
    ``(N, C, *)`` input split into ``num_groups`` groups, each group of each sample
    normalised over its channels and spatial axes, then a per-channel ``weight`` and
    ``bias`` (if ``affine``). It has no running statistics: training and eval agree."""

    weight: Variable[*tuple[Any, ...]] | None
    bias: Variable[*tuple[Any, ...]] | None

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, device: str | None = None, dtype: Any = None, *,
                 bias: bool = True) -> None:
        super().__init__()
        self.num_groups = _check_size("GroupNorm", "num_groups", num_groups)
        self.num_channels = _check_size("GroupNorm", "num_channels", num_channels)
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by "
                             f"num_groups ({num_groups})")
        self.eps = _check_number("GroupNorm", "eps", eps, positive=True)
        self.affine = affine
        _affine(self, num_channels, affine, bias, dtype, device)

    @overload
    def forward(self, x: Untyped) -> Untyped: ...
    @overload
    def forward(self, x: Tensor[*Shape]) -> Variable[*Shape]: ...

    def forward(self, x: Any) -> Any:
        """``x`` ``(N, C, *)`` normalised per sample and group of channels."""
        shape = shape_of(x)
        if len(shape) < 2 or shape[1] != self.num_channels:
            raise ShapeError(f"GroupNorm: expected an input of shape (N, C, *) with C = "
                             f"{self.num_channels}, got shape {shape}")
        return group_norm(x, self.num_groups, self._param(self.weight), self._param(self.bias),
                          self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, "
                f"affine={self.affine}, bias={self.bias is not None}")


class LayerNorm(Module, Generic[Width]):
    """Normalisation of each sample over its last axes (``normalized_shape``), then a learnt
    elementwise scale and shift of that shape.

    Built with one int (``norm: LayerNorm[L[512]] = LayerNorm(512)``) the layer is typed by its
    width: it takes ``Tensor[*B, Width]`` and returns ``Variable[*B, Width]``, so an input of
    another width is a type error. Built with a tuple of sizes it is typed ``LayerNorm[int]``
    and keeps any input's shape.
    """

    weight: Variable[Width] | None
    bias: Variable[Width] | None

    @overload
    def __init__(self, normalized_shape: Width, eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True,
                 device: str | None = None, dtype: Any = None) -> None: ...
    @overload
    def __init__(self: LayerNorm[int], normalized_shape: tuple[int, ...] | list[int],
                 eps: float = 1e-5, elementwise_affine: bool = True, bias: bool = True,
                 device: str | None = None, dtype: Any = None) -> None: ...

    def __init__(self, normalized_shape: Any, eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True,
                 device: str | None = None, dtype: Any = None) -> None:
        super().__init__()
        self.normalized_shape = normalized_sizes("LayerNorm", normalized_shape)
        self.eps = _check_number("LayerNorm", "eps", eps, positive=True)
        self.elementwise_affine = elementwise_affine
        # A list shape gives an untyped Variable: one axis of size Width where typed.
        sizes = list(self.normalized_shape)
        self.weight = ones(sizes, dtype=dtype, device=device) if elementwise_affine else None
        self.bias = (zeros(sizes, dtype=dtype, device=device) if elementwise_affine and bias
                     else None)

    @overload
    def forward(self, x: Untyped) -> Untyped: ...
    @overload
    def forward(self: LayerNorm[int], x: Tensor[*Shape]) -> Variable[*Shape]: ...
    @overload
    def forward(self, x: Tensor[*Batch, Width]) -> Variable[*Batch, Width]: ...

    def forward(self, x: Any) -> Any:
        """``x`` normalised over its last ``len(normalized_shape)`` axes, scaled and
        shifted."""
        trailing_axes("LayerNorm", x, self.normalized_shape)
        return layer_norm(x, self.normalized_shape, self._param(self.weight),
                          self._param(self.bias), self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class RMSNorm(Module, Generic[Width]):
    """Root-mean-square normalisation (PyTorch's ``nn.RMSNorm``): each sample divided by the
    root mean square of its last axes (``normalized_shape``) plus ``eps`` (the dtype's
    machine epsilon when None), then a learnt elementwise scale ``weight``. Typed by its
    width as :class:`LayerNorm` is."""

    weight: Variable[Width] | None

    @overload
    def __init__(self, normalized_shape: Width, eps: float | None = None,
                 elementwise_affine: bool = True, device: str | None = None,
                 dtype: Any = None) -> None: ...
    @overload
    def __init__(self: RMSNorm[int], normalized_shape: tuple[int, ...] | list[int],
                 eps: float | None = None, elementwise_affine: bool = True,
                 device: str | None = None, dtype: Any = None) -> None: ...

    def __init__(self, normalized_shape: Any, eps: float | None = None,
                 elementwise_affine: bool = True, device: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self.normalized_shape = normalized_sizes("RMSNorm", normalized_shape)
        self.eps = None if eps is None else _check_number("RMSNorm", "eps", eps, positive=True)
        self.elementwise_affine = elementwise_affine
        self.weight = (ones(list(self.normalized_shape), dtype=dtype, device=device)
                       if elementwise_affine else None)

    @overload
    def forward(self, x: Untyped) -> Untyped: ...
    @overload
    def forward(self: RMSNorm[int], x: Tensor[*Shape]) -> Variable[*Shape]: ...
    @overload
    def forward(self, x: Tensor[*Batch, Width]) -> Variable[*Batch, Width]: ...

    def forward(self, x: Any) -> Any:
        """``x`` divided by its root mean square over the last axes, then scaled."""
        trailing_axes("RMSNorm", x, self.normalized_shape)
        return rms_norm(x, self.normalized_shape, self._param(self.weight), self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class LocalResponseNorm(Module):
    """Local response normalisation across channels (PyTorch's ``nn.LocalResponseNorm``):
    ``x / (k + alpha * mean of x ** 2 over size neighbouring channels) ** beta`` for inputs
    ``(N, C, *)`` of at least 3 axes. It has no parameters."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0, *,
                 dtype: Any = None, device: str | None = None) -> None:
        super().__init__()
        check_options(dtype, device)
        self.size = integer("LocalResponseNorm", "size", size, minimum=1)
        for name, value in (("alpha", alpha), ("beta", beta), ("k", k)):
            number("LocalResponseNorm", name, value)
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, x: TensorT) -> TensorT:
        """``x`` ``(N, C, *)`` divided by its local channel energy (same shape and kind)."""
        result: TensorT = local_response_norm(x, self.size, self.alpha, self.beta, self.k)
        return result

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


# PyTorch's casing of the crate's names: the same class objects.
BatchNorm1d = BatchNorm1D
BatchNorm2d = BatchNorm2D
