"""Inputs refused or handled safely (issue 18: "Inputs", "Crashes instead of errors", "Messages
that point the wrong way"; docs/reliability.md lists each guarantee with its test here):

- only bool, integer and float dtypes enter: strings are not parsed into numbers, complex
  numbers and Python objects are refused with a ``TypeError`` naming the function called;
- Python numbers alone follow the dtype rule: a float gives float32 (``torch.exp(1.5)``'s dtype);
- a Python int beyond int64 is a ``ValueError`` naming the function, never an ``OverflowError``;
- ``repr`` summarises any tensor without copying it (a broadcast view of 10^10 elements);
- an error raised by a helper names the function the user called (``matmul``, not ``mm``);
- a convolution's backward over an empty batch gives PyTorch's zero gradients.

The fuzzing of every public function with hostile arguments is in tests/test_fuzz.py.
"""

from __future__ import annotations

import math
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import fake_cupy
import numpy as np
import pytest
import torch

import mushin as mu

F = mu.nn.functional


# --- dtypes --------------------------------------------------------------------------------------

@pytest.mark.parametrize("make", [mu.tensor, mu.constant, mu.variable, mu.Constant],
                         ids=["tensor", "constant", "variable", "Constant"])
@pytest.mark.parametrize("values", [np.array(["1.5"]), np.array([1 + 2j]),
                                    np.array([1.0], dtype=object), ["1.5"], [1j]],
                         ids=["strings", "complex", "objects", "a list of strings",
                              "a list of complex numbers"])
def test_tensors_hold_only_bools_integers_and_floats(make: Callable[..., Any],
                                                     values: Any) -> None:
    """A string array used to be parsed into float32 by ``variable`` and kept as ``<U3`` by
    ``tensor``; complex and object arrays became complex and object tensors."""
    with pytest.raises(TypeError, match=rf"^{make.__name__}: "):
        make(values)


@pytest.mark.parametrize("dtype", ["complex64", "str", object])
def test_dtypes_that_are_not_real_numbers_are_refused(dtype: Any) -> None:
    with pytest.raises(TypeError, match=r"^zeros: unsupported dtype"):
        mu.zeros((2,), dtype=dtype)
    with pytest.raises(TypeError, match=r"^astype: unsupported dtype"):
        mu.ones((2,)).freeze().astype(dtype)
    with pytest.raises(TypeError, match=r"^to: unsupported dtype"):
        mu.ones((2,)).to(dtype)


@pytest.mark.parametrize(("operand", "message"), [
    (np.array([1.0], dtype=object), r"^mul: expected a numeric tensor"),
    (np.array(["1"]), r"^mul: expected a numeric tensor"),
    (np.array([1j]), r"^mul: complex tensors are not supported"),
], ids=["objects", "strings", "complex"])
def test_an_operand_that_is_not_a_real_array_is_refused(operand: Any, message: str) -> None:
    """``w * np.array([1.], dtype=object)`` used to give an object Variable whose backward
    raised ``AttributeError`` (later a ``KeyError: 'O'``)."""
    w = mu.variable([1.0])
    with pytest.raises(TypeError, match=message):
        w * operand
    with pytest.raises(TypeError, match=message):
        mu.mul(operand, w)


FLOAT_CALLS: list[tuple[Any, ...]] = [
    ("exp", lambda number: mu.exp(number)),
    ("neg", lambda number: mu.neg(number)),
    ("relu", lambda number: F.relu(number)),
    ("gelu", lambda number: F.gelu(number)),
    ("softplus", lambda number: F.softplus(number)),
    ("sum", lambda number: mu.sum(number)),
    ("softmax", lambda number: mu.softmax(number, 0)),
    ("logsumexp", lambda number: mu.logsumexp(number, 0)),
    ("median", lambda number: mu.median(number)),
    ("sort", lambda number: mu.sort(number).values),
    ("amax", lambda number: mu.amax(number)),
]


@pytest.mark.parametrize(("name", "call"), FLOAT_CALLS,
                         ids=[case[0] for case in FLOAT_CALLS])
