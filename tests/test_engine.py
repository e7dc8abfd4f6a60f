"""The engine (docs/api.md#tensors): the kind rule and dtypes of results, backward through
chains and diamonds, gradient accumulation and ``reset``, what the graph keeps alive and
when it is freed, ``no_grad`` and ``detect_anomaly`` (per thread), higher-order gradients,
seeds, and ``mu.testing.gradcheck`` itself.

Liveness is checked with weak references to arrays the graph saves, without calling
``gc.collect()``: the graph must be freed by reference counting alone, as soon as the last
reference goes.
"""

from __future__ import annotations

import operator
import threading
import weakref
from collections.abc import Callable
from itertools import count
from typing import Any

import numpy as np
import pytest

import mushin as mu
from mushin._graph import Primitive
from mushin._tensor import apply, storage
from mushin.testing import gradcheck

OPERATORS = [operator.add, operator.sub, operator.mul, operator.truediv, operator.pow,
             operator.matmul, mu.maximum, mu.minimum]


def _operands(kind: str) -> Any:
    values = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    makers: dict[str, Callable[[], Any]] = {
        "variable": lambda: mu.variable(values),
        "constant": lambda: mu.constant(values),
        "numpy": lambda: values.copy(),
        "scalar": lambda: 1.5,
    }
    return makers[kind]()


# --- the kind rule and dtypes --------------------------------------------------------------

KIND_CASES = [
    ("variable", "variable", mu.Variable), ("variable", "constant", mu.Variable),
    ("constant", "variable", mu.Variable), ("variable", "numpy", mu.Variable),
    ("numpy", "variable", mu.Variable), ("variable", "scalar", mu.Variable),
    ("scalar", "variable", mu.Variable), ("constant", "constant", mu.Constant),
    ("constant", "numpy", mu.Constant), ("numpy", "constant", mu.Constant),
    ("constant", "scalar", mu.Constant), ("scalar", "constant", mu.Constant),
]


@pytest.mark.parametrize(("combine", "first", "second", "kind"), [
    pytest.param(combine, first, second, kind, id=f"{combine.__name__}-{first}-{second}")
    for combine in OPERATORS for first, second, kind in KIND_CASES
    if not (combine is operator.matmul and "scalar" in (first, second))
])
def test_kind_rule(combine: Callable[..., Any], first: str, second: str,
                   kind: type[Any]) -> None:
    result = combine(_operands(first), _operands(second))
    assert type(result) is kind
    assert result.dtype == np.float32


def test_unary_operations_and_reductions_keep_the_kind() -> None:
    for tensor, kind in ((mu.ones((2, 3)), mu.Variable), (mu.ones((2, 3)).freeze(),
                                                          mu.Constant)):
        assert type(mu.exp(tensor)) is kind
        assert type(tensor.sum(axis=0)) is kind
        assert type(tensor.reshape(3, 2)) is kind
        assert type(tensor[0]) is kind
        assert type(mu.concat([tensor, tensor], 0)) is kind
    assert type(mu.concat([mu.ones((2,)).freeze(), mu.ones((2,))], 0)) is mu.Variable


def test_freeze_shares_the_values_and_unfreeze_makes_a_new_leaf() -> None:
    x = mu.variable([1.0, 2.0])
    frozen = x.freeze()
    assert type(frozen) is mu.Constant
    assert np.shares_memory(frozen.array(), x.array())
    leaf = (frozen * 2.0).unfreeze()
    assert type(leaf) is mu.Variable
    (leaf * leaf).sum().backward()
    np.testing.assert_array_equal(leaf.grad().numpy(), [4.0, 8.0])
    assert not x.grad().numpy().any()


def test_integer_data_stays_integer_in_a_constant_and_becomes_float32_in_a_variable() -> None:
    labels = mu.constant([0, 2, 1])
    assert labels.dtype.kind == "i"
    assert (labels + 1).dtype.kind == "i"
    assert mu.constant(np.array([True, False])).dtype == np.bool_
    assert mu.variable([0, 2, 1]).dtype == np.float32
    assert mu.variable(np.arange(3)).dtype == np.float32
    assert mu.variable(np.array([True, False])).dtype == np.float32
    assert labels.unfreeze().dtype == np.float32


