# pyright: strict
"""Layers fed the wrong feature size: with ``Module.__call__`` typed as each layer's
``forward`` (as in ``pass/layers.py``), ``layer(x)`` is checked like ``layer.forward(x)``. Each
marked line is an error in mypy and pyright, and raises ``mu.ShapeError`` when it runs."""

from typing import Any, Generic, TypeVar, TypeVarTuple
from typing import Literal as L

import mushin as mu
from mushin._typing import forward_call

In = TypeVar("In")
Out = TypeVar("Out")
Batch = TypeVarTuple("Batch")


class Module:
    @forward_call
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return getattr(self, "forward")(*args, **kwargs)  # noqa: B009 - each module's own


class Linear(Module, Generic[In, Out]):
    def __init__(self, weight: mu.Variable[Out, In]) -> None:
        self.weight = weight

    def forward(self, x: mu.Tensor[*Batch, In]) -> mu.Variable[*Batch, Out]:
        return x @ self.weight.mT


def layers() -> tuple[Linear[L[4], L[16]], Linear[L[16], L[3]]]:
    first: mu.Variable[L[16], L[4]] = mu.randn((16, 4))
    second: mu.Variable[L[3], L[16]] = mu.randn((3, 16))
    return Linear(first), Linear(second)


def case_layer_fed_the_wrong_feature_size() -> None:
    hidden, _ = layers()
    batch: mu.Variable[L[8], L[5]] = mu.randn((8, 5))
    hidden(batch)  # E: a layer of 4 input features fed 5


def case_layers_in_the_wrong_order() -> None:
    hidden, output = layers()
    batch: mu.Variable[L[8], L[4]] = mu.randn((8, 4))
    hidden(output(batch))  # E: the output layer expects 16 features, gets 4


def case_loss_target_of_another_shape() -> None:
    hidden, output = layers()
    batch: mu.Variable[L[8], L[4]] = mu.randn((8, 4))
    target_variable: mu.Variable[L[8], L[2]] = mu.zeros((8, 2))
    target = target_variable.freeze()
    mu.mean((output(hidden(batch)) - target) ** 2)  # E: [8, 3] scores against a [8, 2] target
