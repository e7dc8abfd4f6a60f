"""The pooling layers (no parameters), PyTorch's arguments, on batched or unbatched inputs:
``MaxPool1d``, ``MaxPool2D`` and ``MaxPool3d``, ``AvgPool1d``, ``AvgPool2D`` and ``AvgPool3d``,
``LPPool1d/2d/3d``, and the adaptive ``AdaptiveAvgPool1d/2d/3d`` and ``AdaptiveMaxPool1d/2d/3d``.

The 1-d and 3-d layers keep their arguments as PyTorch's do (and so print the same); ``MaxPool2D``
and ``AvgPool2D``, the crate's, keep theirs as (height, width) pairs. A layer with
``return_indices=True`` returns ``(values, indices)`` as its function does. For the checkers
the max poolings are generic over that flag, taken from the constructor's literal:
``MaxPool2D(2)`` is a ``MaxPool2D[Literal[False]]`` whose ``forward`` gives the values,
``MaxPool2D(2, return_indices=True)`` a ``MaxPool2D[Literal[True]]`` giving the pair (the
indices a ``Constant`` of the values' shape), and a flag known only at run time either (of kind
``Tensor``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, overload

from mushin._tensor import Constant, Tensor, Variable
from mushin.nn.functional.pool import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_avg_pool3d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    adaptive_max_pool3d,
    avg_pool1d,
    avg_pool2d,
    avg_pool3d,
    lp_pool1d,
    lp_pool2d,
    lp_pool3d,
    max_pool1d,
    max_pool2d,
    max_pool3d,
)
from mushin.nn.functional.window import Pair, ints, pair
from mushin.nn.module import Module, check_options

__all__ = ["AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d",
           "AdaptiveMaxPool2d", "AdaptiveMaxPool3d", "AvgPool1d", "AvgPool2D", "AvgPool2d",
           "AvgPool3d", "LPPool1d", "LPPool2d", "LPPool3d", "MaxPool1d", "MaxPool2D",
           "MaxPool2d", "MaxPool3d"]

if TYPE_CHECKING:
    # PEP 696's default (typing_extensions' TypeVar): a bare ``MaxPool2D`` returns the values.
    from typing_extensions import TypeVar as _DefaultingTypeVar

    from mushin._typing import Untyped

    Indices = _DefaultingTypeVar("Indices", bound=bool, covariant=True, default=Literal[False])
else:
    Indices = TypeVar("Indices", bound=bool, covariant=True)
"""Whether a max pooling returns ``(values, indices)``: its ``return_indices``, ``Literal[True]``
or ``Literal[False]`` as given to the constructor, ``bool`` where that is known only at run time
(its ``forward`` then returns either)."""
N = TypeVar("N")
C = TypeVar("C")


class _Pool1d(Module, Generic[Indices]):
    """A pooling of ``(B, C, L)`` signals or one ``(C, L)``: ``(B, C, Lo)``, the input's
    kind; ``Lo`` is known at run time."""

    def __init__(self, dtype: Any, device: str | None) -> None:
        super().__init__()
        check_options(dtype, device)

    @overload
    def forward(self, input: Untyped) -> Untyped: ...
    @overload
    def forward(self: _Pool1d[Literal[False]], input: Variable[N, C, Any]
                ) -> Variable[N, C, Any]: ...
    @overload
    def forward(self: _Pool1d[Literal[False]], input: Variable[C, Any]) -> Variable[C, Any]: ...
    @overload
    def forward(self: _Pool1d[Literal[False]], input: Constant[N, C, Any]
                ) -> Constant[N, C, Any]: ...
    @overload
    def forward(self: _Pool1d[Literal[False]], input: Constant[C, Any]) -> Constant[C, Any]: ...
    @overload
    def forward(self: _Pool1d[Literal[False]], input: Tensor[N, C, Any]) -> Tensor[N, C, Any]: ...
    @overload
    def forward(self: _Pool1d[Literal[False]], input: Tensor[C, Any]) -> Tensor[C, Any]: ...
    @overload
    def forward(self: _Pool1d[Literal[True]], input: Variable[N, C, Any]
                ) -> tuple[Variable[N, C, Any], Constant[N, C, Any]]: ...
    @overload
    def forward(self: _Pool1d[Literal[True]], input: Variable[C, Any]
                ) -> tuple[Variable[C, Any], Constant[C, Any]]: ...
    @overload
    def forward(self: _Pool1d[Literal[True]], input: Constant[N, C, Any]
                ) -> tuple[Constant[N, C, Any], Constant[N, C, Any]]: ...
    @overload
    def forward(self: _Pool1d[Literal[True]], input: Constant[C, Any]
                ) -> tuple[Constant[C, Any], Constant[C, Any]]: ...
    @overload
    def forward(self: _Pool1d[Literal[True]], input: Tensor[N, C, Any]
                ) -> tuple[Tensor[N, C, Any], Constant[N, C, Any]]: ...
    @overload
    def forward(self: _Pool1d[Literal[True]], input: Tensor[C, Any]
                ) -> tuple[Tensor[C, Any], Constant[C, Any]]: ...
    @overload
    def forward(self, input: Tensor[N, C, Any]
                ) -> Tensor[N, C, Any] | tuple[Tensor[N, C, Any], Constant[N, C, Any]]: ...
    @overload
    def forward(self, input: Tensor[C, Any]
                ) -> Tensor[C, Any] | tuple[Tensor[C, Any], Constant[C, Any]]: ...

    def forward(self, input: Any) -> Any:
        """The layer's pooling of ``input``."""
        return self._pooled(input)

    def _pooled(self, input: Any) -> Any:
        raise NotImplementedError


