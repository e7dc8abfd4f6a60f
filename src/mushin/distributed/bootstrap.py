"""Joining the MPI world: :func:`init`, and what it found (:func:`rank`, :func:`world_size`...).

:func:`init` reads the timeout, imports mpi4py (never imported before), picks this rank's
device, makes the NCCL communicator for GPUs and keeps the resulting :class:`.World` as the
process's one group, which every collective then gets from :func:`current_world`, and which
``SyncBatchNorm`` (a layer below this package, which cannot ask for it) synchronises over.
"""

from __future__ import annotations

import importlib
import math
import os
import sys
import time
from types import ModuleType, TracebackType
from typing import Any

from mushin import _backend
from mushin._check import is_number
from mushin.distributed.transport import TIMEOUT_VARIABLE, World
from mushin.nn.layers import sync_batchnorm

DEFAULT_TIMEOUT = 300.0
"""Seconds a collective waits for the other ranks when nothing else is configured."""

_world_state: World | None = None


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
    if not is_number(timeout):
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
    """Join the MPI world: after this, :func:`rank` and :func:`world_size` describe it, and
    every ``SyncBatchNorm`` made without its own ``process_group`` synchronises over it.

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
    if not isinstance(device, str):
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
    world = World(mpi, comm, chosen, limit)
    if backend == "nccl":
        _connect_nccl(world)
    _world_state = world
    sync_batchnorm.default_process_group = world
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


def _connect_nccl(world: World) -> None:
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


_ABORT_GRACE_SECONDS = 0.5
"""How long a failing rank waits, its traceback written, before it aborts the job."""


def _install_abort_hook(comm: Any) -> None:
    previous = sys.excepthook

    def abort_everything(kind: type[BaseException], value: BaseException,
                         traceback: TracebackType | None) -> None:
        previous(kind, value, traceback)
        sys.stderr.write(f"mu.distributed: uncaught {kind.__name__} on rank "
                         f"{comm.Get_rank()}: aborting all {comm.Get_size()} ranks\n")
        sys.stderr.flush()
        sys.stdout.flush()
        # mpiexec forwards a rank's output through a pipe and stops reading it once a rank
        # aborts: a moment's pause lets the traceback above reach the user before the abort.
        time.sleep(_ABORT_GRACE_SECONDS)
        comm.Abort(1)

    sys.excepthook = abort_everything


def current_world(operation: str) -> World:
    """The group :func:`init` made; ``RuntimeError`` naming ``operation`` before then."""
    if _world_state is None:
        raise RuntimeError(f"mu.distributed.{operation} needs the process group: call "
                           "mu.distributed.init() first")
    return _world_state


def is_initialized() -> bool:
    """Whether :func:`init` has been called in this process."""
    return _world_state is not None


def rank() -> int:
    """This process's index in the world, from 0 to ``world_size() - 1``."""
    return current_world("rank()").rank


def world_size() -> int:
    """The number of processes in the world."""
    return current_world("world_size()").size


def device() -> str:
    """The device this rank computes on (``"cpu"`` or ``"cuda:N"``), as chosen by init."""
    return current_world("device()").device
