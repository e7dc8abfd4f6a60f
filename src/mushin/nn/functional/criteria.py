"""PyTorch's loss functions under PyTorch's names and arguments (``mse_loss``, ``nll_loss``
with ``weight``, ``cross_entropy`` with ``label_smoothing``, the margin losses...).

Each is composed of mushin operations, so its gradient (to any order) comes from theirs; where
the crate's primitive of ``mushin.nn.functional.loss`` computes the same thing (``nll``,
``cross_entropy``, ``binary_cross_entropy``, ``bce_with_logits`` without weights) it is used,
as it is faster. ``reduction`` is ``"mean"`` (the default), ``"sum"`` or ``"none"``; PyTorch's
deprecated ``size_average`` and ``reduce`` are accepted and mapped onto it, as PyTorch does.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar, TypeVarTuple, cast, overload

from mushin import _backend
from mushin import _typing as typed
from mushin._check import host_array, is_number, operation_name, shape_of
from mushin._creation import full_like
from mushin._tensor import Constant, Tensor, Variable, unwrap
from mushin.errors import ShapeError
from mushin.nn.functional import loss as crate
from mushin.nn.functional.activation import logsoftmax
from mushin.nn.functional.distance import pairwise_distance
from mushin.nn.functional.linear import linear
from mushin.ops import elementwise
from mushin.ops import reduce as reductions
from mushin.ops._index_common import device_array
from mushin.ops.shape import reshape

if TYPE_CHECKING:
    from mushin._typing import (
        AnyShape,
        ClassIndices,
        HostArray,
        NoAxes,
        Reduced,
        Unreduced,
        Untyped,
    )

_REDUCTIONS = ("mean", "sum", "none")

N = TypeVar("N")
C = TypeVar("C")
Rest = TypeVarTuple("Rest")
Shape = TypeVarTuple("Shape")
Weights: TypeAlias = "Tensor[*AnyShape] | None"
"""Per-class weights (``(C,)``), or none."""


def reduction_mode(name: str, reduction: str, size_average: Any = None, reduce_: Any = None) -> str:
    """``reduction``, or PyTorch's legacy pair ``size_average``/``reduce`` mapped onto it."""
    if size_average is not None or reduce_ is not None:
        keep_size = True if size_average is None else bool(size_average)
        if reduce_ is not None and not reduce_:
            return "none"
        return "mean" if keep_size else "sum"
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{operation_name(name)}: reduction must be 'mean', 'sum' or 'none', got "
                         f"{reduction!r}")
    return reduction


def _reduced(losses: Any, reduction: str) -> Any:
    if reduction == "mean":
        return reductions.mean(losses)
    if reduction == "sum":
        return reductions.sum(losses)
    return losses


def _tensor(name: str, value: Any, what: str) -> Any:
    if not isinstance(value, Tensor):
        raise TypeError(f"{operation_name(name)}: {what} must be a tensor, got "
                        f"{type(value).__name__}")
    return cast(Any, value)  # not the Tensor[Unknown] that isinstance on Any gives pyright


def _target_array(name: str, target: Any, data: Any) -> Any:
    """``target`` (a tensor, an array, a nested list) as an array on ``data``'s device."""
    value = unwrap(target)
    if not hasattr(value, "dtype"):
        value = host_array(name, value, "the target")
    return device_array(name, "the target", value, data)


def _like(reference: Any, value: Any) -> Any:
    """``value`` (a tensor stays as it is) as a ``Constant`` in ``reference``'s dtype and on its
    device."""
    if isinstance(value, Tensor):
        return cast(Any, value)
    data = unwrap(reference)
    return Constant(unwrap(value), dtype=data.dtype, device=_backend.backend_of(data).device)


def _pair(name: str, x: Any, target: Any) -> tuple[Any, Any]:
    """``x`` and ``target`` checked to have one shape (a number target is broadcast)."""
    _tensor(name, x, "the input")
    target = _like(x, target)
    if shape_of(x) != shape_of(target):
        raise ShapeError(f"{operation_name(name)}: the input of shape {shape_of(x)} and the target "
                         f"of shape {shape_of(target)} differ")
    return x, target


def _as(name: str, crate_name: str, call: Callable[[], Any]) -> Any:
    """``call()``, a function of ``mushin.nn.functional.loss``, with its errors named after the
    PyTorch function the user called (``nll_loss: ...`` rather than ``nll: ...``)."""
    try:
        return call()
    except (ShapeError, IndexError, ValueError, TypeError) as error:
        message = str(error)
        if not message.startswith(f"{crate_name}:"):
            raise
        raise type(error)(name + message[len(crate_name):]) from None


# --- regression ---------------------------------------------------------------------------------

@typed.loss_function
def mse_loss(input: Any, target: Any, size_average: Any = None, reduce: Any = None,
             reduction: str = "mean", weight: Any = None) -> Any:
    """``(input - target) ** 2``, reduced; ``weight`` multiplies each element's loss."""
    reduction = reduction_mode("mse_loss", reduction, size_average, reduce)
    x, target = _pair("mse_loss", input, target)
    difference = x - target
    losses = difference * difference
    return _reduced(losses if weight is None else losses * _like(x, weight), reduction)


