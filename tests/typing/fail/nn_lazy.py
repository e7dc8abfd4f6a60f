# pyright: strict
"""Lazy layers' results annotated with the wrong shape: the output size given to the layer,
and the input's other axes, are in the types (the input size is read at the first call).
Each marked line is an error in mypy and pyright; each ``annotation_`` function (a mistake in
an annotation only) runs cleanly."""

from typing import Any
from typing import Literal as L

import mushin as mu
from mushin import nn


def annotation_lazy_linear_output() -> None:
    x: mu.Variable[L[2], L[3]] = mu.randn((2, 3))
    layer: nn.LazyLinear[L[4]] = nn.LazyLinear(4)
    y: mu.Variable[L[2], L[3]] = layer(x)  # E: [2, 3] -> [2, 4], annotated [2, 3]
    print(y.shape)


def annotation_lazy_conv_output_channels() -> None:
    images: mu.Variable[L[2], L[3], L[8], L[8]] = mu.randn((2, 3, 8, 8))
    conv: nn.LazyConv2d[L[6]] = nn.LazyConv2d(6, 3)
    y: mu.Variable[L[2], L[3], Any, Any] = conv(images)  # E: 6 output channels, not 3
    print(y.shape)


def annotation_lazy_batch_norm_keeps_the_shape() -> None:
    x: mu.Variable[L[4], L[3]] = mu.randn((4, 3))
    y: mu.Variable[L[4], L[5]] = nn.LazyBatchNorm1d()(x)  # E: [4, 3] stays [4, 3]
    print(y.shape)
