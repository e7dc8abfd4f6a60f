"""Data-parallel training across processes: MPI (mpi4py) between hosts and CPUs, NCCL for GPUs.

Every process (a *rank*) runs the same script, started by ``mpiexec -n 4 python train.py``.
Each trains the same model on its own slice of the data; after ``backward()`` the gradients
are averaged over the ranks, so every rank takes the same optimizer step and the parameters
stay identical everywhere::

    import mushin as mu
    from mushin import distributed as dist

    dist.init()                                      # reads the MPI world
    model = dist.DataParallel(make_model())          # checks the ranks agree, copies rank 0's
    loader = mu.data.DataLoader([images, labels], batch_size=64, shuffle=True, shard=True)
    for images, labels in loader:                    # this rank's share of every epoch
        loss = cross_entropy(model(images), labels)
        optimizer.zero_grad()
        model.backward(loss)                         # loss.backward(), then average gradients
        optimizer.step()

Collectives are the MPI ones, through NumPy's buffer interface; with ``init(device="cuda")``
each rank drives one GPU and device arrays are reduced by NCCL (``cupy.cuda.nccl``), with the
NCCL unique id sent over MPI. mpi4py is imported by :func:`init`, never by ``import mushin``.

Faults: a collective waits at most ``timeout`` seconds (``init(timeout=...)``, else the
environment variable ``MUSHIN_DIST_TIMEOUT``, else 300 s) and then raises
:class:`DistributedError` naming the operation, since the usual cause is a rank that failed
or stopped calling it. ``init(abort_on_error=True)`` installs an exception hook so that an
uncaught exception on any rank (a timeout included) calls ``MPI.COMM_WORLD.Abort(1)``, which
makes ``mpiexec`` stop every rank at once. See docs/distributed.md.
"""

from __future__ import annotations

import importlib
import math
import os
import pickle
import sys
import time
from collections.abc import Iterator, Sequence
from types import ModuleType, TracebackType
from typing import Any, TypeVar, cast

import numpy as np

from mushin import _backend
from mushin._backend import Array
from mushin._creation import generator
from mushin._tensor import Tensor, Variable
from mushin.nn.module import Module

TensorT = TypeVar("TensorT", bound="Tensor[*tuple[Any, ...]]")

TIMEOUT_VARIABLE = "MUSHIN_DIST_TIMEOUT"
"""The environment variable giving the default collective timeout, in seconds (0: none)."""

DEFAULT_TIMEOUT = 300.0
"""Seconds a collective waits for the other ranks when nothing else is configured."""

_REDUCTIONS = ("sum", "mean", "max", "min")

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


class _PendingCollective:
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


class _World:
    """The process group made by :func:`init`: the MPI communicator, and NCCL's for GPUs."""

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

    # --- starting collectives ----------------------------------------------------------
    def start_all_reduce(self, array: Array, op: str) -> _PendingCollective:
        """Start summing (or taking the max/min of) ``array`` over the ranks, in place."""
        if self.nccl is not None and not isinstance(array, np.ndarray):
            nccl = self.nccl_module
            reduction = {"sum": nccl.NCCL_SUM, "mean": nccl.NCCL_SUM, "max": nccl.NCCL_MAX,
                         "min": nccl.NCCL_MIN}[op]
            buffer = _contiguous(array)
            stream = self.cupy.cuda.get_current_stream()
            self.nccl.allReduce(buffer.data.ptr, buffer.data.ptr, buffer.size,
                                self._nccl_dtype(buffer), reduction, stream.ptr)
            return _PendingCollective(array, buffer, None, stream)
        mpi = self.mpi
        reduction = {"sum": mpi.SUM, "mean": mpi.SUM, "max": mpi.MAX, "min": mpi.MIN}[op]
        buffer = _host_buffer(array)
        return _PendingCollective(array, buffer, self.comm.Iallreduce(mpi.IN_PLACE, buffer,
                                                                      op=reduction))

    def start_broadcast(self, array: Array, root: int) -> _PendingCollective:
        """Start copying ``root``'s ``array`` into every rank's, in place (as raw bytes, so
        any dtype travels)."""
        if self.nccl is not None and not isinstance(array, np.ndarray):
            buffer = _contiguous(array)
            stream = self.cupy.cuda.get_current_stream()
            self.nccl.bcast(buffer.data.ptr, buffer.nbytes, self.nccl_module.NCCL_UINT8, root,
                            stream.ptr)
            return _PendingCollective(array, buffer, None, stream)
        buffer = _host_buffer(array)
        request = self.comm.Ibcast(buffer.reshape(-1).view(np.uint8), root=root)
        return _PendingCollective(array, buffer, request)

    # --- waiting --------------------------------------------------------------------------
    def finish(self, pending: Sequence[_PendingCollective], operation: str) -> None:
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

    def exchange(self, value: Any, operation: str) -> list[Any]:
        """Every rank's ``value`` (any picklable object), in rank order, within the timeout."""
        payload = np.frombuffer(pickle.dumps(value), dtype=np.uint8)
        sizes = np.zeros(self.size, dtype=np.int64)
        self.finish([_PendingCollective(sizes, sizes, self.comm.Iallgather(
            np.array([payload.size], dtype=np.int64), sizes))], operation)
        offsets = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        gathered = np.empty(int(sizes.sum()), dtype=np.uint8)
        request = self.comm.Iallgatherv(payload, [gathered, sizes.tolist(), offsets.tolist(),
                                                  self.mpi.BYTE])
        self.finish([_PendingCollective(gathered, gathered, request)], operation)
        return [pickle.loads(gathered[offset:offset + size].tobytes())
                for offset, size in zip(offsets, sizes, strict=True)]


