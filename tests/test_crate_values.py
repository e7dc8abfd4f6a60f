"""The values the Rust crate ``mushin`` 0.5 documents and tests, reproduced exactly.

The crate computes in float32 (the default here too); each expected value below is worked
out by hand from the inputs, and the float64 runs pin the transcendental ones to full
precision.
"""

from __future__ import annotations

import numpy as np
import pytest

import mushin as mu


def test_mm_of_two_scaled_identities() -> None:
    x = mu.eye((1, 1, 3, 2), 3.0)
    y = mu.eye((1, 1, 2, 4), 2.0)
    z = mu.mm(x, y)
    expected = np.zeros((1, 1, 3, 4), dtype=np.float32)
    expected[0, 0, 0, 0] = expected[0, 0, 1, 1] = 6.0
    assert z.shape == (1, 1, 3, 4)
    assert z.dtype == np.float32
    np.testing.assert_array_equal(z.numpy(), expected)
    z.backward()
    np.testing.assert_array_equal(x.grad().numpy(), np.full((1, 1, 3, 2), 2.0))
    np.testing.assert_array_equal(y.grad().numpy(), np.full((1, 1, 2, 4), 3.0))


def test_div_of_two_fills() -> None:
    x = mu.fill((1, 1, 3, 2), 2.0)
    y = mu.fill((1, 1, 3, 2), 4.0)
    z = mu.div(x, y)
    np.testing.assert_array_equal(z.numpy(), np.full((1, 1, 3, 2), 0.5))
    z.backward()
    np.testing.assert_array_equal(x.grad().numpy(), np.full((1, 1, 3, 2), 0.25))
    np.testing.assert_array_equal(y.grad().numpy(), np.full((1, 1, 3, 2), -0.125))


@pytest.mark.parametrize(("dtype", "rtol"), [("float32", 1e-7), ("float64", 1e-15)])
def test_sin_of_a_scaled_identity(dtype: str, rtol: float) -> None:
    x = mu.eye((1, 1, 2, 3), 0.5, dtype=dtype)
    z = mu.sin(x)
    diagonal = np.eye(2, 3, dtype=bool)
    expected = np.where(diagonal, 0.479425538604203, 0.0).reshape(1, 1, 2, 3)
    assert z.dtype == np.dtype(dtype)
    np.testing.assert_allclose(z.numpy(), expected, rtol=rtol, atol=0)
    z.backward()
    gradient = np.where(diagonal, 0.8775825618903728, 1.0).reshape(1, 1, 2, 3)
    np.testing.assert_allclose(x.grad().numpy(), gradient, rtol=rtol, atol=0)


def test_perceptron() -> None:
    x = mu.eye((1, 1, 2, 3), 3.0).freeze()
    w = mu.randn((1, 1, 3, 2))
    b = mu.fill((1, 1, 3, 3), 0.0)
    z = mu.add(mu.mm(w, x), b)
    assert type(z) is mu.Variable
    inputs = x.numpy()[0, 0]
    np.testing.assert_allclose(z.numpy()[0, 0], w.numpy()[0, 0] @ inputs, rtol=1e-6)
    z.backward()
    np.testing.assert_array_equal(b.grad().numpy(), np.ones((1, 1, 3, 3)))
    np.testing.assert_array_equal(w.grad().numpy()[0, 0], np.ones((3, 3)) @ inputs.T)
    np.testing.assert_array_equal(w.grad().numpy()[0, 0], np.full((3, 2), 3.0))
    with pytest.raises(TypeError, match="unfreeze"):
        x.grad()  # type: ignore[attr-defined]  # reported statically too
