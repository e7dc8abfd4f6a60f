"""The binary and ternary elementwise operations against PyTorch (float64): values, gradients
(first and second order), result dtypes, the method and operator forms, and the errors.

``tests/op_db.py`` runs PyTorch's sample inputs by PyTorch's names; this file covers what those
samples do not: the gradients at PyTorch's chosen points (ties, bounds, zero bases), float32
and integer promotion, Python-number operands, the aliases and every refusal's message.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest

import mushin as mu

torch = pytest.importorskip("torch")

Array = np.ndarray[Any, Any]


def _torch_run(function: Callable[..., Any], inputs: Sequence[Any], tracked: Sequence[bool],
               cotangent: Array | None) -> tuple[Array, list[Array | None]]:
    # PyTorch takes numbers in fewer places than mushin: a 0-d float64 tensor stands in.
    tensors = [torch.tensor(value, dtype=torch.float64, requires_grad=track)
               if isinstance(value, np.ndarray | float) else value
               for value, track in zip(inputs, tracked, strict=True)]
    result = function(*tensors)
    grads: list[Array | None] = []
    if cotangent is not None:
        targets = [tensor for tensor in tensors if isinstance(tensor, torch.Tensor)
                   and tensor.requires_grad]
        found = iter(torch.autograd.grad(result, targets, torch.from_numpy(cotangent),
                                         allow_unused=True))
        for tensor in tensors:
            if isinstance(tensor, torch.Tensor) and tensor.requires_grad:
                grad = next(found)
                grads.append(np.zeros(tensor.shape) if grad is None else grad.numpy())
    return result.detach().numpy(), grads


def _mushin_run(function: Callable[..., Any], inputs: Sequence[Any], tracked: Sequence[bool],
                cotangent: Array | None) -> tuple[Array, list[Array | None]]:
    tensors = [(mu.variable(value, dtype="float64") if track else mu.constant(value))
               if isinstance(value, np.ndarray) else value
               for value, track in zip(inputs, tracked, strict=True)]
    result = function(*tensors)
    grads: list[Array | None] = []
    if cotangent is not None:
        (result * mu.constant(cotangent)).sum().backward()
        grads = [tensor.grad().numpy() for tensor in tensors if isinstance(tensor, mu.Variable)]
    return result.numpy(), grads


def assert_like_torch(mushin_function: Callable[..., Any], torch_function: Callable[..., Any],
                      *inputs: Any, tracked: Sequence[bool] | None = None,
                      gradients: bool = True) -> None:
    """Values and gradients (a fixed cotangent) of both, in float64, NaN where PyTorch's is."""
    tracked = [isinstance(value, np.ndarray) for value in inputs] if tracked is None else tracked
    want, want_grads = _torch_run(torch_function, inputs, tracked, None)
    cotangent = np.random.default_rng(0).standard_normal(want.shape) if gradients else None
    want, want_grads = _torch_run(torch_function, inputs, tracked, cotangent)
    have, have_grads = _mushin_run(mushin_function, inputs, tracked, cotangent)
    assert have.shape == want.shape
    np.testing.assert_allclose(have, want, rtol=1e-12, atol=1e-12, equal_nan=True)
    for index, (got, expected) in enumerate(zip(have_grads, want_grads, strict=True)):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12, equal_nan=True,
                                   err_msg=f"gradient of operand {index}")


# --- the known wrong results, fixed ------------------------------------------------------------

