# pyright: strict
"""Functions and layers whose result shape is a computation (padding, resampling, pixel
shuffles, distances) keep their input's kind: a ``Variable`` when an operand is one, with a
run-time shape; ``F.normalize`` keeps the shape too. An operand typed ``Any`` gives ``Any``.

Each ``assert_type`` is checked by mypy and pyright (and is a no-op at run time).
"""

from typing import Any, assert_type
from typing import Literal as L

import mushin as mu
from mushin.nn import functional as F
from mushin.nn.layers import CosineSimilarity, PairwiseDistance, ReflectionPad2d, ZeroPad2d

Runtime = mu.Variable[*tuple[Any, ...]]
Untracked = mu.Constant[*tuple[Any, ...]]


def resampling() -> None:
    """``pad``, ``interpolate``, ``pixel_shuffle``: the input's kind, a run-time shape."""
    images: mu.Variable[L[2], L[4], L[6], L[6]] = mu.randn((2, 4, 6, 6))
    assert_type(F.pad(images, (1, 1, 2, 2), mode="reflect"), Runtime)
    assert_type(F.interpolate(images, scale_factor=2, mode="bilinear"), Runtime)
    assert_type(F.upsample_nearest(images.freeze(), size=(12, 12)), Untracked)
    assert_type(F.pixel_shuffle(images, 2), Runtime)
    assert_type(F.pixel_unshuffle(images.freeze(), 2), Untracked)
    assert_type(ZeroPad2d(1)(images), Runtime)
    assert_type(ReflectionPad2d((1, 1, 0, 0))(images.freeze()), Untracked)
    untyped: Any = images
    assert_type(F.pad(untyped, (1, 1)), Any)


def distances() -> None:
    """``normalize`` keeps the shape; the distances follow the kind rule."""
    x: mu.Variable[L[3], L[5]] = mu.randn((3, 5))
    y = x.freeze()
    assert_type(F.normalize(x, dim=1), mu.Variable[L[3], L[5]])
    assert_type(F.cosine_similarity(x, y), Runtime)
    assert_type(F.pairwise_distance(y, y, keepdim=True), Untracked)
    assert_type(CosineSimilarity(dim=1)(y, x), Runtime)
    assert_type(PairwiseDistance()(y, y), Untracked)
    untyped: Any = x
    assert_type(F.cosine_similarity(untyped, y), Any)
    assert_type(CosineSimilarity()(untyped, y), Any)


def main() -> None:
    mu.seed(0)
    resampling()
    distances()


if __name__ == "__main__":
    main()
