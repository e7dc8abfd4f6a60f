# pyright: strict
"""A program that annotates no tensor: the checkers infer plain ``int`` sizes (or shapes
known only at run time) and accept everything that runs, broadcasts of every rank included."""

import numpy as np

import mushin as mu


def square_sum(x: mu.Variable) -> mu.Variable:
    """A helper for tensors of any shape: a bare ``mu.Variable`` is one of run-time shape."""
    return (x ** 2).sum()


def main() -> None:
    mu.seed(0)
    images = mu.randn((2, 3, 4, 4))
    bias = mu.randn((3, 1, 1))
    shifted = images + bias  # [B, C, H, W] + [C, 1, 1]
    sequence = mu.randn((2, 5, 8))
    positions = mu.randn((5, 8))
    embedded = positions + sequence  # [T, D] + [B, T, D]
    x = mu.randn((6, 8))
    w = mu.randn((8, 3))
    b = mu.zeros((3,))
    scale = mu.ones((6, 1))
    logits = (x @ w + b) * scale
    probabilities = mu.exp(logits - mu.logsumexp(logits, axis=1, keepdims=True))
    loss = -mu.mean(mu.log(probabilities[np.arange(6), np.zeros(6, dtype=np.int64)]))
    loss.backward()
    assert w.grad().shape == (8, 3)

    data = mu.variable(np.linspace(0.0, 1.0, 12).reshape(3, 4))
    flat = data.reshape(-1)
    grid = flat.reshape(4, 3)
    rows = list(grid)
    stacked = mu.stack(rows)
    joined = mu.concat([grid, grid], axis=0)
    masked = mu.where(grid > 0.5, grid, 0.0)
    clipped = mu.clip(joined, 0.1, 0.9)
    pairs = [(row.sum(), column) for row, column in zip(grid, grid.T, strict=False)]
    with mu.no_grad():
        data = data - 0.1 * square_sum(data)
    assert mu.testing.gradcheck(square_sum, np.ones((2, 2)))
    assert stacked.shape == (4, 3) and masked.shape == (4, 3)
    assert clipped.shape == (8, 3) and len(pairs) == 3 and data.shape == (3, 4)
    assert shifted.shape == (2, 3, 4, 4) and embedded.shape == (2, 5, 8)
    assert abs(-loss).item() > 0 and float(mu.max(x).item()) > float(mu.min(x).item())


if __name__ == "__main__":
    main()
