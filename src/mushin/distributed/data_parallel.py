"""``DataParallel``: a module wrapper that keeps identical copies of a model on every rank and
averages their gradients during each backward pass (the hooks of :mod:`.reducer`).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from contextlib import contextmanager
from typing import Any

from mushin._check import is_number
from mushin._tensor import Tensor, storage
from mushin.distributed.bootstrap import current_world
from mushin.distributed.buckets import Bucket, plan_buckets
from mushin.distributed.reducer import Reducer
from mushin.distributed.transport import DistributedError, World
from mushin.nn.module import Module

_Signature = list[tuple[str, str, tuple[int, ...], str]]
"""A model's parameters and buffers, in order: (kind, name, shape, dtype name) each."""


def _first_difference(reference: _Signature, other: _Signature, other_rank: int) -> str | None:
    """How rank ``other_rank``'s model signature first differs from rank 0's, or ``None``."""
    for position, (mine, theirs) in enumerate(zip(reference, other, strict=False)):
        if mine[:2] != theirs[:2]:
            return (f"entry {position} of the state is {mine[0]} {mine[1]!r} on rank 0 but "
                    f"{theirs[0]} {theirs[1]!r} on rank {other_rank}")
        if mine != theirs:
            return (f"{mine[0]} {mine[1]!r} has shape {mine[2]} and dtype {mine[3]} on rank 0 "
                    f"but shape {theirs[2]} and dtype {theirs[3]} on rank {other_rank}")
    if len(reference) != len(other):
        longer, owner = (reference, 0) if len(reference) > len(other) else (other, other_rank)
        extra = longer[min(len(reference), len(other))]
        return (f"rank 0 has {len(reference)} parameters and buffers but rank {other_rank} has "
                f"{len(other)}: {extra[0]} {extra[1]!r} exists only on rank {owner}")
    return None


def _check_same_model(world: World, module: Module) -> None:
    """Raise the same ``DistributedError`` on every rank unless all models have the same
    parameter and buffer names, shapes and dtypes."""
    signature: _Signature = [("parameter", name, tensor.shape, tensor.dtype.name)
                             for name, tensor in module.named_parameters()]
    signature += [("buffer", name, tensor.shape, tensor.dtype.name)
                  for name, tensor in module.named_buffers()]
    signatures = world.exchange(signature, "DataParallel()")
    for other_rank in range(1, world.size):
        problem = _first_difference(signatures[0], signatures[other_rank], other_rank)
        if problem is not None:
            raise DistributedError(f"DataParallel: the model differs between ranks: {problem} "
                                   f"(reported on rank {world.rank})")


