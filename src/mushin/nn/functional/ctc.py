"""``ctc_loss`` (PyTorch's ``torch.nn.functional.ctc_loss``): the connectionist temporal
classification loss of Graves et al. (2006), the negative log-likelihood of a label sequence
summed over every alignment of it to the input's frames.

One primitive, ``CTC``, takes the ``(T, N, C)`` log-probabilities, the targets padded to
``(N, S)`` and both lengths' arrays, and gives the ``(N,)`` losses. Its forward is the alpha
recursion in log space over each sample's extended label sequence ``l'`` (a blank before,
between and after the labels: ``2 S + 1`` positions), one step per frame, vectorised over the
batch and the positions. Its VJP runs the alpha recursion again (the node keeps the inputs, not
the ``(T, N, 2 S + 1)`` table) and the beta recursion backwards; with ``gamma[t, s] =
exp(alpha[t, s] + beta[t, s] - log_probs[t, l'(s)] + nll)``, the posterior of position ``s``
at frame ``t``, the gradient is Graves's equation 16, as PyTorch computes it:
``exp(log_probs) - sum of gamma over the positions of each class``, on the frames before the
sample's input length (0 after). That is the gradient with respect to the logits of a
``log_softmax`` giving ``log_probs``; with respect to ``log_probs`` themselves it differs by
``exp(log_probs)``, which ``log_softmax``'s own backward takes away (PyTorch's issue 52241):
through ``log_softmax`` both give PyTorch's gradients. A backward with ``create_graph=True``
gives this first derivative; there is no second (none in PyTorch either).

The reduction is composed after the primitive: ``"mean"`` divides each loss by its target
length (at least 1) and averages over the batch, as PyTorch does. ``zero_infinity`` gives an
impossible alignment (too few frames for the labels) a loss 0 and a gradient 0, where it
would be ``inf`` with NaN gradients.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar, TypeVarTuple, cast, overload

import numpy as np

from mushin._backend import Array, backend_of
from mushin._check import host_array, is_int, operation_name
from mushin._graph import Primitive
from mushin._tensor import Constant, Tensor, Variable, apply, new_constant, unwrap
from mushin.errors import ShapeError
from mushin.nn.functional.criteria import reduction_mode
from mushin.ops import reduce

if TYPE_CHECKING:
    from mushin._typing import AnyShape, NoAxes, Reduced, Unreduced, Untyped

__all__ = ["CTC", "ctc_loss"]

_NAME = "ctc_loss"

T = TypeVar("T")
N = TypeVar("N")
C = TypeVar("C")
Shape = TypeVarTuple("Shape")


# --- the recursions ------------------------------------------------------------------------

def _logaddexp3(xp: Any, a: Array, b: Array, c: Array) -> Array:
    """``log(exp(a) + exp(b) + exp(c))``, ``-inf`` where all three are."""
    top = xp.maximum(xp.maximum(a, b), c)
    finite = xp.where(xp.isneginf(top), 0, top)
    with np.errstate(divide="ignore", invalid="ignore"):
        return xp.log(xp.exp(a - finite) + xp.exp(b - finite) + xp.exp(c - finite)) + finite


def _shifted(xp: Any, values: Array, by: int) -> Array:
    """``values`` moved ``by`` positions along the last axis (back for ``by < 0``), ``-inf``
    filling in."""
    moved = xp.full_like(values, -np.inf)
    size = values.shape[-1]
    if abs(by) < size:
        if by >= 0:
            moved[..., by:] = values[..., :size - by]
        else:
            moved[..., :size + by] = values[..., -by:]
    return moved


def _extended(xp: Any, targets: Array, target_lengths: Array, blank: int
              ) -> tuple[Array, Array]:
    """The extended label sequences ``(N, 2 S + 1)`` (blank past each sample's end) and where
    a path may skip from position ``s - 2`` to ``s`` (a label unlike the one before it)."""
    batch, longest = targets.shape
    labels = xp.where(xp.arange(longest) < target_lengths[:, None], targets, blank)
    extended = xp.full((batch, 2 * longest + 1), blank, dtype=labels.dtype)
    extended[:, 1::2] = labels
    skip = xp.zeros(extended.shape, dtype=bool)
    skip[:, 3::2] = labels[:, 1:] != labels[:, :-1]
    return extended, skip


def _alpha(xp: Any, emitted: Array, skip: Array) -> Array:
    """The forward variables ``(T, N, 2 S + 1)``: the log-probability of the label prefixes
    ending at each position at each frame."""
    alpha = xp.full_like(emitted, -np.inf)
    alpha[0, :, :2] = emitted[0, :, :2]
    for t in range(1, emitted.shape[0]):
        previous = alpha[t - 1]
        skipped = xp.where(skip, _shifted(xp, previous, 2), -np.inf)
        alpha[t] = _logaddexp3(xp, previous, _shifted(xp, previous, 1), skipped) + emitted[t]
    return alpha


def _last_frame_nll(xp: Any, alpha: Array, input_lengths: Array, target_lengths: Array
                    ) -> Array:
    """Each sample's loss: minus the log-probability of ending on its last label or the
    blank after it at its last frame (0 frames: 0 for an empty target, ``inf`` otherwise)."""
    samples = xp.arange(alpha.shape[1])
    last = alpha[xp.maximum(input_lengths - 1, 0), samples]  # (N, 2 S + 1)
    end = 2 * target_lengths
    on_blank = last[samples, end]
    on_label = xp.where(target_lengths > 0, last[samples, xp.maximum(end - 1, 0)], -np.inf)
    likelihood = xp.logaddexp(on_blank, on_label)
    framed = xp.where(input_lengths > 0, likelihood, xp.where(target_lengths > 0, -np.inf, 0))
    return -framed


def _beta(xp: Any, emitted: Array, skip: Array, input_lengths: Array,
          target_lengths: Array) -> Array:
    """The backward variables ``(T, N, 2 S + 1)``: the log-probability of the label suffixes
    from each position at each frame to the sample's end (``-inf`` past its last frame)."""
    positions = xp.arange(emitted.shape[2])
    end = 2 * target_lengths[:, None]
    finals = (positions == end) | ((positions == end - 1) & (target_lengths[:, None] > 0))
    skip_ahead = xp.zeros_like(skip)
    skip_ahead[:, :-2] = skip[:, 2:]  # from s to s + 2
    beta = xp.full_like(emitted, -np.inf)
    following = beta[0]  # beta at frame t + 1; all -inf after the last frame
    for t in range(emitted.shape[0] - 1, -1, -1):
        ahead = xp.where(skip_ahead, _shifted(xp, following, -2), -np.inf)
        step = _logaddexp3(xp, following, _shifted(xp, following, -1), ahead)
        last_frame = (input_lengths == t + 1)[:, None]
        beta[t] = xp.where(last_frame, xp.where(finals, 0, -np.inf), step) + emitted[t]
        following = beta[t]
    return beta


def _emitted(xp: Any, log_probs: Array, extended: Array) -> Array:
    """``log_probs[t, n, l'_n(s)]``: ``(T, N, 2 S + 1)``."""
    return log_probs[:, xp.arange(log_probs.shape[1])[:, None], extended]


def _ctc_forward(xp: Any, log_probs: Array, targets: Array, input_lengths: Array,
                 target_lengths: Array, blank: int, zero_infinity: bool) -> Array:
    extended, skip = _extended(xp, targets, target_lengths, blank)
    alpha = _alpha(xp, _emitted(xp, log_probs, extended), skip)
    nll = _last_frame_nll(xp, alpha, input_lengths, target_lengths)
    return xp.where(xp.isinf(nll), 0, nll) if zero_infinity else nll


def _ctc_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, blank: int,
             zero_infinity: bool) -> tuple[Any, ...]:
    log_probs, targets, input_lengths, target_lengths = (F.unwrap(item) for item in inputs)
    xp = backend_of(log_probs).xp
    extended, skip = _extended(xp, targets, target_lengths, blank)
    emitted = _emitted(xp, log_probs, extended)
    alpha = _alpha(xp, emitted, skip)
    nll = _last_frame_nll(xp, alpha, input_lengths, target_lengths)
    beta = _beta(xp, emitted, skip, input_lengths, target_lengths)
    with np.errstate(invalid="ignore", over="ignore"):  # NaN for an impossible alignment
        gamma = xp.exp(alpha + beta - emitted + nll[:, None])  # (T, N, 2 S + 1)
    classes = log_probs.shape[2]
    one_hot = (extended[:, :, None] == xp.arange(classes)).astype(log_probs.dtype)
    occupancy = xp.matmul(gamma.transpose(1, 0, 2), one_hot).transpose(1, 0, 2)  # (T, N, C)
    frames = xp.arange(log_probs.shape[0])[:, None] < input_lengths  # (T, N)
    keep = frames & ~xp.isinf(nll) if zero_infinity else frames
    grad = xp.where(keep[:, :, None], xp.exp(log_probs) - occupancy, 0)
    return F.reshape(g, shape=(1, -1, 1)) * grad, None, None, None


