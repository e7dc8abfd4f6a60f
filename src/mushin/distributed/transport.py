"""Moving arrays between ranks: the process group's collectives on NumPy and CuPy arrays.

:class:`World` holds the MPI communicator (and NCCL's, for GPUs) and starts non-blocking
all-reduces and broadcasts on arrays; :meth:`World.finish` waits for them within the timeout
and raises :class:`DistributedError` when it runs out. NCCL carries device arrays when a NCCL
communicator was made; everything else goes through MPI and NumPy's buffer interface (device
arrays staged through host memory). Making the group is :mod:`.bootstrap`'s work.
"""

from __future__ import annotations

import os
import pickle
import time
from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np

from mushin import _backend
from mushin._backend import Array

TIMEOUT_VARIABLE = "MUSHIN_DIST_TIMEOUT"
"""The environment variable giving the default collective timeout, in seconds (0: none)."""

_NCCL_DTYPES = {"float16": "NCCL_FLOAT16", "float32": "NCCL_FLOAT32",
                "float64": "NCCL_FLOAT64", "int8": "NCCL_INT8", "uint8": "NCCL_UINT8",
                "int32": "NCCL_INT32", "uint32": "NCCL_UINT32", "int64": "NCCL_INT64",
                "uint64": "NCCL_UINT64"}
"""NumPy dtype name -> the name of NCCL's data type constant in ``cupy.cuda.nccl``."""

_YIELDING_SECONDS = 0.05
"""How long a wait polls ``Test()`` back to back, yielding the CPU between polls, before it
sleeps between them. Yielding keeps the latency of short collectives at a few microseconds and
lets the other ranks run when there are more ranks than cores (MPI makes progress only while
a rank is inside an MPI call, so a sleeping rank delays every stage of an all-reduce);
sleeping stops a rank that waits for a much slower one from burning a core."""

_SLEEP_SECONDS = 2e-4

_yield_cpu = getattr(os, "sched_yield", lambda: time.sleep(0))


class DistributedError(RuntimeError):
    """A collective operation failed: the ranks disagree, or one of them stopped answering."""


class PendingCollective:
    """One started collective: the array it must update, and the buffer the transport works
    on (``array`` itself, or a contiguous or host copy that is written back on completion)."""

    __slots__ = ("array", "buffer", "request", "stream")

    def __init__(self, array: Array, buffer: Array, request: Any, stream: Any = None) -> None:
        self.array = array
        self.buffer = buffer
        self.request = request
        """The MPI request, or ``None`` for a NCCL operation."""
        self.stream = stream
        """The CuPy stream a NCCL operation was queued on, or ``None``."""