def test_clamp_with_tensor_bounds_gives_pytorchs_gradients_at_ties_and_crossed_bounds() -> None:
    x = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 2.0, 5.0, 1.0])
    lo = np.array([1.0, 1.0, 1.0, 3.0, 5.0, 2.0, 2.0, 2.0])
    hi = np.array([3.0, 3.0, 2.0, 3.0, 3.0, 2.0, 2.0, 2.0])
    assert_like_torch(mu.clamp, torch.clamp, x, lo, hi)
    assert_like_torch(mu.clip, torch.clip, x, lo, hi)
    assert_like_torch(lambda a, b: mu.clamp(a, min=b), lambda a, b: torch.clamp(a, min=b), x, lo)
    assert_like_torch(lambda a, b: mu.clamp(a, max=b), lambda a, b: torch.clamp(a, max=b), x, hi)
    assert_like_torch(mu.clamp_min, torch.clamp_min, x, lo)
    assert_like_torch(mu.clamp_max, torch.clamp_max, x, hi)
    # PyTorch wants both bounds tensors or both numbers; mushin takes any mixture.
    assert_like_torch(lambda a, b: a.clamp(b, 2.5),
                      lambda a, b: a.clamp(b, torch.tensor(2.5, dtype=torch.float64)), x, lo)


def test_clamp_with_number_bounds_matches_pytorch_including_crossed_bounds() -> None:
    x = np.array([-1.0, 0.0, 0.5, 1.0, 2.0, np.nan])
    assert_like_torch(lambda a: mu.clamp(a, 0.0, 1.0), lambda a: torch.clamp(a, 0.0, 1.0), x)
    assert_like_torch(lambda a: a.clip(0.0, 1.0), lambda a: a.clip(0.0, 1.0), x)
    assert_like_torch(lambda a: mu.clamp(a, 1.0, 0.0), lambda a: torch.clamp(a, 1.0, 0.0), x)
    assert_like_torch(lambda a: mu.clamp(a, max=0.5), lambda a: torch.clamp(a, max=0.5), x)


@pytest.mark.parametrize("exponent", [0.0, 1.0, 2.0, 3.0, 0.5, -1.0, -2.0])
def test_pow_gradients_at_a_zero_base_match_pytorch(exponent: float) -> None:
    # -0.0 only for integer exponents: PyTorch's ``x ** 0.5`` at -0.0 goes through its
    # square root and gives the gradient -inf, the formula +inf (mushin's).
    base = np.array([0.0, -0.0 if exponent.is_integer() else 0.0, 1.5, -2.0, 3.0])
    assert_like_torch(lambda a: a ** exponent, lambda a: a ** exponent, base)
    exponents = np.full(base.shape, exponent)
    assert_like_torch(mu.pow, torch.pow, base, exponents)


def test_pow_with_a_number_base_matches_pytorch() -> None:
    exponent = np.array([0.0, 1.0, -1.0, 2.0, 0.5])
    for base in (2.0, 0.0, 1.0):
        assert_like_torch(lambda e, b=base: b ** e, lambda e, b=base: b ** e, exponent)
        assert_like_torch(lambda e, b=base: mu.pow(b, e), lambda e, b=base: torch.pow(b, e),
                          exponent)


def test_x_to_the_zero_has_gradient_zero_at_zero() -> None:
    x = mu.variable([0.0, 2.0])
    (x ** 0).sum().backward()
    np.testing.assert_array_equal(x.grad().numpy(), [0.0, 0.0])


def test_logical_operations_treat_nonzero_as_true_and_give_bools() -> None:
    a, b = np.array([1, 2, 0, 0]), np.array([2, 1, 3, 0])
    for name in ("logical_and", "logical_or", "logical_xor"):
        result = getattr(mu, name)(mu.constant(a), mu.constant(b))
        expected = getattr(torch, name)(torch.tensor(a), torch.tensor(b)).numpy()
        assert isinstance(result, mu.Constant) and result.dtype == np.bool_
        np.testing.assert_array_equal(result.numpy(), expected)
        np.testing.assert_array_equal(getattr(mu.constant(a), name)(b).numpy(), expected)
    floats = mu.variable([0.5, 0.0, -2.0])
    np.testing.assert_array_equal(mu.logical_not(floats).numpy(), [False, True, False])
    np.testing.assert_array_equal(floats.logical_not().numpy(), [False, True, False])
    np.testing.assert_array_equal(mu.logical_and(floats, 1).numpy(), [True, False, True])


@pytest.mark.parametrize("function", [mu.add, mu.sub, mu.mul, mu.div, mu.pow, mu.maximum,
                                      mu.atan2, mu.remainder, mu.fmod, mu.floor_divide])