@typed.loss_function
def l1_loss(input: Any, target: Any, size_average: Any = None, reduce: Any = None,
            reduction: str = "mean") -> Any:
    """``|input - target|``, reduced (gradient 0 where they are equal)."""
    reduction = reduction_mode("l1_loss", reduction, size_average, reduce)
    x, target = _pair("l1_loss", input, target)
    return _reduced(elementwise.abs(x - target), reduction)


def _positive(name: str, what: str, value: Any, allow_zero: bool = False) -> float:
    if not is_number(value) or value < 0 or (value == 0 and not allow_zero):
        qualifier = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{operation_name(name)}: {what} must be a {qualifier} number, got "
                         f"{value!r}")
    return float(value)


@typed.loss_function
def smooth_l1_loss(input: Any, target: Any, size_average: Any = None,
                   reduce: Any = None, reduction: str = "mean", beta: float = 1.0) -> Any:
    """``0.5 * d ** 2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 * beta`` (``d = input -
    target``); ``beta=0`` is the L1 loss."""
    reduction = reduction_mode("smooth_l1_loss", reduction, size_average, reduce)
    beta = _positive("smooth_l1_loss", "beta", beta, allow_zero=True)
    x, target = _pair("smooth_l1_loss", input, target)
    difference = x - target
    size = elementwise.abs(difference)
    if beta == 0:
        return _reduced(size, reduction)
    losses = elementwise.where(size < beta, difference * difference * (0.5 / beta),
                               size - 0.5 * beta)
    return _reduced(losses, reduction)


@typed.loss_function
def huber_loss(input: Any, target: Any, reduction: str = "mean",
               delta: float = 1.0, weight: Any = None) -> Any:
    """``0.5 * d ** 2`` where ``|d| < delta``, else ``delta * (|d| - 0.5 * delta)``."""
    reduction = reduction_mode("huber_loss", reduction)
    delta = _positive("huber_loss", "delta", delta)
    x, target = _pair("huber_loss", input, target)
    losses = crate.huber(x, target, reduction="none", delta=delta)
    return _reduced(losses if weight is None else losses * _like(x, weight), reduction)


@typed.loss_function
def poisson_nll_loss(input: Any, target: Any, log_input: bool = True,
                     full: bool = False, size_average: Any = None, eps: float = 1e-8,
                     reduce: Any = None, reduction: str = "mean") -> Any:
    """The negative log-likelihood of a Poisson ``target`` with rate ``exp(input)``
    (``log_input=True``) or ``input``; ``full`` adds Stirling's term where ``target > 1``."""
    reduction = reduction_mode("poisson_nll_loss", reduction, size_average, reduce)
    x, target = _pair("poisson_nll_loss", input, target)
    losses = (elementwise.exp(x) - target * x if log_input
              else x - target * elementwise.log(x + eps))
    if full:  # Stirling's approximation of log(target!), where target > 1
        above = Constant(unwrap(target) > 1)
        safe = elementwise.where(above, target, 1)
        stirling = (safe * elementwise.log(safe) - safe
                    + 0.5 * elementwise.log(safe * (2 * math.pi)))
        losses = losses + elementwise.where(above, stirling, 0)
    return _reduced(losses, reduction)


@typed.ternary_function
def gaussian_nll_loss(input: Any, target: Any, var: Any, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Any:
    """The negative log-likelihood of ``target`` under a Gaussian of mean ``input`` and
    variance ``var`` (of the input's shape, or with its last axis 1 or missing, or one
    number for every entry); ``var`` is clamped at ``eps`` for stability, the gradient passing
    through the clamp as PyTorch's."""
    reduction = reduction_mode("gaussian_nll_loss", reduction)
    x = _tensor("gaussian_nll_loss", input, "the input")
    target = _like(x, target)
    if isinstance(var, int | float) and not isinstance(var, bool):
        var = full_like(x, var)  # PyTorch's float variance, the same for every entry
    var = _like(x, var)
    shape, var_shape = shape_of(x), shape_of(var)
    if var_shape != shape:
        if shape[:-1] == var_shape:
            var = var.reshape((*var_shape, 1))
        elif not (shape[:-1] == var_shape[:-1] and var_shape[-1:] == (1,)):
            raise ValueError(f"{operation_name('gaussian_nll_loss')}: var of shape {var_shape} "
                             f"does not match the input of shape {shape}")
    data = unwrap(var)
    xp = _backend.namespace_of(data)
    if bool(xp.any(data < 0)):
        raise ValueError(f"{operation_name('gaussian_nll_loss')}: var has negative entries")
    clamped = var + Constant(xp.maximum(data, eps) - data)  # the clamp, seen as the identity
    difference = x - target
    losses = 0.5 * (elementwise.log(clamped) + difference * difference / clamped)
    if full:
        losses = losses + 0.5 * math.log(2 * math.pi)
    return _reduced(losses, reduction)


# --- classification -----------------------------------------------------------------------------

def _class_weights(name: str, x: Any, weight: Any) -> Any:
    weight = _like(x, weight)
    shape: tuple[int, ...] = shape_of(x)
    classes = shape[1 if len(shape) > 1 else 0] if shape else 1
    if shape_of(weight) != (classes,):
        raise ShapeError(f"{operation_name(name)}: weight must have one entry per class "
                         f"({classes}), got shape {shape_of(weight)}")
    return weight


def _one_hot(name: str, x: Any, target: Any, ignore_index: int) -> tuple[Any, Any]:
    """A one-hot ``Constant`` of ``x``'s shape (class axis 1, or 0 for an unbatched input)
    from the class indices ``target``, zero where ``target == ignore_index``; and the mask of
    the kept targets."""
    data = unwrap(x)
    xp = _backend.namespace_of(data)
    indices = _target_array(name, target, data)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"{operation_name(name)}: the target must hold integer class indices, got "
                        f"{indices.dtype}")
    shape = shape_of(x)
    axis = 1 if len(shape) > 1 else 0
    classes = shape[axis]
    expected = shape[:axis] + shape[axis + 1:]
    if tuple(indices.shape) != expected:
        raise ShapeError(f"{operation_name(name)}: expected a target of shape {expected} for an "
                         f"input of shape {shape}, got {tuple(indices.shape)}")
    kept = indices != ignore_index
    if bool(xp.any(kept & ((indices < 0) | (indices >= classes)))):
        raise IndexError(f"{operation_name(name)}: a target is outside [0, {classes})")
    safe = xp.where(kept, indices, 0)
    hot = xp.expand_dims(safe, axis) == xp.arange(classes).reshape(
        (classes,) + (1,) * (len(shape) - axis - 1))
    hot = hot & xp.expand_dims(kept, axis)
    return Constant(hot.astype(data.dtype)), Constant(kept)


