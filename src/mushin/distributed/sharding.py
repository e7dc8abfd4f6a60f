"""Which batches each rank takes in data-parallel training: :func:`shard_ranges`.

``mu.data.DataLoader(..., shard=True)`` follows it; it is pure arithmetic on sizes and ranks,
so it depends on nothing else of mushin but the argument checks.
"""

from __future__ import annotations

from mushin._check import is_int


def shard_ranges(length: int, batch_size: int, rank: int, world_size: int,
                 drop_last: bool = False) -> list[tuple[int, int]]:
    """The ``[start, stop)`` positions, in an epoch's order of ``length`` rows, of rank
    ``rank``'s batches of (at most) ``batch_size`` rows.

    Step ``k`` of every rank covers the *global batch* of positions
    ``[k * batch_size * world_size, (k + 1) * batch_size * world_size)``, which the ranks
    split into consecutive runs: rank ``r`` takes the ``r``-th. So the ranks' batches are
    disjoint, together they cover the epoch, and their union at step ``k`` is exactly the
    ``k``-th batch of a single process using ``batch_size * world_size``. Every rank gets the
    same number of batches (a rank with fewer would leave the others waiting in the
    all-reduce): a last, partial global batch is split as evenly as possible, or dropped with
    ``drop_last`` -- and also when it holds fewer rows than there are ranks, since some rank
    would then get none.
    """
    for name, value in (("length", length), ("batch_size", batch_size), ("rank", rank),
                        ("world_size", world_size)):
        if not is_int(value):
            raise TypeError(f"shard_ranges: {name} must be an int, got {value!r}")
    if length < 0 or batch_size < 1 or world_size < 1 or not 0 <= rank < world_size:
        raise ValueError(f"shard_ranges: need length >= 0, batch_size >= 1 and 0 <= rank < "
                         f"world_size, got length={length}, batch_size={batch_size}, "
                         f"rank={rank}, world_size={world_size}")
    global_batch = batch_size * world_size
    full_steps, remainder = divmod(length, global_batch)
    ranges = [(step * global_batch + rank * batch_size,
               step * global_batch + (rank + 1) * batch_size) for step in range(full_steps)]
    if remainder >= world_size and not drop_last:
        base, extra = divmod(remainder, world_size)
        start = full_steps * global_batch + rank * base + min(rank, extra)
        ranges.append((start, start + base + (rank < extra)))
    return ranges
