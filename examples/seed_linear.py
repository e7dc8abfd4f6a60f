"""The crate's nn example in Python: a Linear layer, relu, mse and SGD for five steps.

    python examples/seed_linear.py
"""

from __future__ import annotations

import mushin as mu
from mushin.nn.activations import relu
from mushin.nn.layers import Linear
from mushin.nn.losses import mse
from mushin.nn.optimizers import SGD


def main() -> None:
    mu.seed(0)
    x = mu.eye((16, 1, 1, 3), 1.0).freeze()
    y = mu.eye((16, 1, 1, 5), 3.0).freeze()

    linear = Linear(3, 5)
    optimizer = SGD(linear.parameters(), lr=0.01)

    for step in range(5):
        z = relu(linear(x))
        loss = mse(z, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        print(f"step {step}: loss {loss.item():.6f}")


if __name__ == "__main__":
    main()