def _per_class(weight: Any, ndim: int) -> Any:
    """``weight`` shaped to broadcast along the class axis of an ``ndim``-axis input."""
    return weight if ndim <= 1 else weight.reshape((-1,) + (1,) * (ndim - 2))


# Class indices (N, *Rest) for (N, C, *Rest) log-probabilities: 0-d for "mean" and "sum", the
# target's shape for "none", the input's kind; the legacy size_average/reduce or a reduction that
# is not a literal give a run-time shape, and a (C,) input with a 0-d index a 0-d loss. Every form
# keeps the batch of the indices checked.
@overload
def nll_loss(input: Untyped, target: Any, weight: Any = ..., size_average: Any = ...,
             ignore_index: int = ..., reduce: Any = ..., reduction: str = ...) -> Untyped: ...
@overload
def nll_loss(input: Variable[N, C, *Rest], target: ClassIndices[N, *Rest],
             weight: Weights = ..., size_average: None = ..., ignore_index: int = ...,
             reduce: None = ..., reduction: Reduced = ...) -> Variable[*NoAxes]: ...
@overload
def nll_loss(input: Variable[N, C, *Rest], target: ClassIndices[N, *Rest],
             weight: Weights = ..., size_average: None = ..., ignore_index: int = ...,
             reduce: None = ..., *, reduction: Unreduced) -> Variable[N, *Rest]: ...
@overload
def nll_loss(input: Variable[N, C, *Rest], target: ClassIndices[N, *Rest],
             weight: Weights = ..., size_average: Any = ..., ignore_index: int = ...,
             reduce: Any = ..., reduction: str = ...) -> Variable[*AnyShape]: ...
@overload
def nll_loss(input: Variable[C], target: Constant[*NoAxes] | HostArray, weight: Weights = ...,
             size_average: Any = ..., ignore_index: int = ..., reduce: Any = ...,
             reduction: str = ...) -> Variable[*NoAxes]: ...
@overload
def nll_loss(input: Constant[N, C, *Rest], target: ClassIndices[N, *Rest],
             weight: Weights = ..., size_average: None = ..., ignore_index: int = ...,
             reduce: None = ..., reduction: Reduced = ...) -> Constant[*NoAxes]: ...
@overload
def nll_loss(input: Constant[N, C, *Rest], target: ClassIndices[N, *Rest],
             weight: Weights = ..., size_average: None = ..., ignore_index: int = ...,
             reduce: None = ..., *, reduction: Unreduced) -> Constant[N, *Rest]: ...
@overload
def nll_loss(input: Constant[N, C, *Rest], target: ClassIndices[N, *Rest],
             weight: Weights = ..., size_average: Any = ..., ignore_index: int = ...,
             reduce: Any = ..., reduction: str = ...) -> Constant[*AnyShape]: ...
@overload
def nll_loss(input: Constant[C], target: Constant[*NoAxes] | HostArray, weight: Weights = ...,
             size_average: Any = ..., ignore_index: int = ..., reduce: Any = ...,
             reduction: str = ...) -> Constant[*NoAxes]: ...
@overload
def nll_loss(input: Tensor[N, C, *Rest], target: ClassIndices[N, *Rest],
             weight: Weights = ..., size_average: None = ..., ignore_index: int = ...,
             reduce: None = ..., reduction: Reduced = ...) -> Tensor[*NoAxes]: ...
@overload
def nll_loss(input: Tensor[N, C, *Rest], target: ClassIndices[N, *Rest],
             weight: Weights = ..., size_average: None = ..., ignore_index: int = ...,
             reduce: None = ..., *, reduction: Unreduced) -> Tensor[N, *Rest]: ...
@overload
def nll_loss(input: Tensor[N, C, *Rest], target: ClassIndices[N, *Rest],
             weight: Weights = ..., size_average: Any = ..., ignore_index: int = ...,
             reduce: Any = ..., reduction: str = ...) -> Tensor[*AnyShape]: ...
@overload
def nll_loss(input: Tensor[C], target: Constant[*NoAxes] | HostArray, weight: Weights = ...,
             size_average: Any = ..., ignore_index: int = ..., reduce: Any = ...,
             reduction: str = ...) -> Tensor[*NoAxes]: ...


