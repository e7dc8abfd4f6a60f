"""``ChannelShuffle`` and ``MaxUnpool1d`` / ``MaxUnpool2d`` / ``MaxUnpool3d``: PyTorch's layers
that rearrange values without parameters, computed by ``F.channel_shuffle`` and
``F.max_unpool1d/2d/3d``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar, TypeVarTuple, overload

from mushin._check import is_int
from mushin._tensor import Constant, Tensor, Variable
from mushin.nn.functional.shuffle import channel_shuffle
from mushin.nn.functional.unpool import max_unpool1d, max_unpool2d, max_unpool3d
from mushin.nn.functional.window import ints
from mushin.nn.module import Module

__all__ = ["ChannelShuffle", "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d"]

if TYPE_CHECKING:
    from mushin._typing import AnyShape, HostArray, Untyped

    Indices: TypeAlias = "Tensor[*AnyShape] | HostArray"
    """The positions ``MaxPool*d(..., return_indices=True)`` found the values at."""

Shape = TypeVarTuple("Shape")
N = TypeVar("N")
C = TypeVar("C")


class ChannelShuffle(Module):
    """The channels of ``(N, C, *)`` inputs split into ``groups`` groups and interleaved (see
    ``F.channel_shuffle``); the shape is kept."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        if not is_int(groups) or isinstance(groups, bool) or groups < 1:
            raise ValueError(f"ChannelShuffle: groups must be a positive int, got {groups!r}")
        self.groups = int(groups)

    @overload
    def forward(self, input: Untyped) -> Untyped: ...
    @overload
    def forward(self, input: Variable[*Shape]) -> Variable[*Shape]: ...
    @overload
    def forward(self, input: Constant[*Shape]) -> Constant[*Shape]: ...
    @overload
    def forward(self, input: Tensor[*Shape]) -> Tensor[*Shape]: ...

    def forward(self, input: Any) -> Any:
        """``input`` with its channels shuffled."""
        return channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"


class _MaxUnpool(Module):
    """What the unpooling layers share: the kernel size, the stride (the kernel size by
    default) and the padding, one int per spatial axis, as PyTorch stores them."""

    dims = 0

    def __init__(self, kernel_size: int | Sequence[int],
                 stride: int | Sequence[int] | None = None,
                 padding: int | Sequence[int] = 0) -> None:
        super().__init__()
        name = type(self).__name__
        self.kernel_size = ints(name, "kernel_size", kernel_size, 1, self.dims)
        self.stride = (self.kernel_size if stride is None
                       else ints(name, "stride", stride, 1, self.dims))
        self.padding = ints(name, "padding", padding, 0, self.dims)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpool):
    """``(N, C, L)`` or ``(C, L)`` values put back at their ``indices`` from ``MaxPool1d(...,
    return_indices=True)``, zeros elsewhere (see ``F.max_unpool1d``)."""

    dims = 1

    # The input's kind and its batch and channels; the spatial sizes are known at run time.
    @overload
    def forward(self, input: Untyped, indices: Indices,
                output_size: Sequence[int] | None = ...) -> Untyped: ...
    @overload
    def forward(self, input: Variable[N, C, Any], indices: Indices,
                output_size: Sequence[int] | None = ...) -> Variable[N, C, Any]: ...
    @overload
    def forward(self, input: Variable[C, Any], indices: Indices,
                output_size: Sequence[int] | None = ...) -> Variable[C, Any]: ...
    @overload
    def forward(self, input: Constant[N, C, Any], indices: Indices,
                output_size: Sequence[int] | None = ...) -> Constant[N, C, Any]: ...
    @overload
    def forward(self, input: Constant[C, Any], indices: Indices,
                output_size: Sequence[int] | None = ...) -> Constant[C, Any]: ...
    @overload
    def forward(self, input: Tensor[N, C, Any], indices: Indices,
                output_size: Sequence[int] | None = ...) -> Tensor[N, C, Any]: ...
    @overload
    def forward(self, input: Tensor[C, Any], indices: Indices,
                output_size: Sequence[int] | None = ...) -> Tensor[C, Any]: ...

    def forward(self, input: Any, indices: Any, output_size: Sequence[int] | None = None) -> Any:
        """The unpooled ``input``."""
        tensor: Tensor[*tuple[Any, ...]] = input  # one overload of max_unpool1d's, for pyright
        return max_unpool1d(tensor, indices, self.kernel_size, self.stride, self.padding,
                            output_size)


