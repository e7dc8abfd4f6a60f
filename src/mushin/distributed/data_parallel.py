"""``DataParallel``: a module wrapper that keeps identical copies of a model on every rank and
averages their gradients after each backward pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mushin._check import is_number
from mushin._tensor import Tensor, storage
from mushin.distributed.bootstrap import current_world
from mushin.distributed.buckets import Bucket, plan_buckets
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
    wrapped module. ``dp.backward(loss)`` runs ``loss.backward()`` and then
    :meth:`sync_gradients`, which replaces each parameter's gradient by its mean over the
    ranks: one all-reduce per bucket of about ``bucket_size_mb`` megabytes of gradients
    (a parameter without a gradient counts as zeros; it keeps none if no rank has one).

    Parameter names, ``state_dict`` and ``load_state_dict`` are the wrapped module's (no
    ``module.`` prefix), so a checkpoint saved from rank 0 loads into the bare model.
    """

    module: Module
    """The wrapped model."""

    def __init__(self, module: Module, bucket_size_mb: float = 25.0) -> None:
        """Check the ranks agree on the model, then broadcast rank 0's parameters."""
        world = current_world("DataParallel()")
        if not isinstance(module, Module):
            raise TypeError(f"DataParallel wraps a mu.nn.Module, got {type(module).__name__}")
        if not is_number(bucket_size_mb) or not bucket_size_mb > 0:
            raise ValueError(f"DataParallel: bucket_size_mb must be a positive number, got "
                             f"{bucket_size_mb!r}")
        super().__init__()
        # Not registered as a sub-module, so that names carry no "module." prefix.
        object.__setattr__(self, "module", module)
        self.bucket_size_mb = float(bucket_size_mb)
        limit = max(1, int(bucket_size_mb * 2**20))
        _check_same_model(world, module)
        self._gradient_buckets = plan_buckets(module.named_parameters(), limit)
        state: list[tuple[str, Tensor[*tuple[Any, ...]]]] = [*module.named_parameters(),
                                                 *module.named_buffers()]
        self._broadcast_state(world, plan_buckets(state, limit))

    @property
    def buckets(self) -> list[list[str]]:
        """The parameter names in each gradient bucket, in the order they are reduced."""
        return [[name for name, _, _, _ in bucket.slots] for bucket in self._gradient_buckets]

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """The wrapped module's tree: every name, parameter list and state dict is its own."""
        return self.module.named_modules(prefix)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The wrapped module's forward."""
        return self.module(*args, **kwargs)

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
        """``loss.backward(**kwargs)``, then :meth:`sync_gradients`."""
        loss.backward(**kwargs)
        self.sync_gradients()

    def sync_gradients(self) -> None:
        """Replace every parameter's gradient by its mean over the ranks (collective).

        Each bucket's gradients, divided by the number of ranks, are copied into a fresh flat
        buffer, with one more slot per parameter saying whether this rank has a gradient for
        it; all buckets are reduced with one non-blocking all-reduce each; then each gradient
        becomes a view into its reduced buffer (new arrays: gradients are never changed in
        place).
        """
        world = current_world("DataParallel.sync_gradients()")
        if world.size == 1:
            return
        pending = [world.start_all_reduce(bucket.pack_gradients(world.size), "sum")
                   for bucket in self._gradient_buckets]
        world.finish(pending, "DataParallel.sync_gradients")
        for bucket, item in zip(self._gradient_buckets, pending, strict=True):
            bucket.unpack_gradients(item.array)

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