class _Pool2D(Module, Generic[Indices]):
    """A pooling of ``(B, C, H, W)`` images or one ``(C, H, W)``: ``(B, C, Ho, Wo)``, the
    input's kind; ``Ho`` and ``Wo`` are known at run time."""

    def __init__(self, dtype: Any, device: str | None) -> None:
        super().__init__()
        check_options(dtype, device)

    @overload
    def forward(self, input: Untyped) -> Untyped: ...
    @overload
    def forward(self: _Pool2D[Literal[False]], input: Variable[N, C, Any, Any]
                ) -> Variable[N, C, Any, Any]: ...
    @overload
    def forward(self: _Pool2D[Literal[False]], input: Variable[C, Any, Any]
                ) -> Variable[C, Any, Any]: ...
    @overload
    def forward(self: _Pool2D[Literal[False]], input: Constant[N, C, Any, Any]
                ) -> Constant[N, C, Any, Any]: ...
    @overload
    def forward(self: _Pool2D[Literal[False]], input: Constant[C, Any, Any]
                ) -> Constant[C, Any, Any]: ...
    @overload
    def forward(self: _Pool2D[Literal[False]], input: Tensor[N, C, Any, Any]
                ) -> Tensor[N, C, Any, Any]: ...
    @overload
    def forward(self: _Pool2D[Literal[False]], input: Tensor[C, Any, Any]
                ) -> Tensor[C, Any, Any]: ...
    @overload
    def forward(self: _Pool2D[Literal[True]], input: Variable[N, C, Any, Any]
                ) -> tuple[Variable[N, C, Any, Any], Constant[N, C, Any, Any]]: ...
    @overload
    def forward(self: _Pool2D[Literal[True]], input: Variable[C, Any, Any]
                ) -> tuple[Variable[C, Any, Any], Constant[C, Any, Any]]: ...
    @overload
    def forward(self: _Pool2D[Literal[True]], input: Constant[N, C, Any, Any]
                ) -> tuple[Constant[N, C, Any, Any], Constant[N, C, Any, Any]]: ...
    @overload
    def forward(self: _Pool2D[Literal[True]], input: Constant[C, Any, Any]
                ) -> tuple[Constant[C, Any, Any], Constant[C, Any, Any]]: ...
    @overload
    def forward(self: _Pool2D[Literal[True]], input: Tensor[N, C, Any, Any]
                ) -> tuple[Tensor[N, C, Any, Any], Constant[N, C, Any, Any]]: ...
    @overload
    def forward(self: _Pool2D[Literal[True]], input: Tensor[C, Any, Any]
                ) -> tuple[Tensor[C, Any, Any], Constant[C, Any, Any]]: ...
    @overload
    def forward(self, input: Tensor[N, C, Any, Any]
                ) -> (Tensor[N, C, Any, Any]
                      | tuple[Tensor[N, C, Any, Any], Constant[N, C, Any, Any]]): ...
    @overload
    def forward(self, input: Tensor[C, Any, Any]
                ) -> Tensor[C, Any, Any] | tuple[Tensor[C, Any, Any], Constant[C, Any, Any]]: ...

    def forward(self, input: Any) -> Any:
        """The layer's pooling of ``input``."""
        return self._pooled(input)

    def _pooled(self, input: Any) -> Any:
        raise NotImplementedError


