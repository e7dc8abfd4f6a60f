# pyright: strict
"""Matrix products whose inner sizes (or leading axes) do not match: each marked line is a type
error in mypy and pyright, and raises ``mu.ShapeError`` when its function runs."""

from typing import Any
from typing import Literal as L

import mushin as mu


def operands() -> tuple[mu.Variable[L[2], L[3]], mu.Variable[L[4], L[5]]]:
    x: mu.Variable[L[2], L[3]] = mu.randn((2, 3))
    w: mu.Variable[L[4], L[5]] = mu.randn((4, 5))
    return x, w


def case_matmul_operator() -> None:
    x, w = operands()
    x @ w  # E: [2, 3] @ [4, 5]: inner sizes 3 and 4


def case_mm_function() -> None:
    x, w = operands()
    mu.mm(x, w)  # E: mu.mm of [2, 3] and [4, 5]


def case_matmul_function() -> None:
    x, w = operands()
    mu.matmul(x, w)  # E: mu.matmul of [2, 3] and [4, 5]


def case_mm_method() -> None:
    x, w = operands()
    x.mm(w)  # E: x.mm of [2, 3] and [4, 5]


def case_matmul_method() -> None:
    x, w = operands()
    x.matmul(w)  # E: x.matmul of [2, 3] and [4, 5]


def case_constant_operands() -> None:
    x, _ = operands()
    c = x.freeze()
    c @ c  # E: Constant [2, 3] @ Constant [2, 3]


def case_transposed_operands() -> None:
    x, _ = operands()
    x.T @ x.T  # E: [3, 2] @ [3, 2]


def case_mm_of_a_vector() -> None:
    x, _ = operands()
    v: mu.Variable[L[3]] = mu.randn((3,))
    mu.mm(x, v)  # E: mm needs two axes on each side (matmul takes vectors)


def case_vector_inner_size() -> None:
    x, _ = operands()
    v: mu.Variable[L[2]] = mu.randn((2,))
    x @ v  # E: [2, 3] @ [2]: inner sizes 3 and 2


def case_batched_leading_axes() -> None:
    a: mu.Variable[L[2], L[3], L[4]] = mu.randn((2, 3, 4))
    b: mu.Variable[L[5], L[4], L[2]] = mu.randn((5, 4, 2))
    a @ b  # E: leading axes 2 and 5 do not broadcast


def case_zero_d_operand() -> None:
    x, _ = operands()
    w: mu.Variable[L[3], L[4]] = mu.randn((3, 4))
    x.sum() @ w  # E: a 0-d tensor has no matrix axes


def case_transpose_of_a_vector() -> None:
    v: mu.Variable[L[3]] = mu.randn((3,))
    print(v.T)  # E: .T needs two axes


def case_layer_fed_the_wrong_size() -> None:
    w: mu.Variable[L[3], L[4]] = mu.randn((3, 4))

    def forward(x: mu.Variable[Any, L[3]]) -> mu.Variable[Any, L[4]]:
        return x @ w

    batch: mu.Variable[L[8], L[5]] = mu.randn((8, 5))
    forward(batch)  # E: a function of [*, 3] fed [8, 5]
