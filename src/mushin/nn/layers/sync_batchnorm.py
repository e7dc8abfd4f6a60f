"""``SyncBatchNorm``: batch normalisation whose batch statistics are those of the whole batch
across the ranks of data-parallel training (PyTorch's ``nn.SyncBatchNorm``), and
``SyncBatchNorm.convert_sync_batchnorm(module)``.

While training in a process group of more than one rank, the per-channel mean and variance are
computed over every rank's rows: one all-reduce of each rank's sums (and row count), then one of
its squared deviations from the global mean. The all-reduce is a differentiable operation here
(``ALL_REDUCE_SUM``), whose gradient is the all-reduce of the incoming gradients, so the
backward of the statistics also combines every rank's terms, as PyTorch's backward does with its
all-reduced ``sum_dy`` and ``sum_dy_xmu``: each rank's input gradient is the slice of the
gradient of one normalisation over the whole batch (every rank must run its backward, as in any
data-parallel step). The running statistics are updated with the global mean and unbiased
variance, so they stay identical on every rank.

In a single process, in evaluation mode, or in a group of one rank, the layer is exactly
``BatchNorm`` (PyTorch's behaviour since it stopped requiring a process group). The process
group is ``mu.distributed``'s world; this layer sits below ``mu.distributed`` and does not
import it: ``mu.distributed.init()`` sets :data:`default_process_group` (or a layer is given
its group as ``process_group``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, TypeVarTuple, overload

from mushin._backend import namespace_of
from mushin._check import shape_of
from mushin._graph import Primitive
from mushin._tensor import Tensor, Variable, apply, new_constant, storage, writable
from mushin.errors import ShapeError
from mushin.nn.layers.norm import (
    BatchNorm1D,
    BatchNorm2D,
    BatchNorm3d,
    _BatchNorm,  # pyright: ignore[reportPrivateUsage]
)
from mushin.nn.module import Module
from mushin.ops import reduce
from mushin.ops.join import concat
from mushin.ops.shape import reshape
from mushin.ops.unary import rsqrt

if TYPE_CHECKING:
    from mushin._typing import Untyped

__all__ = ["SyncBatchNorm"]

Shape = TypeVarTuple("Shape")
ModuleT = TypeVar("ModuleT", bound=Module)


class ProcessGroup(Protocol):
    """What ``SyncBatchNorm`` needs of a process group: its size and an in-place all-reduce
    of an array (``mu.distributed``'s world is one)."""

    size: int

    def start_all_reduce(self, array: Any, op: str) -> Any: ...

    def finish(self, pending: Sequence[Any], operation: str) -> None: ...


default_process_group: ProcessGroup | None = None
"""The group a ``SyncBatchNorm`` without its own ``process_group`` synchronises over: set by
``mu.distributed.init()``; None in a single process."""


def _all_reduce_forward(xp: Any, x: Any, group: ProcessGroup) -> Any:
    total = xp.array(x, copy=True)
    group.finish([group.start_all_reduce(total, "sum")], "SyncBatchNorm")
    return total


def _all_reduce_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any,
                    group: ProcessGroup) -> tuple[Any]:
    # Each rank's result is the sum of every rank's input: the gradient of its input is the
    # sum of every rank's output gradient.
    return (F.all_reduce_sum(g, group=group),)


ALL_REDUCE_SUM = Primitive("all_reduce_sum", _all_reduce_forward, _all_reduce_vjp,
                           saves="none")
"""The sum of a tensor over the ranks of ``group``, differentiable (every rank must call it,
and its backward, in the same order)."""