class MaxUnpool2d(_MaxUnpool):
    """``(N, C, H, W)`` or ``(C, H, W)`` values put back at their ``indices`` from
    ``MaxPool2d(..., return_indices=True)``, zeros elsewhere (see ``F.max_unpool2d``)."""

    dims = 2

    @overload
    def forward(self, input: Untyped, indices: Indices,
                output_size: Sequence[int] | None = ...) -> Untyped: ...
    @overload
    def forward(self, input: Variable[N, C, Any, Any], indices: Indices,
                output_size: Sequence[int] | None = ...) -> Variable[N, C, Any, Any]: ...
    @overload
    def forward(self, input: Variable[C, Any, Any], indices: Indices,
                output_size: Sequence[int] | None = ...) -> Variable[C, Any, Any]: ...
    @overload
    def forward(self, input: Constant[N, C, Any, Any], indices: Indices,
                output_size: Sequence[int] | None = ...) -> Constant[N, C, Any, Any]: ...
    @overload
    def forward(self, input: Constant[C, Any, Any], indices: Indices,
                output_size: Sequence[int] | None = ...) -> Constant[C, Any, Any]: ...
    @overload
    def forward(self, input: Tensor[N, C, Any, Any], indices: Indices,
                output_size: Sequence[int] | None = ...) -> Tensor[N, C, Any, Any]: ...
    @overload
    def forward(self, input: Tensor[C, Any, Any], indices: Indices,
                output_size: Sequence[int] | None = ...) -> Tensor[C, Any, Any]: ...

    def forward(self, input: Any, indices: Any, output_size: Sequence[int] | None = None) -> Any:
        """The unpooled ``input``."""
        tensor: Tensor[*tuple[Any, ...]] = input  # one overload of max_unpool2d's, for pyright
        return max_unpool2d(tensor, indices, self.kernel_size, self.stride, self.padding,
                            output_size)


class MaxUnpool3d(_MaxUnpool):
    """``(N, C, D, H, W)`` or ``(C, D, H, W)`` values put back at their ``indices`` from
    ``MaxPool3d(..., return_indices=True)``, zeros elsewhere (see ``F.max_unpool3d``)."""

    dims = 3

    @overload
    def forward(self, input: Untyped, indices: Indices,
                output_size: Sequence[int] | None = ...) -> Untyped: ...
    @overload
    def forward(self, input: Variable[N, C, Any, Any, Any], indices: Indices,
                output_size: Sequence[int] | None = ...) -> Variable[N, C, Any, Any, Any]: ...
    @overload
    def forward(self, input: Variable[C, Any, Any, Any], indices: Indices,
                output_size: Sequence[int] | None = ...) -> Variable[C, Any, Any, Any]: ...
    @overload
    def forward(self, input: Constant[N, C, Any, Any, Any], indices: Indices,
                output_size: Sequence[int] | None = ...) -> Constant[N, C, Any, Any, Any]: ...
    @overload
    def forward(self, input: Constant[C, Any, Any, Any], indices: Indices,
                output_size: Sequence[int] | None = ...) -> Constant[C, Any, Any, Any]: ...
    @overload
    def forward(self, input: Tensor[N, C, Any, Any, Any], indices: Indices,
                output_size: Sequence[int] | None = ...) -> Tensor[N, C, Any, Any, Any]: ...
    @overload
    def forward(self, input: Tensor[C, Any, Any, Any], indices: Indices,
                output_size: Sequence[int] | None = ...) -> Tensor[C, Any, Any, Any]: ...

    def forward(self, input: Any, indices: Any, output_size: Sequence[int] | None = None) -> Any:
        """The unpooled ``input``."""
        tensor: Tensor[*tuple[Any, ...]] = input  # one overload of max_unpool3d's, for pyright
        return max_unpool3d(tensor, indices, self.kernel_size, self.stride, self.padding,
                            output_size)
