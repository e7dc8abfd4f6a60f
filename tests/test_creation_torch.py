"""PyTorch's tensor creation, dtype conversions and core tensor members, against PyTorch.

What ``tests/op_db.py`` does not cover: the kind each form of a factory gives (a tuple shape a
``Variable``, sizes as ints a ``Constant``, ``requires_grad`` overriding), the methods
(``x.float()``, ``x.to(...)``, ``x.new_*``), gradients through conversions (to second order),
the random factories' distributions and reproducibility, the members (``size()``, ``numel()``,
``__index__``...), a device, and every error message naming its operation.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np
import pytest

import mushin as mu

torch = pytest.importorskip("torch")


def _same(ours: mu.Tensor, theirs: Any) -> None:
    expected = theirs.detach().numpy()
    assert ours.shape == tuple(expected.shape)
    assert ours.dtype == expected.dtype, (ours.dtype, expected.dtype)
    np.testing.assert_allclose(ours.numpy(), expected, rtol=1e-6, atol=0)


# --- the form decides the kind ----------------------------------------------------------------

@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "randn", "rand", "randu"])
def test_tuple_shape_gives_a_variable_and_ints_a_constant(name: str) -> None:
    make = getattr(mu, name)
    assert isinstance(make((2, 3)), mu.Variable)
    assert isinstance(make([2, 3]), mu.Variable)
    for made in (make(2, 3), make(4), make(size=(2, 3)), make((2, 3), requires_grad=False)):
        assert isinstance(made, mu.Constant)
    assert make(2, 3).shape == (2, 3) and make(4).shape == (4,)
    assert isinstance(make(2, 3, requires_grad=True), mu.Variable)
    assert make(2, 3).dtype == np.float32 and make(2, dtype=mu.float64).dtype == np.float64
    assert make(2, mu.constant(3)).shape == (2, 3)  # a one-element integer tensor is a size


def test_integer_dtypes_are_never_tracked() -> None:
    assert mu.ones(3, dtype="int32").dtype == np.int32
    assert isinstance(mu.zeros((2,), dtype=mu.int64, requires_grad=False), mu.Constant)
    with pytest.raises(ValueError, match=r"^zeros: a Variable \(what a tuple shape makes\) "
                                         "needs a floating dtype"):
        mu.zeros((2,), dtype=mu.int64)
    with pytest.raises(ValueError, match=r"^eye: a Variable"):
        mu.eye((2, 2), dtype=mu.int64)
    with pytest.raises(ValueError, match=r"^zeros: only a floating dtype"):
        mu.zeros(2, dtype=mu.int64, requires_grad=True)
    with pytest.raises(ValueError, match=r"^randn: needs a floating dtype"):
        mu.randn(2, dtype=mu.int64)


@pytest.mark.parametrize("name", ["zeros_like", "ones_like", "empty_like", "rand_like",
                                  "randn_like"])
def test_like_factories(name: str) -> None:
    x = mu.randn((2, 3), dtype=mu.float64)
    made = getattr(mu, name)(x)
    assert isinstance(made, mu.Constant) and made.shape == (2, 3) and made.dtype == np.float64
    assert isinstance(getattr(mu, name)(x, requires_grad=True), mu.Variable)
    assert getattr(mu, name)(x, dtype=mu.float32).dtype == np.float32
    with pytest.raises(TypeError, match=f"^{name}: input must be a tensor"):
        getattr(mu, name)([1.0, 2.0])


def test_like_factory_values_match_torch() -> None:
    values = np.arange(6.0).reshape(2, 3)
    x, t = mu.constant(values), torch.tensor(values)
    _same(mu.zeros_like(x), torch.zeros_like(t))
    _same(mu.ones_like(x, dtype=mu.int64), torch.ones_like(t, dtype=torch.int64))
    _same(mu.full_like(x, 2.5), torch.full_like(t, 2.5))
    _same(mu.full_like(mu.constant([1, 2]), 7), torch.full_like(torch.tensor([1, 2]), 7))
    assert isinstance(mu.full_like(x, 1.0, requires_grad=True), mu.Variable)


# --- from data --------------------------------------------------------------------------------

@pytest.mark.parametrize("data", [[1, 2, 3], [1.5, 2.0], [True, False], 3, 2.5, [[1, 2], [3, 4]],
                                  np.arange(3, dtype=np.int16), np.ones(2, dtype=np.float64)])
def test_tensor_keeps_pytorchs_dtypes(data: Any) -> None:
    made = mu.tensor(data)
    assert isinstance(made, mu.Constant)
    _same(made, torch.tensor(data))


def test_tensor_copies_and_can_require_grad() -> None:
    values = np.ones(3)
    made = mu.tensor(values)
    values[0] = 5.0
    assert made.numpy()[0] == 1.0
    tracked = mu.tensor([1.0, 2.0], requires_grad=True, dtype=mu.float64)
    assert isinstance(tracked, mu.Variable) and tracked.dtype == np.float64
    assert mu.tensor([1, 2], dtype=mu.float32).dtype == np.float32
    with pytest.raises(ValueError, match=r"^tensor: only a floating dtype"):
        mu.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match=r"^tensor: "):
        mu.tensor("text")


def test_as_tensor_and_from_numpy_share_memory() -> None:
    values = np.zeros(3)
    shared = mu.from_numpy(values)
    also = mu.as_tensor(values)
    values[1] = 4.0
    assert shared.numpy()[1] == 4.0 and also.numpy()[1] == 4.0
    assert isinstance(shared, mu.Constant) and shared.dtype == np.float64
    x = mu.randn((2,))
    assert mu.as_tensor(x) is x
    converted = mu.as_tensor(x, dtype=mu.float64)
    assert isinstance(converted, mu.Variable) and converted.dtype == np.float64
    assert mu.as_tensor([1, 2]).dtype == np.int64
    with pytest.raises(TypeError, match=r"^from_numpy: expected a NumPy array"):
        mu.from_numpy([1, 2])


def test_scalar_tensor() -> None:
    _same(mu.scalar_tensor(3), torch.scalar_tensor(3))
    _same(mu.scalar_tensor(2.5, dtype=mu.float64), torch.scalar_tensor(2.5, dtype=torch.float64))
    with pytest.raises(TypeError, match=r"^scalar_tensor: s must be a number"):
        mu.scalar_tensor("1")


# --- filled and ranges ------------------------------------------------------------------------

def test_full_infers_pytorchs_dtype() -> None:
    for value in (2, 2.5, True):
        _same(mu.full((2, 3), value), torch.full((2, 3), value))
    _same(mu.full([2], 1, dtype=mu.float64), torch.full([2], 1, dtype=torch.float64))
    assert isinstance(mu.full((2,), 1.0), mu.Constant)
    assert isinstance(mu.full((2,), 1.0, requires_grad=True), mu.Variable)
    with pytest.raises(TypeError, match=r"^full: fill_value must be a number"):
        mu.full((2,), "x")
    with pytest.raises(ValueError, match=r"^full: sizes must not be negative"):
        mu.full((-1,), 0)


@pytest.mark.parametrize("args", [(5,), (2, 7), (1, 2, 0.3), (5, 0, -1), (0.5, 3),
                                  (-1.0, 1.0, 0.25), (True,), (3, 3), (10, 1, -3)])
def test_arange_matches_torch(args: tuple[Any, ...]) -> None:
    _same(mu.arange(*args), torch.arange(*args))
    _same(mu.arange(*args, dtype=mu.float64), torch.arange(*args, dtype=torch.float64))


def test_arange_errors() -> None:
    with pytest.raises(ValueError, match=r"^arange: step must not be zero"):
        mu.arange(0, 3, 0)
    with pytest.raises(ValueError, match=r"^arange: the step 1 cannot go from 5 to 0"):
        mu.arange(5, 0)
    with pytest.raises(TypeError, match=r"^arange: end must be a number"):
        mu.arange(0, "3")
    with pytest.raises(ValueError, match=r"^arange: end must be finite"):
        mu.arange(0, float("inf"))


@pytest.mark.parametrize("args", [(0, 1, 5), (-2.0, 3.0, 7), (3, -3, 1), (1, 2, 0), (0, 10, 4)])
def test_linspace_and_logspace_match_torch(args: tuple[Any, ...]) -> None:
    _same(mu.linspace(*args), torch.linspace(*args))
    _same(mu.linspace(*args, dtype=mu.float64), torch.linspace(*args, dtype=torch.float64))
    _same(mu.linspace(*args, dtype=mu.int64), torch.linspace(*args, dtype=torch.int64))
    _same(mu.logspace(*args, dtype=mu.float64), torch.logspace(*args, dtype=torch.float64))
    _same(mu.logspace(*args, base=2.0), torch.logspace(*args, base=2.0))


def test_linspace_errors() -> None:
    with pytest.raises(ValueError, match=r"^linspace: steps must not be negative"):
        mu.linspace(0, 1, -1)
    with pytest.raises(TypeError, match=r"^logspace: steps must be an int"):
        mu.logspace(0, 1, 2.5)  # type: ignore[arg-type]


def test_eye_both_forms() -> None:
    _same(mu.eye(3), torch.eye(3))
    _same(mu.eye(2, 4, dtype=mu.float64), torch.eye(2, 4, dtype=torch.float64))
    assert isinstance(mu.eye(3), mu.Constant)
    crate = mu.eye((2, 2, 3), 2.0)
    assert isinstance(crate, mu.Variable)
    np.testing.assert_array_equal(crate.numpy()[1], 2.0 * np.eye(2, 3))
    with pytest.raises(ValueError, match=r"^eye: the shape needs at least 2 axes"):
        mu.eye((3,))
    with pytest.raises(ValueError, match=r"^eye: n must not be negative"):
        mu.eye(-1)


@pytest.mark.parametrize("args", [(3, 3), (4, 3, 1), (3, 5, -1), (0, 2), (5, 2, 7)])
def test_triangle_indices_match_torch(args: tuple[int, ...]) -> None:
    _same(mu.tril_indices(*args), torch.tril_indices(*args))
    _same(mu.triu_indices(*args), torch.triu_indices(*args))


def test_empty_strided_and_permuted() -> None:
    assert mu.empty_strided((2, 3), (3, 1)).shape == (2, 3)
    assert mu.empty_permuted((2, 3), (1, 0)).shape == (2, 3)
    with pytest.raises(TypeError, match=r"^empty_strided: stride must be a tuple of 2 ints"):
        mu.empty_strided((2, 3), (1,))
    with pytest.raises(ValueError, match=r"^empty_permuted: physical_layout must be"):
        mu.empty_permuted((2, 3), (0, 0))


def test_factory_errors_name_the_factory() -> None:
    with pytest.raises(TypeError, match=r"^zeros: missing the size"):
        mu.zeros()
    with pytest.raises(TypeError, match=r"^ones: a shape must be a tuple of ints, or the sizes"):
        mu.ones(2, 2.5)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match=r"^zeros: give the sizes either positionally"):
        mu.zeros(2, size=(2,))  # type: ignore[call-overload]
    with pytest.raises(ValueError, match=r"^empty: unknown dtype"):
        mu.empty(2, dtype="nonsense")
    with pytest.raises(ValueError, match=r"^rand: unknown device"):
        mu.rand(2, device="tpu")
    with pytest.raises(TypeError, match=r"^randn: requires_grad must be True or False"):
        mu.randn(2, requires_grad=1)  # type: ignore[call-overload]


# --- random -----------------------------------------------------------------------------------

def test_random_factories_are_reproducible() -> None:
    def draws() -> list[np.ndarray]:
        mu.seed(7)
        return [mu.randn(3).numpy(), mu.rand(3).numpy(), mu.randint(0, 9, (4,)).numpy(),
                mu.randperm(5).numpy(), mu.multinomial(mu.tensor([0.2, 0.8]), 4, True).numpy(),
                mu.bernoulli(mu.full((4,), 0.5)).numpy(), mu.normal(0.0, 1.0, (3,)).numpy()]

    for first, second in zip(draws(), draws(), strict=True):
        np.testing.assert_array_equal(first, second)


def test_randint_and_randperm() -> None:
    mu.seed(0)
    draws = mu.randint(3, 7, (2000,))
    assert draws.dtype == np.int64 and isinstance(draws, mu.Constant)
    assert set(np.unique(draws.numpy())) == {3, 4, 5, 6}
    assert mu.randint(5, (2, 2)).shape == (2, 2)
    assert mu.randint(0, 5, (3,), dtype=mu.float64).dtype == np.float64
    assert mu.randint(high=4, size=(3,)).numpy().max() < 4
    like = mu.randint_like(mu.zeros(3, dtype=mu.float64), 2, 4)
    assert like.dtype == np.float64 and set(like.numpy()) <= {2.0, 3.0}
    assert sorted(mu.randperm(10).numpy()) == list(range(10))
    with pytest.raises(ValueError, match=r"^randint: low \(5\) must be smaller than high"):
        mu.randint(5, 5, (2,))
    with pytest.raises(TypeError, match=r"^randint: missing the size"):
        mu.randint(5)


def test_multinomial() -> None:
    mu.seed(0)
    weights = mu.tensor([[0.0, 1.0, 3.0], [2.0, 0.0, 2.0]], dtype=mu.float64)
    without = mu.multinomial(weights, 2)
    assert without.shape == (2, 2) and without.dtype == np.int64
    assert sorted(without.numpy()[0]) == [1, 2] and sorted(without.numpy()[1]) == [0, 2]
    draws = weights.multinomial(4000, replacement=True).numpy()
    assert not np.any(draws[0] == 0) and not np.any(draws[1] == 1)
    np.testing.assert_allclose(np.mean(draws[0] == 2), 0.75, atol=0.03)
    # The first draw without replacement follows the probabilities too.
    firsts = [mu.multinomial(mu.tensor([1.0, 3.0]), 1).item() for _ in range(2000)]
    np.testing.assert_allclose(np.mean(firsts), 0.75, atol=0.04)
    with pytest.raises(ValueError, match=r"^multinomial: cannot draw 3 samples without"):
        mu.multinomial(weights, 3)
    with pytest.raises(ValueError, match=r"^multinomial: the probabilities must be finite"):
        mu.multinomial(mu.tensor([-1.0, 2.0]), 1)
    with pytest.raises(ValueError, match=r"^multinomial: input must have 1 or 2 axes"):
        mu.multinomial(mu.ones(1, 1, 2), 1)


def test_bernoulli_and_normal() -> None:
    mu.seed(0)
    chances = mu.full((20000,), 0.3, dtype=mu.float64)
    draws = mu.bernoulli(chances)
    assert isinstance(draws, mu.Constant) and draws.dtype == np.float64
    np.testing.assert_allclose(draws.numpy().mean(), 0.3, atol=0.02)
    assert chances.bernoulli(p=1.0).numpy().min() == 1.0
    tracked = mu.randn((3,))
    assert isinstance(mu.bernoulli(mu.rand_like(tracked)), mu.Constant)
    samples = mu.normal(mu.full((20000,), 2.0, dtype=mu.float64), 0.5)
    assert isinstance(samples, mu.Constant) and samples.dtype == np.float64
    np.testing.assert_allclose([samples.numpy().mean(), samples.numpy().std()], [2.0, 0.5],
                               atol=0.02)
    assert mu.normal(mu.zeros(1, 3), mu.ones(4, 1)).shape == (4, 3)
    assert mu.normal(1.0, 2.0, (2, 5)).dtype == np.float32
    with pytest.raises(ValueError, match=r"^bernoulli: the probabilities must be in \[0, 1\]"):
        mu.bernoulli(mu.tensor([1.5]))
    with pytest.raises(ValueError, match=r"^normal: std must not be negative"):
        mu.normal(0.0, -1.0, (2,))
    with pytest.raises(TypeError, match=r"^normal: with a number mean and std, give the size"):
        mu.normal(0.0, 1.0)


# --- tensor members ---------------------------------------------------------------------------

def test_size_numel_dim() -> None:
    x = mu.randn((2, 3, 4))
    t = torch.zeros(2, 3, 4)
    assert x.size() == tuple(t.size()) and x.size(1) == t.size(1) and x.size(-1) == 4
    assert x.numel() == t.numel() == x.nelement() == mu.numel(x) == 24
    assert x.dim() == x.ndimension() == 3
    assert x.element_size() == 4 and x.double().element_size() == 8
    assert x.is_floating_point() and not mu.constant([1]).is_floating_point()
    assert mu.is_floating_point(x) and mu.is_tensor(x) and not mu.is_tensor(np.ones(2))
    with pytest.raises(IndexError, match=r"^size: dim 3 is out of range"):
        x.size(3)
    with pytest.raises(IndexError, match=r"^size: dim 0 is out of range"):
        mu.scalar_tensor(1.0).size(0)
    with pytest.raises(TypeError, match=r"^numel: expected a tensor"):
        mu.numel([1, 2])  # type: ignore[arg-type]


def test_python_conversions() -> None:
    values = [[1.5, -2.0], [0.0, 3.25]]
    x = mu.variable(values)
    assert x.tolist() == torch.tensor(values).tolist()
    assert mu.scalar_tensor(2.0).tolist() == 2.0
    assert float(x[0, 0]) == 1.5 and int(x[1, 1]) == 3 and int(mu.constant([[7]])) == 7
    index = mu.constant(2)
    assert [10, 20, 30][index] == 30 and operator.index(mu.constant([1])) == 1
    assert list(range(index)) == [0, 1]
    with pytest.raises(TypeError, match=r"^__index__: only a one-element integer tensor"):
        operator.index(mu.scalar_tensor(2.0))
    with pytest.raises(ValueError, match=r"^float\(\): only a one-element tensor"):
        float(x)
    with pytest.raises(ValueError, match=r"^int\(\): only a one-element tensor"):
        int(x)


def test_requires_grad_and_detach() -> None:
    x = mu.randn((2,))
    assert x.requires_grad and not x.freeze().requires_grad
    with pytest.raises(AttributeError):
        x.requires_grad = False  # type: ignore[misc]
    y = x * 2
    detached = y.detach()
    assert isinstance(detached, mu.Constant)
    np.testing.assert_array_equal(detached.numpy(), y.numpy())
    assert np.shares_memory(detached.array(), y.array())
    assert isinstance(detached.detach(), mu.Constant)


# --- conversions ------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "dtype"), [
    ("float", np.float32), ("double", np.float64), ("half", np.float16), ("long", np.int64),
    ("int", np.int32), ("short", np.int16), ("char", np.int8), ("byte", np.uint8),
    ("bool", np.bool_)])
def test_conversion_methods_match_torch(name: str, dtype: Any) -> None:
    values = np.array([[-300.7, -1.5, -0.5, 0.0], [0.25, 1.0, 2.9, 300.3]])
    converted = getattr(mu.constant(values), name)()
    assert converted.dtype == dtype and isinstance(converted, mu.Constant)
    _same(converted, getattr(torch.tensor(values), name)())
    tracked = getattr(mu.variable(values), name)()
    assert isinstance(tracked, mu.Variable if np.dtype(dtype).kind == "f" else mu.Constant)


def test_conversion_to_the_same_dtype_is_the_tensor_itself() -> None:
    x = mu.randn((2,))
    assert x.float() is x and x.to(mu.float32) is x and x.to("cpu") is x
    copied = x.to(mu.float32, copy=True)
    assert copied is not x and isinstance(copied, mu.Variable)
    assert not np.shares_memory(copied.array(), x.array())


def test_gradients_flow_through_conversions_to_second_order() -> None:
    values = np.array([0.5, -1.25, 2.0])
    x = mu.variable(values, dtype=mu.float32)
    theirs = torch.tensor(values, dtype=torch.float32, requires_grad=True)
    y = (x.double() ** 3).sum() + (x.to(mu.float64) * 2.0).sum() + x.half().float().sum()
    expected = (theirs.double() ** 3).sum() + (theirs.to(torch.float64) * 2.0).sum() + \
        theirs.half().float().sum()
    np.testing.assert_allclose(y.item(), expected.item(), rtol=1e-6)
    y.backward(create_graph=True)
    (first,) = torch.autograd.grad(expected, theirs, create_graph=True)
    gradient = x.grad()
    assert gradient.dtype == np.float32
    np.testing.assert_allclose(gradient.numpy(), first.detach().numpy(), rtol=1e-6)
    x.reset()
    gradient.sum().backward()
    (second,) = torch.autograd.grad(first.sum(), theirs)
    np.testing.assert_allclose(x.grad().numpy(), second.numpy(), rtol=1e-6)


def test_to_forms() -> None:
    x = mu.randn((2, 3))
    assert x.to(mu.float64).dtype == np.float64
    assert x.to("float64").dtype == np.float64
    assert x.to("cpu", mu.float64).dtype == np.float64
    assert x.to(device="cpu", dtype=mu.float16).dtype == np.float16
    assert x.to(None, mu.float64).dtype == np.float64
    assert x.to("torch.long").dtype == np.int64
    as_int = x.to(mu.int64)
    assert isinstance(as_int, mu.Constant) and as_int.dtype == np.int64
    assert x.to(mu.constant([1], dtype=mu.int32)).dtype == np.int32
    assert x.to("cpu", mu.float64, False, True).dtype == np.float64
    assert x.to(mu.float32, memory_format=None, non_blocking=True) is x
    with pytest.raises(TypeError, match=r"^to: the dtype is given twice"):
        x.to(mu.float64, dtype=mu.float32)
    with pytest.raises(TypeError, match=r"^to: unexpected arguments"):
        x.to("cpu", mu.float64, 3)
    with pytest.raises(ValueError, match=r"^to: unknown dtype"):
        x.to("nonsense")


def test_type_and_type_as() -> None:
    x = mu.randn((2,))
    assert x.type() == "mushin.FloatTensor" and mu.constant([1]).type() == "mushin.LongTensor"
    assert x.type(mu.float64).dtype == np.float64
    assert x.type("torch.LongTensor").dtype == np.int64
    assert isinstance(x.type("torch.DoubleTensor"), mu.Variable)
    assert x.type_as(mu.constant([1], dtype=mu.int16)).dtype == np.int16
    with pytest.raises(ValueError, match=r"^type: unknown tensor type"):
        x.type("torch.ComplexTensor")


def test_new_methods() -> None:
    x = mu.randn((2,), dtype=mu.float64)
    t = torch.zeros(2, dtype=torch.float64)
    _same(x.new_zeros((2, 3)), t.new_zeros((2, 3)))
    _same(x.new_zeros(2, 3), t.new_zeros(2, 3))
    _same(x.new_ones(4, dtype=mu.int64), t.new_ones(4, dtype=torch.int64))
    _same(x.new_full((2,), 7), t.new_full((2,), 7))
    _same(x.new_tensor([1, 2]), t.new_tensor([1, 2]))
    assert x.new_empty(3).shape == (3,) and x.new_empty_strided((2, 2), (2, 1)).shape == (2, 2)
    assert all(isinstance(made, mu.Constant) for made in (
        x.new_zeros(1), x.new_ones(1), x.new_full((1,), 1.0), x.new_empty(1), x.new_tensor([1.0])))
    assert isinstance(x.new_zeros(2, requires_grad=True), mu.Variable)
    with pytest.raises(TypeError, match=r"^new_full: fill_value must be a number"):
        x.new_full((2,), "a")


# --- on a device ------------------------------------------------------------------------------

def test_factories_on_a_device(device: str) -> None:
    made = [mu.zeros(2, 3, device=device), mu.ones((2,), device=device),
            mu.arange(5, device=device), mu.linspace(0, 1, 4, device=device),
            mu.full((2,), 3.0, device=device), mu.eye(3, device=device),
            mu.tril_indices(3, 3, device=device), mu.tensor([1, 2], device=device),
            mu.randn(3, device=device), mu.randint(0, 5, (3,), device=device),
            mu.randperm(4, device=device), mu.rand_like(mu.zeros(2, device=device)),
            mu.normal(mu.zeros(3, device=device), 1.0),
            mu.bernoulli(mu.full((3,), 0.5, device=device)),
            mu.multinomial(mu.ones(3, device=device), 2),
            mu.zeros(2).to(device), mu.zeros(2).to(device, mu.float64),
            mu.zeros(2, device=device).new_zeros(3), mu.zeros(2, device=device).long()]
    for tensor in made:
        assert tensor.device == device
    np.testing.assert_array_equal(made[2].numpy(), np.arange(5))
    np.testing.assert_array_equal(made[6].numpy(), mu.tril_indices(3, 3).numpy())
    moved = mu.randn((2,)).to(device, mu.float64)
    assert isinstance(moved, mu.Variable) and moved.device == device
