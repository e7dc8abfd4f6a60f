"""Every operation on every device: results and gradients equal the CPU's.

Devices: the CPU, the stand-in device backend ``fake:0`` (``tests/fake_cupy.py``, a CuPy
look-alike whose arrays NumPy refuses, so any hidden NumPy call on device data fails), and
real CUDA devices where CuPy and a GPU are present (marked ``gpu``; skipped elsewhere).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import mushin as mu

# Each case: (name, shapes of the float inputs, function of the input tensors).
CASES: list[tuple[str, list[tuple[int, ...]], Callable[..., Any]]] = [
    ("add-broadcast", [(3, 4), (4,)], lambda a, b: a + b),
    ("sub-scalar", [(3, 4)], lambda a: 2.0 - a),
    ("mul", [(3, 4), (3, 1)], lambda a, b: a * b),
    ("div", [(3, 4), (3, 4)], lambda a, b: a / (b * b + 1.0)),
    ("pow", [(3, 4), (3, 4)], lambda a, b: (a * a + 1.0) ** b),
    ("exp-log-sqrt", [(5,)], lambda a: mu.log(mu.exp(a) + 1.0) + mu.sqrt(a * a + 1.0)),
    ("abs-sin-cos-tanh", [(2, 3)], lambda a: mu.abs(a) + mu.sin(a) * mu.cos(a) + mu.tanh(a)),
    ("maximum-minimum", [(4, 3), (4, 3)], lambda a, b: mu.maximum(a, b) - mu.minimum(a, b)),
    ("where-clip", [(4, 3), (4, 3)], lambda a, b: mu.where(a > b, a, b) + mu.clip(a, -0.5, 0.5)),
    ("mm-batched", [(2, 3, 4), (4, 5)], lambda a, b: mu.mm(a, b)),
    ("matmul-vector", [(3, 4), (4,)], lambda a, b: a @ b),
    ("reductions", [(3, 4, 5)], lambda a: a.sum(axis=1) + a.mean(axis=1) + a.max(axis=1)
     + a.min(axis=1) + a.var(axis=1) + a.logsumexp(axis=1)),
    ("full-reductions", [(3, 4)], lambda a: a.sum() + a.max() + a.var(ddof=1)),
    ("shape-ops", [(2, 3, 4)], lambda a: mu.transpose(a, (2, 0, 1)).reshape(4, 6).T.flatten()),
    ("expand-squeeze-broadcast", [(3, 1)], lambda a: mu.broadcast_to(
        mu.squeeze(mu.expand_dims(a, 0), 0), (2, 3, 4))),
    ("concat-stack", [(2, 3), (2, 3)], lambda a, b: mu.stack(
        [mu.concat([a, b], 1), mu.concat([b, a], 1)], axis=0)),
    ("indexing", [(4, 5)], lambda a: a[1:3, ::-2] + a[np.array([0, 0, 3])][:, :3][:2]),
    ("bool-mask", [(4, 5)], lambda a: a[a > 0]),
    ("astype", [(3,)], lambda a: a.astype("float32").astype("float64") * 2.0),
]


@pytest.mark.parametrize(("name", "shapes", "function"), CASES, ids=[case[0] for case in CASES])
def test_operation_matches_cpu(device: str, name: str, shapes: list[tuple[int, ...]],
                               function: Callable[..., Any]) -> None:
    rng = np.random.default_rng(7)
    values = [rng.standard_normal(shape) for shape in shapes]
    results = {}
    for where in ("cpu", device):
        inputs = [mu.variable(value, dtype="float64", device=where) for value in values]
        output = function(*inputs)
        assert output.device == where
        seed = np.random.default_rng(3).standard_normal(output.shape)
        output.backward(mu.constant(seed, device=where))
        results[where] = (output.numpy(), [tensor.grad().numpy() for tensor in inputs],
                          [tensor.grad().device for tensor in inputs])
    cpu_out, cpu_grads, _ = results["cpu"]
    out, grads, grad_devices = results[device]
    np.testing.assert_allclose(out, cpu_out, rtol=1e-12, atol=1e-12)
    for grad, cpu_grad in zip(grads, cpu_grads, strict=True):
        np.testing.assert_allclose(grad, cpu_grad, rtol=1e-12, atol=1e-12)
    assert grad_devices == [device] * len(grad_devices)


def test_makers_and_members(device: str) -> None:
    mu.seed(5)
    tensors = [mu.fill((2, 3), 1.5, device=device), mu.eye((2, 3, 3), 2.0, device=device),
               mu.randn((4,), device=device), mu.randu((4,), device=device),
               mu.custom([1.0, 2.0, 3.0, 4.0], (2, 2), device=device),
               mu.zeros((2,), device=device), mu.ones((2,), device=device),
               mu.variable([[1, 2]], device=device), mu.constant([1, 2], device=device)]
    for tensor in tensors:
        assert tensor.device == device
        assert isinstance(tensor.numpy(), np.ndarray)
    assert tensors[-1].dtype == np.dtype(np.int64)
    np.testing.assert_array_equal(tensors[1].numpy()[1], 2.0 * np.eye(3))
    assert float(tensors[0].sum().item()) == 9.0
    assert "device=" + device in repr(tensors[0])


def test_create_graph_on_device(device: str) -> None:
    x = mu.variable([0.3, 1.2], dtype="float64", device=device)
    mu.sin(x).backward(create_graph=True)
    first = x.grad()
    x.reset()
    first.backward()
    np.testing.assert_allclose(x.grad().numpy(), -np.sin([0.3, 1.2]), rtol=1e-12)


def test_moving_between_devices_keeps_the_graph(device: str) -> None:
    x = mu.variable([1.0, 2.0, 3.0], dtype="float64")
    y = (x.to(device) * 3.0).to("cpu").sum()
    y.backward()
    np.testing.assert_array_equal(x.grad().numpy(), [3.0, 3.0, 3.0])
    assert x.grad().device == "cpu"


def test_mixing_devices_raises(device: str) -> None:
    on_device = mu.ones((3,), device=device)
    with pytest.raises(RuntimeError, match="different devices"):
        on_device + mu.ones((3,))
    with pytest.raises(RuntimeError, match="different devices"):
        mu.mm(mu.ones((2, 3), device=device), mu.ones((3, 2)))


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_anomaly_detection_on_device(device: str) -> None:
    x = mu.variable([-1.0, 1.0], device=device)
    with mu.detect_anomaly(), pytest.raises(FloatingPointError, match="log"):
        mu.log(x)


def _training_steps(device: str, reduction: str, labels: Any,
                    labels_on_device: bool = False) -> list[Any]:
    """Three steps of Linear -> GELU -> Dropout(0) -> Linear -> cross-entropy with Adam;
    the losses and the final parameters (tensors on ``device``). The labels come from the
    host, or with ``labels_on_device`` are computed there (so no bounds are known)."""
    from mushin.nn.layers import GELU, Dropout, Linear, Sequential
    from mushin.nn.losses import cross_entropy
    from mushin.nn.optimizers import Adam

    mu.seed(3)
    model = Sequential(Linear(6, 8, dtype="float64"), GELU(), Dropout(0.0),
                       Linear(8, 4, dtype="float64")).to(device)
    optimizer = Adam(model.parameters(), lr=0.1, weight_decay=0.01)
    x = mu.constant(np.random.default_rng(4).standard_normal((5, 6)) * 3, device=device)
    y = mu.constant(labels, device=device)
    if labels_on_device:
        y = y * 1
    losses = []
    for _ in range(3):
        loss = cross_entropy(model(x), y, reduction=reduction)
        optimizer.zero_grad()
        loss.sum().backward()
        optimizer.step()
        losses.append(loss)
    return [*losses, *model.parameters()]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize(("labels", "labels_on_device", "reads_per_step"), [
    ([0, 3, 1, 1, 2], False, 0),      # bounds read on the host: no check on the device
    ([0, -100, 1, -100, 2], False, 1),  # bounds include ignore_index: one any() read
    ([0, 3, 1, 1, 2], True, 2),       # no bounds known: min and max read
    ([0, -100, 1, -100, 2], True, 2),  # min read, then one any() read
], ids=["host-labels", "host-ignored-labels", "device-labels", "device-ignored-labels"])
def test_a_training_step_reads_back_only_what_the_label_check_needs(
        reduction: str, labels: list[int], labels_on_device: bool, reads_per_step: int) -> None:
    """Forward, backward and optimizer step stay on the device. The only reads back are those
    that let cross_entropy refuse out-of-range class indices with a clear error, and none
    when the labels came from the host, whose bounds were read there. The results are the
    CPU's."""
    import fake_cupy

    with fake_cupy.registered() as device:
        before = fake_cupy.host_reads
        on_device = _training_steps(device, reduction, np.array(labels), labels_on_device)
        reads = fake_cupy.host_reads - before
    on_cpu = _training_steps("cpu", reduction, np.array(labels))
    assert reads == 3 * reads_per_step, f"{reads} reads back from the device in 3 steps"
    for mine, other in zip(on_device, on_cpu, strict=True):
        assert mine.device == device
        np.testing.assert_allclose(mine.numpy(), other.numpy(), rtol=1e-12, atol=1e-15)