def test_two_python_numbers_give_a_0d_constant(function: Callable[..., Any]) -> None:
    result = function(2.0, 3.0)
    assert isinstance(result, mu.Constant)
    assert result.shape == () and result.numpy().shape == ()
    assert result.dtype == np.float32
    expected = function.__name__
    reference = getattr(torch, expected)(torch.tensor(2.0), torch.tensor(3.0)).item()
    assert result.item() == pytest.approx(reference)


def test_python_number_arithmetic_keeps_pytorchs_dtypes() -> None:
    assert mu.add(2, 3).dtype == np.int64 and mu.add(2, 3).item() == 5
    assert mu.div(1, 2).dtype == np.float32 and mu.div(1, 2).item() == 0.5
    assert mu.neg(2.0).dtype == np.float32 and mu.neg(2.0).numpy() == -2.0
    assert mu.neg(3).dtype == np.int64 and mu.neg(3).shape == ()
    assert mu.sub(True, 2).dtype == np.int64
    with pytest.raises(ValueError, match=r"^pow: .*negative integer powers"):
        mu.pow(2, -1)


# --- result dtypes: PyTorch's promotion --------------------------------------------------------

BINARY = [mu.add, mu.sub, mu.mul, mu.div, mu.pow, mu.maximum, mu.minimum, mu.fmax, mu.fmin,
          mu.atan2, mu.hypot, mu.copysign, mu.fmod, mu.remainder, mu.floor_divide,
          mu.logaddexp, mu.logaddexp2, mu.xlogy, mu.true_divide, mu.float_power, mu.ldexp,
          mu.clamp_min, mu.clamp_max, mu.nextafter]


@pytest.mark.parametrize("function", BINARY, ids=lambda function: function.__name__)
def test_float32_stays_float32_with_python_numbers(function: Callable[..., Any]) -> None:
    x = mu.variable(np.array([0.5, 1.5, 2.0], dtype=np.float32))
    expected = np.float64 if function is mu.float_power else np.float32
    for result in (function(x, 2.0), function(x, 2), function(x, x),
                   function(x, mu.constant(np.float32(2.0)))):
        assert result.dtype == expected, function.__name__
    scalar = mu.variable(np.float32(1.5))
    assert function(scalar, 0.5).dtype == expected


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "true_divide", "pow",
                                  "maximum", "atan2", "copysign", "remainder", "fmod",
                                  "floor_divide", "xlogy", "ldexp", "float_power"])
def test_integer_promotion_matches_pytorch(name: str) -> None:
    ints = np.array([1, 2, 3])
    for other in (2.5, 2, np.array([2, 1, 2]), np.array([0.5, 1.5, 2.5], dtype=np.float32),
                  np.array(2.5), np.array([True, False, True])):
        if name in ("remainder", "fmod", "floor_divide") and not np.all(other):
            continue
        torch_other = torch.tensor(other) if isinstance(other, np.ndarray) else other
        try:
            want = getattr(torch, name)(torch.tensor(ints), torch_other)
        except (RuntimeError, TypeError):
            continue  # PyTorch refuses this pairing (a number for atan2, xlogy of bools...)
        have = getattr(mu, name)(mu.constant(ints), mu.constant(other)
                                 if isinstance(other, np.ndarray) else other)
        assert have.dtype == want.numpy().dtype, (name, other)
        np.testing.assert_allclose(have.numpy(), want.numpy(), rtol=1e-6)


def test_where_and_clamp_promote_like_pytorch() -> None:
    condition = mu.constant([True, False])
    assert mu.where(condition, 1.0, 0.0).dtype == np.float32
    assert mu.where(condition, 1, 0).dtype == np.int64
    x32 = mu.variable(np.array([1.0, -1.0], dtype=np.float32))
    assert mu.where(condition, x32, 0.0).dtype == np.float32
    assert mu.clamp(mu.constant([1, 5]), 0.5, 2).dtype == np.float32
    assert mu.clamp(mu.constant([1, 5]), 0, 2).dtype == np.int64
    assert mu.clamp(x32, mu.constant(np.array([0.0])), None).dtype == np.float64
    assert mu.clamp(x32, mu.constant(np.array(0.0)), None).dtype == np.float32


