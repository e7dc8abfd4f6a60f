"""``Unfold`` and ``Fold``: PyTorch's im2col and col2im layers (no parameters), computed by
``F.unfold`` and ``F.fold``. The arguments are kept as given, as PyTorch keeps them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar, overload

from mushin._tensor import Constant, Tensor, Variable
from mushin.nn.functional.unfold import fold, unfold
from mushin.nn.module import Module

__all__ = ["Fold", "Unfold"]

if TYPE_CHECKING:
    from mushin._typing import Untyped

N = TypeVar("N")


class Unfold(Module):
    """The sliding blocks of ``(N, C, H, W)`` or ``(C, H, W)`` inputs as columns, ``(N, C *
    kh * kw, L)`` or ``(C * kh * kw, L)`` (see ``F.unfold``)."""

    def __init__(self, kernel_size: int | Sequence[int], dilation: int | Sequence[int] = 1,
                 padding: int | Sequence[int] = 0, stride: int | Sequence[int] = 1) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    # The batch is kept, the kind is the input's; the sizes are products known at run time.
    @overload
    def forward(self, input: Untyped) -> Untyped: ...
    @overload
    def forward(self, input: Variable[N, Any, Any, Any]) -> Variable[N, Any, Any]: ...
    @overload
    def forward(self, input: Variable[Any, Any, Any]) -> Variable[Any, Any]: ...
    @overload
    def forward(self, input: Constant[N, Any, Any, Any]) -> Constant[N, Any, Any]: ...
    @overload
    def forward(self, input: Constant[Any, Any, Any]) -> Constant[Any, Any]: ...
    @overload
    def forward(self, input: Tensor[N, Any, Any, Any]) -> Tensor[N, Any, Any]: ...
    @overload
    def forward(self, input: Tensor[Any, Any, Any]) -> Tensor[Any, Any]: ...

    def forward(self, input: Any) -> Any:
        """The columns of ``input``."""
        tensor: Tensor[*tuple[Any, ...]] = input  # one overload of unfold's, for pyright
        return unfold(tensor, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Module):
    """Columns ``(N, C * kh * kw, L)`` or ``(C * kh * kw, L)`` summed into images of
    ``output_size`` (see ``F.fold``, the adjoint of ``F.unfold``)."""

    def __init__(self, output_size: int | Sequence[int], kernel_size: int | Sequence[int],
                 dilation: int | Sequence[int] = 1, padding: int | Sequence[int] = 0,
                 stride: int | Sequence[int] = 1) -> None:
        super().__init__()
        self.output_size = output_size
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    # The batch is kept, the kind is the input's; the sizes are known at run time.
    @overload
    def forward(self, input: Untyped) -> Untyped: ...
    @overload
    def forward(self, input: Variable[N, Any, Any]) -> Variable[N, Any, Any, Any]: ...
    @overload
    def forward(self, input: Variable[Any, Any]) -> Variable[Any, Any, Any]: ...
    @overload
    def forward(self, input: Constant[N, Any, Any]) -> Constant[N, Any, Any, Any]: ...
    @overload
    def forward(self, input: Constant[Any, Any]) -> Constant[Any, Any, Any]: ...
    @overload
    def forward(self, input: Tensor[N, Any, Any]) -> Tensor[N, Any, Any, Any]: ...
    @overload
    def forward(self, input: Tensor[Any, Any]) -> Tensor[Any, Any, Any]: ...

    def forward(self, input: Any) -> Any:
        """The image the columns ``input`` sum to."""
        tensor: Tensor[*tuple[Any, ...]] = input  # one overload of fold's, for pyright
        return fold(tensor, self.output_size, self.kernel_size, self.dilation, self.padding,
                    self.stride)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")
