"""The unary operations of ``mushin.ops.unary`` against PyTorch (float64): values, gradients
to second order, function and method forms, aliases, dtypes, the device path and the errors.

PyTorch's operator database (``tests/op_db.py``) runs its sample inputs on these operations;
this file covers what it does not: methods and aliases, float32 and integer inputs, second
derivatives, special values (NaN, infinities, signed zeros, halves), and the messages.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import mushin as mu

torch = pytest.importorskip("torch")

# (name, low, high): the op and a range of inputs inside its domain.
DIFFERENTIABLE = [
    ("acos", -0.9, 0.9), ("arccos", -0.9, 0.9), ("asin", -0.9, 0.9), ("arcsin", -0.9, 0.9),
    ("acosh", 1.1, 3.0), ("arccosh", 1.1, 3.0), ("asinh", -2.0, 2.0), ("arcsinh", -2.0, 2.0),
    ("atanh", -0.9, 0.9), ("arctanh", -0.9, 0.9), ("arctan", -2.0, 2.0),
    ("cosh", -2.0, 2.0), ("sinh", -2.0, 2.0), ("tan", -1.2, 1.2),
    ("exp2", -2.0, 2.0), ("expm1", -2.0, 2.0), ("log1p", -0.9, 3.0), ("log2", 0.1, 3.0),
    ("log10", 0.1, 3.0), ("rsqrt", 0.1, 3.0), ("reciprocal", 0.2, 3.0), ("square", -2.0, 2.0),
    ("deg2rad", -90.0, 90.0), ("rad2deg", -2.0, 2.0),
    ("ceil", -3.0, 3.0), ("floor", -3.0, 3.0), ("trunc", -3.0, 3.0), ("fix", -3.0, 3.0),
    ("frac", -3.0, 3.0), ("round", -3.0, 3.0), ("sign", -2.0, 2.0), ("sgn", -2.0, 2.0),
    ("angle", -2.0, 2.0), ("nan_to_num", -2.0, 2.0),
    ("positive", -2.0, 2.0), ("negative", -2.0, 2.0), ("absolute", -2.0, 2.0),
    ("conj", -2.0, 2.0), ("conj_physical", -2.0, 2.0), ("resolve_conj", -2.0, 2.0),
    ("resolve_neg", -2.0, 2.0), ("real", -2.0, 2.0),
]
METHODLESS = {"real"}  # PyTorch's x.real is a property
PREDICATES = ["isfinite", "isinf", "isnan", "isposinf", "isneginf", "isreal", "signbit"]
SPECIAL = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 0.5, -0.5, 1.5, 2.5, -2.5, 1.0, -1.0,
                    3.7, -3.7, 1e-300, 1e300])


def _torch_grads(name: str, x: np.ndarray, cotangent: np.ndarray) -> tuple[Any, ...]:
    """PyTorch's value, gradient and second derivative (of ``sum(grad * cotangent)``)."""
    tx = torch.tensor(x, requires_grad=True)
    out = getattr(torch, name)(tx)
    (grad,) = torch.autograd.grad(out, tx, torch.tensor(cotangent), create_graph=True)
    if grad.requires_grad:
        (second,) = torch.autograd.grad((grad * torch.tensor(cotangent)).sum(), tx,
                                        allow_unused=True)
    else:
        second = None
    second = np.zeros_like(x) if second is None else second.detach().numpy(force=True)
    return out.detach().numpy(), grad.detach().numpy(force=True), second


@pytest.mark.parametrize(("name", "low", "high"), DIFFERENTIABLE,
                         ids=[case[0] for case in DIFFERENTIABLE])
