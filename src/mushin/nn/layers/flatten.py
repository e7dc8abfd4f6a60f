"""``Flatten``: join consecutive axes into one (by default all but the batch axis)."""

from __future__ import annotations

import math
from typing import Any

from mushin._check import is_int, normalize_axis, shape_of
from mushin.nn.module import Module, check_options
from mushin.ops.shape import reshape

__all__ = ["Flatten"]


class Flatten(Module):
    """Join the axes ``start_dim`` to ``end_dim`` (inclusive) into one; the defaults turn
    ``(B, C, H, W)`` into ``(B, C * H * W)``."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1, *, dtype: Any = None,
                 device: str | None = None) -> None:
        super().__init__()
        for name, value in (("start_dim", start_dim), ("end_dim", end_dim)):
            if not is_int(value):
                raise TypeError(f"Flatten: {name} must be an int, got {value!r}")
        check_options(dtype, device)
        self.start_dim = start_dim
        self.end_dim = end_dim

    # ``Any``: the axes joined are values, not types, and a result of run-time shape
    # (``Variable[*tuple[Any, ...]]``) would leave a following ``Linear``'s batch axes unknown
    # to pyright. ``mu.nn.ops.flatten`` (axis 0 kept) is typed ``[N, Any]``; ``mu.flatten``
    # joins every axis.
    def forward(self, x: Any) -> Any:
        """``x`` with the axes ``start_dim..end_dim`` joined."""
        shape = shape_of(x)
        ndim = max(len(shape), 1)
        first = (normalize_axis("Flatten", self.start_dim, ndim) or (0,))[0]
        last = (normalize_axis("Flatten", self.end_dim, ndim) or (0,))[0]
        if first > last:
            raise ValueError(f"Flatten: start_dim {self.start_dim} comes after end_dim "
                             f"{self.end_dim} for a tensor of shape {shape}")
        joined = math.prod(shape[first:last + 1])
        return reshape(x, (*shape[:first], joined, *shape[last + 1:]))

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