class DataParallel(Module):
    """Wrap ``module`` for data-parallel training: every rank keeps an identical copy.

    Construction is collective: it checks that every rank's model has the same parameter and
    buffer names, shapes and dtypes (otherwise every rank raises ``DistributedError`` naming
    the first difference) and copies rank 0's values into all the others. ``dp(x)`` runs the
    wrapped module.

    ``loss.backward()`` then averages the gradients over the ranks, as PyTorch's
    ``DistributedDataParallel`` does: each parameter's post-accumulate hook marks it ready,
    and once a bucket of about ``bucket_size_mb`` megabytes of gradients (in reverse
    parameter order, the order backward reaches them) is complete its all-reduce starts while
    the pass goes on; the pass ends with every gradient replaced by its mean over the ranks.
    Every parameter must receive a gradient in every such pass: one that gets none leaves
    the reduction unfinished, and the next forward, backward or collective raises
    ``DistributedError`` on every rank naming it. ``dp.backward(loss)`` (``loss.backward()``,
    then :meth:`sync_gradients` if the pass left the reduction unfinished) allows such
    parameters: a missing gradient counts as zeros, and a parameter with a gradient on no
    rank keeps none. Inside :meth:`no_sync`, gradients accumulate on each rank alone.

    Parameter names, ``state_dict`` and ``load_state_dict`` are the wrapped module's (no
    ``module.`` prefix), so a checkpoint saved from rank 0 loads into the bare model.
    """

    module: Module
    """The wrapped model."""

    def __init__(self, module: Module, bucket_size_mb: float = 25.0) -> None:
        """Check the ranks agree on the model, broadcast rank 0's parameters and hook them."""
        world = current_world("DataParallel()")
        if not isinstance(module, Module):
            raise TypeError(f"DataParallel wraps a mu.nn.Module, got {type(module).__name__}")
        if not is_number(bucket_size_mb) or not bucket_size_mb > 0:
            raise ValueError(f"DataParallel: bucket_size_mb must be a positive number, got "
                             f"{bucket_size_mb!r}")
        world.settle("DataParallel()")
        super().__init__()
        # Not registered as a sub-module, so that names carry no "module." prefix.
        object.__setattr__(self, "module", module)
        self.bucket_size_mb = float(bucket_size_mb)
        limit = max(1, int(bucket_size_mb * 2**20))
        _check_same_model(world, module)
        # Reverse order: backward reaches the last parameters first (PyTorch's order too).
        self._gradient_buckets = plan_buckets(module.named_parameters()[::-1], limit)
        state: list[tuple[str, Tensor[*tuple[Any, ...]]]] = [*module.named_parameters(),
                                                 *module.named_buffers()]
        self._broadcast_state(world, plan_buckets(state, limit))
        self._synchronizing = True
        """False inside :meth:`no_sync`."""
        self._reducer = None if world.size == 1 else Reducer(world, self._gradient_buckets)

    @property
    def buckets(self) -> list[list[str]]:
        """The parameter names in each gradient bucket, in the order they are reduced."""
        return [[name for name, _, _, _ in bucket.slots] for bucket in self._gradient_buckets]

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """The wrapped module's tree: every name, parameter list and state dict is its own."""
        return self.module.named_modules(prefix)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The wrapped module's forward; the backward pass of what it computes averages the
        gradients unless it ran inside :meth:`no_sync`."""
        reducer = self._reducer
        if reducer is not None:
            reducer.world.settle("DataParallel.forward")
            reducer.enabled = self._synchronizing
        return self.module(*args, **kwargs)

    @contextmanager
    def no_sync(self) -> Generator[None]:
        """A context in which the backward passes of forwards run inside it leave the
        gradients on each rank, summed locally (gradient accumulation, PyTorch's
        ``no_sync``): the first backward pass of a forward run outside averages everything
        accumulated.

        ::

            with model.no_sync():
                for x, y in micro_batches[:-1]:
                    loss_fn(model(x), y).backward()      # no communication
            loss_fn(model(last_x), last_y).backward()    # averages all the accumulated sums
        """
        previous = self._synchronizing
        self._synchronizing = False
        try:
            yield
        finally:
            self._synchronizing = previous

    def freeze(self) -> DataParallel:
        """Inference mode for the wrapped module (see ``Module.freeze``); returns ``self``."""
        self.module.freeze()
        object.__setattr__(self, "training", False)
        return self

    def unfreeze(self) -> DataParallel:
        """Training mode for the wrapped module again; returns ``self``."""
        self.module.unfreeze()
        object.__setattr__(self, "training", True)
        return self

    def backward(self, loss: Any, **kwargs: Any) -> None:
        """``loss.backward(**kwargs)``, then, if its pass left the gradient reduction
        unfinished (parameters without a gradient), :meth:`sync_gradients`; nothing more
        for the backward of a forward run inside :meth:`no_sync`."""
        reducer = self._reducer
        if reducer is None:
            loss.backward(**kwargs)
            return
        reducer.world.settle("DataParallel.backward")
        finished = reducer.finished
        loss.backward(**kwargs)
        if reducer.enabled and reducer.finished == finished:
            reducer.complete("DataParallel.backward")

    def sync_gradients(self) -> None:
        """Replace every parameter's gradient by its mean over the ranks, now (collective).

        It finishes the reduction a backward pass left unfinished, counting a missing
        gradient as zeros (a parameter with a gradient on no rank keeps none); with none
        under way it reduces the gradients as they stand (after backward passes inside
        :meth:`no_sync`, say). Each bucket's gradients, divided by the number of ranks, are
        copied into a fresh flat buffer, with one more slot per parameter saying whether this
        rank has a gradient for it, and reduced by one non-blocking all-reduce; then each
        gradient becomes a view into its reduced buffer (new arrays: gradients are never
        changed in place).
        """
        reducer = self._reducer
        if reducer is not None:
            reducer.complete("DataParallel.sync_gradients")

    def _broadcast_state(self, world: World, buckets: list[Bucket]) -> None:
        """Copy rank 0's parameters and buffers into every rank's, in place."""
        pending = [world.start_broadcast(
            bucket.pack([storage(tensor) for _, tensor, _, _ in bucket.slots]), 0)
            for bucket in buckets]
        world.finish(pending, "DataParallel()")
        if world.rank == 0:
            return
        for bucket, item in zip(buckets, pending, strict=True):
            bucket.unpack(item.array)

    def __repr__(self) -> str:
        inner = repr(self.module).replace("\n", "\n  ")
        return f"DataParallel(\n  (module): {inner}\n)"
