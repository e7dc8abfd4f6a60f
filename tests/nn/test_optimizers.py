"""Optimizers: hand-computed steps, 100-step trajectories against PyTorch, state dicts, errors.

The reference trajectories come from ``torch.optim`` in float64 on the same linear-regression
problem (skipped where PyTorch is absent); single steps are checked against the update rules
written out in NumPy.
"""

from __future__ import annotations

import itertools
import tracemalloc
from typing import Any

import numpy as np
import pytest

import mushin as mu
from mushin._tensor import storage
from mushin.nn.optimizers import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop

OPTIMIZERS: dict[str, type[Optimizer]] = {
    "SGD": SGD, "Adam": Adam, "AdamW": AdamW, "RMSprop": RMSprop, "Adagrad": Adagrad}

RNG = np.random.default_rng(7)
INPUTS = RNG.normal(size=(16, 3))
TARGETS = INPUTS @ np.array([1.5, -2.0, 0.5]) + 0.3 + 0.1 * RNG.normal(size=16)
START_WEIGHT = RNG.normal(size=3)
START_BIAS = np.array(0.2)


def _regression_loss(weight: Any, bias: Any, device: str | None = None,
                     dtype: str = "float64") -> Any:
    inputs = mu.constant(INPUTS, device=device, dtype=dtype)
    targets = mu.constant(TARGETS, device=device, dtype=dtype)
    residual = inputs @ weight + bias - targets
    return (residual * residual).mean()


def _mushin_trajectory(name: str, options: dict[str, Any], steps: int,
                       device: str | None = None, dtype: str = "float64") -> list[np.ndarray]:
    weight = mu.variable(START_WEIGHT.copy(), device=device, dtype=dtype)
    bias = mu.variable(START_BIAS.copy(), device=device, dtype=dtype)
    optimizer = OPTIMIZERS[name]([weight, bias], **options)
    trajectory = []
    for _ in range(steps):
        optimizer.zero_grad()
        _regression_loss(weight, bias, device, dtype).backward()
        optimizer.step()
        trajectory.append(np.concatenate([weight.numpy(), bias.numpy().reshape(1)]))
    return trajectory


def _torch_trajectory(name: str, options: dict[str, Any], steps: int) -> list[np.ndarray]:
    torch = pytest.importorskip("torch")
    weight = torch.tensor(START_WEIGHT, dtype=torch.float64, requires_grad=True)
    bias = torch.tensor(START_BIAS, dtype=torch.float64, requires_grad=True)
    inputs = torch.tensor(INPUTS, dtype=torch.float64)
    targets = torch.tensor(TARGETS, dtype=torch.float64)
    optimizer = getattr(torch.optim, name)([weight, bias], **options)
    trajectory = []
    for _ in range(steps):
        optimizer.zero_grad()
        residual = inputs @ weight + bias - targets
        (residual * residual).mean().backward()
        optimizer.step()
        trajectory.append(np.concatenate([weight.detach().numpy(),
                                          bias.detach().numpy().reshape(1)]))
    return trajectory


def _grid(**choices: list[Any]) -> list[dict[str, Any]]:
    return [dict(zip(choices, values, strict=True))
            for values in itertools.product(*choices.values())]


