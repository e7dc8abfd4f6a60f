"""The collectives on tensors: :func:`barrier`, :func:`all_reduce`, :func:`broadcast`, and the
epoch order a sharded, shuffled ``DataLoader`` shares (:func:`shared_permutation`).

Each checks its arguments, takes the group from :func:`.bootstrap.current_world` (so calling one
before ``init`` says to call it) and runs the transport's array collective in place.
"""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np

from mushin import _backend
from mushin._backend import Array
from mushin._check import is_int
from mushin._random import generator
from mushin._tensor import Tensor, writable
from mushin.distributed.bootstrap import current_world
from mushin.distributed.transport import PendingCollective

TensorT = TypeVar("TensorT", bound="Tensor[*tuple[Any, ...]]")

_REDUCTIONS = ("sum", "mean", "max", "min")


def barrier() -> None:
    """Wait until every rank has called ``barrier()`` (within the timeout)."""
    world = current_world("barrier()")
    world.finish([PendingCollective(None, None, world.comm.Ibarrier())], "barrier")


def _tensor_array(tensor: Any, operation: str, numeric: bool) -> Array:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"mu.distributed.{operation} expects a mu.Tensor, got "
                        f"{type(tensor).__name__}")
    array = writable(tensor)  # changed in place: a graph that saved it sees the new version
    if numeric and array.dtype.kind not in "iuf":
        raise TypeError(f"mu.distributed.{operation} needs a numeric tensor, got dtype "
                        f"{array.dtype}")
    return array


def all_reduce(tensor: TensorT, op: str = "sum") -> TensorT:
    """Combine ``tensor`` over all ranks, in place in its array, and return it.

    ``op`` is ``"sum"``, ``"mean"``, ``"max"`` or ``"min"``; every rank must pass a tensor of
    the same shape and dtype (``"mean"`` needs a floating one). Values saved by a graph that
    used the tensor change too: reduce before computing with it, or reduce a copy.
    """
    world = current_world("all_reduce()")
    array = _tensor_array(tensor, "all_reduce()", numeric=True)
    if op not in _REDUCTIONS:
        raise ValueError(f"all_reduce: op must be one of {', '.join(map(repr, _REDUCTIONS))}, "
                         f"got {op!r}")
    if op == "mean" and array.dtype.kind != "f":
        raise TypeError(f"all_reduce(op='mean') needs a floating tensor, got dtype "
                        f"{array.dtype}")
    world.finish([world.start_all_reduce(array, op)], "all_reduce")
    if op == "mean":
        array *= array.dtype.type(1.0 / world.size)
    return tensor


def broadcast(tensor: TensorT, root: int = 0) -> TensorT:
    """Copy rank ``root``'s values into ``tensor`` on every rank, in place; return it."""
    world = current_world("broadcast()")
    array = _tensor_array(tensor, "broadcast()", numeric=False)
    if not is_int(root) or not 0 <= root < world.size:
        raise ValueError(f"broadcast: root must be a rank from 0 to {world.size - 1}, got "
                         f"{root!r}")
    world.finish([world.start_broadcast(array, root)], "broadcast")
    return tensor


def shared_permutation(length: int) -> np.ndarray[Any, Any]:
    """A random order of ``length`` rows drawn by rank 0 and sent to every rank (collective).

    ``DataLoader(..., shard=True, shuffle=True)`` uses it so the ranks always agree on an
    epoch's order even when they were seeded differently.
    """
    world = current_world("DataLoader(shard=True) iteration")
    order = generator(_backend.CPU).permutation(length) if world.rank == 0 else (
        np.empty(length, dtype=np.int64))
    world.finish([world.start_broadcast(order, 0)], "DataLoader (shuffle)")
    return order
