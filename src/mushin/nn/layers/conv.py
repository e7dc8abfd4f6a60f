"""The convolution layers, PyTorch's layouts, arguments and initialisation: ``Conv1d`` on
``(B, C, L)``, ``Conv2D`` on ``(B, C, H, W)``, ``Conv3d`` on ``(B, C, D, H, W)`` (each also
unbatched, with string padding and PyTorch's padding modes) and the transposed
``ConvTranspose1d`` / ``ConvTranspose2d`` / ``ConvTranspose3d``."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from mushin._check import as_sequence, is_int, shape_of
from mushin._creation import zeros
from mushin._tensor import Tensor, Variable
from mushin.nn import init
from mushin.nn.functional.conv import conv1d, conv2d, conv3d, conv_padding
from mushin.nn.functional.conv_transpose import (
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
)
from mushin.nn.functional.shape import pad
from mushin.nn.functional.window import ints
from mushin.nn.module import Module

__all__ = ["Conv1d", "Conv2D", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
           "ConvTranspose3d"]

if TYPE_CHECKING:
    from mushin._typing import Untyped

InChannels = TypeVar("InChannels", bound=int)
OutChannels = TypeVar("OutChannels", bound=int)
Batch = TypeVar("Batch")
Height = TypeVar("Height")
Width = TypeVar("Width")
Depth = TypeVar("Depth")
Length = TypeVar("Length")

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _Conv(Module):
    """What every convolution layer shares: the checked arguments, the parameters drawn as
    PyTorch draws them, the padding modes and ``extra_repr``."""

    _dims = 2
    _transposed = False

    def _setup(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any,
               padding: Any, dilation: Any, groups: int, bias: bool, padding_mode: str,
               output_padding: Any, dtype: Any, device: str | None) -> None:
        name, dims = type(self).__name__, self._dims
        for argument, size in (("in_channels", in_channels), ("out_channels", out_channels),
                               ("groups", groups)):
            if not is_int(size) or size < 1:
                raise ValueError(f"{name}: {argument} must be a positive int, got {size!r}")
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}: in_channels ({in_channels}) and out_channels "
                             f"({out_channels}) must both be divisible by groups ({groups})")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {_PADDING_MODES}, got "
                             f"{padding_mode!r}")
        if self._transposed and padding_mode != "zeros":
            raise ValueError(f"{name}: only padding_mode='zeros' is supported, got "
                             f"{padding_mode!r}")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = ints(name, "kernel_size", kernel_size, 1, dims)
        self.stride = ints(name, "stride", stride, 1, dims)
        self.dilation = ints(name, "dilation", dilation, 1, dims)
        self.groups = groups
        self.padding_mode = padding_mode
        self.transposed = self._transposed
        self.output_padding = ints(name, "output_padding", output_padding, 0, dims)
        if isinstance(padding, str) and self._transposed:
            raise ValueError(f"{name}: padding must be an int or a tuple of ints, got "
                             f"{padding!r}")
        before, after = conv_padding(name, padding, self.kernel_size, self.stride,
                                     self.dilation)
        self.padding: tuple[int, ...] | str = padding if isinstance(padding, str) else before
        # F.pad's widths for the non-zero modes: last axis first, (before, after) each.
        self._reversed_padding_repeated_twice = tuple(
            width for axis in reversed(range(dims)) for width in (before[axis], after[axis]))
        shape = ((in_channels, out_channels // groups) if self._transposed
                 else (out_channels, in_channels // groups))
        self.weight = zeros((*shape, *self.kernel_size), dtype=dtype, device=device)
        init.kaiming_uniform(self.weight, a=math.sqrt(5))
        self.bias = None
        if bias:
            self.bias = zeros((out_channels,), dtype=dtype, device=device)
            fan_in = init.fans(self.weight)[0]
            bound = 1 / math.sqrt(fan_in) if fan_in else 0.0
            init.uniform(self.bias, -bound, bound)

    def _padded(self, x: Any) -> tuple[Any, Any]:
        """The input and the padding to convolve it with: the input padded by its mode and no
        padding, or the input as it is and the layer's zero padding."""
        if self.padding_mode == "zeros":
            return x, self.padding
        return (pad(x, self._reversed_padding_repeated_twice, mode=self.padding_mode),
                (0,) * self._dims)

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0,) * self._dims:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * self._dims:
            text += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self._dims:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class _ConvTranspose(_Conv):
    """What the transposed layers add: the ``output_padding`` an ``output_size`` asks for."""

    _transposed = True

    def _int_padding(self) -> tuple[int, ...]:
        """The padding of each axis (a transposed layer takes no string)."""
        padding = self.padding
        return (0,) * self._dims if isinstance(padding, str) else padding

    def _output_padding(self, x: Any, output_size: Sequence[int] | None) -> tuple[int, ...]:
        """The layer's ``output_padding``, or the one that gives ``output_size`` (the spatial
        sizes, or the whole shape) as PyTorch picks it."""
        if output_size is None:
            return self.output_padding
        name, dims = type(self).__name__, self._dims
        shape = shape_of(x)
        leading = len(shape) - dims
        items: list[Any] = as_sequence(output_size) or [None]  # a non-sequence: refused below
        sizes = tuple(items)
        if len(sizes) == leading + dims:
            sizes = sizes[leading:]
        if len(sizes) != dims or any(not is_int(size) for size in sizes):
            raise ValueError(f"{name}: for a {len(shape)}-d input, output_size must have {dims} "
                             f"or {leading + dims} ints, got {output_size!r}")
        smallest = tuple((size - 1) * step - 2 * margin + spread * (kernel - 1) + 1
                         for size, step, margin, spread, kernel in zip(
                             shape[leading:], self.stride, self._int_padding(), self.dilation,
                             self.kernel_size, strict=True))
        largest = tuple(low + step - 1 for low, step in zip(smallest, self.stride, strict=True))
        if any(not low <= size <= high
               for size, low, high in zip(sizes, smallest, largest, strict=True)):
            raise ValueError(f"{name}: requested an output size of {sizes}, but valid sizes "
                             f"range from {smallest} to {largest} (for an input of shape "
                             f"{shape})")
        return tuple(size - low for size, low in zip(sizes, smallest, strict=True))


