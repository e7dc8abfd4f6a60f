"""``Conv2D``: a 2-D convolution layer on ``(B, C, H, W)``, PyTorch's layout and
initialisation."""

from __future__ import annotations

import math
from typing import Any, Generic, TypeVar

from mushin._check import is_int
from mushin._creation import zeros
from mushin._tensor import Tensor, Variable
from mushin.nn import init
from mushin.nn.functional.conv import conv2d
from mushin.nn.functional.window import Pair, pair
from mushin.nn.module import Module

__all__ = ["Conv2D", "Conv2d"]

InChannels = TypeVar("InChannels", bound=int)
OutChannels = TypeVar("OutChannels", bound=int)
Batch = TypeVar("Batch")
Height = TypeVar("Height")
Width = TypeVar("Width")


class Conv2D(Module, Generic[InChannels, OutChannels]):
    """The convolution of ``(B, in_channels, H, W)`` images with ``out_channels`` kernels of
    ``kernel_size``: ``(B, out_channels, Ho, Wo)`` with PyTorch's output sizes.

    ``weight`` is ``(out_channels, in_channels / groups, kh, kw)`` and ``bias``
    ``(out_channels,)``, both drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with
    ``fan_in = in_channels / groups * kh * kw``, as in PyTorch.
    """

    weight: Variable[OutChannels, Any, Any, Any]
    bias: Variable[OutChannels] | None

    def __init__(self, in_channels: InChannels, out_channels: OutChannels,
                 kernel_size: int | Pair, stride: int | Pair = 1, padding: int | Pair = 0,
                 dilation: int | Pair = 1, groups: int = 1, bias: bool = True, *,
                 dtype: Any = None, device: str | None = None) -> None:
        super().__init__()
        for name, size in (("in_channels", in_channels), ("out_channels", out_channels),
                           ("groups", groups)):
            if not is_int(size) or size < 1:
                raise ValueError(f"Conv2D: {name} must be a positive int, got {size!r}")
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"Conv2D: in_channels ({in_channels}) and out_channels "
                             f"({out_channels}) must both be divisible by groups ({groups})")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = pair("Conv2D", "kernel_size", kernel_size, 1)
        self.stride = pair("Conv2D", "stride", stride, 1)
        self.padding = pair("Conv2D", "padding", padding, 0)
        self.dilation = pair("Conv2D", "dilation", dilation, 1)
        self.groups = groups
        self.weight = zeros((out_channels, in_channels // groups, *self.kernel_size),
                            dtype=dtype, device=device)
        init.kaiming_uniform(self.weight, a=math.sqrt(5))
        self.bias = None
        if bias:
            self.bias = zeros((out_channels,), dtype=dtype, device=device)
            bound = 1 / math.sqrt(init.fans(self.weight)[0])
            init.uniform(self.bias, -bound, bound)

    def forward(self, x: Tensor[Batch, InChannels, Height, Width]) -> Variable[
            Batch, OutChannels, Any, Any]:
        """The convolution of ``x``; a frozen layer given a ``Constant`` returns one."""
        result: Variable[Batch, OutChannels, Any, Any] = conv2d(
            x, self._param(self.weight), self._param(self.bias), self.stride, self.padding,
            self.dilation, self.groups)
        return result

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text


# PyTorch's casing of the crate's names: the same class objects.
Conv2d = Conv2D