def nll_loss(input: Any, target: Any, weight: Any = None, size_average: Any = None,
             ignore_index: int = -100, reduce: Any = None, reduction: str = "mean") -> Any:
    """The negative log-likelihood of class indices given log-probabilities ``(N, C, *)``
    (or ``(C,)``); ``weight`` rescales each class, and ``"mean"`` divides by the total weight
    of the kept targets, as PyTorch does."""
    reduction = reduction_mode("nll_loss", reduction, size_average, reduce)
    x = _tensor("nll_loss", input, "the input")
    if weight is None and len(shape_of(x)) > 1:
        return _as("nll_loss", "nll", lambda: crate.nll(x, target, reduction=reduction,
                                                        ignore_index=ignore_index))
    hot, _ = _one_hot("nll_loss", x, target, ignore_index)
    ndim = len(shape_of(x))
    axis = 1 if ndim > 1 else 0
    weights = hot if weight is None else hot * _per_class(
        _class_weights("nll_loss", x, weight), ndim)
    losses = -reductions.sum(x * weights, axis)
    if reduction == "none":
        return losses
    total = reductions.sum(losses)
    if reduction == "sum":
        return total
    return total / reductions.sum(reductions.sum(weights, axis))


# Class indices (N, *Rest) for (N, C, *Rest) logits, or class probabilities of the logits'
# shape: 0-d for "mean" and "sum", the target's shape for "none", the input's kind; other forms
# (the legacy size_average/reduce, a reduction that is not a literal, a (C,) input with a 0-d
# index, an input typed Tensor, of either kind) have a run-time shape.
@overload
def cross_entropy(input: Untyped, target: Any, weight: Any = ..., size_average: Any = ...,
                  ignore_index: int = ..., reduce: Any = ..., reduction: str = ...,
                  label_smoothing: float = ...) -> Untyped: ...
@overload
def cross_entropy(input: Variable[N, C, *Rest], target: ClassIndices[N, *Rest],
                  weight: Weights = ..., size_average: None = ..., ignore_index: int = ...,
                  reduce: None = ..., reduction: Reduced = ...,
                  label_smoothing: float = ...) -> Variable[*NoAxes]: ...
@overload
def cross_entropy(input: Variable[N, C, *Rest], target: ClassIndices[N, *Rest],
                  weight: Weights = ..., size_average: None = ..., ignore_index: int = ...,
                  reduce: None = ..., *, reduction: Unreduced,
                  label_smoothing: float = ...) -> Variable[N, *Rest]: ...
@overload
def cross_entropy(input: Variable[*Shape], target: Tensor[*Shape] | HostArray,
                  weight: Weights = ..., size_average: None = ..., ignore_index: int = ...,
                  reduce: None = ..., reduction: Reduced = ...,
                  label_smoothing: float = ...) -> Variable[*NoAxes]: ...
@overload
def cross_entropy(input: Variable[*Shape], target: Tensor[*Shape] | HostArray,
                  weight: Weights = ..., size_average: None = ..., ignore_index: int = ...,
                  reduce: None = ..., *, reduction: Unreduced,
                  label_smoothing: float = ...) -> Variable[*Shape]: ...
@overload
def cross_entropy(input: Constant[N, C, *Rest], target: ClassIndices[N, *Rest],
                  weight: Weights = ..., size_average: None = ..., ignore_index: int = ...,
                  reduce: None = ..., reduction: Reduced = ...,
                  label_smoothing: float = ...) -> Constant[*NoAxes]: ...
@overload
def cross_entropy(input: Constant[N, C, *Rest], target: ClassIndices[N, *Rest],
                  weight: Weights = ..., size_average: None = ..., ignore_index: int = ...,
                  reduce: None = ..., *, reduction: Unreduced,
                  label_smoothing: float = ...) -> Constant[N, *Rest]: ...
@overload
def cross_entropy(input: Constant[*Shape], target: Tensor[*Shape] | HostArray,
                  weight: Weights = ..., size_average: None = ..., ignore_index: int = ...,
                  reduce: None = ..., reduction: Reduced = ...,
                  label_smoothing: float = ...) -> Constant[*NoAxes]: ...
@overload
def cross_entropy(input: Constant[*Shape], target: Tensor[*Shape] | HostArray,
                  weight: Weights = ..., size_average: None = ..., ignore_index: int = ...,
                  reduce: None = ..., *, reduction: Unreduced,
                  label_smoothing: float = ...) -> Constant[*Shape]: ...
@overload
def cross_entropy(input: Variable[*Shape], target: Tensor[*AnyShape] | HostArray,
                  weight: Weights = ..., size_average: Any = ..., ignore_index: int = ...,
                  reduce: Any = ..., reduction: str = ...,
                  label_smoothing: float = ...) -> Variable[*AnyShape]: ...
@overload
def cross_entropy(input: Constant[*Shape], target: Tensor[*AnyShape] | HostArray,
                  weight: Weights = ..., size_average: Any = ..., ignore_index: int = ...,
                  reduce: Any = ..., reduction: str = ...,
                  label_smoothing: float = ...) -> Constant[*AnyShape]: ...
@overload
def cross_entropy(input: Tensor[*Shape], target: Tensor[*AnyShape] | HostArray,
                  weight: Weights = ..., size_average: Any = ..., ignore_index: int = ...,
                  reduce: Any = ..., reduction: str = ...,
                  label_smoothing: float = ...) -> Tensor[*AnyShape]: ...