class Conv1d(_Conv, Generic[InChannels, OutChannels]):
    """The convolution of ``(B, in_channels, L)`` sequences (or one ``(in_channels, L)``)
    with ``out_channels`` kernels of ``kernel_size``: ``(B, out_channels, Lo)``, PyTorch's
    output size.

    ``weight`` is ``(out_channels, in_channels / groups, k)`` and ``bias`` ``(out_channels,)``,
    drawn as in PyTorch (``kaiming_uniform(a=sqrt(5))``, the bias from
    U(-1/sqrt(fan_in), 1/sqrt(fan_in))). ``padding`` is an int, ``"valid"`` or ``"same"``;
    ``padding_mode`` ``"zeros"``, ``"reflect"``, ``"replicate"`` or ``"circular"``.
    """

    _dims = 1
    weight: Variable[OutChannels, Any, Any]
    bias: Variable[OutChannels] | None

    def __init__(self, in_channels: InChannels, out_channels: OutChannels,
                 kernel_size: int | Sequence[int], stride: int | Sequence[int] = 1,
                 padding: int | Sequence[int] | str = 0, dilation: int | Sequence[int] = 1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device: str | None = None, dtype: Any = None) -> None:
        super().__init__()
        self._setup(in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                    bias, padding_mode, 0, dtype, device)

    @overload
    def forward(self, input: Untyped) -> Untyped: ...
    @overload
    def forward(self, input: Tensor[Batch, InChannels, Length]) -> Variable[
        Batch, OutChannels, Any]: ...
    @overload
    def forward(self, input: Tensor[InChannels, Length]) -> Variable[OutChannels, Any]: ...

    def forward(self, input: Any) -> Any:
        """The convolution of ``input``; a frozen layer given a ``Constant`` returns one."""
        x, padding = self._padded(input)
        return conv1d(x, self._param(self.weight), self._param(self.bias), self.stride,
                      padding, self.dilation, self.groups)


class Conv2D(_Conv, Generic[InChannels, OutChannels]):
    """The convolution of ``(B, in_channels, H, W)`` images (or one ``(in_channels, H, W)``)
    with ``out_channels`` kernels of ``kernel_size``: ``(B, out_channels, Ho, Wo)`` with
    PyTorch's output sizes.

    ``weight`` is ``(out_channels, in_channels / groups, kh, kw)`` and ``bias``
    ``(out_channels,)``, both drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with
    ``fan_in = in_channels / groups * kh * kw``, as in PyTorch. ``padding`` is an int, a pair,
    ``"valid"`` or ``"same"``; ``padding_mode`` ``"zeros"``, ``"reflect"``, ``"replicate"``
    or ``"circular"``.
    """

    weight: Variable[OutChannels, Any, Any, Any]
    bias: Variable[OutChannels] | None

    def __init__(self, in_channels: InChannels, out_channels: OutChannels,
                 kernel_size: int | Sequence[int], stride: int | Sequence[int] = 1,
                 padding: int | Sequence[int] | str = 0, dilation: int | Sequence[int] = 1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device: str | None = None, dtype: Any = None) -> None:
        super().__init__()
        self._setup(in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                    bias, padding_mode, 0, dtype, device)

    @overload
    def forward(self, x: Untyped) -> Untyped: ...
    @overload
    def forward(self, x: Tensor[Batch, InChannels, Height, Width]) -> Variable[
        Batch, OutChannels, Any, Any]: ...
    @overload
    def forward(self, x: Tensor[InChannels, Height, Width]) -> Variable[
        OutChannels, Any, Any]: ...

    def forward(self, x: Any) -> Any:
        """The convolution of ``x``; a frozen layer given a ``Constant`` returns one."""
        source, padding = self._padded(x)
        return conv2d(source, self._param(self.weight), self._param(self.bias), self.stride,
                      padding, self.dilation, self.groups)