def test_python_floats_alone_give_float32(name: str, call: Callable[[float], Any]) -> None:
    """The contract's rule (a Python float becomes float32, PyTorch's default dtype) holds
    for results computed from numbers alone: ``relu(1.5)`` and ``sum(1.5)`` were float64."""
    result = call(1.5)
    reference = getattr(torch, name, None) or getattr(torch.nn.functional, name)
    expected = reference(torch.tensor(1.5), *((0,) if name in ("softmax", "logsumexp")
                                              else ()))
    expected = expected.values if name == "sort" else expected
    assert result.dtype == np.float32
    assert str(expected.dtype) == "torch.float32"
    np.testing.assert_allclose(result.numpy(), expected.numpy(), rtol=1e-6)


@pytest.mark.parametrize(("function", "arguments", "value"), [
    (mu.add, (1.5, 2), 3.5), (mu.sub, (1.5, 2), -0.5), (mu.mul, (1.5, 2), 3.0),
    (mu.div, (1.5, 2), 0.75), (mu.pow, (1.5, 2), 2.25), (mu.neg, (1.5,), -1.5),
], ids=["add", "sub", "mul", "div", "pow", "neg"])
def test_arithmetic_on_plain_numbers_gives_a_float32_tensor(
        function: Callable[..., Any], arguments: tuple[Any, ...], value: float) -> None:
    """``mu.add(1.5, 2).shape`` raised ``AttributeError``: the result was a NumPy scalar."""
    result = function(*arguments)
    assert isinstance(result, mu.Constant)
    assert result.shape == ()
    assert result.dtype == np.float32
    assert result.item() == value
    assert F.gelu(1.5).shape == ()


# --- numbers beyond int64, and arguments of the wrong kind ---------------------------------------

HUGE_INTS: list[tuple[Any, ...]] = [
    ("relu", lambda: F.relu(10**30), ValueError),
    ("abs", lambda: mu.abs(10**30), ValueError),
    ("sum", lambda: mu.sum(10**30), ValueError),
    ("add", lambda: mu.tensor([1]) + 10**30, ValueError),
    ("variable", lambda: mu.variable([10**30]), TypeError),
    ("zeros", lambda: mu.zeros((10**30,)), ValueError),
    ("tril", lambda: mu.tril(mu.ones((2, 2)), 10**30), ValueError),
    ("conv2d", lambda: F.conv2d(mu.ones((1, 1, 3, 3)), mu.ones((1, 1, 2, 2)), stride=10**30),
     ValueError),
    ("combinations", lambda: mu.combinations(mu.ones((3,)), 10**30), ValueError),
    ("index_select", lambda: mu.index_select(mu.ones((3,)), 0, 10**30), ValueError),
    ("pow", lambda: mu.pow(-3, 10**30), ValueError),  # computed without bound before
    ("masked_fill", lambda: mu.masked_fill(mu.tensor([1, 2]), mu.tensor([True, False]), 10**30),
     ValueError),
]


@pytest.mark.parametrize(("name", "call", "kind"), HUGE_INTS,
                         ids=[case[0] for case in HUGE_INTS])
def test_an_int_beyond_int64_raises_naming_the_function(name: str, call: Callable[[], Any],
                                                        kind: type[Exception]) -> None:
    """``relu(10**30)`` raised ``OverflowError: Python int too large to convert to C long``."""
    with pytest.raises(kind, match=rf"^{name}: "):
        call()


