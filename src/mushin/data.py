"""Mini-batches for training loops: ``DataLoader`` slices arrays along their first axis.

    loader = mu.data.DataLoader((images, labels), batch_size=64, shuffle=True)
    for image_batch, label_batch in loader:     # Constants, one per array
        ...

Shuffling draws a new order each epoch (each ``iter``) from mushin's random generator, so it
is reproducible under ``mu.seed``. The loader keeps the arrays it is given (a large data set is
not copied when the loader is made), and every batch is a new array of its own, as PyTorch's
collated batches are: changing a batch in place (``batch.mul_(2)``) never reaches the data set
or a later epoch.

Data-parallel training shards each epoch between the processes: ``shard=True`` follows
``mu.distributed.shard_ranges``, which says which batches are whose.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, cast

from mushin import _backend
from mushin._backend import CPU, Array, backend_of
from mushin._check import is_int
from mushin._random import generator
from mushin._tensor import (
    Constant,
    Tensor,
    host_range,
    new_constant,
    record_range,
    to_array,
    unwrap,
)
from mushin.distributed import bootstrap
from mushin.distributed.collectives import check_same_shards, shared_permutation
from mushin.distributed.sharding import shard_ranges


def _array_entries(arrays: object) -> list[Any]:
    """The items of ``arrays``, which must be a sequence of arrays, not an array itself."""
    kind = type(arrays).__name__
    if isinstance(arrays, Tensor | str | bytes) or hasattr(arrays, "shape") or not isinstance(
            arrays, Sequence):
        raise TypeError("DataLoader: arrays must be a sequence of arrays, such as "
                        f"(inputs, targets); got {kind} (wrap a single array in a tuple: "
                        "(array,))")
    return list(cast("Sequence[object]", arrays))


def _shared_array(position: int, entry: object) -> Array:
    """The array behind ``entry``, shared with the caller rather than copied (a tensor's
    storage, a NumPy or CuPy array itself): each batch is copied instead, so that a loader
    over a large data set costs no memory of its own. Nested lists become a new array."""
    if isinstance(entry, Tensor):
        return unwrap(entry)
    try:
        if not (hasattr(entry, "dtype") and hasattr(entry, "shape")):
            return to_array(entry, None, None, floating=False)
        array = backend_of(cast(Array, entry)).asarray(entry)
    except (TypeError, ValueError) as error:  # not numbers, ragged lists, unknown arrays
        kind = TypeError if isinstance(error, TypeError) else ValueError
        message = str(error).removeprefix("DataLoader: ")  # to_array names the caller
        raise kind(f"DataLoader: array {position}: {message}") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"DataLoader: array {position} has dtype {array.dtype}; batches hold "
                        "bool, integer and floating values")
    return array


class DataLoader:
    """Iterate over equally long arrays in batches of ``batch_size`` rows.

    ``arrays`` is a sequence (a tuple or list) of tensors or arrays (NumPy, CuPy, nested
    lists) with the same length along axis 0; each keeps its dtype (integer labels stay
    integer; lists of floats become float32, as ``mu.constant``). Iterating yields a tuple
    holding one ``Constant`` batch per array: in order, or in a fresh random order each epoch
    with ``shuffle``. The last batch is smaller when the length is not a multiple of
    ``batch_size``, unless ``drop_last`` drops it. With ``device``, batches are moved there
    (one batch at a time, so a dataset on the host can feed a GPU); by default each batch
    stays on its array's device.

    The loader keeps the arrays given, not copies (a tensor's storage, an array itself; a
    nested list becomes a new array): the arrays the caller changes later are the ones
    batched. Each batch is a new array, never a view of the data set, so changing a batch in
    place cannot change the data set or a later epoch.

    With ``shard`` (data-parallel training, after ``mu.distributed.init()``), each process
    gets only its own share of every epoch: ``batch_size`` is then per process, the shares
    are disjoint and together cover the epoch (:func:`shard_ranges`), and with
    ``shuffle`` rank 0 draws each epoch's order and sends it to the others. Making such a
    loader is a collective operation (the ranks check that their loaders have the same length
    and options, else every rank raises ``DistributedError`` naming them), and so is
    iterating over a shuffled one: every rank must take part in both.
    """

    def __init__(self, arrays: Sequence[Any], batch_size: int, shuffle: bool = False,
                 drop_last: bool = False, *, shard: bool = False,
                 device: str | None = None) -> None:
        """Check the arrays and options; the arrays are kept, not copied."""
        entries = _array_entries(arrays)
        if not entries:
            raise ValueError("DataLoader: arrays is empty; give at least one array")
        if not is_int(batch_size):
            raise TypeError(f"DataLoader: batch_size must be an int, got {batch_size!r}")
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be at least 1, got {batch_size}")
        for key, flag in (("shuffle", shuffle), ("drop_last", drop_last), ("shard", shard)):
            if flag is not True and flag is not False:
                raise TypeError(f"DataLoader: {key} must be True or False, got {flag!r}")
        self._target = None if device is None else _backend.backend(device)
        self.device = None if self._target is None else self._target.device
        self.arrays: tuple[Array, ...] = tuple(
            _shared_array(position, entry) for position, entry in enumerate(entries))
        for position, array in enumerate(self.arrays):
            if array.ndim == 0:
                raise ValueError(f"DataLoader: array {position} is a scalar; every array "
                                 "needs a first axis to batch along")
        lengths = [int(array.shape[0]) for array in self.arrays]
        if len(set(lengths)) > 1:
            raise ValueError("DataLoader: the arrays must have the same length along axis 0, "
                             f"got lengths {lengths}")
        self.length = lengths[0]
        """The number of rows (samples)."""
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.shard = shard
        rank, world_size = (bootstrap.rank(), bootstrap.world_size()) if shard else (0, 1)
        # One process is a world of one rank: consecutive batches, the last one smaller.
        self._ranges = shard_ranges(self.length, self.batch_size, rank, world_size, drop_last)
        if shard:
            # Ranks whose loaders differ would take different numbers of steps and wait for
            # each other forever: they find out here, all of them, with the figures.
            check_same_shards(self.length, self.batch_size, drop_last, shuffle)

    def __len__(self) -> int:
        """The number of batches per epoch (on this rank, with ``shard``)."""
        return len(self._ranges)

    def _order(self) -> Array | None:
        if not self.shuffle:
            return None
        if self.shard:
            return shared_permutation(self.length)
        return generator(CPU).permutation(self.length)

    def __iter__(self) -> Iterator[tuple[Constant[*tuple[Any, ...]], ...]]:
        """One epoch of batches, each a new array (never a view of the data set)."""
        order = self._order()
        # Index arrays are moved to each array's device once per epoch, not once per batch.
        orders = [None if order is None else backend_of(array).asarray(order)
                  for array in self.arrays]
        moves = [self._target is not None and backend_of(array) is not self._target
                 for array in self.arrays]
        for start, stop in self._ranges:
            batch: list[Constant[*tuple[Any, ...]]] = []
            for array, device_order, move in zip(self.arrays, orders, moves, strict=True):
                # Gathering rows makes a new array; a slice is a view, copied unless moving
                # it to another device copies it anyway.
                rows = array[start:stop] if device_order is None else (
                    array[device_order[start:stop]])
                bounds = None
                if move:
                    # The bounds of integer host rows go with them, so that cross_entropy
                    # never reads a batch's labels back from the device.
                    bounds = host_range(rows)
                    rows = to_array(rows, None, self.device, floating=False)
                elif device_order is None:
                    rows = rows.copy()
                constant = new_constant(rows)
                if bounds is not None:
                    record_range(constant, bounds)
                batch.append(constant)
            yield tuple(batch)
