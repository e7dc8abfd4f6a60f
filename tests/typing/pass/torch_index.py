# pyright: strict
"""What the checkers infer for indexing, gathering and scattering
(``mushin/ops/gather_scatter.py``, ``mushin/ops/index.py``).

Each ``assert_type`` is checked by mypy and pyright (and is a no-op at run time); the file
also runs as a program.
"""

from typing import Any, assert_type
from typing import Literal as L

import numpy as np

import mushin as mu

B = L[4]
N = L[3]
Runtime = mu.Variable[*tuple[Any, ...]]
RuntimeConstant = mu.Constant[*tuple[Any, ...]]


def gathering() -> None:
    """Reading keeps the input's kind; the shape is the index's, known at run time."""
    x: mu.Variable[B, N] = mu.randn((4, 3))
    c = x.freeze()
    index = mu.Constant(np.array([[0, 2], [1, 1], [2, 0], [0, 0]]))
    assert_type(mu.gather(x, 1, index), Runtime)
    assert_type(x.gather(1, index), Runtime)
    assert_type(c.gather(1, index), RuntimeConstant)
    assert_type(mu.take_along_dim(x, index, dim=1), Runtime)
    assert_type(mu.index_select(c, 0, [3, 0]), RuntimeConstant)
    assert_type(x.take([0, -1]), Runtime)
    assert_type(mu.masked_select(x, x > 0), Runtime)


def scattering() -> None:
    """Writing into a tensor keeps its kind and shape."""
    x: mu.Variable[B, N] = mu.randn((4, 3))
    index = mu.Constant(np.array([[0, 2, 1]]))
    assert_type(mu.scatter(x, 0, index, 1.5), mu.Variable[B, N])
    assert_type(x.scatter_add(0, index, x), mu.Variable[B, N])
    assert_type(mu.scatter_reduce(x, 0, index, x, "amax", include_self=False),
                mu.Variable[B, N])
    assert_type(x.index_add(0, [1], x[0:1], alpha=2.0), mu.Variable[B, N])
    assert_type(mu.index_fill(x, 1, [0], 0.0), mu.Variable[B, N])
    assert_type(mu.index_put(x, ([0, 1],), x[0:2]), mu.Variable[B, N])
    assert_type(mu.masked_fill(x, x > 0, 0.0), mu.Variable[B, N])
    assert_type(mu.put(x.freeze(), [0], x[0, 0:1]), mu.Variable[B, N])
    assert_type(x.freeze().scatter_add(0, index, x), mu.Variable[B, N])  # a tracked source
    assert_type(x.freeze().masked_fill(x > 0, 1.0), mu.Constant[B, N])
    assert_type(mu.select_scatter(x, x[0], 0, 1), Runtime)


def positions() -> None:
    """Positions, searches and encodings are Constants."""
    x: mu.Variable[B, N] = mu.randn((4, 3))
    assert_type(mu.nonzero(x), RuntimeConstant)
    assert_type(x.argwhere(), RuntimeConstant)
    assert_type(mu.searchsorted([1.0, 2.0], x), RuntimeConstant)
    assert_type(mu.bucketize(x, [0.0, 1.0], right=True), RuntimeConstant)
    assert_type(mu.isin(x, [0.0]), RuntimeConstant)
    assert_type(mu.one_hot(mu.Constant(np.array([0, 2]))), RuntimeConstant)


def main() -> None:
    gathering()
    scattering()
    positions()


if __name__ == "__main__":
    main()
