"""The in-place tensor methods and item assignment against PyTorch: values, gradients through
a recorded in-place change, PyTorch's rules (a leaf refused while recording, dtype and shape
checks), and the version counters that make a backward through overwritten values raise."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import mushin as mu
from mushin import nn

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(7)


def _pair(values: Any, grad: bool = False) -> tuple[Any, Any]:
    array = np.asarray(values, dtype=np.float64)
    ours = mu.variable(array) if grad else mu.tensor(array)
    theirs = torch.tensor(array, requires_grad=grad)
    return ours, theirs


# (method, extra arguments as numbers or arrays): each applied to a Constant and a tensor
CASES: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("add_", (np.array([0.5, -1.0, 2.0]),), {}),
    ("add_", (2.0,), {"alpha": 3.0}),
    ("sub_", (np.array([[1.0], [2.0]]),), {}),
    ("mul_", (np.array([2.0, -1.0, 0.5]),), {}),
    ("div_", (4.0,), {}),
    ("pow_", (2.0,), {}),
    ("clamp_", (-0.5, 0.5), {}),
    ("clamp_min_", (0.0,), {}),
    ("exp_", (), {}),
    ("abs_", (), {}),
    ("neg_", (), {}),
    ("tanh_", (), {}),
    ("sigmoid_", (), {}),
    ("tril_", (), {}),
    ("lerp_", (np.ones((2, 3)), 0.25), {}),
    ("addcmul_", (np.full((2, 3), 2.0), np.full((2, 3), 3.0)), {"value": 0.5}),
    ("addcdiv_", (np.full((2, 3), 2.0), np.full((2, 3), 4.0)), {"value": 2.0}),
    ("fill_", (1.25,), {}),
    ("zero_", (), {}),
    ("copy_", (np.array([7.0, 8.0, 9.0]),), {}),
    ("masked_fill_", (np.array([True, False, True]), -3.0), {}),
    ("index_add_", (1, np.array([0, 2]), np.ones((2, 2))), {}),
    ("index_fill_", (1, np.array([1]), 9.0), {}),
    ("scatter_", (1, np.array([[2, 0, 1], [0, 1, 2]]), np.arange(6.0).reshape(2, 3)), {}),
]


def _arguments(args: tuple[Any, ...], ours: bool) -> list[Any]:
    converted = []
    for value in args:
        if isinstance(value, np.ndarray):
            converted.append(mu.tensor(value) if ours else torch.tensor(value))
        else:
            converted.append(value)
    return converted


@pytest.mark.parametrize(("name", "args", "kwargs"), CASES, ids=[case[0] for case in CASES])
def test_in_place_methods_change_a_constant_as_pytorch(
        name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    values = RNG.uniform(-1.0, 1.0, (2, 3))
    ours, theirs = _pair(values)
    returned = getattr(ours, name)(*_arguments(args, True), **kwargs)
    getattr(theirs, name)(*_arguments(args, False), **kwargs)
    assert returned is ours
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("name", "args", "kwargs"), CASES, ids=[case[0] for case in CASES])
def test_a_recorded_in_place_change_of_a_non_leaf_differentiates_as_pytorch(
        name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    values = RNG.uniform(-1.0, 1.0, (2, 3))
    weights = RNG.uniform(-1.0, 1.0, (2, 3))
    w, tw = _pair(values, grad=True)
    hidden, their_hidden = w * 1.5, tw * 1.5
    getattr(hidden, name)(*_arguments(args, True), **kwargs)
    getattr(their_hidden, name)(*_arguments(args, False), **kwargs)
    (hidden * mu.tensor(weights)).sum().backward()
    (their_hidden * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(hidden.numpy(), their_hidden.detach().numpy(), rtol=1e-12)
    expected = np.zeros_like(values) if tw.grad is None else tw.grad.numpy()
    np.testing.assert_allclose(w.grad().numpy(), expected, rtol=1e-10, atol=1e-12)


def test_gradients_reach_the_tensors_written_in() -> None:
    w, tw = _pair([1.0, 2.0, 3.0], grad=True)
    v, tv = _pair([4.0, 5.0, 6.0], grad=True)
    hidden, their_hidden = w * 2.0, tw * 2.0
    hidden.mul_(v)
    their_hidden.mul_(tv)
    (hidden * hidden).sum().backward()
    (their_hidden * their_hidden).sum().backward()
    np.testing.assert_allclose(w.grad().numpy(), tw.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(v.grad().numpy(), tv.grad.numpy(), rtol=1e-12)


def test_a_leaf_variable_is_refused_while_recording_and_changed_under_no_grad() -> None:
    w = mu.variable(np.array([1.0, 2.0]))
    with pytest.raises(RuntimeError, match=r"add_: the leaf Variable .*mu.no_grad"):
        w.add_(1.0)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w += 1.0
    with pytest.raises(RuntimeError, match="setitem: the leaf Variable"):
        w[0] = 5.0
    np.testing.assert_array_equal(w.numpy(), [1.0, 2.0])  # nothing was written
    with mu.no_grad():
        w.mul_(3.0)
        w[1] = 0.5
    np.testing.assert_array_equal(w.numpy(), [3.0, 0.5])
    assert w.is_leaf
    tw = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        tw.add_(1.0)


def test_the_result_dtype_must_cast_and_the_shape_may_not_grow() -> None:
    counts = mu.tensor([1, 2, 3])
    with pytest.raises(TypeError, match=r"mul_: the result's dtype float32 cannot be cast to "
                                        r"the dtype int64"):
        counts.mul_(1.5)
    with pytest.raises(RuntimeError, match="can't be cast"):
        torch.tensor([1, 2, 3]).mul_(1.5)
    counts.fill_(2.7)  # fill_, copy_ and item assignment cast, as PyTorch's
    np.testing.assert_array_equal(counts.numpy(), torch.tensor([1, 2, 3]).fill_(2.7).numpy())
    row = mu.tensor([1.0, 2.0, 3.0])
    with pytest.raises(mu.ShapeError, match=r"add_: the result has shape \(2, 3\), but the "
                                            r"tensor changed in place has shape \(3,\)"):
        row.add_(mu.ones(2, 3))
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        torch.tensor([1.0, 2.0, 3.0]).add_(torch.ones(2, 3))
    constant = mu.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match="add_: the values written depend on a tracked "
                                        "Variable, but the tensor changed in place is a "
                                        "Constant"):
        constant.add_(mu.variable(np.array([1.0, 1.0])))


def test_a_broadcast_view_refuses_an_in_place_change_as_pytorch() -> None:
    # PyTorch: "unsupported operation: more than one element of the written-to tensor refers
    # to a single memory location" (NumPy's own error named no operation). PyTorch lets
    # fill_, zero_ and a scalar item assignment through (one value everywhere); mushin refuses
    # them too (docs/porting.md)
    expanded = mu.ones(3).expand(2, 3)
    with pytest.raises(RuntimeError, match=r"add_: the tensor of shape \(2, 3\) is a broadcast"):
        expanded.add_(1.0)
    with pytest.raises(RuntimeError):
        torch.ones(3).expand(2, 3).add_(1.0)
    with pytest.raises(RuntimeError, match=r"fill_: .* broadcast view"):
        expanded.fill_(1.0)
    clone = expanded.clone().fill_(2.0)  # a clone has values of its own
    np.testing.assert_array_equal(clone.numpy(), np.full((2, 3), 2.0))


# --- item assignment ---------------------------------------------------------------------------

@pytest.mark.parametrize("key", [
    0, (1, slice(0, 2)), (slice(None), -1), np.array([True, False, True]),
    (np.array([0, 2]), np.array([1, 0])), (Ellipsis, 1),
], ids=["int", "tuple", "last-column", "mask", "arrays", "ellipsis"])
def test_item_assignment_writes_and_differentiates_as_pytorch(key: Any) -> None:
    values = RNG.uniform(-1.0, 1.0, (3, 3))
    w, tw = _pair(values, grad=True)
    v, tv = _pair([2.0], grad=True)
    their_key = tuple(torch.tensor(k) if isinstance(k, np.ndarray) else k for k in key) if (
        isinstance(key, tuple)) else torch.tensor(key) if isinstance(key, np.ndarray) else key
    hidden, their_hidden = w * 3.0, tw * 3.0
    hidden[key] = v * 0.5
    their_hidden[their_key] = tv * 0.5
    np.testing.assert_allclose(hidden.numpy(), their_hidden.detach().numpy(), rtol=1e-12)
    weights = RNG.uniform(-1.0, 1.0, (3, 3))
    (hidden * mu.tensor(weights)).sum().backward()
    (their_hidden * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(w.grad().numpy(), tw.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(v.grad().numpy(), tv.grad.numpy(), rtol=1e-12)
    constant, their_constant = _pair(values)
    constant[key] = 7
    their_constant[their_key] = 7
    np.testing.assert_array_equal(constant.numpy(), their_constant.numpy())


def test_item_assignment_casts_broadcasts_and_names_itself() -> None:
    counts = mu.zeros(2, 3, dtype=mu.int64)
    counts[0] = mu.tensor([1.9, 2.1, -3.5])
    counts[1, 1:] = 4
    expected = torch.zeros(2, 3, dtype=torch.int64)
    expected[0] = torch.tensor([1.9, 2.1, -3.5])
    expected[1, 1:] = 4
    np.testing.assert_array_equal(counts.numpy(), expected.numpy())
    with pytest.raises(IndexError, match="setitem"):
        counts[5] = 1
    with pytest.raises(IndexError, match="setitem: a boolean index"):
        counts[mu.tensor([True, False, True])] = 1


# --- version counters ------------------------------------------------------------------------

def test_a_step_between_two_backwards_of_one_graph_raises_as_pytorch() -> None:
    """The issue's case: gradients of a graph built before an optimizer step used to come out
    with the stepped weights ([3, 8] instead of [5, 16]) silently."""
    w = nn.Parameter(mu.tensor([1.0, 2.0]))
    optimizer = mu.optim.SGD([w], lr=0.5)
    first, second = (w * w * w).sum(), (w * w).sum() * 2.0
    first.backward()
    optimizer.step()
    with pytest.raises(RuntimeError, match=r"a value saved by 'mul' .* was changed by an "
                                           r"in-place operation .* version 1, expected "
                                           r"version 0"):
        second.backward()
    tw = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    their_optimizer = torch.optim.SGD([tw], lr=0.5)
    their_first, their_second = (tw * tw * tw).sum(), (tw * tw).sum() * 2.0
    their_first.backward()
    their_optimizer.step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        their_second.backward()


def test_the_raw_array_is_read_only_so_it_cannot_change_saved_values() -> None:
    x = mu.variable(np.array([1.0, 2.0]))
    y = x * x
    with pytest.raises(ValueError, match="read-only"):
        x.array()[0] = 10.0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad().numpy(), [2.0, 4.0])


def test_changing_a_view_bumps_the_version_of_the_values_it_views() -> None:
    w = mu.variable(np.array([1.0, 2.0, 3.0, 4.0]))
    x = mu.tensor([1.0, 1.0, 1.0, 1.0])
    view = x.reshape(2, 2)
    product = w * x
    with pytest.raises(RuntimeError, match="operand 1"):
        view.mul_(2.0)
        product.sum().backward()
    np.testing.assert_array_equal(x.numpy(), [2.0, 2.0, 2.0, 2.0])  # the view wrote into x
    detached = w.detach()
    result = (w * w).sum()
    detached.add_(1.0)  # shares w's values and version counter, as PyTorch's detach()
    with pytest.raises(RuntimeError, match="changed by an in-place operation"):
        result.backward()
    tw = torch.tensor([1.0, 2.0], requires_grad=True)
    their_result = (tw * tw).sum()
    tw.detach().add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        their_result.backward()


def test_a_saved_result_changed_in_place_raises() -> None:
    w = mu.variable(np.array([0.5, 1.0]))
    hidden = mu.exp(w)  # exp saves its result
    hidden.mul_(2.0)
    with pytest.raises(RuntimeError, match=r"a value saved by 'exp' \(its result"):
        hidden.sum().backward()


def test_a_tracked_view_refuses_a_recorded_change() -> None:
    hidden = mu.variable(np.array([1.0, 2.0, 3.0])) * 2.0
    view = hidden[:2]
    with pytest.raises(RuntimeError, match="shares its values with another tracked tensor"):
        hidden.add_(1.0)
    del view
    hidden.add_(1.0)  # no live view: allowed
    np.testing.assert_array_equal(hidden.numpy(), [3.0, 5.0, 7.0])


def test_augmented_assignment_is_in_place_as_pytorch() -> None:
    x, tx = _pair([1.0, 2.0, 3.0])
    view, their_view = x[1:], tx[1:]
    before = x
    x += 10.0
    tx += 10.0
    x *= mu.tensor([1.0, 2.0, 3.0])
    tx *= torch.tensor([1.0, 2.0, 3.0])
    assert x is before
    np.testing.assert_array_equal(x.numpy(), tx.numpy())
    np.testing.assert_array_equal(view.numpy(), their_view.numpy())


def test_data_is_an_untracked_alias_as_pytorch() -> None:
    w = nn.Parameter(mu.tensor([1.0, 2.0]))
    product = (w * w).sum()
    w.data.add_(1.0)  # not version-checked, as in PyTorch
    product.backward()
    np.testing.assert_array_equal(w.numpy(), [2.0, 3.0])
    np.testing.assert_array_equal(w.grad().numpy(), [4.0, 6.0])  # PyTorch gives the same
    tw = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    their_product = (tw * tw).sum()
    tw.data.add_(1.0)
    their_product.backward()
    np.testing.assert_array_equal(tw.grad.numpy(), [4.0, 6.0])
    w.data = mu.tensor([5.0, 6.0, 7.0])
    assert w.shape == (3,) and isinstance(w.data, mu.Constant)
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad().numpy(), [10.0, 12.0, 14.0])


# --- random fills ----------------------------------------------------------------------------

def test_random_fills_draw_from_their_distributions() -> None:
    mu.seed(3)
    x = mu.empty(200_000, dtype=mu.float64)
    assert abs(x.normal_(2.0, 0.5).numpy().mean() - 2.0) < 0.01
    assert abs(x.numpy().std() - 0.5) < 0.01
    x.uniform_(-1.0, 3.0)
    assert x.numpy().min() >= -1.0 and x.numpy().max() < 3.0
    assert abs(x.numpy().mean() - 1.0) < 0.02
    assert abs(x.exponential_(4.0).numpy().mean() - 0.25) < 0.005
    assert abs(x.bernoulli_(0.3).numpy().mean() - 0.3) < 0.005
    assert set(np.unique(x.numpy())) == {0.0, 1.0}
    ints = mu.zeros(100_000, dtype=mu.int64).random_(2, 5)
    assert set(np.unique(ints.numpy())) == {2, 3, 4}
    assert abs(x.geometric_(0.25).numpy().mean() - 4.0) < 0.05
    assert abs(np.log(x.log_normal_(1.0, 0.5).numpy()).mean() - 1.0) < 0.01
    assert abs(np.median(x.cauchy_(1.0, 2.0).numpy()) - 1.0) < 0.05
    mu.seed(3)
    again = mu.empty(200_000, dtype=mu.float64).normal_(2.0, 0.5)
    mu.seed(3)
    np.testing.assert_array_equal(again.numpy(), mu.empty(200_000, dtype=mu.float64).normal_(
        2.0, 0.5).numpy())
    with pytest.raises(TypeError, match="normal_: needs a floating tensor"):
        mu.zeros(3, dtype=mu.int64).normal_()
    with pytest.raises(ValueError, match="uniform_: expected from <= to"):
        x.uniform_(2.0, 1.0)


def test_in_place_methods_run_on_a_device_like_on_the_cpu(device: str) -> None:
    values = RNG.uniform(-1.0, 1.0, (2, 3))
    on_cpu, on_device = mu.tensor(values), mu.tensor(values, device=device)
    for tensor in (on_cpu, on_device):
        tensor.mul_(2.0).clamp_(-1.0, 1.0)
        tensor[0, 1] = 5.0
        tensor += 1.0
    assert on_device.device == device
    np.testing.assert_array_equal(on_device.numpy(), on_cpu.numpy())
