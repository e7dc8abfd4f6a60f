# pyright: strict
"""A plain autodiff program, annotated: derivatives of a function of a vector, second
derivatives, and the gradient of a least-squares fit, checked against their closed forms."""

from typing import Literal as L

import numpy as np

import mushin as mu

Points = L[5]
Features = L[3]


def derivatives() -> None:
    """d/dx and d2/dx2 of f(x) = x sin(x), elementwise on five points."""
    x_values = np.linspace(-2.0, 2.0, 5)
    x: mu.Variable[Points] = mu.custom(list(x_values), (5,), dtype="float64")
    f: mu.Variable[Points] = x * mu.sin(x)
    f.backward(create_graph=True)
    first: mu.Variable[Points] = x.grad()
    np.testing.assert_allclose(first.numpy(), np.sin(x_values) + x_values * np.cos(x_values))

    x.reset()
    first.backward()
    second: mu.Variable[Points] = x.grad()
    np.testing.assert_allclose(second.numpy(),
                               2 * np.cos(x_values) - x_values * np.sin(x_values))


def least_squares() -> None:
    """The gradient of 0.5 |A w - y|^2 with respect to w is A^T (A w - y)."""
    mu.seed(0)
    design_variable: mu.Variable[Points, Features] = mu.randn((5, 3), dtype="float64")
    design = design_variable.freeze()
    target_variable: mu.Variable[Points, L[1]] = mu.randn((5, 1), dtype="float64")
    target = target_variable.freeze()
    weights: mu.Variable[Features, L[1]] = mu.zeros((3, 1), dtype="float64")

    residual: mu.Variable[Points, L[1]] = design @ weights - target
    loss: mu.Variable[*tuple[()]] = 0.5 * mu.sum(residual * residual)
    loss.backward()
    gradient: mu.Variable[Features, L[1]] = weights.grad()
    expected = design.numpy().T @ (design.numpy() @ weights.numpy() - target.numpy())
    np.testing.assert_allclose(gradient.numpy(), expected)

    # A gradient step under no_grad gives a new leaf of the same type.
    with mu.no_grad():
        stepped: mu.Variable[Features, L[1]] = weights - 0.1 * weights.grad()
    assert stepped.grad().numpy().sum() == 0.0

    # Constants combine into Constants; a Variable anywhere makes a Variable.
    scaled: mu.Constant[Points, Features] = design * 2.0 + design
    mixed: mu.Variable[Points, Features] = scaled * design_variable
    back_to_leaf: mu.Variable[Points, Features] = scaled.unfreeze()
    detached: mu.Constant[Points, Features] = mixed.detach()
    assert back_to_leaf.shape == detached.shape == (5, 3)


def main() -> None:
    derivatives()
    least_squares()


if __name__ == "__main__":
    main()