def cross_entropy(input: Any, target: Any, weight: Any = None,
                  size_average: Any = None, ignore_index: int = -100, reduce: Any = None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Any:
    """Cross-entropy of logits ``(N, C, *)`` (or ``(C,)``) against class indices or class
    probabilities (a floating target of the input's shape), with PyTorch's ``weight``,
    ``ignore_index`` and ``label_smoothing``."""
    reduction = reduction_mode("cross_entropy", reduction, size_average, reduce)
    x = _tensor("cross_entropy", input, "the input")
    smoothing = float(label_smoothing) if is_number(label_smoothing) else -1.0
    if not 0.0 <= smoothing <= 1.0:
        raise ValueError(f"{operation_name('cross_entropy')}: label_smoothing must lie in [0, 1], "
                         f"got {label_smoothing!r}")
    shape = shape_of(x)
    if not shape:
        raise ShapeError(f"{operation_name('cross_entropy')}: expected an input with a class axis, "
                         "got a 0-d tensor")
    if weight is None and smoothing == 0 and len(shape) > 1:
        return _as("cross_entropy", "cross_entropy", lambda: crate.cross_entropy(
            x, target, reduction=reduction, ignore_index=ignore_index))
    axis = 1 if len(shape) > 1 else 0
    classes = shape[axis]
    log_probs = logsoftmax(x, axis)
    weights = None if weight is None else _per_class(
        _class_weights("cross_entropy", x, weight), len(shape))
    floating_target = getattr(unwrap(target), "dtype", None) is not None and \
        unwrap(target).dtype.kind == "f"
    if floating_target:  # class probabilities
        probabilities = _like(x, target)
        if shape_of(probabilities) != shape:
            raise ShapeError(f"{operation_name('cross_entropy')}: a probability target must have "
                             f"the input's shape {shape}, got {shape_of(probabilities)}")
        if smoothing:
            probabilities = probabilities * (1 - smoothing) + smoothing / classes
        terms = log_probs * probabilities
        losses = -reductions.sum(terms if weights is None else terms * weights, axis)
        if reduction == "mean":
            count = math.prod(shape) // classes
            return reductions.sum(losses) / count
        return _reduced(losses, reduction)
    hot, kept = _one_hot("cross_entropy", x, target, ignore_index)
    picked = hot if weights is None else hot * weights
    nll = -reductions.sum(log_probs * picked, axis)
    spread = None
    if smoothing:  # the uniform part of the smoothed target, on the kept samples
        spread = elementwise.where(kept, -reductions.sum(
            log_probs if weights is None else log_probs * weights, axis), 0)

    def mixed(nll_part: Any, spread_part: Any) -> Any:
        if spread_part is None:
            return nll_part
        return nll_part * (1 - smoothing) + spread_part * (smoothing / classes)

    if reduction == "none":
        return mixed(nll, spread)
    if reduction == "sum":
        return mixed(reductions.sum(nll), None if spread is None else reductions.sum(spread))
    denominator = reductions.sum(reductions.sum(picked, axis))
    return mixed(reductions.sum(nll) / denominator,
                 None if spread is None else reductions.sum(spread) / denominator)


@typed.loss_function
def binary_cross_entropy(input: Any, target: Any, weight: Any = None,
                         size_average: Any = None, reduce: Any = None,
                         reduction: str = "mean") -> Any:
    """``-(target * log(input) + (1 - target) * log(1 - input))`` for probabilities
    ``input``, each log clamped at -100; ``weight`` multiplies each element's loss."""
    reduction = reduction_mode("binary_cross_entropy", reduction, size_average, reduce)
    x, target = _pair("binary_cross_entropy", input, target)
    losses = _as("binary_cross_entropy", "binary_cross_entropy",
                 lambda: crate.binary_cross_entropy(x, target, reduction="none"))
    return _reduced(losses if weight is None else losses * _like(x, weight), reduction)


@typed.loss_function
def binary_cross_entropy_with_logits(input: Any, target: Any, weight: Any = None,
                                     size_average: Any = None, reduce: Any = None,
                                     reduction: str = "mean", pos_weight: Any = None) -> Any:
    """``binary_cross_entropy(sigmoid(input), target)`` computed stably from the logits;
    ``pos_weight`` weighs the positive term (broadcast along the last axis)."""
    reduction = reduction_mode("binary_cross_entropy_with_logits", reduction, size_average, reduce)
    x, target = _pair("binary_cross_entropy_with_logits", input, target)
    if pos_weight is None:
        losses = crate.bce_with_logits(x, target, reduction="none")
    else:
        # (1 - t) x + (1 + (p - 1) t) softplus(-x), softplus(-x) = -log(sigmoid(x)).
        log_weight = (_like(x, pos_weight) - 1) * target + 1
        losses = (1 - target) * x - log_weight * _log_sigmoid(x)
    return _reduced(losses if weight is None else losses * _like(x, weight), reduction)


def _log_sigmoid(x: Any) -> Any:
    """``log(sigmoid(x)) = min(x, 0) - log(1 + exp(-|x|))``, without overflow."""
    return elementwise.minimum(x, 0) - elementwise.log(1 + elementwise.exp(-elementwise.abs(x)))


@typed.loss_function
def kl_div(input: Any, target: Any, size_average: Any = None, reduce: Any = None,
           reduction: str = "mean", log_target: bool = False) -> Any:
    """The Kullback-Leibler divergence of the log-probabilities ``input`` from ``target``
    (see ``mu.nn.functional.loss.kl_div``); ``reduction="batchmean"`` divides by the batch."""
    if size_average is not None or reduce is not None:
        reduction = reduction_mode("kl_div", reduction, size_average, reduce)
    return crate.kl_div(input, target, reduction=reduction, log_target=log_target)


# --- margins -----------------------------------------------------------------------------------

def _clamp_min_zero(x: Any) -> Any:
    """``max(x, 0)`` with PyTorch's ``clamp_min`` gradient (1 at 0)."""
    return elementwise.clip(x, 0, None)


@typed.loss_function
def soft_margin_loss(input: Any, target: Any, size_average: Any = None,
                     reduce: Any = None, reduction: str = "mean") -> Any:
    """``log(1 + exp(-target * input))`` for targets of ±1."""
    reduction = reduction_mode("soft_margin_loss", reduction, size_average, reduce)
    x, target = _pair("soft_margin_loss", input, target)
    return _reduced(-_log_sigmoid(target * x), reduction)


@typed.ternary_function
def margin_ranking_loss(input1: Any, input2: Any, target: Any, margin: float = 0.0,
                        size_average: Any = None, reduce: Any = None,
                        reduction: str = "mean") -> Any:
    """``max(0, -target * (input1 - input2) + margin)``: ``target`` (±1) says which input
    should rank higher."""
    reduction = reduction_mode("margin_ranking_loss", reduction, size_average, reduce)
    _tensor("margin_ranking_loss", input1, "input1")
    return _reduced(_clamp_min_zero(-_like(input1, target) * (input1 - input2) + margin),
                    reduction)


@typed.loss_function
def hinge_embedding_loss(input: Any, target: Any, margin: float = 1.0,
                         size_average: Any = None, reduce: Any = None,
                         reduction: str = "mean") -> Any:
    """``input`` where ``target`` is 1, ``max(0, margin - input)`` where it is -1."""
    reduction = reduction_mode("hinge_embedding_loss", reduction, size_average, reduce)
    x, target = _pair("hinge_embedding_loss", input, target)
    losses = (elementwise.where(target != 1, _clamp_min_zero(margin - x), 0)
              + elementwise.where(target != -1, x, 0))
    return _reduced(losses, reduction)


@typed.ternary_function
def cosine_embedding_loss(input1: Any, input2: Any, target: Any, margin: float = 0.0,
                          size_average: Any = None, reduce: Any = None,
                          reduction: str = "mean") -> Any:
    """``1 - cos(input1, input2)`` where ``target`` is 1, ``max(0, cos - margin)`` where it is
    -1; the cosine along the last axis of ``(N, D)`` (or ``(D,)``) inputs."""
    reduction = reduction_mode("cosine_embedding_loss", reduction, size_average, reduce)
    _tensor("cosine_embedding_loss", input1, "input1")
    shape = shape_of(input1)
    if shape != shape_of(input2) or len(shape) not in (1, 2):
        raise ShapeError(f"{operation_name('cosine_embedding_loss')}: expected two inputs of one "
                         f"shape (N, D) or (D,), got {shape} and {shape_of(input2)}")
    axis = len(shape) - 1
    epsilon = 1e-12
    product = reductions.sum(input1 * input2, axis)
    norms = elementwise.sqrt((reductions.sum(input1 * input1, axis) + epsilon)
                             * (reductions.sum(input2 * input2, axis) + epsilon))
    cosine = product / norms
    target = _like(cosine, target)
    losses = (elementwise.where(target == 1, 1 - cosine, 0)
              + elementwise.where(target == -1, _clamp_min_zero(cosine - margin), 0))
    return _reduced(losses, reduction)


@typed.loss_function
def multi_margin_loss(input: Any, target: Any, p: int = 1, margin: float = 1.0,
                      weight: Any = None, size_average: Any = None, reduce: Any = None,
                      reduction: str = "mean") -> Any:
    """The multi-class hinge loss: ``sum_j max(0, margin - x[y] + x[j]) ** p / C`` over the
    classes ``j != y``, ``weight[y]`` scaling each sample's terms; ``p`` is 1 or 2."""
    reduction = reduction_mode("multi_margin_loss", reduction, size_average, reduce)
    if p not in (1, 2):
        raise ValueError(f"{operation_name('multi_margin_loss')}: p must be 1 or 2, got {p!r}")
    x = _tensor("multi_margin_loss", input, "the input")
    if shape_of(x) == ():  # one class: PyTorch takes a 0-d input as (1,)
        x = x.reshape((1,))
    shape = shape_of(x)
    if len(shape) not in (1, 2):
        raise ShapeError(f"{operation_name('multi_margin_loss')}: expected an input of shape (N, "
                         f"C) or (C,), got {shape}")
    if len(shape) == 1 and shape_of(target) == (1,):  # PyTorch takes a (1,) target too
        target = unwrap(target).reshape(())
    hot, _ = _one_hot("multi_margin_loss", x, target, ignore_index=-(2**62))
    axis = len(shape) - 1
    chosen = reductions.sum(x * hot, axis, keepdims=True)
    terms = _clamp_min_zero(margin - chosen + x)
    if p == 2:
        terms = terms * terms
    terms = terms * (1 - hot)
    if weight is not None:
        terms = terms * reductions.sum(hot * _class_weights("multi_margin_loss", x, weight), axis,
                                   keepdims=True)
    return _reduced(reductions.sum(terms, axis) / shape[axis], reduction)


@typed.loss_function
def multilabel_margin_loss(input: Any, target: Any, size_average: Any = None,
                           reduce: Any = None, reduction: str = "mean") -> Any:
    """The multi-label hinge loss: ``target`` lists each sample's classes, ended by the first
    -1; every (target class, other class) pair adds ``max(0, 1 - (x[j] - x[k])) / C``."""
    reduction = reduction_mode("multilabel_margin_loss", reduction, size_average, reduce)
    x = _tensor("multilabel_margin_loss", input, "the input")
    data = unwrap(x)
    xp = _backend.namespace_of(data)
    labels = _target_array("multilabel_margin_loss", target, data)
    if shape_of(x) == () and labels.shape == ():  # one class: PyTorch takes them as (1,)
        x, labels = x.reshape((1,)), labels.reshape((1,))
    shape = shape_of(x)
    if len(shape) not in (1, 2) or tuple(labels.shape) != shape:
        raise ShapeError(f"{operation_name('multilabel_margin_loss')}: expected an input (N, C) or "
                         f"(C,) and a target of its shape, got {shape} and {tuple(labels.shape)}")
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{operation_name('multilabel_margin_loss')}: the target must hold integer "
                        f"class indices, got {labels.dtype}")
    rows = labels.reshape((-1, shape[-1]))
    classes = shape[-1]
    ended = xp.cumsum(rows < 0, axis=1) > 0
    if bool(xp.any(~ended & (rows >= classes))):
        raise IndexError(f"{operation_name('multilabel_margin_loss')}: a target is outside [0, "
                         f"{classes})")
    counts = xp.zeros(rows.shape, dtype=data.dtype)
    for column in range(classes):  # occurrences of each class among the listed targets
        counts += (~ended & (rows == column)).sum(axis=1, keepdims=True) * (
            xp.arange(classes) == column)
    others = (counts == 0).astype(data.dtype)
    matrix = x.reshape((-1, classes))
    margins = _clamp_min_zero(1 - (matrix.reshape((-1, classes, 1))
                                   - matrix.reshape((-1, 1, classes))))
    weights = Constant(counts.reshape((-1, classes, 1)) * others.reshape((-1, 1, classes)))
    losses = reductions.sum(margins * weights, (1, 2)) / classes
    if len(shape) == 1:
        losses = losses.reshape(())
    return _reduced(losses, reduction)