_world_state: _World | None = None


def _contiguous(array: Array) -> Array:
    """``array`` itself if C-contiguous, else a contiguous copy in the same namespace."""
    if array.flags.c_contiguous:
        return array
    return _backend.namespace_of(array).ascontiguousarray(array)


def _host_buffer(array: Array) -> Array:
    """A C-contiguous NumPy array MPI can work on in place: ``array`` itself when possible."""
    if isinstance(array, np.ndarray) and array.flags.c_contiguous and array.flags.writeable:
        return cast(Array, array)
    contiguous: Array = np.ascontiguousarray(_on_host(array))
    return contiguous


def _is_instance(value: object, kind: type) -> bool:
    """``isinstance`` for checking arguments whose annotation already says the type: callers
    without a type checker may still pass anything."""
    return isinstance(value, kind)


def _is_integer(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool)


def _parse_timeout(timeout: float | None) -> float | None:
    """The timeout in seconds, ``None`` for none (0 or infinity), from the argument or the
    environment."""
    source = "init(timeout=...)"
    if timeout is None:
        text = os.environ.get(TIMEOUT_VARIABLE)
        if text is None:
            return DEFAULT_TIMEOUT
        source = TIMEOUT_VARIABLE
        try:
            timeout = float(text)
        except ValueError:
            raise ValueError(f"{TIMEOUT_VARIABLE} must be a number of seconds (0 for no "
                             f"timeout), got {text!r}") from None
    if not _is_number(timeout):
        raise TypeError(f"{source}: the timeout must be a number of seconds, got {timeout!r}")
    if math.isnan(timeout) or timeout < 0:
        raise ValueError(f"{source}: the timeout must be a number of seconds >= 0 (0 for no "
                         f"timeout), got {timeout!r}")
    return None if timeout == 0 or math.isinf(timeout) else float(timeout)


def _import_mpi() -> ModuleType:
    try:
        return importlib.import_module("mpi4py.MPI")
    except ImportError as error:
        raise RuntimeError("mu.distributed needs mpi4py and an MPI library: install the extra, "
                           "`pip install mushin[dist]`") from error