def test_values_and_gradients_to_second_order(name: str, low: float, high: float) -> None:
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    x = rng.uniform(low, high, size=(3, 4))
    cotangent = rng.standard_normal((3, 4))
    want, want_grad, want_second = _torch_grads(name, x, cotangent)
    forms: list[Callable[[Any], Any]] = [getattr(mu, name)]
    if name not in METHODLESS:
        forms.append(lambda tensor: getattr(tensor, name)())
    for form in forms:
        variable = mu.Variable(x)
        out = form(variable)
        assert isinstance(out, mu.Variable)
        np.testing.assert_allclose(out.numpy(), want, rtol=1e-12, atol=1e-12)
        out.backward(cotangent, create_graph=True)
        grad = variable.grad()
        np.testing.assert_allclose(grad.numpy(), want_grad, rtol=1e-10, atol=1e-12)
        variable.reset()
        (grad * mu.Constant(cotangent)).sum().backward()
        np.testing.assert_allclose(variable.grad().numpy(), want_second, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", [case[0] for case in DIFFERENTIABLE] + PREDICATES)
def test_special_values_match_torch(name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = getattr(torch, name)(torch.tensor(SPECIAL)).numpy()
        got = getattr(mu, name)(mu.Constant(SPECIAL)).numpy()
    assert got.dtype == want.dtype
    # NaN in the same places, values to the last bits (libm may round the last one apart),
    # and signed zeros and infinities with PyTorch's signs.
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=0, equal_nan=True)
    if want.dtype.kind == "f":
        numbers = ~np.isnan(want)
        np.testing.assert_array_equal(np.signbit(got[numbers]), np.signbit(want[numbers]))


@pytest.mark.parametrize("name", PREDICATES)
def test_predicates_are_bool_constants(name: str) -> None:
    x = mu.Variable(SPECIAL)
    for result in (getattr(mu, name)(x), getattr(x, name)()):
        assert isinstance(result, mu.Constant)
        assert result.dtype == np.dtype(bool)
        np.testing.assert_array_equal(result.numpy(), getattr(torch, name)(
            torch.tensor(SPECIAL)).numpy())


FLOATING = ["acos", "acosh", "asin", "asinh", "atanh", "cosh", "sinh", "tan", "exp2", "expm1",
            "log1p", "log2", "log10", "rsqrt", "reciprocal", "deg2rad", "rad2deg", "angle"]
KEEPING = ["ceil", "floor", "trunc", "round", "sign", "sgn", "square", "nan_to_num",
           "positive", "negative", "absolute", "conj", "conj_physical", "real"]


@pytest.mark.parametrize("name", FLOATING + KEEPING + PREDICATES)
@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
def test_integer_and_bool_inputs_follow_torch(name: str, dtype: str) -> None:
    if dtype == "bool" and name in ("negative", "absolute"):
        pytest.skip("the aliases of neg and abs take bool tensors as those do")
    data = np.array([-3, 0, 1, 2], dtype=dtype) if dtype != "bool" else np.array([True, False])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            want = getattr(torch, name)(torch.from_numpy(data.copy())).numpy()
        except (RuntimeError, NotImplementedError, TypeError):
            with pytest.raises(TypeError, match=f"^{name}: "):
                getattr(mu, name)(mu.Constant(data))
            return
        got = getattr(mu, name)(mu.Constant(data))
    assert isinstance(got, mu.Constant)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    np.testing.assert_allclose(got.numpy().astype(np.float64), want.astype(np.float64),
                               rtol=1e-6, equal_nan=True)


@pytest.mark.parametrize("name", [case[0] for case in DIFFERENTIABLE])
def test_float32_stays_float32(name: str) -> None:
    x = mu.Variable(np.array([0.5, -0.25, 1.5], dtype=np.float32))
    if name in ("acosh", "arccosh"):
        x = mu.Variable(np.array([1.5, 2.0], dtype=np.float32))
    out = getattr(mu, name)(x)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad().dtype == np.float32


def test_round_halves_to_even_and_decimals() -> None:
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.5, 1.2345, 15.5, -25.0, 0.125, 1234.5, 2500.0])
    for decimals in (0, 1, 2, 3, -1, -2, -3):
        want = torch.round(torch.tensor(x), decimals=decimals).numpy()
        np.testing.assert_allclose(mu.round(mu.Constant(x), decimals=decimals).numpy(), want,
                                   rtol=1e-15)
        np.testing.assert_allclose(mu.Constant(x).round(decimals=decimals).numpy(), want,
                                   rtol=1e-15)
    x32 = np.array([0.125, 2.675, -1.005], dtype=np.float32)
    for decimals in (2, -1):
        got = mu.round(mu.Constant(x32), decimals=decimals)
        assert got.dtype == np.float32
        np.testing.assert_array_equal(
            got.numpy(), torch.round(torch.tensor(x32), decimals=decimals).numpy())


def test_nan_to_num_replacements() -> None:
    x = np.array([np.nan, np.inf, -np.inf, 1.5, -0.0])
    for kwargs in ({}, {"nan": 2.0}, {"posinf": 7.0}, {"neginf": -7.0},
                   {"nan": -1.0, "posinf": 1e300, "neginf": -3.0}):
        want = torch.nan_to_num(torch.tensor(x), **kwargs).numpy()
        np.testing.assert_array_equal(mu.nan_to_num(mu.Constant(x), **kwargs).numpy(), want)
    x32 = x.astype(np.float32)
    for kwargs in ({}, {"posinf": 1e300, "neginf": -1e300}):
        got = mu.Constant(x32).nan_to_num(**kwargs)
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got.numpy(),
                                      torch.nan_to_num(torch.tensor(x32), **kwargs).numpy())
    variable = mu.Variable(x)
    mu.nan_to_num(variable, 0.0, 1.0, -1.0).sum().backward()
    np.testing.assert_array_equal(variable.grad().numpy(), [0.0, 0.0, 0.0, 1.0, 1.0])


def test_identities_return_the_tensor_itself() -> None:
    for tensor in (mu.Variable([1.0, -2.0]), mu.Constant([1, 2])):
        for name in ("conj", "conj_physical", "resolve_conj", "resolve_neg", "real",
                     "positive"):
            assert getattr(mu, name)(tensor) is tensor
            if name != "real":
                assert getattr(tensor, name)() is tensor
    got = mu.conj(np.array([1.0, 2.0]))
    assert isinstance(got, mu.Constant)
    np.testing.assert_array_equal(got.numpy(), [1.0, 2.0])