def test_dtype_rules() -> None:
    assert mu.variable([1.0, 2.0]).dtype == np.float32
    assert mu.variable(2.5).dtype == np.float32
    assert mu.constant([1.5]).dtype == np.float32
    assert mu.variable(np.zeros(2)).dtype == np.float64
    assert mu.variable([1.0], dtype="float64").dtype == np.float64
    single, double = mu.ones((2,)), mu.ones((2,), dtype="float64")
    for result in (single + 2.5, 2.5 * single, single / 3, single ** 2.0, 1e10 - single,
                   mu.maximum(single, 0.5), mu.where(single > 0, single, 0.0)):
        assert result.dtype == np.float32
    for result in (double + 2.5, double * single, mu.exp(double), double.mean()):
        assert result.dtype == np.float64
    single.astype("float64").sum().backward()
    assert single.grad().dtype == np.float32


# --- backward through chains and diamonds --------------------------------------------------

def test_a_chain_of_100000_operations_backpropagates_without_recursion() -> None:
    x = mu.variable(np.array([0.5, -1.0]))
    y = x
    for _ in range(100_000):
        y = y + 1.0
    y.backward()
    np.testing.assert_array_equal(y.numpy(), [100_000.5, 99_999.0])
    np.testing.assert_array_equal(x.grad().numpy(), [1.0, 1.0])
    del y  # freeing the chain must not recurse either


def test_a_value_used_twice_accumulates_both_paths() -> None:
    values = np.array([-1.5, 0.0, 2.0])
    x = mu.variable(values)
    (x * x + x).backward()
    np.testing.assert_allclose(x.grad().numpy(), 2 * values + 1, rtol=1e-15)


def test_a_deeper_diamond() -> None:
    values = np.array([0.3, -0.7, 1.1])
    x = mu.variable(values)
    a = x * 2.0
    b = mu.sin(a)
    c = a * a
    d = b * c + a
    (d * x).sum().backward()
    # d(x) = sin(2x) (2x)^2 + 2x, and the loss is x d(x).
    d_values = np.sin(2 * values) * (2 * values) ** 2 + 2 * values
    d_prime = 2 * np.cos(2 * values) * (2 * values) ** 2 + np.sin(2 * values) * 8 * values + 2
    np.testing.assert_allclose(x.grad().numpy(), d_values + values * d_prime, rtol=1e-13)
    assert gradcheck(lambda t: (mu.sin(t * 2.0) * (t * 2.0) ** 2 + t * 2.0) * t, values)


def test_gradients_accumulate_until_reset() -> None:
    x = mu.variable(np.array([1.0, 2.0]))
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward(retain_graph=True)
    np.testing.assert_array_equal(x.grad().numpy(), [4.0, 8.0])
    y.reset()
    assert not x.grad().numpy().any()
    y.backward()
    np.testing.assert_array_equal(x.grad().numpy(), [2.0, 4.0])


def test_many_paths_into_one_node_sum_in_place_without_touching_shared_gradients() -> None:
    """``add``'s VJP hands the same array to both operands: ``a`` and ``b`` start from one
    shared gradient, then ``a`` receives three more, which are summed in place into an array
    of the engine's own; ``b``'s gradient must stay the shared one's value."""
    rng = np.random.default_rng(0)
    w_values, v_values, seed = (rng.standard_normal(4) for _ in range(3))
    w, v = mu.variable(w_values), mu.variable(v_values)
    a, b = w * 1.5, v * 1.0
    total = (a + b) + a * 2.0 + a * 3.0 + a * 4.0
    total.backward(mu.constant(seed))
    np.testing.assert_allclose(w.grad().numpy(), 1.5 * (1 + 2 + 3 + 4) * seed, rtol=1e-14)
    np.testing.assert_allclose(v.grad().numpy(), seed, rtol=1e-15)


