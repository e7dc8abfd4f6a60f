"""The loss modules (PyTorch's ``nn.MSELoss``, ``nn.CrossEntropyLoss``...): each holds its
options (``reduction``, ``weight``, ``ignore_index``...) and calls its function of
``mu.nn.functional`` (``mushin.nn.functional.criteria``), where the loss and its gradient are
defined.

As in PyTorch, a class ``weight`` (and ``BCEWithLogitsLoss``'s ``pos_weight``) is a buffer: it
is saved in ``state_dict`` and moves with ``.to(device)``; the deprecated ``size_average`` and
``reduce`` arguments are mapped onto ``reduction`` when the module is built.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mushin._check import is_int, number
from mushin._tensor import Tensor
from mushin.nn.functional import criteria
from mushin.nn.functional.criteria import reduction_mode
from mushin.nn.functional.ctc import ctc_loss
from mushin.nn.module import Module

# The criteria are typed for their callers' tensors; a module's forward passes them through
# untyped (``Any``), and pyright finds no overload of a typed criterion for ``Any`` inputs.
_criteria: Any = criteria

__all__ = ["BCELoss", "BCEWithLogitsLoss", "CTCLoss", "CosineEmbeddingLoss",
           "CrossEntropyLoss", "GaussianNLLLoss", "HingeEmbeddingLoss", "HuberLoss", "KLDivLoss",
           "L1Loss", "MSELoss", "MarginRankingLoss", "MultiLabelMarginLoss",
           "MultiLabelSoftMarginLoss", "MultiMarginLoss", "NLLLoss", "PoissonNLLLoss",
           "SmoothL1Loss", "SoftMarginLoss", "TripletMarginLoss", "TripletMarginWithDistanceLoss"]


class _Loss(Module):
    """The options every loss has: ``reduction`` (``'mean'``, ``'sum'`` or ``'none'``), or
    PyTorch's legacy ``size_average``/``reduce`` pair, mapped onto it here."""

    def __init__(self, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = reduction_mode(type(self).__name__, reduction, size_average, reduce)


class _WeightedLoss(_Loss):
    """A loss with an optional per-class (or per-element) ``weight``, kept as a buffer."""

    weight: Any

    def __init__(self, weight: Any = None, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self._optional_buffer("weight", weight)

    def _optional_buffer(self, name: str, value: Any) -> None:
        """Register ``value`` as the buffer ``name``, or set the attribute to None."""
        if value is None:
            object.__setattr__(self, name, None)
            return
        if not isinstance(value, Tensor):
            raise TypeError(f"{type(self).__name__}: {name} must be a tensor or None, got "
                            f"{type(value).__name__}")
        self.register_buffer(name, value)


class L1Loss(_Loss):
    """The mean (or sum) absolute difference: ``F.l1_loss``."""

    def forward(self, input: Any, target: Any) -> Any:
        return criteria.l1_loss(input, target, reduction=self.reduction)


class MSELoss(_Loss):
    """The mean (or sum) squared difference: ``F.mse_loss``."""

    def forward(self, input: Any, target: Any) -> Any:
        return criteria.mse_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """Squared below ``beta``, absolute above: ``F.smooth_l1_loss``."""

    def __init__(self, size_average: Any = None, reduce: Any = None, reduction: str = "mean",
                 beta: float = 1.0) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = number("SmoothL1Loss", "beta", beta)

    def forward(self, input: Any, target: Any) -> Any:
        return criteria.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """Squared below ``delta``, linear above: ``F.huber_loss``."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.delta = number("HuberLoss", "delta", delta)

    def forward(self, input: Any, target: Any) -> Any:
        return criteria.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class SoftMarginLoss(_Loss):
    """``log(1 + exp(-target * input))``: ``F.soft_margin_loss``."""

    def forward(self, input: Any, target: Any) -> Any:
        return criteria.soft_margin_loss(input, target, reduction=self.reduction)


class KLDivLoss(_Loss):
    """The Kullback-Leibler divergence of log-probabilities ``input`` from ``target``:
    ``F.kl_div`` (``log_target`` says the target is log-probabilities too)."""

    def __init__(self, size_average: Any = None, reduce: Any = None, reduction: str = "mean",
                 log_target: bool = False) -> None:
        # "batchmean" (the sum divided by the batch size) is kl_div's own fourth reduction.
        super().__init__(size_average, reduce, "mean" if reduction == "batchmean" else reduction)
        if reduction == "batchmean" and size_average is None and reduce is None:
            self.reduction = reduction
        self.log_target = bool(log_target)

    def forward(self, input: Any, target: Any) -> Any:
        return criteria.kl_div(input, target, reduction=self.reduction,
                               log_target=self.log_target)


class PoissonNLLLoss(_Loss):
    """The Poisson negative log-likelihood: ``F.poisson_nll_loss``."""

    def __init__(self, log_input: bool = True, full: bool = False, size_average: Any = None,
                 eps: float = 1e-8, reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_input = bool(log_input)
        self.full = bool(full)
        self.eps = number("PoissonNLLLoss", "eps", eps)

    def forward(self, log_input: Any, target: Any) -> Any:
        return criteria.poisson_nll_loss(log_input, target, log_input=self.log_input,
                                         full=self.full, eps=self.eps, reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    """The Gaussian negative log-likelihood with predicted variance: ``F.gaussian_nll_loss``."""

    def __init__(self, *, full: bool = False, eps: float = 1e-6,
                 reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        self.full = bool(full)
        self.eps = number("GaussianNLLLoss", "eps", eps)

    def forward(self, input: Any, target: Any, var: Any) -> Any:
        loss = _criteria.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps,
                                               reduction=self.reduction)
        return loss


class NLLLoss(_WeightedLoss):
    """The negative log-likelihood of class indices under log-probabilities:
    ``F.nll_loss``."""

    def __init__(self, weight: Any = None, size_average: Any = None, ignore_index: int = -100,
                 reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        if not is_int(ignore_index):
            raise TypeError(f"NLLLoss: ignore_index must be an int, got {ignore_index!r}")
        self.ignore_index = int(ignore_index)

    def forward(self, input: Any, target: Any) -> Any:
        return criteria.nll_loss(input, target, weight=self.weight,
                                 ignore_index=self.ignore_index, reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy of logits against class indices or class probabilities, with
    ``weight``, ``ignore_index`` and ``label_smoothing``: ``F.cross_entropy``."""

    def __init__(self, weight: Any = None, size_average: Any = None, ignore_index: int = -100,
                 reduce: Any = None, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        if not is_int(ignore_index):
            raise TypeError(f"CrossEntropyLoss: ignore_index must be an int, got "
                            f"{ignore_index!r}")
        self.ignore_index = int(ignore_index)
        self.label_smoothing = number("CrossEntropyLoss", "label_smoothing", label_smoothing)
        if not 0.0 <= self.label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be in [0, 1], got "
                             f"{label_smoothing!r}")

    def forward(self, input: Any, target: Any) -> Any:
        return criteria.cross_entropy(input, target, weight=self.weight,
                                      ignore_index=self.ignore_index, reduction=self.reduction,
                                      label_smoothing=self.label_smoothing)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities: ``F.binary_cross_entropy``."""

    def forward(self, input: Any, target: Any) -> Any:
        return criteria.binary_cross_entropy(input, target, weight=self.weight,
                                             reduction=self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """Binary cross-entropy of logits, with ``pos_weight`` for the positive class:
    ``F.binary_cross_entropy_with_logits``."""

    pos_weight: Any

    def __init__(self, weight: Any = None, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean", pos_weight: Any = None) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self._optional_buffer("pos_weight", pos_weight)

    def forward(self, input: Any, target: Any) -> Any:
        return criteria.binary_cross_entropy_with_logits(
            input, target, weight=self.weight, reduction=self.reduction,
            pos_weight=self.pos_weight)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """A one-against-all logistic loss per label: ``F.multilabel_soft_margin_loss``."""

    def forward(self, input: Any, target: Any) -> Any:
        return criteria.multilabel_soft_margin_loss(input, target, weight=self.weight,
                                                    reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    """The multi-class hinge loss: ``F.multi_margin_loss``."""

    def __init__(self, p: int = 1, margin: float = 1.0, weight: Any = None,
                 size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        if p not in (1, 2) or isinstance(p, bool):
            raise ValueError(f"MultiMarginLoss: only p == 1 and p == 2 are supported, got {p!r}")
        self.p = int(p)
        self.margin = number("MultiMarginLoss", "margin", margin)

    def forward(self, input: Any, target: Any) -> Any:
        return criteria.multi_margin_loss(input, target, p=self.p, margin=self.margin,
                                          weight=self.weight, reduction=self.reduction)


class MultiLabelMarginLoss(_Loss):
    """The multi-label hinge loss: ``F.multilabel_margin_loss``."""

    def forward(self, input: Any, target: Any) -> Any:
        return criteria.multilabel_margin_loss(input, target, reduction=self.reduction)


class CTCLoss(_Loss):
    """The connectionist temporal classification loss of log-probabilities ``(T, N, C)``
    against label sequences: ``F.ctc_loss`` (``blank``'s class index, ``zero_infinity``)."""

    def __init__(self, blank: int = 0, reduction: str = "mean",
                 zero_infinity: bool = False) -> None:
        super().__init__(reduction=reduction)
        if not is_int(blank) or blank < 0:
            raise ValueError(f"CTCLoss: blank must be a non-negative class index, got {blank!r}")
        self.blank = int(blank)
        self.zero_infinity = bool(zero_infinity)

    def forward(self, log_probs: Any, targets: Any, input_lengths: Any,
                target_lengths: Any) -> Any:
        return ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=self.blank,
                        reduction=self.reduction, zero_infinity=self.zero_infinity)


class _MarginLoss(_Loss):
    def __init__(self, margin: float, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = number(type(self).__name__, "margin", margin)


class HingeEmbeddingLoss(_MarginLoss):
    """``x`` where the target is 1, ``max(0, margin - x)`` where it is -1:
    ``F.hinge_embedding_loss``."""

    def __init__(self, margin: float = 1.0, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(margin, size_average, reduce, reduction)

    def forward(self, input: Any, target: Any) -> Any:
        return criteria.hinge_embedding_loss(input, target, margin=self.margin,
                                             reduction=self.reduction)


class MarginRankingLoss(_MarginLoss):
    """``max(0, -target * (input1 - input2) + margin)``: ``F.margin_ranking_loss``."""

    def __init__(self, margin: float = 0.0, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(margin, size_average, reduce, reduction)

    def forward(self, input1: Any, input2: Any, target: Any) -> Any:
        loss = _criteria.margin_ranking_loss(input1, input2, target, margin=self.margin,
                                                 reduction=self.reduction)
        return loss


class CosineEmbeddingLoss(_MarginLoss):
    """``1 - cos`` for similar pairs, ``max(0, cos - margin)`` for dissimilar ones:
    ``F.cosine_embedding_loss``."""

    def __init__(self, margin: float = 0.0, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(margin, size_average, reduce, reduction)

    def forward(self, input1: Any, input2: Any, target: Any) -> Any:
        loss = _criteria.cosine_embedding_loss(input1, input2, target, margin=self.margin,
                                                   reduction=self.reduction)
        return loss


class TripletMarginLoss(_MarginLoss):
    """``max(d(a, p) - d(a, n) + margin, 0)`` with the ``p``-norm distance:
    ``F.triplet_margin_loss``."""

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6,
                 swap: bool = False, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(margin, size_average, reduce, reduction)
        self.p = number("TripletMarginLoss", "p", p)
        self.eps = number("TripletMarginLoss", "eps", eps)
        self.swap = bool(swap)

    def forward(self, anchor: Any, positive: Any, negative: Any) -> Any:
        loss = _criteria.triplet_margin_loss(anchor, positive, negative, margin=self.margin,
                                                 p=self.p, eps=self.eps, swap=self.swap,
                                                 reduction=self.reduction)
        return loss


class TripletMarginWithDistanceLoss(_Loss):
    """The triplet loss with any ``distance_function`` (pairwise distance by default):
    ``F.triplet_margin_with_distance_loss``."""

    def __init__(self, *, distance_function: Callable[[Any, Any], Any] | None = None,
                 margin: float = 1.0, swap: bool = False, reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        if distance_function is not None and not callable(distance_function):
            raise TypeError(f"TripletMarginWithDistanceLoss: distance_function must be a "
                            f"function or None, got {type(distance_function).__name__}")
        self.distance_function = distance_function
        self.margin = number("TripletMarginWithDistanceLoss", "margin", margin)
        if self.margin <= 0:
            raise ValueError(f"TripletMarginWithDistanceLoss: margin must be greater than 0, "
                             f"got {margin!r}")
        self.swap = bool(swap)

    def forward(self, anchor: Any, positive: Any, negative: Any) -> Any:
        return criteria.triplet_margin_with_distance_loss(
            anchor, positive, negative, distance_function=self.distance_function,
            margin=self.margin, swap=self.swap, reduction=self.reduction)