# --- the functions, their aliases, methods and operators ---------------------------------------

VALUES = np.array([[-2.5, -1.0, 0.0], [0.75, 1.5, 3.0]])
OTHERS = np.array([1.5, -2.0, 0.5])


@pytest.mark.parametrize(("mushin_name", "torch_name"), [
    ("atan2", "atan2"), ("arctan2", "arctan2"), ("hypot", "hypot"), ("copysign", "copysign"),
    ("fmax", "fmax"), ("fmin", "fmin"), ("logaddexp", "logaddexp"),
    ("logaddexp2", "logaddexp2"), ("xlogy", "xlogy"), ("fmod", "fmod"),
    ("remainder", "remainder"), ("multiply", "multiply"), ("divide", "divide"),
    ("subtract", "subtract"), ("true_divide", "true_divide"), ("rsub", "rsub"),
    ("float_power", "float_power"), ("ldexp", "ldexp"), ("nextafter", "nextafter"),
    ("maximum", "maximum"), ("minimum", "minimum")])
def test_binary_functions_and_methods_match_pytorch(mushin_name: str, torch_name: str) -> None:
    positive = np.abs(VALUES) + 0.5
    first = positive if mushin_name in ("xlogy", "float_power") else VALUES
    second = np.abs(OTHERS) if mushin_name in ("xlogy", "float_power") else OTHERS
    assert_like_torch(getattr(mu, mushin_name), getattr(torch, torch_name), first, second)
    if mushin_name != "rsub":
        assert_like_torch(lambda a, b: getattr(a, mushin_name)(b),
                          lambda a, b: getattr(a, torch_name)(b), first, second)
    assert_like_torch(getattr(mu, mushin_name), getattr(torch, torch_name), first, 1.25)


def test_add_and_sub_take_alpha() -> None:
    assert_like_torch(lambda a, b: mu.add(a, b, alpha=2.5),
                      lambda a, b: torch.add(a, b, alpha=2.5), VALUES, OTHERS)
    assert_like_torch(lambda a, b: a.sub(b, alpha=-3),
                      lambda a, b: a.sub(b, alpha=-3), VALUES, OTHERS)
    assert_like_torch(lambda a: mu.sub(a, 2.0, alpha=0.5),
                      lambda a: torch.sub(a, 2.0, alpha=0.5), VALUES)
    assert_like_torch(lambda a, b: mu.rsub(a, b, alpha=2),
                      lambda a, b: torch.rsub(a, b, alpha=2), VALUES, OTHERS)
    ints = mu.add(mu.constant([1, 2]), mu.constant([3, 4]), alpha=3)
    assert ints.dtype == np.int64
    np.testing.assert_array_equal(ints.numpy(), [10, 14])


@pytest.mark.parametrize("mode", ["trunc", "floor"])
def test_div_rounding_modes_match_pytorch(mode: str) -> None:
    numerators = np.array([7, -7, 7, -7, 6, 0])
    denominators = np.array([2, 2, -2, -2, 3, 5])
    for a, b in ((numerators, denominators), (numerators * 1.5, denominators * 1.0)):
        have = mu.div(mu.constant(a), mu.constant(b), rounding_mode=mode)
        want = torch.div(torch.tensor(a), torch.tensor(b), rounding_mode=mode).numpy()
        assert have.dtype == want.dtype
        np.testing.assert_array_equal(have.numpy(), want)
    assert_like_torch(lambda a, b: mu.div(a, b, rounding_mode=mode),
                      lambda a, b: torch.div(a, b, rounding_mode=mode), VALUES, OTHERS)
    assert_like_torch(lambda a, b: a.divide(b, rounding_mode=mode),
                      lambda a, b: a.divide(b, rounding_mode=mode), VALUES, OTHERS)


