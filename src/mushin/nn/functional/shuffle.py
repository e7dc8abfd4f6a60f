"""PyTorch's ``F.channel_shuffle`` (ShuffleNet's): the channels of ``(N, C, *)`` split into
groups and interleaved, a reshape, a permutation and a reshape (the gradient theirs); and
``F.native_channel_shuffle``, PyTorch's name for its kernel, the same function here."""

from __future__ import annotations

from typing import Any

from mushin import _typing as typed
from mushin._check import is_int, operation_name, shape_of
from mushin.errors import ShapeError
from mushin.ops.shape import permute, reshape


@typed.activation_function
def channel_shuffle(input: Any, groups: int) -> Any:
    """PyTorch's ``F.channel_shuffle``: ``input`` ``(N, C, *)`` (at least 3 axes) with its
    ``C`` channels, seen as ``groups`` groups of ``C / groups``, transposed to ``C / groups``
    groups of ``groups``: channel ``g * (C / groups) + i`` moves to ``i * groups + g``."""
    name = "channel_shuffle"
    shape = shape_of(input)
    if not is_int(groups) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"{operation_name(name)}: groups must be a positive int, got {groups!r}")
    if len(shape) < 3:
        raise ShapeError(f"{operation_name(name)}: expected an input of shape (N, C, *) with more "
                         f"than 2 axes, got shape {shape}")
    channels = shape[1]
    if channels % groups:
        raise ShapeError(f"{operation_name(name)}: the channels of the input of shape {shape} "
                         f"({channels}) must be divisible by groups ({groups})")
    rest = shape[2:]
    grouped = reshape(input, (shape[0], groups, channels // groups, *rest))
    swapped = permute(grouped, (0, 2, 1, *range(3, 3 + len(rest))))
    return reshape(swapped, shape)


native_channel_shuffle = channel_shuffle
"""PyTorch's ``F.native_channel_shuffle`` (its kernel of ``channel_shuffle``): the same."""
