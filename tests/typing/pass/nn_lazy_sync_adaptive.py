# pyright: strict
"""The layers whose input size comes with the first call keep the sizes they are given in the
types: ``LazyLinear[O]`` maps ``[B, Any]`` to ``[B, O]``, ``LazyConv2d[O]`` ``[B, C, H, W]`` to
``[B, O, Any, Any]``; the lazy, synchronised and instance normalisations keep the input's
shape; ``AdaptiveLogSoftmaxWithLoss`` returns its ``(output, loss)`` named tuple and
``F.multi_head_attention_forward`` the query's shape with the optional weights.

Each ``assert_type`` is checked by mypy and pyright (and is a no-op at run time).
"""

from typing import Any, assert_type
from typing import Literal as L

import mushin as mu
import mushin.nn.functional as F
from mushin import nn
from mushin.nn.layers.adaptive import AdaptiveSoftmaxOutput


def lazy() -> None:
    x: mu.Variable[L[2], L[3]] = mu.randn((2, 3))
    linear: nn.LazyLinear[L[4]] = nn.LazyLinear(4)
    assert_type(linear(x), mu.Variable[L[2], L[4]])
    images: mu.Variable[L[2], L[3], L[8], L[8]] = mu.randn((2, 3, 8, 8))
    conv: nn.LazyConv2d[L[6]] = nn.LazyConv2d(6, 3)
    assert_type(conv(images), mu.Variable[L[2], L[6], Any, Any])
    norm = nn.LazyBatchNorm2d()
    assert_type(norm(images), mu.Variable[L[2], L[3], L[8], L[8]])
    transposed: nn.LazyConvTranspose1d[L[5]] = nn.LazyConvTranspose1d(5, 2)
    sequences: mu.Variable[L[2], L[3], L[7]] = mu.randn((2, 3, 7))
    assert_type(transposed(sequences), mu.Variable[L[2], L[5], Any])
    assert_type(nn.LazyInstanceNorm1d()(sequences), mu.Variable[L[2], L[3], L[7]])


def synchronised() -> None:
    x: mu.Variable[L[4], L[3], L[5]] = mu.randn((4, 3, 5))
    layer = nn.SyncBatchNorm(3)
    assert_type(layer(x), mu.Variable[L[4], L[3], L[5]])
    model = nn.SyncBatchNorm.convert_sync_batchnorm(nn.Sequential(nn.BatchNorm1d(3)))
    print(model)


def adaptive() -> None:
    x: mu.Variable[L[6], L[8]] = mu.randn((6, 8))
    layer = nn.AdaptiveLogSoftmaxWithLoss(8, 10, [4])
    result = layer(x, mu.constant([1, 5, 9, 0, 2, 7]))
    assert_type(result, AdaptiveSoftmaxOutput)
    assert_type(result.loss, mu.Variable[*tuple[Any, ...]])
    print(layer.log_prob(x).shape, layer.predict(x).shape)


def attention() -> None:
    query: mu.Variable[L[4], L[2], L[8]] = mu.randn((4, 2, 8))
    weight, out = mu.randn((24, 8)), mu.randn((8, 8))
    output, weights = F.multi_head_attention_forward(query, query, query, 8, 2, weight, None,
                                                     None, None, False, 0.0, out, None)
    assert_type(output, mu.Variable[L[4], L[2], L[8]])
    assert_type(weights, mu.Variable[*tuple[Any, ...]] | None)


def losses() -> None:
    x: mu.Variable[L[6], L[4]] = mu.randn((6, 4))
    loss = nn.LinearCrossEntropyLoss(4, 5)(x, mu.constant([0, 1, 2, 3, 4, 0]))
    assert_type(loss, mu.Variable[*tuple[Any, ...]])


def main() -> None:
    mu.seed(0)
    lazy()
    synchronised()
    adaptive()
    attention()
    losses()


if __name__ == "__main__":
    main()
