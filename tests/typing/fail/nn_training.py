# pyright: strict
"""Activations, losses and optimizers misused: an activation keeps its operand's shape and
kind, a loss needs a target of the prediction's shape (or class indices for ``nll`` and
``cross_entropy``), and an optimizer takes ``Variable`` parameters only. Each marked line is an
error in mypy and pyright; each ``case_`` function raises ``mu.ShapeError`` or ``TypeError``
at its marked line when it runs, and each ``annotation_`` function runs cleanly."""

from typing import Literal as L

import numpy as np

import mushin as mu
from mushin.nn.activations import logsoftmax, relu, sigmoid, softmax, tanh
from mushin.nn.layers import Linear
from mushin.nn.losses import bce_with_logits, cross_entropy, l1, mse, nll
from mushin.nn.optimizers import SGD, Adam


def scores() -> mu.Variable[L[8], L[3]]:
    x: mu.Variable[L[8], L[3]] = mu.randn((8, 3))
    return x


def targets() -> mu.Constant[L[8], L[2]]:
    t: mu.Variable[L[8], L[2]] = mu.zeros((8, 2))
    return t.freeze()


def classes() -> mu.Constant[L[4]]:
    c: mu.Constant[L[4]] = mu.constant(np.array([0, 1, 2, 0]))
    return c


def annotation_relu_keeps_the_shape() -> None:
    y: mu.Variable[L[3], L[8]] = relu(scores())  # E: relu of [8, 3] is [8, 3]
    print(y.shape)


def annotation_softmax_keeps_the_shape() -> None:
    y: mu.Variable[L[8]] = softmax(scores(), axis=1)  # E: softmax keeps all the axes
    print(y.shape)


def annotation_sigmoid_keeps_the_kind() -> None:
    y: mu.Variable[L[8], L[3]] = sigmoid(scores().freeze())  # E: sigmoid of a Constant
    print(y.shape)


def case_backward_of_an_activation_of_a_constant() -> None:
    tanh(scores().freeze()).backward()  # E: tanh of a Constant is a Constant


def case_mse_target_of_another_shape() -> None:
    mse(scores(), targets())  # E: [8, 3] predictions, [8, 2] target


def case_l1_target_of_another_shape() -> None:
    l1(scores(), targets(), reduction="none")  # E: [8, 3] predictions, [8, 2] target


def case_bce_target_of_another_shape() -> None:
    bce_with_logits(targets(), scores().freeze())  # E: [8, 2] logits, [8, 3] target


def annotation_mean_loss_is_0d() -> None:
    loss: mu.Variable[L[8], L[3]] = mse(scores(), scores())  # E: a mean loss is 0-d
    print(loss.shape)


def case_unreduced_loss_has_the_input_shape() -> None:
    per_row: mu.Variable[L[8]] = mu.zeros((8,))
    mse(scores(), scores(), "none") + per_row  # E: [8, 3] + [8]: one loss per element


def case_backward_of_a_loss_of_constants() -> None:
    mse(scores().freeze(), scores().freeze()).backward()  # E: a loss of Constants is Constant


def case_nll_targets_of_another_batch() -> None:
    nll(logsoftmax(scores()), classes())  # E: 8 predictions, 4 class indices


def case_nll_target_of_the_input_shape() -> None:
    probabilities = softmax(scores()).freeze()
    nll(logsoftmax(scores()), probabilities)  # E: nll takes class indices, not probabilities


def case_cross_entropy_targets_of_another_batch() -> None:
    cross_entropy(scores(), classes())  # E: 8 predictions, 4 class indices


def case_cross_entropy_probabilities_of_another_shape() -> None:
    cross_entropy(scores(), targets())  # E: [8, 3] logits, [8, 2] probabilities


def case_unreduced_cross_entropy_has_one_loss_per_sample() -> None:
    labels: mu.Constant[L[8]] = mu.constant(np.zeros(8, dtype=np.int64))
    cross_entropy(scores(), labels, "none") * scores()  # E: [8] * [8, 3]: one loss per row


def case_optimizer_given_a_constant() -> None:
    SGD([scores().freeze()], lr=0.1)  # E: a Constant is not a parameter


def case_optimizer_given_frozen_parameters() -> None:
    layer: Linear[L[3], L[2]] = Linear(3, 2)
    Adam([p.freeze() for p in layer.parameters()])  # E: frozen parameters are Constants
