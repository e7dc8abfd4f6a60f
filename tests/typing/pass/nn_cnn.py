# pyright: strict
"""A small convolutional network (``Conv2D``, ``relu``, ``MaxPool2D``, ``Flatten``, ``Linear``,
``cross_entropy``, ``SGD`` with momentum) trained to tell vertical bars from horizontal ones.

``Conv2D[In, Out]`` checks the input's channel axis. Its output's height and width are sizes
known only at run time (``Any``); functions overloaded on the kind of tensor (pooling, the
losses, ``mu``'s own functions) then return ``Any`` in both checkers, so the features are
annotated to keep the following layers checked."""

from typing import Any, assert_type
from typing import Literal as L

import numpy as np

import mushin as mu
from mushin import nn
from mushin.nn.activations import relu
from mushin.nn.layers import Conv2D, Flatten, Linear, MaxPool2D
from mushin.nn.losses import cross_entropy
from mushin.nn.optimizers import SGD

Batch = L[16]
Channels = L[4]
Features = L[64]  # 4 channels of 4 x 4 after pooling 8 x 8 images
Classes = L[2]


class BarNet(nn.Module):
    """``(B, 1, 8, 8)`` images to two logits."""

    def __init__(self) -> None:
        super().__init__()
        self.conv: Conv2D[L[1], Channels] = Conv2D(1, 4, kernel_size=3, padding=1)
        self.pool = MaxPool2D(2)
        self.flatten = Flatten()
        self.head: Linear[Features, Classes] = Linear(64, 2)

    def forward(self, images: mu.Constant[Batch, L[1], L[8], L[8]]) -> mu.Variable[
            Batch, Classes]:
        maps = relu(self.conv(images))
        assert_type(maps, mu.Variable[Batch, Channels, Any, Any])
        pooled: mu.Variable[Batch, Channels, Any, Any] = self.pool(maps)
        flat: mu.Variable[Batch, Features] = self.flatten(pooled)
        return self.head(flat)


def bars() -> tuple[mu.Constant[Batch, L[1], L[8], L[8]], mu.Constant[Batch]]:
    """Sixteen noisy 8 x 8 images: a vertical bar (class 0) or a horizontal one (class 1)."""
    rng = np.random.default_rng(0)
    images = rng.normal(0.0, 0.1, (16, 1, 8, 8))
    labels = np.arange(16) % 2
    for index, position in enumerate(rng.integers(1, 7, 16)):
        if labels[index]:
            images[index, 0, position, :] += 1.0
        else:
            images[index, 0, :, position] += 1.0
    batch: mu.Variable[Batch, L[1], L[8], L[8]] = mu.custom(list(images.ravel()), (16, 1, 8, 8))
    classes: mu.Constant[Batch] = mu.constant(labels)
    return batch.freeze(), classes


def main() -> None:
    mu.seed(0)
    images, labels = bars()
    model = BarNet()
    optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)

    losses: list[float] = []
    for _ in range(30):
        logits = model(images)
        assert_type(logits, mu.Variable[Batch, Classes])
        loss = cross_entropy(logits, labels)
        assert_type(loss, mu.Variable[*tuple[()]])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())

    model.freeze()
    accuracy = float((model(images).numpy().argmax(axis=1) == labels.numpy()).mean())
    assert losses[-1] < losses[0] / 4, losses
    assert accuracy == 1.0, accuracy


if __name__ == "__main__":
    main()
