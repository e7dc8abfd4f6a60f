"""Indexing, gathering and scattering (``mushin/ops/gather_scatter.py``, ``index.py``) against
PyTorch.

PyTorch's op_db samples (``tests/op_db.py``) cover the functions' values and first
gradients; these tests cover what they do not: the method forms, float32 staying float32,
ties and zeros in the scatter reductions' gradients, second derivatives, the CuPy-style path
(the stand-in device) and every error message.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import mushin as mu

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).parent))
import fake_cupy  # noqa: E402


def _pair(values: Any, grad: bool = True) -> tuple[Any, Any]:
    array = np.asarray(values, dtype=np.float64)
    return (mu.Variable(array) if grad else mu.Constant(array),
            torch.tensor(array, requires_grad=grad))


def _check(mu_fn: Callable[..., Any], torch_fn: Callable[..., Any], *arrays: Any,
           grads: tuple[bool, ...] | None = None) -> None:
    """Values and the gradients of every float64 operand, for a random cotangent."""
    grads = grads or (True,) * len(arrays)
    pairs = [_pair(array, grad) for array, grad in zip(arrays, grads, strict=True)]
    got = mu_fn(*(pair[0] for pair in pairs))
    want = torch_fn(*(pair[1] for pair in pairs))
    np.testing.assert_allclose(got.numpy(), want.detach().numpy(), rtol=1e-12, atol=1e-12)
    cotangent = np.random.default_rng(1).standard_normal(tuple(want.shape))
    (got * mu.Constant(cotangent)).sum().backward()
    tracked = [pair for pair, grad in zip(pairs, grads, strict=True) if grad]
    expected = torch.autograd.grad(want, [pair[1] for pair in tracked],
                                   torch.from_numpy(cotangent), allow_unused=True)
    for (variable, _), reference in zip(tracked, expected, strict=True):
        reference = np.zeros(variable.shape) if reference is None else reference.numpy()
        np.testing.assert_allclose(variable.grad().numpy(), reference, rtol=1e-10, atol=1e-12)


INDEX = np.array([[0, 1, 2], [0, 0, 0], [3, 1, 1]])


def test_methods_match_the_functions() -> None:
    x = np.arange(12.0).reshape(4, 3)
    index = mu.Constant(INDEX)
    t_index = torch.tensor(INDEX)
    _check(lambda a: a.gather(0, index), lambda a: a.gather(0, t_index), x)
    _check(lambda a, s: a.scatter(0, index, s), lambda a, s: a.scatter(0, t_index, s),
           x, np.ones((3, 3)) * 7)
    _check(lambda a, s: a.scatter_add(0, index, s), lambda a, s: a.scatter_add(0, t_index, s),
           x, np.arange(9.0).reshape(3, 3))
    _check(lambda a: a.index_select(1, mu.Constant([2, 0, 2])),
           lambda a: a.index_select(1, torch.tensor([2, 0, 2])), x)
    _check(lambda a, s: a.index_add(0, mu.Constant([1, 1]), s, alpha=2.0),
           lambda a, s: a.index_add(0, torch.tensor([1, 1]), s, alpha=2.0),
           x, np.arange(6.0).reshape(2, 3))
    _check(lambda a: a.take(mu.Constant([[-1, 0], [5, 5]])),
           lambda a: a.take(torch.tensor([[-1, 0], [5, 5]])), x)
    _check(lambda a: a.take_along_dim(mu.Constant(INDEX[:, :2].T), dim=0),
           lambda a: a.take_along_dim(torch.tensor(INDEX[:, :2].T), dim=0), x)
    mask = np.array([True, False, True])
    _check(lambda a: a.masked_fill(mu.Constant(mask), 5.0),
           lambda a: a.masked_fill(torch.tensor(mask), 5.0), x)
    _check(lambda a: a.masked_select(mu.Constant(mask)),
           lambda a: a.masked_select(torch.tensor(mask)), x)
    _check(lambda a, s: a.select_scatter(s, 1, -1), lambda a, s: a.select_scatter(s, 1, -1),
           x, np.ones(4))


def test_dim_spelled_negative_and_host_indices() -> None:
    x = np.arange(12.0).reshape(4, 3)
    _check(lambda a: mu.gather(a, -1, [[2, 2], [0, 1], [1, 1], [0, 0]]),
           lambda a: torch.gather(a, -1, torch.tensor([[2, 2], [0, 1], [1, 1], [0, 0]])), x)
    _check(lambda a: mu.index_select(a, -2, np.array([3, 0])),
           lambda a: torch.index_select(a, -2, torch.tensor([3, 0])), x)


@pytest.mark.parametrize("operation", [
    lambda x: mu.gather(x, 1, mu.Constant([[0], [1]])),
    lambda x: mu.scatter(x, 0, mu.Constant([[1, 0]]), 2.5),
    lambda x: mu.scatter_add(x, 0, mu.Constant([[1, 0]]), x),
    lambda x: mu.scatter_reduce(x, 0, mu.Constant([[1, 0]]), x, "amax"),
    lambda x: mu.index_add(x, 0, mu.Constant([1]), x[0:1]),
    lambda x: mu.index_fill(x, 1, mu.Constant([0]), 3),
    lambda x: mu.masked_fill(x, mu.Constant([True, False]), 1),
    lambda x: mu.put(x, mu.Constant([0]), x[0, 0:1]),
    lambda x: mu.take(x, mu.Constant([3])),
    lambda x: mu.index_put(x, (mu.Constant([0]),), x[0]),
    lambda x: mu.diagonal_scatter(x, x[0]),
])
def test_float32_stays_float32(operation: Callable[[Any], Any]) -> None:
    x = mu.Variable(np.ones((2, 2), dtype=np.float32))
    out = operation(x)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad().dtype == np.float32


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_ties_and_zeros(reduce: str, include_self: bool) -> None:
    # Ties between src and self, repeated targets, and zeros (one and two in a group).
    x = np.array([[2.0, 0.0, 1.0], [3.0, 3.0, 0.0]])
    if not include_self and reduce in ("amax", "amin"):
        x = x + 10.0 * (1 if reduce == "amin" else -1)  # no tie with a left-out self value
    src = np.array([[2.0, 3.0, 0.0], [2.0, 0.0, 0.0], [1.0, 3.0, 5.0]])
    index = np.array([[0, 1, 1], [0, 1, 1], [1, 1, 0]])
    _check(lambda a, s: mu.scatter_reduce(a, 0, mu.Constant(index), s, reduce,
                                          include_self=include_self),
           lambda a, s: torch.scatter_reduce(a, 0, torch.tensor(index), s, reduce,
                                             include_self=include_self), x, src)


def test_amax_leaves_out_self_from_the_tie_when_told() -> None:
    """With include_self=False the input's own value is no member of the group, so a tie
    with it does not take a share: the two tied src elements get half each. (PyTorch counts
    the left-out value in the share and gives each a third, losing a third of the gradient.)"""
    x = mu.Variable([2.0])
    src = mu.Variable([2.0, 2.0])
    mu.scatter_reduce(x, 0, mu.Constant([0, 0]), src, "amax", include_self=False).backward()
    np.testing.assert_allclose(src.grad().numpy(), [0.5, 0.5])
    np.testing.assert_allclose(x.grad().numpy(), [0.0])


@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
def test_index_reduce_with_repeats(reduce: str) -> None:
    x = np.array([[1.0, 0.0], [2.0, 4.0], [3.0, 3.0]])
    source = np.array([[0.0, 2.0], [5.0, 4.0], [2.0, 2.0], [1.0, 0.0]])
    index = [0, 2, 0, 0]
    _check(lambda a, s: a.index_reduce(0, mu.Constant(index), s, reduce),
           lambda a, s: a.index_reduce(0, torch.tensor(index), s, reduce), x, source)


def test_scatter_with_reduce_and_value() -> None:
    x = np.arange(6.0).reshape(2, 3) + 1
    index = np.array([[1, 0, 1], [1, 1, 0]])
    src = np.arange(6.0).reshape(2, 3) - 2
    for reduce in ("add", "multiply"):
        got = mu.scatter(mu.Constant(x), 0, mu.Constant(index), mu.Constant(src), reduce=reduce)
        want = torch.scatter(torch.tensor(x), 0, torch.tensor(index), torch.tensor(src),
                             reduce=reduce)
        np.testing.assert_allclose(got.numpy(), want.numpy())
    _check(lambda a: mu.scatter(a, 1, mu.Constant(index), value=-1.5),
           lambda a: torch.scatter(a, 1, torch.tensor(index), value=-1.5), x)


def test_index_put_accumulates_repeats_and_takes_masks() -> None:
    x = np.arange(12.0).reshape(4, 3)
    rows, cols = np.array([1, 1, 3]), np.array([0, 0, 2])
    _check(lambda a, v: mu.index_put(a, (mu.Constant(rows), mu.Constant(cols)), v,
                                     accumulate=True),
           lambda a, v: torch.index_put(a, (torch.tensor(rows), torch.tensor(cols)), v,
                                        accumulate=True), x, np.array([1.0, 2.0, 3.0]))
    mask = np.array([True, False, True, False])
    _check(lambda a, v: mu.index_put(a, (mu.Constant(mask), None), v),
           lambda a, v: torch.index_put(a, (torch.tensor(mask),), v), x, np.ones(3))
    _check(lambda a, v: mu.put(a, mu.Constant([1, 1, -1]), v, accumulate=True),
           lambda a, v: torch.put(a, torch.tensor([1, 1, -1]), v, accumulate=True),
           x, np.array([1.0, 2.0, 3.0]))


def test_masked_scatter_and_fill_with_a_tensor_value() -> None:
    x = np.arange(6.0).reshape(2, 3)
    mask = np.array([[True, False, True], [False, True, True]])
    _check(lambda a, s: mu.masked_scatter(a, mu.Constant(mask), s),
           lambda a, s: torch.masked_scatter(a, torch.tensor(mask), s), x, np.arange(7.0))
    _check(lambda a, v: mu.masked_fill(a, mu.Constant(mask), v),
           lambda a, v: torch.masked_fill(a, torch.tensor(mask), v), x, np.array(2.5))
    _check(lambda a, v: mu.index_fill(a, 1, mu.Constant([2, 2, 0]), v),
           lambda a, v: torch.index_fill(a, 1, torch.tensor([2, 2, 0]), v), x, np.array(2.5))


def test_slice_and_diagonal_scatter() -> None:
    x = np.arange(24.0).reshape(2, 3, 4)
    _check(lambda a, s: mu.slice_scatter(a, s, dim=2, start=1, step=2),
           lambda a, s: torch.slice_scatter(a, s, dim=2, start=1, step=2), x, np.ones((2, 3, 2)))
    _check(lambda a, s: mu.diagonal_scatter(a, s, -1, 2, 0),
           lambda a, s: torch.diagonal_scatter(a, s, -1, 2, 0), x, np.ones((3, 2)))


def _second(mu_fn: Callable[[Any], Any], torch_fn: Callable[[Any], Any], x: Any) -> None:
    """d/dx of sum(d sum(y**2)/dx * w) for y = fn(x): a second derivative, against PyTorch's."""
    weights = np.random.default_rng(2).standard_normal(np.shape(x))
    a, b = _pair(x)
    (mu_fn(a) ** 2).sum().backward(create_graph=True)
    first = a.grad()
    held = first.numpy()
    (first * mu.Constant(weights)).sum().backward()
    (grad,) = torch.autograd.grad((torch_fn(b) ** 2).sum(), b, create_graph=True)
    (expected,) = torch.autograd.grad((grad * torch.from_numpy(weights)).sum(), b)
    np.testing.assert_allclose(held, grad.detach().numpy(), rtol=1e-10, atol=1e-12)
    # The leaf now holds the first derivative plus the second.
    np.testing.assert_allclose(a.grad().numpy() - held, expected.numpy(), rtol=1e-10,
                               atol=1e-12)


