"""PyTorch as the oracle for every layer, activation, loss and functional op, in float64.

Each case builds the same computation in mushin and in PyTorch (weights copied from the
PyTorch module through ``load_state_dict``), then compares the forward values, the input
gradients, the parameter gradients and the buffers after the step. Skipped without torch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import mushin as mu
from mushin.nn import activations, losses, ops
from mushin.nn.layers import (
    ELU,
    GELU,
    AvgPool2D,
    BatchNorm1D,
    BatchNorm2D,
    Conv2D,
    Dropout,
    Embedding,
    Flatten,
    LayerNorm,
    LeakyReLU,
    Linear,
    LogSoftmax,
    MaxPool2D,
    ReLU,
    Sequential,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from mushin.nn.module import Module

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional

RTOL, ATOL = 1e-10, 1e-12


def _close(ours: Any, theirs: Any, what: str) -> None:
    np.testing.assert_allclose(np.asarray(ours), theirs.detach().numpy(), rtol=RTOL, atol=ATOL,
                               err_msg=what)


def _copy_weights(ours: Module, theirs: Any) -> None:
    ours.load_state_dict({name: value.detach().numpy()
                          for name, value in theirs.state_dict().items()})


def _compare_module(ours: Module, theirs: Any, x: np.ndarray, steps: int = 1) -> None:
    """Forward, input and parameter gradients and buffers agree after ``steps`` passes."""
    _copy_weights(ours, theirs)
    rng = np.random.default_rng(1)
    for _ in range(steps):
        ours_x = mu.variable(x, dtype="float64")
        theirs_x = torch.tensor(x, requires_grad=True)
        ours_y = ours(ours_x)
        theirs_y = theirs(theirs_x)
        _close(ours_y.numpy(), theirs_y, "forward")
        seed = rng.standard_normal(ours_y.shape)
        ours_y.backward(seed)
        theirs_y.backward(torch.tensor(seed))
        _close(ours_x.grad().numpy(), theirs_x.grad, "input gradient")
        theirs_parameters = dict(theirs.named_parameters())
        for name, parameter in ours.named_parameters():
            _close(parameter.grad().numpy(), theirs_parameters[name].grad, f"{name} gradient")
            parameter.reset()
        theirs.zero_grad()
    theirs_state = theirs.state_dict()
    assert list(ours.state_dict()) == list(theirs_state)
    for name, value in ours.state_dict().items():
        _close(value.numpy(), theirs_state[name], f"state {name}")


def _dtype64(**kwargs: Any) -> dict[str, Any]:
    return {"dtype": "float64", **kwargs}


# --- layers ---------------------------------------------------------------------------------

LAYER_CASES: list[tuple[str, Callable[[], Module], Callable[[], Any], tuple[int, ...]]] = [
    ("linear", lambda: Linear(5, 3, **_dtype64()), lambda: nn.Linear(5, 3), (4, 5)),
    ("linear-3d-no-bias", lambda: Linear(5, 3, bias=False, **_dtype64()),
     lambda: nn.Linear(5, 3, bias=False), (2, 4, 5)),
    ("conv", lambda: Conv2D(3, 4, 3, **_dtype64()), lambda: nn.Conv2d(3, 4, 3), (2, 3, 7, 6)),
    ("conv-strided", lambda: Conv2D(4, 6, (3, 2), stride=(2, 1), padding=(1, 2),
                                     dilation=(1, 2), groups=2, **_dtype64()),
     lambda: nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2),
     (2, 4, 7, 6)),
    ("conv-1x1-no-bias", lambda: Conv2D(3, 2, 1, bias=False, **_dtype64()),
     lambda: nn.Conv2d(3, 2, 1, bias=False), (1, 3, 4, 4)),
    ("maxpool", lambda: MaxPool2D(2), lambda: nn.MaxPool2d(2), (2, 3, 6, 5)),
    ("maxpool-overlap", lambda: MaxPool2D(3, stride=2, padding=1),
     lambda: nn.MaxPool2d(3, stride=2, padding=1), (2, 2, 7, 7)),
    ("avgpool", lambda: AvgPool2D((2, 3), stride=(1, 2), padding=(1, 1)),
     lambda: nn.AvgPool2d((2, 3), stride=(1, 2), padding=(1, 1)), (2, 2, 5, 6)),
    ("flatten", lambda: Flatten(), lambda: nn.Flatten(), (2, 3, 2, 2)),
    ("batchnorm1d", lambda: BatchNorm1D(4, **_dtype64()), lambda: nn.BatchNorm1d(4), (6, 4)),
    ("batchnorm1d-3d", lambda: BatchNorm1D(3, momentum=None, **_dtype64()),
     lambda: nn.BatchNorm1d(3, momentum=None), (4, 3, 5)),
    ("batchnorm2d", lambda: BatchNorm2D(3, momentum=0.3, **_dtype64()),
     lambda: nn.BatchNorm2d(3, momentum=0.3), (2, 3, 4, 5)),
    ("batchnorm2d-no-affine", lambda: BatchNorm2D(2, affine=False, **_dtype64()),
     lambda: nn.BatchNorm2d(2, affine=False), (3, 2, 3, 3)),
    ("layernorm", lambda: LayerNorm(6, **_dtype64()), lambda: nn.LayerNorm(6), (3, 4, 6)),
    ("layernorm-2d", lambda: LayerNorm((3, 4), eps=1e-3, **_dtype64()),
     lambda: nn.LayerNorm((3, 4), eps=1e-3), (2, 3, 4)),
    ("sequential", lambda: Sequential(Linear(4, 8, **_dtype64()), activations.gelu,
                                      Linear(8, 2, **_dtype64())),
     lambda: nn.Sequential(nn.Linear(4, 8), nn.GELU(), nn.Linear(8, 2)), (5, 4)),
    ("convnet", lambda: Sequential(Conv2D(1, 2, 3, padding=1, **_dtype64()),
                                   BatchNorm2D(2, **_dtype64()), activations.relu,
                                   MaxPool2D(2), Flatten(), Linear(8, 3, **_dtype64())),
     lambda: nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.BatchNorm2d(2), nn.ReLU(),
                           nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8, 3)), (3, 1, 4, 4)),
    ("relu", ReLU, nn.ReLU, (4, 5)),
    ("leaky-relu", lambda: LeakyReLU(0.2), lambda: nn.LeakyReLU(0.2), (4, 5)),
    ("sigmoid", Sigmoid, nn.Sigmoid, (4, 5)),
    ("tanh", Tanh, nn.Tanh, (4, 5)),
    ("gelu", GELU, nn.GELU, (4, 5)),
    ("silu", SiLU, nn.SiLU, (4, 5)),
    ("elu", lambda: ELU(0.5), lambda: nn.ELU(0.5), (4, 5)),
    ("softplus", lambda: Softplus(2.0, threshold=1.0), lambda: nn.Softplus(2.0, 1.0), (4, 5)),
    ("softmax", lambda: Softmax(axis=1), lambda: nn.Softmax(dim=1), (3, 4, 5)),
    ("logsoftmax", lambda: LogSoftmax(axis=0), lambda: nn.LogSoftmax(dim=0), (3, 4, 5)),
    ("mlp-with-activation-layers",
     lambda: Sequential(Linear(4, 8, **_dtype64()), ReLU(), Linear(8, 3, **_dtype64()),
                        LogSoftmax()),
     lambda: nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3), nn.LogSoftmax(-1)),
     (5, 4)),
]


@pytest.mark.parametrize(("name", "make_ours", "make_theirs", "shape"), LAYER_CASES,
                         ids=[case[0] for case in LAYER_CASES])
def test_layer_matches_torch_while_training(name: str, make_ours: Callable[[], Module],
                                            make_theirs: Callable[[], Any],
                                            shape: tuple[int, ...]) -> None:
    torch.manual_seed(0)
    theirs = make_theirs().double()
    x = np.random.default_rng(0).standard_normal(shape)
    _compare_module(make_ours(), theirs, x, steps=2)


@pytest.mark.parametrize(("name", "make_ours", "make_theirs", "shape"), LAYER_CASES,
                         ids=[case[0] for case in LAYER_CASES])
def test_frozen_layer_matches_torch_eval(name: str, make_ours: Callable[[], Module],
                                         make_theirs: Callable[[], Any],
                                         shape: tuple[int, ...]) -> None:
    torch.manual_seed(0)
    theirs = make_theirs().double()
    x = np.random.default_rng(0).standard_normal(shape)
    ours = make_ours()
    _compare_module(ours, theirs, x)  # a training step first, so running stats are not trivial
    ours.freeze()
    theirs.eval()
    x_ours = mu.variable(x + 0.5, dtype="float64")
    x_theirs = torch.tensor(x + 0.5, requires_grad=True)
    y_ours, y_theirs = ours(x_ours), theirs(x_theirs)
    _close(y_ours.numpy(), y_theirs, "frozen forward")
    seed = np.random.default_rng(2).standard_normal(y_ours.shape)
    y_ours.backward(seed)
    y_theirs.backward(torch.tensor(seed))
    _close(x_ours.grad().numpy(), x_theirs.grad, "frozen input gradient")


def test_embedding_matches_torch() -> None:
    torch.manual_seed(0)
    theirs = nn.Embedding(7, 3, padding_idx=2).double()
    ours = Embedding(7, 3, padding_idx=2, dtype="float64")
    _copy_weights(ours, theirs)
    indices = np.array([[0, 2, 6], [2, 1, 0]])
    ours_y = ours(mu.constant(indices))
    theirs_y = theirs(torch.tensor(indices))
    _close(ours_y.numpy(), theirs_y, "forward")
    seed = np.random.default_rng(0).standard_normal(ours_y.shape)
    ours_y.backward(seed)
    theirs_y.backward(torch.tensor(seed))
    _close(ours.weight.grad().numpy(), theirs.weight.grad, "weight gradient")


def test_dropout_off_and_frozen_match_torch_identity() -> None:
    x = np.random.default_rng(0).standard_normal((3, 4))
    _compare_module(Dropout(0.0), nn.Dropout(0.0), x)
    ours = Dropout(0.7).freeze()
    np.testing.assert_array_equal(ours(mu.constant(x)).numpy(),
                                  nn.Dropout(0.7).eval()(torch.tensor(x)).numpy())


# --- activations ------------------------------------------------------------------------------

ACTIVATION_CASES: list[tuple[str, Callable[[Any], Any], Callable[[Any], Any]]] = [
    ("relu", activations.relu, F.relu),
    ("softmax", activations.softmax, lambda x: F.softmax(x, dim=-1)),
    ("softmax-axis0", lambda x: activations.softmax(x, axis=0), lambda x: F.softmax(x, dim=0)),
    ("logsoftmax", activations.logsoftmax, lambda x: F.log_softmax(x, dim=-1)),
    ("logsoftmax-axis1", lambda x: activations.logsoftmax(x, 1),
     lambda x: F.log_softmax(x, dim=1)),
    ("sigmoid", activations.sigmoid, torch.sigmoid),
    ("tanh", activations.tanh, torch.tanh),
    ("leaky_relu", activations.leaky_relu, F.leaky_relu),
    ("leaky_relu-0.2", lambda x: activations.leaky_relu(x, 0.2), lambda x: F.leaky_relu(x, 0.2)),
    ("gelu", activations.gelu, F.gelu),
    ("silu", activations.silu, F.silu),
    ("elu", activations.elu, F.elu),
    ("elu-0.5", lambda x: activations.elu(x, alpha=0.5), lambda x: F.elu(x, alpha=0.5)),
    ("softplus", activations.softplus, F.softplus),
    ("softplus-beta", lambda x: activations.softplus(x, beta=2.0, threshold=5.0),
     lambda x: F.softplus(x, beta=2.0, threshold=5.0)),
]


@pytest.mark.parametrize(("name", "ours", "theirs"), ACTIVATION_CASES,
                         ids=[case[0] for case in ACTIVATION_CASES])
def test_activation_matches_torch(name: str, ours: Callable[[Any], Any],
                                  theirs: Callable[[Any], Any]) -> None:
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.standard_normal((3, 5)) * 4,
                        np.array([[-30.0, -7.0, -1e-3, 12.0, 40.0]])])
    _compare_function(ours, theirs, [x])


@pytest.mark.parametrize(("name", "ours", "theirs"), ACTIVATION_CASES,
                         ids=[case[0] for case in ACTIVATION_CASES])
def test_activation_second_derivative_matches_torch(name: str, ours: Callable[[Any], Any],
                                                    theirs: Callable[[Any], Any]) -> None:
    x = np.random.default_rng(4).standard_normal((2, 4)) * 2
    ours_x = mu.variable(x, dtype="float64")
    ours(ours_x).sum().backward(create_graph=True)
    first = ours_x.grad()
    ours_x.reset()
    (first * first).sum().backward()
    theirs_x = torch.tensor(x, requires_grad=True)
    (theirs_first,) = torch.autograd.grad(theirs(theirs_x).sum(), theirs_x, create_graph=True)
    (theirs_first * theirs_first).sum().backward()
    _close(first.numpy(), theirs_first, "first derivative")
    _close(ours_x.grad().numpy(), theirs_x.grad, "second derivative")


def _compare_function(ours: Callable[..., Any], theirs: Callable[..., Any],
                      inputs: list[np.ndarray], constants: tuple[Any, ...] = ()) -> None:
    """Forward values and the gradient of every float input agree."""
    ours_inputs = [mu.variable(value, dtype="float64") for value in inputs]
    theirs_inputs = [torch.tensor(value, requires_grad=True) for value in inputs]
    ours_y = ours(*ours_inputs, *(mu.constant(value) for value in constants))
    theirs_y = theirs(*theirs_inputs, *(torch.tensor(value) for value in constants))
    _close(ours_y.numpy(), theirs_y, "forward")
    seed = np.random.default_rng(5).standard_normal(ours_y.shape)
    ours_y.backward(seed)
    theirs_y.backward(torch.tensor(seed))
    for position, (mine, other) in enumerate(zip(ours_inputs, theirs_inputs, strict=True)):
        _close(mine.grad().numpy(), other.grad, f"gradient of input {position}")


# --- losses -------------------------------------------------------------------------------------

@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_regression_losses_match_torch(reduction: str) -> None:
    rng = np.random.default_rng(6)
    x, target = rng.standard_normal((4, 3)) * 2, rng.standard_normal((4, 3)) * 2
    pairs: list[tuple[Callable[..., Any], Callable[..., Any]]] = [
        (losses.mse, F.mse_loss), (losses.l1, F.l1_loss),
        (losses.huber, F.huber_loss),
        (lambda a, b, reduction: losses.huber(a, b, reduction, delta=0.5),
         lambda a, b, reduction: F.huber_loss(a, b, reduction=reduction, delta=0.5))]
    for ours, theirs in pairs:
        _compare_function(lambda a, b, ours=ours: ours(a, b, reduction=reduction),
                          lambda a, b, theirs=theirs: theirs(a, b, reduction=reduction),
                          [x], (target,))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_losses_match_torch(reduction: str) -> None:
    rng = np.random.default_rng(7)
    logits = rng.standard_normal((5, 2)) * 3
    probs = 1 / (1 + np.exp(-logits))
    target = rng.uniform(0, 1, (5, 2))
    _compare_function(lambda p, t: losses.binary_cross_entropy(p, t, reduction),
                      lambda p, t: F.binary_cross_entropy(p, t, reduction=reduction),
                      [probs, target])
    _compare_function(lambda z, t: losses.bce_with_logits(z, t, reduction),
                      lambda z, t: F.binary_cross_entropy_with_logits(z, t, reduction=reduction),
                      [logits, target])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(4, 5), (3, 4, 2, 3), (6,)], ids=["2d", "4d", "unbatched"])
def test_class_losses_match_torch(reduction: str, shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(8)
    logits = rng.standard_normal(shape) * 3
    target_shape = () if len(shape) == 1 else (shape[0], *shape[2:])
    classes = shape[0] if len(shape) == 1 else shape[1]
    target = rng.integers(0, classes, target_shape)
    _compare_function(lambda z, t: losses.cross_entropy(z, t, reduction),
                      lambda z, t: F.cross_entropy(z, t, reduction=reduction),
                      [logits], (target,))
    log_probs = logits - np.log(np.exp(logits).sum(axis=0 if len(shape) == 1 else 1,
                                                   keepdims=True))
    _compare_function(lambda z, t: losses.nll(z, t, reduction),
                      lambda z, t: F.nll_loss(z, t, reduction=reduction),
                      [log_probs], (target,))


def test_class_losses_with_ignore_index_and_probability_targets_match_torch() -> None:
    rng = np.random.default_rng(9)
    logits = rng.standard_normal((6, 4))
    target = np.array([0, -100, 3, 1, -100, 2])
    for reduction in ("mean", "sum", "none"):
        _compare_function(lambda z, t, r=reduction: losses.cross_entropy(z, t, r),
                          lambda z, t, r=reduction: F.cross_entropy(z, t, reduction=r),
                          [logits], (target,))
        _compare_function(lambda z, t, r=reduction: losses.nll(z, t, r, ignore_index=3),
                          lambda z, t, r=reduction: F.nll_loss(z, t, reduction=r,
                                                               ignore_index=3),
                          [logits], (np.abs(target) % 4,))
    probabilities = rng.dirichlet(np.ones(4), size=6)
    for reduction in ("mean", "sum", "none"):
        _compare_function(lambda z, t, r=reduction: losses.cross_entropy(z, t, r),
                          lambda z, t, r=reduction: F.cross_entropy(z, t, reduction=r),
                          [logits], (probabilities,))


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides:UserWarning")
@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_torch(reduction: str, log_target: bool) -> None:
    rng = np.random.default_rng(10)
    log_probs = np.log(rng.dirichlet(np.ones(5), size=3))
    target = rng.dirichlet(np.ones(5), size=3)
    target[0, 1] = 0.0
    if log_target:
        target = np.log(target + 0.1)
    _compare_function(lambda a, t: losses.kl_div(a, t, reduction, log_target=log_target),
                      lambda a, t: F.kl_div(a, t, reduction=reduction, log_target=log_target),
                      [log_probs], (target,))


# --- functional ops ------------------------------------------------------------------------------

def test_functional_ops_match_torch() -> None:
    rng = np.random.default_rng(11)
    x = rng.standard_normal((2, 4, 6, 5))
    weight = rng.standard_normal((6, 2, 2, 3))
    bias = rng.standard_normal(6)
    _compare_function(lambda a, w, b: ops.conv2d(a, w, b, stride=2, padding=1, groups=2),
                      lambda a, w, b: F.conv2d(a, w, b, stride=2, padding=1, groups=2),
                      [x, weight, bias])
    _compare_function(lambda a: ops.maxpool2d(a, 2, 1), lambda a: F.max_pool2d(a, 2, 1), [x])
    _compare_function(lambda a: ops.avgpool2d(a, 3, 2, 1),
                      lambda a: F.avg_pool2d(a, 3, 2, 1), [x])
    _compare_function(lambda a: ops.pad(a, (1, 2, 0, 3), value=-1.5),
                      lambda a: F.pad(a, (1, 2, 0, 3), value=-1.5), [x])
    _compare_function(lambda a, w, b: ops.linear(a, w, b), F.linear,
                      [x, rng.standard_normal((3, 5)), rng.standard_normal(3)])
    _compare_function(ops.flatten, lambda a: torch.flatten(a, 1), [x])


def test_conv_second_derivatives_match_torch() -> None:
    rng = np.random.default_rng(12)
    x = rng.standard_normal((2, 2, 5, 5))
    weight = rng.standard_normal((3, 2, 3, 3))
    ours_x, ours_w = mu.variable(x, dtype="float64"), mu.variable(weight, dtype="float64")
    theirs_x = torch.tensor(x, requires_grad=True)
    theirs_w = torch.tensor(weight, requires_grad=True)
    ours_y = ops.conv2d(ours_x, ours_w, stride=2, padding=1)
    (ours_y * ours_y).sum().backward(create_graph=True)
    ours_penalty = (ours_x.grad() * ours_x.grad()).sum() + (ours_w.grad() ** 3).sum()
    ours_x.reset()
    ours_w.reset()
    ours_penalty.backward()
    theirs_y = F.conv2d(theirs_x, theirs_w, stride=2, padding=1)
    grad_x, grad_w = torch.autograd.grad((theirs_y * theirs_y).sum(), (theirs_x, theirs_w),
                                         create_graph=True)
    ((grad_x * grad_x).sum() + (grad_w ** 3).sum()).backward()
    _close(ours_x.grad().numpy(), theirs_x.grad, "second derivative wrt x")
    _close(ours_w.grad().numpy(), theirs_w.grad, "second derivative wrt weight")


SECOND_ORDER_CASES: list[tuple[str, Callable[..., Any], Callable[..., Any], list[
        tuple[int, ...]]]] = [
    ("maxpool", lambda a: ops.maxpool2d(a * a, 2, 1, 1), lambda a: F.max_pool2d(a * a, 2, 1, 1),
     [(1, 2, 4, 4)]),
    ("avgpool", lambda a: ops.avgpool2d(a * a, 3, 2, 1),
     lambda a: F.avg_pool2d(a * a, 3, 2, 1), [(1, 2, 5, 5)]),
    ("linear", ops.linear, F.linear, [(3, 4), (2, 4), (2,)]),
    ("pad", lambda a: ops.pad(a, (1, 1, 2, 0), value=0.5) ** 3,
     lambda a: F.pad(a, (1, 1, 2, 0), value=0.5) ** 3, [(2, 2, 3)]),
    ("layernorm", lambda a, w, b: LayerNorm(4, dtype="float64").forward(a) * w + b,
     lambda a, w, b: F.layer_norm(a, (4,)) * w + b, [(3, 4), (4,), (4,)]),
    ("batchnorm", lambda a: BatchNorm1D(3, affine=False, dtype="float64")(a),
     lambda a: F.batch_norm(a, None, None, training=True), [(5, 3)]),
    ("cross_entropy", lambda a: losses.cross_entropy(a, mu.constant(np.array([0, 2, 1]))),
     lambda a: F.cross_entropy(a, torch.tensor([0, 2, 1])), [(3, 4)]),
    ("nll", lambda a: losses.nll(a, mu.constant(np.array([3, 2, 1])), "sum") ** 2,
     lambda a: F.nll_loss(a, torch.tensor([3, 2, 1]), reduction="sum") ** 2, [(3, 4)]),
    ("bce_with_logits", lambda a, t: losses.bce_with_logits(a, t),
     F.binary_cross_entropy_with_logits, [(3, 2), (3, 2)]),
]


@pytest.mark.parametrize(("name", "ours", "theirs", "shapes"), SECOND_ORDER_CASES,
                         ids=[case[0] for case in SECOND_ORDER_CASES])
def test_second_derivatives_match_torch(name: str, ours: Callable[..., Any],
                                        theirs: Callable[..., Any],
                                        shapes: list[tuple[int, ...]]) -> None:
    """The gradient of (sum of squared first derivatives) with respect to every input."""
    rng = np.random.default_rng(13)
    values = [rng.standard_normal(shape) for shape in shapes]
    ours_inputs = [mu.variable(value, dtype="float64") for value in values]
    theirs_inputs = [torch.tensor(value, requires_grad=True) for value in values]
    ours_y = ours(*ours_inputs)
    seed = rng.standard_normal(ours_y.shape)
    ours_y.backward(seed, create_graph=True)
    firsts = [leaf.grad() for leaf in ours_inputs]
    for leaf in ours_inputs:
        leaf.reset()
    sum(((first * first).sum() for first in firsts), start=mu.constant(0.0)).backward()
    theirs_firsts = torch.autograd.grad(theirs(*theirs_inputs), theirs_inputs,
                                        torch.tensor(seed), create_graph=True)
    sum((first * first).sum() for first in theirs_firsts).backward()
    for position, (mine, other) in enumerate(zip(ours_inputs, theirs_inputs, strict=True)):
        _close(firsts[position].numpy(), theirs_firsts[position], f"first derivative {position}")
        # PyTorch leaves the gradient None where the second derivative is identically zero.
        expected = other.grad if other.grad is not None else torch.zeros_like(other)
        _close(mine.grad().numpy(), expected, f"second derivative {position}")
