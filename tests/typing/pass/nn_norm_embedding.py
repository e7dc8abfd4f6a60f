# pyright: strict
"""``LayerNorm[Width]``, ``RMSNorm[Width]``, ``Embedding[Num, Dim]``, ``EmbeddingBag[Num, Dim]``
and ``Bilinear[In1, In2, Out]`` keep their sizes in the types: a layer norm maps ``[*B, Width]``
to ``[*B, Width]``, an embedding ``Tensor[*S]`` indices to ``[*S, Dim]``. Built without an
annotation (or from a tuple shape) a layer norm keeps any input's shape, and an embedding's
last axis is a run-time size. A ``ModuleList`` of typed layers gives them back typed, by
index and by iteration. The other normalisation, dropout and activation layers keep their
input's shape.

Each ``assert_type`` is checked by mypy and pyright (and is a no-op at run time).
"""

from typing import Any, assert_type
from typing import Literal as L

import numpy as np

import mushin as mu
from mushin.nn import ModuleList
from mushin.nn.layers import (
    Bilinear,
    Dropout2d,
    Embedding,
    EmbeddingBag,
    GroupNorm,
    Identity,
    InstanceNorm1d,
    LayerNorm,
    Linear,
    LocalResponseNorm,
    PReLU,
    ReLU6,
    RMSNorm,
)


def layer_norm() -> None:
    """A typed width: ``[*B, W] -> [*B, W]``, for either kind of input; ``weight`` ``[W]``."""
    x: mu.Variable[L[2], L[4], L[8]] = mu.randn((2, 4, 8))
    norm: LayerNorm[L[8]] = LayerNorm(8)
    assert_type(norm(x), mu.Variable[L[2], L[4], L[8]])
    assert_type(norm(x.freeze()), mu.Variable[L[2], L[4], L[8]])
    assert_type(norm.forward(x), mu.Variable[L[2], L[4], L[8]])
    assert_type(norm.weight, mu.Variable[L[8]] | None)
    assert_type(norm.bias, mu.Variable[L[8]] | None)
    assert_type(LayerNorm(8)(x), mu.Variable[L[2], L[4], L[8]])
    assert_type(LayerNorm((4, 8))(x), mu.Variable[L[2], L[4], L[8]])
    assert_type(LayerNorm([4, 8], eps=1e-6)(x), mu.Variable[L[2], L[4], L[8]])
    untyped: Any = x
    assert_type(norm(untyped), Any)
    batch: mu.Variable[Any, L[8]] = mu.randn((3, 8))
    assert_type(norm(batch), mu.Variable[Any, L[8]])


def embedding() -> None:
    """A typed table: ``Tensor[*S]`` indices to ``[*S, Dim]``; ``weight`` ``[Num, Dim]``."""
    tokens: mu.Constant[L[2], L[5]] = mu.constant(np.zeros((2, 5), dtype=np.int64))
    table: Embedding[L[100], L[16]] = Embedding(100, 16)
    assert_type(table(tokens), mu.Variable[L[2], L[5], L[16]])
    assert_type(table.weight, mu.Variable[L[100], L[16]])
    assert_type(Embedding(100, 16)(tokens), mu.Variable[L[2], L[5], Any])
    assert_type(table(np.array([1, 2, 3])), mu.Variable[*tuple[Any, ...]])
    untyped: Any = tokens
    assert_type(table(untyped), Any)


def a_typed_block() -> None:
    """An embedding, a layer norm and a head of one width chain with their sizes checked."""
    tokens: mu.Constant[L[2], L[5]] = mu.constant(np.ones((2, 5), dtype=np.int64))
    table: Embedding[L[100], L[16]] = Embedding(100, 16, padding_idx=0)
    norm: LayerNorm[L[16]] = LayerNorm(16)
    head: Linear[L[16], L[100]] = Linear(16, 100)
    hidden = norm(table(tokens))
    assert_type(hidden, mu.Variable[L[2], L[5], L[16]])
    logits = head(hidden)
    assert_type(logits, mu.Variable[L[2], L[5], L[100]])
    assert logits.shape == (2, 5, 100)


def module_lists() -> None:
    """Indexing and iterating a ``ModuleList`` give its layers' own types."""
    x: mu.Variable[L[2], L[8]] = mu.randn((2, 8))
    norms: ModuleList[LayerNorm[L[8]]] = ModuleList([LayerNorm(8), LayerNorm(8)])
    assert_type(norms[0], LayerNorm[L[8]])
    assert_type(norms[0](x), mu.Variable[L[2], L[8]])
    for norm in norms:
        x = norm(x)
    assert_type(x, mu.Variable[L[2], L[8]])
    heads = ModuleList([Linear(8, 3)])
    assert_type(heads, ModuleList[Linear[int, int]])
    assert_type(norms[1:], ModuleList[LayerNorm[L[8]]])
    assert len(norms + norms) == 4


def other_layers() -> None:
    """``RMSNorm``, ``EmbeddingBag`` and ``Bilinear`` typed by their sizes; the layers without
    sizes in their types keep the input's shape."""
    x: mu.Variable[L[3], L[8]] = mu.randn((3, 8))
    rms: RMSNorm[L[8]] = RMSNorm(8)
    assert_type(rms(x), mu.Variable[L[3], L[8]])
    bags: EmbeddingBag[L[10], L[4]] = EmbeddingBag(10, 4, mode="sum")
    tokens: mu.Constant[L[2], L[5]] = mu.constant(np.ones((2, 5), dtype=np.int64))
    assert_type(bags(tokens), mu.Variable[Any, L[4]])
    other: mu.Variable[L[3], L[5]] = mu.randn((3, 5))
    pair: Bilinear[L[8], L[5], L[2]] = Bilinear(8, 5, 2)
    assert_type(pair(x, other), mu.Variable[L[3], L[2]])
    images: mu.Variable[L[2], L[4], L[3], L[3]] = mu.randn((2, 4, 3, 3))
    assert_type(GroupNorm(2, 4)(images), mu.Variable[L[2], L[4], L[3], L[3]])
    assert_type(Dropout2d(0.1)(images), mu.Variable[L[2], L[4], L[3], L[3]])
    assert_type(LocalResponseNorm(2)(images), mu.Variable[L[2], L[4], L[3], L[3]])
    assert_type(ReLU6()(images.freeze()), mu.Constant[L[2], L[4], L[3], L[3]])
    assert_type(PReLU(4)(images), mu.Variable[L[2], L[4], L[3], L[3]])
    assert_type(Identity()(images), mu.Variable[L[2], L[4], L[3], L[3]])
    sequences: mu.Variable[L[2], L[3], L[6]] = mu.randn((2, 3, 6))
    assert_type(InstanceNorm1d(3)(sequences), mu.Variable[L[2], L[3], L[6]])


def main() -> None:
    mu.seed(0)
    layer_norm()
    embedding()
    a_typed_block()
    module_lists()
    other_layers()


if __name__ == "__main__":
    main()
