# pyright: strict
"""A two-layer perceptron trained by plain gradient descent, written with the core operations
only (``mm``, ``add``, ``maximum`` as ReLU, ``logsumexp``, ``sum``) and annotated throughout:
the checkers follow every shape from the inputs to the loss."""

from typing import Literal as L

import numpy as np

import mushin as mu

Batch = L[90]
Inputs = L[2]
Hidden = L[16]
Classes = L[3]


def blobs() -> tuple[mu.Constant[Batch, Inputs], mu.Constant[Batch, Classes]]:
    """Three well separated Gaussian blobs and their one-hot labels."""
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 4.0], [4.0, -2.0], [-4.0, -2.0]])
    labels = np.repeat(np.arange(3), 30)
    points = centres[labels] + rng.standard_normal((90, 2))
    inputs: mu.Variable[Batch, Inputs] = mu.custom(list(points.ravel()), (90, 2))
    one_hot: mu.Variable[Batch, Classes] = mu.custom(list(np.eye(3)[labels].ravel()), (90, 3))
    return inputs.freeze(), one_hot.freeze()


def forward(x: mu.Constant[Batch, Inputs], w1: mu.Variable[Inputs, Hidden],
            b1: mu.Variable[Hidden], w2: mu.Variable[Hidden, Classes],
            b2: mu.Variable[Classes]) -> mu.Variable[Batch, Classes]:
    """The logits: ``relu(x W1 + b1) W2 + b2``."""
    hidden: mu.Variable[Batch, Hidden] = mu.maximum(mu.add(mu.mm(x, w1), b1), 0.0)
    return hidden @ w2 + b2


def cross_entropy(logits: mu.Variable[Batch, Classes],
                  one_hot: mu.Constant[Batch, Classes]) -> mu.Variable[*tuple[()]]:
    """The mean softmax cross-entropy: mean(logsumexp(logits) - <logits, one_hot>)."""
    picked = mu.sum(logits * one_hot)
    return (mu.sum(mu.logsumexp(logits, axis=1)) - picked) / 90


def main() -> None:
    mu.seed(0)
    x, one_hot = blobs()
    # The annotation must sit on the maker call itself: that is where the checkers read the
    # literal sizes from. Scaling comes after, and keeps the type.
    w1: mu.Variable[Inputs, Hidden] = mu.randn((2, 16))
    w2: mu.Variable[Hidden, Classes] = mu.randn((16, 3))
    w1, w2 = w1 * 0.5, w2 * 0.5
    b1: mu.Variable[Hidden] = mu.zeros((16,))
    b2: mu.Variable[Classes] = mu.zeros((3,))

    first_loss = last_loss = float("nan")
    for step in range(100):
        loss = cross_entropy(forward(x, w1, b1, w2, b2), one_hot)
        loss.backward()
        with mu.no_grad():
            w1 = w1 - 0.5 * w1.grad()
            b1 = b1 - 0.5 * b1.grad()
            w2 = w2 - 0.5 * w2.grad()
            b2 = b2 - 0.5 * b2.grad()
        if step == 0:
            first_loss = loss.item()
        last_loss = loss.item()

    predicted = forward(x, w1, b1, w2, b2).numpy().argmax(axis=1)
    accuracy = float((predicted == one_hot.numpy().argmax(axis=1)).mean())
    assert last_loss < first_loss / 5, (first_loss, last_loss)
    assert accuracy > 0.95, accuracy


if __name__ == "__main__":
    main()
