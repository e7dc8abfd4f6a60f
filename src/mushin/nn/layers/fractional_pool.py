"""``FractionalMaxPool2d`` and ``FractionalMaxPool3d``: PyTorch's fractional max pooling layers,
computed by ``F.fractional_max_pool2d/3d`` (windows at random, fractional steps, drawn anew
at each call unless ``_random_samples`` fixes them)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mushin.nn.functional.fractional_pool import (
    fractional_max_pool2d,
    fractional_max_pool3d,
    output_ratios,
)
from mushin.nn.functional.window import ints
from mushin.nn.module import Module

__all__ = ["FractionalMaxPool2d", "FractionalMaxPool3d"]


class _FractionalMaxPool(Module):
    """What the fractional pooling layers share: the kernel size and either the output size
    or the output ratio (each between 0 and 1), one per spatial axis, as PyTorch stores them;
    ``_random_samples``, when given, is a buffer."""

    dims = 0

    def __init__(self, kernel_size: int | Sequence[int],
                 output_size: int | Sequence[int] | None = None,
                 output_ratio: float | Sequence[float] | None = None,
                 return_indices: bool = False, _random_samples: Any = None) -> None:
        super().__init__()
        name = type(self).__name__
        self.kernel_size = ints(name, "kernel_size", kernel_size, 1, self.dims)
        self.return_indices = return_indices
        if output_size is None and output_ratio is None:
            raise ValueError(f"{name} requires specifying either an output size, or a pooling "
                             f"ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError(f"{name}: only one of output_size and output_ratio may be "
                             f"specified, got both")
        self.output_size = (None if output_size is None
                            else ints(name, "output_size", output_size, 0, self.dims))
        self.output_ratio = (None if output_ratio is None
                             else output_ratios(name, output_ratio, self.dims))
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            raise ValueError(f"{name}: output_ratio must be between 0 and 1 (exclusive), got "
                             f"{output_ratio!r}")
        if _random_samples is None:
            self._random_samples = None
        else:
            self.register_buffer("_random_samples", _random_samples)


class FractionalMaxPool2d(_FractionalMaxPool):
    """The maxima of ``(N, C, H, W)`` or ``(C, H, W)`` inputs over ``kernel_size`` windows at
    random, fractional steps, ``output_size`` of them or ``output_ratio`` times the input's
    size (see ``F.fractional_max_pool2d``); ``return_indices=True`` also returns the
    maxima's positions, for ``MaxUnpool2d``."""

    dims = 2

    def forward(self, input: Any) -> Any:
        """The pooled ``input`` (and the indices, with ``return_indices``)."""
        return fractional_max_pool2d(input, self.kernel_size, self.output_size,
                                     self.output_ratio, self.return_indices,
                                     _random_samples=self._random_samples)


class FractionalMaxPool3d(_FractionalMaxPool):
    """``FractionalMaxPool2d`` over the depth, the height and the width of ``(N, C, D, H, W)``
    or ``(C, D, H, W)`` inputs (see ``F.fractional_max_pool3d``)."""

    dims = 3

    def forward(self, input: Any) -> Any:
        """The pooled ``input`` (and the indices, with ``return_indices``)."""
        return fractional_max_pool3d(input, self.kernel_size, self.output_size,
                                     self.output_ratio, self.return_indices,
                                     _random_samples=self._random_samples)
