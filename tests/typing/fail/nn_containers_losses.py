# pyright: strict
"""A ``Sequential``'s and a ``ModuleDict``'s layers, loss modules, ``F.nll_loss``, max pooling
with ``return_indices``, ``F.grid_sample`` / ``F.affine_grid``, ``Unfold`` and ``F.pad``
misused.
Each marked line is an error in mypy and pyright; each ``case_`` function raises
``mu.ShapeError`` at its marked line when it runs, and each ``annotation_`` function (a
mistake in an annotation only) runs cleanly."""

from typing import Any
from typing import Literal as L

import numpy as np

import mushin as mu
from mushin import nn
from mushin.nn import functional as F
from mushin.nn.layers import LayerNorm, Linear, MaxPool2D, ReLU, Sequential, Unfold


def batch() -> mu.Variable[L[3], L[8]]:
    x: mu.Variable[L[3], L[8]] = mu.randn((3, 8))
    return x


def images() -> mu.Variable[L[2], L[3], L[8], L[8]]:
    x: mu.Variable[L[2], L[3], L[8], L[8]] = mu.randn((2, 3, 8, 8))
    return x


def classes() -> mu.Constant[L[3]]:
    found: mu.Constant[L[3]] = mu.constant(np.array([0, 1, 2]))
    return found


def case_sequential_item_fed_the_wrong_width() -> None:
    first: Linear[L[4], L[8]] = Linear(4, 8)
    model = Sequential(first, ReLU())
    model[0](batch())  # E: the first layer takes [*, 4], fed [3, 8]


def annotation_sequential_item_is_its_layer() -> None:
    first: Linear[L[8], L[4]] = Linear(8, 4)
    model = Sequential(first, ReLU())
    layer: Linear[L[8], L[4]] = model[1]  # E: the second layer is the ReLU
    print(layer)


def case_sequential_of_blocks_fed_the_wrong_width() -> None:
    norms: list[LayerNorm[L[16]]] = [LayerNorm(16), LayerNorm(16)]
    for norm in Sequential(*norms):
        norm(batch())  # E: each block is a LayerNorm of width 16


def case_module_dict_entry_fed_the_wrong_width() -> None:
    norm: LayerNorm[L[4]] = LayerNorm(4)
    norms = nn.ModuleDict({"input": norm})
    norms["input"](batch())  # E: the entry is a LayerNorm of width 4


def case_loss_module_target_of_another_shape() -> None:
    target: mu.Variable[L[3], L[4]] = mu.zeros((3, 4))
    nn.MSELoss()(batch(), target)  # E: [3, 8] against [3, 4]


def case_cross_entropy_module_classes_of_another_batch() -> None:
    wide: mu.Variable[L[2], L[8]] = mu.randn((2, 8))
    nn.CrossEntropyLoss(reduction="none")(wide, classes())  # E: 2 samples, 3 classes given


def case_unreduced_loss_keeps_the_input_shape() -> None:
    target = batch().freeze()
    losses = nn.L1Loss(reduction="none")(batch(), target)
    losses + classes()  # E: [3, 8] + [3]


def annotation_reduced_loss_is_a_number() -> None:
    loss: mu.Variable[L[3]] = nn.NLLLoss()(batch(), classes())  # E: "mean" gives 0-d
    print(loss.shape)


def case_nll_loss_classes_of_another_batch() -> None:
    wide: mu.Variable[L[2], L[8]] = mu.randn((2, 8))
    F.nll_loss(F.log_softmax(wide, 1), classes())  # E: 2 samples, 3 classes given


def annotation_max_pool_with_indices_is_a_pair() -> None:
    pooled: mu.Variable[L[2], L[3], Any, Any] = MaxPool2D(2, return_indices=True)(  # E: a pair
        images())
    print(pooled)


def annotation_functional_max_pool_with_indices_is_a_pair() -> None:
    pooled: mu.Variable[L[2], L[3], Any, Any]
    pooled = F.max_pool2d(images(), 2, return_indices=True)  # E: (values, indices)
    print(pooled)


def case_max_pool3d_of_a_signal() -> None:
    signal: mu.Variable[L[2], L[3], L[8]] = mu.randn((2, 3, 8))
    F.max_pool3d(signal, 2)  # E: (N, C, D, H, W) or (C, D, H, W) expected


def case_grid_sample_with_a_3d_grid() -> None:
    grid: mu.Variable[L[2], L[4], L[4], L[3]] = mu.zeros((2, 4, 4, 3))
    F.grid_sample(images(), grid)  # E: a grid (N, H, W, 2) for (N, C, H, W)


def case_affine_grid_of_a_volume_from_2d_matrices() -> None:
    theta: mu.Variable[L[2], L[2], L[3]] = mu.randn((2, 2, 3))
    size: tuple[L[2], L[3], L[4], L[4], L[4]] = (2, 3, 4, 4, 4)
    F.affine_grid(theta, size)  # E: (N, 2, 3) matrices give 2-d grids


def case_unfold_of_a_matrix() -> None:
    Unfold(2)(batch())  # E: (N, C, H, W) or (C, H, W) expected


def annotation_padding_keeps_the_kind() -> None:
    padded: mu.Constant[*tuple[Any, ...]] = F.pad(batch(), (1, 1))  # E: a Variable stays one
    print(padded.shape)