def test_leaf_gradients_accumulate_in_place_without_touching_shared_ones() -> None:
    """``a`` and ``b`` first store one shared gradient array; later backward calls add to
    ``a``'s (in place from the third on), and ``b``'s must not change."""
    seeds = [np.random.default_rng(k).standard_normal(3) for k in range(4)]
    a, b = mu.variable(np.ones(3)), mu.variable(np.ones(3))
    (a + b).backward(mu.constant(seeds[0]))
    for factor, seed in zip((2.0, 3.0, 4.0), seeds[1:], strict=True):
        (a * factor).backward(mu.constant(seed))
    expected = seeds[0] + 2 * seeds[1] + 3 * seeds[2] + 4 * seeds[3]
    np.testing.assert_allclose(a.grad().numpy(), expected, rtol=1e-14)
    np.testing.assert_array_equal(b.grad().numpy(), seeds[0])
    held = a.grad()  # what grad() returned never changes afterwards
    (a * 6.0).backward(mu.constant(seeds[1]))
    np.testing.assert_allclose(held.numpy(), expected, rtol=1e-14)
    np.testing.assert_allclose(a.grad().numpy(), expected + 6 * seeds[1], rtol=1e-14)
    a.reset()  # a fresh start: the next gradient is stored, not added
    (a * 5.0).backward(mu.constant(seeds[0]))
    np.testing.assert_allclose(a.grad().numpy(), 5 * seeds[0], rtol=1e-15)


def test_accumulating_a_large_gradient_allocates_no_new_sum() -> None:
    """From the third backward on, a leaf's gradient is added in place: the pass allocates
    only the new gradient itself, not a second array for the sum."""
    import tracemalloc

    size = 1_000_000
    w = mu.variable(np.zeros(size))
    scale = mu.constant(np.full(size, 0.5))
    for _ in range(2):
        (w * scale).sum().backward()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        (w * scale).sum().backward()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # one array of 8 MB at a time (the forward product, freed once summed; then the VJP's
    # g * scale, added in place): a new sum would make it two
    assert peak - before < 1.5 * 8 * size
    np.testing.assert_array_equal(w.grad().numpy(), np.full(size, 1.5))


def test_a_second_backward_without_retain_graph_raises_and_reset_still_works() -> None:
    x = mu.variable(np.array([1.0, 2.0]))
    y = mu.exp(x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()
    y.reset()
    assert not x.grad().numpy().any()


def test_grad_is_zero_before_backward_and_for_leaves_backward_did_not_reach() -> None:
    x, unused = mu.ones((2, 3), dtype="float64"), mu.ones((4,))
    for tensor in (x, unused):
        assert type(tensor.grad()) is mu.Variable
        assert tensor.grad().shape == tensor.shape
        assert tensor.grad().dtype == tensor.dtype
        assert not tensor.grad().numpy().any()
    (x * 2.0).backward()
    assert not unused.grad().numpy().any()


def test_backward_with_a_custom_seed() -> None:
    x = mu.variable(np.array([[1.0, 2.0], [3.0, 4.0]]))
    seed = np.array([[0.5, -1.0], [2.0, 0.0]])
    (x * 3.0).backward(seed, retain_graph=True)
    np.testing.assert_array_equal(x.grad().numpy(), 3.0 * seed)
    x.reset()
    (x * 3.0).backward(grad=mu.constant(seed))
    np.testing.assert_array_equal(x.grad().numpy(), 3.0 * seed)


def test_backward_with_a_seed_of_the_wrong_shape_raises() -> None:
    y = mu.ones((2, 3)) * 2.0
    with pytest.raises(mu.ShapeError, match=r"\(3, 2\).*\(2, 3\)"):
        y.backward(np.ones((3, 2)))


# --- what the graph keeps alive ------------------------------------------------------------

_probe_names = count()


def _gradient_probe() -> tuple[Callable[[Any], Any], list[weakref.ref[Any]]]:
    """An identity operation whose VJP keeps a weak reference to every gradient reaching
    its output: the gradient of the tensor the operation returns."""
    seen: list[weakref.ref[Any]] = []

    def vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any]:
        seen.append(weakref.ref(g))
        return (g * 1.0,)

    probe = Primitive(f"test_engine_gradient_probe_{next(_probe_names)}",
                      lambda xp, x: x * 1.0, vjp, saves="none")
    return (lambda x: apply(probe, x)), seen


