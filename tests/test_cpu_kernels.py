"""The fused CPU kernels (mushin.kernels.cpu) against the portable NumPy rules they replace and
against independent references: SciPy's float64 erf, PyTorch's GELU. Also the mechanism: a
kernel runs only where Numba is installed and ``portable()`` is not active, a rule's
``NotImplemented`` falls back to the portable rule, and two threads may run kernels at once.

The families' kernels have their own files (``test_cpu_kernels_*.py``)."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import scipy.special

import mushin as mu
import mushin.nn.functional as F
from mushin.kernels import cpu

pytest.importorskip("numba")
torch = pytest.importorskip("torch")


def gelu_and_grad(x: np.ndarray, transpose: bool = False) -> tuple[np.ndarray, np.ndarray]:
    v = mu.tensor(x, requires_grad=True)
    y = F.gelu(v.transpose(0, 1) if transpose else v)
    (y * y).sum().backward()
    return y.numpy(), v.grad().numpy()


def test_kernels_are_on_and_portable_turns_them_off_in_this_thread_only():
    assert cpu.enabled(np)
    seen = []
    with cpu.portable():
        assert not cpu.enabled(np)
        thread = threading.Thread(target=lambda: seen.append(cpu.enabled(np)))
        thread.start()
        thread.join()
    assert seen == [True]
    assert cpu.enabled(np)


def test_erf_float32_is_within_two_ulp_of_the_true_value_everywhere():
    x = np.concatenate([np.linspace(-6, 6, 1_000_001, dtype=np.float32),
                        np.array([0.0, -0.0, 1e-30, -1e-30, 1e-6, 3.9199, 3.92, 3.9201, 40],
                                 dtype=np.float32)])
    got = mu.erf(mu.constant(x)).numpy()
    assert got.dtype == np.float32
    exact = scipy.special.erf(x.astype(np.float64))
    ulp = np.spacing(np.abs(exact).astype(np.float32))
    assert np.max(np.abs(got - exact) / ulp) <= 2.0
    with cpu.portable():
        portable = mu.erf(mu.constant(x)).numpy()
    np.testing.assert_allclose(got, portable, rtol=3e-7, atol=1e-37)


def test_erf_keeps_nan_inf_and_signed_zero():
    x = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0], dtype=np.float32)
    got = mu.erf(mu.constant(x)).numpy()
    np.testing.assert_array_equal(got, [np.nan, 1.0, -1.0, -0.0, 0.0])
    assert np.signbit(got[3]) and not np.signbit(got[4])


@pytest.mark.parametrize("shape", [(16, 64, 512), (7,), (3, 5, 1), ()])
def test_gelu_forward_and_gradient_match_the_portable_rule_and_pytorch(shape):
    x = np.asarray(np.random.default_rng(0).standard_normal(shape) * 3, dtype=np.float32)
    fused = gelu_and_grad(x)
    with cpu.portable():
        portable = gelu_and_grad(x)
    xt = torch.from_numpy(x.copy()).requires_grad_()
    yt = torch.nn.functional.gelu(xt)
    (yt * yt).sum().backward()
    for got, reference, oracle in zip(fused, portable, (yt.detach().numpy(), xt.grad.numpy()),
                                      strict=True):
        assert got.dtype == np.float32 and got.shape == shape
        np.testing.assert_allclose(got, reference, rtol=2e-6, atol=2e-6)
        np.testing.assert_allclose(got, oracle, rtol=2e-6, atol=2e-6)


def test_gelu_on_a_non_contiguous_or_float64_input_runs_the_portable_rule():
    x = np.random.default_rng(1).standard_normal((6, 8))
    for array, transpose in ((x, False), (x.astype(np.float32), True)):
        fused = gelu_and_grad(array, transpose)
        with cpu.portable():
            portable = gelu_and_grad(array, transpose)
        for got, reference in zip(fused, portable, strict=True):
            np.testing.assert_array_equal(got, reference)


def test_gelu_keeps_nan_and_inf_as_the_portable_rule():
    # gelu(-inf) = -inf * 0 is NaN, as in PyTorch; gelu(inf) = inf * 1 (PyTorch's CPU kernel
    # gives NaN there).
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -5.0, 5.0], dtype=np.float32)
    got = F.gelu(mu.constant(x)).numpy()
    with cpu.portable():
        portable = F.gelu(mu.constant(x)).numpy()
    np.testing.assert_array_equal(got[:4], [np.nan, np.inf, np.nan, 0.0])
    np.testing.assert_array_equal(portable[:4], got[:4])
    np.testing.assert_allclose(got[4:], [-5 * scipy.special.ndtr(-5.0), 5 * scipy.special.ndtr(5)],
                               rtol=0, atol=3e-7)


def test_second_derivatives_of_gelu_compose_the_portable_rules():
    x = np.random.default_rng(2).standard_normal(5).astype(np.float32)
    v = mu.tensor(x, requires_grad=True)
    F.gelu(v).sum().backward(create_graph=True)
    g = v.grad()
    v.reset()
    g.sum().backward()
    xt = torch.from_numpy(x.copy()).requires_grad_()
    (gt,) = torch.autograd.grad(torch.nn.functional.gelu(xt).sum(), [xt], create_graph=True)
    gt.sum().backward()
    np.testing.assert_allclose(v.grad().numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_threads_may_run_kernels_at_once():
    x = (np.random.default_rng(3).standard_normal((64, 1024))).astype(np.float32)
    expected = gelu_and_grad(x)
    results: list[tuple[np.ndarray, np.ndarray]] = []

    def work() -> None:
        for _ in range(5):
            results.append(gelu_and_grad(x))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 20
    for forward, grad in results:
        np.testing.assert_array_equal(forward, expected[0])
        np.testing.assert_array_equal(grad, expected[1])


def test_linear_folds_leading_axes_into_one_product():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((4, 5, 6)).astype(np.float32)
    w = rng.standard_normal((3, 6)).astype(np.float32)
    b = rng.standard_normal(3).astype(np.float32)
    xs, ws, bs = (mu.tensor(a, requires_grad=True) for a in (x, w, b))
    y = F.linear(xs, ws, bs)
    (y * y).sum().backward()
    xt, wt, bt = (torch.from_numpy(a.copy()).requires_grad_() for a in (x, w, b))
    yt = torch.nn.functional.linear(xt, wt, bt)
    (yt * yt).sum().backward()
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    for ours, theirs in ((xs, xt), (ws, wt), (bs, bt)):
        np.testing.assert_allclose(ours.grad().numpy(), theirs.grad.numpy(), rtol=1e-4,
                                   atol=1e-4)