def test_second_derivatives() -> None:
    x = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -3.0]])
    index = np.array([[1, 0, 1], [1, 1, 0]])
    _second(lambda a: mu.gather(a, 0, mu.Constant(index)),
            lambda a: torch.gather(a, 0, torch.tensor(index)), x)
    _second(lambda a: mu.scatter_add(a, 0, mu.Constant(index), a * a),
            lambda a: torch.scatter_add(a, 0, torch.tensor(index), a * a), x)
    _second(lambda a: mu.scatter_reduce(a, 0, mu.Constant(index), a + 1, "prod"),
            lambda a: torch.scatter_reduce(a, 0, torch.tensor(index), a + 1, "prod"), x)
    _second(lambda a: mu.index_put(a, (mu.Constant([0, 1]),), a[1] * a[0]),
            lambda a: torch.index_put(a, (torch.tensor([0, 1]),), a[1] * a[0]), x)


def test_positions_searches_membership() -> None:
    x = np.array([[0.0, 1.0, 0.0], [2.0, 0.0, 3.0]])
    found = mu.nonzero(mu.Constant(x))
    assert found.dtype == np.int64
    np.testing.assert_array_equal(found.numpy(), torch.nonzero(torch.tensor(x)).numpy())
    rows, cols = mu.Constant(x).nonzero(as_tuple=True)
    want_rows, want_cols = torch.nonzero(torch.tensor(x), as_tuple=True)
    np.testing.assert_array_equal(rows.numpy(), want_rows.numpy())
    np.testing.assert_array_equal(cols.numpy(), want_cols.numpy())
    np.testing.assert_array_equal(mu.argwhere(x).numpy(), torch.argwhere(torch.tensor(x)))
    sequence = np.array([5.0, 1.0, 3.0, 3.0])
    sorter = np.argsort(sequence)
    for side in ("left", "right"):
        got = mu.searchsorted(sequence, np.array([3.0, 0.0, 9.0]), side=side, sorter=sorter)
        want = torch.searchsorted(torch.tensor(sequence), torch.tensor([3.0, 0.0, 9.0]),
                                  side=side, sorter=torch.tensor(sorter))
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert mu.searchsorted([1.0, 2.0, 3.0], 2.0, right=True).item() == 2
    assert mu.bucketize(2.0, mu.Constant([1.0, 2.0, 3.0]), out_int32=True).dtype == np.int32
    np.testing.assert_array_equal(mu.isin(mu.Constant([1, 2, 3]), 2, invert=True).numpy(),
                                  [True, False, True])
    hot = mu.one_hot(mu.Constant([[2, 0]]))
    assert hot.dtype == np.int64
    np.testing.assert_array_equal(
        hot.numpy(), torch.nn.functional.one_hot(torch.tensor([[2, 0]])).numpy())