WRONG_ARGUMENTS: list[tuple[Any, ...]] = [
    ("kl_div", lambda: F.kl_div(None, None), TypeError),
    ("kl_div", lambda: mu.nn.losses.kl_div(None, None), TypeError),
    ("cross_entropy", lambda: F.cross_entropy([], []), TypeError),
    ("cross_entropy", lambda: mu.nn.losses.cross_entropy([], []), TypeError),
    ("cross_entropy", lambda: F.cross_entropy(mu.tensor(1.0), mu.tensor(0)), mu.ShapeError),
    ("mse", lambda: mu.nn.losses.mse(1.5, mu.ones((3,))), mu.ShapeError),
    ("mse", lambda: mu.nn.losses.mse(mu.ones((3,)), None), TypeError),
    ("mse_loss", lambda: F.mse_loss(1.5, mu.ones((3,))), TypeError),
    ("logsumexp", lambda: mu.logsumexp(None, 0), TypeError),
    ("gather", lambda: mu.gather([[1, 2], [3]], 0, mu.tensor([0])), TypeError),
    ("scatter_reduce", lambda: mu.scatter_reduce(mu.ones((3,)), 0, mu.tensor([0]),
                                                 mu.ones((1,)), {"a": 1}), ValueError),
    ("einsum", lambda: mu.einsum(None, mu.ones((2,))), TypeError),
    ("expand_dims", lambda: mu.expand_dims(mu.ones((2,)), None), TypeError),
    ("repeat_interleave", lambda: mu.repeat_interleave({"a": 1}), TypeError),
    ("interpolate", lambda: F.interpolate(mu.ones((1, 1, 4)), scale_factor=2, mode={}),
     NotImplementedError),
    ("lp_pool1d", lambda: F.lp_pool1d(None, 2, 2), TypeError),
    ("pad", lambda: F.pad(mu.ones((2, 3)), None), ValueError),
    ("instance_norm", lambda: F.instance_norm(
        mu.ones((1, 2, 3)), running_mean=mu.tensor([1, 2]), running_var=mu.ones((2,)),
        use_input_stats=True), TypeError),
    ("triplet_margin_with_distance_loss", lambda: F.triplet_margin_with_distance_loss(
        mu.ones((2,)), mu.ones((2,)), mu.ones((2,)), distance_function="l2"), TypeError),
    ("multinomial", lambda: mu.multinomial(mu.ones((0,)), 2), ValueError),
    ("quantile", lambda: mu.quantile(mu.ones((3,)), mu.ones((0,))), ValueError),
]


@pytest.mark.parametrize(("name", "call", "kind"), WRONG_ARGUMENTS,
                         ids=[case[0] for case in WRONG_ARGUMENTS])
def test_a_wrong_argument_raises_an_error_naming_the_function(
        name: str, call: Callable[[], Any], kind: type[Exception]) -> None:
    """These raised ``AttributeError``, ``KeyError``, ``IndexError: tuple index out of
    range``, ``unhashable type`` or NumPy's own messages, naming nothing."""
    with pytest.raises(kind, match=rf"^{name}: "):
        call()


# --- messages name the function called ----------------------------------------------------------

