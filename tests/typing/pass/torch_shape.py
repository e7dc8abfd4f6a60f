# pyright: strict
"""What the checkers infer for PyTorch's shape, join/split and diagonal/triangle operations
(``mushin.ops.shape``, ``slicing``, ``rearrange``, ``join``, ``triangle``): the operand's kind
throughout, its shape where the operation keeps it (``flip``, ``roll``, ``tril``, ``clone``) or
the shape given (``view``), a run-time shape elsewhere, a tuple of the kind for the splits.

Each ``assert_type`` is checked by mypy and pyright (and is a no-op at run time).
"""

from typing import Any, assert_type
from typing import Literal as L

import numpy as np

import mushin as mu

B = L[4]
N = L[5]
Runtime = mu.Variable[*tuple[Any, ...]]
Fixed = mu.Constant[*tuple[Any, ...]]
Pieces = tuple[mu.Variable[*tuple[Any, ...]], ...]


def views() -> None:
    """``view`` gives the shape asked for; the permutations a run-time shape."""
    x: mu.Variable[B, N] = mu.randn((4, 5))
    c = x.freeze()
    assert_type(x.view(-1), mu.Variable[Any])
    assert_type(c.view(-1, 5), mu.Constant[Any, int])
    assert_type(x.view_as(c), Runtime)
    assert_type(c.reshape_as(x), Fixed)
    assert_type(mu.ravel(x), mu.Variable[Any])
    assert_type(c.ravel(), mu.Constant[Any])
    assert_type(mu.permute(x, (1, 0)), Runtime)
    assert_type(x.permute(1, 0), Runtime)
    assert_type(mu.movedim(c, 0, 1), Fixed)
    assert_type(x.moveaxis(0, -1), Runtime)
    assert_type(mu.swapaxes(x, 0, 1), Runtime)
    assert_type(c.swapdims(0, 1), Fixed)
    assert_type(mu.t(x), mu.Variable[N, B])
    assert_type(x.mT, mu.Variable[N, B])
    assert_type(x.mH, mu.Variable[N, B])
    assert_type(c.H, mu.Constant[N, B])
    assert_type(mu.unsqueeze(x, 0), Runtime)
    assert_type(c.unsqueeze(-1), Fixed)
    assert_type(mu.squeeze(x, dim=0), Runtime)
    assert_type(mu.unflatten(x, 1, (5, 1)), Runtime)
    assert_type(x.contiguous(), mu.Variable[B, N])
    assert_type(mu.clone(c), mu.Constant[B, N])
    assert_type(x.clone(), mu.Variable[B, N])
    assert_type(mu.atleast_3d(x), Runtime)


def repeats_and_flips() -> None:
    """Flips and rolls keep the shape; repeats and rotations have a run-time shape."""
    x: mu.Variable[B, N] = mu.randn((4, 5))
    c = x.freeze()
    assert_type(x.expand(2, 4, 5), Runtime)
    assert_type(c.expand_as(x), Fixed)
    assert_type(x.repeat(2, 1), Runtime)
    assert_type(mu.tile(c, (2,)), Fixed)
    assert_type(mu.repeat_interleave(x, 2, dim=0), Runtime)
    assert_type(mu.flip(x, (0,)), mu.Variable[B, N])
    assert_type(c.flip(0, 1), mu.Constant[B, N])
    assert_type(mu.fliplr(x), mu.Variable[B, N])
    assert_type(mu.flipud(c), mu.Constant[B, N])
    assert_type(mu.roll(x, 1, 0), mu.Variable[B, N])
    assert_type(x.roll((1, 2), (0, 1)), mu.Variable[B, N])
    assert_type(mu.rot90(x), Runtime)
    assert_type(mu.narrow(x, 1, 0, 2), Runtime)
    assert_type(c.select(0, 1), Fixed)
    assert_type(x.unfold(1, 2, 1), Runtime)
    assert_type(x[np.True_], Runtime)


def joins_and_splits() -> None:
    """Joins keep the operands' kind; splits give a tuple of it."""
    x: mu.Variable[B, N] = mu.randn((4, 5))
    c = x.freeze()
    assert_type(mu.cat([x, x], 1), Runtime)
    assert_type(mu.concatenate([c, c]), Fixed)
    assert_type(mu.hstack([x, x]), Runtime)
    assert_type(mu.vstack([c, c]), Fixed)
    assert_type(mu.dstack([x, x]), Runtime)
    assert_type(mu.column_stack([x, x]), Runtime)
    assert_type(mu.row_stack([x, x]), Runtime)
    assert_type(mu.split(x, 2), Pieces)
    assert_type(x.split([1, 4], dim=1), Pieces)
    assert_type(mu.chunk(c, 2), tuple[Fixed, ...])
    assert_type(x.unbind(0), Pieces)
    assert_type(mu.tensor_split(x, 3, dim=1), Pieces)
    assert_type(x.hsplit(5), Pieces)
    assert_type(mu.vsplit(x, [1]), Pieces)
    assert_type(mu.broadcast_tensors(x, x), Pieces)
    v: mu.Variable[N] = mu.randn((5,))
    assert_type(mu.meshgrid(v, v, indexing="xy"), Pieces)
    assert_type(mu.cartesian_prod(v, v), Runtime)
    assert_type(mu.combinations(v, 2), Runtime)
    assert_type(mu.block_diag(x, v), Runtime)


def diagonals() -> None:
    """Triangles keep the shape; diagonals have a run-time shape."""
    x: mu.Variable[B, N] = mu.randn((4, 5))
    c = x.freeze()
    assert_type(mu.tril(x), mu.Variable[B, N])
    assert_type(c.triu(1), mu.Constant[B, N])
    assert_type(mu.diagonal(x, offset=1), Runtime)
    assert_type(x.diagonal(0, 0, 1), Runtime)
    assert_type(mu.trace(c), Fixed)
    assert_type(mu.diag(x), Runtime)
    assert_type(mu.diag_embed(x, 1), Runtime)
    assert_type(x.diagflat(), Runtime)


def main() -> None:
    views()
    repeats_and_flips()
    joins_and_splits()
    diagonals()


if __name__ == "__main__":
    main()