@typed.loss_function
def multilabel_soft_margin_loss(input: Any, target: Any, weight: Any = None,
                                size_average: Any = None, reduce: Any = None,
                                reduction: str = "mean") -> Any:
    """The mean over classes of the binary cross-entropy of ``sigmoid(input)`` against the
    0/1 ``target``; ``weight`` scales each class."""
    reduction = reduction_mode("multilabel_soft_margin_loss", reduction, size_average, reduce)
    x, target = _pair("multilabel_soft_margin_loss", input, target)
    losses = -(target * _log_sigmoid(x) + (1 - target) * _log_sigmoid(-x))
    if weight is not None:
        losses = losses * _like(x, weight)
    axis = len(shape_of(x)) - 1
    return _reduced(reductions.sum(losses, axis) / shape_of(x)[axis], reduction)


def _distance(x: Any, y: Any, p: float, eps: float) -> Any:
    """``||x - y + eps||_p`` along the last axis (PyTorch's ``pairwise_distance``)."""
    difference = x - y + eps
    axis = max(len(shape_of(difference)) - 1, 0)
    if p == 2:
        return elementwise.sqrt(reductions.sum(difference * difference, axis))
    if p == 1:
        return reductions.sum(elementwise.abs(difference), axis)
    return reductions.sum(elementwise.abs(difference) ** p, axis) ** (1.0 / p)