class _Pool3d(Module, Generic[Indices]):
    """A pooling of ``(B, C, D, H, W)`` volumes or one ``(C, D, H, W)``: ``(B, C, Do, Ho,
    Wo)``, the input's kind; the sizes are known at run time."""

    def __init__(self, dtype: Any, device: str | None) -> None:
        super().__init__()
        check_options(dtype, device)

    @overload
    def forward(self, input: Untyped) -> Untyped: ...
    @overload
    def forward(self: _Pool3d[Literal[False]], input: Variable[N, C, Any, Any, Any]
                ) -> Variable[N, C, Any, Any, Any]: ...
    @overload
    def forward(self: _Pool3d[Literal[False]], input: Variable[C, Any, Any, Any]
                ) -> Variable[C, Any, Any, Any]: ...
    @overload
    def forward(self: _Pool3d[Literal[False]], input: Constant[N, C, Any, Any, Any]
                ) -> Constant[N, C, Any, Any, Any]: ...
    @overload
    def forward(self: _Pool3d[Literal[False]], input: Constant[C, Any, Any, Any]
                ) -> Constant[C, Any, Any, Any]: ...
    @overload
    def forward(self: _Pool3d[Literal[False]], input: Tensor[N, C, Any, Any, Any]
                ) -> Tensor[N, C, Any, Any, Any]: ...
    @overload
    def forward(self: _Pool3d[Literal[False]], input: Tensor[C, Any, Any, Any]
                ) -> Tensor[C, Any, Any, Any]: ...
    @overload
    def forward(self: _Pool3d[Literal[True]], input: Variable[N, C, Any, Any, Any]
                ) -> tuple[Variable[N, C, Any, Any, Any], Constant[N, C, Any, Any, Any]]: ...
    @overload
    def forward(self: _Pool3d[Literal[True]], input: Variable[C, Any, Any, Any]
                ) -> tuple[Variable[C, Any, Any, Any], Constant[C, Any, Any, Any]]: ...
    @overload
    def forward(self: _Pool3d[Literal[True]], input: Constant[N, C, Any, Any, Any]
                ) -> tuple[Constant[N, C, Any, Any, Any], Constant[N, C, Any, Any, Any]]: ...
    @overload
    def forward(self: _Pool3d[Literal[True]], input: Constant[C, Any, Any, Any]
                ) -> tuple[Constant[C, Any, Any, Any], Constant[C, Any, Any, Any]]: ...
    @overload
    def forward(self: _Pool3d[Literal[True]], input: Tensor[N, C, Any, Any, Any]
                ) -> tuple[Tensor[N, C, Any, Any, Any], Constant[N, C, Any, Any, Any]]: ...
    @overload
    def forward(self: _Pool3d[Literal[True]], input: Tensor[C, Any, Any, Any]
                ) -> tuple[Tensor[C, Any, Any, Any], Constant[C, Any, Any, Any]]: ...
    @overload
    def forward(self, input: Tensor[N, C, Any, Any, Any]
                ) -> (Tensor[N, C, Any, Any, Any]
                      | tuple[Tensor[N, C, Any, Any, Any], Constant[N, C, Any, Any, Any]]): ...
    @overload
    def forward(self, input: Tensor[C, Any, Any, Any]
                ) -> (Tensor[C, Any, Any, Any]
                      | tuple[Tensor[C, Any, Any, Any], Constant[C, Any, Any, Any]]): ...

    def forward(self, input: Any) -> Any:
        """The layer's pooling of ``input``."""
        return self._pooled(input)

    def _pooled(self, input: Any) -> Any:
        raise NotImplementedError


