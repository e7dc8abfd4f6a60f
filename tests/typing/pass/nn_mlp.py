# pyright: strict
"""A two-layer perceptron built from ``mu.nn`` (``Linear``, ``Dropout``, ``relu``,
``cross_entropy`` on class indices, ``Adam``) and trained on three Gaussian blobs, annotated
throughout: the checkers follow every shape from the inputs to the loss."""

from typing import Literal as L
from typing import assert_type

import numpy as np

import mushin as mu
from mushin import nn
from mushin.nn.activations import relu
from mushin.nn.layers import Dropout, Linear
from mushin.nn.losses import cross_entropy
from mushin.nn.optimizers import Adam

Batch = L[90]
Inputs = L[2]
Hidden = L[16]
Classes = L[3]


class Perceptron(nn.Module):
    """``Linear -> relu -> Dropout -> Linear``: ``[*B, 2]`` inputs to ``[*B, 3]`` logits."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden: Linear[Inputs, Hidden] = Linear(2, 16)
        self.dropout = Dropout(0.1)
        self.output: Linear[Hidden, Classes] = Linear(16, 3)

    def forward(self, x: mu.Constant[Batch, Inputs]) -> mu.Variable[Batch, Classes]:
        features = self.dropout(relu(self.hidden(x)))
        assert_type(features, mu.Variable[Batch, Hidden])
        return self.output(features)


def blobs() -> tuple[mu.Constant[Batch, Inputs], mu.Constant[Batch]]:
    """Three well separated Gaussian blobs and their class indices."""
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 4.0], [4.0, -2.0], [-4.0, -2.0]])
    labels = np.repeat(np.arange(3), 30)
    points = centres[labels] + rng.standard_normal((90, 2))
    inputs: mu.Variable[Batch, Inputs] = mu.custom(list(points.ravel()), (90, 2))
    classes: mu.Constant[Batch] = mu.constant(labels)
    return inputs.freeze(), classes


def main() -> None:
    mu.seed(0)
    x, labels = blobs()
    model = Perceptron()
    optimizer = Adam(model.parameters(), lr=0.05)

    first_loss = last_loss = float("nan")
    for step in range(60):
        logits = model(x)
        assert_type(logits, mu.Variable[Batch, Classes])
        loss = cross_entropy(logits, labels)
        assert_type(loss, mu.Variable[*tuple[()]])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step == 0:
            first_loss = loss.item()
        last_loss = loss.item()

    model.freeze()
    predicted = model(x).numpy().argmax(axis=1)
    accuracy = float((predicted == labels.numpy()).mean())
    assert last_loss < first_loss / 5, (first_loss, last_loss)
    assert accuracy > 0.95, accuracy


if __name__ == "__main__":
    main()
