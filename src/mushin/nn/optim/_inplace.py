"""What every optimizer update shares: cache-sized slices of a large parameter, state buffers,
the step count, L2 weight decay (portable, and as the first line of a CUDA kernel), and which
arrays a fused CPU update takes.

Every portable step writes into an existing array: a ufunc with ``out=`` or an in-place
operator (NumPy turns the result of plain arithmetic on 0-d arrays into a scalar, and any other
result would be a new array). The factors are Python floats, which never promote a float32
array. So a steady-state step allocates no arrays, and a gradient, which the engine may share
between several tensors, is only ever read: one that must change (L2 weight decay) is written
into scratch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mushin._backend import Array, namespace_of
from mushin.kernels import cpu

PIECE = 1 << 16
"""Elements per slice when a large parameter is updated piecewise (see ``pieces``)."""


def pieces(*arrays: Array | None) -> list[tuple[Any, ...]]:
    """The same-shaped ``arrays`` (``None`` entries stay ``None``) as one tuple, or, for a
    large parameter whose arrays are all C-contiguous NumPy arrays, as aligned flat slices
    of ``PIECE`` elements: the slices of every array (1 MiB in float32) stay in the core's
    cache from one in-place operation to the next, where whole arrays would stream through
    memory once per operation. A third faster for a million-element parameter; elementwise,
    so the values are the same. Not on GPUs, where each slice would be a kernel launch."""
    present = [array for array in arrays if array is not None]
    size = int(present[0].size)
    if size <= 4 * PIECE or not all(type(array) is np.ndarray and array.flags.c_contiguous
                                    for array in present):
        return [arrays]
    flat = [None if array is None else array.reshape(-1) for array in arrays]
    return [tuple(None if array is None else array[start:start + PIECE] for array in flat)
            for start in range(0, size, PIECE)]


def cpu_fusable(param: Array, grad: Array, *buffers: Array | None) -> bool:
    """Whether a fused CPU update (one Numba kernel over the flat arrays, ``mushin.kernels.cpu``)
    takes ``param``, its gradient and its state ``buffers`` (``None`` entries are absent
    buffers): kernels enabled, float32 or float64 NumPy arrays of one shape and dtype, all
    C-contiguous but the gradient (the update copies a gradient in another layout into
    scratch first)."""
    # Written out (not with cpu.fusable) as it runs once per parameter and step.
    if not (param.__class__ is np.ndarray and param.dtype.char in "fd"
            and param.flags.c_contiguous and cpu.enabled(np)
            and grad.__class__ is np.ndarray and grad.dtype == param.dtype
            and grad.shape == param.shape):
        return False
    return all(buffer is None or (buffer.__class__ is np.ndarray and buffer.dtype == param.dtype
                                  and buffer.shape == param.shape and buffer.flags.c_contiguous)
               for buffer in buffers)


def state_buffer(state: dict[str, Any], key: str, like: Array, fill: float = 0.0) -> Array:
    """The state buffer ``key``, created as ``like``-shaped ``fill`` on first use."""
    found = state.get(key)
    if found is None:
        found = state[key] = namespace_of(like).full_like(like, fill)
    return found


def count_step(state: dict[str, Any]) -> int:
    """The parameter's step count, advanced by this step (1 at the first)."""
    step: int = state.get("step", 0) + 1
    state["step"] = step
    return step


def add_weight_decay(grad: Array, param: Array, weight_decay: float, out: Array) -> Array:
    """``grad + weight_decay * param`` (L2 weight decay), written into ``out``."""
    result = namespace_of(param).multiply(param, weight_decay, out=out)
    result += grad
    return result


def update_moments(grad: Array, exp_avg: Array, exp_avg_sq: Array, beta1: float, beta2: float,
                   scratch: Array) -> None:
    """Adam's running moments, in place: ``exp_avg`` moves ``1 - beta1`` of the way toward
    ``grad``, ``exp_avg_sq`` toward ``grad ** 2`` by ``1 - beta2`` (``scratch`` is clobbered)."""
    xp = namespace_of(grad)
    xp.subtract(grad, exp_avg, out=scratch)
    scratch *= 1.0 - beta1
    exp_avg += scratch
    xp.multiply(grad, 1.0 - beta2, out=scratch)
    scratch *= grad
    exp_avg_sq *= beta2
    exp_avg_sq += scratch


ADD_WEIGHT_DECAY_CUDA = "T d = g; if (decay != (T)0) d = p * decay + d;\n"
"""``add_weight_decay`` in CUDA C, the first line of every optimizer kernel (each updates the
parameter and its state buffers in place, one kernel per optimizer and set of buffers): ``d``
is the gradient ``g`` plus the L2 weight decay ``decay`` (0: none) times the parameter ``p``."""
