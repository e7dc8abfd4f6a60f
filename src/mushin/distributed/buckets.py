"""Gradient buckets: tensors of one dtype laid end to end in flat buffers, so that
``DataParallel`` sends a few large messages (one per ~``bucket_size_mb``) rather than one per
parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np

from mushin import _backend
from mushin._backend import Array
from mushin._tensor import (
    Tensor,
    Variable,
    replace_grad,
    storage,
    stored_grad,
    unwrap,
    writable,
)
from mushin.distributed.transport import on_host


class Bucket:
    """Tensors of one dtype laid end to end in one flat buffer: ``slots`` holds each tensor's
    name, the tensor and its ``[start, stop)`` range in the buffer."""

    __slots__ = ("dtype", "size", "slots")

    def __init__(self, dtype: np.dtype[Any]) -> None:
        self.dtype = dtype
        self.size = 0
        self.slots: list[tuple[str, Tensor[*tuple[Any, ...]], int, int]] = []

    def add(self, name: str, tensor: Tensor[*tuple[Any, ...]]) -> None:
        self.slots.append((name, tensor, self.size, self.size + tensor.numel()))
        self.size += tensor.numel()

    def pack(self, arrays: Sequence[Array | None], scale: float | None = None,
             extra: int = 0) -> Array:
        """A fresh flat buffer holding ``arrays`` (zeros for ``None``), each multiplied by
        ``scale`` if given, and ``extra`` slots longer; on the device of the bucket's
        tensors."""
        xp = _backend.namespace_of(storage(self.slots[0][1]))
        buffer = xp.empty(self.size + extra, dtype=self.dtype)
        factor = None if scale is None else self.dtype.type(scale)
        for (_, _, start, stop), array in zip(self.slots, arrays, strict=True):
            if array is None:
                buffer[start:stop] = 0
            elif factor is None:
                buffer[start:stop] = array.reshape(-1)
            else:
                xp.multiply(array.reshape(-1), factor, out=buffer[start:stop])
        return buffer

    def unpack(self, buffer: Array) -> None:
        """Copy a buffer laid out as :meth:`pack` makes it into the tensors, in place."""
        for _, tensor, start, stop in self.slots:
            writable(tensor)[...] = buffer[start:stop].reshape(tensor.shape)

    def pack_gradients(self, world_size: int, rank: int, abandoned: bool = False) -> Array:
        """The buffer to all-reduce: the parameters' gradients divided by ``world_size``; one
        more slot per parameter saying whether this rank has a gradient for it; then one slot
        per rank, this rank's set to 1 when it gives the reduction up (``abandoned``), so that
        the ranks waiting for it learn why it ended."""
        grads = [_gradient_array(tensor) for _, tensor, _, _ in self.slots]
        # Scaling while packing saves a pass over the reduced buffer.
        buffer = self.pack(grads, scale=1.0 / world_size, extra=len(grads) + world_size)
        flags = np.zeros(len(grads) + world_size, dtype=self.dtype)
        flags[:len(grads)] = [grad is not None for grad in grads]
        flags[len(grads) + rank] = abandoned
        buffer[self.size:] = _backend.backend_of(buffer).asarray(flags)
        return buffer

    def flags(self, reduced: Array) -> Array:
        """The reduced buffer's flags, on the host: per parameter, how many ranks had a
        gradient for it; then, per rank, whether it gave the reduction up."""
        return on_host(reduced[self.size:])

    def abandoned_by(self, flags: Array) -> list[int]:
        """The ranks that gave this reduction up, from :meth:`flags`."""
        return [int(rank) for rank in np.flatnonzero(flags[len(self.slots):])]

    def unpack_gradients(self, reduced: Array, flags: Array) -> None:
        """Make each parameter's gradient a view into the reduced buffer (a new array:
        gradients are never changed in place, and the views do not overlap), or none if no
        rank had one."""
        means: Array = reduced[:self.size]
        counts = flags[:len(self.slots)]
        for (_, tensor, start, stop), count in zip(self.slots, counts, strict=True):
            parameter = cast("Variable[*tuple[Any, ...]]", tensor)
            replace_grad(parameter,
                means[start:stop].reshape(tensor.shape) if count > 0 else None)


def plan_buckets(named_tensors: Sequence[tuple[str, Tensor[*tuple[Any, ...]]]],
                  limit_bytes: int) -> list[Bucket]:
    """Group the tensors by dtype, in order, into buckets of at most ``limit_bytes`` (a
    larger tensor gets a bucket of its own)."""
    open_buckets: dict[np.dtype[Any], Bucket] = {}
    buckets: list[Bucket] = []
    for name, tensor in named_tensors:
        dtype = tensor.dtype
        bucket = open_buckets.get(dtype)
        if bucket is None or (bucket.size + tensor.numel()) * dtype.itemsize > limit_bytes:
            bucket = Bucket(dtype)
            open_buckets[dtype] = bucket
            buckets.append(bucket)
        bucket.add(name, tensor)
    return buckets


def _gradient_array(tensor: Tensor[*tuple[Any, ...]]) -> Array | None:
    """A parameter's gradient as a backend array (``None`` when it has none)."""
    # A Variable after backward(create_graph=True), else an array or None.
    grad: Array | None = unwrap(stored_grad(cast("Variable[*tuple[Any, ...]]", tensor)))
    return grad