def _checked(name: str, arguments: dict[str, tuple[Any, int]], dims: int = 1) -> None:
    """Each size argument an int or ``dims`` ints, at least its minimum (``None`` passes: a
    stride that defaults to the kernel)."""
    for argument, (value, minimum) in arguments.items():
        if value is not None:
            ints(name, argument, value, minimum, dims)


# --- max and average pooling ------------------------------------------------------------------

class MaxPool1d(_Pool1d[Indices]):
    """The maximum of each window of ``kernel_size`` elements ``dilation`` apart, windows
    ``stride`` apart (``kernel_size`` by default), over the input padded with -inf by
    ``padding`` on each side; ``ceil_mode`` rounds the output length up (see
    ``F.max_pool1d``)."""

    @overload
    def __init__(self: MaxPool1d[Literal[False]], kernel_size: int | Sequence[int],
                 stride: int | Sequence[int] | None = None, padding: int | Sequence[int] = 0,
                 dilation: int | Sequence[int] = 1, return_indices: Literal[False] = False,
                 ceil_mode: bool = False, *, dtype: Any = None,
                 device: str | None = None) -> None: ...
    @overload
    def __init__(self: MaxPool1d[Literal[True]], kernel_size: int | Sequence[int],
                 stride: int | Sequence[int] | None = None, padding: int | Sequence[int] = 0,
                 dilation: int | Sequence[int] = 1, *, return_indices: Literal[True],
                 ceil_mode: bool = False, dtype: Any = None, device: str | None = None) -> None: ...
    @overload
    def __init__(self: MaxPool1d[bool], kernel_size: int | Sequence[int],
                 stride: int | Sequence[int] | None = None, padding: int | Sequence[int] = 0,
                 dilation: int | Sequence[int] = 1, return_indices: bool = False,
                 ceil_mode: bool = False, *, dtype: Any = None,
                 device: str | None = None) -> None: ...

    def __init__(self, kernel_size: int | Sequence[int],
                 stride: int | Sequence[int] | None = None, padding: int | Sequence[int] = 0,
                 dilation: int | Sequence[int] = 1, return_indices: bool = False,
                 ceil_mode: bool = False, *, dtype: Any = None,
                 device: str | None = None) -> None:
        super().__init__(dtype, device)
        _checked("MaxPool1d", {"kernel_size": (kernel_size, 1), "stride": (stride, 1),
                               "padding": (padding, 0), "dilation": (dilation, 1)})
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def _pooled(self, input: Any) -> Any:
        return max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                          self.ceil_mode, self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool2D(_Pool2D[Indices]):
    """The maximum of each ``kernel_size`` window (elements ``dilation`` apart), windows
    ``stride`` apart (``kernel_size`` by default), over the input padded with -inf by
    ``padding``; ``ceil_mode`` rounds the output size up (see ``F.max_pool2d``)."""

    @overload
    def __init__(self: MaxPool2D[Literal[False]], kernel_size: int | Pair,
                 stride: int | Pair | None = None, padding: int | Pair = 0,
                 dilation: int | Pair = 1, return_indices: Literal[False] = False,
                 ceil_mode: bool = False, *, dtype: Any = None,
                 device: str | None = None) -> None: ...
    @overload
    def __init__(self: MaxPool2D[Literal[True]], kernel_size: int | Pair,
                 stride: int | Pair | None = None, padding: int | Pair = 0,
                 dilation: int | Pair = 1, *, return_indices: Literal[True],
                 ceil_mode: bool = False, dtype: Any = None, device: str | None = None) -> None: ...
    @overload
    def __init__(self: MaxPool2D[bool], kernel_size: int | Pair, stride: int | Pair | None = None,
                 padding: int | Pair = 0, dilation: int | Pair = 1, return_indices: bool = False,
                 ceil_mode: bool = False, *, dtype: Any = None,
                 device: str | None = None) -> None: ...

    def __init__(self, kernel_size: int | Pair, stride: int | Pair | None = None,
                 padding: int | Pair = 0, dilation: int | Pair = 1,
                 return_indices: bool = False, ceil_mode: bool = False, *, dtype: Any = None,
                 device: str | None = None) -> None:
        super().__init__(dtype, device)
        name = type(self).__name__
        self.kernel_size = pair(name, "kernel_size", kernel_size, 1)
        self.stride = self.kernel_size if stride is None else pair(name, "stride", stride, 1)
        self.padding = pair(name, "padding", padding, 0)
        self.dilation = pair(name, "dilation", dilation, 1)
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def _pooled(self, input: Any) -> Any:
        return max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                          self.ceil_mode, self.return_indices)

    def extra_repr(self) -> str:
        text = f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.ceil_mode:
            text += ", ceil_mode=True"
        return text