class Conv3d(_Conv, Generic[InChannels, OutChannels]):
    """The convolution of ``(B, in_channels, D, H, W)`` volumes (or one ``(in_channels, D, H,
    W)``) with ``out_channels`` kernels of ``kernel_size``: ``(B, out_channels, Do, Ho, Wo)``
    with PyTorch's output sizes.

    ``weight`` is ``(out_channels, in_channels / groups, kd, kh, kw)`` and ``bias``
    ``(out_channels,)``, drawn as in PyTorch. ``padding`` is an int, three ints, ``"valid"``
    or ``"same"``; ``padding_mode`` as ``Conv2D``'s.
    """

    _dims = 3
    weight: Variable[OutChannels, Any, Any, Any, Any]
    bias: Variable[OutChannels] | None

    def __init__(self, in_channels: InChannels, out_channels: OutChannels,
                 kernel_size: int | Sequence[int], stride: int | Sequence[int] = 1,
                 padding: int | Sequence[int] | str = 0, dilation: int | Sequence[int] = 1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device: str | None = None, dtype: Any = None) -> None:
        super().__init__()
        self._setup(in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                    bias, padding_mode, 0, dtype, device)

    @overload
    def forward(self, input: Untyped) -> Untyped: ...
    @overload
    def forward(self, input: Tensor[Batch, InChannels, Depth, Height, Width]) -> Variable[
        Batch, OutChannels, Any, Any, Any]: ...
    @overload
    def forward(self, input: Tensor[InChannels, Depth, Height, Width]) -> Variable[
        OutChannels, Any, Any, Any]: ...

    def forward(self, input: Any) -> Any:
        """The convolution of ``input``; a frozen layer given a ``Constant`` returns one."""
        x, padding = self._padded(input)
        return conv3d(x, self._param(self.weight), self._param(self.bias), self.stride,
                      padding, self.dilation, self.groups)


