"""The crate's perceptron example in Python: build a small graph and read its gradients.

    python examples/perceptron.py
"""

from __future__ import annotations

import numpy as np

import mushin as mu


def main() -> None:
    mu.seed(0)
    x = mu.eye((1, 1, 2, 3), 3.0).freeze()  # a Constant: not tracked
    w = mu.randn((1, 1, 3, 2))  # Variables: tracked
    b = mu.fill((1, 1, 3, 3), 0.0)

    z = mu.add(mu.mm(w, x), b)
    z.backward()

    print("z =", z.numpy()[0, 0], sep="\n")
    print("dz/dw =", w.grad().numpy()[0, 0], sep="\n")
    print("dz/db =", b.grad().numpy()[0, 0], sep="\n")
    expected = np.ones((3, 3)) @ x.numpy()[0, 0].T
    assert np.allclose(w.grad().numpy()[0, 0], expected), "dz/dw should be ones(3, 3) @ x.T"
    assert np.all(b.grad().numpy() == 1.0), "dz/db should be all ones"
    print("gradients check out: dz/dw = ones(3, 3) @ x.T and dz/db = 1")


if __name__ == "__main__":
    main()