class AvgPool1d(_Pool1d):
    """The mean of each window of ``kernel_size`` elements, windows ``stride`` apart
    (``kernel_size`` by default), over the input padded with zeros by ``padding``; a
    window's sum is divided by its length within the padded input (``count_include_pad``) or
    within the input (see ``F.avg_pool1d``)."""

    def __init__(self, kernel_size: int | Sequence[int],
                 stride: int | Sequence[int] | None = None, padding: int | Sequence[int] = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True, *, dtype: Any = None,
                 device: str | None = None) -> None:
        super().__init__(dtype, device)
        name = "AvgPool1d"
        self.kernel_size = ints(name, "kernel_size", kernel_size, 1, 1)
        self.stride = (self.kernel_size if stride is None
                       else ints(name, "stride", stride, 1, 1))
        self.padding = ints(name, "padding", padding, 0, 1)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def _pooled(self, input: Any) -> Any:
        return avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2D(_Pool2D):
    """The mean of each ``kernel_size`` window, windows ``stride`` apart (``kernel_size`` by
    default), over the input padded with zeros by ``padding`` (counted in the mean unless
    ``count_include_pad=False``, as in PyTorch); ``divisor_override`` divides every window's
    sum instead (see ``F.avg_pool2d``)."""

    def __init__(self, kernel_size: int | Pair, stride: int | Pair | None = None,
                 padding: int | Pair = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override: int | None = None, *,
                 dtype: Any = None, device: str | None = None) -> None:
        super().__init__(dtype, device)
        name = type(self).__name__
        self.kernel_size = pair(name, "kernel_size", kernel_size, 1)
        self.stride = self.kernel_size if stride is None else pair(name, "stride", stride, 1)
        self.padding = pair(name, "padding", padding, 0)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def _pooled(self, input: Any) -> Any:
        return avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class LPPool1d(_Pool1d):
    """The ``norm_type``-norm of each window of ``kernel_size`` elements, windows ``stride``
    apart (``kernel_size`` by default), unpadded (see ``F.lp_pool1d``)."""

    def __init__(self, norm_type: float, kernel_size: int | Sequence[int],
                 stride: int | Sequence[int] | None = None, ceil_mode: bool = False, *,
                 dtype: Any = None, device: str | None = None) -> None:
        super().__init__(dtype, device)
        _checked("LPPool1d", {"kernel_size": (kernel_size, 1), "stride": (stride, 1)})
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def _pooled(self, input: Any) -> Any:
        return lp_pool1d(input, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self) -> str:
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")


class LPPool2d(_Pool2D):
    """``LPPool1d`` over the height and the width (see ``F.lp_pool2d``)."""

    def __init__(self, norm_type: float, kernel_size: int | Sequence[int],
                 stride: int | Sequence[int] | None = None, ceil_mode: bool = False, *,
                 dtype: Any = None, device: str | None = None) -> None:
        super().__init__(dtype, device)
        pair("LPPool2d", "kernel_size", kernel_size, 1)
        if stride is not None:
            pair("LPPool2d", "stride", stride, 1)
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def _pooled(self, input: Any) -> Any:
        return lp_pool2d(input, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self) -> str:
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")