class World:
    """The process group made by ``init``: the MPI communicator, and NCCL's for GPUs."""

    def __init__(self, mpi: Any, comm: Any, device: str, timeout: float | None) -> None:
        self.mpi = mpi
        self.comm = comm
        self.rank: int = comm.Get_rank()
        self.size: int = comm.Get_size()
        self.device = device
        self.timeout = timeout
        self.nccl: Any = None
        self.nccl_module: Any = None
        self.cupy: Any = None
        self.broken: str | None = None
        """Why the group is unusable (a collective timed out), or ``None``."""
        self.open_reductions: dict[int, Callable[[str], None]] = {}
        """Gradient reductions that a backward pass began on this rank and left unfinished
        (``DataParallel`` buckets never sent), by owner, each with the function that ends it:
        other ranks may be waiting in them, so :meth:`settle` ends them before any other
        collective could be matched against their messages."""

    # --- starting collectives ----------------------------------------------------------
    def uses_nccl(self, array: Array) -> bool:
        """Whether collectives on ``array`` go through NCCL (a device array, with NCCL's
        communicator made) rather than MPI."""
        return self.nccl is not None and not isinstance(array, np.ndarray)

    def start_all_reduce(self, array: Array, op: str) -> PendingCollective:
        """Start summing (or taking the max/min of) ``array`` over the ranks, in place."""
        if self.uses_nccl(array):
            nccl = self.nccl_module
            reduction = {"sum": nccl.NCCL_SUM, "mean": nccl.NCCL_SUM, "max": nccl.NCCL_MAX,
                         "min": nccl.NCCL_MIN}[op]
            buffer = _contiguous(array)
            stream = self.cupy.cuda.get_current_stream()
            self.nccl.allReduce(buffer.data.ptr, buffer.data.ptr, buffer.size,
                                self._nccl_dtype(buffer), reduction, stream.ptr)
            return PendingCollective(array, buffer, None, stream)
        mpi = self.mpi
        reduction = {"sum": mpi.SUM, "mean": mpi.SUM, "max": mpi.MAX, "min": mpi.MIN}[op]
        buffer = _host_buffer(array)
        return PendingCollective(array, buffer, self.comm.Iallreduce(mpi.IN_PLACE, buffer,
                                                                      op=reduction))

    def start_broadcast(self, array: Array, root: int) -> PendingCollective:
        """Start copying ``root``'s ``array`` into every rank's, in place (as raw bytes, so
        any dtype travels)."""
        if self.uses_nccl(array):
            buffer = _contiguous(array)
            stream = self.cupy.cuda.get_current_stream()
            self.nccl.bcast(buffer.data.ptr, buffer.nbytes, self.nccl_module.NCCL_UINT8, root,
                            stream.ptr)
            return PendingCollective(array, buffer, None, stream)
        buffer = _host_buffer(array)
        request = self.comm.Ibcast(buffer.reshape(-1).view(np.uint8), root=root)
        return PendingCollective(array, buffer, request)

    def settle(self, operation: str) -> None:
        """End every unfinished gradient reduction (each raises ``DistributedError`` on every
        rank, naming its cause) before ``operation`` starts a collective."""
        for end in list(self.open_reductions.values()):
            end(operation)

    # --- waiting --------------------------------------------------------------------------
    def finish(self, pending: Sequence[PendingCollective], operation: str) -> None:
        """Wait until every started collective has completed, within the timeout."""
        if self.broken is not None:
            raise DistributedError(f"mu.distributed.{operation}: the process group is unusable "
                                   f"since {self.broken}")
        requests = [item.request for item in pending if item.request is not None]
        streams = list({id(item.stream): item.stream for item in pending
                        if item.stream is not None}.values())
        if self.timeout is None:
            self.mpi.Request.Waitall(requests)
            for stream in streams:
                stream.synchronize()
        else:
            self._poll(requests, streams, operation)
        for item in pending:
            if item.buffer is not item.array:
                item.array[...] = _backend.backend_of(item.array).asarray(item.buffer)

    def _poll(self, requests: list[Any], streams: list[Any], operation: str) -> None:
        """Test the requests (and the GPU streams) until they are done or the time is up."""
        assert self.timeout is not None
        start = time.monotonic()
        while True:
            done = self.mpi.Request.Testall(requests) if requests else True
            if done and streams:
                self.nccl.check_async_error()
                done = all(stream.done for stream in streams)
            if done:
                return
            waited = time.monotonic() - start
            if waited > self.timeout:
                self._time_out(operation)
            if waited < _YIELDING_SECONDS:
                _yield_cpu()
            else:
                time.sleep(_SLEEP_SECONDS)

    def _time_out(self, operation: str) -> None:
        self.broken = f"{operation} timed out on rank {self.rank}"
        if self.nccl is not None:
            self.nccl.abort()
        raise DistributedError(
            f"mu.distributed.{operation} timed out after {self.timeout:g} s on rank "
            f"{self.rank} of {self.size}: another rank has probably failed, exited or stopped "
            "calling the same collective operation (change the limit with "
            f"init(timeout=...) or {TIMEOUT_VARIABLE})")

    # --- helpers ------------------------------------------------------------------------
    def _nccl_dtype(self, array: Array) -> int:
        name = _NCCL_DTYPES.get(np.dtype(array.dtype).name)
        if name is None:
            raise TypeError(f"NCCL cannot reduce arrays of dtype {array.dtype}")
        code: int = getattr(self.nccl_module, name)
        return code

    def all_gather(self, values: np.ndarray[Any, np.dtype[np.int64]],
                   operation: str) -> np.ndarray[Any, np.dtype[np.int64]]:
        """Every rank's ``values`` (int64, as many on every rank), one row per rank in rank
        order, within the timeout: one small collective."""
        gathered = np.empty((self.size, values.size), dtype=np.int64)
        self.finish([PendingCollective(gathered, gathered, self.comm.Iallgather(
            np.ascontiguousarray(values), gathered))], operation)
        return gathered

    def exchange(self, value: Any, operation: str) -> list[Any]:
        """Every rank's ``value`` (any picklable object), in rank order, within the timeout."""
        payload = np.frombuffer(pickle.dumps(value), dtype=np.uint8)
        sizes = self.all_gather(np.array([payload.size], dtype=np.int64), operation)[:, 0]
        offsets = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        gathered = np.empty(int(sizes.sum()), dtype=np.uint8)
        request = self.comm.Iallgatherv(payload, [gathered, sizes.tolist(), offsets.tolist(),
                                                  self.mpi.BYTE])
        self.finish([PendingCollective(gathered, gathered, request)], operation)
        return [pickle.loads(gathered[offset:offset + size].tobytes())
                for offset, size in zip(offsets, sizes, strict=True)]


def _contiguous(array: Array) -> Array:
    """``array`` itself if C-contiguous, else a contiguous copy in the same namespace."""
    if array.flags.c_contiguous:
        return array
    return _backend.namespace_of(array).ascontiguousarray(array)


def _host_buffer(array: Array) -> Array:
    """A C-contiguous NumPy array MPI can work on in place: ``array`` itself when possible."""
    if isinstance(array, np.ndarray) and array.flags.c_contiguous and array.flags.writeable:
        return cast(Array, array)
    contiguous: Array = np.ascontiguousarray(on_host(array))
    return contiguous


def on_host(array: Array) -> Array:
    """``array`` as a NumPy array (device arrays are copied to the host)."""
    return cast(Array, array) if isinstance(array, np.ndarray) else array.get()
