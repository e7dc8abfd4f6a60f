# pyright: strict
"""Results assigned to a wrongly annotated variable: each marked line is an error in mypy and
pyright. The values themselves are fine, so these functions run without error: only the
checkers can see these mistakes."""

from typing import Literal as L

import mushin as mu


def tensors() -> tuple[mu.Variable[L[2], L[3]], mu.Constant[L[2], L[3]]]:
    v: mu.Variable[L[2], L[3]] = mu.randn((2, 3))
    return v, v.freeze()


def annotation_elementwise_result() -> None:
    x, _ = tensors()
    z: mu.Variable[L[3], L[2]] = x + x  # E: [2, 3] annotated [3, 2]
    print(z)


def annotation_kind_of_a_mixed_result() -> None:
    x, c = tensors()
    z: mu.Constant[L[2], L[3]] = x * c  # E: Variable * Constant is a Variable
    print(z)


def annotation_matmul_result() -> None:
    x, _ = tensors()
    w: mu.Variable[L[3], L[4]] = mu.randn((3, 4))
    y: mu.Variable[L[2], L[5]] = x @ w  # E: [2, 3] @ [3, 4] is [2, 4]
    print(y)


def annotation_full_reduction() -> None:
    x, _ = tensors()
    s: mu.Variable[L[3]] = x.sum()  # E: a sum over every axis is 0-d
    print(s)


def annotation_reshape_function() -> None:
    x, _ = tensors()
    r: mu.Variable[L[3], L[2]] = mu.reshape(x, (2, 3))  # E: reshape to (2, 3) annotated [3, 2]
    print(r)


def annotation_reshape_method() -> None:
    x, _ = tensors()
    r: mu.Variable[L[6]] = x.reshape(3, 2)  # E: reshape to (3, 2) annotated [6]
    print(r)


def annotation_transpose() -> None:
    x, _ = tensors()
    t: mu.Variable[L[2], L[3]] = x.T  # E: .T of [2, 3] is [3, 2]
    print(t)


def annotation_maker_shape() -> None:
    w: mu.Variable[L[3], L[4]] = mu.randn((4, 3))  # E: randn((4, 3)) annotated [3, 4]
    print(w)


def annotation_gradient_shape() -> None:
    x, _ = tensors()
    g: mu.Variable[L[3], L[2]] = x.grad()  # E: the gradient has the tensor's shape
    print(g)


def annotation_freeze_kind() -> None:
    x, _ = tensors()
    f: mu.Variable[L[2], L[3]] = x.freeze()  # E: freeze() gives a Constant
    print(f)


def annotation_unfreeze_kind() -> None:
    _, c = tensors()
    u: mu.Constant[L[2], L[3]] = c.unfreeze()  # E: unfreeze() gives a Variable
    print(u)


def annotation_mask_kind() -> None:
    x, _ = tensors()
    m: mu.Variable[L[2], L[3]] = x > 0  # E: a comparison gives a Constant mask
    print(m)


def annotation_broadcast_result() -> None:
    x, _ = tensors()
    b: mu.Variable[L[4], L[2], L[2]] = mu.broadcast_to(x, (4, 2, 3))  # E: to [4, 2, 3]
    print(b)


def annotation_unary_result() -> None:
    x, _ = tensors()
    e: mu.Variable[L[3], L[2]] = mu.exp(-x)  # E: exp of [2, 3] is [2, 3]
    print(e)
