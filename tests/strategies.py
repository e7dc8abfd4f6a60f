"""Hypothesis strategies shared by the tests: shapes, float64 arrays and axis arguments.

Shapes are small (gradient checks perturb every element twice) and favour size-1 axes and
0-d tensors, where broadcasting and reductions most often go wrong. Values are bounded so
that every function under test is smooth and finite at them; strategies that feed a kink
(``abs``, ``maximum``, ``max``, ``clip``) keep the values away from it by a wide margin, since
finite differences across a kink measure nothing useful.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

MAX_SIDE = 4
"""The largest size of an axis: enough to tell axes apart, small enough to stay fast."""

_sides = st.sampled_from([1, 1, 2, 3, MAX_SIDE])


def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 1) -> st.SearchStrategy[
        tuple[int, ...]]:
    """Shapes of ``min_dims`` to ``max_dims`` axes, size-1 axes frequent, 0-d included."""
    sides = _sides.filter(lambda side: side >= min_side) if min_side > 1 else _sides
    return st.lists(sides, min_size=min_dims, max_size=max_dims).map(tuple)


def broadcast_pairs(min_dims: int = 0, max_dims: int = 3) -> st.SearchStrategy[
        tuple[tuple[int, ...], tuple[int, ...]]]:
    """Two shapes that broadcast together (size-1 axes and missing leading axes included)."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=2, min_dims=min_dims, max_dims=max_dims, max_side=MAX_SIDE).map(
        lambda drawn: (drawn.input_shapes[0], drawn.input_shapes[1]))


def arrays(shape: tuple[int, ...], low: float = -3.0, high: float = 3.0) -> st.SearchStrategy[
        np.ndarray[Any, Any]]:
    """float64 arrays of ``shape`` with values in ``[low, high]``."""
    elements = st.floats(low, high, allow_nan=False, allow_infinity=False,
                         allow_subnormal=False)
    return hnp.arrays(np.float64, shape, elements=elements)


def positive_arrays(shape: tuple[int, ...], low: float = 0.5,
                    high: float = 3.0) -> st.SearchStrategy[np.ndarray[Any, Any]]:
    """float64 arrays of positive values (logarithms, square roots, denominators, bases)."""
    return arrays(shape, low, high)


def nonzero_arrays(shape: tuple[int, ...], margin: float = 0.1) -> st.SearchStrategy[
        np.ndarray[Any, Any]]:
    """float64 arrays whose values are at least ``margin`` away from 0 (``abs``'s kink)."""
    magnitude = st.floats(margin, 3.0, allow_subnormal=False)
    elements = st.tuples(magnitude, st.sampled_from([-1.0, 1.0])).map(
        lambda pair: pair[0] * pair[1])
    return hnp.arrays(np.float64, shape, elements=elements)


def banded_arrays(shape: tuple[int, ...], low: float, high: float) -> st.SearchStrategy[
        np.ndarray[Any, Any]]:
    """float64 arrays of values ``k + u``, ``k`` an integer in [-3, 3], ``u`` in [low, high].

    Arrays drawn from disjoint bands never tie, nor come within the bands' gap of each other:
    the way to compare values (``maximum``, ``clip``) without a kink inside finite differences.
    """
    elements = st.tuples(st.integers(-3, 3), st.floats(low, high, allow_subnormal=False)).map(
        lambda pair: pair[0] + pair[1])
    return hnp.arrays(np.float64, shape, elements=elements)


def distinct_arrays(shape: tuple[int, ...]) -> st.SearchStrategy[np.ndarray[Any, Any]]:
    """float64 arrays whose values are pairwise at least 0.1 apart (no ties for max/min)."""
    elements = st.integers(-60, 60).map(lambda tenths: tenths / 10.0)
    return hnp.arrays(np.float64, shape, elements=elements, unique=True)


def axes(ndim: int) -> st.SearchStrategy[int | tuple[int, ...] | None]:
    """An axis argument for a tensor of ``ndim`` axes: None, an int or a tuple of distinct
    ints, negative values included."""
    single = st.integers(-ndim, ndim - 1) if ndim else st.nothing()
    several = hnp.valid_tuple_axes(ndim)
    return st.one_of(st.none(), single, several)
