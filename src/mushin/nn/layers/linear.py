"""``Linear``: an affine map on the last axis, PyTorch's layout and initialisation."""

from __future__ import annotations

import math
from typing import Any, Generic, TypeVar, TypeVarTuple

from mushin._check import is_int
from mushin._creation import zeros
from mushin._tensor import Tensor, Variable
from mushin.nn import init
from mushin.nn.functional.linear import linear
from mushin.nn.module import Module

__all__ = ["Linear"]

InFeatures = TypeVar("InFeatures", bound=int)
OutFeatures = TypeVar("OutFeatures", bound=int)
Batch = TypeVarTuple("Batch")


class Linear(Module, Generic[InFeatures, OutFeatures]):
    """``y = x @ weight.T + bias`` on the last axis of ``x``: ``(*, in) -> (*, out)``.

    ``weight`` is ``(out_features, in_features)`` and ``bias`` ``(out_features,)``, both drawn
    from U(-1/sqrt(in_features), 1/sqrt(in_features)) as in PyTorch. Annotate the layer
    (``layer: Linear[L[784], L[10]] = Linear(784, 10)``) and the type checker reports an
    input with another number of features.
    """

    weight: Variable[OutFeatures, InFeatures]
    bias: Variable[OutFeatures] | None

    def __init__(self, in_features: InFeatures, out_features: OutFeatures, bias: bool = True,
                 *, dtype: Any = None, device: str | None = None) -> None:
        super().__init__()
        for name, size in (("in_features", in_features), ("out_features", out_features)):
            if not is_int(size) or size < 0:
                raise ValueError(f"Linear: {name} must be a non-negative int, got {size!r}")
        self.in_features = in_features
        self.out_features = out_features
        self.weight = zeros((out_features, in_features), dtype=dtype, device=device)
        # PyTorch's kaiming_uniform(a=sqrt(5)) amounts to U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
        init.kaiming_uniform(self.weight, a=math.sqrt(5))
        self.bias = None
        if bias:
            self.bias = zeros((out_features,), dtype=dtype, device=device)
            bound = 1 / math.sqrt(in_features) if in_features else 0.0
            init.uniform(self.bias, -bound, bound)

    def forward(self, x: Tensor[*Batch, InFeatures]) -> Variable[*Batch, OutFeatures]:
        """``x @ weight.T + bias``; a frozen layer given a ``Constant`` returns one."""
        result: Variable[*Batch, OutFeatures] = linear(
            x, self._param(self.weight), self._param(self.bias))
        return result

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