def test_gradients_of_held_intermediates_are_stored() -> None:
    x = mu.variable(np.array([1.0, -2.0]))
    hidden = mu.sin(x)
    (hidden * 3.0).sum().backward()
    np.testing.assert_array_equal(hidden.grad().numpy(), [3.0, 3.0])


def test_gradients_of_intermediates_nobody_holds_are_not_kept() -> None:
    probe, seen = _gradient_probe()
    x = mu.variable(np.array([1.0, -2.0]))
    held = probe(x)
    loss = (held * 3.0).sum()
    loss.backward()
    assert seen[0]() is not None  # stored in the intermediate the program holds

    dropped = probe(x)
    loss = (dropped * 3.0).sum()
    del dropped
    loss.backward()
    assert seen[1]() is None  # passed on and forgotten
    np.testing.assert_array_equal(x.grad().numpy(), [6.0, 6.0])


def test_backward_releases_the_saved_values() -> None:
    x = mu.variable(np.array([0.5, 1.5]))
    hidden = mu.exp(x)
    saved = weakref.ref(storage(hidden))
    loss = (hidden * hidden).sum()
    del hidden
    assert saved() is not None  # exp saved its output, mul its inputs
    loss.backward()
    assert saved() is None


def test_dropping_the_output_frees_the_graph() -> None:
    x = mu.variable(np.array([0.5, 1.5]))
    hidden = mu.tanh(x * 2.0)
    hidden_ref, saved = weakref.ref(hidden), weakref.ref(storage(hidden))
    y = mu.sin(hidden) * hidden
    output_ref = weakref.ref(y)
    del hidden
    assert hidden_ref() is None  # the graph holds no tensors
    assert saved() is not None   # only the values its backward needs
    del y
    assert output_ref() is None
    assert saved() is None


def test_no_grad_results_are_leaves_holding_no_reference_to_their_inputs() -> None:
    x = mu.variable(np.array([1.0, 2.0]))
    other = mu.variable(np.array([3.0, 4.0]))
    saved = weakref.ref(storage(other))
    assert mu.is_grad_enabled()
    with mu.no_grad():
        assert not mu.is_grad_enabled()
        y = x * other
        frozen = mu.constant([1.0]) * 2.0
    assert mu.is_grad_enabled()
    assert type(y) is mu.Variable
    assert type(frozen) is mu.Constant
    del other
    assert saved() is None
    # y's own backward raises: it carries no graph back to x, whose gradient would silently
    # stay zero. Used in recorded operations, it is a leaf.
    with pytest.raises(RuntimeError, match=r"computed by 'mul' under mu\.no_grad\(\)"):
        y.backward(mu.ones(2))
    y.sum().backward()
    assert not x.grad().numpy().any()
    np.testing.assert_array_equal(y.grad().numpy(), [1.0, 1.0])


def test_no_grad_as_a_decorator_and_enable_grad_inside_it() -> None:
    x = mu.variable(np.array([1.0, 2.0]))

    @mu.no_grad()
    def doubled(t: Any) -> Any:
        with mu.enable_grad():
            inner = t * 3.0
        return t * 2.0, inner

    outer, inner = doubled(x)
    assert mu.is_grad_enabled()
    outer.sum().backward()
    assert not x.grad().numpy().any()
    inner.sum().backward()
    np.testing.assert_array_equal(x.grad().numpy(), [3.0, 3.0])


def test_detect_anomaly_names_the_operation_in_the_forward_pass() -> None:
    x = mu.variable(np.array([-1.0, 1.0]))
    with np.errstate(invalid="ignore"):
        assert np.isnan(mu.log(x).numpy()[0])  # off by default
        with mu.detect_anomaly(), pytest.raises(FloatingPointError, match="log"):
            mu.log(x)