def test_floor_divide_and_remainder_operators_match_python() -> None:
    a = np.array([7.0, -7.0, 7.5, -0.5])
    b = np.array([2.0, 2.0, -2.0, 3.0])
    x, y = mu.variable(a), mu.constant(b)
    np.testing.assert_array_equal((x // y).numpy(), a // b)
    np.testing.assert_array_equal((x % y).numpy(), a % b)
    np.testing.assert_array_equal((7.0 // y).numpy(), 7.0 // b)
    np.testing.assert_array_equal((7.0 % y).numpy(), 7.0 % b)
    np.testing.assert_allclose((3.0 / y).numpy(), 3.0 / b)
    np.testing.assert_allclose(y.__rdiv__(3.0).numpy(), 3.0 / b)
    assert_like_torch(operator.mod, operator.mod, a, b, tracked=[True, False])
    assert_like_torch(lambda s: s.__rmod__(4.0), lambda s: s.__rmod__(4.0), b,
                      tracked=[False], gradients=False)
    assert_like_torch(lambda s: s.__rdiv__(4.0), lambda s: s.__rdiv__(4.0), b)
    ints = mu.constant(np.array([7, -7, 9]))
    np.testing.assert_array_equal((ints // 2).numpy(), [3, -4, 4])
    np.testing.assert_array_equal((ints % 4).numpy(), [3, 1, 1])
    assert (ints // 2).dtype == np.int64
    assert (ints / 2).dtype == np.float32


def test_lerp_with_number_and_tensor_weights() -> None:
    start, end = VALUES, VALUES[::-1] * 2.0
    weights = np.array([[0.0, 0.25, 0.5], [0.75, 1.0, 1.5]])
    assert_like_torch(mu.lerp, torch.lerp, start, end, weights)
    assert_like_torch(lambda a, b: mu.lerp(a, b, 0.3), lambda a, b: torch.lerp(a, b, 0.3),
                      start, end)
    assert_like_torch(lambda a, b: a.lerp(b, 0.8), lambda a, b: a.lerp(b, 0.8), start, end)
    x = mu.variable(np.array([1.0, 2.0], dtype=np.float32))
    assert mu.lerp(x, mu.constant(np.array([3.0, 4.0], dtype=np.float32)), 0.5).dtype == \
        np.float32


def test_addcmul_and_addcdiv_take_value() -> None:
    third = np.abs(OTHERS) + 0.5
    assert_like_torch(lambda a, b, c: mu.addcmul(a, b, c, value=0.5),
                      lambda a, b, c: torch.addcmul(a, b, c, value=0.5), VALUES, OTHERS, third)
    assert_like_torch(lambda a, b, c: a.addcdiv(b, c, value=-2),
                      lambda a, b, c: a.addcdiv(b, c, value=-2), VALUES, OTHERS, third)
    assert_like_torch(mu.addcmul, torch.addcmul, VALUES, OTHERS, third)
    assert_like_torch(mu.addcdiv, torch.addcdiv, VALUES, OTHERS, third)


def test_maximum_minimum_fmax_fmin_at_ties_and_nans() -> None:
    a = np.array([1.0, 2.0, np.nan, 3.0, np.nan])
    b = np.array([1.0, np.nan, 1.0, 4.0, np.nan])
    for name in ("maximum", "minimum", "fmax", "fmin"):
        assert_like_torch(getattr(mu, name), getattr(torch, name), a, b)


def test_comparisons_by_every_name_and_form() -> None:
    a = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])
    b = np.array([2.0, 2.0, 2.0])
    names = ["eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less",
             "less_equal", "not_equal"]
    for name in names:
        want = getattr(torch, name)(torch.tensor(a), torch.tensor(b)).numpy()
        for have in (getattr(mu, name)(mu.variable(a), b),
                     getattr(mu.variable(a), name)(mu.constant(b)),
                     getattr(mu, name)(a, mu.variable(b))):
            assert isinstance(have, mu.Constant) and have.dtype == np.bool_
            np.testing.assert_array_equal(have.numpy(), want)
        np.testing.assert_array_equal(getattr(mu, name)(mu.variable(a), 2.0).numpy(),
                                      getattr(torch, name)(torch.tensor(a), 2.0).numpy())


def test_bitwise_operations_and_operators_match_pytorch() -> None:
    a, b = np.array([12, -7, 0, 5]), np.array([10, 3, -1, 2])
    x, y = mu.constant(a), mu.constant(b)
    ta, tb = torch.tensor(a), torch.tensor(b)
    for name, symbol in (("bitwise_and", operator.and_), ("bitwise_or", operator.or_),
                         ("bitwise_xor", operator.xor),
                         ("bitwise_left_shift", operator.lshift),
                         ("bitwise_right_shift", operator.rshift)):
        want = getattr(torch, name)(ta, tb).numpy()
        np.testing.assert_array_equal(getattr(mu, name)(x, y).numpy(), want)
        np.testing.assert_array_equal(getattr(x, name)(y).numpy(), want)
        np.testing.assert_array_equal(symbol(x, y).numpy(), want)
        np.testing.assert_array_equal(symbol(x, 3).numpy(), symbol(ta, 3).numpy())
        np.testing.assert_array_equal(symbol(3, x).numpy(), symbol(3, ta).numpy())
    np.testing.assert_array_equal(mu.bitwise_not(x).numpy(), torch.bitwise_not(ta).numpy())
    np.testing.assert_array_equal((~x).numpy(), (~ta).numpy())
    np.testing.assert_array_equal(x.bitwise_not().numpy(), (~ta).numpy())
    shifts = mu.constant(np.array([64, 70, -1, 1]))
    np.testing.assert_array_equal((x << shifts).numpy(),
                                  (ta << torch.tensor([64, 70, -1, 1])).numpy())
    np.testing.assert_array_equal((x >> shifts).numpy(),
                                  (ta >> torch.tensor([64, 70, -1, 1])).numpy())
    masks = mu.constant([True, False, True]), mu.constant([True, True, False])
    assert (masks[0] & masks[1]).dtype == np.bool_
    np.testing.assert_array_equal((masks[0] ^ masks[1]).numpy(), [False, True, True])
    np.testing.assert_array_equal((True | masks[1]).numpy(), [True, True, True])
    np.testing.assert_array_equal((~masks[0]).numpy(), [False, True, False])
    v = mu.variable([1.0, -1.0])
    np.testing.assert_array_equal(((v > 0) & (v < 2)).numpy(), [True, False])


def test_gcd_lcm_heaviside_match_pytorch() -> None:
    a, b = np.array([12, -18, 0, 7]), np.array([8, 12, 0, 0])
    for name in ("gcd", "lcm"):
        want = getattr(torch, name)(torch.tensor(a), torch.tensor(b)).numpy()
        np.testing.assert_array_equal(getattr(mu, name)(a, mu.constant(b)).numpy(), want)
        np.testing.assert_array_equal(getattr(mu.constant(a), name)(b).numpy(), want)
    x = np.array([-1.5, 0.0, 2.0])
    values = np.array([0.5, 0.5, 0.5])
    want = torch.heaviside(torch.tensor(x), torch.tensor(values)).numpy()
    result = mu.heaviside(mu.variable(x), values)
    assert isinstance(result, mu.Constant)
    np.testing.assert_array_equal(result.numpy(), want)


def test_isclose_allclose_and_equal() -> None:
    a = np.array([1.0, np.nan, np.inf, 1.0 + 1e-9, 2.0])
    b = np.array([1.0, np.nan, np.inf, 1.0, 2.1])
    for equal_nan in (False, True):
        want = torch.isclose(torch.tensor(a), torch.tensor(b), equal_nan=equal_nan).numpy()
        np.testing.assert_array_equal(
            mu.isclose(mu.variable(a), b, equal_nan=equal_nan).numpy(), want)
        np.testing.assert_array_equal(
            mu.variable(a).isclose(mu.constant(b), equal_nan=equal_nan).numpy(), want)
    assert mu.isclose(a, b, rtol=0.1).numpy()[4]
    assert mu.allclose(mu.variable([1.0, 2.0]), [1.0, 2.0 + 1e-9]) is True
    assert mu.allclose(mu.variable([1.0, 2.0]), [1.0, 2.1]) is False
    assert mu.allclose(mu.variable([1.0, 2.1]), [1.0, 2.0], atol=0.2) is True
    assert mu.equal(mu.constant([1, 2]), mu.constant([1.0, 2.0])) is True
    assert mu.equal(mu.constant([1, 2]), mu.constant([[1, 2]])) is False
    assert mu.equal(mu.variable([1.0, np.nan]), mu.variable([1.0, np.nan])) is False


def test_where_with_the_condition_alone_is_nonzero_as_tuple() -> None:
    condition = np.array([[True, False, True], [False, False, True]])
    want = torch.where(torch.tensor(condition))
    have = mu.where(mu.constant(condition))
    assert isinstance(have, tuple) and len(have) == 2
    for got, expected in zip(have, want, strict=True):
        assert isinstance(got, mu.Constant) and got.dtype == np.int64
        np.testing.assert_array_equal(got.numpy(), expected.numpy())
    x = mu.variable([1.0, -2.0])
    np.testing.assert_array_equal(mu.where(x > 0, x, 0.0).numpy(), [1.0, 0.0])


# --- second derivatives --------------------------------------------------------------------------

SECOND_ORDER = [
    ("atan2", lambda a, b: mu.atan2(a, b), lambda a, b: torch.atan2(a, b)),
    ("hypot", lambda a, b: mu.hypot(a, b), lambda a, b: torch.hypot(a, b)),
    ("pow", lambda a, b: mu.pow(mu.abs(a) + 0.5, b), lambda a, b: torch.pow(a.abs() + 0.5, b)),
    ("logaddexp", lambda a, b: mu.logaddexp(a, b), lambda a, b: torch.logaddexp(a, b)),
    ("xlogy", lambda a, b: mu.xlogy(a, mu.abs(b) + 0.5),
     lambda a, b: torch.xlogy(a, b.abs() + 0.5)),
    ("lerp", lambda a, b: mu.lerp(a, b, a * 0.3), lambda a, b: torch.lerp(a, b, a * 0.3)),
    ("clamp", lambda a, b: mu.clamp(a * a, b, b + 1.0) * a,
     lambda a, b: torch.clamp(a * a, b, b + 1.0) * a),
    ("copysign", lambda a, b: mu.copysign(a * a, b), lambda a, b: torch.copysign(a * a, b)),
]


@pytest.mark.parametrize(("name", "mushin_function", "torch_function"), SECOND_ORDER,
                         ids=[entry[0] for entry in SECOND_ORDER])
def test_second_derivatives_match_pytorch(name: str, mushin_function: Callable[..., Any],
                                          torch_function: Callable[..., Any]) -> None:
    a = np.array([0.3, -1.2, 2.0, 0.7])
    b = np.array([1.1, 0.4, -0.8, 1.9])
    ta = torch.tensor(a, requires_grad=True)
    tb = torch.tensor(b, requires_grad=True)
    first = torch.autograd.grad(torch_function(ta, tb).sum(), (ta, tb), create_graph=True)
    want = torch.autograd.grad(sum(grad.pow(2).sum() for grad in first), (ta, tb),
                               allow_unused=True)
    x, y = mu.variable(a, dtype="float64"), mu.variable(b, dtype="float64")
    mushin_function(x, y).sum().backward(create_graph=True)
    grads = (x.grad(), y.grad())
    x.reset()
    y.reset()
    (grads[0] ** 2).sum().add((grads[1] ** 2).sum()).backward()
    for got, expected in zip((x.grad(), y.grad()), want, strict=True):
        reference = np.zeros(4) if expected is None else expected.numpy()
        np.testing.assert_allclose(got.numpy(), reference, rtol=1e-10, atol=1e-12)


# --- errors --------------------------------------------------------------------------------------

def test_errors_name_the_operation() -> None:
    floats = mu.variable([1.5, 2.0])
    ints = mu.constant([1, 2])
    with pytest.raises(TypeError, match=r"^bitwise_and: expected integer or bool tensors"):
        mu.bitwise_and(floats, ints)
    with pytest.raises(TypeError, match=r"^bitwise_or: expected integer or bool"):
        _ = floats.freeze() | ints
    with pytest.raises(TypeError, match=r"^bitwise_not: expected integer or bool"):
        _ = ~floats
    with pytest.raises(TypeError, match=r"^bitwise_left_shift: expected integer tensors, got "
                                        r"two bools"):
        mu.bitwise_left_shift(mu.constant([True]), mu.constant([True]))
    with pytest.raises(TypeError, match=r"^gcd: expected integer tensors, got float"):
        mu.gcd(floats, ints)
    with pytest.raises(TypeError, match=r"^nextafter: expected floating tensors"):
        mu.nextafter(ints, ints)
    with pytest.raises(TypeError, match=r"^lerp: expected floating tensors"):
        mu.lerp(ints, ints, 0.5)
    with pytest.raises(ValueError, match=r"^div: rounding_mode must be None, 'trunc' or "
                                         r"'floor', got 'round'"):
        mu.div(floats, 2.0, rounding_mode="round")
    for function in (mu.floor_divide, mu.remainder, mu.fmod):
        with pytest.raises(ZeroDivisionError, match=f"^{function.__name__}: integer division "
                                                    r"by zero"):
            function(ints, mu.constant([1, 0]))
    with pytest.raises(ZeroDivisionError, match=r"^div: integer division by zero"):
        mu.div(ints, 0, rounding_mode="trunc")
    with pytest.raises(ValueError, match=r"^clamp: at least one of min and max"):
        mu.clamp(floats)
    with pytest.raises(TypeError, match=r"^clamp_min: min must be"):
        mu.clamp_min(floats, None)
    with pytest.raises(mu.ShapeError, match=r"^clamp: .*cannot be broadcast"):
        mu.clamp(floats, mu.constant([0.0, 0.0, 0.0]))
    with pytest.raises(TypeError, match=r"^add: alpha must be an integer for integer"):
        mu.add(ints, ints, alpha=0.5)
    with pytest.raises(TypeError, match=r"^sub: alpha must be a number"):
        mu.sub(floats, floats, alpha="2")
    with pytest.raises(TypeError, match=r"^addcmul: value must be an integer for integer"):
        mu.addcmul(ints, ints, ints, value=0.5)
    with pytest.raises(TypeError, match=r"^addcdiv: integer division of tensor1 by tensor2"):
        mu.addcdiv(floats, ints, ints)
    with pytest.raises(ValueError, match=r"^isclose: rtol must be at least 0"):
        mu.isclose(floats, floats, rtol=-1.0)
    with pytest.raises(TypeError, match=r"^allclose: atol must be a number"):
        mu.allclose(floats, floats, atol="x")
    with pytest.raises(mu.ShapeError, match=r"^atan2: shapes"):
        mu.atan2(floats, mu.variable([1.0, 2.0, 3.0]))
    with pytest.raises(mu.ShapeError, match=r"^logical_and: shapes"):
        mu.logical_and(floats, mu.variable([1.0, 2.0, 3.0]))
    with pytest.raises(mu.ShapeError, match=r"^isclose: shapes"):
        mu.isclose(floats, mu.variable([1.0, 2.0, 3.0]))
    with pytest.raises(TypeError, match=r"^where: give the condition alone"):
        mu.where(floats > 0, floats)
    with pytest.raises(TypeError, match=r"^float_power: expected a tensor"):
        mu.float_power(2.0, 3.0)
    with pytest.raises(TypeError, match=r"^fmod: unsupported operand"):
        mu.fmod(floats, "2")
