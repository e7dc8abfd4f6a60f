"""Linear algebra against PyTorch: what op_db's samples leave out (batched inputs, second
derivatives, method forms, float32 results, every error message)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import mushin as mu

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)


def _random(*shape: int) -> np.ndarray[Any, Any]:
    return RNG.standard_normal(shape)


def _spd(*shape: int) -> np.ndarray[Any, Any]:
    a = _random(*shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, tuple | list):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


def _compare(mu_fn: Callable[..., Any], torch_fn: Callable[..., Any], *arrays: Any,
             second_order: bool = False, floating: tuple[int, ...] | None = None) -> None:
    """Values, gradients (and with ``second_order`` the gradients of a gradient) of
    ``mu_fn`` against ``torch_fn`` on float64 copies of ``arrays``."""
    tracked = range(len(arrays)) if floating is None else floating
    t_inputs = [torch.tensor(a, requires_grad=index in tracked) for index, a in enumerate(arrays)]
    m_inputs = [mu.Variable(a) if index in tracked else mu.Constant(a)
                for index, a in enumerate(arrays)]
    expected = _leaves(torch_fn(*t_inputs))
    got = _leaves(mu_fn(*m_inputs))
    assert len(expected) == len(got)
    cotangents = [RNG.standard_normal(tuple(e.shape)) for e in expected]
    t_total = sum((e * torch.tensor(c)).sum() for e, c in zip(expected, cotangents, strict=True)
                  if e.requires_grad)
    m_total: Any = 0.0
    for want, have, cotangent in zip(expected, got, cotangents, strict=True):
        np.testing.assert_allclose(have.numpy(), want.detach().numpy(), rtol=1e-7, atol=1e-8)
        if want.requires_grad:
            m_total = m_total + (have * mu.Constant(cotangent)).sum()
    leaves = [t_inputs[index] for index in tracked]
    t_grads = torch.autograd.grad(t_total, leaves, create_graph=second_order)
    m_total.backward(create_graph=second_order)
    m_grads = [m_inputs[index].grad() for index in tracked]
    for want, have in zip(t_grads, m_grads, strict=True):
        np.testing.assert_allclose(have.numpy(), want.detach().numpy(), rtol=1e-6, atol=1e-8)
    if second_order:
        weights = [RNG.standard_normal(tuple(g.shape)) for g in t_grads]
        t_second = torch.autograd.grad(
            sum((g * torch.tensor(w)).sum() for g, w in zip(t_grads, weights, strict=True)),
            leaves)
        for variable in (m_inputs[index] for index in tracked):
            variable.reset()
        m_weighted: Any = sum((g * mu.Constant(w)).sum() for g, w in
                              zip(m_grads, weights, strict=True))
        for variable in (m_inputs[index] for index in tracked):
            variable.reset()
        m_weighted.backward()
        for want, index in zip(t_second, tracked, strict=True):
            np.testing.assert_allclose(m_inputs[index].grad().numpy(), want.numpy(), rtol=1e-5,
                                       atol=1e-7)


# --- batched inputs and gradients ---------------------------------------------------------------

@pytest.mark.parametrize(("name", "make"), [
    ("det", lambda: (_random(2, 3, 4, 4),)),
    ("slogdet", lambda: (_random(2, 4, 4),)),
    ("inv", lambda: (_random(3, 4, 4),)),
    ("solve", lambda: (_random(2, 4, 4), _random(2, 4, 3))),
    ("cholesky", lambda: (_spd(2, 4, 4),)),
    ("qr", lambda: (_random(2, 5, 3),)),
    ("eigvalsh", lambda: (_spd(2, 4, 4),)),
    ("svdvals", lambda: (_random(2, 4, 3),)),
    ("pinv", lambda: (_random(2, 3, 5),)),
    ("matrix_exp", lambda: (_random(2, 3, 3) * 0.5,)),
    ("lu_factor", lambda: (_random(2, 4, 4),)),
])
def test_batched_decompositions_match_torch(name: str, make: Callable[[], tuple[Any, ...]]
                                            ) -> None:
    arrays = make()
    if name == "lu_factor":
        _compare(lambda a: mu.linalg.lu_factor(a).LU, lambda a: torch.linalg.lu_factor(a).LU,
                 *arrays)
        return
    _compare(getattr(mu.linalg, name), getattr(torch.linalg, name), *arrays)


def test_solve_broadcasts_batches_and_vectors() -> None:
    _compare(mu.linalg.solve, torch.linalg.solve, _random(2, 1, 3, 3), _random(4, 3, 2))
    _compare(mu.linalg.solve, torch.linalg.solve, _random(2, 3, 3), _random(2, 3))
    _compare(lambda a, b: mu.linalg.solve(a, b, left=False),
             lambda a, b: torch.linalg.solve(a, b, left=False), _random(3, 3), _random(2, 3))


@pytest.mark.parametrize(("name", "make"), [
    ("det", lambda: (_random(3, 3),)),
    ("inv", lambda: (_random(3, 3),)),
    ("solve", lambda: (_random(3, 3), _random(3, 2))),
    ("cholesky", lambda: (_spd(3, 3),)),
    ("matrix_exp", lambda: (_random(3, 3) * 0.5,)),
    ("vector_norm", lambda: (_random(4, 3),)),
    ("eigvalsh", lambda: (_spd(3, 3),)),
])
def test_second_derivatives_match_torch(name: str, make: Callable[[], tuple[Any, ...]]) -> None:
    _compare(getattr(mu.linalg, name), getattr(torch.linalg, name), *make(), second_order=True)


def test_einsum_gradients_and_second_order() -> None:
    _compare(lambda a, b: mu.einsum("bij,bjk->bik", a, b),
             lambda a, b: torch.einsum("bij,bjk->bik", a, b), _random(2, 3, 4), _random(2, 4, 5),
             second_order=True)
    # a diagonal, a summed axis and an ellipsis
    _compare(lambda a, b: mu.einsum("ii,...j->...", a, b),
             lambda a, b: torch.einsum("ii,...j->...", a, b), _random(3, 3), _random(2, 4))
    _compare(lambda a: mu.einsum("...ij->...ji", [a]), lambda a: torch.einsum("...ij->...ji", a),
             _random(2, 3, 4))


def test_products_with_scalars_match_torch() -> None:
    _compare(lambda c, a, b: mu.addmm(c, a, b, beta=0.5, alpha=2.0),
             lambda c, a, b: torch.addmm(c, a, b, beta=0.5, alpha=2.0),
             _random(3), _random(3, 4), _random(4, 3))
    _compare(lambda a, b: mu.tensordot(a, b, ([0, 2], [1, 0])),
             lambda a, b: torch.tensordot(a, b, ([0, 2], [1, 0])), _random(2, 3, 4),
             _random(4, 2, 5))
    _compare(lambda a, b: mu.cdist(a, b, p=1.5), lambda a, b: torch.cdist(a, b, p=1.5),
             _random(2, 3, 4), _random(2, 5, 4))
    _compare(lambda *m: mu.linalg.multi_dot(m), lambda *m: torch.linalg.multi_dot(m),
             _random(4), _random(4, 6), _random(6, 2), _random(2))


def test_cdist_gradient_is_zero_where_rows_coincide() -> None:
    x = mu.Variable([[1.0, 2.0], [3.0, 4.0]])
    mu.cdist(x, x).sum().backward()
    assert np.all(np.isfinite(x.grad().numpy()))


def test_singular_det_gradient_is_the_cofactor() -> None:
    # PyTorch answers 0 at an exactly singular matrix; the derivative is the cofactor matrix.
    a = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
    x = mu.Variable(a)
    mu.linalg.det(x).backward()
    np.testing.assert_allclose(x.grad().numpy(), [[4, 4, -4], [-2, -2, 2], [0, 0, 0]],
                               atol=1e-12)


def test_matrix_norms_match_torch() -> None:
    a = _random(2, 3, 4)
    for ord in ("fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf):
        _compare(lambda x, o=ord: mu.linalg.matrix_norm(x, o),
                 lambda x, o=ord: torch.linalg.matrix_norm(x, o), a)
    _compare(lambda x: mu.linalg.norm(x, 3, dim=1, keepdim=True),
             lambda x: torch.linalg.norm(x, 3, dim=1, keepdim=True), a)


# --- methods, spellings, dtypes -------------------------------------------------------------------

def test_methods_mirror_the_functions() -> None:
    a = mu.Variable(_spd(3, 3))
    v = mu.Variable(_random(3))
    np.testing.assert_allclose(a.det().numpy(), np.linalg.det(a.numpy()))
    np.testing.assert_allclose(a.inverse().numpy(), np.linalg.inv(a.numpy()))
    np.testing.assert_allclose(a.cholesky().numpy(), np.linalg.cholesky(a.numpy()))
    np.testing.assert_allclose(a.matrix_power(3).numpy(),
                               np.linalg.matrix_power(a.numpy(), 3), rtol=1e-10)
    np.testing.assert_allclose(a.mv(v).numpy(), a.numpy() @ v.numpy())
    np.testing.assert_allclose(v.dot(v).numpy(), v.numpy() @ v.numpy())
    np.testing.assert_allclose(v.outer(v).numpy(), np.outer(v.numpy(), v.numpy()))
    np.testing.assert_allclose(v.cross(v, dim=0).numpy(), np.zeros(3), atol=1e-12)
    np.testing.assert_allclose(a.kron(a).numpy(), np.kron(a.numpy(), a.numpy()))
    q, r = a.qr()
    np.testing.assert_allclose((q @ r).numpy(), a.numpy(), atol=1e-10)
    sign, logabsdet = a.slogdet()
    assert sign.item() == 1.0
    np.testing.assert_allclose(logabsdet.numpy(), a.logdet().numpy())
    u, s, v_matrix = a.svd()
    np.testing.assert_allclose((u * s) @ v_matrix.T, a.numpy(), atol=1e-10)


def test_named_results() -> None:
    a = mu.Constant(_spd(3, 3))
    assert mu.linalg.eigh(a).eigenvalues.shape == (3,)
    assert mu.linalg.svd(a).Vh.shape == (3, 3)
    assert mu.linalg.slogdet(a).logabsdet.shape == ()
    assert mu.linalg.lu(a).P.shape == (3, 3)
    assert mu.linalg.cholesky_ex(a).info.item() == 0
    assert mu.linalg.cholesky_ex(mu.Constant(-np.eye(2))).info.item() == 1
    assert mu.linalg.matrix_rank(mu.Constant(np.ones((3, 3)))).item() == 1


def test_lu_solve_reproduces_solve() -> None:
    a, b = _random(2, 3, 3), _random(2, 3, 2)
    factor, pivots = mu.linalg.lu_factor(mu.Constant(a))
    for left, adjoint in ((True, False), (True, True)):
        got = mu.linalg.lu_solve(factor, pivots, mu.Constant(b), left=left, adjoint=adjoint)
        matrix = np.swapaxes(a, -1, -2) if adjoint else a
        np.testing.assert_allclose(got.numpy(), np.linalg.solve(matrix, b), rtol=1e-10)


def test_axis_spellings_of_vector_norm() -> None:
    x = mu.Constant(_random(2, 3))
    np.testing.assert_allclose(mu.linalg.vector_norm(x, dim=1).numpy(),
                               mu.linalg.vector_norm(x, axis=1).numpy())
    assert mu.linalg.vector_norm(x, axis=1, keepdims=True).shape == (2, 1)
    assert mu.linalg.vector_norm(x, dim=()).shape == ()


@pytest.mark.parametrize("function", [
    lambda a: mu.linalg.det(a), lambda a: mu.linalg.inv(a), lambda a: mu.linalg.cholesky(a),
    lambda a: mu.linalg.eigh(a)[1], lambda a: mu.linalg.svd(a)[0], lambda a: mu.linalg.qr(a)[0],
    lambda a: mu.linalg.matrix_exp(a), lambda a: mu.linalg.solve(a, a),
    lambda a: mu.linalg.vector_norm(a), lambda a: mu.linalg.pinv(a),
    lambda a: mu.einsum("ij,jk", a, a), lambda a: mu.linalg.lu(a)[2],
])
def test_float32_stays_float32(function: Callable[[Any], Any]) -> None:
    a = mu.Variable(_spd(3, 3).astype(np.float32), dtype=mu.float32)
    assert function(a).dtype == np.float32


# --- errors -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("call", "kind", "start"), [
    (lambda: mu.linalg.det(mu.Constant(np.ones((2, 3)))), mu.ShapeError, "linalg.det:"),
    (lambda: mu.linalg.det(mu.Constant(np.ones(3))), mu.ShapeError, "linalg.det:"),
    (lambda: mu.linalg.det(mu.Constant(np.ones((2, 2), dtype=np.int64))), TypeError,
     "linalg.det:"),
    (lambda: mu.linalg.inv(mu.Constant(np.zeros((2, 2)))), ValueError, "linalg.inv:"),
    (lambda: mu.linalg.cholesky(mu.Constant(-np.eye(2))), ValueError, "linalg.cholesky:"),
    (lambda: mu.linalg.solve(mu.Constant(np.eye(2)), mu.Constant(np.ones((3, 1)))),
     mu.ShapeError, "linalg.solve:"),
    (lambda: mu.linalg.qr(mu.Constant(np.eye(2)), mode="full"), ValueError, "linalg.qr:"),
    (lambda: mu.linalg.eigh(mu.Constant(np.eye(2)), UPLO="X"), ValueError, "linalg.eigh:"),
    (lambda: mu.linalg.matrix_norm(mu.Constant(np.eye(2)), ord=3), ValueError,
     "linalg.matrix_norm:"),
    (lambda: mu.linalg.vector_norm(mu.Constant(np.eye(2)), ord="fro"), TypeError,
     "linalg.vector_norm:"),
    (lambda: mu.linalg.solve_triangular(mu.Constant(np.eye(2)), mu.Constant(np.eye(2)),
                                        upper=None), TypeError, "linalg.solve_triangular:"),
    (lambda: mu.linalg.matrix_power(mu.Constant(np.eye(2)), 1.5), TypeError,
     "linalg.matrix_power:"),
    (lambda: mu.linalg.multi_dot([mu.Constant(np.eye(2))]), ValueError, "linalg.multi_dot:"),
    (lambda: mu.linalg.cross(mu.Constant(np.ones(2)), mu.Constant(np.ones(2))), mu.ShapeError,
     "linalg.cross:"),
    (lambda: mu.linalg.tensorinv(mu.Constant(np.ones((2, 3))), ind=1), mu.ShapeError,
     "linalg.tensorinv:"),
    (lambda: mu.dot(mu.Constant(np.ones(2)), mu.Constant(np.ones(3))), mu.ShapeError, "dot:"),
    (lambda: mu.mv(mu.Constant(np.ones(2)), mu.Constant(np.ones(2))), mu.ShapeError, "mv:"),
    (lambda: mu.bmm(mu.Constant(np.ones((2, 2))), mu.Constant(np.ones((2, 2)))), mu.ShapeError,
     "bmm:"),
    (lambda: mu.outer(mu.Constant(np.ones((2, 2))), mu.Constant(np.ones(2))), mu.ShapeError,
     "outer:"),
    (lambda: mu.tensordot(mu.Constant(np.ones((2, 3))), mu.Constant(np.ones((2, 3))), 5),
     ValueError, "tensordot:"),
    (lambda: mu.einsum("ij,jk", mu.Constant(np.ones((2, 3)))), ValueError, "einsum:"),
    (lambda: mu.einsum("ij->k", mu.Constant(np.ones((2, 3)))), ValueError, "einsum:"),
    (lambda: mu.einsum("ij", mu.Constant(np.ones(2))), ValueError, "einsum:"),
    (lambda: mu.einsum("ij,ij", mu.Constant(np.ones((2, 3))), mu.Constant(np.ones((3, 3)))),
     mu.ShapeError, "einsum:"),
    (lambda: mu.cdist(mu.Constant(np.ones((2, 3))), mu.Constant(np.ones((2, 4)))),
     mu.ShapeError, "cdist:"),
    (lambda: mu.addmm(mu.Constant(np.ones((5, 5))), mu.Constant(np.ones((2, 3))),
                      mu.Constant(np.ones((3, 2)))), mu.ShapeError, "addmm:"),
    (lambda: mu.linalg.pinv(mu.Constant(np.eye(2)), atol="x"), TypeError, "linalg.pinv:"),
    (lambda: mu.linalg.lstsq(mu.Constant(np.eye(2)), mu.Constant(np.ones((3, 1)))),
     mu.ShapeError, "linalg.lstsq:"),
])
def test_errors_name_the_operation(call: Callable[[], Any], kind: type[Exception],
                                   start: str) -> None:
    with pytest.raises(kind) as caught:
        call()
    assert str(caught.value).startswith(start)


def test_qr_complete_tall_has_no_gradient() -> None:
    a = mu.Variable(_random(4, 2))
    q, _ = mu.linalg.qr(a, mode="complete")
    with pytest.raises(RuntimeError, match=r"^linalg\.qr:"):
        q.sum().backward()


def test_svd_and_eigh_gradients_through_sign_free_functions() -> None:
    # Singular and eigen vectors are unique up to sign (and LAPACK libraries choose
    # differently); these functions of them are not, so they compare with PyTorch's.
    def svd_parts(svd: Any, matmul: Any, a: Any) -> tuple[Any, Any, Any]:
        u, s, vh = svd(a)
        weights = np.arange(1.0, 1.0 + s.shape[-1])
        weights = torch.tensor(weights) if matmul is torch.matmul else mu.Constant(weights)
        return matmul(u * weights, u.mT), s, matmul(vh.mT * weights, vh)

    _compare(lambda a: svd_parts(lambda x: mu.linalg.svd(x, full_matrices=False), mu.matmul, a),
             lambda a: svd_parts(lambda x: torch.linalg.svd(x, full_matrices=False),
                                 torch.matmul, a), _random(2, 4, 3))

    def eigh_parts(eigh: Any, matmul: Any, a: Any) -> tuple[Any, Any]:
        values, vectors = eigh(a)
        weights = np.arange(1.0, 1.0 + values.shape[-1])
        weights = torch.tensor(weights) if matmul is torch.matmul else mu.Constant(weights)
        return values, matmul(vectors * weights, vectors.mT)

    _compare(lambda a: eigh_parts(mu.linalg.eigh, mu.matmul, a),
             lambda a: eigh_parts(torch.linalg.eigh, torch.matmul, a), _random(2, 4, 4))
