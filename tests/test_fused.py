"""The fused CUDA kernels (the primitives' CUDA rules and the optimizers' updates) against
the CPU, over the shapes, dtypes and options each one handles.

Each case runs the public operation on a device and on the CPU and compares values and
gradients. On a GPU (the ``cuda`` cases, marked ``gpu``) that checks the kernels; on the
stand-in backend it checks the portable path the kernels replace, which runs there. The
optimizer kernels are checked over every configuration in tests/nn/test_optimizers.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import mushin as mu
from mushin.nn import activations
from mushin.nn.activations import relu
from mushin.nn.losses import cross_entropy
from mushin.nn.ops import conv2d, maxpool2d


def _tolerance(dtype: str, expected: np.ndarray | None = None) -> dict[str, float]:
    """A few units of rounding: the device sums in another order and fuses multiply-adds. The
    absolute part scales with the largest expected value, since a sum of large terms that
    cancel to a small one keeps their rounding."""
    scale = max(1.0, float(np.abs(expected).max())) if expected is not None and np.size(
        expected) else 1.0
    if dtype == "float32":
        return {"rtol": 2e-5, "atol": 2e-6 * scale}
    return {"rtol": 1e-11, "atol": 1e-13 * scale}


def _compare(device: str, dtype: str, run: Callable[..., Any], values: list[np.ndarray],
             seed: int = 0) -> None:
    """``run`` on Variables made from ``values`` on the CPU and on ``device``, seeded with the
    same random output gradient: the outputs and input gradients must agree."""
    results = {}
    for where in ("cpu", device):
        inputs = [mu.variable(value, dtype=dtype, device=where) for value in values]
        output = run(*inputs)
        grad = np.random.default_rng(seed).standard_normal(output.shape).astype(dtype)
        output.backward(mu.constant(grad, device=where))
        results[where] = (output.numpy(), [tensor.grad().numpy() for tensor in inputs])
    (out, grads), (cpu_out, cpu_grads) = results[device], results["cpu"]
    np.testing.assert_allclose(out, cpu_out, **_tolerance(dtype, cpu_out))
    for found, expected in zip(grads, cpu_grads, strict=True):
        np.testing.assert_allclose(found, expected, **_tolerance(dtype, expected))


# --- cross-entropy ----------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize(("rows", "classes"), [(1, 1), (7, 10), (130, 3), (5, 300)])
@pytest.mark.parametrize("ignored", ["none-ignored", "some-ignored", "all-ignored"])
def test_cross_entropy(device: str, dtype: str, reduction: str, rows: int, classes: int,
                       ignored: str) -> None:
    rng = np.random.default_rng(rows * classes)
    logits = rng.standard_normal((rows, classes)) * 4
    labels = rng.integers(0, classes, rows)
    if ignored == "some-ignored":
        labels[::3] = -100
    elif ignored == "all-ignored":
        labels[:] = -100
    results = {}
    for where in ("cpu", device):
        x = mu.variable(logits, dtype=dtype, device=where)
        loss = cross_entropy(x, mu.constant(labels, device=where), reduction=reduction)
        grad = np.random.default_rng(1).standard_normal(loss.shape).astype(dtype)
        loss.backward(mu.constant(grad, device=where))
        results[where] = (loss.numpy(), x.grad().numpy())
    for found, expected in zip(results[device], results["cpu"], strict=True):
        np.testing.assert_allclose(found, expected, **_tolerance(dtype, expected))


@pytest.mark.parametrize("index_dtype", ["int64", "int32", "uint8"])
def test_cross_entropy_index_dtypes_and_strided_logits(device: str, index_dtype: str) -> None:
    rng = np.random.default_rng(3)
    logits = rng.standard_normal((6, 9))
    labels = rng.integers(0, 6, 9).astype(index_dtype)
    # The logits are a transposed view: the kernel reads a contiguous copy.
    _compare(device, "float64", lambda x: cross_entropy(
        mu.transpose(x, (1, 0)), mu.constant(labels, device=x.device), reduction="sum"),
        [logits])


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_cross_entropy_propagates_nan_and_infinity(device: str) -> None:
    logits = np.array([[0.0, np.nan, 1.0], [np.inf, 0.0, 1.0], [1.0, 2.0, 3.0]])
    labels = np.array([0, 1, 2])
    for reduction in ("none", "mean"):
        found = [cross_entropy(mu.constant(logits, device=where),
                               mu.constant(labels, device=where), reduction=reduction).numpy()
                 for where in ("cpu", device)]
        np.testing.assert_allclose(found[1], found[0], rtol=1e-12)


def test_cross_entropy_never_reads_outside_a_row_when_labels_change_behind_its_back(
        device: str) -> None:
    """Labels changed in place through ``.data`` after their bounds were recorded escape
    the check; the kernel still reads nothing outside a row (NaN), and the portable path's
    indexing refuses them."""
    labels = mu.constant(np.array([0, 1, 2]), device=device)
    labels.data[1] = 7  # untracked, as PyTorch's .data
    x = mu.variable(np.zeros((3, 3)), device=device)
    try:
        loss = cross_entropy(x, labels)
    except IndexError:
        return
    assert np.isnan(loss.numpy())
    loss.backward()
    assert np.isnan(x.grad().numpy()[1]).all() and np.isfinite(x.grad().numpy()[[0, 2]]).all()


def test_cross_entropy_second_derivative_takes_the_graph_path(device: str) -> None:
    logits = np.random.default_rng(4).standard_normal((4, 5))
    labels = np.array([0, 4, 2, 2])
    hessians = []
    for where in ("cpu", device):
        x = mu.variable(logits, device=where)
        cross_entropy(x, mu.constant(labels, device=where)).backward(create_graph=True)
        first = x.grad()
        x.reset()
        (first * first).sum().backward()
        hessians.append(x.grad().numpy())
    np.testing.assert_allclose(hessians[1], hessians[0], rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(4, 33), (2, 3, 300), (2, 5, 1)])
def test_layer_norm(device: str, dtype: str, shape: tuple[int, ...]) -> None:
    from mushin.nn.layers import LayerNorm

    values = np.random.default_rng(11).standard_normal(shape) * 3 + 1
    reference = LayerNorm(shape[-1])
    reference.load_state_dict({"weight": np.linspace(0.5, 1.5, shape[-1]),
                               "bias": np.linspace(-1, 1, shape[-1])})
    results = []
    for where in ("cpu", device):
        layer = LayerNorm(shape[-1], dtype=dtype)
        layer.load_state_dict(reference.state_dict())
        layer.to(where)
        x = mu.variable(values, dtype=dtype, device=where)
        y = layer(x)
        grad = np.random.default_rng(1).standard_normal(shape).astype(dtype)
        y.backward(mu.constant(grad, device=where))
        results.append([y.numpy(), x.grad().numpy(),
                        *(p.grad().numpy() for p in layer.parameters())])
    for found, expected in zip(results[1], results[0], strict=True):
        np.testing.assert_allclose(found, expected, **_tolerance(dtype, expected))


# --- ReLU and max pooling ---------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_relu_gradient(device: str, dtype: str) -> None:
    values = np.random.default_rng(5).standard_normal((3, 4, 5))
    values[0, 0, :3] = 0.0  # the gradient at 0 is 0, as PyTorch's
    _compare(device, dtype, lambda x: relu(x) * 1.5, [values])


ACTIVATIONS: list[tuple[str, Callable[[Any], Any]]] = [
    ("sigmoid", activations.sigmoid), ("tanh", activations.tanh), ("gelu", activations.gelu),
    ("erf", activations.erf), ("silu", activations.silu),
    ("leaky_relu", lambda x: activations.leaky_relu(x, 0.03)),
    ("elu", lambda x: activations.elu(x, 1.3)),
    ("softplus", lambda x: activations.softplus(x, beta=2.0, threshold=15.0)),
    ("softmax-last-axis", lambda x: activations.softmax(x, axis=-1)),
    ("logsoftmax-last-axis", lambda x: activations.logsoftmax(x, axis=-1)),
    ("softmax-first-axis", lambda x: activations.softmax(x, axis=0)),  # the portable path
    ("logsoftmax-first-axis", lambda x: activations.logsoftmax(x, axis=0)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("name", "function"), ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
@pytest.mark.parametrize("shape", [(6, 33), (2, 3, 300)])
def test_activation(device: str, dtype: str, name: str, function: Callable[[Any], Any],
                    shape: tuple[int, ...]) -> None:
    values = np.random.default_rng(10).standard_normal(shape) * 3
    values.reshape(-1)[:6] = [0.0, -0.0, 25.0, -25.0, 1e-8, -40.0]  # both tails and zero
    _compare(device, dtype, function, [values])


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize(("name", "function"), ACTIVATIONS[:8], ids=[a[0] for a in ACTIVATIONS[:8]])
def test_activation_keeps_nan_and_infinity_where_the_cpu_does(
        device: str, name: str, function: Callable[[Any], Any]) -> None:
    values = np.array([np.nan, np.inf, -np.inf, 0.5])
    found = [function(mu.constant(values, device=where)).numpy() for where in ("cpu", device)]
    np.testing.assert_allclose(found[1], found[0], rtol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("shape", "kernel"), [
    ((2, 3, 8, 8), 2), ((2, 3, 7, 9), 2), ((1, 2, 6, 6), 3), ((2, 1, 5, 8), (1, 2)),
    ((2, 2, 8, 5), (2, 1))])
def test_maxpool_tiling(device: str, dtype: str, shape: tuple[int, ...],
                        kernel: int | tuple[int, int]) -> None:
    values = np.random.default_rng(6).standard_normal(shape)
    values[0, 0, :2, :2] = 1.0  # a tie: the first maximum in row-major order takes it
    _compare(device, dtype, lambda x: maxpool2d(x, kernel), [values])


def test_maxpool_after_a_convolution(device: str) -> None:
    """Pooling a convolution's channel-major output, as in a CNN."""
    rng = np.random.default_rng(7)
    _compare(device, "float32", lambda x, w: maxpool2d(relu(conv2d(x, w, padding=1)), 2),
             [rng.standard_normal((4, 3, 10, 10)), rng.standard_normal((5, 3, 3, 3))])


