"""Loss functions (``mu.nn.losses``), PyTorch's definitions and argument order.

Each takes ``reduction="mean" | "sum" | "none"``. A target is a ``Constant`` (or an array):
of the input's shape, or integer class indices for ``nll`` and ``cross_entropy`` (class axis
1, ``(N, C, d1, ...)`` inputs with ``(N, d1, ...)`` targets, as PyTorch; indices equal to
``ignore_index`` count for nothing). A shape mismatch raises ``mu.ShapeError`` naming the loss
and both shapes.

``nll``, ``cross_entropy`` (log-softmax and NLL fused in one primitive, so its gradient is the
exact ``softmax - one_hot``), ``binary_cross_entropy`` and ``bce_with_logits`` are primitives;
the others are composed from operations. All are stable for logits of +-1e4. On CuPy,
``cross_entropy`` of ``(N, C)`` logits runs as row kernels (its CUDA rules, beside its
portable rules below).
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np

from mushin import _backend
from mushin import _typing as typed
from mushin._backend import Array, accumulator
from mushin._check import is_number, operation_name, shape_of
from mushin._graph import Primitive
from mushin._tensor import Constant, Tensor, Variable, apply, unwrap, value_range
from mushin.errors import ShapeError
from mushin.kernels import cuda
from mushin.kernels.cuda import BLOCK
from mushin.nn.functional.activation import LOGSOFTMAX, logsoftmax
from mushin.ops import elementwise, reduce
from mushin.ops.shape import reshape

_REDUCTIONS = ("mean", "sum", "none")

# --- argument checks ------------------------------------------------------------------------


def _check_reduction(name: str, reduction: str, allowed: tuple[str, ...] = _REDUCTIONS) -> str:
    if reduction not in allowed:
        raise ValueError(f"{operation_name(name)}: reduction must be one of "
                         f"{', '.join(map(repr, allowed))}, got {reduction!r}")
    return reduction


def _data(value: Any) -> Any:
    return unwrap(value)


def _target(name: str, x: Any, target: Any) -> Any:
    """``target`` checked against ``x``'s shape: a ``Variable`` as it is, anything else a
    ``Constant`` on ``x``'s device in ``x``'s dtype."""
    if not isinstance(target, Variable):
        reference = reduce.data_of(x)  # TypeError naming the function for a non-number
        target = Constant(_data(target), dtype=reference.dtype,
                          device=_backend.backend_of(reference).device)
    if shape_of(x) != shape_of(target):
        raise ShapeError(f"{operation_name(name)}: the input of shape {shape_of(x)} and the target "
                         f"of shape {shape_of(target)} differ")
    return cast(Any, target)  # not the Variable[Unknown] that isinstance on Any gives pyright


def _reduce(loss: Any, reduction: str) -> Any:
    if reduction == "mean":
        return reduce.mean(loss)
    if reduction == "sum":
        return reduce.sum(loss)
    return loss


# --- class-index losses ---------------------------------------------------------------------

def _class_indices(name: str, x: Any, target: Any, ignore_index: int) -> Array:
    """``target`` as an integer array on ``x``'s device, checked against ``x``'s classes."""
    x_shape = shape_of(x)
    backend = _backend.backend_of(_data(x))
    raw = _data(target)
    data = backend.asarray(raw)
    if data.dtype.kind not in "iu":
        raise TypeError(f"{operation_name(name)}: class-index targets must be integers, got dtype "
                        f"{data.dtype}")
    if not x_shape:
        raise ShapeError(f"{operation_name(name)}: the input needs a class axis, got a 0-d tensor")
    expected = () if len(x_shape) == 1 else (x_shape[0], *x_shape[2:])
    if tuple(data.shape) != expected:
        raise ShapeError(f"{operation_name(name)}: an input of shape {x_shape} needs a target of "
                         f"class indices of shape {expected}, got shape {tuple(data.shape)}")
    classes = x_shape[0] if len(x_shape) == 1 else x_shape[1]
    # The check reads the indices where that is cheap: on the host, or in the bounds recorded
    # when they came from there; a device's indices are read back only when neither serves.
    bounds = value_range(target)
    if not data.size or (bounds is not None and bounds[0] >= 0 and bounds[1] < classes):
        return data  # the usual case
    on_host = raw.__class__ is np.ndarray
    values: Any = raw if on_host else data
    xp: Any = np if on_host else backend.xp
    if bounds is None and int(values.min()) >= 0 and int(values.max()) < classes:
        return data
    bad = ((values < 0) | (values >= classes)) & (values != ignore_index)
    if bool(xp.any(bad)):
        first = int(values[bad].reshape(-1)[0])
        raise IndexError(f"{operation_name(name)}: class index {first} is out of range for "
                         f"{classes} classes (indices must lie in [0, {classes}) or equal "
                         f"ignore_index={ignore_index})")
    return data


def _apply_class_loss(prim: Primitive, x: Any, target: Any, reduction: str,
                      ignore_index: int) -> Any:
    """Run a class-index loss; a ``(C,)`` input with a 0-d target is a batch of one."""
    indices = _class_indices(prim.name, x, target, ignore_index)
    if indices.ndim:
        return apply(prim, x, indices, reduction=reduction, ignore_index=ignore_index)
    loss = apply(prim, reshape(x, (1, -1)), indices.reshape(1), reduction=reduction,
                 ignore_index=ignore_index)
    return reshape(loss, ()) if reduction == "none" else loss


def _valid_and_safe(xp: Any, target: Array, ignore_index: int) -> tuple[Array, Array]:
    valid = target != ignore_index
    return valid, xp.where(valid, target, 0)


def _reduce_picked(xp: Any, losses: Array, valid: Array, reduction: str) -> Array:
    if reduction == "none":
        return losses
    wide = accumulator(losses)
    total = xp.sum(losses, dtype=wide)
    if reduction == "mean":
        total = _per_valid_target(xp, total, valid)
    return total if wide is None else total.astype(losses.dtype)


def _per_valid_target(xp: Any, total: Array, valid: Array) -> Array:
    """``total`` divided by the number of targets that are not ignored; NaN when every one is
    (PyTorch's result). On the CPU the count is read, to spare NumPy's 0/0 warning; on a
    device it stays there, so a training step reads nothing back from the device for it."""
    if xp is _backend.CPU.xp:
        count = int(valid.sum())
        return total / count if count else xp.full((), xp.nan, dtype=total.dtype)
    count = valid.sum(dtype=total.dtype)
    return xp.where(count > 0, total / xp.maximum(count, 1), xp.nan)


def _nll_forward(xp: Any, log_probs: Array, target: Array, reduction: str,
                 ignore_index: int) -> Array:
    valid, safe = _valid_and_safe(xp, target, ignore_index)
    picked = xp.take_along_axis(log_probs, safe[:, None], axis=1)[:, 0]
    return _reduce_picked(xp, xp.where(valid, -picked, 0), valid, reduction)


def _picked_grad_scale(F: Any, xp: Any, g: Any, valid: Array, reduction: str) -> Any:
    """The gradient each picked element receives, shaped ``(N, 1, d1, ...)``; 0 where
    ignored."""
    mask = valid[:, None].astype(g.dtype)
    if reduction == "none":
        return F.reshape(g, shape=mask.shape) * mask
    if reduction == "mean":  # all zeros when every target is ignored
        return g * (mask / xp.maximum(xp.sum(valid, dtype=mask.dtype), 1))
    return g * mask


def _one_hot(xp: Any, safe: Array, classes: int, dtype: Any) -> Array:
    layout = (1, classes) + (1,) * (safe.ndim - 1)
    return (xp.arange(classes).reshape(layout) == safe[:, None]).astype(dtype)


def _nll_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, reduction: str,
             ignore_index: int) -> tuple[Any, ...]:
    target = F.unwrap(inputs[1])
    xp = _backend.namespace_of(target)
    valid, safe = _valid_and_safe(xp, target, ignore_index)
    one_hot = _one_hot(xp, safe, parents[0].shape[1], g.dtype)
    return -_picked_grad_scale(F, xp, g, valid, reduction) * one_hot, None


NLL = Primitive("nll", _nll_forward, _nll_vjp, saves="inputs")


def _fast_rows(logits: Any) -> bool:
    """Whether the fused 2-D path applies: ``(N, C)`` logits of float32 or float64."""
    return bool(logits.ndim == 2 and logits.dtype.kind == "f" and logits.dtype.itemsize >= 4)


def _cross_entropy_forward(xp: Any, logits: Array, target: Array, reduction: str,
                           ignore_index: int) -> Array:
    if not _fast_rows(logits):
        return _nll_forward(xp, LOGSOFTMAX.forward(xp, logits, 1), target, reduction,
                            ignore_index)
    # (N, C) logits: log-sum-exp minus the picked logit, both relative to the row maximum,
    # without the (N, C) log-probabilities; the sums stay in the logits' dtype. Array
    # methods rather than ``xp.sum``...: the same reductions with less Python around them.
    shifted = logits - logits.max(axis=1, keepdims=True)
    valid = target != ignore_index
    every = _none_ignored(xp, valid)
    safe = target if every else xp.where(valid, target, 0)
    losses = xp.log(xp.exp(shifted).sum(axis=1))
    losses -= shifted[xp.arange(shifted.shape[0]), safe]
    if not every:
        losses = xp.where(valid, losses, 0)
    if reduction == "none":
        return losses
    total = losses.sum()
    return _per_valid_target(xp, total, valid) if reduction == "mean" else total


def _none_ignored(xp: Any, valid: Array) -> bool:
    """Whether no target is ``ignore_index``, for a cheaper path: asked on the CPU only (on a
    device the answer would be a read back from it; the general path serves there)."""
    return xp is _backend.CPU.xp and bool(valid.all())


def _cross_entropy_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, reduction: str,
                       ignore_index: int) -> tuple[Any, ...]:
    logits, target = inputs
    target = F.unwrap(target)
    xp = _backend.namespace_of(target)
    valid, safe = _valid_and_safe(xp, target, ignore_index)
    if F.graph_mode or not _fast_rows(logits):
        one_hot = _one_hot(xp, safe, parents[0].shape[1], g.dtype)
        scale = _picked_grad_scale(F, xp, g, valid, reduction)
        return (F.softmax(logits, axis=1) - one_hot) * scale, None
    # Plain arrays, (N, C): softmax - one_hot built in one fresh array, scaled in place.
    grad = xp.exp(logits - logits.max(axis=1, keepdims=True))
    grad /= grad.sum(axis=1, keepdims=True)
    grad[xp.arange(grad.shape[0]), safe] -= 1
    if reduction != "none" and _none_ignored(xp, valid):
        grad *= g / grad.shape[0] if reduction == "mean" else g
    else:
        grad *= _picked_grad_scale(F, xp, g, valid, reduction)
    return grad, None


# The CUDA rules: row kernels on (N, C) logits of float32 or float64 with at least one class.

_CROSS_ENTROPY = r"""
// One block per row: the row's loss, log(sum(exp(x - m))) - (x[t] - m); 0 where the target
// is ignore_index. The caller has checked the targets; one outside [0, c) all the same (its
// data changed behind mushin's back) gives NaN, never a read outside the row.
extern "C" __global__ void mushin_cross_entropy_rows(
        const T* x, const I* target, T* loss, long long n, long long c, long long ignore) {
    __shared__ T shared[BLOCK];
    long long row = blockIdx.x;
    const T* r = x + row * c;
    T m, s;
    row_stats(r, c, shared, &m, &s);
    if (threadIdx.x == 0) {
        long long t = (long long)target[row];
        if (t == ignore) loss[row] = 0;
        else loss[row] = (t < 0 || t >= c) ? (T)nan("") : log(s) - (r[t] - m);
    }
}

// One block: the sum of the n row losses; with mean, divided by the number of targets that
// are not ignore_index (NaN when there is none, as PyTorch).
extern "C" __global__ void mushin_cross_entropy_total(
        const T* loss, const I* target, T* out, long long n, long long ignore, int mean) {
    __shared__ T shared[BLOCK];
    T total = 0, count = 0;
    for (long long i = threadIdx.x; i < n; i += BLOCK) {
        total += loss[i];
        count += (long long)target[i] != ignore;
    }
    total = block_sum(total, shared);
    count = block_sum(count, shared);
    if (threadIdx.x == 0) {
        if (!mean) out[0] = total;
        else out[0] = count > 0 ? total / count : (T)nan("");
    }
}

// One block: the gradient every kept row receives with mean, g / max(count, 1).
extern "C" __global__ void mushin_cross_entropy_scale(
        const T* g, const I* target, T* out, long long n, long long ignore) {
    __shared__ T shared[BLOCK];
    T count = 0;
    for (long long i = threadIdx.x; i < n; i += BLOCK) count += (long long)target[i] != ignore;
    count = block_sum(count, shared);
    if (threadIdx.x == 0) out[0] = g[0] * ((T)1 / (count > 1 ? count : (T)1));
}

// One block per row: (softmax(x) - one_hot(t)) * scale, scale being g[row] (per_row) or
// g[0], and 0 where the target is ignore_index (NaN for a target outside [0, c)).
extern "C" __global__ void mushin_cross_entropy_grad(
        const T* x, const I* target, const T* g, T* grad, long long n, long long c,
        long long ignore, int per_row) {
    __shared__ T shared[BLOCK];
    long long row = blockIdx.x;
    const T* r = x + row * c;
    T m, s;
    row_stats(r, c, shared, &m, &s);
    long long t = (long long)target[row];
    T scale = t == ignore ? (T)0 : (t < 0 || t >= c) ? (T)nan("") : g[per_row ? row : 0];
    for (long long j = threadIdx.x; j < c; j += BLOCK) {
        T p = exp(r[j] - m) / s;
        if (j == t) p -= 1;
        grad[row * c + j] = p * scale;
    }
}
"""


def _cross_entropy_kernel(xp: Any, name: str, logits: Array, target: Array) -> Any:
    return cuda.raw(xp, _CROSS_ENTROPY, name, logits.dtype.name, target.dtype.name)


def _kernels_take(logits: Array) -> bool:
    """Whether the row kernels take these logits: :func:`_fast_rows`, and at least one class."""
    return _fast_rows(logits) and logits.shape[1] > 0


def _cross_entropy_cuda(xp: Any, logits: Array, target: Array, reduction: str,
                        ignore_index: int) -> Array:
    if not _kernels_take(logits):
        return NotImplemented
    return _cross_entropy_rows(logits, target, reduction, ignore_index)


def _cross_entropy_rows(logits: Array, target: Array, reduction: str, ignore_index: int) -> Array:
    """The cross-entropy of ``(N, C)`` float logits (C >= 1) and ``(N,)`` integer targets
    within ``[0, C)`` or equal to ``ignore_index``: per row, or its sum or mean."""
    xp = cuda.xp_of(logits)
    logits, target = xp.ascontiguousarray(logits), xp.ascontiguousarray(target)
    n, c = logits.shape
    losses = xp.empty(n, dtype=logits.dtype)
    if n:
        _cross_entropy_kernel(xp, "mushin_cross_entropy_rows", logits, target)(
            (n,), (BLOCK,), (logits, target, losses, xp.int64(n), xp.int64(c),
                             xp.int64(ignore_index)))
    if reduction == "none":
        return losses
    total = xp.empty((), dtype=logits.dtype)
    _cross_entropy_kernel(xp, "mushin_cross_entropy_total", logits, target)(
        (1,), (BLOCK,), (losses, target, total, xp.int64(n), xp.int64(ignore_index),
                         xp.int32(reduction == "mean")))
    return total


def _cross_entropy_cuda_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, reduction: str,
                            ignore_index: int) -> Any:
    logits, target = inputs
    if not _kernels_take(logits):
        return NotImplemented
    return _cross_entropy_rows_grad(logits, target, g, reduction, ignore_index), None


def _cross_entropy_rows_grad(logits: Array, target: Array, g: Array, reduction: str,
                             ignore_index: int) -> Array:
    """The gradient of :func:`cross_entropy` with respect to the logits, for the output
    gradient ``g`` (shape ``(N,)`` with ``reduction="none"``, else 0-d)."""
    xp = cuda.xp_of(logits)
    logits, target = xp.ascontiguousarray(logits), xp.ascontiguousarray(target)
    g = xp.ascontiguousarray(g, dtype=logits.dtype)
    n, c = logits.shape
    grad = xp.empty((n, c), dtype=logits.dtype)
    if not n:
        return grad
    if reduction == "mean":
        scale = xp.empty((), dtype=logits.dtype)
        _cross_entropy_kernel(xp, "mushin_cross_entropy_scale", logits, target)(
            (1,), (BLOCK,), (g, target, scale, xp.int64(n), xp.int64(ignore_index)))
        g = scale
    _cross_entropy_kernel(xp, "mushin_cross_entropy_grad", logits, target)(
        (n,), (BLOCK,), (logits, target, g, grad, xp.int64(n), xp.int64(c),
                         xp.int64(ignore_index), xp.int32(reduction == "none")))
    return grad


CROSS_ENTROPY = Primitive("cross_entropy", _cross_entropy_forward, _cross_entropy_vjp,
                          cuda_forward=_cross_entropy_cuda, cuda_vjp=_cross_entropy_cuda_vjp)


@typed.nll_function
def nll(log_probs: Any, target: Any, reduction: str = "mean", ignore_index: int = -100) -> Any:
    """The negative log-likelihood ``-log_probs[n, target[n]]`` of integer class indices,
    averaged over the targets that are not ``ignore_index`` (``reduction="mean"``)."""
    _check_reduction("nll", reduction)
    return _apply_class_loss(NLL, log_probs, target, reduction, ignore_index)


@typed.cross_entropy_function
def cross_entropy(logits: Any, target: Any, reduction: str = "mean",
                  ignore_index: int = -100) -> Any:
    """``nll(logsoftmax(logits, axis=1), target)`` in one stable step, for integer class
    indices; for a floating target of the logits' shape (class probabilities),
    ``-sum(target * logsoftmax(logits, axis=1), axis=1)``, reduced over the rest."""
    _check_reduction("cross_entropy", reduction)
    target_data = _data(target)
    if not hasattr(target_data, "dtype"):
        target_data = _backend.CPU.asarray(target_data)
    if target_data.dtype.kind == "f":
        target = _target("cross_entropy", logits, target)
        axis = 1 if len(shape_of(logits)) > 1 else 0
        losses = -reduce.sum(target * logsoftmax(logits, axis=axis), axis=axis)
        return _reduce(losses, reduction)
    return _apply_class_loss(CROSS_ENTROPY, logits,
                             target if isinstance(target, Tensor) else target_data,
                             reduction, ignore_index)


# --- binary cross-entropy -----------------------------------------------------------------------

def _clamped_log(xp: Any, values: Array) -> Array:
    """``max(log(values), -100)`` (PyTorch's clamp), without evaluating ``log(0)``."""
    positive = values > 0
    return xp.maximum(xp.where(positive, xp.log(xp.where(positive, values, 1)), -100), -100)


def _bce_forward(xp: Any, probs: Array, target: Array) -> Array:
    return -(target * _clamped_log(xp, probs) + (1 - target) * _clamped_log(xp, 1 - probs))


def _bce_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any, ...]:
    probs, target = inputs
    grad_probs = grad_target = None
    if parents[0] is not None:
        grad_probs = g * (probs - target) / F.maximum((1 - probs) * probs, 1e-12)
    if parents[1] is not None:
        data = F.unwrap(probs)
        xp = _backend.namespace_of(data)
        grad_target = g * (_clamped_log(xp, 1 - data) - _clamped_log(xp, data))
    return grad_probs, grad_target


BINARY_CROSS_ENTROPY = Primitive("binary_cross_entropy", _bce_forward, _bce_vjp)


@typed.loss_function
def binary_cross_entropy(probs: Any, target: Any, reduction: str = "mean") -> Any:
    """``-(target * log(probs) + (1 - target) * log(1 - probs))`` with each log clamped at
    -100 (PyTorch's); ``probs`` must lie in [0, 1]."""
    _check_reduction("binary_cross_entropy", reduction)
    target = _target("binary_cross_entropy", probs, target)
    data = _data(probs)
    xp = _backend.namespace_of(data)
    if bool(xp.any((data < 0) | (data > 1))):
        raise ValueError(f"{operation_name('binary_cross_entropy')}: every element of the input "
                         "must lie in [0, 1] (probabilities); for logits use bce_with_logits")
    return _reduce(apply(BINARY_CROSS_ENTROPY, probs, target), reduction)


def _bce_logits_forward(xp: Any, logits: Array, target: Array) -> Array:
    # log(1 + e^x) - x t, with log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow.
    return xp.maximum(logits, 0) - logits * target + xp.log1p(xp.exp(-xp.abs(logits)))


def _bce_logits_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any, ...]:
    logits, target = inputs
    return (g * (F.sigmoid(logits) - target) if parents[0] is not None else None,
            -g * logits if parents[1] is not None else None)


