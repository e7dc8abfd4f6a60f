# pyright: strict
"""What the checkers infer for PyTorch's factories, conversions and tensor members: the form of
a factory decides the kind, conversions to integers give Constants.

Each ``assert_type`` is checked by mypy and pyright (and is a no-op at run time).
"""

from typing import Any, assert_type
from typing import Literal as L

import numpy as np

import mushin as mu

Runtime = mu.Constant[*tuple[Any, ...]]  # a shape known only at run time
Scalar = mu.Constant[*tuple[()]]


def factory_forms() -> None:
    """A tuple shape gives a Variable, sizes as ints a Constant, requires_grad overrides."""
    assert_type(mu.zeros((2, 3)), mu.Variable[int, int])
    tracked: mu.Variable[L[2], L[3]] = mu.zeros((2, 3))
    assert tracked.shape == (2, 3)
    untracked: mu.Constant[L[2], L[3]] = mu.zeros(2, 3)
    assert untracked.shape == (2, 3)
    assert_type(mu.ones(4), mu.Constant[int])
    assert_type(mu.randn(2, 3, 4), mu.Constant[int, int, int])
    assert_type(mu.rand(1, 2, 3, 4, 5), Runtime)
    assert_type(mu.empty(size=(2, 3)), Runtime)
    assert_type(mu.zeros((2,), requires_grad=False), mu.Constant[int])
    assert_type(mu.randn(2, requires_grad=True), mu.Variable)
    assert_type(mu.zeros([2, 3]), mu.Variable)
    assert_type(mu.randu((3,)), mu.Variable[int])


def like_and_filled() -> None:
    x: mu.Variable[L[2], L[3]] = mu.randn((2, 3))
    assert_type(mu.zeros_like(x), mu.Constant[L[2], L[3]])
    assert_type(mu.randn_like(x, requires_grad=True), mu.Variable[L[2], L[3]])
    assert_type(mu.full_like(x, 1.5), mu.Constant[L[2], L[3]])
    assert_type(mu.randint_like(x, 5), mu.Constant[L[2], L[3]])
    assert_type(mu.full((2, 3), 7), mu.Constant[int, int])
    assert_type(mu.full((2,), 1.0, requires_grad=True), mu.Variable[int])
    assert_type(mu.empty_strided((2, 3), (3, 1)), mu.Constant[int, int])
    assert_type(mu.eye(3), mu.Constant[int, int])
    identity: mu.Constant[L[3], L[4]] = mu.eye(3, 4)
    assert identity.shape == (3, 4)
    assert_type(mu.eye((2, 2), 2.0), mu.Variable[int, int])


def ranges_and_data() -> None:
    assert_type(mu.arange(5), mu.Constant[Any])
    assert_type(mu.linspace(0.0, 1.0, 5), mu.Constant[Any])
    assert_type(mu.logspace(0, 2, 3, base=2.0), mu.Constant[Any])
    assert_type(mu.tril_indices(3, 3), mu.Constant[L[2], Any])
    assert_type(mu.randperm(4), mu.Constant[Any])
    assert_type(mu.randint(0, 5, (2, 3)), mu.Constant[int, int])
    assert_type(mu.tensor([1, 2]), Runtime)
    assert_type(mu.tensor(2.5), Scalar)
    assert_type(mu.tensor([1.0], requires_grad=True), mu.Variable)
    assert_type(mu.scalar_tensor(1.0), Scalar)
    assert_type(mu.from_numpy(np.zeros(3)), Runtime)
    assert_type(mu.multinomial(mu.tensor([0.5, 0.5]), 1), Runtime)
    x: mu.Variable[L[3]] = mu.randn((3,))
    assert_type(mu.bernoulli(mu.rand_like(x)), mu.Constant[L[3]])
    assert_type(mu.normal(x, 1.0), mu.Constant[L[3]])
    assert_type(mu.normal(0.0, 1.0, (2, 3)), mu.Constant[int, int])
    assert_type(mu.as_tensor(x), mu.Tensor[L[3]])


def conversions() -> None:
    """A floating conversion keeps the kind; an integer one gives a Constant."""
    x: mu.Variable[L[2], L[3]] = mu.randn((2, 3))
    c = x.freeze()
    assert_type(x.float(), mu.Variable[L[2], L[3]])
    assert_type(x.double(), mu.Variable[L[2], L[3]])
    assert_type(c.half(), mu.Constant[L[2], L[3]])
    assert_type(x.long(), mu.Constant[L[2], L[3]])
    assert_type(x.int(), mu.Constant[L[2], L[3]])
    assert_type(x.bool(), mu.Constant[L[2], L[3]])
    assert_type(x.to(mu.float64), mu.Variable[L[2], L[3]])
    assert_type(x.to("cpu"), mu.Variable[L[2], L[3]])
    assert_type(x.to("cpu", mu.float64), mu.Variable[L[2], L[3]])
    assert_type(x.to(mu.int64), mu.Constant[L[2], L[3]])
    assert_type(x.to("cpu", mu.long), mu.Constant[L[2], L[3]])
    assert_type(x.to(dtype=mu.int32), mu.Constant[L[2], L[3]])
    assert_type(x.to(c), mu.Tensor[L[2], L[3]])
    assert_type(x.type(), str)
    assert_type(x.type(mu.float64), mu.Variable[L[2], L[3]])
    assert_type(x.type(mu.int64), mu.Constant[L[2], L[3]])
    assert_type(x.type_as(c), mu.Tensor[L[2], L[3]])
    assert_type(x.detach(), mu.Constant[L[2], L[3]])
    loss = (x.double() * 2.0).sum()
    loss.backward()
    assert x.grad().shape == (2, 3)


def new_tensors() -> None:
    x: mu.Variable[L[2]] = mu.randn((2,))
    assert_type(x.new_zeros((3, 4)), mu.Constant[int, int])
    assert_type(x.new_ones(3, 4), mu.Constant)
    assert_type(x.new_empty(3, requires_grad=True), mu.Variable)
    assert_type(x.new_full((2,), 1.0), mu.Constant[int])
    assert_type(x.new_tensor([1.0, 2.0]), mu.Constant)
    assert_type(x.new_empty_strided((2, 2), (2, 1)), mu.Constant[int, int])
    assert_type((x * x + 1.0).multinomial(1), Runtime)
    assert_type(x.bernoulli(0.5), mu.Constant[L[2]])


def members() -> None:
    x: mu.Variable[L[4], L[5]] = mu.randn((4, 5))
    assert_type(x.size(), tuple[L[4], L[5]])
    assert_type(x.size(0), int)
    assert_type(x.numel(), int)
    assert_type(mu.numel(x), int)
    assert_type(x.dim(), int)
    assert_type(x.element_size(), int)
    assert_type(x.is_floating_point(), bool)
    assert_type(mu.is_tensor(x), bool)
    assert_type(x.requires_grad, bool)
    assert_type(x.tolist(), Any)
    assert_type(float(x[0, 0]), float)
    assert_type(int(x[0, 0]), int)
    assert [10, 20, 30][mu.tensor(1)] == 20
    assert x.size() == (4, 5) and x.size(-1) == 5 and x.numel() == 20


def main() -> None:
    factory_forms()
    like_and_filled()
    ranges_and_data()
    conversions()
    new_tensors()
    members()


if __name__ == "__main__":
    main()
