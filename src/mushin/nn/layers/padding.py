"""The padding layers (PyTorch's ``nn.ZeroPad2d``, ``nn.ReflectionPad1d``...): ``F.pad`` with
a fixed width and mode, for 1, 2 or 3 spatial axes, on batched or unbatched inputs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVarTuple, overload

from mushin._check import is_int, is_number, shape_of
from mushin._tensor import Constant, Tensor, Variable
from mushin.errors import ShapeError
from mushin.nn.functional.shape import pad
from mushin.nn.module import Module

__all__ = ["CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d",
           "ConstantPad2d", "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d",
           "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d",
           "ZeroPad1d", "ZeroPad2d", "ZeroPad3d"]

if TYPE_CHECKING:
    from mushin._typing import AnyShape, Untyped

Shape = TypeVarTuple("Shape")


class _Pad(Module):
    """Pads the last ``_axes`` axes of a ``(N, C, *spatial)`` or ``(C, *spatial)`` input by
    ``padding``: an int for every side, or ``(left, right[, top, bottom[, front, back]])``."""

    _axes = 1
    _mode = "constant"

    def __init__(self, padding: int | tuple[int, ...]) -> None:
        super().__init__()
        name = type(self).__name__
        sides = 2 * self._axes
        widths = (padding,) * sides if is_int(padding) else padding
        if (not isinstance(widths, tuple | list) or len(widths) != sides
                or any(not is_int(width) for width in widths)):
            raise TypeError(f"{name}: padding must be an int or a tuple of {sides} ints, got "
                            f"{padding!r}")
        self.padding = tuple(int(width) for width in widths)
        self.value = 0.0

    # The input's kind; the padded sizes are known at run time.
    @overload
    def forward(self, input: Untyped) -> Untyped: ...
    @overload
    def forward(self, input: Variable[*Shape]) -> Variable[*AnyShape]: ...
    @overload
    def forward(self, input: Constant[*Shape]) -> Constant[*AnyShape]: ...
    @overload
    def forward(self, input: Tensor[*Shape]) -> Tensor[*AnyShape]: ...

    def forward(self, input: Any) -> Any:
        """``input`` padded."""
        rank = len(shape_of(input))
        if rank not in (self._axes + 1, self._axes + 2):
            raise ShapeError(f"{type(self).__name__}: expected a {self._axes + 1}-d (unbatched) "
                             f"or {self._axes + 2}-d (batched) input, got shape "
                             f"{shape_of(input)}")
        if self._mode == "constant":
            return pad(input, self.padding, "constant", self.value)
        return pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPad(_Pad):
    def __init__(self, padding: int | tuple[int, ...], value: float) -> None:
        super().__init__(padding)
        if not is_number(value) or isinstance(value, bool):
            raise TypeError(f"{type(self).__name__}: value must be a number, got {value!r}")
        self.value = float(value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPad):
    """Pads the last axis with ``value``."""


class ConstantPad2d(_ConstantPad):
    """Pads the last two axes with ``value``."""

    _axes = 2


class ConstantPad3d(_ConstantPad):
    """Pads the last three axes with ``value``."""

    _axes = 3


class ZeroPad1d(_Pad):
    """Pads the last axis with zeros."""


class ZeroPad2d(_Pad):
    """Pads the last two axes with zeros."""

    _axes = 2


class ZeroPad3d(_Pad):
    """Pads the last three axes with zeros."""

    _axes = 3


class ReflectionPad1d(_Pad):
    """Pads the last axis with its reflection (the edge value not repeated)."""

    _mode = "reflect"


class ReflectionPad2d(_Pad):
    """Pads the last two axes with their reflection."""

    _axes = 2
    _mode = "reflect"


class ReflectionPad3d(_Pad):
    """Pads the last three axes with their reflection."""

    _axes = 3
    _mode = "reflect"


class ReplicationPad1d(_Pad):
    """Pads the last axis by repeating its edge values."""

    _mode = "replicate"


class ReplicationPad2d(_Pad):
    """Pads the last two axes by repeating their edge values."""

    _axes = 2
    _mode = "replicate"


class ReplicationPad3d(_Pad):
    """Pads the last three axes by repeating their edge values."""

    _axes = 3
    _mode = "replicate"


class CircularPad1d(_Pad):
    """Pads the last axis by wrapping around (a periodic boundary)."""

    _mode = "circular"


class CircularPad2d(_Pad):
    """Pads the last two axes by wrapping around."""

    _axes = 2
    _mode = "circular"


class CircularPad3d(_Pad):
    """Pads the last three axes by wrapping around."""

    _axes = 3
    _mode = "circular"