# --- convolution's input gradient -------------------------------------------------------------

CONVOLUTIONS = [
    # (input shape, weight shape, stride, padding, dilation, groups)
    ((2, 3, 9, 9), (4, 3, 3, 3), 1, 0, 1, 1),
    ((2, 3, 9, 9), (4, 3, 3, 3), 1, 1, 1, 1),
    ((2, 3, 10, 7), (4, 3, 3, 2), 2, 1, 1, 1),
    ((1, 2, 11, 11), (3, 2, 3, 3), (2, 3), (0, 2), 1, 1),
    ((2, 2, 12, 12), (2, 2, 3, 3), 1, 2, 2, 1),
    ((2, 4, 8, 8), (6, 2, 3, 3), 1, 1, 1, 2),
    ((3, 1, 6, 6), (2, 1, 1, 1), 1, 0, 1, 1),
    ((1, 3, 5, 5), (2, 3, 5, 5), 1, 0, 1, 1),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("x_shape", "w_shape", "stride", "padding", "dilation", "groups"),
                         CONVOLUTIONS)
def test_conv2d_gradients(device: str, dtype: str, x_shape: tuple[int, ...],
                          w_shape: tuple[int, ...], stride: Any, padding: Any, dilation: Any,
                          groups: int) -> None:
    rng = np.random.default_rng(8)
    _compare(device, dtype, lambda x, w, b: conv2d(
        x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups),
        [rng.standard_normal(x_shape), rng.standard_normal(w_shape),
         rng.standard_normal(w_shape[0])])