class MaxPool3d(_Pool3d[Indices]):
    """``MaxPool1d`` over the depth, the height and the width: the maximum of each
    ``kernel_size`` window (see ``F.max_pool3d``)."""

    @overload
    def __init__(self: MaxPool3d[Literal[False]], kernel_size: int | Sequence[int],
                 stride: int | Sequence[int] | None = None, padding: int | Sequence[int] = 0,
                 dilation: int | Sequence[int] = 1, return_indices: Literal[False] = False,
                 ceil_mode: bool = False, *, dtype: Any = None,
                 device: str | None = None) -> None: ...
    @overload
    def __init__(self: MaxPool3d[Literal[True]], kernel_size: int | Sequence[int],
                 stride: int | Sequence[int] | None = None, padding: int | Sequence[int] = 0,
                 dilation: int | Sequence[int] = 1, *, return_indices: Literal[True],
                 ceil_mode: bool = False, dtype: Any = None, device: str | None = None) -> None: ...
    @overload
    def __init__(self: MaxPool3d[bool], kernel_size: int | Sequence[int],
                 stride: int | Sequence[int] | None = None, padding: int | Sequence[int] = 0,
                 dilation: int | Sequence[int] = 1, return_indices: bool = False,
                 ceil_mode: bool = False, *, dtype: Any = None,
                 device: str | None = None) -> None: ...

    def __init__(self, kernel_size: int | Sequence[int],
                 stride: int | Sequence[int] | None = None, padding: int | Sequence[int] = 0,
                 dilation: int | Sequence[int] = 1, return_indices: bool = False,
                 ceil_mode: bool = False, *, dtype: Any = None,
                 device: str | None = None) -> None:
        super().__init__(dtype, device)
        _checked("MaxPool3d", {"kernel_size": (kernel_size, 1), "stride": (stride, 1),
                               "padding": (padding, 0), "dilation": (dilation, 1)}, 3)
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def _pooled(self, input: Any) -> Any:
        return max_pool3d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                          self.ceil_mode, self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool3d(_Pool3d):
    """``AvgPool2D`` over the depth, the height and the width (see ``F.avg_pool3d``)."""

    def __init__(self, kernel_size: int | Sequence[int],
                 stride: int | Sequence[int] | None = None, padding: int | Sequence[int] = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None, *, dtype: Any = None,
                 device: str | None = None) -> None:
        super().__init__(dtype, device)
        _checked("AvgPool3d", {"kernel_size": (kernel_size, 1), "stride": (stride, 1),
                               "padding": (padding, 0)}, 3)
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def _pooled(self, input: Any) -> Any:
        return avg_pool3d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class LPPool3d(_Pool3d):
    """``LPPool1d`` over the depth, the height and the width (see ``F.lp_pool3d``)."""

    def __init__(self, norm_type: float, kernel_size: int | Sequence[int],
                 stride: int | Sequence[int] | None = None, ceil_mode: bool = False, *,
                 dtype: Any = None, device: str | None = None) -> None:
        super().__init__(dtype, device)
        _checked("LPPool3d", {"kernel_size": (kernel_size, 1), "stride": (stride, 1)}, 3)
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def _pooled(self, input: Any) -> Any:
        return lp_pool3d(input, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self) -> str:
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")


# --- adaptive pooling -------------------------------------------------------------------------

