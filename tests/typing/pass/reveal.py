# pyright: strict
"""What the checkers infer for common expressions: concrete kinds and shapes throughout.

Each ``assert_type`` is checked by mypy and pyright (and is a no-op at run time).
"""

from typing import Any, assert_type
from typing import Literal as L

import numpy as np

import mushin as mu

B = L[4]
N = L[5]
H = L[3]
Scalar = mu.Variable[*tuple[()]]  # 0-d; pyright needs ``*tuple[()]`` rather than ``()``
Runtime = mu.Variable[*tuple[Any, ...]]  # a shape known only at run time


def kinds() -> None:
    """A Variable anywhere makes a Variable; numbers keep the tensor's kind."""
    x: mu.Variable[B, N] = mu.randn((4, 5))
    c = x.freeze()
    assert_type(c, mu.Constant[B, N])
    assert_type(x + x, mu.Variable[B, N])
    assert_type(x + c, mu.Variable[B, N])
    assert_type(c + x, mu.Variable[B, N])
    assert_type(c + c, mu.Constant[B, N])
    assert_type(c - 1.0, mu.Constant[B, N])
    assert_type(2 * c, mu.Constant[B, N])
    assert_type(1.0 / x, mu.Variable[B, N])
    assert_type(c ** 2, mu.Constant[B, N])
    assert_type(-c, mu.Constant[B, N])
    assert_type(abs(x), mu.Variable[B, N])
    assert_type(mu.mul(c, x), mu.Variable[B, N])
    assert_type(mu.div(c, c), mu.Constant[B, N])
    assert_type(mu.maximum(x, 0.0), mu.Variable[B, N])
    assert_type(mu.minimum(1.0, c), mu.Constant[B, N])
    assert_type(x.grad(), mu.Variable[B, N])
    assert_type(c.unfreeze(), mu.Variable[B, N])
    assert_type(x.detach(), mu.Constant[B, N])
    assert_type(x > 0, mu.Constant[B, N])
    assert_type((x > 0) & (c < 1), mu.Constant[B, N])
    assert_type(~(x > 0), mu.Constant[B, N])


def broadcasting() -> None:
    """The typed broadcasts, in both orders."""
    x: mu.Variable[B, N] = mu.randn((4, 5))
    vector_variable: mu.Variable[N] = mu.randn((5,))
    vector = vector_variable.freeze()
    row: mu.Variable[L[1], N] = mu.randn((1, 5))
    column: mu.Variable[B, L[1]] = mu.randn((4, 1))
    batch: mu.Variable[L[2], B, N] = mu.randn((2, 4, 5))
    loss: Scalar = mu.sum(x)
    assert_type(x + vector, mu.Variable[B, N])
    assert_type(vector + x, mu.Variable[B, N])
    assert_type(x - row, mu.Variable[B, N])
    assert_type(row - x, mu.Variable[B, N])
    assert_type(x * column, mu.Variable[B, N])
    assert_type(column * x, mu.Variable[B, N])
    assert_type(batch + x, mu.Variable[L[2], B, N])
    assert_type(x + batch, mu.Variable[L[2], B, N])
    assert_type(batch / vector, mu.Variable[L[2], B, N])
    assert_type(x / loss, mu.Variable[B, N])
    assert_type(loss * x, mu.Variable[B, N])
    assert_type(mu.add(vector, x), mu.Variable[B, N])
    assert_type(mu.where(x > 0, x, 0.0), mu.Variable[B, N])
    assert_type(mu.where(vector > 0, vector, vector), mu.Constant[N])