def test_detect_anomaly_names_the_operation_in_the_backward_pass() -> None:
    x = mu.variable(np.array([0.0, 4.0]))
    with np.errstate(divide="ignore"), mu.detect_anomaly():
        y = mu.sqrt(x)
        with pytest.raises(FloatingPointError, match="sqrt"):
            y.backward()

    @mu.detect_anomaly()
    def decorated() -> Any:
        return mu.log(x * 0.0)

    with np.errstate(divide="ignore"), pytest.raises(FloatingPointError, match="log"):
        decorated()


def _run_in_two_threads(inside: Callable[[], Any], outside: Callable[[], Any],
                        mode: Callable[[], Any]) -> dict[str, Any]:
    """Run ``inside`` in a thread that has entered ``mode`` and ``outside`` in another thread
    while the first is still inside; return what each produced (or raised)."""
    entered, finished = threading.Event(), threading.Event()
    results: dict[str, Any] = {}

    def first() -> None:
        with mode():
            entered.set()
            try:
                results["inside"] = inside()
            except Exception as error:
                results["inside"] = error
            finished.wait(timeout=10)

    def second() -> None:
        entered.wait(timeout=10)
        try:
            results["outside"] = outside()
        except Exception as error:
            results["outside"] = error
        finished.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    return results


def test_no_grad_is_per_thread() -> None:
    def gradient_of_square() -> Any:
        x = mu.variable(np.array([3.0]))
        (x * x).backward()
        return x.grad().numpy()

    results = _run_in_two_threads(gradient_of_square, gradient_of_square, mu.no_grad)
    # Inside no_grad, x * x carries no graph: its own backward raises.
    assert isinstance(results["inside"], RuntimeError)
    assert "under mu.no_grad()" in str(results["inside"])
    np.testing.assert_array_equal(results["outside"], [6.0])


def test_detect_anomaly_is_per_thread() -> None:
    def log_of_negative() -> Any:
        with np.errstate(invalid="ignore"):
            return mu.log(mu.variable(np.array([-1.0]))).numpy()

    results = _run_in_two_threads(log_of_negative, log_of_negative, mu.detect_anomaly)
    assert isinstance(results["inside"], FloatingPointError)
    assert np.isnan(results["outside"][0])


# --- higher-order gradients ----------------------------------------------------------------

def test_second_derivative_of_sin() -> None:
    values = np.array([-2.0, 0.3, 1.2])
    x = mu.variable(values)
    mu.sin(x).backward(create_graph=True)
    first = x.grad()
    np.testing.assert_allclose(first.numpy(), np.cos(values), rtol=1e-15)
    x.reset()
    first.backward()
    np.testing.assert_allclose(x.grad().numpy(), -np.sin(values), rtol=1e-14)


def test_second_derivative_of_a_cube_accumulates_onto_the_first() -> None:
    values = np.array([-1.5, 0.5, 2.0])
    x = mu.variable(values)
    (x ** 3).backward(create_graph=True)
    first = x.grad()
    np.testing.assert_allclose(first.numpy(), 3 * values ** 2, rtol=1e-14)
    first.backward()  # without reset, as PyTorch: x.grad() = 3x^2 + 6x
    np.testing.assert_allclose(x.grad().numpy(), 3 * values ** 2 + 6 * values, rtol=1e-14)


def test_exact_hessian_vector_product_of_a_quadratic() -> None:
    rng = np.random.default_rng(2)
    matrix = rng.standard_normal((4, 4))
    point, direction = rng.standard_normal(4), rng.standard_normal(4)
    x = mu.variable(point)
    quadratic = 0.5 * (x @ (mu.constant(matrix) @ x))
    quadratic.backward(create_graph=True)
    gradient = x.grad()
    symmetric = 0.5 * (matrix + matrix.T)
    np.testing.assert_allclose(gradient.numpy(), symmetric @ point, rtol=1e-12)
    x.reset()
    (gradient * mu.constant(direction)).sum().backward()
    np.testing.assert_allclose(x.grad().numpy(), symmetric @ direction, rtol=1e-12, atol=1e-14)


