# pyright: strict
"""The static types of the linear algebra: products, ``mu.linalg`` and the decompositions.

Each ``assert_type`` is checked by mypy and pyright; the file also runs as a program.
"""

from typing import Any, assert_type
from typing import Literal as L

import numpy as np

import mushin as mu

N = L[3]
Runtime = mu.Variable[*tuple[Any, ...]]
Fixed = mu.Constant[*tuple[Any, ...]]


def products() -> None:
    """Products keep the kinds: a Variable operand makes a Variable."""
    a: mu.Variable[N, N] = mu.Variable(np.eye(3) * 2.0)
    v: mu.Variable[N] = mu.Variable(np.ones(3))
    c = a.freeze()
    assert_type(mu.mv(a, v), mu.Variable[N])
    assert_type(mu.dot(v, v), mu.Variable[*tuple[()]])
    assert_type(a.mv(v), mu.Variable[N])
    assert_type(mu.outer(v, v), Runtime)
    assert_type(mu.kron(c, c), Fixed)
    assert_type(mu.tensordot(a, c, 1), Runtime)
    assert_type(mu.addmm(c, a, c, beta=0.5), Runtime)
    assert_type(mu.einsum([a, c], "ij,jk->ik"), mu.Tensor[*tuple[Any, ...]])


def decompositions() -> None:
    """The decompositions keep their operand's kind; tuples are tuples of it."""
    a: mu.Variable[N, N] = mu.Variable(np.eye(3) * 2.0)
    c = a.freeze()
    assert_type(mu.linalg.det(a), Runtime)
    assert_type(mu.linalg.inv(c), Fixed)
    assert_type(mu.linalg.solve(a, c), Runtime)
    assert_type(mu.linalg.cholesky(a), Runtime)
    assert_type(mu.linalg.norm(a), Runtime)
    assert_type(mu.linalg.vector_norm(c, 1, dim=0), Fixed)
    assert_type(mu.linalg.matrix_norm(a, "nuc"), Runtime)
    assert_type(mu.linalg.qr(a), tuple[Runtime, ...])
    assert_type(mu.linalg.svd(c), tuple[Fixed, ...])
    assert_type(mu.linalg.eigh(a), tuple[Runtime, ...])
    assert_type(mu.linalg.matrix_rank(a), Fixed)
    assert_type(a.det(), Runtime)
    assert_type(a.inverse(), Runtime)
    assert_type(a.matrix_exp(), Runtime)
    assert_type(c.qr(), tuple[Fixed, ...])
    values, vectors = mu.linalg.eigh(a)
    assert_type(values, Runtime)
    assert_type(vectors, Runtime)


def main() -> None:
    products()
    decompositions()


if __name__ == "__main__":
    main()
