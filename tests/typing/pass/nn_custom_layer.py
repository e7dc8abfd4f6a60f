# pyright: strict
"""Custom layers: ``mu.nn.Module`` subclasses generic over their sizes, built from typed
layers. ``layer(x)`` has the type of the layer's own ``forward``, so shapes flow through
custom layers as through ``Linear``, batch axes included."""

from typing import Any, Generic, TypeVar, TypeVarTuple, assert_type
from typing import Literal as L

import mushin as mu
from mushin import nn
from mushin.nn.activations import gelu, relu, softmax
from mushin.nn.layers import Dropout, Linear
from mushin.nn.losses import mse
from mushin.nn.module import Parameters
from mushin.nn.optimizers import Adam

In = TypeVar("In", bound=int)
Hidden = TypeVar("Hidden", bound=int)
Out = TypeVar("Out", bound=int)
Features = TypeVar("Features", bound=int)
Batch = TypeVarTuple("Batch")


class Residual(nn.Module, Generic[Features]):
    """``x + gelu(Linear(x))``: the input's shape, whatever its batch axes."""

    def __init__(self, features: Features) -> None:
        super().__init__()
        self.linear = Linear(features, features)

    def forward(self, x: mu.Tensor[*Batch, Features]) -> mu.Variable[*Batch, Features]:
        return gelu(self.linear(x)) + x


class TwoLayer(nn.Module, Generic[In, Hidden, Out]):
    """``Linear -> relu -> Dropout -> Residual -> Linear``, generic over its three sizes."""

    def __init__(self, in_features: In, hidden: Hidden, out_features: Out) -> None:
        super().__init__()
        self.first = Linear(in_features, hidden)
        self.dropout = Dropout(0.2)
        self.middle = Residual(hidden)
        self.last = Linear(hidden, out_features)

    def forward(self, x: mu.Tensor[*Batch, In]) -> mu.Variable[*Batch, Out]:
        hidden = self.middle(self.dropout(relu(self.first(x))))
        return self.last(hidden)


def main() -> None:
    mu.seed(0)
    model: TwoLayer[L[6], L[12], L[3]] = TwoLayer(6, 12, 3)
    assert_type(model.first, Linear[L[6], L[12]])
    assert_type(model.middle, Residual[L[12]])

    inputs: mu.Variable[L[10], L[6]] = mu.randn((10, 6))
    x = inputs.freeze()
    assert_type(model(x), mu.Variable[L[10], L[3]])
    sequences: mu.Variable[L[2], L[5], L[6]] = mu.randn((2, 5, 6))
    assert_type(model(sequences), mu.Variable[L[2], L[5], L[3]])
    runtime_batch: mu.Variable[Any, L[6]] = mu.randn((7, 6))
    assert_type(model(runtime_batch), mu.Variable[Any, L[3]])
    assert_type(softmax(model(x)), mu.Variable[L[10], L[3]])

    target_values: mu.Variable[L[10], L[3]] = mu.zeros((10, 3))
    target = target_values.freeze()
    parameters = model.parameters()
    assert_type(parameters, Parameters)  # a list of Variables that next() walks
    assert len(parameters) == 6 and len(model.state_dict()) == 6
    optimizer = Adam(parameters, lr=0.01)
    first = last = float("nan")
    for step in range(20):
        loss = mse(model(x), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step == 0:
            first = loss.item()
        last = loss.item()
    assert last < first, (first, last)

    model.freeze()  # inference: dropout off, so two calls agree
    assert (model(x).numpy() == model(x).numpy()).all()


if __name__ == "__main__":
    main()