def init(device: str = "cpu", *, timeout: float | None = None, backend: str | None = None,
         abort_on_error: bool = False) -> None:
    """Join the MPI world: after this, :func:`rank` and :func:`world_size` describe it.

    ``device`` is where this rank computes: ``"cpu"``, ``"cuda"`` (the GPU of index
    *local rank* modulo the GPUs on the host, so that ranks on one machine share its GPUs) or
    ``"cuda:N"``; :func:`device` gives the choice. ``backend`` says how device arrays travel:
    ``"nccl"`` (the default for CUDA: a NCCL communicator whose unique id rank 0 makes and
    sends over MPI) or ``"mpi"`` (staged through host memory). ``timeout`` bounds every
    collective, in seconds (0: wait forever; default: ``MUSHIN_DIST_TIMEOUT`` or 300).
    ``abort_on_error=True`` makes an uncaught exception on this rank print its traceback and
    call ``MPI.COMM_WORLD.Abort(1)``, so that ``mpiexec`` ends every rank at once instead of
    leaving the others to time out.

    Every rank must call it, with the same ``backend``. Calling it twice raises
    ``RuntimeError``.
    """
    global _world_state
    if _world_state is not None:
        raise RuntimeError("mu.distributed.init() was already called in this process")
    limit = _parse_timeout(timeout)
    if not _is_instance(device, str):
        raise TypeError(f"init: device must be a string such as 'cpu' or 'cuda', got "
                        f"{device!r}")
    kind, _, index = device.partition(":")
    if backend is None:
        backend = "nccl" if kind == "cuda" else "mpi"
    if backend not in ("mpi", "nccl"):
        raise ValueError(f"init: backend must be 'mpi' or 'nccl', got {backend!r}")
    if backend == "nccl" and kind != "cuda":
        raise ValueError(f"init: the NCCL backend needs a CUDA device, got device={device!r}")
    mpi = _import_mpi()
    comm = mpi.COMM_WORLD
    if kind != "cpu" and not index:
        device = f"{kind}:{_local_rank(mpi, comm) % _device_count(kind)}"
    chosen = _backend.backend(device).device
    world = _World(mpi, comm, chosen, limit)
    if backend == "nccl":
        _connect_nccl(world)
    _world_state = world
    if abort_on_error:
        _install_abort_hook(comm)


def _local_rank(mpi: Any, comm: Any) -> int:
    """This rank's index among the ranks on the same host."""
    local = comm.Split_type(mpi.COMM_TYPE_SHARED, key=comm.Get_rank())
    try:
        local_rank: int = local.Get_rank()
    finally:
        local.Free()
    return local_rank


def _device_count(kind: str) -> int:
    count: int = _backend.backend(f"{kind}:0").xp.cuda.runtime.getDeviceCount()
    return count


def _connect_nccl(world: _World) -> None:
    """Make the NCCL communicator: rank 0's unique id reaches the others over MPI."""
    backend = _backend.backend(world.device)
    cupy = backend.xp
    try:
        nccl = importlib.import_module("cupy.cuda.nccl")
    except ImportError as error:
        raise RuntimeError("init(backend='nccl'): this CuPy has no NCCL support; install NCCL "
                           "(see docs/distributed.md) or use backend='mpi'") from error
    if not getattr(nccl, "available", True):
        raise RuntimeError("init(backend='nccl'): CuPy was built without NCCL; use "
                           "backend='mpi'")
    unique_id = nccl.get_unique_id() if world.rank == 0 else None
    # The exchange is bounded by the timeout, so a rank that never arrives is reported here
    # rather than inside ncclCommInitRank, which would wait for it forever.
    unique_id = world.exchange(unique_id, "init")[0]
    # This rank's GPU becomes CuPy's current device, so that new arrays and the streams the
    # collectives are queued on belong to it.
    cupy.cuda.Device(backend.device_id).use()
    world.nccl = nccl.NcclCommunicator(world.size, unique_id, world.rank)
    world.cupy = cupy
    world.nccl_module = nccl


def _install_abort_hook(comm: Any) -> None:
    previous = sys.excepthook

    def abort_everything(kind: type[BaseException], value: BaseException,
                         traceback: TracebackType | None) -> None:
        previous(kind, value, traceback)
        sys.stderr.write(f"mu.distributed: uncaught {kind.__name__} on rank "
                         f"{comm.Get_rank()}: aborting all {comm.Get_size()} ranks\n")
        sys.stderr.flush()
        sys.stdout.flush()
        comm.Abort(1)

    sys.excepthook = abort_everything


def _world(operation: str) -> _World:
    if _world_state is None:
        raise RuntimeError(f"mu.distributed.{operation} needs the process group: call "
                           "mu.distributed.init() first")
    return _world_state


