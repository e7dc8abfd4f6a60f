"""The shape, join/split and diagonal/triangle operations against PyTorch (float64): values and
gradients of the function and method forms, the ``dim``/``axis`` spellings, dtypes, second
derivatives, the device path, and the error messages.

PyTorch's operator database (``tests/op_db.py``) runs its sample inputs on these operations;
this file covers what it does not: the method forms and aliases, NumPy's spellings, float32
and integer inputs, second derivatives, 0-d boolean indices, and every refusal.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import mushin as mu
from mushin.ops import shape as shape_ops

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(7)


def _leaves(value: Any) -> list[Any]:
    return list(value) if isinstance(value, tuple | list) else [value]


def check(mu_call: Callable[..., Any], torch_call: Callable[..., Any],
          *arrays: np.ndarray, second: bool = False) -> None:
    """``mu_call`` on Variables gives ``torch_call``'s values and gradients (a random
    cotangent through every output); with ``second``, also the gradients of
    ``sum(grad * v)`` (second derivatives, through ``create_graph=True``)."""
    tensors = [torch.tensor(array, requires_grad=True) for array in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = _leaves(torch_call(*tensors))
    variables = [mu.Variable(array) for array in arrays]
    got = _leaves(mu_call(*variables))
    assert len(got) == len(want)
    cotangents = [RNG.standard_normal(tuple(item.shape)) for item in want]
    for have, expected in zip(got, want, strict=True):
        assert isinstance(have, mu.Variable)
        assert have.shape == tuple(expected.shape)
        np.testing.assert_allclose(have.numpy(), expected.detach().numpy(), rtol=1e-12)
    grads = torch.autograd.grad(want, tensors, [torch.tensor(c) for c in cotangents],
                                create_graph=second, allow_unused=True)
    total: Any = 0.0
    for have, cotangent in zip(got, cotangents, strict=True):
        total = total + (have * mu.Constant(cotangent)).sum()
    total.backward(create_graph=second)
    for variable, grad, array in zip(variables, grads, arrays, strict=True):
        expected = np.zeros_like(array) if grad is None else grad.detach().numpy()
        np.testing.assert_allclose(variable.grad().numpy(), expected, rtol=1e-12, atol=1e-14)
    if not second:
        return
    directions = [RNG.standard_normal(array.shape) for array in arrays]
    live = [(grad, torch.tensor(d)) for grad, d in zip(grads, directions, strict=True)
            if grad is not None and grad.requires_grad]
    torch_second = torch.autograd.grad(
        sum((grad * d).sum() for grad, d in live), tensors, allow_unused=True) if live \
        else [None] * len(tensors)
    first = [variable.grad() for variable in variables]
    for variable in variables:
        variable.reset()
    mu_total: Any = 0.0
    for grad, d in zip(first, directions, strict=True):
        mu_total = mu_total + (grad * mu.Constant(d)).sum()
    if isinstance(mu_total, mu.Variable):
        mu_total.backward()
    for variable, expected, array in zip(variables, torch_second, arrays, strict=True):
        want_second = np.zeros_like(array) if expected is None else expected.numpy()
        np.testing.assert_allclose(variable.grad().numpy(), want_second, atol=1e-12)


def values(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape)


# --- views, permutations, transposes ----------------------------------------------------------

def test_view_and_reshape_forms() -> None:
    x = values(2, 3, 4)
    check(lambda t: t.view(6, 4), lambda t: t.view(6, 4), x)
    check(lambda t: t.view((4, -1)), lambda t: t.view((4, -1)), x)
    check(lambda t: t.view(-1), lambda t: t.view(-1), x)
    check(lambda t: t.view_as(mu.zeros((4, 6))), lambda t: t.view_as(torch.zeros(4, 6)), x)
    check(lambda t: t.reshape_as(mu.zeros((24,))), lambda t: t.reshape_as(torch.zeros(24)), x)
    check(lambda t: t.reshape(3, 8), lambda t: t.reshape(3, 8), x)
    check(lambda t: mu.ravel(t), torch.ravel, x)
    check(lambda t: t.ravel(), lambda t: t.ravel(), x)


@pytest.mark.parametrize(("mu_call", "torch_call"), [
    (lambda t: mu.permute(t, (2, 0, 1)), lambda t: torch.permute(t, (2, 0, 1))),
    (lambda t: mu.permute(t, dims=[1, 2, 0]), lambda t: torch.permute(t, dims=[1, 2, 0])),
    (lambda t: t.permute(2, 0, 1), lambda t: t.permute(2, 0, 1)),
    (lambda t: t.permute((-1, 0, 1)), lambda t: t.permute((-1, 0, 1))),
    (lambda t: mu.movedim(t, 0, -1), lambda t: torch.movedim(t, 0, -1)),
    (lambda t: mu.moveaxis(t, (0, 1), (2, 0)), lambda t: torch.moveaxis(t, (0, 1), (2, 0))),
    (lambda t: t.movedim([2], [0]), lambda t: t.movedim([2], [0])),
    (lambda t: mu.swapaxes(t, 0, 2), lambda t: torch.swapaxes(t, 0, 2)),
    (lambda t: t.swapdims(-1, 1), lambda t: t.swapdims(-1, 1)),
    (lambda t: mu.transpose(t, 0, 1), lambda t: torch.transpose(t, 0, 1)),
    (lambda t: t.transpose(-1, 0), lambda t: t.transpose(-1, 0)),
    (lambda t: mu.transpose(t, dim0=2, dim1=1), lambda t: torch.transpose(t, 2, 1)),
    (lambda t: mu.transpose(t), lambda t: t.permute(2, 1, 0)),
    (lambda t: mu.transpose(t, (2, 0, 1)), lambda t: t.permute(2, 0, 1)),
    (lambda t: mu.transpose(t, axes=[1, 0, 2]), lambda t: t.permute(1, 0, 2)),
    (lambda t: t.transpose((1, 2, 0)), lambda t: t.permute(1, 2, 0)),
    (lambda t: t.T, lambda t: t.mT),  # the contract's .T: the matrix transpose (porting.md)
    (lambda t: t.H, lambda t: t.mT),
    (lambda t: t.mT, lambda t: t.mT),
    (lambda t: t.mH, lambda t: t.mH),
], ids=lambda value: "")
def test_permutations(mu_call: Callable[..., Any], torch_call: Callable[..., Any]) -> None:
    check(mu_call, torch_call, values(2, 3, 4))


def test_t_and_T_of_small_tensors() -> None:
    for shape in ((), (3,), (2, 3)):
        x = values(*shape)
        check(mu.t, torch.t, x)
        check(lambda t: t.t(), lambda t: t.t(), x)
    check(lambda t: t.T, lambda t: t.T, values(2, 3))  # .T of fewer axes: see test_errors
    check(lambda t: t.H, lambda t: t.H, values(2, 3))
    check(lambda t: mu.transpose(t, 0, 0), lambda t: torch.transpose(t, 0, 0), values())


def test_squeeze_and_unsqueeze() -> None:
    x = values(1, 3, 1, 2)
    check(lambda t: mu.squeeze(t), torch.squeeze, x)
    check(lambda t: mu.squeeze(t, 1), lambda t: torch.squeeze(t, 1), x)  # not size 1: kept
    check(lambda t: t.squeeze((0, 1, 2)), lambda t: t.squeeze((0, 1, 2)), x)
    check(lambda t: mu.squeeze(t, axis=-2), lambda t: torch.squeeze(t, -2), x)
    check(lambda t: mu.squeeze(t, dim=()), lambda t: torch.squeeze(t, ()), x)
    check(lambda t: t.squeeze(0), lambda t: t.squeeze(0), values())
    check(lambda t: mu.unsqueeze(t, 0), lambda t: torch.unsqueeze(t, 0), x)
    check(lambda t: t.unsqueeze(-1), lambda t: t.unsqueeze(-1), x)
    check(lambda t: t.unsqueeze(-1), lambda t: t.unsqueeze(-1), values())


def test_flatten_and_unflatten() -> None:
    x = values(2, 3, 4, 5)
    check(lambda t: mu.flatten(t), torch.flatten, x)
    check(lambda t: mu.flatten(t, 1), lambda t: torch.flatten(t, 1), x)
    check(lambda t: t.flatten(1, 2), lambda t: t.flatten(1, 2), x)
    check(lambda t: t.flatten(start_dim=-2, end_dim=-1),
          lambda t: t.flatten(start_dim=-2, end_dim=-1), x)
    check(lambda t: t.flatten(), lambda t: t.flatten(), values())
    check(lambda t: mu.unflatten(t, 1, (3, 1)), lambda t: torch.unflatten(t, 1, (3, 1)), x)
    check(lambda t: t.unflatten(-1, (-1, 5)), lambda t: t.unflatten(-1, (-1, 5)), x)


# --- broadcasts, repeats, flips -------------------------------------------------------------

def test_expand_and_broadcasts() -> None:
    x = values(3, 1)
    check(lambda t: t.expand(2, 3, 4), lambda t: t.expand(2, 3, 4), x)
    check(lambda t: t.expand((2, -1, 4)), lambda t: t.expand((2, -1, 4)), x)
    check(lambda t: t.expand_as(mu.zeros((3, 5))), lambda t: t.expand_as(torch.zeros(3, 5)), x)
    check(lambda a, b: mu.broadcast_tensors(a, b), torch.broadcast_tensors, x, values(4, 1, 2))
    assert shape_ops.broadcast_shapes((3, 1), (2, 1, 4), 4) == torch.broadcast_shapes(
        (3, 1), (2, 1, 4), 4)


def test_repeats() -> None:
    x = values(2, 3)
    check(lambda t: t.repeat(2, 1, 3), lambda t: t.repeat(2, 1, 3), x)
    check(lambda t: t.repeat((1, 2)), lambda t: t.repeat((1, 2)), x)
    check(lambda t: mu.tile(t, (2,)), lambda t: torch.tile(t, (2,)), x)
    check(lambda t: t.tile((3, 1, 2)), lambda t: t.tile((3, 1, 2)), x)
    check(lambda t: mu.repeat_interleave(t, 2), lambda t: torch.repeat_interleave(t, 2), x)
    check(lambda t: t.repeat_interleave(3, dim=0), lambda t: t.repeat_interleave(3, dim=0), x)
    counts = np.array([1, 0, 2])
    check(lambda t: mu.repeat_interleave(t, mu.Constant(counts), dim=1),
          lambda t: torch.repeat_interleave(t, torch.tensor(counts), dim=1), x)
    check(lambda t: mu.repeat_interleave(t, mu.Constant(np.array(2)), dim=-1),
          lambda t: torch.repeat_interleave(t, torch.tensor(2), dim=-1), x)
    indices = mu.repeat_interleave(mu.Constant(counts))
    assert isinstance(indices, mu.Constant)
    np.testing.assert_array_equal(indices.numpy(),
                                  torch.repeat_interleave(torch.tensor(counts)).numpy())


def test_flips_rolls_and_rotations() -> None:
    x = values(3, 4, 2)
    check(lambda t: mu.flip(t, (0, 2)), lambda t: torch.flip(t, (0, 2)), x, second=True)
    check(lambda t: t.flip(1), lambda t: t.flip(1), x)
    check(lambda t: t.flip(dims=[-1, 0]), lambda t: t.flip(dims=[-1, 0]), x)
    check(mu.fliplr, torch.fliplr, x)
    check(lambda t: t.flipud(), lambda t: t.flipud(), x)
    check(lambda t: mu.roll(t, 1), lambda t: torch.roll(t, 1), x)
    check(lambda t: t.roll((2, -1), (0, 2)), lambda t: t.roll((2, -1), (0, 2)), x, second=True)
    check(lambda t: mu.roll(t, -5, dims=1), lambda t: torch.roll(t, -5, dims=1), x)
    for k in range(-2, 4):
        check(lambda t, k=k: mu.rot90(t, k, (0, 2)), lambda t, k=k: torch.rot90(t, k, (0, 2)), x)
    check(lambda t: t.rot90(), lambda t: t.rot90(), x)


# --- slices and copies --------------------------------------------------------------------------

def test_slices_along_an_axis() -> None:
    x = values(4, 5, 3)
    check(lambda t: mu.narrow(t, 1, 1, 3), lambda t: torch.narrow(t, 1, 1, 3), x)
    check(lambda t: t.narrow(-1, -2, 2), lambda t: t.narrow(-1, -2, 2), x)
    check(lambda t: t.narrow(0, mu.Constant(np.array(2)), 2),
          lambda t: t.narrow(0, torch.tensor(2), 2), x)
    check(lambda t: mu.select(t, 1, -1), lambda t: torch.select(t, 1, -1), x)
    check(lambda t: t.select(0, 2), lambda t: t.select(0, 2), x)
    check(lambda t: t.unfold(1, 2, 2), lambda t: t.unfold(1, 2, 2), x, second=True)
    check(lambda t: t.unfold(0, 4, 1), lambda t: t.unfold(0, 4, 1), x)


def test_clone_contiguous_and_atleast() -> None:
    x = values(2, 3)
    variable = mu.Variable(x)
    copy = mu.clone(variable)
    assert copy is not variable and not np.shares_memory(copy.array(), variable.array())
    assert variable.contiguous() is variable
    check(lambda t: t.clone(), lambda t: t.clone(), x)
    for name in ("atleast_1d", "atleast_2d", "atleast_3d"):
        for shape in ((), (3,), (2, 3), (2, 3, 4)):
            check(getattr(mu, name), getattr(torch, name), values(*shape))
        check(lambda a, b, name=name: getattr(mu, name)(a, b),
              lambda a, b, name=name: getattr(torch, name)(a, b), values(), values(3))
        check(lambda a, b, name=name: getattr(mu, name)([a, b]),
              lambda a, b, name=name: getattr(torch, name)([a, b]), values(3), values(2, 2))


# --- joins and splits ---------------------------------------------------------------------------

def test_joins() -> None:
    a, b = values(2, 3), values(2, 3)
    for name in ("cat", "concat", "concatenate"):
        check(lambda p, q, name=name: getattr(mu, name)([p, q], dim=1),
              lambda p, q: torch.cat([p, q], dim=1), a, b, second=True)
        check(lambda p, q, name=name: getattr(mu, name)((p, q), axis=-1),
              lambda p, q: torch.cat([p, q], dim=-1), a, b)
    check(lambda p, q: mu.concat([p, q], 0), lambda p, q: torch.cat([p, q], 0), a, b)
    check(lambda p, q: mu.stack([p, q], dim=2), lambda p, q: torch.stack([p, q], dim=2), a, b)
    check(lambda p, q: mu.stack([p, q], axis=-3), lambda p, q: torch.stack([p, q], -3), a, b)
    for name in ("hstack", "vstack", "row_stack", "dstack", "column_stack"):
        for first, second in ((a, b), (values(3), values(3)), (values(), values())):
            check(lambda p, q, name=name: getattr(mu, name)([p, q]),
                  lambda p, q, name=name: getattr(torch, name)([p, q]), first, second)
    check(lambda p, q: mu.cat([p, q]), lambda p, q: torch.cat([p, q]), values(0), a)


def test_joins_promote_like_pytorch() -> None:
    ints = mu.Constant(np.arange(3))
    floats = mu.Variable(np.ones(2, dtype=np.float32), dtype="float32")
    joined = mu.cat([ints, floats])
    assert joined.dtype == np.float32 and isinstance(joined, mu.Variable)
    np.testing.assert_array_equal(joined.numpy(), [0, 1, 2, 1, 1])
    assert mu.stack([floats, floats]).dtype == np.float32
    assert mu.block_diag(ints, floats).dtype == np.float32
    assert mu.cat([ints, ints]).dtype == np.int64


@pytest.mark.parametrize(("mu_call", "torch_call"), [
    (lambda t: mu.split(t, 2), lambda t: torch.split(t, 2)),
    (lambda t: t.split([1, 3, 1], dim=1), lambda t: t.split([1, 3, 1], dim=1)),
    (lambda t: mu.split_with_sizes(t, [2, 0, 2], -1), lambda t: t.split_with_sizes([2, 0, 2], -1)),
    (lambda t: mu.chunk(t, 3, 1), lambda t: torch.chunk(t, 3, 1)),
    (lambda t: t.chunk(4), lambda t: t.chunk(4)),
    (lambda t: mu.unbind(t, 1), lambda t: torch.unbind(t, 1)),
    (lambda t: t.unbind(), lambda t: t.unbind()),
    (lambda t: mu.tensor_split(t, 3, dim=1), lambda t: torch.tensor_split(t, 3, dim=1)),
    (lambda t: t.tensor_split([1, -1, 7], -1), lambda t: t.tensor_split([1, -1, 7], -1)),
    (lambda t: mu.tensor_split(t, mu.Constant(np.array([1, 2]))),
     lambda t: torch.tensor_split(t, torch.tensor([1, 2]))),
    (lambda t: mu.hsplit(t, [2]), lambda t: torch.hsplit(t, [2])),
    (lambda t: t.vsplit([1, 3]), lambda t: t.vsplit([1, 3])),
    (lambda t: mu.dsplit(t, 2), lambda t: torch.dsplit(t, 2)),
], ids=lambda value: "")
def test_splits(mu_call: Callable[..., Any], torch_call: Callable[..., Any]) -> None:
    check(mu_call, torch_call, values(4, 5, 4))


def test_grids_and_products() -> None:
    a, b, c = values(3), values(2), values()
    for indexing in ("ij", "xy"):
        check(lambda p, q, r, indexing=indexing: mu.meshgrid(p, q, r, indexing=indexing),
              lambda p, q, r, indexing=indexing: torch.meshgrid(p, q, r, indexing=indexing),
              a, b, c)
        check(lambda p, q, indexing=indexing: mu.meshgrid([p, q], indexing=indexing),
              lambda p, q, indexing=indexing: torch.meshgrid([p, q], indexing=indexing), a, b)
    check(lambda p, q: mu.cartesian_prod(p, q), torch.cartesian_prod, a, b)
    check(lambda p: mu.combinations(p, 2), lambda p: torch.combinations(p, 2), values(4))
    check(lambda p: mu.combinations(p, 3, with_replacement=True),
          lambda p: torch.combinations(p, 3, with_replacement=True), values(3))
    assert mu.combinations(mu.Variable(values(3)), 0).shape == (0,)  # PyTorch's: no graph
    check(lambda p, q, r: mu.block_diag(p, q, r), torch.block_diag,
          values(2, 3), values(3), values(), second=True)


# --- diagonals and triangles -------------------------------------------------------------------

def test_diagonals_and_triangles() -> None:
    x = values(3, 4, 5)
    check(lambda t: mu.tril(t), torch.tril, x, second=True)
    check(lambda t: t.tril(-1), lambda t: t.tril(-1), x)
    check(lambda t: mu.triu(t, diagonal=2), lambda t: torch.triu(t, diagonal=2), x, second=True)
    check(lambda t: t.triu(-2), lambda t: t.triu(-2), x)
    check(lambda t: mu.diagonal(t), torch.diagonal, x, second=True)
    check(lambda t: t.diagonal(1, -1, 0), lambda t: t.diagonal(1, -1, 0), x)
    check(lambda t: mu.diagonal(t, offset=-2, dim1=2, dim2=1),
          lambda t: torch.diagonal(t, offset=-2, dim1=2, dim2=1), x)
    check(lambda t: mu.diagonal(t, 9), lambda t: torch.diagonal(t, 9), x)
    check(mu.trace, torch.trace, values(4, 3))
    check(lambda t: t.trace(), lambda t: t.trace(), values(3, 3))
    check(lambda t: mu.diag_embed(t), torch.diag_embed, x, second=True)
    check(lambda t: t.diag_embed(-1, 0, 2), lambda t: t.diag_embed(-1, 0, 2), x)
    check(lambda t: mu.diag(t, 1), lambda t: torch.diag(t, 1), values(4), second=True)
    check(lambda t: t.diag(-1), lambda t: t.diag(-1), values(4, 3))
    check(lambda t: mu.diagflat(t, -1), lambda t: torch.diagflat(t, -1), values(2, 2))
    check(lambda t: t.diagflat(), lambda t: t.diagflat(), values())


def test_triangles_of_infinities_and_integers() -> None:
    x = np.array([[1.0, np.inf], [-np.inf, 2.0]])
    np.testing.assert_array_equal(mu.tril(mu.Constant(x)).numpy(), torch.tril(torch.tensor(x)))
    ints = np.arange(12).reshape(3, 4)
    for function in ("tril", "triu", "diagonal", "diag", "trace", "diagflat"):
        got = getattr(mu, function)(mu.Constant(ints))
        want = getattr(torch, function)(torch.tensor(ints))
        assert isinstance(got, mu.Constant) and got.dtype == np.int64
        np.testing.assert_array_equal(got.numpy(), want.numpy())


# --- dtypes and kinds -------------------------------------------------------------------------

FLOAT32_CALLS: list[Callable[[Any], Any]] = [
    lambda t: t.view(-1), lambda t: mu.permute(t, (1, 0)), lambda t: t.expand(2, 3, 4),
    lambda t: t.repeat(2, 1), lambda t: mu.flip(t, (0,)), lambda t: mu.roll(t, 1, 1),
    lambda t: mu.rot90(t), lambda t: t.unfold(1, 2, 1), lambda t: mu.clone(t),
    lambda t: mu.cat([t, t], 1), lambda t: mu.hstack([t, t]), lambda t: mu.split(t, 1)[0],
    lambda t: mu.tril(t), lambda t: mu.diagonal(t), lambda t: mu.diag_embed(t),
    lambda t: mu.block_diag(t, t), lambda t: mu.repeat_interleave(t, 2, 0),
    lambda t: mu.meshgrid(t[0], t[1])[0], lambda t: t[np.True_],
]


@pytest.mark.parametrize("call", FLOAT32_CALLS, ids=lambda value: "")
def test_float32_stays_float32(call: Callable[[Any], Any]) -> None:
    x = mu.Variable(np.ones((3, 4), dtype=np.float32), dtype="float32")
    out = call(x)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad().dtype == np.float32


def test_constants_stay_constants() -> None:
    c = mu.Constant(values(3, 4))
    for out in (c.view(4, 3), mu.flip(c, (0,)), mu.cat([c, c]), mu.split(c, 2)[1],
                mu.tril(c), c.T, mu.diag_embed(c), mu.clone(c)):
        assert isinstance(out, mu.Constant)


# --- indexing with 0-d booleans ----------------------------------------------------------------

@pytest.mark.parametrize("index", [
    np.True_, np.False_, (np.True_, 1), (slice(None), np.False_), (0, np.True_, [0, 2]),
    (Ellipsis, np.True_),
], ids=lambda value: repr(value))
def test_zero_d_boolean_indices(index: Any) -> None:
    x = values(2, 3)
    torch_index = tuple(torch.tensor(bool(item)) if isinstance(item, np.bool_) else item
                        for item in (index if isinstance(index, tuple) else (index,)))
    check(lambda t: t[index], lambda t: t[torch_index], x)
    mask = mu.Constant(np.array(True)) if not isinstance(index, tuple) else None
    if mask is not None:
        check(lambda t: t[mask], lambda t: t[torch.tensor(True)], x)


# --- the device path ---------------------------------------------------------------------------

DEVICE_CALLS: list[Callable[[Any], Any]] = [
    lambda t: t.view(4, 3).T, lambda t: mu.permute(t, (1, 0)).expand(2, 4, 3),
    lambda t: t.repeat(1, 2), lambda t: mu.repeat_interleave(t, mu.Constant([1, 0, 2]), 0),
    lambda t: mu.flip(t, (0, 1)), lambda t: mu.roll(t, (1, 2), (0, 1)), lambda t: mu.rot90(t),
    lambda t: t.narrow(1, 1, 2), lambda t: t.select(0, 1), lambda t: t.unfold(1, 2, 1),
    lambda t: mu.clone(t), lambda t: mu.cat([t, t], 1), lambda t: mu.stack(mu.unbind(t)),
    lambda t: mu.cat(mu.split(t, [1, 2])), lambda t: mu.cat(mu.tensor_split(t, 2, 1), 1),
    lambda t: mu.meshgrid(t[0], t[1])[1], lambda t: mu.combinations(t[0]),
    lambda t: mu.block_diag(t, t[0]), lambda t: mu.tril(t, 1) + mu.triu(t, 1),
    lambda t: mu.diagonal(t), lambda t: mu.diag_embed(t), lambda t: mu.trace(t),
    lambda t: t[np.True_], lambda t: mu.diagflat(t[0], 1),
]


def test_every_operation_runs_on_the_device_path(device: str) -> None:
    """The stand-in device refuses NumPy calls on its arrays: every forward and VJP uses
    ``xp``; on a real GPU, the results equal the CPU's."""
    data = values(3, 4)
    for number, call in enumerate(DEVICE_CALLS):
        results = {}
        for where in ("cpu", device):
            x = mu.variable(data, dtype="float64", device=where)
            out = call(x)
            out.backward(mu.constant(np.ones(out.shape), device=where))
            results[where] = (out.numpy(), x.grad().numpy())
        for got, want in zip(results[device], results["cpu"], strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=str(number))


