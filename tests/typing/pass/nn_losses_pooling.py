# pyright: strict
"""Loss modules, max pooling with ``return_indices``, ``F.nll_loss``, ``F.grid_sample`` /
``F.affine_grid`` and the unfold and unpooling layers, as the checkers see them.

A loss module is generic over its reduction, taken from the constructor's literal: 0-d for
``"mean"`` and ``"sum"`` (the default), the input's shape (or the samples', for the class, row
and pair losses) for ``"none"``, a run-time shape otherwise; a ``Variable`` when the input is
one. A max pooling built (or called) with ``return_indices=True`` gives ``(values, indices)``.

Each ``assert_type`` is checked by mypy and pyright (and is a no-op at run time).
"""

from typing import Any, assert_type
from typing import Literal as L

import numpy as np

import mushin as mu
from mushin import nn
from mushin.nn import functional as F
from mushin.nn.layers import (
    AdaptiveMaxPool2d,
    AvgPool2D,
    Fold,
    MaxPool1d,
    MaxPool2D,
    MaxUnpool2d,
    Unfold,
)

B = L[4]
Scalar = mu.Variable[*tuple[()]]
Runtime = mu.Variable[*tuple[Any, ...]]
Images = mu.Variable[B, L[3], Any, Any]
Indices = mu.Constant[B, L[3], Any, Any]


def loss_modules(reduction: str) -> None:
    """The reduction's literal decides the result's shape; the input, its kind."""
    x: mu.Variable[B, L[5]] = mu.randn((4, 5))
    target_values: mu.Variable[B, L[5]] = mu.zeros((4, 5))
    target = target_values.freeze()
    classes: mu.Constant[B] = mu.constant(np.array([0, 1, 2, 3]))
    assert_type(nn.MSELoss()(x, target), Scalar)
    assert_type(nn.MSELoss(reduction="none")(x, target), mu.Variable[B, L[5]])
    assert_type(nn.L1Loss(reduction="sum")(target, target), mu.Constant[*tuple[()]])
    assert_type(nn.SmoothL1Loss(reduction=reduction)(x, target), Runtime)
    assert_type(nn.HuberLoss(delta=0.5)(x, target), Scalar)
    assert_type(nn.KLDivLoss(reduction="batchmean")(x, target), Scalar)
    assert_type(nn.BCEWithLogitsLoss(reduction="none")(x, target), mu.Variable[B, L[5]])
    assert_type(nn.CrossEntropyLoss()(x, classes), Scalar)
    assert_type(nn.CrossEntropyLoss(reduction="none")(x, classes), mu.Variable[B])
    assert_type(nn.CrossEntropyLoss(reduction="none")(x, target), mu.Variable[B])
    assert_type(nn.NLLLoss(reduction="none")(x, classes), mu.Variable[B])
    assert_type(nn.MultiMarginLoss(reduction="none")(x, classes), mu.Variable[B])
    assert_type(nn.MultiLabelSoftMarginLoss(reduction="none")(x, target), mu.Variable[B])
    assert_type(nn.CosineEmbeddingLoss(reduction="none")(x, x, classes), mu.Variable[B])
    assert_type(nn.TripletMarginLoss(reduction="none")(x, x, x), mu.Variable[B])
    variances: mu.Constant[B, L[1]] = mu.constant(np.ones((4, 1)))
    assert_type(nn.GaussianNLLLoss(reduction="none")(x, target, variances),
                mu.Variable[B, L[5]])
    assert_type(nn.PoissonNLLLoss()(x, target), Scalar)
    log_probs: mu.Variable[L[6], B, L[3]] = mu.randn((6, 4, 3))
    labels: mu.Constant[B, L[2]] = mu.constant(np.ones((4, 2), dtype=np.int64))
    lengths = [6, 6, 6, 6]
    assert_type(nn.CTCLoss(reduction="none")(F.log_softmax(log_probs, 2), labels, lengths,
                                             [2, 2, 2, 2]), mu.Variable[B])

    def step(criterion: nn.CrossEntropyLoss) -> None:
        """A bare ``CrossEntropyLoss`` may have any reduction: a run-time shape."""
        loss = criterion(x, classes)
        assert_type(loss, Runtime)
        loss.backward()

    step(nn.CrossEntropyLoss(reduction="sum"))
    assert x.grad() is not None
    unreduced: nn.CrossEntropyLoss = nn.CrossEntropyLoss(reduction="none")
    assert unreduced.reduction == "none"


def nll_loss() -> None:
    """``F.nll_loss`` takes class indices as ``F.cross_entropy`` does."""
    x: mu.Variable[B, L[5]] = mu.randn((4, 5))
    classes: mu.Constant[B] = mu.constant(np.array([0, 1, 2, 3]))
    log_probs = F.log_softmax(x, 1)
    assert_type(F.nll_loss(log_probs, classes), Scalar)
    assert_type(F.nll_loss(log_probs, classes, reduction="none"), mu.Variable[B])
    assert_type(F.nll_loss(log_probs.freeze(), classes, ignore_index=0),
                mu.Constant[*tuple[()]])
    assert_type(F.nll_loss(log_probs, classes, size_average=False), Runtime)


