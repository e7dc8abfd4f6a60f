# pyright: strict
"""Minibatch training from a ``DataLoader``, as in the README: a ``Sequential`` model (its
result is ``Any``: the layers it chains are not followed), ``cross_entropy`` and ``Adam``.

The loader's batches are ``Constant``\\ s of run-time shape; declaring the loop variables with
their sizes (``mu.Constant[Any, L[784]]``) keeps a typed layer's result fully known to pyright.
Given an ``Any``, the losses return ``Any`` in both checkers (not pyright's Unknown, which
strict mode reports)."""

from typing import Any
from typing import Literal as L

import numpy as np

import mushin as mu
from mushin.data import DataLoader
from mushin.nn.activations import relu
from mushin.nn.layers import Linear, Sequential
from mushin.nn.losses import cross_entropy
from mushin.nn.optimizers import Adam


def data() -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """64 points in 8 dimensions, labelled by the sign of their first coordinate."""
    rng = np.random.default_rng(0)
    points = rng.standard_normal((64, 8)).astype(np.float32)
    return points, (points[:, 0] > 0).astype(np.int64)


def readme_loop() -> None:
    """The README's loop: a Sequential's result is Any, and so is the loss."""
    train_images, train_labels = data()
    model = Sequential(Linear(8, 16), relu, Linear(16, 2))
    optimizer = Adam(model.parameters(), lr=1e-2)
    for images, labels in DataLoader((train_images, train_labels), batch_size=16, shuffle=True):
        loss = cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def typed_loop() -> None:
    """A typed layer, with the loop variables declared: the logits keep their feature size."""
    train_images, train_labels = data()
    head: Linear[L[8], L[2]] = Linear(8, 2)
    head_optimizer = Adam(head.parameters(), lr=1e-2)
    images: mu.Constant[Any, L[8]]
    labels: mu.Constant[Any]
    losses: list[float] = []
    for _ in range(5):
        for images, labels in DataLoader((train_images, train_labels), batch_size=16):
            logits: mu.Variable[Any, L[2]] = head(images)
            loss = cross_entropy(logits, labels)
            head_optimizer.zero_grad()
            loss.backward()
            head_optimizer.step()
            losses.append(loss.item())
    assert losses[-1] < losses[0], losses


def main() -> None:
    mu.seed(0)
    readme_loop()
    typed_loop()


if __name__ == "__main__":
    main()
