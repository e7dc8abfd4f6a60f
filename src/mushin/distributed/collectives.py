"""The collectives on tensors: :func:`barrier`, :func:`all_reduce`, :func:`broadcast`; and the
two a sharded ``DataLoader`` makes: the agreement on its length and options
(:func:`check_same_shards`) and each epoch's order (:func:`shared_permutation`).

Each checks its arguments, takes the group from :func:`.bootstrap.current_world` (so calling one
before ``init`` says to call it), ends a gradient reduction that a backward pass left unfinished
(:meth:`.World.settle`), and runs the transport's array collective in place. ``all_reduce`` and
``broadcast`` first check that the ranks agree on the call (:func:`_agree`): MPI would
otherwise combine tensors of different shapes or dtypes byte by byte and return garbage.
"""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np

from mushin import _backend
from mushin._backend import Array
from mushin._check import integer, is_int
from mushin._random import generator
from mushin._tensor import Tensor, unwrap, writable
from mushin.distributed.bootstrap import current_world
from mushin.distributed.transport import DistributedError, PendingCollective, World

TensorT = TypeVar("TensorT", bound="Tensor[*tuple[Any, ...]]")

_REDUCTIONS = ("sum", "mean", "max", "min")

_LISTED_RANKS = 4
"""How many ranks whose call differs from rank 0's an error describes."""


def _group(operation: str) -> World:
    """The process group, once no unfinished gradient reduction can meet ``operation``."""
    world = current_world(operation)
    world.settle(operation)
    return world


def barrier() -> None:
    """Wait until every rank has called ``barrier()`` (within the timeout)."""
    world = _group("barrier()")
    world.finish([PendingCollective(None, None, world.comm.Ibarrier())], "barrier")


def _tensor_array(tensor: Any, operation: str, numeric: bool) -> Array:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"mu.distributed.{operation} expects a mu.Tensor, got "
                        f"{type(tensor).__name__}")
    array: Array = unwrap(tensor)
    if numeric and array.dtype.kind not in "iuf":
        raise TypeError(f"mu.distributed.{operation} needs a numeric tensor, got dtype "
                        f"{array.dtype}")
    return array


def _agree(world: World, operation: str, array: Array | None, setting: tuple[int, str],
           problem: Exception | None) -> None:
    """Check that every rank calls ``operation`` alike: a tensor of the same shape and dtype,
    the same ``setting`` (a code and its description: the reduction, the root) and the same
    transport. It costs one all-gather of seven integers. Otherwise every rank raises: its own
    ``problem`` (this rank's invalid arguments), or ``DistributedError`` describing what rank
    0 and the ranks that differ from it passed."""
    signature = np.zeros(7, dtype=np.int64)
    if problem is None and array is not None:
        dtype = np.dtype(array.dtype)
        # The whole shape enters as its hash (ints hash alike in every process).
        signature[:] = (1, array.ndim, array.size, ord(dtype.kind) * 256 + dtype.itemsize,
                        setting[0], world.uses_nccl(array), hash(tuple(array.shape)))
    rows = world.all_gather(signature, operation)
    same = (rows == rows[0]).all(axis=1)
    if same.all():
        if problem is not None:
            raise problem
        return
    differing = np.flatnonzero(~same).tolist()
    # Only now the ranks describe their calls, which costs more.
    if problem is not None or array is None:
        mine = f"an invalid call ({type(problem).__name__}: {problem})"
    else:
        transport = " through NCCL" if world.uses_nccl(array) else ""
        mine = (f"a tensor of shape {tuple(array.shape)} and dtype {array.dtype}, "
                f"{setting[1]}{transport}")
    calls = world.exchange(mine, operation)
    if problem is not None:
        raise problem
    listed = [0, *differing[:_LISTED_RANKS]]
    more = len(differing) - _LISTED_RANKS
    described = "; ".join(f"rank {rank} passed {calls[rank]}" for rank in listed)
    raise DistributedError(
        f"mu.distributed.{operation}: the ranks' calls differ: {described}"
        f"{f' (and {more} more ranks differ)' if more > 0 else ''}; every rank must pass a "
        f"tensor of the same shape and dtype, with the same arguments (reported on rank "
        f"{world.rank})")


