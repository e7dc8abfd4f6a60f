"""Every operation of docs/api.md#operations: forward values against float64 NumPy, gradients
against central finite differences (``mu.testing.gradcheck``), on shapes drawn by Hypothesis
with broadcasting, size-1 axes and 0-d tensors.

Each operation is reached in every form a user can write it: the ``mu`` function, the
method, the operator, with Python scalars, NumPy arrays and ``Constant`` operands on either
side.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import strategies as draw_from
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import mushin as mu
from mushin.testing import gradcheck

Array = np.ndarray[Any, Any]
ArrayStrategy = Callable[[tuple[int, ...]], st.SearchStrategy[Array]]


def assert_values(result: Any, expected: Any, kind: type[Any] = mu.Variable,
                  rtol: float = 1e-10) -> None:
    """``result`` is a tensor of ``kind`` holding ``expected`` (shape and dtype included)."""
    expected = np.asarray(expected)
    assert isinstance(result, kind), f"expected a {kind.__name__}, got {type(result).__name__}"
    assert result.shape == expected.shape
    assert result.dtype == expected.dtype
    np.testing.assert_allclose(result.numpy(), expected, rtol=rtol, atol=1e-12)


def any_values(shape: tuple[int, ...]) -> st.SearchStrategy[Array]:
    return draw_from.arrays(shape)


def low_band(shape: tuple[int, ...]) -> st.SearchStrategy[Array]:
    return draw_from.banded_arrays(shape, 0.1, 0.4)


def high_band(shape: tuple[int, ...]) -> st.SearchStrategy[Array]:
    return draw_from.banded_arrays(shape, 0.6, 0.9)


def exponents(shape: tuple[int, ...]) -> st.SearchStrategy[Array]:
    return draw_from.arrays(shape, -2.0, 2.0)


# --- binary elementwise operations ---------------------------------------------------------

# (name, function, operator or None, NumPy's, values of the first and second operand). A
# scalar of 0.5 stays 0.1 away from the banded values (k + [0.1, 0.4] and k + [0.6, 0.9]).
BINARY: list[tuple[str, Callable[..., Any], Callable[..., Any] | None, Callable[..., Any],
                   ArrayStrategy, ArrayStrategy]] = [
    ("add", mu.add, operator.add, np.add, any_values, any_values),
    ("sub", mu.sub, operator.sub, np.subtract, any_values, any_values),
    ("mul", mu.mul, operator.mul, np.multiply, any_values, any_values),
    ("div", mu.div, operator.truediv, np.divide, any_values, draw_from.positive_arrays),
    ("pow", mu.pow, operator.pow, np.power, draw_from.positive_arrays, exponents),
    ("maximum", mu.maximum, None, np.maximum, low_band, high_band),
    ("minimum", mu.minimum, None, np.minimum, low_band, high_band),
]
BINARY_IDS = [case[0] for case in BINARY]
SCALAR = 0.5


def _forms(function: Callable[..., Any], symbol: Callable[..., Any] | None) -> list[
        Callable[..., Any]]:
    return [function] if symbol is None else [function, symbol]


@pytest.mark.parametrize(("name", "function", "symbol", "reference", "first", "second"),
                         BINARY, ids=BINARY_IDS)
@given(data=st.data())
def test_binary_operation_broadcasts_and_differentiates_both_operands(
        name: str, function: Callable[..., Any], symbol: Callable[..., Any] | None,
        reference: Callable[..., Any], first: ArrayStrategy, second: ArrayStrategy,
        data: st.DataObject) -> None:
    first_shape, second_shape = data.draw(draw_from.broadcast_pairs())
    a = data.draw(first(first_shape))
    b = data.draw(second(second_shape))
    for form in _forms(function, symbol):
        assert_values(form(mu.variable(a), mu.variable(b)), reference(a, b))
        assert gradcheck(form, a, b)


@pytest.mark.parametrize(("name", "function", "symbol", "reference", "first", "second"),
                         BINARY, ids=BINARY_IDS)
@given(data=st.data())
def test_binary_operation_with_a_python_scalar_on_either_side(
        name: str, function: Callable[..., Any], symbol: Callable[..., Any] | None,
        reference: Callable[..., Any], first: ArrayStrategy, second: ArrayStrategy,
        data: st.DataObject) -> None:
    shape = data.draw(draw_from.shapes())
    # The tensor takes each operand's place in turn, drawn from that operand's values.
    as_first = data.draw(first(shape))
    as_second = data.draw(second(shape))
    for form in _forms(function, symbol):
        assert_values(form(mu.variable(as_first), SCALAR), reference(as_first, SCALAR))
        assert_values(form(SCALAR, mu.variable(as_second)), reference(SCALAR, as_second))
        assert gradcheck(lambda x, form=form: form(x, SCALAR), as_first)
        assert gradcheck(lambda x, form=form: form(SCALAR, x), as_second)


@pytest.mark.parametrize(("name", "function", "symbol", "reference", "first", "second"),
                         BINARY, ids=BINARY_IDS)
@given(data=st.data())
def test_binary_operation_with_numpy_and_constant_operands_on_either_side(
        name: str, function: Callable[..., Any], symbol: Callable[..., Any] | None,
        reference: Callable[..., Any], first: ArrayStrategy, second: ArrayStrategy,
        data: st.DataObject) -> None:
    first_shape, second_shape = data.draw(draw_from.broadcast_pairs())
    a = data.draw(first(first_shape))
    b = data.draw(second(second_shape))
    for form in _forms(function, symbol):
        for wrap in (np.asarray, mu.constant):
            fixed_first, fixed_second = wrap(a), wrap(b)
            assert_values(form(mu.variable(a), fixed_second), reference(a, b))
            assert_values(form(fixed_first, mu.variable(b)), reference(a, b))
            assert gradcheck(lambda x, form=form, fixed=fixed_second: form(x, fixed), a)
            assert gradcheck(lambda x, form=form, fixed=fixed_first: form(fixed, x), b)


@given(data=st.data())
def test_pow_of_any_base_by_an_integer_exponent(data: st.DataObject) -> None:
    x = data.draw(draw_from.arrays(data.draw(draw_from.shapes())))
    assert_values(mu.variable(x) ** 3, x ** 3)
    assert_values(mu.variable(x) ** 2.0, x ** 2.0)
    assert gradcheck(lambda t: t ** 3, x)
    assert gradcheck(lambda t: mu.pow(t, 2), x)


# --- unary elementwise operations ----------------------------------------------------------

UNARY: list[tuple[str, Callable[..., Any], Callable[..., Any], ArrayStrategy,
                  Callable[..., Any] | None]] = [
    ("neg", mu.neg, np.negative, any_values, operator.neg),
    ("exp", mu.exp, np.exp, any_values, None),
    ("log", mu.log, np.log, draw_from.positive_arrays, None),
    ("sqrt", mu.sqrt, np.sqrt, draw_from.positive_arrays, None),
    ("abs", mu.abs, np.abs, draw_from.nonzero_arrays, abs),
    ("sin", mu.sin, np.sin, any_values, None),
    ("cos", mu.cos, np.cos, any_values, None),
    ("tanh", mu.tanh, np.tanh, any_values, None),
    ("atan", mu.atan, np.arctan, any_values, None),
]


@pytest.mark.parametrize(("name", "function", "reference", "values", "symbol"), UNARY,
                         ids=[case[0] for case in UNARY])
@given(data=st.data())
def test_unary_operation(name: str, function: Callable[..., Any],
                         reference: Callable[..., Any], values: ArrayStrategy,
                         symbol: Callable[..., Any] | None, data: st.DataObject) -> None:
    x = data.draw(values(data.draw(draw_from.shapes())))
    forms: list[Callable[..., Any]] = [function, lambda t: getattr(t, name)()]
    if symbol is not None:
        forms.append(symbol)
    for form in forms:
        assert_values(form(mu.variable(x)), reference(x))
        assert_values(form(mu.constant(x)), reference(x), kind=mu.Constant)
        assert gradcheck(form, x)


def test_atan_matches_pytorch_to_second_order() -> None:
    """``mu.atan`` against ``torch.atan``: values, gradients and second derivatives (through
    ``backward(create_graph=True)``), on large and tiny inputs too."""
    torch = pytest.importorskip("torch")
    values = np.array([[-1e8, -3.0, -0.5, -1e-12, 0.0], [1e-12, 0.75, 2.0, 40.0, 1e8]])
    seed = np.random.default_rng(7).standard_normal(values.shape)
    ours = mu.variable(values)
    theirs = torch.tensor(values, requires_grad=True)
    np.testing.assert_allclose(mu.atan(ours).numpy(), torch.atan(theirs).detach().numpy(),
                               rtol=1e-15, atol=0)
    (ours.atan() * mu.constant(seed)).sum().backward(create_graph=True)
    (theirs_grad,) = torch.autograd.grad((torch.atan(theirs) * torch.tensor(seed)).sum(),
                                         theirs, create_graph=True)
    first = ours.grad()
    np.testing.assert_allclose(first.numpy(), theirs_grad.detach().numpy(), rtol=1e-15, atol=0)
    ours.reset()
    (first * first).sum().backward()
    (theirs_grad * theirs_grad).sum().backward()
    assert theirs.grad is not None
    np.testing.assert_allclose(ours.grad().numpy(), theirs.grad.numpy(), rtol=1e-14,
                               atol=1e-300)


# --- where and clip ------------------------------------------------------------------------

@given(data=st.data())
def test_where_picks_elementwise_and_routes_gradients(data: st.DataObject) -> None:
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3,
                                                         max_side=draw_from.MAX_SIDE))
    condition_shape, first_shape, second_shape = shapes.input_shapes
    condition = data.draw(hnp.arrays(np.bool_, condition_shape))
    a = data.draw(draw_from.arrays(first_shape))
    b = data.draw(draw_from.arrays(second_shape))
    expected = np.where(condition, a, b)
    for mask in (condition, mu.constant(condition)):
        assert_values(mu.where(mask, mu.variable(a), mu.variable(b)), expected)
        assert gradcheck(lambda x, y, mask=mask: mu.where(mask, x, y), a, b)
    assert_values(mu.where(condition, mu.variable(a), 0.0), np.where(condition, a, 0.0))
    assert gradcheck(lambda x: mu.where(condition, 0.5, x), b)


def test_where_with_a_mask_from_a_comparison() -> None:
    values = np.array([[-1.5, 0.5, 2.0], [0.25, -0.75, 3.0]])
    x = mu.variable(values)
    assert_values(mu.where(x > 0, x, -x), np.abs(values))
    assert gradcheck(lambda t: mu.where(t > 0, t * t, -t), values)


@given(data=st.data())
def test_clip_with_scalar_bounds(data: st.DataObject) -> None:
    # Values k + [0.1, 0.4] stay at least 0.1 away from bounds of the form k + 0.5.
    x = data.draw(low_band(data.draw(draw_from.shapes())))
    cases: list[tuple[Callable[..., Any], Array]] = [
        (lambda t: mu.clip(t, -1.5, 1.5), np.clip(x, -1.5, 1.5)),
        (lambda t: t.clip(-0.5, 2.5), np.clip(x, -0.5, 2.5)),
        (lambda t: mu.clip(t, None, 0.5), np.minimum(x, 0.5)),
        (lambda t: mu.clip(t, -1.5, None), np.maximum(x, -1.5)),
    ]
    for function, expected in cases:
        assert_values(function(mu.variable(x)), expected)
        assert gradcheck(function, x)


@given(data=st.data())
def test_clip_with_tensor_bounds(data: st.DataObject) -> None:
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3,
                                                         max_side=draw_from.MAX_SIDE))
    x_shape, lo_shape, hi_shape = shapes.input_shapes
    # Three disjoint bands: no element of x, lo and hi ever ties with another.
    x = data.draw(draw_from.banded_arrays(x_shape, 0.05, 0.25))
    lo = data.draw(draw_from.banded_arrays(lo_shape, 0.4, 0.6))
    hi = data.draw(draw_from.banded_arrays(hi_shape, 0.75, 0.95))
    assert_values(mu.clip(mu.variable(x), mu.variable(lo), mu.variable(hi)),
                  np.clip(x, lo, hi))
    assert gradcheck(mu.clip, x, lo, hi)
    assert gradcheck(lambda t: mu.clip(t, mu.constant(lo), hi), x)


# --- matrix products -----------------------------------------------------------------------

@given(data=st.data())
def test_mm_broadcasts_leading_axes(data: st.DataObject) -> None:
    first_batch, second_batch = data.draw(draw_from.broadcast_pairs(max_dims=2))
    rows, inner, columns = (data.draw(st.integers(1, 3)) for _ in range(3))
    a = data.draw(draw_from.arrays((*first_batch, rows, inner)))
    b = data.draw(draw_from.arrays((*second_batch, inner, columns)))
    forms: list[Callable[..., Any]] = [mu.mm, mu.matmul, operator.matmul,
                                       lambda x, y: x.mm(y), lambda x, y: x.matmul(y)]
    for form in forms:
        assert_values(form(mu.variable(a), mu.variable(b)), np.matmul(a, b))
    assert gradcheck(mu.mm, a, b)
    assert gradcheck(operator.matmul, a, b)
    assert gradcheck(lambda x: x @ mu.constant(b), a)
    assert gradcheck(lambda y: a @ y, b)


@pytest.mark.parametrize(("first_shape", "second_shape"), [
    ((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)), ((2, 4, 3), (3,)), ((3,), (2, 3, 4)),
    ((1,), (1, 5)),
])
def test_matmul_with_vectors(first_shape: tuple[int, ...],
                             second_shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(11)
    a, b = rng.standard_normal(first_shape), rng.standard_normal(second_shape)
    assert_values(mu.variable(a) @ mu.variable(b), np.matmul(a, b))
    assert_values(mu.matmul(mu.variable(a), b), np.matmul(a, b))
    assert gradcheck(operator.matmul, a, b)


# --- reductions ----------------------------------------------------------------------------

def _numpy_logsumexp(x: Array, axis: Any, keepdims: bool) -> Array:
    return np.asarray(np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims)))


REDUCTIONS: list[tuple[str, Callable[..., Any], Callable[..., Any], ArrayStrategy]] = [
    ("sum", mu.sum, np.sum, any_values),
    ("mean", mu.mean, np.mean, any_values),
    ("max", mu.max, np.max, draw_from.distinct_arrays),
    ("min", mu.min, np.min, draw_from.distinct_arrays),
    ("logsumexp", mu.logsumexp, _numpy_logsumexp, any_values),
]


@pytest.mark.parametrize(("name", "function", "reference", "values"), REDUCTIONS,
                         ids=[case[0] for case in REDUCTIONS])
@given(data=st.data())
def test_reduction(name: str, function: Callable[..., Any], reference: Callable[..., Any],
                   values: ArrayStrategy, data: st.DataObject) -> None:
    shape = data.draw(draw_from.shapes())
    x = data.draw(values(shape))
    axis = data.draw(draw_from.axes(len(shape)))
    keepdims = data.draw(st.booleans())
    # axis=() is every axis in mushin (PyTorch's dim=()), no axis in NumPy.
    numpy_axis = None if axis == () else axis
    expected = np.asarray(reference(x, axis=numpy_axis, keepdims=keepdims))
    assert_values(function(mu.variable(x), axis=axis, keepdims=keepdims), expected)
    assert_values(getattr(mu.variable(x), name)(axis=axis, keepdims=keepdims), expected)
    assert gradcheck(lambda t: function(t, axis=axis, keepdims=keepdims), x)


@given(data=st.data())
def test_var_with_ddof(data: st.DataObject) -> None:
    shape = data.draw(draw_from.shapes())
    x = data.draw(draw_from.arrays(shape))
    axis = data.draw(draw_from.axes(len(shape)))
    keepdims = data.draw(st.booleans())
    ddof = data.draw(st.sampled_from([0, 1]))
    numpy_axis = None if axis == () else axis  # () is every axis, as PyTorch's dim=()
    reduced = range(len(shape)) if numpy_axis is None else np.atleast_1d(numpy_axis)
    assume(int(np.prod([shape[index] for index in reduced])) > ddof)
    expected = np.var(x, axis=numpy_axis, keepdims=keepdims, ddof=ddof)
    assert_values(mu.var(mu.variable(x), axis=axis, keepdims=keepdims, ddof=ddof), expected)
    assert_values(mu.variable(x).var(axis=axis, keepdims=keepdims, correction=ddof), expected)
    assert gradcheck(lambda t: mu.var(t, axis=axis, keepdims=keepdims, ddof=ddof), x)


def test_max_shares_the_gradient_among_ties() -> None:
    x = mu.variable(np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]))
    x.max(axis=1).backward()
    np.testing.assert_allclose(x.grad().numpy(), [[0.0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])


def test_logsumexp_does_not_overflow() -> None:
    x = np.array([1000.0, 1000.0, -1000.0])
    assert_values(mu.logsumexp(mu.variable(x)), np.asarray(1000.0 + np.log(2.0)))
    assert gradcheck(mu.logsumexp, x)


# --- shape operations ----------------------------------------------------------------------

@given(data=st.data())
def test_transpose(data: st.DataObject) -> None:
    shape = data.draw(draw_from.shapes())
    x = data.draw(draw_from.arrays(shape))
    order = data.draw(st.permutations(range(len(shape))))
    negative = tuple(axis - len(shape) for axis in order)
    assert_values(mu.transpose(mu.variable(x)), np.transpose(x))
    assert_values(mu.transpose(mu.variable(x), order), np.transpose(x, order))
    assert_values(mu.variable(x).transpose(negative), np.transpose(x, order))
    assert gradcheck(mu.transpose, x)
    assert gradcheck(lambda t: mu.transpose(t, order), x)


@given(data=st.data())
def test_T_and_mT_swap_the_last_two_axes(data: st.DataObject) -> None:
    x = data.draw(draw_from.arrays(data.draw(draw_from.shapes(min_dims=2, max_dims=4))))
    expected = np.swapaxes(x, -1, -2)
    assert_values(mu.variable(x).T, expected)
    assert_values(mu.variable(x).mT, expected)
    assert gradcheck(lambda t: t.T, x)
    assert gradcheck(lambda t: t.mT, x)


@given(data=st.data())
def test_flatten_and_reshape(data: st.DataObject) -> None:
    shape = data.draw(draw_from.shapes())
    x = data.draw(draw_from.arrays(shape))
    target: tuple[int, ...] = tuple(data.draw(st.permutations(shape)))
    infer_one: bool = data.draw(st.booleans())
    if target and infer_one:
        unknown = data.draw(st.integers(0, len(target) - 1))
        target = (*target[:unknown], -1, *target[unknown + 1:])
    expected = np.reshape(x, target)
    assert_values(mu.flatten(mu.variable(x)), x.reshape(-1))
    assert_values(mu.variable(x).flatten(), x.reshape(-1))
    assert_values(mu.reshape(mu.variable(x), target), expected)
    assert_values(mu.variable(x).reshape(target), expected)
    if target:
        assert_values(mu.variable(x).reshape(*target), expected)
    assert gradcheck(mu.flatten, x)
    assert gradcheck(lambda t: t.reshape(target), x)


@given(data=st.data())
def test_expand_dims_and_squeeze(data: st.DataObject) -> None:
    shape = data.draw(draw_from.shapes())
    x = data.draw(draw_from.arrays(shape))
    new_ndim = len(shape) + 1
    axis = data.draw(st.integers(-new_ndim, new_ndim - 1))
    assert_values(mu.expand_dims(mu.variable(x), axis), np.expand_dims(x, axis))
    assert_values(mu.variable(x).expand_dims(axis), np.expand_dims(x, axis))
    both = (0, -1)
    assert_values(mu.expand_dims(mu.variable(x), both), np.expand_dims(x, both))
    assert gradcheck(lambda t: mu.expand_dims(t, axis), x)

    assert_values(mu.squeeze(mu.variable(x)), np.squeeze(x))
    ones = [index for index, side in enumerate(shape) if side == 1]
    chosen = tuple(data.draw(st.lists(st.sampled_from(ones), unique=True))) if ones else ()
    chosen = tuple(index - len(shape) if data.draw(st.booleans()) else index
                   for index in chosen)
    assert_values(mu.squeeze(mu.variable(x), chosen), np.squeeze(x, chosen))
    assert_values(mu.variable(x).squeeze(chosen), np.squeeze(x, chosen))
    assert gradcheck(mu.squeeze, x)
    assert gradcheck(lambda t: mu.squeeze(t, chosen), x)


@given(data=st.data())
def test_broadcast_to_sums_the_gradient_back(data: st.DataObject) -> None:
    shape, other = data.draw(draw_from.broadcast_pairs())
    target = np.broadcast_shapes(shape, other)
    x = data.draw(draw_from.arrays(shape))
    assert_values(mu.broadcast_to(mu.variable(x), target), np.broadcast_to(x, target))
    assert_values(mu.variable(x).broadcast_to(target), np.broadcast_to(x, target))
    assert gradcheck(lambda t: mu.broadcast_to(t, target), x)


@given(data=st.data())
def test_concat(data: st.DataObject) -> None:
    shape = data.draw(draw_from.shapes(min_dims=1))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    sizes = data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    parts = [data.draw(draw_from.arrays(
        tuple(size if index == axis % len(shape) else side for index, side in enumerate(shape))))
        for size in sizes]
    expected = np.concatenate(parts, axis=axis)
    assert_values(mu.concat([mu.variable(part) for part in parts], axis), expected)
    assert gradcheck(lambda *tensors: mu.concat(tensors, axis=axis), *parts)
    # A Constant among the parts gets no gradient; the others still do.
    fixed = mu.constant(parts[0])
    assert gradcheck(lambda *tensors: mu.concat([fixed, *tensors], axis=axis), *parts)


@given(data=st.data())
def test_stack(data: st.DataObject) -> None:
    shape = data.draw(draw_from.shapes(max_dims=2))
    count = data.draw(st.integers(1, 3))
    parts = [data.draw(draw_from.arrays(shape)) for _ in range(count)]
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    assert_values(mu.stack([mu.variable(part) for part in parts], axis), np.stack(parts, axis))
    assert gradcheck(lambda *tensors: mu.stack(tensors, axis=axis), *parts)


# --- indexing ------------------------------------------------------------------------------

@given(data=st.data())
def test_basic_indexing(data: st.DataObject) -> None:
    shape = data.draw(draw_from.shapes(min_dims=1))
    x = data.draw(draw_from.arrays(shape))
    index = data.draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
    assert_values(mu.variable(x)[index], x[index])
    assert gradcheck(lambda t: t[index], x)


@given(data=st.data())
def test_integer_array_indexing(data: st.DataObject) -> None:
    shape = data.draw(draw_from.shapes(min_dims=1))
    x = data.draw(draw_from.arrays(shape))
    index = data.draw(hnp.integer_array_indices(shape))
    assert_values(mu.variable(x)[index], x[index])
    assert gradcheck(lambda t: t[index], x)


@pytest.mark.parametrize("index", [
    (1, slice(None), 2), (slice(None, None, -1),), (slice(3, 0, -2), Ellipsis, slice(None, 1)),
    (Ellipsis, None, -1), (None, 0, slice(1, None)), (np.array([0, 0, 3, 0]),),
    (slice(None), np.array([[4, 0], [4, 4]])), (np.array([1, 1]), slice(None), np.array([0, 2])),
    ([2, 2, 0],), (-1, -2, -3),
], ids=repr)
def test_indexing_cases(index: Any) -> None:
    x = np.random.default_rng(5).standard_normal((4, 5, 3))
    assert_values(mu.variable(x)[index], x[index])
    assert gradcheck(lambda t: t[index], x)


def test_repeated_integer_indices_accumulate_their_gradients() -> None:
    x = mu.variable(np.arange(4.0))
    x[np.array([0, 0, 2, 0])].backward()
    assert_values(x.grad(), np.array([3.0, 0.0, 1.0, 0.0]))


def test_bool_mask_indexing() -> None:
    values = np.random.default_rng(6).standard_normal((3, 4))
    x = mu.variable(values)
    assert_values(x[x > 0], values[values > 0])
    assert_values(x[values < 0], values[values < 0])
    rows = np.array([True, False, True])
    assert_values(x[rows], values[rows])
    assert_values(x[mu.constant(rows), 1:], values[rows, 1:])
    assert gradcheck(lambda t: t[t > 0], values)
    assert gradcheck(lambda t: t[rows] * 2.0, values)


# --- comparisons and casts -----------------------------------------------------------------

COMPARISONS = [operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne]


@pytest.mark.parametrize("compare", COMPARISONS, ids=lambda function: function.__name__)
@given(data=st.data())
def test_comparison_gives_a_constant_bool_mask(compare: Callable[..., Any],
                                               data: st.DataObject) -> None:
    first_shape, second_shape = data.draw(draw_from.broadcast_pairs())
    # Small integers, so that equal elements are common.
    small = st.integers(-1, 1).map(float)
    a = data.draw(hnp.arrays(np.float64, first_shape, elements=small))
    b = data.draw(hnp.arrays(np.float64, second_shape, elements=small))
    expected = compare(a, b)
    assert_values(compare(mu.variable(a), mu.variable(b)), expected, kind=mu.Constant)
    assert_values(compare(mu.variable(a), mu.constant(b)), expected, kind=mu.Constant)
    assert_values(compare(mu.variable(a), b), expected, kind=mu.Constant)
    assert_values(compare(a, mu.variable(b)), expected, kind=mu.Constant)
    assert_values(compare(mu.variable(a), 0.0), compare(a, 0.0), kind=mu.Constant)
    assert_values(compare(0.0, mu.variable(b)), compare(0.0, b), kind=mu.Constant)


def test_astype_casts_values_and_casts_the_gradient_back() -> None:
    values = np.array([[0.1, -2.5], [3.25, 1e-3]])
    x = mu.variable(values)
    narrow = x.astype("float32")
    assert_values(narrow, values.astype(np.float32))
    assert_values(mu.astype(x, np.float32), values.astype(np.float32))
    (narrow * 2.0).sum().backward()
    assert_values(x.grad(), np.full((2, 2), 2.0))
    assert gradcheck(lambda t: (t.astype("float64") * t).astype(np.float64), values)
    counts = mu.constant(np.array([1, 2, 3]))
    assert_values(counts.astype("float64"), np.array([1.0, 2.0, 3.0]), kind=mu.Constant)


# --- compositions and methods --------------------------------------------------------------

@given(data=st.data())
def test_composite_layer_expression(data: st.DataObject) -> None:
    batch, features, outputs = (data.draw(st.integers(1, 3)) for _ in range(3))
    x = data.draw(draw_from.arrays((batch, features)))
    w = data.draw(draw_from.arrays((features, outputs)))
    b = data.draw(draw_from.arrays((outputs,)))
    expected = np.tanh(x @ w + b).sum(axis=-1) * np.exp(-np.mean(x))
    layer = mu.tanh(mu.variable(x) @ mu.variable(w) + mu.variable(b)).sum(axis=-1)
    assert_values(layer * mu.exp(-mu.variable(x).mean()), expected)
    assert gradcheck(lambda x, w, b: mu.tanh(x @ w + b).sum(axis=-1) * mu.exp(-x.mean()),
                     x, w, b)


@given(data=st.data())
def test_composite_softmax_and_normalisation(data: st.DataObject) -> None:
    x = data.draw(draw_from.distinct_arrays(data.draw(draw_from.shapes(min_dims=1,
                                                                       min_side=2))))

    def softmax(t: Any) -> Any:
        shifted = mu.exp(t - t.max(axis=-1, keepdims=True))
        return shifted / shifted.sum(axis=-1, keepdims=True)

    def normalise(t: Any) -> Any:
        return (t - t.mean(axis=0)) / mu.sqrt(t.var(axis=0, correction=0) + 1e-1)

    shifted = np.exp(x - x.max(axis=-1, keepdims=True))
    assert_values(softmax(mu.variable(x)), shifted / shifted.sum(axis=-1, keepdims=True))
    assert_values(normalise(mu.variable(x)),
                  (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + 1e-1))
    assert gradcheck(softmax, x)
    assert gradcheck(normalise, x)


def test_composite_expressions_with_methods() -> None:
    rng = np.random.default_rng(8)
    a, b = rng.standard_normal((3, 4)), rng.uniform(0.5, 2.0, (3, 4))
    expressions: list[Callable[..., Any]] = [
        lambda x, y: x.sum(),
        lambda x, y: x.reshape(2, 6).mean(axis=1),
        lambda x, y: x.reshape((4, 3)) @ y,
        lambda x, y: (x.T @ x).logsumexp(axis=0),
        lambda x, y: y.log().exp().sqrt() * x.sin().cos(),
        lambda x, y: mu.log(1.0 + mu.exp(x)) * mu.sin(y) - mu.cos(x * y) / (1.0 + y * y),
        lambda x, y: (x * x + x) * x - 2.0 / y + y ** x,
        lambda x, y: mu.stack([x, y * x], axis=1)[:, 1, ::-1].flatten(),
        lambda x, y: mu.where(x > 0, x, y).var(axis=(0, 1), ddof=1),
    ]
    for expression in expressions:
        assert gradcheck(expression, a, b)