BCE_WITH_LOGITS = Primitive("bce_with_logits", _bce_logits_forward, _bce_logits_vjp)


@typed.loss_function
def bce_with_logits(logits: Any, target: Any, reduction: str = "mean") -> Any:
    """``binary_cross_entropy(sigmoid(logits), target)`` computed stably from the logits."""
    _check_reduction("bce_with_logits", reduction)
    target = _target("bce_with_logits", logits, target)
    return _reduce(apply(BCE_WITH_LOGITS, logits, target), reduction)


# --- regression and divergence ----------------------------------------------------------------

@typed.loss_function
def mse(x: Any, target: Any, reduction: str = "mean") -> Any:
    """The squared error ``(x - target) ** 2``, averaged by default."""
    _check_reduction("mse", reduction)
    difference = x - _target("mse", x, target)
    return _reduce(difference * difference, reduction)


@typed.loss_function
def l1(x: Any, target: Any, reduction: str = "mean") -> Any:
    """The absolute error ``|x - target|``, averaged by default."""
    _check_reduction("l1", reduction)
    return _reduce(elementwise.abs(x - _target("l1", x, target)), reduction)


@typed.loss_function
def huber(x: Any, target: Any, reduction: str = "mean", delta: float = 1.0) -> Any:
    """``0.5 * d ** 2`` where ``|d| < delta``, ``delta * (|d| - 0.5 * delta)`` elsewhere, for
    ``d = x - target``."""
    _check_reduction("huber", reduction)
    if not is_number(delta) or delta <= 0:
        raise ValueError(f"{operation_name('huber')}: delta must be a positive number, got "
                         f"{delta!r}")
    difference = x - _target("huber", x, target)
    size = elementwise.abs(difference)
    losses = elementwise.where(size < delta, 0.5 * difference * difference,
                               delta * (size - 0.5 * delta))
    return _reduce(losses, reduction)


@typed.loss_function
def kl_div(input_log_probs: Any, target: Any, reduction: str = "mean",
           log_target: bool = False) -> Any:
    """The Kullback-Leibler divergence ``target * (log(target) - input_log_probs)`` (0 where
    ``target`` is 0), with PyTorch's argument order: the input holds log-probabilities, the
    target probabilities (log-probabilities with ``log_target=True``). ``reduction`` may
    also be ``"batchmean"``: the sum divided by the batch size, the true divergence."""
    _check_reduction("kl_div", reduction, (*_REDUCTIONS, "batchmean"))
    target = _target("kl_div", input_log_probs, target)
    if log_target:
        losses = elementwise.exp(target) * (target - input_log_probs)
    else:
        positive = target > 0
        log_target_values = elementwise.log(elementwise.where(positive, target, 1))
        losses = (elementwise.where(positive, target * log_target_values, 0)
                  - target * input_log_probs)
    if reduction == "batchmean":
        shape = shape_of(input_log_probs)
        return reduce.sum(losses) * (1.0 / (shape[0] if shape else 1))
    return _reduce(losses, reduction)