CTC = Primitive("ctc_loss", _ctc_forward, _ctc_vjp, saves="inputs")


# --- the arguments -------------------------------------------------------------------------

def _on_host(value: Any) -> np.ndarray[Any, Any]:
    """``value`` (a tensor, array, sequence or number) as a NumPy array (read back from a
    device: the lengths and labels are few, and the checks need them)."""
    data: np.ndarray[Any, Any] = (value.numpy() if isinstance(value, Tensor)
                                  else host_array("ctc_loss", unwrap(value)))
    return data


def _host_ints(what: str, value: Any, count: int | None) -> np.ndarray[Any, Any]:
    """``value`` (a tensor, array, sequence or int) as a 1-d host array of integers."""
    data = _on_host(value)
    if data.dtype.kind not in "iu" and data.size:
        raise TypeError(f"{operation_name(_NAME)}: {what} must be integers, got dtype {data.dtype}")
    data = data.astype(np.int64).reshape(-1)
    if count is not None and data.size != count:
        raise ShapeError(f"{operation_name(_NAME)}: {what} must have one value per sample "
                         f"({count}), got {data.size}")
    return data


def _padded_targets(targets: np.ndarray[Any, Any], target_lengths: np.ndarray[Any, Any]
                    ) -> np.ndarray[Any, Any]:
    """1-d concatenated targets as ``(N, max(target_lengths))``, padded with 0."""
    total = int(target_lengths.sum())
    if targets.size != total:
        raise ShapeError(f"{operation_name(_NAME)}: concatenated targets must hold "
                         f"sum(target_lengths) = {total} labels, got {targets.size}")
    longest = int(target_lengths.max(initial=0))
    padded = np.zeros((target_lengths.size, longest), dtype=np.int64)
    offsets = np.cumsum(target_lengths) - target_lengths
    for row, (start, length) in enumerate(zip(offsets, target_lengths, strict=True)):
        padded[row, :length] = targets[start:start + length]
    return padded