HELPER_ERRORS: list[tuple[Any, ...]] = [
    ("matmul", lambda: mu.ones((2, 3)) @ mu.ones((4, 2))),
    ("matmul", lambda: mu.matmul(mu.ones((2, 3)), mu.ones((4, 2)))),
    ("addbmm", lambda: mu.addbmm(mu.ones((2, 2)), mu.ones((2, 3)), mu.ones((2, 3)))),
    ("addmv", lambda: mu.addmv(mu.ones((2,)), mu.ones((2, 3)), mu.ones((2, 3)))),
    ("addr", lambda: mu.addr(mu.ones((2, 2)), mu.tensor(1.0), mu.ones((2,)))),
    ("chain_matmul", lambda: mu.chain_matmul(mu.ones((2, 3)), mu.ones((2, 3)))),
    ("solve_ex", lambda: mu.linalg.solve_ex(mu.eye(3), mu.ones((0,)))),
    ("argsort", lambda: mu.argsort(mu.ones((3,)), descending=None)),
    ("dsplit", lambda: mu.dsplit(mu.ones((2, 2, 4)), [[1, 2], [3]])),
    ("corrcoef", lambda: mu.corrcoef(mu.ones((1, 1, 2)))),
    ("upsample", lambda: F.upsample(mu.tensor(1.0), scale_factor=2)),
    ("cosine_similarity", lambda: F.cosine_similarity(mu.ones((2, 3)), mu.ones((2, 3)),
                                                      eps=None)),
    ("batch_flatten", lambda: F.batch_flatten(1.5)),
    ("MSELoss", lambda: mu.nn.MSELoss()(None, mu.ones((3,)))),
    ("Linear", lambda: mu.nn.Linear(2, 2, device="nowhere")),
    ("MultiHeadAttention", lambda: mu.nn.MultiHeadAttention(4, 2, dtype="complex64")),
    ("less", lambda: mu.ones((2,)) < {"a": 1}),
    ("add", lambda: {"a": 1} + mu.ones((2,))),
    ("floor_divide", lambda: "x" // mu.ones((2,))),
]


@pytest.mark.parametrize(("name", "call"), HELPER_ERRORS,
                         ids=[case[0] for case in HELPER_ERRORS])
def test_an_error_names_the_function_called_not_its_helper(name: str,
                                                           call: Callable[[], Any]) -> None:
    """``x @ y`` said "mm", ``addbmm`` "bmm", ``upsample`` "interpolate", ``argsort`` "sort",
    ``Linear(device=...)`` "zeros": the helper each calls, which the user never wrote."""
    with pytest.raises((ValueError, TypeError, NotImplementedError), match=rf"^{name}: "):
        call()


def test_a_layer_names_itself_through_a_library_frame() -> None:
    """A check reached through the standard library (``collections.Counter`` consuming a
    generator) still names the layer the user built, not the check (``integer``)."""
    optimizer = mu.nn.optimizers.SGD([mu.randn((2,))], lr=0.1)
    with pytest.raises(TypeError, match=r"^MultiStepLR: each milestone must be an int"):
        mu.nn.schedulers.MultiStepLR(optimizer, milestones=["a"])


# --- repr -----------------------------------------------------------------------------------------

def test_repr_of_a_huge_broadcast_view_copies_nothing() -> None:
    """``repr(mu.broadcast_to(x, (10**5, 10**5)))`` tried to allocate 37 GiB."""
    view = mu.broadcast_to(mu.ones((1,)), (10**5, 10**5))
    tracemalloc.start()
    start = time.perf_counter()
    try:
        text = repr(view)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - start < 1.0
    assert peak < 1 << 20
    assert "..." in text and "shape=(100000, 100000)" in text


def test_repr_from_a_device_moves_only_the_elements_it_shows(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The summary of a device tensor is the CPU one, and only the shown elements (3 at each
    end of each long axis) come to the host."""
    moved: list[int] = []
    original = fake_cupy.FakeArray.get

    def get(self: Any, *args: Any, **kwargs: Any) -> Any:
        moved.append(self._array.size)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(fake_cupy.FakeArray, "get", get)
    values = np.arange(30_000, dtype=np.float32).reshape(100, 300)
    with fake_cupy.registered() as device:
        on_device = mu.tensor(values, device=device)
        text = repr(on_device)
    assert max(moved) <= 7 * 7
    assert text == repr(mu.tensor(values))[:-1] + f", device={device})"
    small = np.arange(12.0).reshape(3, 4)
    with fake_cupy.registered() as device:
        assert repr(mu.tensor(small, device=device)) == (
            repr(mu.tensor(small))[:-1] + f", device={device})")


# --- convolutions over an empty batch ---------------------------------------------------------

@pytest.mark.parametrize(("layer", "torch_layer", "shape"), [
    (lambda: mu.nn.Conv1d(2, 3, 3), lambda: torch.nn.Conv1d(2, 3, 3), (0, 2, 5)),
    (lambda: mu.nn.Conv2d(2, 4, 3, groups=2), lambda: torch.nn.Conv2d(2, 4, 3, groups=2),
     (0, 2, 5, 5)),
    (lambda: mu.nn.Conv3d(2, 3, 2), lambda: torch.nn.Conv3d(2, 3, 2), (0, 2, 3, 3, 3)),
    (lambda: mu.nn.ConvTranspose2d(2, 3, 3), lambda: torch.nn.ConvTranspose2d(2, 3, 3),
     (0, 2, 3, 3)),
], ids=["Conv1d", "Conv2d", "Conv3d", "ConvTranspose2d"])
@pytest.mark.parametrize("on_device", [False, True], ids=["cpu", "stand-in"])
def test_a_convolution_backward_over_an_empty_batch_gives_zero_gradients(
        layer: Callable[[], Any], torch_layer: Callable[[], Any], shape: tuple[int, ...],
        on_device: bool) -> None:
    """``Conv2D`` backward over a batch of 0 images raised NumPy's "cannot reshape array of
    size 0"; PyTorch's gradients are zeros of the parameters' shapes."""
    with fake_cupy.registered() as device:
        model = layer().to(device) if on_device else layer()
        x = mu.variable(np.zeros(shape, np.float32), device=device if on_device else None)
        out = model(x)
        out.sum().backward()
        reference = torch_layer()
        t = torch.zeros(shape, requires_grad=True)
        expected = reference(t)
        expected.sum().backward()
    assert out.shape == tuple(expected.shape)
    assert x.grad().shape == shape
    assert reference.weight.grad is not None and reference.bias.grad is not None
    np.testing.assert_array_equal(model.weight.grad().numpy(), reference.weight.grad.numpy())
    np.testing.assert_array_equal(model.bias.grad().numpy(), reference.bias.grad.numpy())
    assert math.isclose(float(out.sum().item()), 0.0)
