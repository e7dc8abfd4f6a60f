# pyright: strict
"""The pattern for typed layers (the nn package's typing builds on it): a layer is generic
over its sizes, and ``Module.__call__`` is typed as each layer's own ``forward`` (through
``mushin._typing.forward_call``), so ``layer(x)`` is checked like ``layer.forward(x)`` and
shapes flow through a network."""

from typing import Any, Generic, TypeVar, TypeVarTuple, assert_type
from typing import Literal as L

import mushin as mu
from mushin._typing import forward_call

In = TypeVar("In")
Out = TypeVar("Out")
Batch = TypeVarTuple("Batch")


class Module:
    """A toy module base: calling it runs ``forward``."""

    @forward_call
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return getattr(self, "forward")(*args, **kwargs)  # noqa: B009 - each module's own


class Dense(Module, Generic[In, Out]):
    """``relu(x W^T + b)`` on the last axis, with PyTorch's weight layout."""

    def __init__(self, weight: mu.Variable[Out, In], bias: mu.Variable[Out]) -> None:
        self.weight = weight
        self.bias = bias

    def forward(self, x: mu.Tensor[*Batch, In]) -> mu.Variable[*Batch, Out]:
        return mu.maximum(x @ self.weight.mT + self.bias, 0.0)


def main() -> None:
    mu.seed(0)
    first_weight: mu.Variable[L[16], L[4]] = mu.randn((16, 4))
    first_bias: mu.Variable[L[16]] = mu.zeros((16,))
    second_weight: mu.Variable[L[3], L[16]] = mu.randn((3, 16))
    second_bias: mu.Variable[L[3]] = mu.zeros((3,))
    hidden = Dense(first_weight, first_bias)
    output = Dense(second_weight, second_bias)

    inputs_variable: mu.Variable[L[8], L[4]] = mu.randn((8, 4))
    inputs = inputs_variable.freeze()
    features = hidden(inputs)
    assert_type(features, mu.Variable[L[8], L[16]])
    scores = output(features)
    assert_type(scores, mu.Variable[L[8], L[3]])
    batched_variable: mu.Variable[L[2], L[8], L[4]] = mu.randn((2, 8, 4))
    assert_type(output(hidden(batched_variable)), mu.Variable[L[2], L[8], L[3]])

    loss = mu.sum(scores * scores)
    loss.backward()
    assert first_weight.grad().shape == (16, 4) and second_bias.grad().shape == (3,)


if __name__ == "__main__":
    main()
