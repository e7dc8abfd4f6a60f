"""``LinearCrossEntropyLoss``: a linear layer and the cross-entropy of its logits in one loss
module (PyTorch's ``nn.LinearCrossEntropyLoss``, with ``nn.LinearCrossEntropyOptions``), as
LLM heads use it: ``F.linear_cross_entropy`` with the module's ``linear`` weights.
"""

from __future__ import annotations

import math
from typing import Any

from mushin._check import as_sequence, is_int, number
from mushin._tensor import Tensor, Variable
from mushin.nn.functional.criteria import (
    LinearCrossEntropyOptions,
    linear_cross_entropy,
    reduction_mode,
)
from mushin.nn.layers.linear import Linear
from mushin.nn.module import Module
from mushin.ops.shape import reshape

__all__ = ["LinearCrossEntropyLoss", "LinearCrossEntropyOptions"]

_NAME = "LinearCrossEntropyLoss"


class LinearCrossEntropyLoss(Module):
    """The cross-entropy of ``linear(input)`` against ``target`` (PyTorch's
    ``nn.LinearCrossEntropyLoss(in_features, num_classes, *, out_features=(), bias=False,
    reduction="mean", weight=None, ignore_index=None, label_smoothing=0.0, options=None)``).

    ``linear`` is a ``Linear(in_features, num_classes * prod(out_features))``, stored flat as
    PyTorch stores it (so the state dicts match: ``linear.weight``, ``linear.bias``, and the
    class ``weight`` buffer when given); ``forward(input, target)`` views it as ``(C,
    *out_features, in_features)``, for a K-dimensional loss when ``out_features`` is given.
    """

    weight: Any
    linear: Linear[Any, Any]

    def __init__(self, in_features: int, num_classes: int, *,
                 out_features: tuple[int, ...] = (), bias: bool = False,
                 device: str | None = None, dtype: Any = None, reduction: str = "mean",
                 weight: Tensor[*tuple[Any, ...]] | None = None, ignore_index: int | None = None,
                 label_smoothing: float = 0.0,
                 options: LinearCrossEntropyOptions | None = None) -> None:
        super().__init__()
        if not is_int(in_features) or in_features < 0:
            raise ValueError(f"{_NAME}: in_features must be a non-negative int, got "
                             f"{in_features!r}")
        given = as_sequence(out_features)
        if given is None:
            raise TypeError(f"{_NAME}: out_features must be a tuple of ints, got "
                            f"{out_features!r}")
        sizes = tuple(given)
        if not is_int(num_classes) or num_classes < 1 or any(
                not is_int(size) or size < 1 for size in sizes):
            raise ValueError(f"{_NAME}: num_classes and out_features must be positive ints, got "
                             f"{num_classes!r} and {out_features!r}")
        if not isinstance(bias, bool):
            raise TypeError(f"{_NAME}: bias must be True or False, got {bias!r}")
        if weight is not None and (not isinstance(weight, Tensor)
                                   or weight.shape != (num_classes,)):
            raise ValueError(f"{_NAME}: expected weight of shape ({num_classes},), got "
                             f"{weight!r}")
        smoothing = number(_NAME, "label_smoothing", label_smoothing)
        if not 0.0 <= smoothing <= 1.0:
            raise ValueError(f"{_NAME}: label_smoothing must lie in [0, 1], got "
                             f"{label_smoothing!r}")
        if ignore_index is not None and not is_int(ignore_index):
            raise TypeError(f"{_NAME}: ignore_index must be an int or None, got "
                            f"{ignore_index!r}")
        self.reduction = reduction_mode(_NAME, reduction)
        if weight is None:
            self.weight = None
        else:
            self.register_buffer("weight", weight)
        self.num_classes = num_classes
        self.out_features = sizes
        self.ignore_index = ignore_index
        self.label_smoothing = smoothing
        try:
            self.linear = Linear(in_features, math.prod(sizes, start=num_classes), bias=bias,
                                 device=device, dtype=dtype)
        except (TypeError, ValueError) as error:  # a bad dtype or device, named by Linear
            raise type(error)(f"{_NAME}: {error}") from error
        self.options = options

    def forward(self, input: Tensor[*tuple[Any, ...]], target: Any) -> Variable[*tuple[Any, ...]]:
        """``F.linear_cross_entropy(input, linear weight, target, ...)`` with this module's
        options."""
        layer = self.linear
        weight = reshape(self._param(layer.weight),
                         (self.num_classes, *self.out_features, layer.in_features))
        bias = self._param(layer.bias)
        if bias is not None:
            bias = reshape(bias, (self.num_classes, *self.out_features))
        result: Variable[*tuple[Any, ...]] = linear_cross_entropy(
            input, weight, target, linear_bias=bias, weight=self.weight,
            reduction=self.reduction, ignore_index=self.ignore_index,
            label_smoothing=self.label_smoothing, options=self.options)
        return result

    def extra_repr(self) -> str:
        return (f"in_features={self.linear.in_features}, num_classes={self.num_classes}, "
                f"out_features={self.out_features}, bias={self.linear.bias is not None}, "
                f"reduction={self.reduction}, ignore_index={self.ignore_index}, "
                f"label_smoothing={self.label_smoothing}, options={self.options}")