def _synchronised_batch_norm(input: Any, running_mean: Any, running_var: Any, weight: Any,
                             bias: Any, momentum: float, eps: float,
                             group: ProcessGroup) -> Any:
    """``F.batch_norm`` in training mode with the statistics of every rank's rows."""
    dims = shape_of(input)
    axes = (0, *range(2, len(dims)))
    broadcast = (1, dims[1]) + (1,) * (len(dims) - 2)
    rows = math.prod(dims[axis] for axis in axes)
    data = storage(input)
    # One all-reduce for the sums and the row count, one for the squared deviations.
    count = new_constant(namespace_of(data).full((1,), rows, dtype=data.dtype))
    totals = apply(ALL_REDUCE_SUM, concat([reduce.sum(input, axis=axes), count]), group=group)
    total_rows = float(storage(totals)[-1])
    if total_rows <= 1:
        raise ValueError(f"SyncBatchNorm: expected more than 1 value per channel over the "
                         f"ranks when training, got {int(total_rows)}")
    mean = totals[:-1] / total_rows
    centred = input - reshape(mean, broadcast)
    variance = apply(ALL_REDUCE_SUM, reduce.sum(centred * centred, axis=axes),
                     group=group) / total_rows
    result = centred * reshape(rsqrt(variance + eps), broadcast)
    for running, batch in ((running_mean, mean),
                           (running_var, variance * (total_rows / (total_rows - 1)))):
        if running is not None:  # a buffer, outside the graph
            values = writable(running)
            values *= 1 - momentum
            values += momentum * storage(batch).astype(values.dtype, copy=False)
    if weight is not None:
        result = result * reshape(weight, broadcast)
    if bias is not None:
        result = result + reshape(bias, broadcast)
    return result


class SyncBatchNorm(_BatchNorm):
    """Batch normalisation of ``(N, C, *)`` inputs per channel with the statistics of the
    batch over every rank while training in a process group (PyTorch's ``nn.SyncBatchNorm``);
    ``BatchNorm``'s behaviour otherwise. Its parameters and buffers are ``BatchNorm``'s, so a
    state dict moves between the two (and PyTorch's) unchanged.

    ``process_group`` is the group to synchronise over (``mu.distributed``'s world by default,
    once ``mu.distributed.init()`` has run).
    """

    _ranks = tuple(range(2, 65))  # any input of at least 2 axes (NumPy's limit: 64)
    _layout = "(N, C, *)"

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 process_group: ProcessGroup | None = None, device: str | None = None,
                 dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)
        self.process_group = process_group

    @overload
    def forward(self, x: Untyped) -> Untyped: ...
    @overload
    def forward(self, x: Tensor[*Shape]) -> Variable[*Shape]: ...

    def forward(self, x: Any) -> Any:
        """Normalise ``x`` per channel: by the statistics of every rank's batch while training
        in a group of several ranks, as ``BatchNorm`` does otherwise."""
        group = self.process_group or default_process_group
        if not self.training or group is None or group.size <= 1:
            return super().forward(x)
        shape = shape_of(x)
        if len(shape) < 2 or shape[1] != self.num_features:
            raise ShapeError(f"SyncBatchNorm: expected an input of shape (N, C, *) with C = "
                             f"{self.num_features}, got shape {shape}")
        # _BatchNorm's rules for the running statistics: counted batches, momentum None a
        # cumulative average.
        factor = self.momentum if self.momentum is not None else 0.0
        if self.num_batches_tracked is not None:
            tracked = writable(self.num_batches_tracked)
            tracked += 1
            if self.momentum is None:
                factor = 1.0 / int(tracked)
        tracking = self.track_running_stats
        return _synchronised_batch_norm(
            x, self.running_mean if tracking else None, self.running_var if tracking else None,
            self._param(self.weight), self._param(self.bias), factor, self.eps, group)

    @classmethod
    def convert_sync_batchnorm(cls, module: ModuleT,
                               process_group: ProcessGroup | None = None) -> ModuleT | Any:
        """``module`` with every ``BatchNorm1d/2d/3d`` of its tree replaced by a
        ``SyncBatchNorm`` holding the same parameter and buffer objects (PyTorch's); a batch
        normalisation given itself comes back converted, any other module is changed in place
        and returned."""
        converted: Module = module
        if isinstance(module, BatchNorm1D | BatchNorm2D | BatchNorm3d | SyncBatchNorm):
            synchronised = cls(module.num_features, module.eps, module.momentum, module.affine,
                               module.track_running_stats, process_group)
            for name in ("weight", "bias"):
                setattr(synchronised, name, getattr(module, name))
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                value = getattr(module, name)
                if value is not None:
                    synchronised.register_buffer(name, value)
            object.__setattr__(synchronised, "training", module.training)
            object.__setattr__(synchronised, "_frozen", module._frozen)
            converted = synchronised
        for name, child in list(module.named_children()):
            converted.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return converted