class AdaptiveAvgPool1d(_Pool1d):
    """The mean over each of ``output_size`` windows spanning the input, the ``i``-th from
    ``floor(i * L / out)`` to ``ceil((i + 1) * L / out)`` (see ``F.adaptive_avg_pool1d``)."""

    def __init__(self, output_size: int | Sequence[int], *, dtype: Any = None,
                 device: str | None = None) -> None:
        super().__init__(dtype, device)
        self.output_size = output_size

    def _pooled(self, input: Any) -> Any:
        return adaptive_avg_pool1d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(_Pool2D):
    """``AdaptiveAvgPool1d`` over the height and the width: ``output_size`` an int or a
    (height, width) pair, whose ``None`` keeps the input's size."""

    def __init__(self, output_size: int | Sequence[int | None], *, dtype: Any = None,
                 device: str | None = None) -> None:
        super().__init__(dtype, device)
        self.output_size = output_size

    def _pooled(self, input: Any) -> Any:
        return adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(_Pool1d[Indices]):
    """The maximum over each of ``AdaptiveAvgPool1d``'s windows (see
    ``F.adaptive_max_pool1d``)."""

    @overload
    def __init__(self: AdaptiveMaxPool1d[Literal[False]], output_size: int | Sequence[int],
                 return_indices: Literal[False] = False, *, dtype: Any = None,
                 device: str | None = None) -> None: ...
    @overload
    def __init__(self: AdaptiveMaxPool1d[Literal[True]], output_size: int | Sequence[int], *,
                 return_indices: Literal[True], dtype: Any = None,
                 device: str | None = None) -> None: ...
    @overload
    def __init__(self: AdaptiveMaxPool1d[bool], output_size: int | Sequence[int],
                 return_indices: bool = False, *, dtype: Any = None,
                 device: str | None = None) -> None: ...

    def __init__(self, output_size: int | Sequence[int], return_indices: bool = False, *,
                 dtype: Any = None, device: str | None = None) -> None:
        super().__init__(dtype, device)
        self.output_size = output_size
        self.return_indices = return_indices

    def _pooled(self, input: Any) -> Any:
        return adaptive_max_pool1d(input, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(_Pool2D[Indices]):
    """The maximum over each of ``AdaptiveAvgPool2d``'s windows (see
    ``F.adaptive_max_pool2d``)."""

    @overload
    def __init__(self: AdaptiveMaxPool2d[Literal[False]], output_size: int | Sequence[int | None],
                 return_indices: Literal[False] = False, *, dtype: Any = None,
                 device: str | None = None) -> None: ...
    @overload
    def __init__(self: AdaptiveMaxPool2d[Literal[True]], output_size: int | Sequence[int | None], *,
                 return_indices: Literal[True], dtype: Any = None,
                 device: str | None = None) -> None: ...
    @overload
    def __init__(self: AdaptiveMaxPool2d[bool], output_size: int | Sequence[int | None],
                 return_indices: bool = False, *, dtype: Any = None,
                 device: str | None = None) -> None: ...

    def __init__(self, output_size: int | Sequence[int | None], return_indices: bool = False,
                 *, dtype: Any = None, device: str | None = None) -> None:
        super().__init__(dtype, device)
        self.output_size = output_size
        self.return_indices = return_indices

    def _pooled(self, input: Any) -> Any:
        return adaptive_max_pool2d(input, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool3d(_Pool3d):
    """``AdaptiveAvgPool1d`` over the depth, the height and the width: ``output_size`` an
    int or three, each ``None`` keeping the input's size."""

    def __init__(self, output_size: int | Sequence[int | None], *, dtype: Any = None,
                 device: str | None = None) -> None:
        super().__init__(dtype, device)
        self.output_size = output_size

    def _pooled(self, input: Any) -> Any:
        return adaptive_avg_pool3d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool3d(_Pool3d[Indices]):
    """The maximum over each of ``AdaptiveAvgPool3d``'s windows (see
    ``F.adaptive_max_pool3d``)."""

    @overload
    def __init__(self: AdaptiveMaxPool3d[Literal[False]], output_size: int | Sequence[int | None],
                 return_indices: Literal[False] = False, *, dtype: Any = None,
                 device: str | None = None) -> None: ...
    @overload
    def __init__(self: AdaptiveMaxPool3d[Literal[True]], output_size: int | Sequence[int | None], *,
                 return_indices: Literal[True], dtype: Any = None,
                 device: str | None = None) -> None: ...
    @overload
    def __init__(self: AdaptiveMaxPool3d[bool], output_size: int | Sequence[int | None],
                 return_indices: bool = False, *, dtype: Any = None,
                 device: str | None = None) -> None: ...

    def __init__(self, output_size: int | Sequence[int | None], return_indices: bool = False,
                 *, dtype: Any = None, device: str | None = None) -> None:
        super().__init__(dtype, device)
        self.output_size = output_size
        self.return_indices = return_indices

    def _pooled(self, input: Any) -> Any:
        return adaptive_max_pool3d(input, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


# PyTorch's casing of the crate's names: the same class objects.
MaxPool2d = MaxPool2D
AvgPool2d = AvgPool2D
