"""``MaxPool2D`` and ``AvgPool2D``: pooling layers on ``(B, C, H, W)`` (no parameters)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar, overload

from mushin._tensor import Constant, Tensor, Variable
from mushin.nn.functional.pool import avgpool2d, maxpool2d
from mushin.nn.functional.window import Pair, pair
from mushin.nn.module import Module, check_options

__all__ = ["AvgPool2D", "AvgPool2d", "MaxPool2D", "MaxPool2d"]

if TYPE_CHECKING:
    from mushin._typing import Untyped

Batch = TypeVar("Batch")
Channels = TypeVar("Channels")


class _Pool2D(Module):
    """What both pooling layers share: the window geometry and its repr."""

    def __init__(self, kernel_size: int | Pair, stride: int | Pair | None, padding: int | Pair,
                 dtype: Any, device: str | None) -> None:
        super().__init__()
        name = type(self).__name__
        check_options(dtype, device)
        self.kernel_size = pair(name, "kernel_size", kernel_size, 1)
        self.stride = self.kernel_size if stride is None else pair(name, "stride", stride, 1)
        self.padding = pair(name, "padding", padding, 0)

    _pool: Any
    """The pooling function (``maxpool2d`` or ``avgpool2d``)."""

    # (B, C, H, W) to (B, C, Ho, Wo), the input's kind; Ho and Wo are known at run time.
    @overload
    def forward(self, x: Untyped) -> Untyped: ...
    @overload
    def forward(self, x: Variable[Batch, Channels, Any, Any]) -> Variable[
            Batch, Channels, Any, Any]: ...
    @overload
    def forward(self, x: Constant[Batch, Channels, Any, Any]) -> Constant[
            Batch, Channels, Any, Any]: ...
    @overload
    def forward(self, x: Tensor[Batch, Channels, Any, Any]) -> Tensor[
            Batch, Channels, Any, Any]: ...

    def forward(self, x: Any) -> Any:
        """The pooling function of the layer applied with its kernel, stride and padding."""
        return self._pool(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2D(_Pool2D):
    """The maximum of each ``kernel_size`` window, windows ``stride`` apart (``kernel_size``
    by default), over the input padded with -inf."""

    def __init__(self, kernel_size: int | Pair, stride: int | Pair | None = None,
                 padding: int | Pair = 0, *, dtype: Any = None,
                 device: str | None = None) -> None:
        super().__init__(kernel_size, stride, padding, dtype, device)

    _pool = staticmethod(maxpool2d)


class AvgPool2D(_Pool2D):
    """The mean of each ``kernel_size`` window, windows ``stride`` apart (``kernel_size`` by
    default); zero padding counts in the mean, as in PyTorch."""

    def __init__(self, kernel_size: int | Pair, stride: int | Pair | None = None,
                 padding: int | Pair = 0, *, dtype: Any = None,
                 device: str | None = None) -> None:
        super().__init__(kernel_size, stride, padding, dtype, device)

    _pool = staticmethod(avgpool2d)


# PyTorch's casing of the crate's names: the same class objects.
MaxPool2d = MaxPool2D
AvgPool2d = AvgPool2D