def is_initialized() -> bool:
    """Whether :func:`init` has been called in this process."""
    return _world_state is not None


def rank() -> int:
    """This process's index in the world, from 0 to ``world_size() - 1``."""
    return _world("rank()").rank


def world_size() -> int:
    """The number of processes in the world."""
    return _world("world_size()").size


def device() -> str:
    """The device this rank computes on (``"cpu"`` or ``"cuda:N"``), as chosen by init."""
    return _world("device()").device


def barrier() -> None:
    """Wait until every rank has called ``barrier()`` (within the timeout)."""
    world = _world("barrier()")
    world.finish([_PendingCollective(None, None, world.comm.Ibarrier())], "barrier")


def _tensor_array(tensor: Any, operation: str, numeric: bool) -> Array:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"mu.distributed.{operation} expects a mu.Tensor, got "
                        f"{type(tensor).__name__}")
    array = tensor._data
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
    world = _world("all_reduce()")
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
    world = _world("broadcast()")
    array = _tensor_array(tensor, "broadcast()", numeric=False)
    if not _is_integer(root) or not 0 <= root < world.size:
        raise ValueError(f"broadcast: root must be a rank from 0 to {world.size - 1}, got "
                         f"{root!r}")
    world.finish([world.start_broadcast(array, root)], "broadcast")
    return tensor


# --- data parallelism ---------------------------------------------------------------------

class _Bucket:
    """Tensors of one dtype laid end to end in one flat buffer: ``slots`` holds each tensor's
    name, the tensor and its ``[start, stop)`` range in the buffer."""

    __slots__ = ("dtype", "size", "slots")

    def __init__(self, dtype: np.dtype[Any]) -> None:
        self.dtype = dtype
        self.size = 0
        self.slots: list[tuple[str, Tensor[*tuple[Any, ...]], int, int]] = []

    def add(self, name: str, tensor: Tensor[*tuple[Any, ...]]) -> None:
        self.slots.append((name, tensor, self.size, self.size + tensor.size))
        self.size += tensor.size

    def pack(self, arrays: Sequence[Array | None], scale: float | None = None,
             extra: int = 0) -> Array:
        """A fresh flat buffer holding ``arrays`` (zeros for ``None``), each multiplied by
        ``scale`` if given, and ``extra`` slots longer; on the device of the bucket's
        tensors."""
        xp = _backend.namespace_of(self.slots[0][1]._data)
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


def _plan_buckets(named_tensors: Sequence[tuple[str, Tensor[*tuple[Any, ...]]]],
                  limit_bytes: int) -> list[_Bucket]:
    """Group the tensors by dtype, in order, into buckets of at most ``limit_bytes`` (a
    larger tensor gets a bucket of its own)."""
    open_buckets: dict[np.dtype[Any], _Bucket] = {}
    buckets: list[_Bucket] = []
    for name, tensor in named_tensors:
        dtype = tensor.dtype
        bucket = open_buckets.get(dtype)
        if bucket is None or (bucket.size + tensor.size) * dtype.itemsize > limit_bytes:
            bucket = _Bucket(dtype)
            open_buckets[dtype] = bucket
            buckets.append(bucket)
        bucket.add(name, tensor)
    return buckets


def _first_difference(reference: list[tuple[str, str, tuple[int, ...], str]],
                      other: list[tuple[str, str, tuple[int, ...], str]],
                      other_rank: int) -> str | None:
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


def _check_same_model(world: _World, module: Module) -> None:
    """Raise the same ``DistributedError`` on every rank unless all models have the same
    parameter and buffer names, shapes and dtypes."""
    signature = [("parameter", name, tensor.shape, tensor.dtype.name)
                 for name, tensor in module.named_parameters()]
    signature += [("buffer", name, tensor.shape, tensor.dtype.name)
                  for name, tensor in module.named_buffers()]
    signatures = world.exchange(signature, "DataParallel()")
    for other_rank in range(1, world.size):
        problem = _first_difference(signatures[0], signatures[other_rank], other_rank)
        if problem is not None:
            raise DistributedError(f"DataParallel: the model differs between ranks: {problem} "
                                   f"(reported on rank {world.rank})")