def _checked(log_probs: Tensor[*AnyShape], targets: Any, input_lengths: Any,
             target_lengths: Any, blank: int) -> tuple[np.ndarray[Any, Any], ...]:
    """The padded targets and both lengths, on the host, checked against ``log_probs``
    ``(T, N, C)``."""
    frames, batch, classes = log_probs.shape
    if not is_int(blank) or not 0 <= blank < classes:
        raise ValueError(f"{operation_name(_NAME)}: blank must be a class index in [0, {classes}), "
                         f"got {blank!r}")
    inputs = _host_ints("input_lengths", input_lengths, batch)
    lengths = _host_ints("target_lengths", target_lengths, batch)
    for what, values, most in (("input_lengths", inputs, frames),
                               ("target_lengths", lengths, None)):
        if values.size and (values.min() < 0 or (most is not None and values.max() > most)):
            bound = "" if most is None else f" and at most T = {most}"
            raise ValueError(f"{operation_name(_NAME)}: {what} must be at least 0{bound}, got "
                             f"{values.tolist()}")
    labels: np.ndarray[Any, Any] = _on_host(targets)
    if labels.dtype.kind not in "iu" and labels.size:
        raise TypeError(f"{operation_name(_NAME)}: targets must be integer class indices, got "
                        f"dtype {labels.dtype}")
    labels = labels.astype(np.int64)
    if labels.ndim == 1:
        labels = _padded_targets(labels, lengths)
    elif labels.ndim != 2 or labels.shape[0] != batch:
        raise ShapeError(f"{operation_name(_NAME)}: targets must be padded (N, S) = ({batch}, S) "
                         f"or 1-d concatenated, got shape {labels.shape}")
    elif lengths.size and lengths.max() > labels.shape[1]:
        raise ValueError(f"{operation_name(_NAME)}: target_lengths must be at most S = "
                         f"{labels.shape[1]} (the padded targets' length), got {lengths.tolist()}")
    used = np.greater.outer(lengths, np.arange(int(labels.shape[1])))  # (N, S)
    bad = np.flatnonzero(used & ((labels < 0) | (labels >= classes)))
    if bad.size:
        raise IndexError(f"{operation_name(_NAME)}: target label {int(labels.reshape(-1)[bad[0]])} "
                         f"is out of range for {classes} classes")
    return labels, inputs, lengths


