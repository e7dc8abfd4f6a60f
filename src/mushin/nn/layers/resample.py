"""Layers that change an image's resolution (no parameters): ``Upsample`` (and its fixed-mode
``UpsamplingNearest2d`` and ``UpsamplingBilinear2d``), ``PixelShuffle`` and
``PixelUnshuffle``, PyTorch's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar, TypeVarTuple, cast, overload

from mushin._tensor import Constant, Tensor, Variable
from mushin.nn.functional.resample import (
    interpolate,
    pixel_shuffle,
    pixel_unshuffle,
    positive_factor,
)
from mushin.nn.module import Module, check_options

__all__ = ["PixelShuffle", "PixelUnshuffle", "Upsample", "UpsamplingBilinear2d",
           "UpsamplingNearest2d"]

if TYPE_CHECKING:
    from mushin._typing import Untyped

Batch = TypeVar("Batch")
Channels = TypeVar("Channels")
Lead = TypeVarTuple("Lead")


class Upsample(Module):
    """``F.interpolate`` of ``(N, C, d1, ...)`` inputs (1 to 3 spatial axes) to ``size`` or
    by ``scale_factor``, in ``mode`` (``"nearest"``, ``"nearest-exact"``, ``"linear"``,
    ``"bilinear"``, ``"bicubic"``, ``"trilinear"``, ``"area"``) with ``align_corners`` for
    the interpolating modes. The scale factor is kept as a float (or a tuple of floats), as
    PyTorch keeps it."""

    def __init__(self, size: int | Sequence[int] | None = None,
                 scale_factor: float | Sequence[float] | None = None, mode: str = "nearest",
                 align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                 *, dtype: Any = None, device: str | None = None) -> None:
        super().__init__()
        check_options(dtype, device)
        self.size = size
        self.scale_factor: float | tuple[float, ...] | None
        if isinstance(scale_factor, Sequence) and not isinstance(scale_factor, str):
            self.scale_factor = tuple(self._factor(factor) for factor in scale_factor)
        else:
            self.scale_factor = self._factor(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def _factor(self, value: object) -> float:
        """A scale factor as PyTorch keeps it, ``float(value)``; ``TypeError`` naming the
        layer where Python's ``float`` refuses ``value``."""
        try:
            return float(cast("Any", value))
        except (TypeError, ValueError):
            raise TypeError(f"{type(self).__name__}: scale_factor must be a number or a tuple "
                            f"of numbers, got {value!r}") from None

    # (N, C, d1, ...) to (N, C, e1, ...) with as many spatial axes (1 to 3), the input's kind;
    # the new sizes are run-time ones.
    @overload
    def forward(self, input: Untyped) -> Untyped: ...
    @overload
    def forward(self, input: Variable[Batch, Channels, Any]) -> Variable[
            Batch, Channels, Any]: ...
    @overload
    def forward(self, input: Constant[Batch, Channels, Any]) -> Constant[
            Batch, Channels, Any]: ...
    @overload
    def forward(self, input: Tensor[Batch, Channels, Any]) -> Tensor[Batch, Channels, Any]: ...
    @overload
    def forward(self, input: Variable[Batch, Channels, Any, Any]) -> Variable[
            Batch, Channels, Any, Any]: ...
    @overload
    def forward(self, input: Constant[Batch, Channels, Any, Any]) -> Constant[
            Batch, Channels, Any, Any]: ...
    @overload
    def forward(self, input: Tensor[Batch, Channels, Any, Any]) -> Tensor[
            Batch, Channels, Any, Any]: ...
    @overload
    def forward(self, input: Variable[Batch, Channels, Any, Any, Any]) -> Variable[
            Batch, Channels, Any, Any, Any]: ...
    @overload
    def forward(self, input: Constant[Batch, Channels, Any, Any, Any]) -> Constant[
            Batch, Channels, Any, Any, Any]: ...
    @overload
    def forward(self, input: Tensor[Batch, Channels, Any, Any, Any]) -> Tensor[
            Batch, Channels, Any, Any, Any]: ...

    def forward(self, input: Any) -> Any:
        """``input`` resampled."""
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            return f"scale_factor={self.scale_factor!r}, mode={self.mode!r}"
        return f"size={self.size!r}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """``Upsample(size, scale_factor, mode="nearest")`` (PyTorch's older name)."""

    def __init__(self, size: int | Sequence[int] | None = None,
                 scale_factor: float | Sequence[float] | None = None, *, dtype: Any = None,
                 device: str | None = None) -> None:
        super().__init__(size, scale_factor, mode="nearest", dtype=dtype, device=device)


class UpsamplingBilinear2d(Upsample):
    """``Upsample(size, scale_factor, mode="bilinear", align_corners=True)`` (PyTorch's older
    name)."""

    def __init__(self, size: int | Sequence[int] | None = None,
                 scale_factor: float | Sequence[float] | None = None, *, dtype: Any = None,
                 device: str | None = None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True, dtype=dtype,
                         device=device)


class _Shuffle(Module):
    """What both pixel shuffles share: ``(*, C, H, W)`` to ``(*, C', H', W')`` in the input's
    kind."""

    def __init__(self, dtype: Any, device: str | None) -> None:
        super().__init__()
        check_options(dtype, device)

    @overload
    def forward(self, input: Untyped) -> Untyped: ...
    @overload
    def forward(self, input: Variable[*Lead, Any, Any, Any]) -> Variable[
            *Lead, Any, Any, Any]: ...
    @overload
    def forward(self, input: Constant[*Lead, Any, Any, Any]) -> Constant[
            *Lead, Any, Any, Any]: ...
    @overload
    def forward(self, input: Tensor[*Lead, Any, Any, Any]) -> Tensor[*Lead, Any, Any, Any]: ...

    def forward(self, input: Any) -> Any:
        """``input`` rearranged."""
        return self._shuffled(input)

    def _shuffled(self, input: Any) -> Any:
        raise NotImplementedError


class PixelShuffle(_Shuffle):
    """``(*, C * r * r, H, W)`` to ``(*, C, H * r, W * r)`` with ``r = upscale_factor`` (see
    ``F.pixel_shuffle``)."""

    def __init__(self, upscale_factor: int, *, dtype: Any = None,
                 device: str | None = None) -> None:
        super().__init__(dtype, device)
        self.upscale_factor = positive_factor("PixelShuffle", "upscale_factor", upscale_factor)

    def _shuffled(self, input: Any) -> Any:
        return pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(_Shuffle):
    """``(*, C, H * r, W * r)`` to ``(*, C * r * r, H, W)`` with ``r = downscale_factor``, the
    inverse of ``PixelShuffle`` (see ``F.pixel_unshuffle``)."""

    def __init__(self, downscale_factor: int, *, dtype: Any = None,
                 device: str | None = None) -> None:
        super().__init__(dtype, device)
        self.downscale_factor = positive_factor("PixelUnshuffle", "downscale_factor",
                                                downscale_factor)

    def _shuffled(self, input: Any) -> Any:
        return pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"
