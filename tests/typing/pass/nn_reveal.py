# pyright: strict
"""What the checkers infer for ``mu.nn`` expressions: activations, functional layers, layers
and losses keep kinds and shapes as documented in docs/typing.md.

Each ``assert_type`` is checked by mypy and pyright (and is a no-op at run time).
"""

from typing import Any, assert_type
from typing import Literal as L

import numpy as np

import mushin as mu
from mushin import nn
from mushin.nn import activations, losses
from mushin.nn import ops as F
from mushin.nn.layers import (
    AvgPool2D,
    BatchNorm1D,
    BatchNorm2D,
    Conv2D,
    Dropout,
    LayerNorm,
    Linear,
    MaxPool2D,
    ReLU,
)
from mushin.nn.module import Parameters

B = L[4]
N = L[5]
Scalar = mu.Variable[*tuple[()]]
Runtime = mu.Variable[*tuple[Any, ...]]


def activation_functions() -> None:
    """An activation keeps its operand's kind and shape."""
    x: mu.Variable[B, N] = mu.randn((4, 5))
    c = x.freeze()
    assert_type(activations.relu(x), mu.Variable[B, N])
    assert_type(activations.sigmoid(c), mu.Constant[B, N])
    assert_type(activations.tanh(x), mu.Variable[B, N])
    assert_type(activations.gelu(x), mu.Variable[B, N])
    assert_type(activations.silu(c), mu.Constant[B, N])
    assert_type(activations.leaky_relu(x, 0.1), mu.Variable[B, N])
    assert_type(activations.elu(x, alpha=0.5), mu.Variable[B, N])
    assert_type(activations.softplus(c, beta=2.0), mu.Constant[B, N])
    assert_type(activations.softmax(x), mu.Variable[B, N])
    assert_type(activations.logsoftmax(c, axis=0), mu.Constant[B, N])
    assert_type(activations.relu(0.5), mu.Constant[*tuple[()]])


def functional_layers() -> None:
    """``dropout`` keeps the type; ``flatten`` keeps axis 0; pooling keeps ``(B, C)``."""
    x: mu.Variable[B, N] = mu.randn((4, 5))
    images: mu.Variable[B, L[3], L[8], L[8]] = mu.randn((4, 3, 8, 8))
    assert_type(F.dropout(x, 0.5), mu.Variable[B, N])
    assert_type(F.dropout(x.freeze(), 0.5, training=False), mu.Constant[B, N])
    assert_type(F.flatten(images), mu.Variable[B, Any])
    assert_type(F.flatten(images.freeze()), mu.Constant[B, Any])
    assert_type(F.maxpool2d(images, 2), mu.Variable[B, L[3], Any, Any])
    assert_type(F.avgpool2d(images.freeze(), 2, stride=1), mu.Constant[B, L[3], Any, Any])


def layers() -> None:
    """``Linear[I, O]``: ``[*B, I] -> [*B, O]``; ``Conv2D[C, O]``: ``[B, C, H, W] ->
    [B, O, Any, Any]``; ``Dropout`` and pooling keep the input's kind."""
    x: mu.Variable[B, N] = mu.randn((4, 5))
    batched: mu.Variable[L[2], B, N] = mu.randn((2, 4, 5))
    images: mu.Variable[B, L[3], L[8], L[8]] = mu.randn((4, 3, 8, 8))
    linear: Linear[N, L[7]] = Linear(5, 7)
    conv: Conv2D[L[3], L[6]] = Conv2D(3, 6, 3)
    assert_type(linear(x), mu.Variable[B, L[7]])
    assert_type(linear(x.freeze()), mu.Variable[B, L[7]])
    assert_type(linear(batched), mu.Variable[L[2], B, L[7]])
    assert_type(linear.weight, mu.Variable[L[7], N])
    assert_type(conv(images), mu.Variable[B, L[6], Any, Any])
    assert_type(Dropout(0.5)(x), mu.Variable[B, N])
    assert_type(Dropout(0.5)(x.freeze()), mu.Constant[B, N])
    assert_type(MaxPool2D(2)(images), mu.Variable[B, L[3], Any, Any])
    assert_type(AvgPool2D(2)(images.freeze()), mu.Constant[B, L[3], Any, Any])
    assert_type(BatchNorm2D(3)(images), mu.Variable[B, L[3], L[8], L[8]])
    assert_type(BatchNorm1D(5)(x.freeze()), mu.Variable[B, N])
    assert_type(LayerNorm(5)(batched), mu.Variable[L[2], B, N])
    assert_type(ReLU()(x), mu.Variable[B, N])
    assert_type(ReLU()(x.freeze()), mu.Constant[B, N])
    model = nn.Sequential(linear, Dropout(0.1))
    assert_type(model.parameters(), Parameters)  # a list[Runtime] that next() walks
    assert_type(model(x), Any)


def loss_functions() -> None:
    """A target of the input's shape (or class indices): 0-d by default, the input's (or the
    targets') shape for ``reduction="none"``, run-time with other options."""
    x: mu.Variable[B, N] = mu.randn((4, 5))
    target_values: mu.Variable[B, N] = mu.zeros((4, 5))
    target = target_values.freeze()
    classes: mu.Constant[B] = mu.constant(np.array([0, 1, 2, 3]))
    assert_type(losses.mse(x, target), Scalar)
    assert_type(losses.mse(x, target, reduction="none"), mu.Variable[B, N])
    assert_type(losses.l1(target, target, "sum"), mu.Constant[*tuple[()]])
    assert_type(losses.huber(x, target, delta=0.5), Runtime)
    assert_type(losses.bce_with_logits(x, target), Scalar)
    assert_type(losses.binary_cross_entropy(activations.sigmoid(x), target), Scalar)
    assert_type(losses.kl_div(activations.logsoftmax(x), target, "batchmean"), Runtime)
    assert_type(losses.nll(activations.logsoftmax(x), classes), Scalar)
    assert_type(losses.nll(x, classes, reduction="none"), mu.Variable[B])
    assert_type(losses.cross_entropy(x, classes), Scalar)
    assert_type(losses.cross_entropy(x, classes, ignore_index=0), Scalar)
    assert_type(losses.cross_entropy(x, activations.softmax(target)), Scalar)
    assert_type(losses.cross_entropy(x.freeze(), classes), mu.Constant[*tuple[()]])


def untyped() -> None:
    """An operand typed ``Any`` (a ``Sequential``'s result) gives ``Any``: in pyright too, not
    an Unknown that strict mode would report."""
    images: Any = mu.randn((4, 3, 8, 8))
    scores: Any = nn.Sequential(Linear(5, 2))(mu.randn((4, 5)))
    classes: mu.Constant[B] = mu.constant(np.array([0, 1, 1, 0]))
    assert_type(activations.relu(scores), Any)
    assert_type(F.maxpool2d(images, 2), Any)
    assert_type(MaxPool2D(2)(images), Any)
    assert_type(LayerNorm(8)(images), Any)
    assert_type(F.flatten(images), Any)
    assert_type(losses.mse(scores, scores), Any)
    assert_type(losses.cross_entropy(scores, classes), Any)
    assert_type(losses.nll(activations.logsoftmax(scores), classes, reduction="none"), Any)


def main() -> None:
    mu.seed(0)
    activation_functions()
    functional_layers()
    layers()
    loss_functions()
    untyped()


if __name__ == "__main__":
    main()
