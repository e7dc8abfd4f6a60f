"""``Linear`` (an affine map on the last axis, PyTorch's layout and initialisation),
``Bilinear`` (a learnt bilinear form of two inputs) and ``Identity``."""

from __future__ import annotations

import math
from typing import Any, Generic, TypeVar, TypeVarTuple

from mushin._check import is_int
from mushin._creation import zeros
from mushin._tensor import Tensor, Variable
from mushin.nn import init
from mushin.nn.functional.linear import bilinear, linear
from mushin.nn.module import Module

__all__ = ["Bilinear", "Identity", "Linear"]

InFeatures = TypeVar("InFeatures", bound=int)
In2Features = TypeVar("In2Features", bound=int)
OutFeatures = TypeVar("OutFeatures", bound=int)
Batch = TypeVarTuple("Batch")
T = TypeVar("T")


def _check_features(layer: str, **sizes: Any) -> None:
    for name, size in sizes.items():
        if not is_int(size) or size < 0:
            raise ValueError(f"{layer}: {name} must be a non-negative int, got {size!r}")


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
                 device: str | None = None, dtype: Any = None) -> None:
        super().__init__()
        _check_features("Linear", in_features=in_features, out_features=out_features)
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


class Bilinear(Module, Generic[InFeatures, In2Features, OutFeatures]):
    """``y[..., o] = x1 @ weight[o] @ x2 + bias[o]`` (PyTorch's ``nn.Bilinear``): inputs
    ``(*, in1_features)`` and ``(*, in2_features)`` with the same leading axes give
    ``(*, out_features)``.

    ``weight`` is ``(out_features, in1_features, in2_features)`` and ``bias``
    ``(out_features,)``, both drawn from U(-1/sqrt(in1_features), 1/sqrt(in1_features)) as in
    PyTorch. Annotated (``Bilinear[L[4], L[5], L[3]]``), each input's width is checked.
    """

    weight: Variable[OutFeatures, InFeatures, In2Features]
    bias: Variable[OutFeatures] | None

    def __init__(self, in1_features: InFeatures, in2_features: In2Features,
                 out_features: OutFeatures, bias: bool = True, device: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__()
        _check_features("Bilinear", in1_features=in1_features, in2_features=in2_features,
                        out_features=out_features)
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        bound = 1 / math.sqrt(in1_features) if in1_features else 0.0
        self.weight = zeros((out_features, in1_features, in2_features), dtype=dtype,
                            device=device)
        init.uniform(self.weight, -bound, bound)
        self.bias = None
        if bias:
            self.bias = zeros((out_features,), dtype=dtype, device=device)
            init.uniform(self.bias, -bound, bound)

    def forward(self, input1: Tensor[*Batch, InFeatures],
                input2: Tensor[*Batch, In2Features]) -> Variable[*Batch, OutFeatures]:
        """The bilinear form of ``input1`` and ``input2`` plus ``bias``."""
        result: Variable[*Batch, OutFeatures] = bilinear(
            input1, input2, self._param(self.weight), self._param(self.bias))
        return result

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class Identity(Module):
    """The input itself (PyTorch's ``nn.Identity``): a placeholder layer; any constructor
    arguments are accepted and ignored."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: T) -> T:
        """``input``, unchanged (the same object)."""
        return input