@typed.ternary_function
def triplet_margin_loss(anchor: Any, positive: Any, negative: Any, margin: float = 1.0,
                        p: float = 2, eps: float = 1e-6, swap: bool = False,
                        size_average: Any = None, reduce: Any = None,
                        reduction: str = "mean") -> Any:
    """``max(0, d(anchor, positive) - d(anchor, negative) + margin)`` with the p-norm
    distance; ``swap`` uses the smaller of ``d(anchor, negative)`` and ``d(positive,
    negative)``."""
    reduction = reduction_mode("triplet_margin_loss", reduction, size_average, reduce)
    _tensor("triplet_margin_loss", anchor, "the anchor")
    shapes = {shape_of(anchor), shape_of(positive), shape_of(negative)}
    if len(shapes) != 1 or len(shape_of(anchor)) not in (1, 2):
        raise ShapeError(f"{operation_name('triplet_margin_loss')}: expected three inputs of one "
                         f"shape (N, D) or (D,), got {sorted(shapes)}")
    if not is_number(p) or p <= 0:
        raise ValueError(f"{operation_name('triplet_margin_loss')}: p must be a positive number, "
                         f"got {p!r}")
    to_positive = _distance(anchor, positive, p, eps)
    to_negative = _distance(anchor, negative, p, eps)
    if swap:
        to_negative = elementwise.minimum(to_negative, _distance(positive, negative, p, eps))
    return _reduced(_clamp_min_zero(margin + to_positive - to_negative), reduction)


