# pyright: strict
"""``LayerNorm[Width]``, ``RMSNorm[Width]``, ``Embedding[Num, Dim]``, ``EmbeddingBag[Num, Dim]``,
``Bilinear[In1, In2, Out]`` and a ``ModuleList`` of layer norms given or annotated with the
wrong width.
Each marked line is an error in mypy and pyright; each ``case_`` function raises
``mu.ShapeError`` at its marked line when it runs, and each ``annotation_`` function (a
mistake in an annotation only) runs cleanly."""

from typing import Literal as L

import numpy as np

import mushin as mu
from mushin.nn import ModuleList
from mushin.nn.layers import Bilinear, Embedding, EmbeddingBag, LayerNorm, RMSNorm


def batch() -> mu.Variable[L[3], L[8]]:
    x: mu.Variable[L[3], L[8]] = mu.randn((3, 8))
    return x


def tokens() -> mu.Constant[L[2], L[5]]:
    found: mu.Constant[L[2], L[5]] = mu.constant(np.zeros((2, 5), dtype=np.int64))
    return found


def case_layer_norm_fed_the_wrong_width() -> None:
    norm: LayerNorm[L[16]] = LayerNorm(16)
    norm(batch())  # E: a LayerNorm of width 16 fed [3, 8]


def case_layer_norm_forward_fed_the_wrong_width() -> None:
    norm: LayerNorm[L[4]] = LayerNorm(4)
    norm.forward(batch().freeze())  # E: forward of [*, 4] fed [3, 8]


def annotation_layer_norm_keeps_the_width() -> None:
    norm: LayerNorm[L[8]] = LayerNorm(8)
    y: mu.Variable[L[3], L[16]] = norm(batch())  # E: [3, 8] stays [3, 8]
    print(y.shape)


def annotation_layer_norm_weight() -> None:
    norm: LayerNorm[L[8]] = LayerNorm(8)
    weight: mu.Variable[L[16]] | None = norm.weight  # E: the weight is [8]
    print(weight)


def case_embedding_width_into_a_layer_norm() -> None:
    table: Embedding[L[10], L[16]] = Embedding(10, 16)
    norm: LayerNorm[L[8]] = LayerNorm(8)
    norm(table(tokens()))  # E: [2, 5, 16] into a LayerNorm of width 8


def annotation_embedding_output() -> None:
    table: Embedding[L[10], L[16]] = Embedding(10, 16)
    y: mu.Variable[L[2], L[5], L[8]] = table(tokens())  # E: the rows are 16 wide, not 8
    print(y.shape)


def annotation_embedding_keeps_the_index_shape() -> None:
    table: Embedding[L[10], L[16]] = Embedding(10, 16)
    y: mu.Variable[L[5], L[2], L[16]] = table(tokens())  # E: indices [2, 5] give [2, 5, 16]
    print(y.shape)


def annotation_embedding_weight() -> None:
    table: Embedding[L[10], L[16]] = Embedding(10, 16)
    weight: mu.Variable[L[16], L[10]] = table.weight  # E: the weight is [10, 16]
    print(weight.shape)


def case_module_list_item_fed_the_wrong_width() -> None:
    norms: ModuleList[LayerNorm[L[16]]] = ModuleList([LayerNorm(16), LayerNorm(16)])
    norms[1](batch())  # E: an item of a list of width-16 layer norms fed [3, 8]


def case_module_list_iteration_fed_the_wrong_width() -> None:
    norms: ModuleList[LayerNorm[L[4]]] = ModuleList([LayerNorm(4)])
    for norm in norms:
        norm(batch())  # E: each item is a LayerNorm of width 4


def case_rms_norm_fed_the_wrong_width() -> None:
    norm: RMSNorm[L[16]] = RMSNorm(16)
    norm(batch())  # E: an RMSNorm of width 16 fed [3, 8]


def case_bilinear_second_input_of_the_wrong_width() -> None:
    pair: Bilinear[L[8], L[5], L[2]] = Bilinear(8, 5, 2)
    pair(batch(), batch())  # E: the second input must be [*, 5]


def annotation_embedding_bag_output() -> None:
    bags: EmbeddingBag[L[10], L[16]] = EmbeddingBag(10, 16)
    y: mu.Variable[L[2], L[8]] = bags(tokens())  # E: the bags are 16 wide, not 8
    print(y.shape)
