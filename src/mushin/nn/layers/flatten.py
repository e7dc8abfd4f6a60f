"""``Flatten`` (join consecutive axes into one, by default all but the batch axis) and
``Unflatten`` (split one axis into several), PyTorch's layers."""

from __future__ import annotations

import math
from typing import Any

from mushin._check import check_shape_argument, is_int, normalize_axis, shape_of
from mushin.nn.module import Module, check_options
from mushin.ops.shape import reshape, unflatten

__all__ = ["Flatten", "Unflatten"]


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


class Unflatten(Module):
    """Split the axis ``dim`` into axes of ``unflattened_size`` (a tuple or list of sizes;
    one may be -1, inferred): ``Unflatten(1, (C, H, W))`` turns ``(B, C * H * W)`` into
    ``(B, C, H, W)``, undoing ``Flatten()``."""

    def __init__(self, dim: int, unflattened_size: tuple[int, ...] | list[int], *,
                 dtype: Any = None, device: str | None = None) -> None:
        super().__init__()
        if not is_int(dim):
            raise TypeError(f"Unflatten: dim must be an int, got {dim!r}")
        if not isinstance(unflattened_size, tuple | list) or not unflattened_size:
            raise TypeError(f"Unflatten: unflattened_size must be a non-empty tuple or list of "
                            f"ints, got {unflattened_size!r}")
        check_shape_argument("Unflatten", unflattened_size, allow_minus_one=True)
        check_options(dtype, device)
        self.dim = dim
        self.unflattened_size = unflattened_size

    # ``Any``, as ``Flatten``'s: the sizes are values, not types.
    def forward(self, x: Any) -> Any:
        """``x`` with the axis ``dim`` split into ``unflattened_size``."""
        return unflatten(x, self.dim, self.unflattened_size)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
