"""The fused CPU updates of SGD, Adam and AdamW (one Numba kernel per parameter,
``mushin.kernels.cpu``) against their portable NumPy steps (the same run inside
``mushin.kernels.cpu.portable()``) and against ``torch.optim``: several steps on parameters of
several shapes (0-d, odd, one large enough for the portable steps to go by slices), every
option that changes the update, float32 and float64; NaN and inf in the gradients; and where
the kernel runs and where the portable steps do."""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
import pytest

import mushin as mu
from mushin.kernels import cpu
from mushin.nn.optim import adam, sgd
from mushin.nn.optim.optimizer import gradient_array
from mushin.nn.optimizers import SGD, Adam, AdamW, Optimizer

torch = pytest.importorskip("torch")
pytest.importorskip("numba")

SHAPES = [(), (7,), (13, 5), (600, 500)]
STEPS = 4
TOLERANCE = {"float32": (2e-6, 1e-6), "float64": (1e-13, 1e-14)}
"""(rtol, atol) of fused against portable and PyTorch: rounding only (fused multiply-adds, and
PyTorch's own order of operations), carried through the steps; the absolute part a few units
in the last place of the parameters (of order 1), which may cancel to near zero."""

CASES: list[tuple[str, dict[str, Any]]] = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "weight_decay": 0.1, "maximize": True}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.05}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.9), "eps": 1e-6, "maximize": True}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.2, "amsgrad": True, "maximize": True}),
]
MUSHIN: dict[str, type[Optimizer]] = {"SGD": SGD, "Adam": Adam, "AdamW": AdamW}


def _start(dtype: str) -> tuple[list[np.ndarray], list[list[np.ndarray]]]:
    """Initial parameters and each step's gradients (some entries exactly zero)."""
    rng = np.random.default_rng(3)
    params = [rng.normal(size=shape).astype(dtype) for shape in SHAPES]
    grads = [[(rng.normal(size=shape) * (rng.random(shape) > 0.1)).astype(dtype)
              for shape in SHAPES] for _ in range(STEPS)]
    return params, grads


def _mushin_steps(name: str, options: dict[str, Any], params: list[np.ndarray],
                  grads: list[list[np.ndarray]]) -> list[np.ndarray]:
    variables = [mu.variable(param.copy()) for param in params]
    optimizer = MUSHIN[name](variables, **options)
    for step_grads in grads:
        optimizer.zero_grad()
        sum((variable * mu.constant(grad)).sum()
            for variable, grad in zip(variables, step_grads, strict=True)).backward()
        optimizer.step()
    return [variable.numpy() for variable in variables]


def _torch_steps(name: str, options: dict[str, Any], params: list[np.ndarray],
                 grads: list[list[np.ndarray]]) -> list[np.ndarray]:
    tensors = [torch.tensor(param, requires_grad=True) for param in params]
    optimizer = getattr(torch.optim, name)(tensors, **options)
    for step_grads in grads:
        for tensor, grad in zip(tensors, step_grads, strict=True):
            tensor.grad = torch.tensor(grad)
        optimizer.step()
    return [tensor.detach().numpy() for tensor in tensors]


def _assert_close(actual: list[np.ndarray], expected: list[np.ndarray], dtype: str) -> None:
    for got, want in zip(actual, expected, strict=True):
        assert got.dtype == want.dtype == np.dtype(dtype)
        rtol, atol = TOLERANCE[dtype]
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("name", "options"), CASES)
def test_fused_update_matches_portable_and_pytorch(name: str, options: dict[str, Any],
                                                   dtype: str) -> None:
    params, grads = _start(dtype)
    fused = _mushin_steps(name, options, params, grads)
    with cpu.portable():
        portable = _mushin_steps(name, options, params, grads)
    _assert_close(fused, portable, dtype)
    _assert_close(fused, _torch_steps(name, options, params, grads), dtype)
    assert not np.allclose(fused[1], params[1])


@pytest.mark.parametrize(("name", "options"), [
    ("SGD", {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    ("AdamW", {"lr": 0.01})])
def test_nan_and_inf_propagate_as_in_the_portable_steps(name: str,
                                                        options: dict[str, Any]) -> None:
    params, grads = _start("float32")
    for step_grads in grads[1:]:
        step_grads[2][0, :4] = [np.nan, np.inf, -np.inf, 0.0]
    fused = _mushin_steps(name, options, params, grads)
    with cpu.portable():
        portable = _mushin_steps(name, options, params, grads)
    assert np.isnan(fused[2][0, 0])  # a NaN gradient, and AMSGrad's maximum, keep it NaN
    for got, want in zip(fused, portable, strict=True):
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    _assert_close(fused, portable, "float32")


@pytest.fixture
def kernel_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the fused kernels called, in order."""
    calls: list[str] = []
    for module, name in ((sgd, "_sgd_kernel"), (adam, "_adam_kernel")):
        kernel = getattr(module, name)

        def counted(*args: Any, kernel: Any = kernel, name: str = name) -> Any:
            calls.append(name)
            return kernel(*args)

        monkeypatch.setattr(module, name, counted)
    return calls


@pytest.mark.parametrize("optimizer", [SGD, Adam])
@pytest.mark.parametrize("case", ["C-ordered gradient", "transposed gradient", "portable",
                                  "float16"])
def test_the_kernel_runs_where_it_applies(optimizer: type[SGD | Adam], case: str,
                                          kernel_calls: list[str]) -> None:
    # A transposed gradient is copied into scratch and fused; float16 and portable() are not.
    dtype = "float16" if case == "float16" else "float32"
    start = np.arange(12.0, dtype=dtype).reshape(3, 4)
    weights = np.linspace(-1.0, 1.0, 12, dtype=dtype).reshape(4, 3).T
    param = mu.variable(start.copy())
    step = optimizer([param], lr=0.1)
    with cpu.portable() if case == "portable" else contextlib.nullcontext():
        if case == "transposed gradient":  # the gradient of param.T, transposed: a view
            (param.T * mu.constant(weights.T)).sum().backward()
        else:
            (param * mu.constant(weights)).sum().backward()
        contiguous = gradient_array(param).flags.c_contiguous  # type: ignore[union-attr]
        assert contiguous == (case != "transposed gradient")
        step.step()
    assert len(kernel_calls) == (1 if case.endswith("gradient") else 0)
    expected = _torch_steps(optimizer.__name__, {"lr": 0.1}, [start], [[weights]])
    np.testing.assert_allclose(param.numpy(), expected[0],
                               rtol=1e-3 if dtype == "float16" else 1e-6)