def max_pooling_with_indices(flag: bool) -> None:
    """``return_indices=True`` gives the values and a ``Constant`` of their indices."""
    images: mu.Variable[B, L[3], L[8], L[8]] = mu.randn((4, 3, 8, 8))
    assert_type(MaxPool2D(2)(images), Images)
    pool = MaxPool2D(2, return_indices=True)
    assert_type(pool, MaxPool2D[L[True]])
    values, indices = pool(images)
    assert_type(values, Images)
    assert_type(indices, Indices)
    assert_type(MaxPool2D(2, return_indices=flag)(images),
                mu.Tensor[B, L[3], Any, Any] | tuple[mu.Tensor[B, L[3], Any, Any], Indices])
    assert_type(AdaptiveMaxPool2d(2, return_indices=True)(images), tuple[Images, Indices])
    assert_type(AvgPool2D(2)(images), Images)
    signals: mu.Constant[B, L[2], L[9]] = mu.constant(np.zeros((4, 2, 9)))
    assert_type(MaxPool1d(3, return_indices=True)(signals),
                tuple[mu.Constant[B, L[2], Any], mu.Constant[B, L[2], Any]])
    assert_type(F.max_pool2d(images, 2), Images)
    assert_type(F.max_pool2d(images, 2, return_indices=True), tuple[Images, Indices])
    assert_type(F.max_pool2d(images, 2, return_indices=flag), Images | tuple[Images, Indices])
    assert_type(F.max_pool2d_with_indices(images, 2), tuple[Images, Indices])
    assert_type(F.adaptive_max_pool2d(images, 1, return_indices=True), tuple[Images, Indices])
    assert_type(F.avg_pool2d(images, 2, count_include_pad=False), Images)
    assert_type(F.adaptive_avg_pool2d(images, (1, None)), Images)
    assert_type(F.lp_pool1d(signals, 2.0, 3), mu.Constant[B, L[2], Any])
    pooled: mu.Variable[B, L[3], L[4], L[4]] = values  # its sizes, to keep them checked
    unpooled = MaxUnpool2d(2)(pooled, indices)
    assert_type(unpooled, Images)
    assert unpooled.shape == (4, 3, 8, 8)


def sampling_grids() -> None:
    """``affine_grid`` gives ``(N, H, W, 2)`` grids from ``(N, 2, 3)`` matrices and the output
    size; ``grid_sample`` reads ``(N, C, H, W)`` at them."""
    images: mu.Variable[B, L[3], L[8], L[8]] = mu.randn((4, 3, 8, 8))
    theta: mu.Variable[B, L[2], L[3]] = mu.randn((4, 2, 3))
    # (pyright keeps the sizes taken from a tuple as ``int``: annotate to keep them literal)
    grid: mu.Variable[B, L[5], L[6], L[2]] = F.affine_grid(theta, (4, 3, 5, 6),
                                                            align_corners=False)
    assert_type(F.grid_sample(images, grid), mu.Variable[B, L[3], L[5], L[6]])
    assert_type(F.grid_sample(images.freeze(), grid.freeze(), mode="nearest"),
                mu.Constant[B, L[3], L[5], L[6]])
    volumes: mu.Variable[B, L[3], L[4], L[8], L[8]] = mu.randn((4, 3, 4, 8, 8))
    theta3d: mu.Variable[B, L[3], L[4]] = mu.randn((4, 3, 4))
    grid3d: mu.Variable[B, L[4], L[8], L[8], L[3]] = F.affine_grid(theta3d, volumes.shape)
    assert_type(F.grid_sample(volumes, grid3d), mu.Variable[B, L[3], L[4], L[8], L[8]])
    assert_type(F.affine_grid(theta, [4, 3, 5, 6]), Runtime)


def unfolding() -> None:
    """``Unfold`` and ``Fold`` keep the batch and the kind; the sizes are run-time sizes."""
    images: mu.Variable[B, L[3], L[8], L[8]] = mu.randn((4, 3, 8, 8))
    assert_type(Unfold(2, stride=2)(images), mu.Variable[B, Any, Any])
    columns: mu.Variable[B, L[12], L[16]] = Unfold(2, stride=2)(images)
    assert_type(Fold((8, 8), 2, stride=2)(columns), mu.Variable[B, Any, Any, Any])
    image: mu.Constant[L[3], L[8], L[8]] = mu.constant(np.zeros((3, 8, 8)))
    assert_type(Unfold(2)(image), mu.Constant[Any, Any])


def main() -> None:
    mu.seed(0)
    loss_modules("sum")
    nll_loss()
    max_pooling_with_indices(True)
    sampling_grids()
    unfolding()


if __name__ == "__main__":
    main()