CONFIGS: list[tuple[str, dict[str, Any]]] = [
    *(("SGD", {"lr": 0.05, **grid}) for grid in _grid(
        momentum=[0.0, 0.9], dampening=[0.0, 0.5], weight_decay=[0.0, 0.1])),
    *(("SGD", {"lr": 0.05, "momentum": momentum, "nesterov": True, "weight_decay": decay})
      for momentum, decay in itertools.product([0.5, 0.9], [0.0, 0.1])),
    *(("Adam", {"lr": 0.05, **grid}) for grid in _grid(
        amsgrad=[False, True], weight_decay=[0.0, 0.1], betas=[(0.9, 0.999), (0.8, 0.9)])),
    *(("AdamW", {"lr": 0.05, **grid}) for grid in _grid(
        amsgrad=[False, True], weight_decay=[0.0, 0.01, 0.1])),
    *(("RMSprop", {"lr": 0.01, **grid}) for grid in _grid(
        centered=[False, True], momentum=[0.0, 0.5], weight_decay=[0.0, 0.1],
        alpha=[0.99, 0.95])),
    *(("Adagrad", {"lr": 0.1, **grid}) for grid in _grid(
        lr_decay=[0.0, 0.01], weight_decay=[0.0, 0.1], initial_accumulator_value=[0.0, 0.1])),
    # maximize (the loss grows, the rules are the same), and Adam made AdamW by its flag
    ("SGD", {"lr": 0.01, "momentum": 0.9, "nesterov": True, "maximize": True}),
    ("SGD", {"lr": 0.01, "momentum": 0.5, "dampening": 0.3, "weight_decay": 0.1,
             "maximize": True}),
    ("Adam", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1, "maximize": True}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("AdamW", {"lr": 0.05, "maximize": True, "foreach": False}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5, "maximize": True}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "maximize": True}),
]
CONFIG_IDS = [f"{name}-{options}" for name, options in CONFIGS]


@pytest.mark.parametrize(("name", "options"), CONFIGS, ids=CONFIG_IDS)
def test_trajectory_matches_pytorch(name: str, options: dict[str, Any]) -> None:
    expected = _torch_trajectory(name, options, 100)
    found = _mushin_trajectory(name, options, 100)
    for step, (ours, theirs) in enumerate(zip(found, expected, strict=True)):
        # Rounding differences in the gradients (~1e-16) grow near the optimum, where Adam and
        # centered RMSprop divide small differences; a wrong rule is off by far more.
        np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-10,
                                   err_msg=f"step {step + 1}")


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_defaults_match_pytorch(name: str) -> None:
    options = {"lr": 0.05} if name == "SGD" else {}
    expected = _torch_trajectory(name, options, 20)
    found = _mushin_trajectory(name, options, 20)
    np.testing.assert_allclose(found, expected, rtol=1e-10, atol=1e-12)