def matrix_products() -> None:
    """``[*B, M, K] @ [K, N] -> [*B, M, N]``, batched, and vectors for ``matmul``."""
    x: mu.Variable[B, N] = mu.randn((4, 5))
    w: mu.Variable[N, H] = mu.randn((5, 3))
    batch: mu.Variable[L[2], B, N] = mu.randn((2, 4, 5))
    weights: mu.Variable[L[2], N, H] = mu.randn((2, 5, 3))
    vector: mu.Variable[N] = mu.randn((5,))
    c = x.freeze()
    assert_type(x @ w, mu.Variable[B, H])
    assert_type(mu.mm(x, w), mu.Variable[B, H])
    assert_type(mu.matmul(c, w), mu.Variable[B, H])
    assert_type(c.mm(w.freeze()), mu.Constant[B, H])
    assert_type(batch @ w, mu.Variable[L[2], B, H])
    assert_type(batch @ weights, mu.Variable[L[2], B, H])
    assert_type(x @ vector, mu.Variable[B])
    assert_type(vector @ w, mu.Variable[H])
    assert_type(vector @ vector, Scalar)
    assert_type(x.T, mu.Variable[N, B])
    assert_type(batch.mT, mu.Variable[L[2], N, B])
    assert_type(c.T @ c, mu.Constant[N, N])


def elementwise_and_reductions() -> None:
    x: mu.Variable[B, N] = mu.randn((4, 5))
    c = x.freeze()
    assert_type(mu.exp(x), mu.Variable[B, N])
    assert_type(mu.log(c * c + 1.0), mu.Constant[B, N])
    assert_type(x.tanh().sin().cos(), mu.Variable[B, N])
    assert_type(mu.atan(c), mu.Constant[B, N])
    assert_type(x.atan(), mu.Variable[B, N])
    assert_type(mu.sqrt(mu.abs(c)), mu.Constant[B, N])
    assert_type(x.clip(0.0, 1.0), mu.Variable[B, N])
    assert_type(mu.clip(c, hi=1.0), mu.Constant[B, N])
    assert_type(x.astype("float64"), mu.Variable[B, N])
    assert_type(x.sum(), Scalar)
    assert_type(mu.mean(c), mu.Constant[*tuple[()]])
    assert_type(x.var(), Scalar)
    assert_type(mu.logsumexp(x), Scalar)
    assert_type(x.sum(axis=1), Runtime)
    assert_type(mu.max(x, axis=0, keepdims=True), Runtime)
    assert_type(mu.min(c, axis=(0, 1)), mu.Constant[*tuple[Any, ...]])


def shapes() -> None:
    x: mu.Variable[B, N] = mu.randn((4, 5))
    assert_type(x.shape, tuple[B, N])
    flipped: mu.Variable[N, B] = mu.reshape(x, (5, 4))
    assert_type(flipped, mu.Variable[N, B])
    assert_type(x.reshape(-1), mu.Variable[Any])
    assert_type(mu.reshape(x, (-1, 5)), mu.Variable[Any, int])
    assert_type(mu.flatten(x), mu.Variable[Any])
    assert_type(mu.transpose(x), mu.Variable[N, B])
    assert_type(x.transpose((1, 0)), Runtime)
    assert_type(mu.squeeze(x), Runtime)
    assert_type(mu.expand_dims(x, 0), Runtime)
    assert_type(x[0], Runtime)
    for row in x:
        assert_type(row, mu.Variable[N])
    assert_type(mu.concat([x, x]), Runtime)
    assert_type(mu.stack([x.freeze(), x.freeze()]), mu.Constant[*tuple[Any, ...]])
    wide: mu.Variable[L[3], B, N] = mu.broadcast_to(x, (3, 4, 5))
    assert_type(wide, mu.Variable[L[3], B, N])


def makers() -> None:
    """Without an annotation the sizes are plain ``int``; ``variable`` and ``constant`` have
    shapes known only at run time."""
    assert_type(mu.randn((4, 5)), mu.Variable[int, int])
    assert_type(mu.zeros([4, 5]), Runtime)
    assert_type(mu.variable(np.ones((4, 5))), Runtime)
    assert_type(mu.constant([1, 2, 3]), mu.Constant[*tuple[Any, ...]])
    labels: mu.Constant[L[3]] = mu.constant([1, 2, 3])
    assert_type(labels, mu.Constant[L[3]])


def main() -> None:
    kinds()
    broadcasting()
    matrix_products()
    elementwise_and_reductions()
    shapes()
    makers()


if __name__ == "__main__":
    main()
