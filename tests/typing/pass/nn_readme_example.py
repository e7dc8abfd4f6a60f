# pyright: strict
"""The crate's second README example (the ``nn`` module) with its shapes annotated: a
``Linear`` layer, ``relu``, ``mse`` and ``SGD``, the types flowing from the inputs to the loss."""

from typing import Literal as L
from typing import assert_type

import mushin as mu
from mushin.nn.activations import relu
from mushin.nn.layers import Linear
from mushin.nn.losses import mse
from mushin.nn.optimizers import SGD


def main() -> None:
    mu.seed(0)
    x_variable: mu.Variable[L[16], L[1], L[1], L[3]] = mu.eye((16, 1, 1, 3), 1.0)
    x = x_variable.freeze()
    y_variable: mu.Variable[L[16], L[1], L[1], L[5]] = mu.eye((16, 1, 1, 5), 3.0)
    y = y_variable.freeze()

    linear: Linear[L[3], L[5]] = Linear(3, 5)
    optim = SGD(linear.parameters(), 0.01)

    losses: list[float] = []
    for _ in range(5):
        z = relu(linear.forward(x))
        assert_type(z, mu.Variable[L[16], L[1], L[1], L[5]])
        loss = mse(z, y)
        assert_type(loss, mu.Variable[*tuple[()]])
        loss.backward()
        optim.step()
        loss.reset()
        losses.append(loss.item())
    assert losses[-1] < losses[0], losses


if __name__ == "__main__":
    main()
