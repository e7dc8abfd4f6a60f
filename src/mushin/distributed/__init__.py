"""Data-parallel training across processes: MPI (mpi4py) between hosts and CPUs, NCCL for GPUs.

Every process (a *rank*) runs the same script, started by ``mpiexec -n 4 python train.py``.
Each trains the same model on its own slice of the data; during ``backward()`` the gradients
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
        loss.backward()                              # averages the gradients as it goes
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

The package reads bottom-up: :mod:`.transport` moves arrays between ranks (MPI, NCCL) and
waits within the timeout; :mod:`.bootstrap` makes the process group (:func:`init`);
:mod:`.collectives` holds the collectives on tensors; :mod:`.buckets` lays gradients out in
flat buffers; :mod:`.reducer` averages them from the parameters' gradient hooks during
backward; :mod:`.data_parallel` holds the ``DataParallel`` wrapper; :mod:`.sharding` says
which batches each rank takes (:func:`shard_ranges`, which ``mu.data.DataLoader`` follows).
"""

from mushin.distributed.bootstrap import (
    DEFAULT_TIMEOUT,
    device,
    init,
    is_initialized,
    rank,
    world_size,
)
from mushin.distributed.collectives import (
    TensorT,
    all_reduce,
    barrier,
    broadcast,
    shared_permutation,
)
from mushin.distributed.data_parallel import DataParallel
from mushin.distributed.sharding import shard_ranges
from mushin.distributed.transport import TIMEOUT_VARIABLE, DistributedError

__all__ = [
    "DEFAULT_TIMEOUT", "TIMEOUT_VARIABLE", "DataParallel", "DistributedError", "TensorT",
    "all_reduce", "barrier", "broadcast", "device", "init", "is_initialized", "rank",
    "shard_ranges", "shared_permutation", "world_size",
]
