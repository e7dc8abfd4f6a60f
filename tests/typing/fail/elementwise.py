# pyright: strict
"""Elementwise operations on shapes that do not broadcast: each marked line is a type error in
mypy and pyright, and raises ``mu.ShapeError`` when its function runs."""

from typing import Literal as L

import mushin as mu

Wide = mu.Variable[L[2], L[3]]
Tall = mu.Variable[L[3], L[2]]


def operands() -> tuple[Wide, Tall]:
    wide: Wide = mu.randn((2, 3))
    tall: Tall = mu.randn((3, 2))
    return wide, tall


def case_add_operator() -> None:
    x, y = operands()
    x + y  # E: + of [2, 3] and [3, 2]


def case_sub_operator() -> None:
    x, y = operands()
    x - y  # E: - of [2, 3] and [3, 2]


def case_mul_operator() -> None:
    x, y = operands()
    x * y  # E: * of [2, 3] and [3, 2]


def case_div_operator() -> None:
    x, y = operands()
    x / y  # E: / of [2, 3] and [3, 2]


def case_pow_operator() -> None:
    x, y = operands()
    x ** y  # E: ** of [2, 3] and [3, 2]


def case_add_function() -> None:
    x, y = operands()
    mu.add(x, y)  # E: mu.add of [2, 3] and [3, 2]


def case_sub_function() -> None:
    x, y = operands()
    mu.sub(y, x)  # E: mu.sub of [3, 2] and [2, 3]


def case_mul_function() -> None:
    x, y = operands()
    mu.mul(x, y)  # E: mu.mul of [2, 3] and [3, 2]


def case_div_function() -> None:
    x, y = operands()
    mu.div(x, y)  # E: mu.div of [2, 3] and [3, 2]


def case_pow_function() -> None:
    x, y = operands()
    mu.pow(x, y)  # E: mu.pow of [2, 3] and [3, 2]


def case_maximum_function() -> None:
    x, y = operands()
    mu.maximum(x, y)  # E: mu.maximum of [2, 3] and [3, 2]


def case_minimum_function() -> None:
    x, y = operands()
    mu.minimum(x, y)  # E: mu.minimum of [2, 3] and [3, 2]


def case_add_method() -> None:
    x, y = operands()
    x.add(y)  # E: x.add of [2, 3] and [3, 2]


def case_maximum_method() -> None:
    x, y = operands()
    x.maximum(y)  # E: x.maximum of [2, 3] and [3, 2]


def case_trailing_vector() -> None:
    x, _ = operands()
    bias: mu.Variable[L[2]] = mu.zeros((2,))
    x + bias  # E: [2, 3] + [2]: the trailing sizes differ


def case_vector_on_the_left() -> None:
    x, _ = operands()
    bias: mu.Variable[L[2]] = mu.zeros((2,))
    bias * x  # E: [2] * [2, 3]: the trailing sizes differ


def case_row() -> None:
    x, _ = operands()
    row: mu.Variable[L[1], L[2]] = mu.ones((1, 2))
    x + row  # E: [2, 3] + [1, 2]: the trailing sizes differ


def case_constant_and_variable() -> None:
    x, y = operands()
    c = x.freeze()
    c + y  # E: Constant [2, 3] + Variable [3, 2]


def case_two_constants() -> None:
    x, y = operands()
    first, second = x.freeze(), y.freeze()
    first * second  # E: Constant [2, 3] * Constant [3, 2]


def case_where() -> None:
    x, y = operands()
    mu.where(x > 0, x, y)  # E: where of [2, 3] and [3, 2]


def case_comparison() -> None:
    x, y = operands()
    print(x < y)  # E: < of [2, 3] and [3, 2]