class ConvTranspose1d(_ConvTranspose, Generic[InChannels, OutChannels]):
    """The transposed convolution of ``(B, in_channels, L)`` sequences (or one
    ``(in_channels, L)``): ``(B, out_channels, Lo)`` with ``Lo = (L - 1) * stride -
    2 * padding + dilation * (k - 1) + output_padding + 1``, the adjoint of ``Conv1d``.

    ``weight`` is ``(in_channels, out_channels / groups, k)`` (PyTorch's layout) and ``bias``
    ``(out_channels,)``, drawn as in PyTorch with ``fan_in = out_channels / groups * k``.
    ``forward(input, output_size)`` picks the ``output_padding`` that gives ``output_size``.
    Only ``padding_mode="zeros"``, as in PyTorch.
    """

    _dims = 1
    weight: Variable[InChannels, Any, Any]
    bias: Variable[OutChannels] | None

    def __init__(self, in_channels: InChannels, out_channels: OutChannels,
                 kernel_size: int | Sequence[int], stride: int | Sequence[int] = 1,
                 padding: int | Sequence[int] = 0, output_padding: int | Sequence[int] = 0,
                 groups: int = 1, bias: bool = True, dilation: int | Sequence[int] = 1,
                 padding_mode: str = "zeros", device: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self._setup(in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                    bias, padding_mode, output_padding, dtype, device)

    @overload
    def forward(self, input: Untyped, output_size: Sequence[int] | None = None) -> Untyped: ...
    @overload
    def forward(self, input: Tensor[Batch, InChannels, Length],
                output_size: Sequence[int] | None = None) -> Variable[
                    Batch, OutChannels, Any]: ...
    @overload
    def forward(self, input: Tensor[InChannels, Length],
                output_size: Sequence[int] | None = None) -> Variable[OutChannels, Any]: ...

    def forward(self, input: Any, output_size: Sequence[int] | None = None) -> Any:
        """The transposed convolution of ``input``, of ``output_size`` if given."""
        return conv_transpose1d(input, self._param(self.weight), self._param(self.bias),
                                self.stride, self._int_padding(),
                                self._output_padding(input, output_size), self.groups,
                                self.dilation)


class ConvTranspose2d(_ConvTranspose, Generic[InChannels, OutChannels]):
    """The transposed convolution of ``(B, in_channels, H, W)`` images (or one
    ``(in_channels, H, W)``): ``(B, out_channels, Ho, Wo)`` with ``Ho = (H - 1) * stride -
    2 * padding + dilation * (kh - 1) + output_padding + 1`` (and so for the width), the
    adjoint of ``Conv2d``, computed by its input-gradient kernel.

    ``weight`` is ``(in_channels, out_channels / groups, kh, kw)`` (PyTorch's layout) and
    ``bias`` ``(out_channels,)``, drawn as in PyTorch with ``fan_in = out_channels / groups *
    kh * kw``. ``forward(input, output_size)`` picks the ``output_padding`` that gives
    ``output_size``. Only ``padding_mode="zeros"``, as in PyTorch.
    """

    weight: Variable[InChannels, Any, Any, Any]
    bias: Variable[OutChannels] | None

    def __init__(self, in_channels: InChannels, out_channels: OutChannels,
                 kernel_size: int | Sequence[int], stride: int | Sequence[int] = 1,
                 padding: int | Sequence[int] = 0, output_padding: int | Sequence[int] = 0,
                 groups: int = 1, bias: bool = True, dilation: int | Sequence[int] = 1,
                 padding_mode: str = "zeros", device: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self._setup(in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                    bias, padding_mode, output_padding, dtype, device)

    @overload
    def forward(self, input: Untyped, output_size: Sequence[int] | None = None) -> Untyped: ...
    @overload
    def forward(self, input: Tensor[Batch, InChannels, Height, Width],
                output_size: Sequence[int] | None = None) -> Variable[
                    Batch, OutChannels, Any, Any]: ...
    @overload
    def forward(self, input: Tensor[InChannels, Height, Width],
                output_size: Sequence[int] | None = None) -> Variable[
                    OutChannels, Any, Any]: ...

    def forward(self, input: Any, output_size: Sequence[int] | None = None) -> Any:
        """The transposed convolution of ``input``, of ``output_size`` if given."""
        return conv_transpose2d(input, self._param(self.weight), self._param(self.bias),
                                self.stride, self._int_padding(),
                                self._output_padding(input, output_size), self.groups,
                                self.dilation)


class ConvTranspose3d(_ConvTranspose, Generic[InChannels, OutChannels]):
    """The transposed convolution of ``(B, in_channels, D, H, W)`` volumes (or one
    ``(in_channels, D, H, W)``): ``(B, out_channels, Do, Ho, Wo)``, each size as
    ``ConvTranspose1d``'s, the adjoint of ``Conv3d``.

    ``weight`` is ``(in_channels, out_channels / groups, kd, kh, kw)`` (PyTorch's layout) and
    ``bias`` ``(out_channels,)``, drawn as in PyTorch. ``forward(input, output_size)`` picks
    the ``output_padding`` that gives ``output_size``. Only ``padding_mode="zeros"``.
    """

    _dims = 3
    weight: Variable[InChannels, Any, Any, Any, Any]
    bias: Variable[OutChannels] | None

    def __init__(self, in_channels: InChannels, out_channels: OutChannels,
                 kernel_size: int | Sequence[int], stride: int | Sequence[int] = 1,
                 padding: int | Sequence[int] = 0, output_padding: int | Sequence[int] = 0,
                 groups: int = 1, bias: bool = True, dilation: int | Sequence[int] = 1,
                 padding_mode: str = "zeros", device: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self._setup(in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                    bias, padding_mode, output_padding, dtype, device)

    @overload
    def forward(self, input: Untyped, output_size: Sequence[int] | None = None) -> Untyped: ...
    @overload
    def forward(self, input: Tensor[Batch, InChannels, Depth, Height, Width],
                output_size: Sequence[int] | None = None) -> Variable[
                    Batch, OutChannels, Any, Any, Any]: ...
    @overload
    def forward(self, input: Tensor[InChannels, Depth, Height, Width],
                output_size: Sequence[int] | None = None) -> Variable[
                    OutChannels, Any, Any, Any]: ...

    def forward(self, input: Any, output_size: Sequence[int] | None = None) -> Any:
        """The transposed convolution of ``input``, of ``output_size`` if given."""
        return conv_transpose3d(input, self._param(self.weight), self._param(self.bias),
                                self.stride, self._int_padding(),
                                self._output_padding(input, output_size), self.groups,
                                self.dilation)


# PyTorch's casing of the crate's names: the same class objects.
Conv2d = Conv2D