def test_labels_moved_or_batched_to_a_device_carry_their_bounds() -> None:
    """Labels reach a device through mu.constant, .to() and a DataLoader: none of them is read
    back by cross_entropy, and an out-of-range label is still refused."""
    import fake_cupy

    from mushin.data import DataLoader
    from mushin.nn.losses import cross_entropy

    labels = np.array([0, 2, 1, 2, 0, 1])
    logits = np.random.default_rng(2).standard_normal((6, 3))
    with fake_cupy.registered() as device:
        x = mu.variable(logits, device=device)
        before = fake_cupy.host_reads
        for y in (mu.constant(labels, device=device), mu.constant(labels).to(device),
                  *(batch for _, batch in DataLoader((logits, labels), 6, device=device))):
            cross_entropy(x, y)
        assert fake_cupy.host_reads == before
        with pytest.raises(IndexError, match="class index 3 is out of range for 3 classes"):
            cross_entropy(x, mu.constant(labels + 1, device=device))
        with pytest.raises(IndexError, match="class index -1"):
            cross_entropy(x, mu.constant(labels - 1).to(device))
        with pytest.raises(IndexError, match="class index 3"):
            for _, y in DataLoader((logits, labels + 1), 3, device=device):
                cross_entropy(x[:3], y)


def test_embedding_checks_host_indices_without_reading_the_device() -> None:
    import fake_cupy

    from mushin.nn.ops import embedding

    weight_values = np.random.default_rng(3).standard_normal((5, 2))
    tokens = np.array([[0, 4], [2, 2]])
    with fake_cupy.registered() as device:
        weight = mu.variable(weight_values, device=device)
        before = fake_cupy.host_reads
        rows = embedding(mu.constant(tokens, device=device), weight)
        assert fake_cupy.host_reads == before
        np.testing.assert_array_equal(rows.numpy(), weight_values[tokens])
        with pytest.raises(IndexError, match=r"indices must lie in \[0, 5\), got values from "
                                             "1 to 5"):
            embedding(mu.constant(tokens + 1, device=device), weight)
        with pytest.raises(IndexError, match="from -1 to 3"):  # computed on the device: read
            embedding(mu.constant(tokens, device=device) - 1, weight)


def test_every_target_ignored_gives_nan_on_a_device_as_on_the_cpu() -> None:
    import fake_cupy

    from mushin.nn.losses import cross_entropy, nll

    logits = np.random.default_rng(5).standard_normal((3, 4))
    labels = np.full(3, -100)
    with fake_cupy.registered() as device:
        for loss in (cross_entropy, nll):
            x = mu.variable(logits, device=device)
            value = loss(x, mu.constant(labels, device=device))
            assert np.isnan(value.numpy())
            value.backward()
            np.testing.assert_array_equal(x.grad().numpy(), np.zeros((3, 4)))