def test_higher_order_gradients_through_broadcasting_and_reductions() -> None:
    rng = np.random.default_rng(4)
    a_values, b_values = rng.standard_normal((3, 1)), rng.standard_normal(4)

    def summed_gradient_of_a(b_point: np.ndarray[Any, Any]) -> float:
        # L = sum_j m_j^2 with m_j = mean_i exp(a_i b_j), so sum_i dL/da_i = sum_j 2 m_j^2 b_j.
        means = np.exp(a_values * b_point).mean(axis=0)
        return float(np.sum(2.0 * means ** 2 * b_point))

    a, b = mu.variable(a_values), mu.variable(b_values)
    (mu.exp(a * b).mean(axis=0) ** 2).sum().backward(create_graph=True)
    summed = a.grad().sum()
    np.testing.assert_allclose(summed.item(), summed_gradient_of_a(b_values), rtol=1e-12)
    a.reset()
    b.reset()
    summed.backward()
    step = 1e-6
    numeric = [(summed_gradient_of_a(b_values + step * unit)
                - summed_gradient_of_a(b_values - step * unit)) / (2 * step)
               for unit in np.eye(4)]
    np.testing.assert_allclose(b.grad().numpy(), numeric, rtol=1e-6)


_rng = np.random.default_rng(12)
_column, _row = _rng.standard_normal((3, 1)), _rng.standard_normal(4)
_positive = _rng.uniform(0.5, 2.0, (3, 1))
_matrix, _other = _rng.standard_normal((2, 3)), _rng.standard_normal((3, 2))
_distinct = np.arange(12.0).reshape(3, 4)[:, [2, 0, 3, 1]] / 5 - 1

SECOND_ORDER: list[tuple[str, Callable[..., Any], tuple[np.ndarray[Any, Any], ...]]] = [
    ("mul-broadcast", lambda x, y: x * y * y, (_column, _row)),
    ("div", lambda x, y: y / x, (_positive, _row)),
    ("pow-both", lambda x, y: x ** (y * 0.5), (_positive, _row)),
    ("unary", lambda x: mu.sin(x) * mu.cos(x) + mu.tanh(x) * mu.exp(x), (_column,)),
    ("log-sqrt", lambda x: mu.log(x) * mu.sqrt(x) + mu.abs(x) ** 3, (_positive,)),
    ("neg-sub", lambda x, y: (-x - y) * (x - 2.0 * y), (_column, _row)),
    ("mm", lambda a, b: mu.sin(a @ b).sum(axis=0), (_matrix, _other)),
    ("reductions", lambda x: x.logsumexp(axis=1, keepdims=True) * x.var(axis=0, keepdims=True)
     + (x * x).mean() * x.max(), (_distinct,)),
    ("extrema", lambda x, y: mu.maximum(x, y) * mu.minimum(x, y * 0.5) * mu.clip(x, -0.5, 0.5),
     (_column, _row)),
    ("where", lambda x, y: mu.where(_row > 0, x * x, y * x), (_column, _row)),
    ("shape", lambda x: (mu.transpose(mu.broadcast_to(x, (2, 3, 4)), (2, 0, 1)) ** 2)
     .reshape(-1, 3)[np.array([0, 0, 5]), ::-1], (_column,)),
    ("concat-stack", lambda x, y: mu.stack([mu.concat([x, x * x], 0), mu.concat([y, y], 0)])
     ** 2, (_column[:, 0], _row[:3])),
    ("cast", lambda x: (x.astype("float64") * mu.constant(_row)) ** 2, (_column,)),
]


def _plain_gradients(function: Callable[..., Any],
                     values: list[np.ndarray[Any, Any]]) -> list[np.ndarray[Any, Any]]:
    leaves = [mu.variable(value) for value in values]
    function(*leaves).backward()
    return [leaf.grad().numpy() for leaf in leaves]