def test_device_path_of_the_reductions() -> None:
    """The array-module path (CuPy has no multiply.at) on the stand-in device."""
    x = np.array([[2.0, 0.0, 1.0], [3.0, 3.0, 0.0]])
    src = np.array([[2.0, 3.0, 0.0], [2.0, 0.0, 4.0], [1.0, 3.0, 5.0]])
    index = np.array([[0, 1, 1], [0, 1, 1], [1, 1, 0]])
    results = []
    with fake_cupy.registered() as device:
        for where in ("cpu", device):
            a, s = mu.Variable(x, device=where), mu.Variable(src, device=where)
            out = mu.scatter_reduce(a, 0, mu.Constant(index, device=where), s, "prod",
                                    include_self=False)
            masked = mu.masked_select(out, mu.Constant(x > 0, device=where))
            (masked * masked).sum().backward()
            results.append([out.numpy(), a.grad().numpy(), s.grad().numpy()])
    for cpu, other in zip(*results, strict=True):
        np.testing.assert_allclose(other, cpu)


@pytest.mark.parametrize(("call", "kind", "words"), [
    (lambda x: mu.gather(x, 0, mu.Constant([[0.0]])), TypeError, "gather: index must be"),
    (lambda x: mu.gather(x, 0, mu.Constant([[5]])), IndexError, "gather: index 5"),
    (lambda x: mu.gather(x, 0, mu.Constant([[-1]])), IndexError, "gather: index -1"),
    (lambda x: mu.gather(x, 0, mu.Constant([0])), mu.ShapeError, "gather: index has 1 axes"),
    (lambda x: mu.gather(x, 0, mu.Constant([[0, 0, 0, 0]])), mu.ShapeError, "gather: index"),
    (lambda x: mu.gather(x, 2, mu.Constant([[0]])), IndexError, "gather: dim 2"),
    (lambda x: mu.scatter(x, 0, mu.Constant([[0]])), TypeError, "scatter: give exactly one"),
    (lambda x: mu.scatter(x, 0, mu.Constant([[0]]), 1.0, reduce="max"), ValueError,
     "scatter: reduce"),
    (lambda x: mu.scatter(x, 0, mu.Constant([[0]]), mu.Constant(np.ones((1, 1), np.float32))),
     TypeError, "scatter: src has dtype float32"),
    (lambda x: mu.scatter(x, 0, mu.Constant([[0, 0]]), mu.Constant(np.ones((1, 1)))),
     mu.ShapeError, "scatter: index"),
    (lambda x: mu.scatter_add(x, 0, mu.Constant([[0]]), 1.0), TypeError, "scatter_add: src"),
    (lambda x: mu.scatter_reduce(x, 0, mu.Constant([[0]]), x, "max"), ValueError,
     "scatter_reduce: reduce"),
    (lambda x: mu.index_select(x, 0, mu.Constant([[0]])), mu.ShapeError, "index_select: index"),
    (lambda x: mu.index_select(x, 0, mu.Constant([3])), IndexError, "index_select: index 3"),
    (lambda x: mu.index_add(x, 0, mu.Constant([0]), x), mu.ShapeError, "index_add: source"),
    (lambda x: mu.index_add(x, 0, mu.Constant([0]), x[:1], alpha="2"), TypeError,
     "index_add: alpha"),
    (lambda x: mu.index_reduce(x, 0, mu.Constant([0]), x[:1], "sum"), ValueError,
     "index_reduce: reduce"),
    (lambda x: mu.index_fill(x, 0, mu.Constant([0]), x), mu.ShapeError, "index_fill: value"),
    (lambda x: mu.index_put(x, mu.Constant([0]), x[0]), TypeError, "index_put: indices"),
    (lambda x: mu.index_put(x, (mu.Constant([7]),), x[0]), IndexError, "index_put: index 7"),
    (lambda x: mu.index_put(x, (mu.Constant([True]),), x[0]), IndexError,
     "index_put: a bool index"),
    (lambda x: mu.index_put(x, (mu.Constant([0]),), mu.Constant(np.ones(4))), mu.ShapeError,
     "index_put: values"),
    (lambda x: mu.put(x, mu.Constant([0, 1]), x[0, :1]), mu.ShapeError, "put: source"),
    (lambda x: mu.take(x, mu.Constant([6])), IndexError, "take: index 6"),
    (lambda x: mu.masked_fill(x, mu.Constant([1, 0]), 1.0), TypeError, "masked_fill: mask"),
    (lambda x: mu.masked_fill(x, mu.Constant([True, False, True]), 1.0), mu.ShapeError,
     "masked_fill"),
    (lambda x: mu.masked_fill(x, mu.Constant([True, False]), x), mu.ShapeError,
     "masked_fill: value"),
    (lambda x: mu.masked_scatter(x, mu.Constant([True, True]), x[0, :1]), mu.ShapeError,
     "masked_scatter: the mask selects"),
    (lambda x: mu.select_scatter(x, x[0], 0, 2), IndexError, "select_scatter: index 2"),
    (lambda x: mu.select_scatter(x, x, 0, 0), mu.ShapeError, "select_scatter: src"),
    (lambda x: mu.slice_scatter(x, x, 0, 0, 1), mu.ShapeError, "slice_scatter: src"),
    (lambda x: mu.slice_scatter(x, x, 0, step=0), ValueError, "slice_scatter: step"),
    (lambda x: mu.diagonal_scatter(x, x, 0), mu.ShapeError, "diagonal_scatter: src"),
    (lambda x: mu.diagonal_scatter(x, x[0], 0, 1, 1), ValueError, "diagonal_scatter: dim1"),
    (lambda x: mu.searchsorted(x, x, side="middle"), ValueError, "searchsorted: side"),
    (lambda x: mu.searchsorted(x, x[0], side="left", right=True), ValueError, "searchsorted"),
    (lambda x: mu.searchsorted(x, mu.Constant([1.0])), mu.ShapeError, "searchsorted"),
    (lambda x: mu.bucketize(x, x), mu.ShapeError, "bucketize: boundaries"),
    (lambda x: mu.one_hot(x), TypeError, "one_hot: tensor must be an integer"),
    (lambda x: mu.one_hot(mu.Constant([-1])), ValueError, "one_hot: class values"),
    (lambda x: mu.one_hot(mu.Constant([3]), 2), ValueError, "one_hot: class value 3"),
    (lambda x: mu.one_hot(mu.Constant(np.zeros(0, np.int64))), ValueError, "one_hot: cannot"),
    (lambda x: mu.gather("x", 0, [0]), TypeError, "gather: input must be"),
])
def test_errors_name_the_operation(call: Callable[[Any], Any], kind: type[Exception],
                                   words: str) -> None:
    x = mu.Variable(np.ones((2, 2)))
    with pytest.raises(kind, match=words.replace("(", r"\(")):
        call(x)