def test_aliases_are_the_same_operation() -> None:
    x = mu.Constant([0.25, -0.5])
    for alias, name in (("arccos", "acos"), ("arcsin", "asin"), ("arccosh", "acosh"),
                        ("arcsinh", "asinh"), ("arctanh", "atanh"), ("fix", "trunc"),
                        ("arctan", "atan"), ("negative", "neg"), ("absolute", "abs")):
        value = x if alias != "arccosh" else x + 2.0
        np.testing.assert_array_equal(getattr(mu, alias)(value).numpy(),
                                      getattr(mu, name)(value).numpy())
        np.testing.assert_array_equal(getattr(value, alias)().numpy(),
                                      getattr(mu, name)(value).numpy())


def test_python_numbers_give_constants() -> None:
    assert isinstance(mu.acos(0.5), mu.Constant)
    assert mu.acos(0.5).dtype == np.float32  # a float is a float32 tensor, as torch.tensor(0.5)
    np.testing.assert_allclose(mu.acos(0.5).numpy(), np.arccos(0.5), rtol=1e-6)
    assert mu.isnan(float("nan")).item() is True
    assert mu.exp2(3).dtype == np.float32  # an int is an integer tensor: float32, as torch
    assert mu.ceil(3).dtype == np.int64


OPERATIONS: list[tuple[str, Callable[[Any], Any]]] = [
    (name, lambda x, name=name: getattr(mu, name)(x)) for name, _, _ in DIFFERENTIABLE
] + [("round-decimals", lambda x: mu.round(x, decimals=2)),
     ("nan_to_num-args", lambda x: mu.nan_to_num(x, 1.0, 2.0, -2.0))]


def test_every_operation_runs_on_the_device_path(device: str) -> None:
    """The stand-in device refuses NumPy calls on its arrays: every forward and VJP uses
    ``xp``; on a real GPU, the results equal the CPU's."""
    values = np.array([0.3, -0.6, 0.5, 0.8, -0.2])
    for name, function in OPERATIONS:
        if name in ("acosh", "arccosh"):
            data = values + 2.0
        elif name in ("log2", "log10", "rsqrt", "reciprocal"):
            data = np.abs(values) + 0.1
        else:
            data = values
        results = {}
        for where in ("cpu", device):
            x = mu.variable(data, dtype="float64", device=where)
            out = function(x)
            out.backward(mu.constant(np.linspace(-1.0, 1.0, 5), device=where))
            results[where] = (out.numpy(), x.grad().numpy())
        for got, want in zip(results[device], results["cpu"], strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=name)
    special = mu.constant(SPECIAL, device=device)
    for name in PREDICATES:
        np.testing.assert_array_equal(getattr(mu, name)(special).numpy(),
                                      getattr(mu, name)(mu.Constant(SPECIAL)).numpy())
    integers = mu.constant(np.array([-2, 0, 3]), device=device)
    for name in ("acos", "ceil", "sign", "square", "isfinite", "nan_to_num", "angle"):
        np.testing.assert_array_equal(
            getattr(mu, name)(integers).numpy(),
            getattr(mu, name)(mu.Constant(np.array([-2, 0, 3]))).numpy())


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: mu.acos(np.array([1j])), TypeError,
     "acos: complex tensors are not supported"),
    (lambda: mu.conj(np.array([1 + 2j])), TypeError,
     "conj: complex tensors are not supported"),
    (lambda: mu.real(np.array([1 + 2j])), TypeError,
     "real: complex tensors are not supported"),
    (lambda: mu.isnan(np.array([1j])), TypeError,
     "isnan: complex tensors are not supported"),
    (lambda: mu.acos(None), TypeError, "acos: expected a tensor, an array or a real number"),
    (lambda: mu.tan("x"), TypeError, "^tan: "),
    (lambda: mu.conj(None), TypeError, "conj: expected a tensor, an array or a real number"),
    (lambda: mu.sign(np.array(["a"])), TypeError, "sign: expected a numeric tensor"),
    (lambda: mu.ceil(mu.Constant([True])), TypeError, "ceil: expected a numeric tensor"),
    (lambda: mu.frac(mu.Constant([1, 2])), TypeError, "frac: expected a floating tensor"),
    (lambda: mu.round(mu.Constant([1, 2]), decimals=1), TypeError,
     "round: decimals=1 needs a floating tensor"),
    (lambda: mu.round(mu.Constant([1.5]), decimals=1.5), TypeError,
     "round: decimals must be an int"),
    (lambda: mu.round(mu.Constant([1.5]), 1), TypeError, "positional"),
    (lambda: mu.nan_to_num(mu.Constant([1.0]), nan=None), TypeError,
     "nan_to_num: nan must be a number"),
    (lambda: mu.nan_to_num(mu.Constant([1.0]), posinf="big"), TypeError,
     "nan_to_num: posinf must be a number or None"),
    (lambda: mu.positive(mu.Constant([True])), TypeError,
     "positive: the \\+ operator is not supported on bool tensors"),
])
def test_errors_name_the_operation(call: Callable[[], Any], error: type[Exception],
                                   message: str) -> None:
    with pytest.raises(error, match=message):
        call()