@pytest.mark.parametrize(("name", "function", "inputs"), SECOND_ORDER,
                         ids=[case[0] for case in SECOND_ORDER])
def test_second_derivatives_match_finite_differences(
        name: str, function: Callable[..., Any], inputs: tuple[Any, ...]) -> None:
    """The Hessian-vector product from ``backward(create_graph=True)`` equals the central
    difference of plain first-order gradients along the same direction."""
    rng = np.random.default_rng(1)
    directions = [rng.standard_normal(value.shape) for value in inputs]
    leaves = [mu.variable(value) for value in inputs]
    function(*leaves).backward(create_graph=True)
    firsts = [leaf.grad() for leaf in leaves]
    for first, expected in zip(firsts, _plain_gradients(function, list(inputs)), strict=True):
        np.testing.assert_allclose(first.numpy(), expected, rtol=1e-12, atol=1e-12)
    for leaf in leaves:
        leaf.reset()
    directional = mu.stack([(first * mu.constant(direction)).sum()
                            for first, direction in zip(firsts, directions, strict=True)])
    directional.sum().backward()
    step = 1e-6
    above = _plain_gradients(function, [value + step * direction
                                        for value, direction in zip(inputs, directions,
                                                                    strict=True)])
    below = _plain_gradients(function, [value - step * direction
                                        for value, direction in zip(inputs, directions,
                                                                    strict=True)])
    for leaf, high, low in zip(leaves, above, below, strict=True):
        np.testing.assert_allclose(leaf.grad().numpy(), (high - low) / (2 * step),
                                   rtol=1e-5, atol=1e-6)


def test_create_graph_through_a_float32_operand_mixed_with_float64() -> None:
    x = mu.variable(np.array([0.5, 2.0], dtype=np.float32))
    weights = mu.constant(np.array([[1.0], [3.0]]))
    (x * x * weights).sum().backward(create_graph=True)
    first = x.grad()
    assert first.dtype == np.float32
    np.testing.assert_allclose(first.numpy(), [4.0, 16.0])
    x.reset()
    first.sum().backward()
    np.testing.assert_allclose(x.grad().numpy(), [8.0, 8.0])


# --- mu.testing.gradcheck ------------------------------------------------------------------

def test_gradcheck_accepts_correct_gradients() -> None:
    rng = np.random.default_rng(9)
    assert gradcheck(lambda x, y: mu.tanh(x) @ y, rng.standard_normal((2, 3)),
                     rng.standard_normal((3, 2))) is True


_wrong = Primitive("test_engine_triple_with_a_wrong_vjp", lambda xp, x: 3.0 * x,
                   lambda F, g, inputs, out, parents: (2.0 * g,), saves="none")


def test_gradcheck_names_the_input_and_element_of_a_wrong_gradient() -> None:
    fine, bad = np.ones(2), np.arange(6.0).reshape(2, 3)
    with pytest.raises(AssertionError, match=r"input 1 \(shape \(2, 3\)\), element \(\d, \d\)"):
        gradcheck(lambda x, y: x.sum() + apply(_wrong, y), fine, bad)


