"""Initialisers: fans, gains, the bounds and spreads PyTorch's formulas give, in-place filling,
reproducibility and errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import mushin as mu
from mushin._tensor import storage
from mushin.nn import init


def test_fans_follow_pytorch() -> None:
    assert init.fans(mu.zeros((30, 20))) == (20, 30)
    assert init.fans(mu.zeros((8, 4, 3, 5))) == (4 * 15, 8 * 15)
    with pytest.raises(ValueError, match="at least 2 axes"):
        init.fans(mu.zeros((5,)))
    with pytest.raises(TypeError, match="expected a mushin tensor"):
        init.fans(np.zeros((2, 2)))  # type: ignore[arg-type]


def test_gains_follow_pytorch() -> None:
    assert init.calculate_gain("linear") == 1.0
    assert init.calculate_gain("conv2d") == 1.0
    assert init.calculate_gain("sigmoid") == 1.0
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="unknown nonlinearity 'swish'"):
        init.calculate_gain("swish")


def _spread(values: np.ndarray) -> tuple[float, float]:
    return float(np.abs(values).max()), float(values.std())


def test_uniform_initialisers_fill_the_pytorch_interval() -> None:
    mu.seed(0)
    weight = mu.zeros((200, 100))
    assert init.kaiming_uniform(weight) is weight
    bound = math.sqrt(2) * math.sqrt(3 / 100)  # a=0: the gain of relu
    peak, std = _spread(weight.numpy())
    assert 0.98 * bound < peak <= bound * (1 + 1e-6)  # float32 rounding of the bound
    assert std == pytest.approx(bound / math.sqrt(3), rel=0.02)

    init.kaiming_uniform(weight, a=math.sqrt(5), mode="fan_out", nonlinearity="leaky_relu")
    bound = math.sqrt(2 / 6) * math.sqrt(3 / 200)
    assert 0.98 * bound < _spread(weight.numpy())[0] <= bound * (1 + 1e-6)

    init.xavier_uniform(weight, gain=2.0)
    bound = 2.0 * math.sqrt(6 / 300)
    assert 0.98 * bound < _spread(weight.numpy())[0] <= bound * (1 + 1e-6)


def test_normal_initialisers_have_the_pytorch_spread() -> None:
    mu.seed(1)
    weight = mu.zeros((300, 20, 2, 2), dtype="float64")
    init.kaiming_normal(weight, nonlinearity="relu")
    assert weight.numpy().std() == pytest.approx(math.sqrt(2) / math.sqrt(80), rel=0.02)
    assert abs(weight.numpy().mean()) < 0.01
    init.kaiming_normal(weight, mode="fan_out", nonlinearity="tanh")
    assert weight.numpy().std() == pytest.approx(5 / 3 / math.sqrt(1200), rel=0.02)
    init.xavier_normal(weight)
    assert weight.numpy().std() == pytest.approx(math.sqrt(2 / 1280), rel=0.02)
    assert weight.dtype == np.float64


def test_fills_are_in_place_and_reproducible() -> None:
    weight = mu.zeros((4, 3))
    data = storage(weight)
    mu.seed(5)
    first = init.xavier_normal(weight).numpy()
    mu.seed(5)
    np.testing.assert_array_equal(init.xavier_normal(weight).numpy(), first)
    assert storage(weight) is data
    assert init.zeros(weight) is weight
    np.testing.assert_array_equal(weight.numpy(), 0.0)
    np.testing.assert_array_equal(init.ones(weight).numpy(), 1.0)
    np.testing.assert_array_equal(init.constant(weight, 2.5).numpy(), 2.5)
    half = mu.zeros((1000,), dtype="float16")
    init.uniform(half, -1.0, 1.0)
    assert half.dtype == np.float16 and np.abs(half.numpy()).max() <= 1.0


def test_bad_arguments_raise() -> None:
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out'"):
        init.kaiming_uniform(mu.zeros((2, 2)), mode="fan_avg")
    with pytest.raises(TypeError, match="can only initialise a floating tensor"):
        init.normal(mu.constant(np.zeros((2, 2), dtype=np.int64)))
