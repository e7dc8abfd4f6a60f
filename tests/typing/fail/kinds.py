# pyright: strict
"""Gradients asked of a ``Constant``: ``grad``, ``backward`` and ``reset`` do not exist on the
type, so each marked line is an error in mypy and pyright, and raises ``TypeError`` when its
function runs."""

from typing import Literal as L

import mushin as mu


def tensors() -> tuple[mu.Variable[L[2], L[3]], mu.Constant[L[2], L[3]]]:
    v: mu.Variable[L[2], L[3]] = mu.randn((2, 3))
    return v, v.freeze()


def case_grad_of_a_constant() -> None:
    _, c = tensors()
    c.grad()  # E: grad() of a Constant


def case_backward_of_a_constant() -> None:
    _, c = tensors()
    c.backward()  # E: backward() of a Constant


def case_reset_of_a_constant() -> None:
    _, c = tensors()
    c.reset()  # E: reset() of a Constant


def case_backward_of_constants_combined() -> None:
    _, c = tensors()
    (c + c * 2.0).backward()  # E: Constant op Constant is a Constant


def case_grad_after_freeze() -> None:
    v, _ = tensors()
    v.freeze().grad()  # E: freeze() gives a Constant


def case_backward_of_a_constant_loss() -> None:
    _, c = tensors()
    mu.sum(c * c).backward()  # E: a loss computed from Constants only


def case_backward_of_a_constant_arctangent() -> None:
    _, c = tensors()
    c.atan().backward()  # E: atan of a Constant is a Constant


def case_grad_of_a_constant_product() -> None:
    _, c = tensors()
    (c @ c.T).grad()  # E: Constant @ Constant is a Constant


def case_reset_of_a_mask() -> None:
    v, _ = tensors()
    (v > 0).reset()  # E: comparisons give Constant masks


def case_backward_of_a_function_of_a_constant() -> None:
    _, c = tensors()
    mu.exp(c).backward()  # E: exp of a Constant is a Constant


def case_grad_of_a_made_constant() -> None:
    mu.constant([1.0, 2.0]).grad()  # E: mu.constant makes a Constant