def triplet_margin_with_distance_loss(anchor: Any, positive: Any, negative: Any, *,
                                      distance_function: Callable[[Any, Any], Any] | None = None,
                                      margin: float = 1.0, swap: bool = False,
                                      reduction: str = "mean") -> Any:
    """``max(0, d(anchor, positive) - d(anchor, negative) + margin)`` for any distance ``d``
    (``pairwise_distance`` by default); ``swap`` as in ``triplet_margin_loss``."""
    name = "triplet_margin_with_distance_loss"
    reduction = reduction_mode(name, reduction)
    for what, value in (("the anchor", anchor), ("the positive", positive),
                        ("the negative", negative)):
        _tensor(name, value, what)
    if not is_number(margin) or margin <= 0:
        raise ValueError(f"{operation_name(name)}: margin must be greater than 0, got {margin!r}")
    if distance_function is not None and not callable(distance_function):
        raise TypeError(f"{operation_name(name)}: distance_function must be callable, got "
                        f"{type(distance_function).__name__}")
    distance = pairwise_distance if distance_function is None else distance_function
    to_positive = distance(anchor, positive)
    to_negative = distance(anchor, negative)
    if swap:
        to_negative = elementwise.minimum(to_negative, distance(positive, negative))
    return _reduced(_clamp_min_zero(margin + to_positive - to_negative), reduction)


@dataclasses.dataclass(frozen=True, slots=True)
class LinearCrossEntropyOptions:
    """PyTorch's ``nn.LinearCrossEntropyOptions``: how ``linear_cross_entropy`` splits the batch
    into chunks so the full logits are never held. mushin accepts them and computes the
    reference (the logits, then ``cross_entropy``): the values and gradients are the same."""

    allow_retain_graph: bool = False
    batch_chunk_size: int | None = None
    chunking_method: str | None = "auto"
    acc_policy: str | None = "auto"
    acc_dtype: Any = None


def linear_cross_entropy(input: Any, linear_weight: Any, target: Any, *, linear_bias: Any = None,
                         weight: Any = None, reduction: str = "mean",
                         ignore_index: int | None = None, label_smoothing: float = 0.0,
                         options: LinearCrossEntropyOptions | None = None) -> Any:
    """PyTorch's ``F.linear_cross_entropy``: ``cross_entropy(linear(input, linear_weight,
    linear_bias), target, ...)``.

    ``input`` is ``(N, in_features)`` or ``(in_features,)``; ``linear_weight`` ``(C,
    in_features)``, or ``(C, d1, ..., dK, in_features)`` for a K-dimensional loss whose logits
    are ``(N, C, d1, ..., dK)`` (``linear_bias`` then ``(C, d1, ..., dK)``). A target of the
    logits' shape holds class probabilities (and takes no ``ignore_index``), any other class
    indices; ``ignore_index`` None is -100. ``options`` (PyTorch's chunking, a
    ``LinearCrossEntropyOptions``) are accepted and not used: the logits are computed whole.
    """
    name = "linear_cross_entropy"
    dims = shape_of(_tensor(name, input, "the input"))
    weight_dims = shape_of(_tensor(name, linear_weight, "linear_weight"))
    if input.device != linear_weight.device:
        raise RuntimeError(f"{operation_name(name)}: the input and linear_weight are on "
                           "different devices "
                           f"({input.device}, {linear_weight.device}); move them with .to()")
    if len(dims) not in (1, 2):
        raise ShapeError(f"{operation_name(name)}: expected an input of shape (N, in_features) or "
                         f"(in_features,), got shape {dims}")
    if len(weight_dims) < 2 or weight_dims[-1] != dims[-1]:
        raise ShapeError(f"{operation_name(name)}: expected linear_weight of shape (C, "
                         f"*out_features, in_features={dims[-1]}), got shape {weight_dims}")
    classes, out_features = weight_dims[0], weight_dims[1:-1]
    if linear_bias is not None and shape_of(linear_bias) != (classes, *out_features):
        raise ShapeError(f"{operation_name(name)}: expected linear_bias of shape "
                         f"{(classes, *out_features)}, got shape {shape_of(linear_bias)}")
    if out_features and len(dims) == 1:
        raise ShapeError(f"{operation_name(name)}: the K-dimensional loss of linear_weight of "
                         f"shape {weight_dims} needs a batched input (N, {dims[-1]}), got shape "
                         f"{dims}")
    logits_shape = (*dims[:-1], classes, *out_features)
    if ignore_index is not None and shape_of(target) == logits_shape:
        raise ValueError(f"{operation_name(name)}: ignore_index cannot be given with a target of "
                         f"class probabilities (the logits' shape {logits_shape})")
    if out_features:  # one product for every (class, position), as PyTorch
        rows = math.prod(weight_dims[:-1])
        linear_weight = reshape(linear_weight, (rows, dims[-1]))
        linear_bias = None if linear_bias is None else reshape(linear_bias, (rows,))
    logits = linear(input, linear_weight, linear_bias)
    if out_features:
        logits = reshape(logits, logits_shape)
    return cross_entropy(logits, target, weight,
                         ignore_index=-100 if ignore_index is None else ignore_index,
                         reduction=reduction, label_smoothing=label_smoothing)
