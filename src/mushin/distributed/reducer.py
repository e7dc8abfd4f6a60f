"""The reducer: averages a ``DataParallel`` model's gradients over the ranks while a backward
pass runs (PyTorch DDP's reducer).

Every parameter gets a post-accumulate hook (``Variable.register_post_accumulate_grad_hook``),
which the engine calls once per backward pass, right after adding to its gradient. The
parameters lie in buckets (:mod:`.buckets`) in reverse registration order, the order in which
backward reaches them; once a bucket's parameters are all ready it is packed and its
all-reduce started without waiting -- buckets strictly in order, so that every rank starts the
same collectives in the same order -- and the pass goes on. The hook that starts the last
bucket waits for them all and writes the averaged gradients back.

A pass that gives some parameter no gradient never starts that bucket, so its reduction cannot
finish by itself, and other ranks may be waiting in it. Whatever next needs the process group
(the model's forward or backward, a later backward pass, any ``mu.distributed`` collective)
ends it through :meth:`.World.settle`: this rank sends the buckets it owes, marked as given up,
so that the others stop waiting, and every rank raises ``DistributedError`` naming the
parameters. ``DataParallel.backward(loss)`` knows where its pass ends and finishes it instead
(:meth:`Reducer.complete`), counting a missing gradient as zeros.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import NoReturn, cast

from mushin._backend import Array
from mushin._tensor import RemovableHandle
from mushin.distributed.buckets import Bucket
from mushin.distributed.transport import DistributedError, PendingCollective, World
from mushin.nn.module import Parameter

OPERATION = "DataParallel gradient all-reduce"
"""How a timeout or a failure of the reduction started by the hooks names it."""

_LISTED_NAMES = 5
"""How many parameter names an error lists before saying how many more there are."""


class Reducer:
    """The gradient reduction of one ``DataParallel`` model: which parameters the current
    backward pass has made ready, and which buckets it has started."""

    def __init__(self, world: World, buckets: list[Bucket]) -> None:
        """Hook every parameter of ``buckets`` (given in the order they are reduced)."""
        self.world = world
        self.buckets = buckets
        self.enabled = True
        """Whether backward passes average the gradients (``DataParallel.no_sync`` clears it
        for the passes of the forwards run inside it)."""
        self.finished = 0
        """How many reductions have finished (``DataParallel.backward`` tells from it whether
        the hooks finished one)."""
        self._bucket_of = {id(tensor): index for index, bucket in enumerate(buckets)
                           for _, tensor, _, _ in bucket.slots}
        self._ready: set[int] = set()
        self._missing = [len(bucket.slots) for bucket in buckets]
        self._started: list[PendingCollective] = []
        hook = _hook_calling(self)
        handles = [cast(Parameter, tensor).register_post_accumulate_grad_hook(hook)
                   for bucket in buckets for _, tensor, _, _ in bucket.slots]
        # A model wrapped again must not keep reducing through this reducer's hooks.
        weakref.finalize(self, _remove_hooks, handles)

    def ready(self, parameter: Parameter) -> None:
        """The hook: ``parameter``'s gradient for this backward pass is complete."""
        if not self.enabled:
            return
        key = id(parameter)
        if key in self._ready:  # a new pass: the previous one left buckets unsent
            self.give_up("the next backward pass")
        if not self._ready:
            self.world.open_reductions[id(self)] = self.give_up
        self._ready.add(key)
        self._missing[self._bucket_of[key]] -= 1
        while (len(self._started) < len(self.buckets)
               and self._missing[len(self._started)] == 0):
            self._start(abandoned=False)
        if len(self._started) == len(self.buckets):
            self._finish(OPERATION)

    def complete(self, operation: str) -> None:
        """Finish the reduction now: start every bucket not started yet (a parameter without
        a gradient counts as zeros), wait for all of them and write the means back. With no
        backward pass under way, this reduces every gradient as it stands."""
        while len(self._started) < len(self.buckets):
            self._start(abandoned=False)
        self._finish(operation)

    def give_up(self, operation: str) -> NoReturn:
        """End a reduction that a backward pass left unfinished, which ``operation`` found:
        send the buckets this rank owes, marked as given up, wait, and raise."""
        missing = [name for bucket in self.buckets for name, tensor, _, _ in bucket.slots
                   if id(tensor) not in self._ready]
        while len(self._started) < len(self.buckets):
            self._start(abandoned=True)
        _, quitters = self._wait(operation)
        others = [rank for rank in quitters if rank != self.world.rank]
        also = f" (rank(s) {_ranks(others)} gave it up too)" if others else ""
        total = len(self._bucket_of)
        raise DistributedError(
            f"DataParallel: a backward pass on rank {self.world.rank} gave no gradient to "
            f"{_names(missing)} ({len(missing)} of {total} parameters), so the averaging of the "
            f"gradients it began could not finish; found at {operation}{also}. With "
            "loss.backward(), every parameter must receive a gradient in every backward pass "
            "outside no_sync(); model.backward(loss) instead counts a missing gradient as "
            "zeros. An optimizer step taken since used this rank's own gradients, so the "
            "ranks' parameters may now differ.")

    def _start(self, abandoned: bool) -> None:
        """Start the all-reduce of the next bucket in order."""
        bucket = self.buckets[len(self._started)]
        buffer = bucket.pack_gradients(self.world.size, self.world.rank, abandoned)
        self._started.append(self.world.start_all_reduce(buffer, "sum"))

    def _finish(self, operation: str) -> None:
        """Wait for every bucket (all started) and write the mean gradients back, unless a
        rank gave the reduction up."""
        reduced, quitters = self._wait(operation)
        if quitters:
            raise DistributedError(
                f"DataParallel: rank(s) {_ranks(quitters)} could not finish averaging the "
                f"gradients of this backward pass (see the error raised there), so rank "
                f"{self.world.rank} keeps its own gradients; found at {operation}")
        for bucket, buffer, flags in reduced:
            bucket.unpack_gradients(buffer, flags)
        self.finished += 1

    def _wait(self, operation: str) -> tuple[list[tuple[Bucket, Array, Array]], list[int]]:
        """Wait for every started bucket and forget this pass; return each bucket with its
        reduced buffer and flags (:meth:`.Bucket.flags`), and the ranks that gave the
        reduction up."""
        started = self._started
        try:
            self.world.finish(started, operation)
        finally:
            self._ready.clear()
            self._missing = [len(bucket.slots) for bucket in self.buckets]
            self._started = []
            self.world.open_reductions.pop(id(self), None)
        reduced = [(bucket, item.array, bucket.flags(item.array))
                   for bucket, item in zip(self.buckets, started, strict=True)]
        quitters = sorted({rank for bucket, _, flags in reduced
                           for rank in bucket.abandoned_by(flags)})
        return reduced, quitters


def _hook_calling(reducer: Reducer) -> Callable[[Parameter], None]:
    """The post-accumulate hook: it holds the reducer weakly, so that the hooks (which the
    parameters keep) do not keep a dropped ``DataParallel`` reducing."""
    owner = weakref.ref(reducer)

    def ready(parameter: Parameter) -> None:
        alive = owner()
        if alive is not None:
            alive.ready(parameter)

    return ready


def _remove_hooks(handles: list[RemovableHandle]) -> None:
    for handle in handles:
        handle.remove()


def _names(names: list[str]) -> str:
    listed = ", ".join(map(repr, names[:_LISTED_NAMES]))
    more = len(names) - _LISTED_NAMES
    return listed + (f" and {more} more" if more > 0 else "")


def _ranks(ranks: list[int]) -> str:
    return ", ".join(map(str, ranks))
