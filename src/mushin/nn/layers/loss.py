"""The loss modules (PyTorch's ``nn.MSELoss``, ``nn.CrossEntropyLoss``...): each holds its
options (``reduction``, ``weight``, ``ignore_index``...) and calls its function of
``mu.nn.functional`` (``mushin.nn.functional.criteria``), where the loss and its gradient are
defined.

As in PyTorch, a class ``weight`` (and ``BCEWithLogitsLoss``'s ``pos_weight``) is a buffer: it
is saved in ``state_dict`` and moves with ``.to(device)``; the deprecated ``size_average`` and
``reduce`` arguments are mapped onto ``reduction`` when the module is built.

For the checkers a loss module is generic over what its ``reduction`` gives, taken from the
constructor's literal: ``MSELoss()`` is an ``MSELoss[Reduced]`` (``"mean"`` or ``"sum"``), whose
result is 0-d; ``MSELoss(reduction="none")`` an ``MSELoss[Unreduced]``, whose result has the
input's shape (the samples' for the losses of a sample's classes, rows or pairs); a reduction
that is not a literal, or the legacy ``size_average``/``reduce``, gives an ``MSELoss[str]`` (a
bare ``MSELoss``), whose result has a run-time shape. The result is a ``Variable`` when the
input is one. The losses of one family share their ``forward`` (its overloads, chosen by the
module's reduction), each computing its loss in ``_loss``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, TypeVarTuple, overload

from mushin._check import is_int, is_number, number
from mushin._tensor import Constant, Tensor, Variable
from mushin.nn.functional import criteria
from mushin.nn.functional.criteria import reduction_mode
from mushin.nn.functional.ctc import ctc_loss
from mushin.nn.module import Module

if TYPE_CHECKING:
    # PEP 696's default (typing_extensions' TypeVar): a bare ``MSELoss`` is any ``MSELoss``.
    from typing_extensions import TypeVar as _DefaultingTypeVar

    from mushin._typing import (
        AnyShape,
        ClassIndices,
        HostArray,
        NoAxes,
        Reduced,
        Unreduced,
        Untyped,
    )

    Reduction = _DefaultingTypeVar("Reduction", bound=str, covariant=True, default=str)
else:
    Reduction = TypeVar("Reduction", bound=str, covariant=True)
"""What a loss module's ``reduction`` makes of the losses: ``Reduced`` (one number),
``Unreduced`` (one per element or sample) or, known only at run time, ``str``."""

# The criteria are typed for their callers' tensors; a module's forward passes them through
# untyped (``Any``), and pyright finds no overload of a typed criterion for ``Any`` inputs.
_criteria: Any = criteria

Shape = TypeVarTuple("Shape")
B = TypeVarTuple("B")
Rest = TypeVarTuple("Rest")
N = TypeVar("N")
C = TypeVar("C")
D = TypeVar("D")
T = TypeVar("T")

__all__ = ["BCELoss", "BCEWithLogitsLoss", "CTCLoss", "CosineEmbeddingLoss",
           "CrossEntropyLoss", "GaussianNLLLoss", "HingeEmbeddingLoss", "HuberLoss", "KLDivLoss",
           "L1Loss", "MSELoss", "MarginRankingLoss", "MultiLabelMarginLoss",
           "MultiLabelSoftMarginLoss", "MultiMarginLoss", "NLLLoss", "NLLLoss2d", "PoissonNLLLoss",
           "SmoothL1Loss", "SoftMarginLoss", "TripletMarginLoss", "TripletMarginWithDistanceLoss"]


class _Loss(Module, Generic[Reduction]):
    """The options every loss has: ``reduction`` (``'mean'``, ``'sum'`` or ``'none'``), or
    PyTorch's legacy ``size_average``/``reduce`` pair, mapped onto it here."""

    def __init__(self, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = reduction_mode(type(self).__name__, reduction, size_average, reduce)


class _WeightedLoss(_Loss[Reduction]):
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


class _MarginLoss(_Loss[Reduction]):
    def __init__(self, margin: float, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = number(type(self).__name__, "margin", margin)


# --- the families: one forward each, typed by the module's reduction -------------------------

class _ElementwiseLoss(_Loss[Reduction]):
    """A loss of an input and a target of its shape (or a host array), one per element."""

    @overload
    def forward(self, input: Untyped, target: Any) -> Untyped: ...
    @overload
    def forward(self: _ElementwiseLoss[Reduced], input: Variable[*Shape],
                target: Tensor[*Shape] | HostArray) -> Variable[*NoAxes]: ...
    @overload
    def forward(self: _ElementwiseLoss[Unreduced], input: Variable[*Shape],
                target: Tensor[*Shape] | HostArray) -> Variable[*Shape]: ...
    @overload
    def forward(self, input: Variable[*Shape],
                target: Tensor[*Shape] | HostArray) -> Variable[*AnyShape]: ...
    @overload
    def forward(self: _ElementwiseLoss[Reduced], input: Constant[*Shape],
                target: Constant[*Shape] | HostArray) -> Constant[*NoAxes]: ...
    @overload
    def forward(self: _ElementwiseLoss[Unreduced], input: Constant[*Shape],
                target: Constant[*Shape] | HostArray) -> Constant[*Shape]: ...
    @overload
    def forward(self, input: Constant[*Shape],
                target: Constant[*Shape] | HostArray) -> Constant[*AnyShape]: ...
    @overload
    def forward(self: _ElementwiseLoss[Reduced], input: Tensor[*Shape],
                target: Tensor[*Shape] | HostArray) -> Tensor[*NoAxes]: ...
    @overload
    def forward(self: _ElementwiseLoss[Unreduced], input: Tensor[*Shape],
                target: Tensor[*Shape] | HostArray) -> Tensor[*Shape]: ...
    @overload
    def forward(self, input: Tensor[*Shape],
                target: Tensor[*Shape] | HostArray) -> Tensor[*AnyShape]: ...

    def forward(self, input: Any, target: Any) -> Any:
        return self._loss(input, target)

    def _loss(self, input: Any, target: Any) -> Any:
        raise NotImplementedError


class _RowLoss(_Loss[Reduction]):
    """A loss of inputs ``(*B, C)`` and targets of their shape, one per row ``(*B)``."""

    @overload
    def forward(self, input: Untyped, target: Any) -> Untyped: ...
    @overload
    def forward(self: _RowLoss[Reduced], input: Variable[*B, C],
                target: Tensor[*B, C] | HostArray) -> Variable[*NoAxes]: ...
    @overload
    def forward(self: _RowLoss[Unreduced], input: Variable[*B, C],
                target: Tensor[*B, C] | HostArray) -> Variable[*B]: ...
    @overload
    def forward(self, input: Variable[*B, C],
                target: Tensor[*B, C] | HostArray) -> Variable[*AnyShape]: ...
    @overload
    def forward(self: _RowLoss[Reduced], input: Constant[*B, C],
                target: Constant[*B, C] | HostArray) -> Constant[*NoAxes]: ...
    @overload
    def forward(self: _RowLoss[Unreduced], input: Constant[*B, C],
                target: Constant[*B, C] | HostArray) -> Constant[*B]: ...
    @overload
    def forward(self, input: Constant[*B, C],
                target: Constant[*B, C] | HostArray) -> Constant[*AnyShape]: ...
    @overload
    def forward(self: _RowLoss[Reduced], input: Tensor[*B, C],
                target: Tensor[*B, C] | HostArray) -> Tensor[*NoAxes]: ...
    @overload
    def forward(self: _RowLoss[Unreduced], input: Tensor[*B, C],
                target: Tensor[*B, C] | HostArray) -> Tensor[*B]: ...
    @overload
    def forward(self, input: Tensor[*B, C],
                target: Tensor[*B, C] | HostArray) -> Tensor[*AnyShape]: ...

    def forward(self, input: Any, target: Any) -> Any:
        return self._loss(input, target)

    def _loss(self, input: Any, target: Any) -> Any:
        raise NotImplementedError


class _ClassIndexLoss(_Loss[Reduction]):
    """A loss of scores ``(N, C, *Rest)`` against class indices ``(N, *Rest)``, one per sample
    (a ``(C,)`` input and a 0-d index: one loss)."""

    @overload
    def forward(self, input: Untyped, target: Any) -> Untyped: ...
    @overload
    def forward(self: _ClassIndexLoss[Reduced], input: Variable[N, C, *Rest],
                target: ClassIndices[N, *Rest]) -> Variable[*NoAxes]: ...
    @overload
    def forward(self: _ClassIndexLoss[Unreduced], input: Variable[N, C, *Rest],
                target: ClassIndices[N, *Rest]) -> Variable[N, *Rest]: ...
    @overload
    def forward(self, input: Variable[N, C, *Rest],
                target: ClassIndices[N, *Rest]) -> Variable[*AnyShape]: ...
    @overload
    def forward(self, input: Variable[C],
                target: Constant[*NoAxes] | HostArray) -> Variable[*NoAxes]: ...
    @overload
    def forward(self: _ClassIndexLoss[Reduced], input: Constant[N, C, *Rest],
                target: ClassIndices[N, *Rest]) -> Constant[*NoAxes]: ...
    @overload
    def forward(self: _ClassIndexLoss[Unreduced], input: Constant[N, C, *Rest],
                target: ClassIndices[N, *Rest]) -> Constant[N, *Rest]: ...
    @overload
    def forward(self, input: Constant[N, C, *Rest],
                target: ClassIndices[N, *Rest]) -> Constant[*AnyShape]: ...
    @overload
    def forward(self, input: Constant[C],
                target: Constant[*NoAxes] | HostArray) -> Constant[*NoAxes]: ...
    @overload
    def forward(self: _ClassIndexLoss[Reduced], input: Tensor[N, C, *Rest],
                target: ClassIndices[N, *Rest]) -> Tensor[*NoAxes]: ...
    @overload
    def forward(self: _ClassIndexLoss[Unreduced], input: Tensor[N, C, *Rest],
                target: ClassIndices[N, *Rest]) -> Tensor[N, *Rest]: ...
    @overload
    def forward(self, input: Tensor[N, C, *Rest],
                target: ClassIndices[N, *Rest]) -> Tensor[*AnyShape]: ...
    @overload
    def forward(self, input: Tensor[C],
                target: Constant[*NoAxes] | HostArray) -> Tensor[*NoAxes]: ...

    def forward(self, input: Any, target: Any) -> Any:
        return self._loss(input, target)

    def _loss(self, input: Any, target: Any) -> Any:
        raise NotImplementedError


class _TripletLoss(_Loss[Reduction]):
    """A loss of anchors, positives and negatives ``(*B, D)``, one per triplet ``(*B)``."""

    @overload
    def forward(self, anchor: Untyped, positive: Any, negative: Any) -> Untyped: ...
    @overload
    def forward(self: _TripletLoss[Reduced], anchor: Variable[*B, D], positive: Tensor[*B, D],
                negative: Tensor[*B, D]) -> Variable[*NoAxes]: ...
    @overload
    def forward(self: _TripletLoss[Unreduced], anchor: Variable[*B, D], positive: Tensor[*B, D],
                negative: Tensor[*B, D]) -> Variable[*B]: ...
    @overload
    def forward(self, anchor: Variable[*B, D], positive: Tensor[*B, D],
                negative: Tensor[*B, D]) -> Variable[*AnyShape]: ...
    @overload
    def forward(self: _TripletLoss[Reduced], anchor: Constant[*B, D], positive: Constant[*B, D],
                negative: Constant[*B, D]) -> Constant[*NoAxes]: ...
    @overload
    def forward(self: _TripletLoss[Unreduced], anchor: Constant[*B, D], positive: Constant[*B, D],
                negative: Constant[*B, D]) -> Constant[*B]: ...
    @overload
    def forward(self, anchor: Constant[*B, D], positive: Constant[*B, D],
                negative: Constant[*B, D]) -> Constant[*AnyShape]: ...
    @overload
    def forward(self: _TripletLoss[Reduced], anchor: Tensor[*B, D], positive: Tensor[*B, D],
                negative: Tensor[*B, D]) -> Tensor[*NoAxes]: ...
    @overload
    def forward(self: _TripletLoss[Unreduced], anchor: Tensor[*B, D], positive: Tensor[*B, D],
                negative: Tensor[*B, D]) -> Tensor[*B]: ...
    @overload
    def forward(self, anchor: Tensor[*B, D], positive: Tensor[*B, D],
                negative: Tensor[*B, D]) -> Tensor[*AnyShape]: ...

    def forward(self, anchor: Any, positive: Any, negative: Any) -> Any:
        return self._loss(anchor, positive, negative)

    def _loss(self, anchor: Any, positive: Any, negative: Any) -> Any:
        raise NotImplementedError


# --- the losses -------------------------------------------------------------------------------

class L1Loss(_ElementwiseLoss[Reduction]):
    """The mean (or sum) absolute difference: ``F.l1_loss``."""

    @overload
    def __init__(self: L1Loss[Reduced], size_average: None = None, reduce: None = None,
                 reduction: Reduced = "mean") -> None: ...
    @overload
    def __init__(self: L1Loss[Unreduced], size_average: None = None, reduce: None = None, *,
                 reduction: Unreduced) -> None: ...
    @overload
    def __init__(self: L1Loss[str], size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None: ...

    def __init__(self, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)

    def _loss(self, input: Any, target: Any) -> Any:
        return criteria.l1_loss(input, target, reduction=self.reduction)


class MSELoss(_ElementwiseLoss[Reduction]):
    """The mean (or sum) squared difference: ``F.mse_loss``."""

    @overload
    def __init__(self: MSELoss[Reduced], size_average: None = None, reduce: None = None,
                 reduction: Reduced = "mean") -> None: ...
    @overload
    def __init__(self: MSELoss[Unreduced], size_average: None = None, reduce: None = None, *,
                 reduction: Unreduced) -> None: ...
    @overload
    def __init__(self: MSELoss[str], size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None: ...

    def __init__(self, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)

    def _loss(self, input: Any, target: Any) -> Any:
        return criteria.mse_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_ElementwiseLoss[Reduction]):
    """Squared below ``beta``, absolute above: ``F.smooth_l1_loss``."""

    @overload
    def __init__(self: SmoothL1Loss[Reduced], size_average: None = None, reduce: None = None,
                 reduction: Reduced = "mean", beta: float = 1.0) -> None: ...
    @overload
    def __init__(self: SmoothL1Loss[Unreduced], size_average: None = None, reduce: None = None, *,
                 reduction: Unreduced, beta: float = 1.0) -> None: ...
    @overload
    def __init__(self: SmoothL1Loss[str], size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean", beta: float = 1.0) -> None: ...

    def __init__(self, size_average: Any = None, reduce: Any = None, reduction: str = "mean",
                 beta: float = 1.0) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = number("SmoothL1Loss", "beta", beta)

    def _loss(self, input: Any, target: Any) -> Any:
        return criteria.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_ElementwiseLoss[Reduction]):
    """Squared below ``delta``, linear above: ``F.huber_loss``."""

    @overload
    def __init__(self: HuberLoss[Reduced], reduction: Reduced = "mean",
                 delta: float = 1.0) -> None: ...
    @overload
    def __init__(self: HuberLoss[Unreduced], *, reduction: Unreduced,
                 delta: float = 1.0) -> None: ...
    @overload
    def __init__(self: HuberLoss[str], reduction: str = "mean", delta: float = 1.0) -> None: ...

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.delta = number("HuberLoss", "delta", delta)

    def _loss(self, input: Any, target: Any) -> Any:
        return criteria.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class SoftMarginLoss(_ElementwiseLoss[Reduction]):
    """``log(1 + exp(-target * input))``: ``F.soft_margin_loss``."""

    @overload
    def __init__(self: SoftMarginLoss[Reduced], size_average: None = None, reduce: None = None,
                 reduction: Reduced = "mean") -> None: ...
    @overload
    def __init__(self: SoftMarginLoss[Unreduced], size_average: None = None, reduce: None = None, *,
                 reduction: Unreduced) -> None: ...
    @overload
    def __init__(self: SoftMarginLoss[str], size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None: ...

    def __init__(self, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)

    def _loss(self, input: Any, target: Any) -> Any:
        return criteria.soft_margin_loss(input, target, reduction=self.reduction)


class KLDivLoss(_ElementwiseLoss[Reduction]):
    """The Kullback-Leibler divergence of log-probabilities ``input`` from ``target``:
    ``F.kl_div`` (``log_target`` says the target is log-probabilities too)."""

    @overload
    def __init__(self: KLDivLoss[Reduced], size_average: None = None, reduce: None = None,
                 reduction: Literal["mean", "sum", "batchmean"] = "mean",
                 log_target: bool = False) -> None: ...
    @overload
    def __init__(self: KLDivLoss[Unreduced], size_average: None = None, reduce: None = None, *,
                 reduction: Unreduced, log_target: bool = False) -> None: ...
    @overload
    def __init__(self: KLDivLoss[str], size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean", log_target: bool = False) -> None: ...

    def __init__(self, size_average: Any = None, reduce: Any = None, reduction: str = "mean",
                 log_target: bool = False) -> None:
        # "batchmean" (the sum divided by the batch size) is kl_div's own fourth reduction.
        super().__init__(size_average, reduce, "mean" if reduction == "batchmean" else reduction)
        if reduction == "batchmean" and size_average is None and reduce is None:
            self.reduction = reduction
        self.log_target = bool(log_target)

    def _loss(self, input: Any, target: Any) -> Any:
        return criteria.kl_div(input, target, reduction=self.reduction,
                               log_target=self.log_target)


class PoissonNLLLoss(_Loss[Reduction]):
    """The Poisson negative log-likelihood: ``F.poisson_nll_loss``."""

    @overload
    def __init__(self: PoissonNLLLoss[Reduced], log_input: bool = True, full: bool = False,
                 size_average: None = None, eps: float = 1e-8, reduce: None = None,
                 reduction: Reduced = "mean") -> None: ...
    @overload
    def __init__(self: PoissonNLLLoss[Unreduced], log_input: bool = True, full: bool = False,
                 size_average: None = None, eps: float = 1e-8, reduce: None = None, *,
                 reduction: Unreduced) -> None: ...
    @overload
    def __init__(self: PoissonNLLLoss[str], log_input: bool = True, full: bool = False,
                 size_average: Any = None, eps: float = 1e-8, reduce: Any = None,
                 reduction: str = "mean") -> None: ...

    def __init__(self, log_input: bool = True, full: bool = False, size_average: Any = None,
                 eps: float = 1e-8, reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_input = bool(log_input)
        self.full = bool(full)
        self.eps = number("PoissonNLLLoss", "eps", eps)

    # (PyTorch's first argument is ``log_input``, so this loss has a forward of its own.)
    @overload
    def forward(self, log_input: Untyped, target: Any) -> Untyped: ...
    @overload
    def forward(self: PoissonNLLLoss[Reduced], log_input: Variable[*Shape],
                target: Tensor[*Shape] | HostArray) -> Variable[*NoAxes]: ...
    @overload
    def forward(self: PoissonNLLLoss[Unreduced], log_input: Variable[*Shape],
                target: Tensor[*Shape] | HostArray) -> Variable[*Shape]: ...
    @overload
    def forward(self, log_input: Variable[*Shape],
                target: Tensor[*Shape] | HostArray) -> Variable[*AnyShape]: ...
    @overload
    def forward(self: PoissonNLLLoss[Reduced], log_input: Constant[*Shape],
                target: Constant[*Shape] | HostArray) -> Constant[*NoAxes]: ...
    @overload
    def forward(self: PoissonNLLLoss[Unreduced], log_input: Constant[*Shape],
                target: Constant[*Shape] | HostArray) -> Constant[*Shape]: ...
    @overload
    def forward(self, log_input: Constant[*Shape],
                target: Constant[*Shape] | HostArray) -> Constant[*AnyShape]: ...
    @overload
    def forward(self: PoissonNLLLoss[Reduced], log_input: Tensor[*Shape],
                target: Tensor[*Shape] | HostArray) -> Tensor[*NoAxes]: ...
    @overload
    def forward(self: PoissonNLLLoss[Unreduced], log_input: Tensor[*Shape],
                target: Tensor[*Shape] | HostArray) -> Tensor[*Shape]: ...
    @overload
    def forward(self, log_input: Tensor[*Shape],
                target: Tensor[*Shape] | HostArray) -> Tensor[*AnyShape]: ...

    def forward(self, log_input: Any, target: Any) -> Any:
        return criteria.poisson_nll_loss(log_input, target, log_input=self.log_input,
                                         full=self.full, eps=self.eps, reduction=self.reduction)


class GaussianNLLLoss(_Loss[Reduction]):
    """The Gaussian negative log-likelihood with predicted variance: ``F.gaussian_nll_loss``."""

    @overload
    def __init__(self: GaussianNLLLoss[Reduced], *, full: bool = False, eps: float = 1e-6,
                 reduction: Reduced = "mean") -> None: ...
    @overload
    def __init__(self: GaussianNLLLoss[Unreduced], *, full: bool = False, eps: float = 1e-6,
                 reduction: Unreduced) -> None: ...
    @overload
    def __init__(self: GaussianNLLLoss[str], *, full: bool = False, eps: float = 1e-6,
                 reduction: str = "mean") -> None: ...

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        self.full = bool(full)
        self.eps = number("GaussianNLLLoss", "eps", eps)

    # ``var`` has the input's shape, or its last axis 1 or missing, or is one float.
    @overload
    def forward(self, input: Untyped, target: Any, var: Any) -> Untyped: ...
    @overload
    def forward(self: GaussianNLLLoss[Reduced], input: Variable[*Shape],
                target: Tensor[*Shape] | HostArray,
                var: Tensor[*AnyShape] | HostArray | float) -> Variable[*NoAxes]: ...
    @overload
    def forward(self: GaussianNLLLoss[Unreduced], input: Variable[*Shape],
                target: Tensor[*Shape] | HostArray,
                var: Tensor[*AnyShape] | HostArray | float) -> Variable[*Shape]: ...
    @overload
    def forward(self, input: Variable[*Shape], target: Tensor[*Shape] | HostArray,
                var: Tensor[*AnyShape] | HostArray | float) -> Variable[*AnyShape]: ...
    @overload
    def forward(self: GaussianNLLLoss[Reduced], input: Constant[*Shape],
                target: Constant[*Shape] | HostArray,
                var: Constant[*AnyShape] | HostArray | float) -> Constant[*NoAxes]: ...
    @overload
    def forward(self: GaussianNLLLoss[Unreduced], input: Constant[*Shape],
                target: Constant[*Shape] | HostArray,
                var: Constant[*AnyShape] | HostArray | float) -> Constant[*Shape]: ...
    @overload
    def forward(self, input: Constant[*Shape], target: Constant[*Shape] | HostArray,
                var: Constant[*AnyShape] | HostArray | float) -> Constant[*AnyShape]: ...
    @overload
    def forward(self: GaussianNLLLoss[Reduced], input: Tensor[*Shape],
                target: Tensor[*Shape] | HostArray,
                var: Tensor[*AnyShape] | HostArray | float) -> Tensor[*NoAxes]: ...
    @overload
    def forward(self: GaussianNLLLoss[Unreduced], input: Tensor[*Shape],
                target: Tensor[*Shape] | HostArray,
                var: Tensor[*AnyShape] | HostArray | float) -> Tensor[*Shape]: ...
    @overload
    def forward(self, input: Tensor[*Shape], target: Tensor[*Shape] | HostArray,
                var: Tensor[*AnyShape] | HostArray | float) -> Tensor[*AnyShape]: ...

    def forward(self, input: Any, target: Any, var: Any) -> Any:
        loss = _criteria.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps,
                                               reduction=self.reduction)
        return loss


class NLLLoss(_ClassIndexLoss[Reduction], _WeightedLoss[Reduction]):
    """The negative log-likelihood of class indices under log-probabilities:
    ``F.nll_loss``."""

    @overload
    def __init__(self: NLLLoss[Reduced], weight: Any = None, size_average: None = None,
                 ignore_index: int = -100, reduce: None = None,
                 reduction: Reduced = "mean") -> None: ...
    @overload
    def __init__(self: NLLLoss[Unreduced], weight: Any = None, size_average: None = None,
                 ignore_index: int = -100, reduce: None = None, *,
                 reduction: Unreduced) -> None: ...
    @overload
    def __init__(self: NLLLoss[str], weight: Any = None, size_average: Any = None,
                 ignore_index: int = -100, reduce: Any = None, reduction: str = "mean") -> None: ...

    def __init__(self, weight: Any = None, size_average: Any = None, ignore_index: int = -100,
                 reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        if not is_int(ignore_index):
            raise TypeError(f"{type(self).__name__}: ignore_index must be an int, got "
                            f"{ignore_index!r}")
        self.ignore_index = int(ignore_index)

    def _loss(self, input: Any, target: Any) -> Any:
        return criteria.nll_loss(input, target, weight=self.weight,
                                 ignore_index=self.ignore_index, reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss[Reduction]):
    """Cross-entropy of logits against class indices or class probabilities, with
    ``weight``, ``ignore_index`` and ``label_smoothing``: ``F.cross_entropy``."""

    @overload
    def __init__(self: CrossEntropyLoss[Reduced], weight: Any = None, size_average: None = None,
                 ignore_index: int = -100, reduce: None = None, reduction: Reduced = "mean",
                 label_smoothing: float = 0.0) -> None: ...
    @overload
    def __init__(self: CrossEntropyLoss[Unreduced], weight: Any = None, size_average: None = None,
                 ignore_index: int = -100, reduce: None = None, *, reduction: Unreduced,
                 label_smoothing: float = 0.0) -> None: ...
    @overload
    def __init__(self: CrossEntropyLoss[str], weight: Any = None, size_average: Any = None,
                 ignore_index: int = -100, reduce: Any = None, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None: ...

    def __init__(self, weight: Any = None, size_average: Any = None, ignore_index: int = -100,
                 reduce: Any = None, reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        if not is_int(ignore_index):
            raise TypeError(f"CrossEntropyLoss: ignore_index must be an int, got "
                            f"{ignore_index!r}")
        self.ignore_index = int(ignore_index)
        self.label_smoothing = number("CrossEntropyLoss", "label_smoothing", label_smoothing)
        if not 0.0 <= self.label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be in [0, 1], got "
                             f"{label_smoothing!r}")

    # Class indices as ``_ClassIndexLoss``'s, or class probabilities of the logits' shape
    # (listed first: per parameter, mypy would find them covered by the indices' forms).
    @overload
    def forward(self, input: Untyped, target: Any) -> Untyped: ...
    @overload
    def forward(self: CrossEntropyLoss[Reduced], input: Variable[N, C, *Rest],
                target: Tensor[N, C, *Rest]) -> Variable[*NoAxes]: ...
    @overload
    def forward(self: CrossEntropyLoss[Reduced], input: Variable[N, C, *Rest],
                target: ClassIndices[N, *Rest]) -> Variable[*NoAxes]: ...
    @overload
    def forward(self: CrossEntropyLoss[Unreduced], input: Variable[N, C, *Rest],
                target: Tensor[N, C, *Rest]) -> Variable[N, *Rest]: ...
    @overload
    def forward(self: CrossEntropyLoss[Unreduced], input: Variable[N, C, *Rest],
                target: ClassIndices[N, *Rest]) -> Variable[N, *Rest]: ...
    @overload
    def forward(self, input: Variable[N, C, *Rest],
                target: Tensor[N, C, *Rest]) -> Variable[*AnyShape]: ...
    @overload
    def forward(self, input: Variable[N, C, *Rest],
                target: ClassIndices[N, *Rest]) -> Variable[*AnyShape]: ...
    @overload
    def forward(self, input: Variable[C], target: Tensor[C]) -> Variable[*NoAxes]: ...
    @overload
    def forward(self, input: Variable[C],
                target: Constant[*NoAxes] | HostArray) -> Variable[*NoAxes]: ...
    @overload
    def forward(self: CrossEntropyLoss[Reduced], input: Constant[N, C, *Rest],
                target: Constant[N, C, *Rest]) -> Constant[*NoAxes]: ...
    @overload
    def forward(self: CrossEntropyLoss[Reduced], input: Constant[N, C, *Rest],
                target: ClassIndices[N, *Rest]) -> Constant[*NoAxes]: ...
    @overload
    def forward(self: CrossEntropyLoss[Unreduced], input: Constant[N, C, *Rest],
                target: Constant[N, C, *Rest]) -> Constant[N, *Rest]: ...
    @overload
    def forward(self: CrossEntropyLoss[Unreduced], input: Constant[N, C, *Rest],
                target: ClassIndices[N, *Rest]) -> Constant[N, *Rest]: ...
    @overload
    def forward(self, input: Constant[N, C, *Rest],
                target: Constant[N, C, *Rest]) -> Constant[*AnyShape]: ...
    @overload
    def forward(self, input: Constant[N, C, *Rest],
                target: ClassIndices[N, *Rest]) -> Constant[*AnyShape]: ...
    @overload
    def forward(self, input: Constant[C], target: Constant[C]) -> Constant[*NoAxes]: ...
    @overload
    def forward(self, input: Constant[C],
                target: Constant[*NoAxes] | HostArray) -> Constant[*NoAxes]: ...
    @overload
    def forward(self: CrossEntropyLoss[Reduced], input: Tensor[N, C, *Rest],
                target: Tensor[N, C, *Rest]) -> Tensor[*NoAxes]: ...
    @overload
    def forward(self: CrossEntropyLoss[Reduced], input: Tensor[N, C, *Rest],
                target: ClassIndices[N, *Rest]) -> Tensor[*NoAxes]: ...
    @overload
    def forward(self: CrossEntropyLoss[Unreduced], input: Tensor[N, C, *Rest],
                target: Tensor[N, C, *Rest]) -> Tensor[N, *Rest]: ...
    @overload
    def forward(self: CrossEntropyLoss[Unreduced], input: Tensor[N, C, *Rest],
                target: ClassIndices[N, *Rest]) -> Tensor[N, *Rest]: ...
    @overload
    def forward(self, input: Tensor[N, C, *Rest],
                target: Tensor[N, C, *Rest]) -> Tensor[*AnyShape]: ...
    @overload
    def forward(self, input: Tensor[N, C, *Rest],
                target: ClassIndices[N, *Rest]) -> Tensor[*AnyShape]: ...
    @overload
    def forward(self, input: Tensor[C], target: Tensor[C]) -> Tensor[*NoAxes]: ...
    @overload
    def forward(self, input: Tensor[C],
                target: Constant[*NoAxes] | HostArray) -> Tensor[*NoAxes]: ...

    def forward(self, input: Any, target: Any) -> Any:
        return criteria.cross_entropy(input, target, weight=self.weight,
                                      ignore_index=self.ignore_index, reduction=self.reduction,
                                      label_smoothing=self.label_smoothing)


class BCELoss(_ElementwiseLoss[Reduction], _WeightedLoss[Reduction]):
    """Binary cross-entropy of probabilities: ``F.binary_cross_entropy``."""

    @overload
    def __init__(self: BCELoss[Reduced], weight: Any = None, size_average: None = None,
                 reduce: None = None, reduction: Reduced = "mean") -> None: ...
    @overload
    def __init__(self: BCELoss[Unreduced], weight: Any = None, size_average: None = None,
                 reduce: None = None, *, reduction: Unreduced) -> None: ...
    @overload
    def __init__(self: BCELoss[str], weight: Any = None, size_average: Any = None,
                 reduce: Any = None, reduction: str = "mean") -> None: ...

    def __init__(self, weight: Any = None, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)

    def _loss(self, input: Any, target: Any) -> Any:
        return criteria.binary_cross_entropy(input, target, weight=self.weight,
                                             reduction=self.reduction)


class BCEWithLogitsLoss(_ElementwiseLoss[Reduction], _WeightedLoss[Reduction]):
    """Binary cross-entropy of logits, with ``pos_weight`` for the positive class:
    ``F.binary_cross_entropy_with_logits``."""

    pos_weight: Any

    @overload
    def __init__(self: BCEWithLogitsLoss[Reduced], weight: Any = None, size_average: None = None,
                 reduce: None = None, reduction: Reduced = "mean",
                 pos_weight: Any = None) -> None: ...
    @overload
    def __init__(self: BCEWithLogitsLoss[Unreduced], weight: Any = None, size_average: None = None,
                 reduce: None = None, *, reduction: Unreduced, pos_weight: Any = None) -> None: ...
    @overload
    def __init__(self: BCEWithLogitsLoss[str], weight: Any = None, size_average: Any = None,
                 reduce: Any = None, reduction: str = "mean", pos_weight: Any = None) -> None: ...

    def __init__(self, weight: Any = None, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean", pos_weight: Any = None) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self._optional_buffer("pos_weight", pos_weight)

    def _loss(self, input: Any, target: Any) -> Any:
        return criteria.binary_cross_entropy_with_logits(
            input, target, weight=self.weight, reduction=self.reduction,
            pos_weight=self.pos_weight)


class MultiLabelSoftMarginLoss(_RowLoss[Reduction], _WeightedLoss[Reduction]):
    """A one-against-all logistic loss per label: ``F.multilabel_soft_margin_loss``."""

    @overload
    def __init__(self: MultiLabelSoftMarginLoss[Reduced], weight: Any = None,
                 size_average: None = None, reduce: None = None,
                 reduction: Reduced = "mean") -> None: ...
    @overload
    def __init__(self: MultiLabelSoftMarginLoss[Unreduced], weight: Any = None,
                 size_average: None = None, reduce: None = None, *,
                 reduction: Unreduced) -> None: ...
    @overload
    def __init__(self: MultiLabelSoftMarginLoss[str], weight: Any = None, size_average: Any = None,
                 reduce: Any = None, reduction: str = "mean") -> None: ...

    def __init__(self, weight: Any = None, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)

    def _loss(self, input: Any, target: Any) -> Any:
        return criteria.multilabel_soft_margin_loss(input, target, weight=self.weight,
                                                    reduction=self.reduction)


class MultiMarginLoss(_ClassIndexLoss[Reduction], _WeightedLoss[Reduction]):
    """The multi-class hinge loss: ``F.multi_margin_loss``."""

    @overload
    def __init__(self: MultiMarginLoss[Reduced], p: int = 1, margin: float = 1.0,
                 weight: Any = None, size_average: None = None, reduce: None = None,
                 reduction: Reduced = "mean") -> None: ...
    @overload
    def __init__(self: MultiMarginLoss[Unreduced], p: int = 1, margin: float = 1.0,
                 weight: Any = None, size_average: None = None, reduce: None = None, *,
                 reduction: Unreduced) -> None: ...
    @overload
    def __init__(self: MultiMarginLoss[str], p: int = 1, margin: float = 1.0, weight: Any = None,
                 size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> None: ...

    def __init__(self, p: int = 1, margin: float = 1.0, weight: Any = None,
                 size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        # (no isinstance(p, Tensor): narrowing an int to a Tensor makes mypy build their
        # intersection, which took it many minutes)
        chosen: Any = p
        if getattr(chosen, "ndim", None) == 0 and hasattr(chosen, "item"):  # a 0-d tensor
            chosen = chosen.item()
        if isinstance(chosen, bool) or not is_number(chosen) or chosen not in (1, 2):
            raise ValueError(f"MultiMarginLoss: only p == 1 and p == 2 are supported, got {p!r}")
        self.p = int(chosen)
        self.margin = number("MultiMarginLoss", "margin", margin)

    def _loss(self, input: Any, target: Any) -> Any:
        return criteria.multi_margin_loss(input, target, p=self.p, margin=self.margin,
                                          weight=self.weight, reduction=self.reduction)


class MultiLabelMarginLoss(_RowLoss[Reduction]):
    """The multi-label hinge loss: ``F.multilabel_margin_loss``."""

    @overload
    def __init__(self: MultiLabelMarginLoss[Reduced], size_average: None = None,
                 reduce: None = None, reduction: Reduced = "mean") -> None: ...
    @overload
    def __init__(self: MultiLabelMarginLoss[Unreduced], size_average: None = None,
                 reduce: None = None, *, reduction: Unreduced) -> None: ...
    @overload
    def __init__(self: MultiLabelMarginLoss[str], size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None: ...

    def __init__(self, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)

    def _loss(self, input: Any, target: Any) -> Any:
        return criteria.multilabel_margin_loss(input, target, reduction=self.reduction)


class CTCLoss(_Loss[Reduction]):
    """The connectionist temporal classification loss of log-probabilities ``(T, N, C)``
    against label sequences: ``F.ctc_loss`` (``blank``'s class index, ``zero_infinity``)."""

    @overload
    def __init__(self: CTCLoss[Reduced], blank: int = 0, reduction: Reduced = "mean",
                 zero_infinity: bool = False) -> None: ...
    @overload
    def __init__(self: CTCLoss[Unreduced], blank: int = 0, *, reduction: Unreduced,
                 zero_infinity: bool = False) -> None: ...
    @overload
    def __init__(self: CTCLoss[str], blank: int = 0, reduction: str = "mean",
                 zero_infinity: bool = False) -> None: ...

    def __init__(self, blank: int = 0, reduction: str = "mean",
                 zero_infinity: bool = False) -> None:
        super().__init__(reduction=reduction)
        if not is_int(blank) or blank < 0:
            raise ValueError(f"CTCLoss: blank must be a non-negative class index, got {blank!r}")
        self.blank = int(blank)
        self.zero_infinity = bool(zero_infinity)

    # One loss per sequence ``(N,)`` for "none"; the kind of ``log_probs``.
    @overload
    def forward(self, log_probs: Untyped, targets: Any, input_lengths: Any,
                target_lengths: Any) -> Untyped: ...
    @overload
    def forward(self: CTCLoss[Reduced], log_probs: Variable[T, N, C], targets: Any,
                input_lengths: Any, target_lengths: Any) -> Variable[*NoAxes]: ...
    @overload
    def forward(self: CTCLoss[Unreduced], log_probs: Variable[T, N, C], targets: Any,
                input_lengths: Any, target_lengths: Any) -> Variable[N]: ...
    @overload
    def forward(self, log_probs: Variable[*Shape], targets: Any, input_lengths: Any,
                target_lengths: Any) -> Variable[*AnyShape]: ...
    @overload
    def forward(self: CTCLoss[Reduced], log_probs: Constant[T, N, C], targets: Any,
                input_lengths: Any, target_lengths: Any) -> Constant[*NoAxes]: ...
    @overload
    def forward(self: CTCLoss[Unreduced], log_probs: Constant[T, N, C], targets: Any,
                input_lengths: Any, target_lengths: Any) -> Constant[N]: ...
    @overload
    def forward(self, log_probs: Constant[*Shape], targets: Any, input_lengths: Any,
                target_lengths: Any) -> Constant[*AnyShape]: ...
    @overload
    def forward(self: CTCLoss[Reduced], log_probs: Tensor[T, N, C], targets: Any,
                input_lengths: Any, target_lengths: Any) -> Tensor[*NoAxes]: ...
    @overload
    def forward(self: CTCLoss[Unreduced], log_probs: Tensor[T, N, C], targets: Any,
                input_lengths: Any, target_lengths: Any) -> Tensor[N]: ...
    @overload
    def forward(self, log_probs: Tensor[*Shape], targets: Any, input_lengths: Any,
                target_lengths: Any) -> Tensor[*AnyShape]: ...

    def forward(self, log_probs: Any, targets: Any, input_lengths: Any,
                target_lengths: Any) -> Any:
        return ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=self.blank,
                        reduction=self.reduction, zero_infinity=self.zero_infinity)


class HingeEmbeddingLoss(_ElementwiseLoss[Reduction], _MarginLoss[Reduction]):
    """``x`` where the target is 1, ``max(0, margin - x)`` where it is -1:
    ``F.hinge_embedding_loss``."""

    @overload
    def __init__(self: HingeEmbeddingLoss[Reduced], margin: float = 1.0, size_average: None = None,
                 reduce: None = None, reduction: Reduced = "mean") -> None: ...
    @overload
    def __init__(self: HingeEmbeddingLoss[Unreduced], margin: float = 1.0,
                 size_average: None = None, reduce: None = None, *,
                 reduction: Unreduced) -> None: ...
    @overload
    def __init__(self: HingeEmbeddingLoss[str], margin: float = 1.0, size_average: Any = None,
                 reduce: Any = None, reduction: str = "mean") -> None: ...

    def __init__(self, margin: float = 1.0, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(margin, size_average, reduce, reduction)

    def _loss(self, input: Any, target: Any) -> Any:
        return criteria.hinge_embedding_loss(input, target, margin=self.margin,
                                             reduction=self.reduction)


class MarginRankingLoss(_MarginLoss[Reduction]):
    """``max(0, -target * (input1 - input2) + margin)``: ``F.margin_ranking_loss``."""

    @overload
    def __init__(self: MarginRankingLoss[Reduced], margin: float = 0.0, size_average: None = None,
                 reduce: None = None, reduction: Reduced = "mean") -> None: ...
    @overload
    def __init__(self: MarginRankingLoss[Unreduced], margin: float = 0.0, size_average: None = None,
                 reduce: None = None, *, reduction: Unreduced) -> None: ...
    @overload
    def __init__(self: MarginRankingLoss[str], margin: float = 0.0, size_average: Any = None,
                 reduce: Any = None, reduction: str = "mean") -> None: ...

    def __init__(self, margin: float = 0.0, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(margin, size_average, reduce, reduction)

    # Two inputs and a target (±1) of one shape, one loss per element.
    @overload
    def forward(self, input1: Untyped, input2: Any, target: Any) -> Untyped: ...
    @overload
    def forward(self: MarginRankingLoss[Reduced], input1: Variable[*Shape], input2: Tensor[*Shape],
                target: Tensor[*Shape] | HostArray) -> Variable[*NoAxes]: ...
    @overload
    def forward(self: MarginRankingLoss[Unreduced], input1: Variable[*Shape],
                input2: Tensor[*Shape], target: Tensor[*Shape] | HostArray) -> Variable[*Shape]: ...
    @overload
    def forward(self, input1: Variable[*Shape], input2: Tensor[*Shape],
                target: Tensor[*Shape] | HostArray) -> Variable[*AnyShape]: ...
    @overload
    def forward(self: MarginRankingLoss[Reduced], input1: Constant[*Shape],
                input2: Constant[*Shape],
                target: Constant[*Shape] | HostArray) -> Constant[*NoAxes]: ...
    @overload
    def forward(self: MarginRankingLoss[Unreduced], input1: Constant[*Shape],
                input2: Constant[*Shape],
                target: Constant[*Shape] | HostArray) -> Constant[*Shape]: ...
    @overload
    def forward(self, input1: Constant[*Shape], input2: Constant[*Shape],
                target: Constant[*Shape] | HostArray) -> Constant[*AnyShape]: ...
    @overload
    def forward(self: MarginRankingLoss[Reduced], input1: Tensor[*Shape], input2: Tensor[*Shape],
                target: Tensor[*Shape] | HostArray) -> Tensor[*NoAxes]: ...
    @overload
    def forward(self: MarginRankingLoss[Unreduced], input1: Tensor[*Shape], input2: Tensor[*Shape],
                target: Tensor[*Shape] | HostArray) -> Tensor[*Shape]: ...
    @overload
    def forward(self, input1: Tensor[*Shape], input2: Tensor[*Shape],
                target: Tensor[*Shape] | HostArray) -> Tensor[*AnyShape]: ...

    def forward(self, input1: Any, input2: Any, target: Any) -> Any:
        loss = _criteria.margin_ranking_loss(input1, input2, target, margin=self.margin,
                                                 reduction=self.reduction)
        return loss


class CosineEmbeddingLoss(_MarginLoss[Reduction]):
    """``1 - cos`` for similar pairs, ``max(0, cos - margin)`` for dissimilar ones:
    ``F.cosine_embedding_loss``."""

    @overload
    def __init__(self: CosineEmbeddingLoss[Reduced], margin: float = 0.0, size_average: None = None,
                 reduce: None = None, reduction: Reduced = "mean") -> None: ...
    @overload
    def __init__(self: CosineEmbeddingLoss[Unreduced], margin: float = 0.0,
                 size_average: None = None, reduce: None = None, *,
                 reduction: Unreduced) -> None: ...
    @overload
    def __init__(self: CosineEmbeddingLoss[str], margin: float = 0.0, size_average: Any = None,
                 reduce: Any = None, reduction: str = "mean") -> None: ...

    def __init__(self, margin: float = 0.0, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(margin, size_average, reduce, reduction)

    # Two inputs ``(*B, D)`` and a target (±1) ``(*B)``, one loss per pair.
    @overload
    def forward(self, input1: Untyped, input2: Any, target: Any) -> Untyped: ...
    @overload
    def forward(self: CosineEmbeddingLoss[Reduced], input1: Variable[*B, D], input2: Tensor[*B, D],
                target: Tensor[*B] | HostArray) -> Variable[*NoAxes]: ...
    @overload
    def forward(self: CosineEmbeddingLoss[Unreduced], input1: Variable[*B, D],
                input2: Tensor[*B, D], target: Tensor[*B] | HostArray) -> Variable[*B]: ...
    @overload
    def forward(self, input1: Variable[*B, D], input2: Tensor[*B, D],
                target: Tensor[*B] | HostArray) -> Variable[*AnyShape]: ...
    @overload
    def forward(self: CosineEmbeddingLoss[Reduced], input1: Constant[*B, D],
                input2: Constant[*B, D], target: Constant[*B] | HostArray) -> Constant[*NoAxes]: ...
    @overload
    def forward(self: CosineEmbeddingLoss[Unreduced], input1: Constant[*B, D],
                input2: Constant[*B, D], target: Constant[*B] | HostArray) -> Constant[*B]: ...
    @overload
    def forward(self, input1: Constant[*B, D], input2: Constant[*B, D],
                target: Constant[*B] | HostArray) -> Constant[*AnyShape]: ...
    @overload
    def forward(self: CosineEmbeddingLoss[Reduced], input1: Tensor[*B, D], input2: Tensor[*B, D],
                target: Tensor[*B] | HostArray) -> Tensor[*NoAxes]: ...
    @overload
    def forward(self: CosineEmbeddingLoss[Unreduced], input1: Tensor[*B, D], input2: Tensor[*B, D],
                target: Tensor[*B] | HostArray) -> Tensor[*B]: ...
    @overload
    def forward(self, input1: Tensor[*B, D], input2: Tensor[*B, D],
                target: Tensor[*B] | HostArray) -> Tensor[*AnyShape]: ...

    def forward(self, input1: Any, input2: Any, target: Any) -> Any:
        loss = _criteria.cosine_embedding_loss(input1, input2, target, margin=self.margin,
                                                   reduction=self.reduction)
        return loss


class TripletMarginLoss(_TripletLoss[Reduction], _MarginLoss[Reduction]):
    """``max(d(a, p) - d(a, n) + margin, 0)`` with the ``p``-norm distance:
    ``F.triplet_margin_loss``."""

    @overload
    def __init__(self: TripletMarginLoss[Reduced], margin: float = 1.0, p: float = 2.0,
                 eps: float = 1e-6, swap: bool = False, size_average: None = None,
                 reduce: None = None, reduction: Reduced = "mean") -> None: ...
    @overload
    def __init__(self: TripletMarginLoss[Unreduced], margin: float = 1.0, p: float = 2.0,
                 eps: float = 1e-6, swap: bool = False, size_average: None = None,
                 reduce: None = None, *, reduction: Unreduced) -> None: ...
    @overload
    def __init__(self: TripletMarginLoss[str], margin: float = 1.0, p: float = 2.0,
                 eps: float = 1e-6, swap: bool = False, size_average: Any = None,
                 reduce: Any = None, reduction: str = "mean") -> None: ...

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6, swap: bool = False,
                 size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__(margin, size_average, reduce, reduction)
        self.p = number("TripletMarginLoss", "p", p)
        self.eps = number("TripletMarginLoss", "eps", eps)
        self.swap = bool(swap)

    def _loss(self, anchor: Any, positive: Any, negative: Any) -> Any:
        loss = _criteria.triplet_margin_loss(anchor, positive, negative, margin=self.margin,
                                                 p=self.p, eps=self.eps, swap=self.swap,
                                                 reduction=self.reduction)
        return loss


class TripletMarginWithDistanceLoss(_TripletLoss[Reduction]):
    """The triplet loss with any ``distance_function`` (pairwise distance by default):
    ``F.triplet_margin_with_distance_loss``."""

    @overload
    def __init__(self: TripletMarginWithDistanceLoss[Reduced], *,
                 distance_function: Callable[[Any, Any], Any] | None = None, margin: float = 1.0,
                 swap: bool = False, reduction: Reduced = "mean") -> None: ...
    @overload
    def __init__(self: TripletMarginWithDistanceLoss[Unreduced], *,
                 distance_function: Callable[[Any, Any], Any] | None = None, margin: float = 1.0,
                 swap: bool = False, reduction: Unreduced) -> None: ...
    @overload
    def __init__(self: TripletMarginWithDistanceLoss[str], *,
                 distance_function: Callable[[Any, Any], Any] | None = None, margin: float = 1.0,
                 swap: bool = False, reduction: str = "mean") -> None: ...

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

    def _loss(self, anchor: Any, positive: Any, negative: Any) -> Any:
        return criteria.triplet_margin_with_distance_loss(
            anchor, positive, negative, distance_function=self.distance_function,
            margin=self.margin, swap=self.swap, reduction=self.reduction)


class NLLLoss2d(NLLLoss[Reduction]):
    """PyTorch's deprecated ``nn.NLLLoss2d``: ``NLLLoss`` itself (which takes ``(N, C, H, W)``
    inputs), with PyTorch's ``FutureWarning`` when built."""

    def __init__(self, weight: Any = None, size_average: Any = None, ignore_index: int = -100,
                 reduce: Any = None, reduction: str = "mean") -> None:
        warnings.warn("NLLLoss2d has been deprecated: use NLLLoss instead, a drop-in "
                      "replacement", FutureWarning, stacklevel=2)
        super().__init__(weight, size_average, ignore_index, reduce, reduction)
