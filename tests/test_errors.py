"""Errors (docs/api.md#errors): each mistake is reported where it is made, with a message that
names what was expected and what was given.

- ``mu.ShapeError`` (a ``ValueError``) from the operation that receives incompatible shapes,
  naming the operation and both shapes;
- ``TypeError`` for ``backward``/``grad``/``reset`` on a ``Constant``, saying how to get a
  ``Variable``;
- clear exceptions for bad arguments: sizes, dtypes, devices, data, seeds, axes, indices.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import mushin as mu
from mushin._graph import Primitive


def test_shape_error_is_a_value_error() -> None:
    assert issubclass(mu.ShapeError, ValueError)


def _shapes_in(message: str) -> list[str]:
    return re.findall(r"\([-\d, ]*\)", message)


# (operation named in the message, the call, the shapes the message must name)
SHAPE_MISTAKES: list[tuple[str, Callable[[], Any], tuple[str, ...]]] = [
    ("add", lambda: mu.ones((3, 4)) + mu.ones((5,)), ("(3, 4)", "(5,)")),
    ("add", lambda: mu.add(mu.ones((3, 4)), np.ones((2, 4))), ("(3, 4)", "(2, 4)")),
    ("sub", lambda: mu.ones((2, 3)).freeze() - mu.ones((3, 2)), ("(2, 3)", "(3, 2)")),
    ("mul", lambda: mu.mul(mu.ones((4,)), mu.ones((3,))), ("(4,)", "(3,)")),
    ("div", lambda: mu.ones((2, 1, 3)) / mu.ones((2, 2)), ("(2, 1, 3)", "(2, 2)")),
    ("pow", lambda: mu.ones((2,)) ** mu.ones((3,)), ("(2,)", "(3,)")),
    ("maximum", lambda: mu.maximum(mu.ones((2,)), mu.ones((3,))), ("(2,)", "(3,)")),
    ("minimum", lambda: mu.minimum(mu.ones((2,)), mu.ones((3,))), ("(2,)", "(3,)")),
    ("where", lambda: mu.where(np.ones(2, bool), mu.ones((3, 4)), mu.ones((5,))),
     ("(3, 4)", "(5,)")),
    ("mm", lambda: mu.mm(mu.ones((2, 3)), mu.ones((4, 2))), ("(2, 3)", "(4, 2)")),
    ("mm", lambda: mu.mm(mu.ones((2, 2, 3)), mu.ones((3, 3, 2))), ("(2, 2, 3)", "(3, 3, 2)")),
    ("mm", lambda: mu.mm(mu.ones((3,)), mu.ones((3, 2))), ("(3,)", "(3, 2)")),
    ("matmul", lambda: mu.ones((2, 3)) @ mu.ones((4,)), ("(2, 3)", "(4,)")),
    ("matmul", lambda: mu.matmul(mu.ones((3,)), mu.ones((4, 2))), ("(3,)", "(4, 2)")),
    ("concat", lambda: mu.concat([mu.ones((2, 3)), mu.ones((3, 2))], 0), ("(2, 3)", "(3, 2)")),
    ("concat", lambda: mu.concat([mu.ones((2, 3)), mu.ones((2, 3, 1))], 1),
     ("(2, 3)", "(2, 3, 1)")),
    ("stack", lambda: mu.stack([mu.ones((2, 3)), mu.ones((3, 2))]), ("(2, 3)", "(3, 2)")),
    ("reshape", lambda: mu.ones((2, 3)).reshape(4, 2), ("(2, 3)", "(4, 2)")),
    ("reshape", lambda: mu.reshape(mu.ones((2, 3)), (4, -1)), ("(2, 3)", "(4, -1)")),
    ("broadcast_to", lambda: mu.broadcast_to(mu.ones((2, 3)), (3, 3)), ("(2, 3)", "(3, 3)")),
    ("matrix_transpose", lambda: mu.ones((3,)).T, ("(3,)",)),
]


@pytest.mark.parametrize(("operation", "call", "shapes"), SHAPE_MISTAKES,
                         ids=[f"{case[0]}-{index}" for index, case in enumerate(SHAPE_MISTAKES)])
def test_incompatible_shapes_raise_shape_error_naming_operation_and_shapes(
        operation: str, call: Callable[[], Any], shapes: tuple[str, ...]) -> None:
    with pytest.raises(mu.ShapeError) as raised:
        call()
    message = str(raised.value)
    assert message.startswith(f"{operation}:"), message
    for shape in shapes:
        assert shape in _shapes_in(message), f"{shape} not named in {message!r}"


@pytest.mark.parametrize("method", ["backward", "grad", "reset"])
def test_gradient_methods_on_a_constant_say_how_to_get_a_variable(method: str) -> None:
    constant = mu.ones((2, 3)).freeze()
    with pytest.raises(TypeError, match=r"Constant.*unfreeze\(\)"):
        getattr(constant, method)()
    with pytest.raises(TypeError, match="Variable"):
        getattr(mu.constant([1.0]) * 2.0, method)()


@pytest.mark.parametrize("make", [mu.zeros, mu.ones, mu.randn, mu.randu,
                                  lambda shape: mu.fill(shape, 1.0),
                                  lambda shape: mu.eye(shape)],
                         ids=["zeros", "ones", "randn", "randu", "fill", "eye"])
def test_bad_sizes(make: Callable[[Any], Any]) -> None:
    with pytest.raises(ValueError, match=r"negative.*\(2, -3\)"):
        make((2, -3))
    with pytest.raises(TypeError, match=r"tuple of ints.*2\.0"):
        make((2.0, 3))
    with pytest.raises(TypeError, match=r"3\.5"):
        make(3.5)
    with pytest.raises(TypeError, match="tuple of ints"):
        make("2, 3")


def test_reshape_rejects_bad_sizes() -> None:
    x = mu.ones((2, 3))
    with pytest.raises(ValueError, match="only one size may be -1"):
        x.reshape(-1, -1)
    with pytest.raises(ValueError, match="negative"):
        x.reshape(-2, -3)
    with pytest.raises(TypeError, match="tuple of ints"):
        x.reshape(2.0, 3)


@pytest.mark.parametrize("call", [
    lambda: mu.zeros((2,), dtype="float13"),
    lambda: mu.randn((2,), dtype="float13"),
    lambda: mu.variable([1.0], dtype="float13"),
    lambda: mu.constant([1], dtype="float13"),
    lambda: mu.ones((2,)).astype("float13"),
], ids=["zeros", "randn", "variable", "constant", "astype"])
def test_an_unknown_dtype_is_named(call: Callable[[], Any]) -> None:
    with pytest.raises(ValueError, match="float13"):
        call()


@pytest.mark.parametrize("call", [
    lambda: mu.zeros((2,), dtype="int32"),
    lambda: mu.variable([1.0], dtype=np.int64),
    lambda: mu.ones((2,)).astype("int32"),
], ids=["zeros", "variable", "astype"])
def test_a_variable_refuses_an_integer_dtype(call: Callable[[], Any]) -> None:
    with pytest.raises(ValueError, match="floating dtype"):
        call()


@pytest.mark.parametrize("device", ["tpu", "gpu:0", "cuda:x", "mps"])
def test_an_unknown_device_is_named(device: str) -> None:
    for call in (lambda: mu.zeros((2,), device=device),
                 lambda: mu.variable([1.0], device=device),
                 lambda: mu.constant([1.0], device=device)):
        with pytest.raises(ValueError, match=re.escape(repr(device))):
            call()
    with pytest.raises(TypeError, match="device must be a string"):
        mu.zeros((2,), device=0)  # type: ignore[arg-type]


@pytest.mark.skipif(importlib.util.find_spec("cupy") is not None, reason="CuPy is installed")
def test_cuda_without_cupy_says_to_install_it() -> None:
    for device in ("cuda", "cuda:0"):
        with pytest.raises(RuntimeError, match="CuPy is not installed"):
            mu.ones((2,), device=device)
    with pytest.raises(RuntimeError, match="CuPy"):
        mu.ones((2,)).to("cuda")
    assert mu.devices() == ["cpu"]


@pytest.mark.parametrize("data", ["abc", ["a", "b"], [1.0, "b"], {"a": 1.0}, object()],
                         ids=["string", "strings", "mixed", "dict", "object"])
def test_tensors_are_made_of_numbers(data: Any) -> None:
    with pytest.raises(TypeError, match="expected numbers"):
        mu.variable(data)
    with pytest.raises(TypeError, match="expected numbers"):
        mu.constant(data)


def test_ragged_nested_lists_are_refused() -> None:
    with pytest.raises(ValueError, match="inhomogeneous"):
        mu.variable([[1.0, 2.0], [3.0]])


def test_custom_with_the_wrong_number_of_values() -> None:
    with pytest.raises(ValueError, match=r"3 values.*\(2, 2\).*4 elements"):
        mu.custom([1.0, 2.0, 3.0], (2, 2))
    with pytest.raises(ValueError, match=r"flat sequence"):
        mu.custom([[1.0, 2.0], [3.0, 4.0]], (2, 2))  # type: ignore[list-item]


def test_fill_and_eye_need_a_number() -> None:
    with pytest.raises(TypeError, match="'x'"):
        mu.fill((2,), "x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="None"):
        mu.eye((2, 2), None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"at least 2 axes.*\(3,\)"):
        mu.eye((3,))


@pytest.mark.parametrize("value", [1.5, "3", None, True, [1]],
                         ids=["float", "string", "none", "bool", "list"])
def test_seed_needs_an_int(value: Any) -> None:
    with pytest.raises(TypeError, match="seed must be an int"):
        mu.seed(value)


def test_seed_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="-1"):
        mu.seed(-1)


def test_backward_seed_of_the_wrong_shape() -> None:
    y = mu.ones((2, 3)) * 3.0
    with pytest.raises(mu.ShapeError, match=r"seed.*\(3,\).*\(2, 3\)"):
        y.backward(np.ones(3))
    with pytest.raises(mu.ShapeError, match=r"seed.*\(\).*\(2, 3\)"):
        y.backward(mu.constant(1.0))


@pytest.mark.parametrize("call", [
    lambda x: x.sum(axis=2), lambda x: mu.mean(x, axis=-3), lambda x: x.max(axis=(0, 5)),
    lambda x: mu.logsumexp(x, axis=(1, -1)), lambda x: mu.concat([x, x], axis=2),
    lambda x: mu.expand_dims(x, 3), lambda x: mu.squeeze(x, 2),
], ids=["sum", "mean-negative", "max-tuple", "logsumexp-repeated", "concat", "expand_dims",
        "squeeze"])
def test_bad_axes(call: Callable[[Any], Any]) -> None:
    with pytest.raises(ValueError, match="axis"):
        call(mu.ones((2, 3)))


def test_axes_must_be_ints() -> None:
    with pytest.raises(TypeError, match="an axis must be an int"):
        mu.sum(mu.ones((2, 3)), axis=1.0)
    with pytest.raises(ValueError, match="not a permutation"):
        mu.transpose(mu.ones((2, 3)), (0, 0))
    with pytest.raises(ValueError, match="not a permutation"):
        mu.ones((2, 3)).transpose((0, 1, 2))


def test_reductions_over_nothing_follow_pytorch() -> None:
    """A maximum of nothing is refused; a mean of nothing, or a variance with no degree of
    freedom left, is NaN, as PyTorch gives it."""
    with pytest.raises(ValueError, match="empty"):
        mu.max(mu.zeros((0, 3)), axis=0)
    with np.errstate(all="ignore"):
        assert np.isnan(mu.var(mu.ones((1, 3)), axis=0, ddof=1).numpy()).all()
        assert np.isnan(mu.mean(mu.zeros((0,))).item())


def test_bad_indices() -> None:
    x = mu.ones((2, 3))
    with pytest.raises(IndexError, match=r"out of bounds.*\(2, 3\)"):
        x[5]
    with pytest.raises(TypeError, match="float"):
        x[1.5]
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0]


def test_one_element_conversions() -> None:
    x = mu.ones((2, 3))
    with pytest.raises(ValueError, match=r"one element.*\(2, 3\)"):
        x.item()
    with pytest.raises(ValueError, match="ambiguous"):
        bool(x)
    with pytest.raises(TypeError, match="0-d"):
        len(mu.variable(1.0))
    with pytest.raises(TypeError, match="0-d"):
        iter(mu.variable(1.0))


def test_unsupported_operands() -> None:
    with pytest.raises(TypeError, match="str"):
        mu.ones((2,)) + "a"
    with pytest.raises(TypeError, match="str"):
        mu.mul(mu.ones((2,)), "a")


def test_bad_arguments_to_concat_stack_and_clip() -> None:
    with pytest.raises(ValueError, match="at least one tensor"):
        mu.concat([], 0)
    with pytest.raises(ValueError, match="at least one tensor"):
        mu.stack([], 0)
    with pytest.raises(mu.ShapeError, match="0-d"):
        mu.concat([mu.variable(1.0), mu.variable(2.0)], 0)
    # PyTorch's clamp with min > max gives max everywhere (no error).
    np.testing.assert_array_equal(mu.clip(mu.ones((2,)), 2.0, 1.0).numpy(), [1.0, 1.0])
    with pytest.raises(ValueError, match="clamp"):
        mu.clamp(mu.ones((2,)))


def test_a_primitive_name_is_registered_once() -> None:
    with pytest.raises(ValueError, match="'add' already exists"):
        Primitive("add", lambda xp, x: x, None)
    with pytest.raises(ValueError, match="saves must be"):
        Primitive("test_errors_bad_saves", lambda xp, x: x, None, saves="everything")


def test_detect_anomaly_reports_the_first_non_finite_result() -> None:
    x = mu.variable(np.array([1.0, 0.0]))
    with np.errstate(divide="ignore"), mu.detect_anomaly(), pytest.raises(
            FloatingPointError, match="forward of 'div'"):
        mu.ones((2,)) / x
    with np.errstate(divide="ignore"), mu.detect_anomaly():
        y = mu.log(x + 1.0) * 0.0 + mu.abs(x)
        y.backward()  # finite everywhere: no error
    with np.errstate(divide="ignore", invalid="ignore"), mu.detect_anomaly():
        y = mu.sqrt(x * x)
        with pytest.raises(FloatingPointError, match="backward of 'sqrt'"):
            y.backward()