def _on_host(array: Array) -> Array:
    """``array`` as a NumPy array (device arrays are copied to the host)."""
    return cast(Array, array) if isinstance(array, np.ndarray) else array.get()


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
        world = _world("DataParallel()")
        if not _is_instance(module, Module):
            raise TypeError(f"DataParallel wraps a mu.nn.Module, got {type(module).__name__}")
        if not _is_number(bucket_size_mb) or not bucket_size_mb > 0:
            raise ValueError(f"DataParallel: bucket_size_mb must be a positive number, got "
                             f"{bucket_size_mb!r}")
        super().__init__()
        # Not registered as a sub-module, so that names carry no "module." prefix.
        object.__setattr__(self, "module", module)
        self.bucket_size_mb = float(bucket_size_mb)
        limit = max(1, int(bucket_size_mb * 2**20))
        _check_same_model(world, module)
        self._gradient_buckets = _plan_buckets(module.named_parameters(), limit)
        state: list[tuple[str, Tensor[*tuple[Any, ...]]]] = [*module.named_parameters(),
                                                 *module.named_buffers()]
        self._broadcast_state(world, _plan_buckets(state, limit))

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
        it; all buckets are reduced
        with one non-blocking all-reduce each; then each gradient becomes a view into its
        reduced buffer (new arrays: gradients are never changed in place).
        """
        world = _world("DataParallel.sync_gradients()")
        if world.size == 1:
            return
        pending: list[_PendingCollective] = []
        for bucket in self._gradient_buckets:
            grads = [_gradient_array(tensor) for _, tensor, _, _ in bucket.slots]
            # Scaling while packing saves a pass over the reduced buffer.
            buffer = bucket.pack(grads, scale=1.0 / world.size, extra=len(grads))
            flags = np.array([grad is not None for grad in grads], dtype=bucket.dtype)
            buffer[bucket.size:] = _backend.backend_of(buffer).asarray(flags)
            pending.append(world.start_all_reduce(buffer, "sum"))
        world.finish(pending, "DataParallel.sync_gradients")
        for bucket, item in zip(self._gradient_buckets, pending, strict=True):
            reduced: Array = item.array
            means: Array = reduced[:bucket.size]
            present = _on_host(reduced[bucket.size:]) > 0
            for (_, tensor, start, stop), has_grad in zip(bucket.slots, present, strict=True):
                parameter = cast("Variable[*tuple[Any, ...]]", tensor)
                parameter._replace_grad(
                    means[start:stop].reshape(tensor.shape) if has_grad else None)

    def _broadcast_state(self, world: _World, buckets: list[_Bucket]) -> None:
        """Copy rank 0's parameters and buffers into every rank's, in place."""
        pending = [world.start_broadcast(
            bucket.pack([tensor._data for _, tensor, _, _ in bucket.slots]), 0)
            for bucket in buckets]
        world.finish(pending, "DataParallel()")
        if world.rank == 0:
            return
        for bucket, item in zip(buckets, pending, strict=True):
            for _, tensor, start, stop in bucket.slots:
                tensor._data[...] = item.array[start:stop].reshape(tensor.shape)

    def __repr__(self) -> str:
        inner = repr(self.module).replace("\n", "\n  ")
        return f"DataParallel(\n  (module): {inner}\n)"


def _gradient_array(tensor: Tensor[*tuple[Any, ...]]) -> Array | None:
    """A parameter's gradient as a backend array (``None`` when it has none)."""
    grad = cast("Variable[*tuple[Any, ...]]", tensor)._grad
    if isinstance(grad, Tensor):
        return grad._data
    return grad


# --- sharding the data ------------------------------------------------------------------------

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
        if not _is_integer(value):
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


def shared_permutation(length: int) -> np.ndarray[Any, Any]:
    """A random order of ``length`` rows drawn by rank 0 and sent to every rank (collective).

    ``DataLoader(..., shard=True, shuffle=True)`` uses it so the ranks always agree on an
    epoch's order even when they were seeded differently.
    """
    world = _world("DataLoader(shard=True) iteration")
    order = generator(_backend.CPU).permutation(length) if world.rank == 0 else (
        np.empty(length, dtype=np.int64))
    world.finish([world.start_broadcast(order, 0)], "DataLoader (shuffle)")
    return order