def test_two_leaves_never_share_a_gradient_array() -> None:
    """``add``'s VJP hands one array to both operands; writing one leaf's gradient used to
    change the other's."""
    a, b, c = (mu.variable(np.array([1.0, 2.0])) for _ in range(3))
    shaped = mu.variable(np.array([[1.0, 2.0]]))
    ((a + b + shaped.reshape(2)) * c).sum().backward()
    a.grad().data.add_(100.0)
    np.testing.assert_array_equal(b.grad().numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(shaped.grad().numpy(), [[1.0, 2.0]])
    np.testing.assert_array_equal(a.grad().numpy(), [101.0, 102.0])


def test_no_grad_decorates_a_generator_function_and_works_bare() -> None:
    x = mu.variable(np.array([1.0, 2.0]))

    @mu.no_grad()
    def doubling(t: Any) -> Any:
        while True:
            assert not mu.is_grad_enabled()
            t = t * 2.0
            yield t

    steps = doubling(x)
    first = next(steps)
    assert mu.is_grad_enabled()  # the caller records between the steps
    second = next(steps)
    np.testing.assert_array_equal(second.numpy(), [4.0, 8.0])
    for result in (first, second):
        with pytest.raises(RuntimeError, match=r"under mu\.no_grad"):
            result.backward(mu.ones(2))

    @mu.no_grad
    def tripled(t: Any) -> Any:
        return t * 3.0, mu.is_grad_enabled()

    result, recording = tripled(x)
    assert not recording and mu.is_grad_enabled()
    assert result.grad_fn is None and result.is_leaf

    @mu.enable_grad
    def inside() -> bool:
        return mu.is_grad_enabled()

    with mu.no_grad():
        assert inside()


def test_a_result_made_under_no_grad_refuses_its_own_backward_until_requires_grad_() -> None:
    with mu.no_grad():
        weight = mu.randn((3,)) * 0.5
    with pytest.raises(RuntimeError, match=r"'mul' under mu\.no_grad"):
        weight.backward(mu.ones(3))
    assert weight.requires_grad_() is weight
    weight.backward(mu.ones(3))
    np.testing.assert_array_equal(weight.grad().numpy(), [1.0, 1.0, 1.0])


def test_post_accumulate_grad_hooks_run_after_each_accumulation() -> None:
    weight = mu.variable(np.array([1.0, 2.0]))
    seen: list[list[float]] = []
    handle = weight.register_post_accumulate_grad_hook(
        lambda leaf: seen.append(leaf.grad().numpy().tolist()))
    (weight * 3.0).sum().backward()
    (weight * 1.0).sum().backward()
    handle.remove()
    (weight * 1.0).sum().backward()
    assert seen == [[3.0, 3.0], [4.0, 4.0]]
    with pytest.raises(RuntimeError, match="only a leaf Variable"):
        (weight * 2.0).register_post_accumulate_grad_hook(print)


def test_a_hooked_leaf_gets_its_gradient_as_soon_as_it_is_complete() -> None:
    # As PyTorch: the hook of the last layer's weight runs while the pass has yet to reach the
    # first layer (what lets DataParallel start an all-reduce during the pass), with the whole
    # gradient of a leaf used twice, and a leaf reached by no gradient keeps none.
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 3))
    # w2 made first: the pass reaches the leaves newest first, so only a hook run as soon as
    # w2's gradient is complete (after the last product) comes before w1's
    w2, w1 = mu.variable(rng.standard_normal((5, 2))), mu.variable(rng.standard_normal((3, 5)))
    unused = mu.variable(np.ones(2))
    seen: list[tuple[str, float, float]] = []
    for name, leaf in (("w1", w1), ("w2", w2), ("unused", unused)):
        leaf.register_post_accumulate_grad_hook(
            lambda p, name=name: seen.append((name, float(np.abs(w1.grad().numpy()).sum()),
                                              float(np.abs(p.grad().numpy()).sum()))))
    hidden = mu.nn.functional.relu(mu.constant(x) @ w1)
    loss = ((hidden @ w2) * (hidden @ w2)).sum() + (unused * 0.0).detach().sum()
    loss.backward()
    pre = x @ w1.numpy()  # the gradients in float64 NumPy
    h = np.maximum(pre, 0.0)
    out = h @ w2.numpy()
    expected_w2 = h.T @ (2 * out)
    expected_w1 = x.T @ ((2 * out) @ w2.numpy().T * (pre > 0))
    assert [name for name, _, _ in seen] == ["w2", "w1"]
    assert seen[0][1] == 0.0  # w1's gradient not stored yet when w2's hook ran
    assert seen[0][2] == pytest.approx(float(np.abs(expected_w2).sum()), rel=1e-12)
    np.testing.assert_allclose(w1.grad().numpy(), expected_w1, rtol=1e-12)
    np.testing.assert_allclose(w2.grad().numpy(), expected_w2, rtol=1e-12)