def all_reduce(tensor: TensorT, op: str = "sum") -> TensorT:
    """Combine ``tensor`` over all ranks, in place in its array, and return it.

    ``op`` is ``"sum"``, ``"mean"``, ``"max"`` or ``"min"``; every rank must pass a tensor of
    the same shape and dtype (``"mean"`` needs a floating one), and the same ``op``: the ranks
    check it first, and otherwise every rank raises ``DistributedError`` naming what each
    passed. Values saved by a graph that used the tensor change too (its version advances,
    so a backward through that graph raises): reduce before computing with it, or reduce a
    copy.
    """
    world = _group("all_reduce()")
    array: Array | None = None
    problem: Exception | None = None
    try:
        array = _reduction_operand(tensor, op)
    except (TypeError, ValueError) as error:
        problem = error
    _agree(world, "all_reduce()", array,
           (_REDUCTIONS.index(op) if problem is None else -1, f"op {op!r}"), problem)
    values = writable(tensor)  # changed in place: a graph that saved it sees the new version
    world.finish([world.start_all_reduce(values, op)], "all_reduce")
    if op == "mean":
        values *= values.dtype.type(1.0 / world.size)
    return tensor


def _reduction_operand(tensor: Any, op: str) -> Array:
    """``tensor``'s array, once ``tensor`` and ``op`` are valid arguments of ``all_reduce``."""
    array = _tensor_array(tensor, "all_reduce()", numeric=True)
    if op not in _REDUCTIONS:
        raise ValueError(f"all_reduce: op must be one of {', '.join(map(repr, _REDUCTIONS))}, "
                         f"got {op!r}")
    if op == "mean" and array.dtype.kind != "f":
        raise TypeError(f"all_reduce(op='mean') needs a floating tensor, got dtype "
                        f"{array.dtype}")
    return array


def broadcast(tensor: TensorT, root: int = 0) -> TensorT:
    """Copy rank ``root``'s values into ``tensor`` on every rank, in place; return it.

    Every rank must pass a tensor of the same shape and dtype and the same ``root``; the ranks
    check it first, and otherwise every rank raises ``DistributedError`` naming what each
    passed.
    """
    world = _group("broadcast()")
    array: Array | None = None
    problem: Exception | None = None
    try:
        array = _tensor_array(tensor, "broadcast()", numeric=False)
        if not is_int(root) or not 0 <= root < world.size:
            raise ValueError(f"broadcast: root must be a rank from 0 to {world.size - 1}, got "
                             f"{root!r}")
    except (TypeError, ValueError) as error:
        problem = error
    _agree(world, "broadcast()", array, (root if problem is None else -1, f"root {root!r}"),
           problem)
    values = writable(tensor)  # changed in place: a graph that saved it sees the new version
    world.finish([world.start_broadcast(values, root)], "broadcast")
    return tensor


def check_same_shards(length: int, batch_size: int, drop_last: bool, shuffle: bool) -> None:
    """Raise ``DistributedError`` on every rank unless every rank's sharded ``DataLoader``
    has the same number of rows, ``batch_size``, ``drop_last`` and ``shuffle`` (collective:
    ``DataLoader(shard=True)`` calls it when made). Ranks that differ would take different
    numbers of steps, or fail to agree on an epoch's order."""
    operation = "DataLoader(shard=True)"
    world = _group(operation)
    settings = world.all_gather(np.array([length, batch_size, drop_last, shuffle],
                                         dtype=np.int64), operation)
    differences: list[str] = []
    for column, name in enumerate(("rows", "batch_size", "drop_last", "shuffle")):
        values = settings[:, column].tolist()
        if len(set(values)) > 1:
            shown = [bool(value) for value in values] if column >= 2 else values
            differences.append(f"{name}: " + ", ".join(
                f"{value} on rank {rank}" for rank, value in enumerate(shown)))
    if differences:
        raise DistributedError(
            f"DataLoader(shard=True): the ranks' loaders differ ({'; '.join(differences)}); "
            "every rank must give the same data set (shard=True gives each rank its share "
            f"of it) and the same options (reported on rank {world.rank})")


def shared_permutation(length: int) -> np.ndarray[Any, Any]:
    """A random order of ``length`` rows drawn by rank 0 and sent to every rank (collective).

    ``DataLoader(..., shard=True, shuffle=True)`` uses it so the ranks always agree on an
    epoch's order even when they were seeded differently.
    """
    count = integer("shared_permutation", "length", length, minimum=0)
    world = _group("shared_permutation()")
    order = generator(_backend.CPU).permutation(count) if world.rank == 0 else (
        np.empty(count, dtype=np.int64))
    world.finish([world.start_broadcast(order, 0)], "DataLoader (shuffle)")
    return order