# --- a whole step -----------------------------------------------------------------------------

@pytest.mark.parametrize("optimizer", ["SGD", "Adam", "RMSprop", "Adagrad"])
def test_a_float32_cnn_step_matches_the_cpu(device: str, optimizer: str) -> None:
    """Conv -> ReLU -> max pool -> Linear -> cross-entropy and an update, in float32: every
    fused kernel of a CNN step at once."""
    from mushin.nn import optimizers
    from mushin.nn.layers import Conv2D, Flatten, Linear, MaxPool2D, ReLU, Sequential

    rng = np.random.default_rng(9)
    images = rng.standard_normal((8, 1, 12, 12)).astype(np.float32)
    labels = rng.integers(0, 10, 8)
    mu.seed(0)
    reference = Sequential(Conv2D(1, 4, 3, padding=1), ReLU(), MaxPool2D(2), Flatten(),
                           Linear(4 * 6 * 6, 10))
    options = {"SGD": {"lr": 0.1, "momentum": 0.9}}.get(optimizer, {"lr": 0.01})
    parameters = []
    for where in ("cpu", device):
        model = Sequential(Conv2D(1, 4, 3, padding=1), ReLU(), MaxPool2D(2), Flatten(),
                           Linear(4 * 6 * 6, 10))
        model.load_state_dict(reference.state_dict())
        model.to(where)
        step = getattr(optimizers, optimizer)(model.parameters(), **options)
        for _ in range(3):
            loss = cross_entropy(model(mu.constant(images, device=where)),
                                 mu.constant(labels, device=where))
            step.zero_grad()
            loss.backward()
            step.step()
        parameters.append([p.numpy() for p in model.parameters()])
    for found, expected in zip(*parameters, strict=True):
        np.testing.assert_allclose(found, expected, rtol=1e-4, atol=1e-5)