@overload
def ctc_loss(log_probs: Untyped, targets: Any, input_lengths: Any, target_lengths: Any,
             blank: int = ..., reduction: str = ..., zero_infinity: bool = ...) -> Untyped: ...
@overload
def ctc_loss(log_probs: Variable[T, N, C], targets: Any, input_lengths: Any,
             target_lengths: Any, blank: int = ..., reduction: Reduced = ...,
             zero_infinity: bool = ...) -> Variable[*NoAxes]: ...
@overload
def ctc_loss(log_probs: Variable[T, N, C], targets: Any, input_lengths: Any,
             target_lengths: Any, blank: int = ..., *, reduction: Unreduced,
             zero_infinity: bool = ...) -> Variable[N]: ...
@overload
def ctc_loss(log_probs: Variable[*Shape], targets: Any, input_lengths: Any,
             target_lengths: Any, blank: int = ..., reduction: str = ...,
             zero_infinity: bool = ...) -> Variable[*AnyShape]: ...
@overload
def ctc_loss(log_probs: Constant[*Shape], targets: Any, input_lengths: Any,
             target_lengths: Any, blank: int = ..., reduction: str = ...,
             zero_infinity: bool = ...) -> Constant[*AnyShape]: ...
@overload
def ctc_loss(log_probs: Tensor[*Shape], targets: Any, input_lengths: Any,
             target_lengths: Any, blank: int = ..., reduction: str = ...,
             zero_infinity: bool = ...) -> Tensor[*AnyShape]: ...


def ctc_loss(log_probs: Any, targets: Any, input_lengths: Any, target_lengths: Any,
             blank: int = 0, reduction: str = "mean", zero_infinity: bool = False) -> Any:
    """The CTC loss of ``log_probs`` ``(T, N, C)`` (log-softmax outputs over ``C`` classes,
    blank included, for ``T`` frames of ``N`` samples; or ``(T, C)``, one sample) against
    ``targets``: padded ``(N, S)`` class indices, of which each sample's first
    ``target_lengths[n]`` count, or the target sequences concatenated in one 1-d array (one
    sample's labels for a ``(T, C)`` input). ``input_lengths`` and ``target_lengths``
    (tensors or sequences of ints, ``(N,)``) give each sample's frames and labels.
    ``blank`` is the blank's class index;
    ``reduction="mean"`` divides each loss by its target length, then averages,
    ``"sum"`` adds, ``"none"`` gives ``(N,)`` (``()`` for one sample). ``zero_infinity``
    gives an impossible alignment a loss and gradient 0. Labels outside ``[0, C)`` raise an
    ``IndexError`` (PyTorch reads them unchecked)."""
    if not isinstance(log_probs, Tensor):
        raise TypeError(f"{operation_name(_NAME)}: log_probs must be a tensor, got "
                        f"{type(log_probs).__name__}")
    x = cast(Any, log_probs)
    reduction = reduction_mode(_NAME, reduction)
    if x.ndim not in (2, 3):
        raise ShapeError(f"{operation_name(_NAME)}: log_probs must be (T, N, C) or (T, C), got "
                         f"shape {x.shape}")
    if x.dtype.kind != "f":
        raise TypeError(f"{operation_name(_NAME)}: log_probs must have a floating dtype, got "
                        f"{x.dtype}")
    batched = x.ndim == 3
    if not batched:
        x = x.reshape((x.shape[0], 1, x.shape[1]))  # its 1-d targets are read as concatenated
    labels, inputs, lengths = _checked(x, targets, input_lengths, target_lengths, blank)
    device = backend_of(unwrap(x))
    losses = apply(CTC, x, new_constant(device.asarray(labels)),
                   new_constant(device.asarray(inputs)), new_constant(device.asarray(lengths)),
                   blank=int(blank), zero_infinity=bool(zero_infinity))
    if reduction == "sum":
        return reduce.sum(losses)
    if reduction == "mean":
        divisors = device.asarray(np.maximum(lengths, 1), dtype=x.dtype)
        return reduce.mean(losses / new_constant(divisors))
    return losses if batched else losses.reshape(())