def test_param_groups_match_pytorch() -> None:
    torch = pytest.importorskip("torch")
    weight = mu.variable(START_WEIGHT.copy())
    bias = mu.variable(START_BIAS.copy())
    optimizer = Adam([{"params": [weight], "lr": 0.1, "amsgrad": True},
                      {"params": bias, "weight_decay": 0.5}], lr=0.01)
    torch_weight = torch.tensor(START_WEIGHT, requires_grad=True)
    torch_bias = torch.tensor(START_BIAS, requires_grad=True)
    torch_optimizer = torch.optim.Adam([{"params": [torch_weight], "lr": 0.1, "amsgrad": True},
                                        {"params": torch_bias, "weight_decay": 0.5}], lr=0.01)
    inputs, targets = torch.tensor(INPUTS), torch.tensor(TARGETS)
    for _ in range(30):
        optimizer.zero_grad()
        _regression_loss(weight, bias).backward()
        optimizer.step()
        torch_optimizer.zero_grad()
        residual = inputs @ torch_weight + torch_bias - targets
        (residual * residual).mean().backward()
        torch_optimizer.step()
    np.testing.assert_allclose(weight.numpy(), torch_weight.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(bias.numpy(), torch_bias.detach().numpy(), rtol=1e-10)
    assert optimizer.param_groups[0]["lr"] == 0.1
    assert optimizer.param_groups[1]["lr"] == 0.01
    assert optimizer.param_groups[1]["weight_decay"] == 0.5


def test_step_runs_the_closure_and_returns_its_loss() -> None:
    weight, bias = mu.variable(START_WEIGHT.copy()), mu.variable(START_BIAS.copy())
    optimizer = Adam([weight, bias], lr=0.05)
    losses = []

    def closure() -> Any:
        optimizer.zero_grad()
        loss = _regression_loss(weight, bias)
        loss.backward()
        losses.append(loss)
        return loss

    with mu.no_grad():  # the closure records anyway, as PyTorch's step does
        for _ in range(20):
            assert optimizer.step(closure) is losses[-1]
    np.testing.assert_allclose(np.concatenate([weight.numpy(), bias.numpy().reshape(1)]),
                               _torch_trajectory("Adam", {"lr": 0.05}, 20)[-1], rtol=1e-10)
    assert optimizer.step() is None
    with pytest.raises(TypeError, match=r"Adam\.step: closure must be a function"):
        optimizer.step(0.5)  # type: ignore[arg-type]


def test_sgd_keeps_the_crates_positional_order() -> None:
    """``SGD(params, lr, momentum, nesterov, weight_decay)``: the contract's order; PyTorch's
    ``dampening`` (its fourth) is keyword-only, and a number where ``nesterov`` belongs is
    refused rather than misread."""
    param = mu.variable(VALUES.copy())
    optimizer = SGD([param], 0.1, 0.9, True, 0.01)
    assert {key: optimizer.defaults[key] for key in ("lr", "momentum", "nesterov",
                                                     "weight_decay", "dampening")} == {
        "lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01, "dampening": 0.0}
    with pytest.raises(TypeError, match=r"SGD: nesterov must be True or False, got 0\.5"):
        SGD([param], 0.1, 0.9, 0.5)  # type: ignore[arg-type]
    assert SGD([param]).defaults["lr"] == 1e-3  # PyTorch's default


def test_loads_a_state_dict_without_the_newer_flags() -> None:
    """A state dict saved before ``maximize``, ``foreach``... existed loads with their
    defaults, as PyTorch's does; PyTorch's float step counts load as ints."""
    weight, bias = mu.variable(START_WEIGHT.copy()), mu.variable(START_BIAS.copy())
    saved = _trained_adam_state()
    for group in saved["param_groups"]:
        for flag in ("maximize", "foreach", "capturable", "differentiable", "fused",
                     "decoupled_weight_decay"):
            del group[flag]
    saved["state"][0]["step"] = np.array(1.0, dtype=np.float32)
    optimizer = AdamW([weight, bias])
    optimizer.load_state_dict(saved)
    assert optimizer.param_groups[0]["decoupled_weight_decay"] is True  # AdamW's default
    assert optimizer.param_groups[0]["maximize"] is False
    assert optimizer.state[id(weight)]["step"] == 1


# --- single steps written out by hand ---------------------------------------------------------

VALUES = np.array([0.5, -1.0, 2.0])
GRADIENT = np.array([0.3, -0.2, 0.1])
# mu.variable shares a NumPy array's memory and optimizers update in place: the module's
# arrays are read-only so that a test forgetting to copy one fails loudly.
for _array in (INPUTS, TARGETS, START_WEIGHT, START_BIAS, VALUES, GRADIENT):
    _array.setflags(write=False)


def _stepped(optimizer_type: type[Optimizer], gradients: list[np.ndarray],
             **options: Any) -> np.ndarray:
    """The parameter after one step per gradient (each given as d sum(p * g) / d p = g)."""
    param = mu.variable(VALUES.copy())
    optimizer = optimizer_type([param], **options)
    for gradient in gradients:
        optimizer.zero_grad()
        (param * mu.constant(gradient)).sum().backward()
        optimizer.step()
    return param.numpy()


def test_sgd_by_hand() -> None:
    lr, momentum, decay = 0.1, 0.9, 0.01
    np.testing.assert_allclose(_stepped(SGD, [GRADIENT], lr=lr), VALUES - lr * GRADIENT)
    decayed = GRADIENT + decay * VALUES
    nesterov = decayed + momentum * decayed  # the buffer starts as the first gradient
    np.testing.assert_allclose(
        _stepped(SGD, [GRADIENT], lr=lr, momentum=momentum, nesterov=True, weight_decay=decay),
        VALUES - lr * nesterov)
    # Two steps with dampening: buffer = momentum * g1 + (1 - dampening) * g2.
    second = np.array([-0.1, 0.4, 0.2])
    after_one = VALUES - lr * GRADIENT
    buffer = momentum * GRADIENT + (1 - 0.25) * second
    np.testing.assert_allclose(
        _stepped(SGD, [GRADIENT, second], lr=lr, momentum=momentum, dampening=0.25),
        after_one - lr * buffer)


def test_adam_and_adamw_by_hand() -> None:
    # After one step the bias-corrected moments are g and g**2, so the step is
    # lr * g / (|g| + eps).
    lr, eps, decay = 0.01, 1e-8, 0.1
    np.testing.assert_allclose(_stepped(Adam, [GRADIENT], lr=lr),
                               VALUES - lr * GRADIENT / (np.abs(GRADIENT) + eps))
    decayed = GRADIENT + decay * VALUES
    np.testing.assert_allclose(_stepped(Adam, [GRADIENT], lr=lr, weight_decay=decay),
                               VALUES - lr * decayed / (np.abs(decayed) + eps))
    np.testing.assert_allclose(
        _stepped(AdamW, [GRADIENT], lr=lr, weight_decay=decay),
        VALUES * (1 - lr * decay) - lr * GRADIENT / (np.abs(GRADIENT) + eps))
    # Two steps, written out in full.
    beta1, beta2 = 0.9, 0.999
    second = np.array([-0.1, 0.4, 0.2])
    params = VALUES - lr * GRADIENT / (np.abs(GRADIENT) + eps)
    first_moment = beta1 * (1 - beta1) * GRADIENT + (1 - beta1) * second
    second_moment = beta2 * (1 - beta2) * GRADIENT**2 + (1 - beta2) * second**2
    denominator = np.sqrt(second_moment) / np.sqrt(1 - beta2**2) + eps
    expected = params - lr / (1 - beta1**2) * first_moment / denominator
    np.testing.assert_allclose(_stepped(Adam, [GRADIENT, second], lr=lr), expected)


def test_rmsprop_by_hand() -> None:
    lr, alpha, eps = 0.01, 0.99, 1e-8
    square_avg = (1 - alpha) * GRADIENT**2
    np.testing.assert_allclose(_stepped(RMSprop, [GRADIENT], lr=lr),
                               VALUES - lr * GRADIENT / (np.sqrt(square_avg) + eps))
    grad_avg = (1 - alpha) * GRADIENT
    centered = np.sqrt(square_avg - grad_avg**2) + eps
    np.testing.assert_allclose(
        _stepped(RMSprop, [GRADIENT], lr=lr, centered=True, momentum=0.5),
        VALUES - lr * GRADIENT / centered)  # the momentum buffer starts at zero


def test_adagrad_by_hand() -> None:
    lr, eps, start, decay = 0.1, 1e-10, 0.5, 0.2
    second = np.array([-0.1, 0.4, 0.2])
    after_one = VALUES - lr * GRADIENT / (np.sqrt(start + GRADIENT**2) + eps)
    total = start + GRADIENT**2 + second**2
    expected = after_one - lr / (1 + decay) * second / (np.sqrt(total) + eps)
    np.testing.assert_allclose(
        _stepped(Adagrad, [GRADIENT, second], lr=lr, initial_accumulator_value=start,
                 lr_decay=decay), expected)


# --- engine contract: in place, dtype kept, gradients read only --------------------------------

def _optimizer(name: str, params: list[Any], **options: Any) -> Optimizer:
    defaults: dict[str, dict[str, Any]] = {
        "SGD": {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1},
        "Adam": {"amsgrad": True, "weight_decay": 0.1},
        "AdamW": {"amsgrad": True},
        "RMSprop": {"centered": True, "momentum": 0.5, "weight_decay": 0.1},
        "Adagrad": {"lr_decay": 0.1, "weight_decay": 0.1},
    }
    return OPTIMIZERS[name](params, **{**defaults[name], **options})


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_update_is_in_place_and_keeps_float32(name: str) -> None:
    param = mu.variable(np.array([[0.5, -1.0], [2.0, 0.25]], dtype=np.float32))
    array = storage(param)
    optimizer = _optimizer(name, [param], lr=np.float64(0.05))
    for _ in range(3):
        optimizer.zero_grad()
        (param * param).sum().backward()
        optimizer.step()
    assert storage(param) is array
    assert param.dtype == np.float32
    for entry in optimizer.state_dict()["state"].values():
        for key, value in entry.items():
            if key != "step":
                assert value.dtype == np.float32, key
    assert not np.allclose(param.numpy(), [[0.5, -1.0], [2.0, 0.25]])


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_shared_gradients_are_never_written(name: str) -> None:
    # a + b gives both the same gradient array; stepping a must leave b's gradient alone.
    first = mu.variable(VALUES.copy())
    second = mu.variable(VALUES * 2)
    (first + second).backward(mu.constant(GRADIENT))
    optimizer = _optimizer(name, [first])
    for _ in range(3):
        optimizer.step()
    np.testing.assert_array_equal(first.grad().numpy(), GRADIENT)
    np.testing.assert_array_equal(second.grad().numpy(), GRADIENT)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_steady_state_steps_allocate_no_arrays(name: str) -> None:
    # Every option that needs a temporary is on (_optimizer); one parameter is large enough to
    # be updated in slices. A temporary array would be at least 256 KiB; Python's own objects
    # (views, the list of slices) take a few KiB.
    rng = np.random.default_rng(0)
    params = [mu.variable(rng.normal(size=shape).astype(np.float32))
              for shape in [(600, 500), (300, 400)]]
    optimizer = _optimizer(name, params)
    sum((param * param).sum() for param in params).backward()
    optimizer.step()  # creates the state and the scratch arrays
    optimizer.step()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        for _ in range(3):
            optimizer.step()
        after, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak - before < 64 * 1024
    assert after - before < 4 * 1024


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_parameters_without_gradient_are_skipped(name: str) -> None:
    used = mu.variable(VALUES.copy())
    unused = mu.variable(VALUES.copy())
    optimizer = _optimizer(name, [used, unused])
    (used * used).sum().backward()
    optimizer.step()
    np.testing.assert_array_equal(unused.numpy(), VALUES)
    assert not np.array_equal(used.numpy(), VALUES)
    assert list(optimizer.state_dict()["state"]) == [0]


def test_zero_grad_clears_gradients() -> None:
    param = mu.variable(VALUES.copy())
    optimizer = SGD([param], lr=0.1)
    (param * param).sum().backward()
    optimizer.zero_grad()
    np.testing.assert_array_equal(param.grad().numpy(), np.zeros(3))
    optimizer.step()
    np.testing.assert_array_equal(param.numpy(), VALUES)


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad_set_to_none_or_zeros_as_pytorch(set_to_none: bool) -> None:
    torch = pytest.importorskip("torch")
    theirs = torch.tensor(VALUES.copy(), requires_grad=True)
    ours = mu.variable(VALUES.copy())
    for param in (theirs, ours):
        (param * param).sum().backward()
    torch.optim.SGD([theirs], lr=0.1).zero_grad(set_to_none=set_to_none)
    SGD([ours], lr=0.1).zero_grad(set_to_none=set_to_none)
    assert (theirs.grad is None) == set_to_none
    np.testing.assert_array_equal(ours.grad().numpy(), np.zeros(3))
    (ours * 3.0).sum().backward()  # accumulates onto the zeros, or starts afresh: 3 either way
    np.testing.assert_array_equal(ours.grad().numpy(), np.full(3, 3.0))


def test_changed_learning_rate_is_used() -> None:
    param = mu.variable(VALUES.copy())
    optimizer = SGD([param], lr=0.1)
    optimizer.param_groups[0]["lr"] = 0.5
    (param * mu.constant(GRADIENT)).sum().backward()
    optimizer.step()
    np.testing.assert_allclose(param.numpy(), VALUES - 0.5 * GRADIENT)


def test_second_order_gradients_are_read() -> None:
    # backward(create_graph=True) leaves a gradient with history; the step reads its values.
    param = mu.variable(VALUES.copy())
    (param * param * param).sum().backward(create_graph=True)
    SGD([param], lr=0.1).step()
    np.testing.assert_allclose(param.numpy(), VALUES - 0.1 * 3 * VALUES**2)


# --- state dicts ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_state_dict_round_trip_resumes_identically(name: str) -> None:
    weight, bias = mu.variable(START_WEIGHT.copy()), mu.variable(START_BIAS.copy())
    optimizer = _optimizer(name, [weight, bias], lr=0.05)

    def train(optimizer: Optimizer, weight: Any, bias: Any, steps: int) -> list[np.ndarray]:
        values = []
        for _ in range(steps):
            optimizer.zero_grad()
            _regression_loss(weight, bias).backward()
            optimizer.step()
            values.append(np.concatenate([weight.numpy(), bias.numpy().reshape(1)]))
        return values

    train(optimizer, weight, bias, 5)
    snapshot = optimizer.state_dict()
    saved_weight, saved_bias = weight.numpy(), bias.numpy()
    continued = train(optimizer, weight, bias, 5)

    new_weight, new_bias = mu.variable(saved_weight), mu.variable(saved_bias)
    resumed = _optimizer(name, [new_weight, new_bias], lr=0.7)
    resumed.load_state_dict(snapshot)
    assert resumed.param_groups[0]["lr"] == 0.05
    np.testing.assert_array_equal(train(resumed, new_weight, new_bias, 5), continued)


def test_state_dict_layout_and_snapshot() -> None:
    weight, bias = mu.variable(START_WEIGHT.copy()), mu.variable(START_BIAS.copy())
    optimizer = Adam([{"params": [weight]}, {"params": [bias], "lr": 0.1}], amsgrad=True)
    _regression_loss(weight, bias).backward()
    optimizer.step()
    state = optimizer.state_dict()
    assert [group["params"] for group in state["param_groups"]] == [[0], [1]]
    assert state["param_groups"][1]["lr"] == 0.1
    assert state["param_groups"][0]["betas"] == (0.9, 0.999)
    assert set(state["state"][0]) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert state["state"][0]["step"] == 1
    assert isinstance(state["state"][0]["exp_avg"], mu.Constant)
    # The snapshot does not follow later steps.
    before = state["state"][0]["exp_avg"].numpy()
    optimizer.step()
    np.testing.assert_array_equal(state["state"][0]["exp_avg"].numpy(), before)


def test_load_state_dict_accepts_arrays_and_array_steps() -> None:
    param = mu.variable(VALUES.copy())
    optimizer = Adagrad([param], lr=0.1)
    optimizer.load_state_dict({
        "state": {0: {"step": np.asarray(3), "sum": np.array([1.0, 4.0, 9.0])}},
        "param_groups": [{"lr": 0.1, "lr_decay": 0.0, "weight_decay": 0.0,
                          "initial_accumulator_value": 0.0, "eps": 1e-10, "params": [0]}]})
    (param * mu.constant(GRADIENT)).sum().backward()
    optimizer.step()
    total = np.array([1.0, 4.0, 9.0]) + GRADIENT**2
    np.testing.assert_allclose(param.numpy(), VALUES - 0.1 * GRADIENT / (np.sqrt(total) + 1e-10))


def _trained_adam_state() -> dict[str, Any]:
    weight, bias = mu.variable(START_WEIGHT.copy()), mu.variable(START_BIAS.copy())
    optimizer = Adam([weight, bias], lr=0.05)
    _regression_loss(weight, bias).backward()
    optimizer.step()
    return optimizer.state_dict()


def _mutated(state: dict[str, Any], change: str) -> dict[str, Any]:
    groups = [dict(group) for group in state["param_groups"]]
    entries = {index: dict(entry) for index, entry in state["state"].items()}
    if change == "groups":
        groups.append(dict(groups[0]))
    elif change == "count":
        groups[0]["params"] = [0]
    elif change == "shape":
        entries[0]["exp_avg"] = np.zeros(4)
    elif change == "unknown-entry":
        entries[1]["momentum_buffer"] = np.zeros(())
    elif change == "missing-entry":
        del entries[1]["exp_avg_sq"]
    elif change == "index":
        entries[5] = entries.pop(1)
    elif change == "option":
        groups[0]["lr"] = -1.0
    elif change == "unknown-option":
        groups[0]["momentum"] = 0.9
    elif change == "step":
        entries[0]["step"] = 1.5
    return {"state": entries, "param_groups": groups}


@pytest.mark.parametrize("change", ["groups", "count", "shape", "unknown-entry",
                                    "missing-entry", "index", "option", "unknown-option",
                                    "step"])
def test_load_state_dict_checks_everything_first(change: str) -> None:
    target = Adam([mu.variable(START_WEIGHT.copy()), mu.variable(START_BIAS.copy())], lr=0.3)
    with pytest.raises(ValueError, match="load_state_dict"):
        target.load_state_dict(_mutated(_trained_adam_state(), change))
    assert target.state == {}
    assert target.param_groups[0]["lr"] == 0.3
    with pytest.raises(ValueError, match="'state' and 'param_groups'"):
        target.load_state_dict({"state": {}})


# --- errors ----------------------------------------------------------------------------------

def test_refuses_constants_and_other_objects() -> None:
    with pytest.raises(TypeError, match=r"Constant.*unfreeze"):
        SGD([mu.variable(VALUES.copy()), mu.constant(VALUES)], lr=0.1)  # type: ignore[list-item]
    with pytest.raises(TypeError, match="must be a Variable, got ndarray"):
        Adam([VALUES])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="iterable of Variables"):
        Adam(mu.variable(VALUES.copy()))
    with pytest.raises(TypeError, match="mixes"):
        Adam([mu.variable(VALUES.copy()), {"params": [mu.variable(VALUES.copy())]}])
    with pytest.raises(ValueError, match="empty"):
        Adam([])
    param = mu.variable(VALUES.copy())
    with pytest.raises(ValueError, match="more than once"):
        Adam([{"params": [param]}, {"params": [param]}])


@pytest.mark.parametrize(("make", "error", "message"), [
    (lambda p: SGD(p, lr=-0.1), ValueError, "lr must be a finite number >= 0"),
    (lambda p: SGD(p, lr="0.1"), TypeError, "lr must be a number"),  # type: ignore[arg-type]
    (lambda p: SGD(p, lr=0.1, nesterov=True), ValueError, "nesterov"),
    (lambda p: SGD(p, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), ValueError,
     "nesterov"),
    (lambda p: Adam(p, betas=(1.0, 0.9)), ValueError, r"betas must each lie in \[0, 1\)"),
    (lambda p: Adam(p, betas=0.9), TypeError, "pair"),  # type: ignore[arg-type]
    (lambda p: Adam(p, amsgrad=1), TypeError, "amsgrad must be True or False"),  # type: ignore[arg-type]
    (lambda p: RMSprop(p, eps=float("nan")), ValueError, "eps"),
    (lambda p: Adagrad([{"params": p, "momentum": 0.9}]), ValueError, "unknown option"),
    (lambda p: Adam([{"lr": 0.1}]), ValueError, "'params'"),
])
def test_bad_options(make: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        make([mu.variable(VALUES.copy())])


# --- devices -------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(("name", "options"), CONFIGS, ids=CONFIG_IDS)
def test_steps_on_a_device_match_the_cpu(name: str, options: dict[str, Any], dtype: str,
                                         device: str) -> None:
    """Every configuration on a device (one fused kernel per update on a GPU) follows the
    CPU's trajectory, up to the device's rounding."""
    expected = _mushin_trajectory(name, options, 10, dtype=dtype)
    found = _mushin_trajectory(name, options, 10, device=device, dtype=dtype)
    # Rounding differences (the device's sums, fused multiply-adds) grow a little over the
    # steps; a wrong rule (a lost decay, a misplaced eps) is off by far more.
    tolerance = {"rtol": 1e-10, "atol": 1e-12} if dtype == "float64" else {"rtol": 1e-4,
                                                                             "atol": 1e-5}
    np.testing.assert_allclose(found, expected, **tolerance)
