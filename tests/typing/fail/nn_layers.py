# pyright: strict
"""``mu.nn`` layers and functional layers given the wrong shapes, and their results annotated
with the wrong shape or kind. Each marked line is an error in mypy and pyright; each ``case_``
function raises ``mu.ShapeError`` at its marked line when it runs, and each ``annotation_``
function (a mistake in an annotation only) runs cleanly."""

from typing import Any
from typing import Literal as L

import mushin as mu
from mushin.nn import ops as F
from mushin.nn.layers import BatchNorm2D, Conv2D, Dropout, LayerNorm, Linear, MaxPool2D, ReLU


def batch() -> mu.Variable[L[8], L[4]]:
    x: mu.Variable[L[8], L[4]] = mu.randn((8, 4))
    return x


def images() -> mu.Variable[L[2], L[3], L[8], L[8]]:
    x: mu.Variable[L[2], L[3], L[8], L[8]] = mu.randn((2, 3, 8, 8))
    return x


def case_linear_fed_the_wrong_feature_size() -> None:
    layer: Linear[L[5], L[3]] = Linear(5, 3)
    layer(batch())  # E: a Linear of 5 input features fed [8, 4]


def case_linears_in_the_wrong_order() -> None:
    hidden: Linear[L[4], L[16]] = Linear(4, 16)
    output: Linear[L[16], L[3]] = Linear(16, 3)
    hidden(output(batch()))  # E: output expects 16 features, gets 4


def case_linear_forward_fed_the_wrong_feature_size() -> None:
    layer: Linear[L[5], L[3]] = Linear(5, 3)
    layer.forward(batch().freeze())  # E: forward of [*, 5] fed [8, 4]


def annotation_linear_output() -> None:
    layer: Linear[L[4], L[3]] = Linear(4, 3)
    y: mu.Variable[L[8], L[4]] = layer(batch())  # E: [8, 4] -> [8, 3], annotated [8, 4]
    print(y.shape)


def case_conv_fed_the_wrong_channels() -> None:
    conv: Conv2D[L[1], L[8]] = Conv2D(1, 8, 3)
    conv(images())  # E: a Conv2D of 1 input channel fed 3 channels


def annotation_conv_output_channels() -> None:
    conv: Conv2D[L[3], L[8]] = Conv2D(3, 8, 3)
    y: mu.Variable[L[2], L[3], Any, Any] = conv(images())  # E: 8 output channels, not 3
    print(y.shape)


def annotation_dropout_keeps_the_shape() -> None:
    y: mu.Variable[L[4], L[8]] = Dropout(0.5)(batch())  # E: dropout of [8, 4] is [8, 4]
    print(y.shape)


def annotation_dropout_keeps_the_kind() -> None:
    y: mu.Variable[L[8], L[4]] = Dropout(0.5)(batch().freeze())  # E: dropout of a Constant
    print(y.shape)


def annotation_functional_dropout_keeps_the_shape() -> None:
    y: mu.Variable[L[8], L[5]] = F.dropout(batch(), 0.3)  # E: dropout of [8, 4] is [8, 4]
    print(y.shape)


def case_pooling_a_matrix() -> None:
    MaxPool2D(2)(batch())  # E: pooling needs (B, C, H, W), gets [8, 4]


def case_functional_pooling_of_three_axes() -> None:
    x: mu.Variable[L[3], L[8], L[8]] = mu.randn((3, 8, 8))
    F.avgpool2d(x, 2)  # E: pooling needs (B, C, H, W), gets [3, 8, 8]


def annotation_pooling_keeps_the_channels() -> None:
    y: mu.Variable[L[2], L[4], Any, Any] = MaxPool2D(2)(images())  # E: 3 channels, not 4
    print(y.shape)


def annotation_pooling_keeps_the_kind() -> None:
    y: mu.Variable[L[2], L[3], Any, Any] = F.maxpool2d(images().freeze(), 2)  # E: a Constant
    print(y.shape)


def annotation_flatten_keeps_the_batch_axis() -> None:
    y: mu.Variable[L[3], Any] = F.flatten(images())  # E: axis 0 (2) is kept
    print(y.shape)


def case_flatten_of_a_0d_tensor() -> None:
    x: mu.Variable[*tuple[()]] = mu.randn(())
    F.flatten(x)  # E: flatten keeps axis 0: a 0-d tensor has none


def annotation_normalisation_keeps_the_shape() -> None:
    y: mu.Variable[L[8], L[5]] = LayerNorm(4)(batch())  # E: LayerNorm keeps [8, 4]
    print(y.shape)


def annotation_batch_norm_keeps_the_image_shape() -> None:
    y: mu.Variable[L[2], L[3], Any, L[4]] = BatchNorm2D(3)(images())  # E: [2, 3, 8, 8] kept
    print(y.shape)


def annotation_activation_layer_keeps_the_kind() -> None:
    y: mu.Variable[L[8], L[4]] = ReLU()(batch().freeze())  # E: a Constant in, a Constant out
    print(y.shape)