# --- errors ------------------------------------------------------------------------------------

def _x() -> Any:
    return mu.ones((2, 3))


ERRORS: list[tuple[Callable[[], Any], type[Exception], str]] = [
    (lambda: _x().view(4, 2), mu.ShapeError, "view: .*(2, 3)"),
    (lambda: _x().view(mu.float32), TypeError, "view: .*dtype"),
    (lambda: _x().view_as(mu.ones((4,))), mu.ShapeError, "view_as: "),
    (lambda: _x().reshape_as(mu.ones((4,))), mu.ShapeError, "reshape_as: "),
    (lambda: mu.permute(_x(), (0, 0)), ValueError, "permute: .*not a permutation"),
    (lambda: _x().permute(0), ValueError, "permute: "),
    (lambda: mu.movedim(_x(), (0, 1), 0), ValueError, "movedim: .*same number"),
    (lambda: mu.movedim(_x(), 0, 2), IndexError, "movedim: dim 2 is out of range"),
    (lambda: mu.moveaxis(_x(), (0, 0), (0, 1)), ValueError, "moveaxis: repeated"),
    (lambda: mu.swapaxes(_x(), 0, 2), IndexError, "swapaxes: "),
    (lambda: mu.swapdims(_x(), 0, 1.0), TypeError, "swapdims: dim must be an int"),
    (lambda: mu.transpose(_x(), 0), TypeError, "transpose: expected two axes"),
    (lambda: mu.transpose(_x(), 0, 5), IndexError, "transpose: "),
    (lambda: mu.transpose(_x(), 0, 1, axes=(1, 0)), TypeError, "transpose: "),
    (lambda: mu.t(mu.ones((2, 2, 2))), mu.ShapeError, "t: .*at most 2"),
    (lambda: mu.ones((3,)).mT, mu.ShapeError, "matrix_transpose: "),
    (lambda: mu.unsqueeze(_x(), 3), IndexError, "unsqueeze: "),
    (lambda: mu.squeeze(_x(), 2), ValueError, "squeeze: axis 2"),
    (lambda: mu.flatten(_x(), 1, 0), ValueError, "flatten: start_dim"),
    (lambda: mu.flatten(_x(), 2), IndexError, "flatten: "),
    (lambda: mu.unflatten(_x(), 1, (2, 2)), mu.ShapeError, "unflatten: "),
    (lambda: mu.unflatten(_x(), 1, (-1, -1)), ValueError, "unflatten: only one"),
    (lambda: mu.unflatten(mu.ones(()), 0, (1,)), mu.ShapeError, "unflatten: .*0-d"),
    (lambda: _x().expand(4, 3), mu.ShapeError, "expand: cannot broadcast"),
    (lambda: _x().expand(3), mu.ShapeError, "expand: "),
    (lambda: _x().expand(-1, 2, 3), ValueError, "expand: -1"),
    (lambda: _x().expand_as(mu.ones((3,))), mu.ShapeError, "expand_as: "),
    (lambda: mu.broadcast_tensors(_x(), mu.ones((4,))), mu.ShapeError, "broadcast_tensors: "),
    (lambda: shape_ops.broadcast_shapes((2,), (3,)), mu.ShapeError, "broadcast_shapes: "),
    (lambda: _x().repeat(2), ValueError, "repeat: .*at least one per axis"),
    (lambda: _x().repeat(2, -1), ValueError, "repeat: .*non-negative"),
    (lambda: mu.tile(_x(), (1.5,)), TypeError, "tile: "),
    (lambda: mu.repeat_interleave(_x(), -1), ValueError, "repeat_interleave: "),
    (lambda: mu.repeat_interleave(_x(), mu.Constant([1, 2]), 1), ValueError,
     "repeat_interleave: .*one non-negative count"),
    (lambda: mu.repeat_interleave(_x(), 2, 0, output_size=5), ValueError,
     "repeat_interleave: output_size"),
    (lambda: mu.repeat_interleave(_x()), TypeError, "repeat_interleave: expected integers"),
    (lambda: mu.flip(_x()), TypeError, "flip: missing"),
    (lambda: mu.flip(_x(), (0, 0)), ValueError, "flip: repeated"),
    (lambda: mu.fliplr(mu.ones((3,))), mu.ShapeError, "fliplr: "),
    (lambda: mu.flipud(mu.ones(())), mu.ShapeError, "flipud: "),
    (lambda: mu.roll(_x(), (1, 2)), ValueError, "roll: "),
    (lambda: mu.roll(_x(), (1, 2), 0), ValueError, "roll: .*same length"),
    (lambda: mu.roll(_x(), 1.5), TypeError, "roll: shifts"),
    (lambda: mu.rot90(_x(), 1, (0, 0)), ValueError, "rot90: .*different"),
    (lambda: mu.rot90(mu.ones((3,))), mu.ShapeError, "rot90: "),
    (lambda: mu.rot90(_x(), 1, (0,)), ValueError, "rot90: dims"),
    (lambda: mu.narrow(_x(), 1, 2, 2), IndexError, "narrow: "),
    (lambda: mu.narrow(_x(), 1, 4, 0), IndexError, "narrow: start 4"),
    (lambda: mu.select(_x(), 0, 2), IndexError, "select: index 2"),
    (lambda: mu.select(mu.ones(()), 0, 0), mu.ShapeError, "select: "),
    (lambda: _x().unfold(1, 4, 1), mu.ShapeError, "unfold: size 4"),
    (lambda: _x().unfold(1, 2, 0), ValueError, "unfold: step"),
    (lambda: mu.cat([]), ValueError, "cat: needs at least one"),
    (lambda: mu.cat(_x()), TypeError, "cat: expected a sequence"),
    (lambda: mu.cat([_x(), mu.ones((3, 2))]), mu.ShapeError, "cat: shapes"),
    (lambda: mu.cat([_x(), _x()], dim=2), ValueError, "cat: axis 2"),
    (lambda: mu.cat([_x(), _x()], dim=0, axis=1), TypeError, "cat: give dim= or axis="),
    (lambda: mu.concatenate([mu.ones(()), mu.ones(())]), mu.ShapeError, "concatenate: .*0-d"),
    (lambda: mu.stack([_x(), mu.ones((3, 2))], dim=1), mu.ShapeError, "stack: "),
    (lambda: mu.stack([_x()], dim=3), ValueError, "stack: axis 3"),
    (lambda: mu.hstack([]), ValueError, "hstack: "),
    (lambda: mu.vstack([_x(), mu.ones((2,))]), mu.ShapeError, "vstack: "),
    (lambda: mu.dstack([_x(), mu.ones((3,))]), mu.ShapeError, "dstack: "),
    (lambda: mu.column_stack([_x(), mu.ones((3,))]), mu.ShapeError, "column_stack: "),
    (lambda: mu.split(_x(), 0, 1), ValueError, "split: split size"),
    (lambda: mu.split(_x(), [1, 1], 1), mu.ShapeError, "split: split sizes"),
    (lambda: mu.split(mu.ones(()), 1), mu.ShapeError, "split: .*0-d"),
    (lambda: mu.split(_x(), 1.5), TypeError, "split: "),
    (lambda: mu.split_with_sizes(_x(), 2), TypeError, "split_with_sizes: "),
    (lambda: mu.chunk(_x(), 0), ValueError, "chunk: chunks"),
    (lambda: mu.unbind(_x(), 2), IndexError, "unbind: "),
    (lambda: mu.tensor_split(_x(), 0), ValueError, "tensor_split: .*positive"),
    (lambda: mu.tensor_split(_x(), mu.ones((2,))), TypeError, "tensor_split: "),
    (lambda: mu.hsplit(_x(), 2), mu.ShapeError, "hsplit: .*equal sections"),
    (lambda: mu.vsplit(mu.ones((3,)), 3), mu.ShapeError, "vsplit: "),
    (lambda: mu.dsplit(_x(), 1), mu.ShapeError, "dsplit: "),
    (lambda: mu.meshgrid(_x()), mu.ShapeError, "meshgrid: .*0-d or 1-D"),
    (lambda: mu.meshgrid(mu.ones((2,)), indexing="xx"), ValueError, "meshgrid: indexing"),
    (lambda: mu.cartesian_prod(_x()), mu.ShapeError, "cartesian_prod: "),
    (lambda: mu.combinations(_x()), mu.ShapeError, "combinations: "),
    (lambda: mu.combinations(mu.ones((3,)), -1), ValueError, "combinations: r"),
    (lambda: mu.block_diag(mu.ones((2, 2, 2))), mu.ShapeError, "block_diag: "),
    (lambda: mu.tril(mu.ones((3,))), mu.ShapeError, "tril: "),
    (lambda: mu.triu(_x(), 0.5), TypeError, "triu: "),
    (lambda: mu.diagonal(mu.ones((3,))), mu.ShapeError, "diagonal: "),
    (lambda: mu.diagonal(_x(), 0, 1, -1), ValueError, "diagonal: dim1 and dim2"),
    (lambda: mu.trace(mu.ones((2, 2, 2))), mu.ShapeError, "trace: "),
    (lambda: mu.diag_embed(mu.ones(())), mu.ShapeError, "diag_embed: "),
    (lambda: mu.diag_embed(_x(), 0, 0, -3), ValueError, "diag_embed: "),
    (lambda: mu.diag(mu.ones((2, 2, 2))), mu.ShapeError, "diag: "),
    (lambda: _x()[np.array([True, False, True])], IndexError, "getitem: "),
]


@pytest.mark.parametrize(("call", "error", "message"), ERRORS,
                         ids=[case[2].split(":")[0] for case in ERRORS])
def test_mistakes_raise_clear_errors(call: Callable[[], Any], error: type[Exception],
                                     message: str) -> None:
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        call()
