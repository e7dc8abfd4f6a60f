"""Adadelta, Adamax, NAdam, RAdam, ASGD and Rprop against ``torch.optim``: 20 steps on a small
two-layer model in float64, every parameter equal to PyTorch's after every step (1e-12
relative), with and without weight decay, maximizing, with parameter groups, across a
state-dict round trip, on a stand-in device; the defaults and PyTorch's implementation flags
(``foreach``, ``fused``, ``capturable``, ``differentiable``) of every optimizer; and the option
checks."""

from __future__ import annotations

import tracemalloc
from typing import Any

import numpy as np
import pytest

import mushin as mu
from mushin._tensor import storage
from mushin.nn.optimizers import (
    ASGD,
    LBFGS,
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    NAdam,
    Optimizer,
    RAdam,
    RMSprop,
    Rprop,
)

torch = pytest.importorskip("torch")

OPTIMIZERS: dict[str, type[Optimizer]] = {
    "Adadelta": Adadelta, "Adamax": Adamax, "NAdam": NAdam, "RAdam": RAdam, "ASGD": ASGD,
    "Rprop": Rprop}
EVERY_OPTIMIZER: dict[str, type[Optimizer]] = {
    **OPTIMIZERS, "SGD": SGD, "Adam": Adam, "AdamW": AdamW, "RMSprop": RMSprop,
    "Adagrad": Adagrad, "LBFGS": LBFGS}

RNG = np.random.default_rng(11)
INPUTS = RNG.normal(size=(12, 3))
TARGETS = np.sin(INPUTS @ np.array([1.0, -0.5, 2.0]))[:, None]
START = {"w1": RNG.normal(size=(3, 5)), "b1": 0.1 * RNG.normal(size=5),
         "w2": RNG.normal(size=(5, 1)), "b2": np.array([0.05])}
STEPS = 20
RTOL = 1e-12


@pytest.fixture(autouse=True)
def _float64_torch_scalars() -> Any:
    """PyTorch keeps NAdam's ``mu_product``, ASGD's ``eta`` and ``mu`` (and every step count)
    in its default dtype; float64, as mushin's Python floats, so that the rules, not float32
    rounding, compare."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


def _loss(params: dict[str, Any], inputs: Any, targets: Any, tanh: Any) -> Any:
    hidden = tanh(inputs @ params["w1"] + params["b1"])
    residual = hidden @ params["w2"] + params["b2"] - targets
    return (residual * residual).mean()


def _groups(params: dict[str, Any], grouped: dict[str, Any] | None) -> list[Any]:
    if grouped is None:
        return list(params.values())
    return [{"params": [params["w1"], params["b1"]], **grouped},
            {"params": [params["w2"], params["b2"]]}]


def _torch_steps(name: str, options: dict[str, Any],
                 grouped: dict[str, Any] | None = None) -> list[dict[str, np.ndarray]]:
    params = {key: torch.tensor(value, dtype=torch.float64, requires_grad=True)
              for key, value in START.items()}
    inputs, targets = torch.tensor(INPUTS), torch.tensor(TARGETS)
    optimizer = getattr(torch.optim, name)(_groups(params, grouped), **options)
    trajectory = []
    for _ in range(STEPS):
        optimizer.zero_grad()
        _loss(params, inputs, targets, torch.tanh).backward()
        optimizer.step()
        trajectory.append({key: value.detach().numpy().copy() for key, value in params.items()})
    return trajectory


def _mushin_params(device: str | None = None) -> dict[str, Any]:
    return {key: mu.variable(value.copy(), device=device, dtype="float64")
            for key, value in START.items()}


def _mushin_step(params: dict[str, Any], optimizer: Optimizer, device: str | None) -> None:
    inputs = mu.constant(INPUTS, device=device, dtype="float64")
    targets = mu.constant(TARGETS, device=device, dtype="float64")
    optimizer.zero_grad()
    _loss(params, inputs, targets, mu.tanh).backward()
    optimizer.step()


def _mushin_steps(name: str, options: dict[str, Any], grouped: dict[str, Any] | None = None,
                  device: str | None = None) -> list[dict[str, np.ndarray]]:
    params = _mushin_params(device)
    optimizer = OPTIMIZERS[name](_groups(params, grouped), **options)
    trajectory = []
    for _ in range(STEPS):
        _mushin_step(params, optimizer, device)
        trajectory.append({key: value.numpy().copy() for key, value in params.items()})
    return trajectory


def _assert_same(found: list[dict[str, np.ndarray]],
                 expected: list[dict[str, np.ndarray]]) -> None:
    assert len(found) == len(expected)
    for step, (ours, theirs) in enumerate(zip(found, expected, strict=True)):
        for key in START:
            np.testing.assert_allclose(ours[key], theirs[key], rtol=RTOL, atol=0,
                                       err_msg=f"{key} after step {step + 1}")


CONFIGS: list[tuple[str, dict[str, Any]]] = [
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-4}),
    ("Adadelta", {"weight_decay": 0.1}),
    ("Adadelta", {"lr": 0.05, "rho": 1.0}),  # square_avg and acc_delta stay 0: SGD
    ("Adadelta", {"rho": 0.0, "eps": 1e-3}),
    ("Adamax", {}),
    ("Adamax", {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6}),
    ("Adamax", {"lr": 0.05, "weight_decay": 0.1}),
    ("NAdam", {}),
    ("NAdam", {"lr": 0.05, "betas": (0.8, 0.99), "momentum_decay": 0.1}),
    ("NAdam", {"lr": 0.05, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("RAdam", {}),
    ("RAdam", {"lr": 0.05, "betas": (0.8, 0.9)}),  # rho_t > 5 from step 6 on: both branches
    ("RAdam", {"lr": 0.05, "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.05, "betas": (0.8, 0.9), "weight_decay": 0.1,
               "decoupled_weight_decay": True}),
    ("ASGD", {}),
    ("ASGD", {"lr": 0.05, "lambd": 0.01, "alpha": 0.5, "t0": 5.0}),  # averages from step 6
    ("ASGD", {"lr": 0.05, "weight_decay": 0.1, "t0": 0.0}),
    ("Rprop", {}),
    ("Rprop", {"lr": 0.05, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.2)}),
    ("Rprop", {"lr": 0.5, "etas": (0.5, 3.7), "step_sizes": (0.0, 1e3)}),
    ("Adadelta", {"maximize": True}),
    ("Adamax", {"lr": 0.01, "maximize": True, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.01, "maximize": True}),
    ("RAdam", {"lr": 0.01, "maximize": True}),
    ("ASGD", {"maximize": True, "t0": 3.0}),
    ("Rprop", {"maximize": True}),
    ("Adamax", {"foreach": False, "capturable": False, "differentiable": False}),
]
CONFIG_IDS = [f"{name}-{options}" for name, options in CONFIGS]


@pytest.mark.parametrize(("name", "options"), CONFIGS, ids=CONFIG_IDS)
def test_every_step_matches_pytorch(name: str, options: dict[str, Any]) -> None:
    _assert_same(_mushin_steps(name, options), _torch_steps(name, options))


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_param_groups_match_pytorch(name: str) -> None:
    grouped: dict[str, Any] = {"lr": 0.01, **({"etas": (0.4, 1.1)} if name == "Rprop"
                                              else {"weight_decay": 0.2})}
    _assert_same(_mushin_steps(name, {}, grouped), _torch_steps(name, {}, grouped))


@pytest.mark.parametrize("name", EVERY_OPTIMIZER)
def test_defaults_are_pytorchs(name: str) -> None:
    """Every option PyTorch's optimizer has, with its default (and in its order, so that a
    state dict's groups list the same keys)."""
    params = _mushin_params()
    ours = EVERY_OPTIMIZER[name](list(params.values())).defaults
    theirs = getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)]).defaults
    assert list(ours) == list(theirs)
    for key, value in ours.items():
        expected = theirs[key]
        assert value == (tuple(expected) if isinstance(expected, tuple) else expected), key


@pytest.mark.parametrize("name", [name for name in EVERY_OPTIMIZER if name != "LBFGS"])
def test_implementation_flags_are_accepted_or_refused_as_documented(name: str) -> None:
    """``foreach`` and ``fused`` pick PyTorch's implementation, not a result: accepted.
    ``differentiable`` and ``capturable`` would change what a step is: only False."""
    optimizer_type = EVERY_OPTIMIZER[name]
    defaults = optimizer_type([mu.variable(np.ones(2))]).defaults
    for flag in ("foreach", "fused"):
        if flag in defaults:
            for value in (None, True, False):
                optimizer_type([mu.variable(np.ones(2))], **{flag: value})
            with pytest.raises(TypeError, match=f"{name}: {flag} must be None, True or False"):
                optimizer_type([mu.variable(np.ones(2))], **{flag: 1})
    for flag in ("differentiable", "capturable"):
        if flag in defaults:
            with pytest.raises(ValueError, match=f"{name}: {flag}=True is not supported"):
                optimizer_type([mu.variable(np.ones(2))], **{flag: True})
    with pytest.raises(TypeError, match=f"{name}: maximize must be True or False"):
        optimizer_type([mu.variable(np.ones(2))], maximize=1)


def _config(name: str, index: int = 0) -> tuple[str, dict[str, Any]]:
    """The ``index``-th configuration of ``name`` in ``CONFIGS``."""
    return [config for config in CONFIGS if config[0] == name][index]


@pytest.mark.parametrize(("name", "options"), [
    _config("Adadelta", 2), _config("Adamax", 2), _config("NAdam", 3), _config("RAdam", 3),
    _config("ASGD", 1), _config("Rprop", 1)], ids=list(OPTIMIZERS))
def test_state_dict_round_trip_resumes_identically(name: str, options: dict[str, Any]) -> None:
    expected = _torch_steps(name, options)
    params = _mushin_params()
    optimizer = OPTIMIZERS[name](list(params.values()), **options)
    for _ in range(STEPS // 2):
        _mushin_step(params, optimizer, None)
    saved = optimizer.state_dict()
    assert all(isinstance(entry["step"], int) for entry in saved["state"].values())
    scalars = {"NAdam": ["mu_product"], "ASGD": ["eta", "mu"]}.get(name, [])
    assert all(isinstance(entry[key], float) for entry in saved["state"].values()
               for key in scalars)
    resumed = OPTIMIZERS[name](list(params.values()), **options)
    resumed.load_state_dict(saved)
    trajectory = []
    for _ in range(STEPS - STEPS // 2):
        _mushin_step(params, resumed, None)
        trajectory.append({key: value.numpy().copy() for key, value in params.items()})
    _assert_same(trajectory, expected[STEPS // 2:])


def test_nadam_loads_a_one_element_mu_product() -> None:
    params = _mushin_params()
    optimizer = NAdam(list(params.values()))
    _mushin_step(params, optimizer, None)
    saved = optimizer.state_dict()
    saved["state"][0]["mu_product"] = mu.constant(np.array([saved["state"][0]["mu_product"]]))
    optimizer.load_state_dict(saved)
    assert isinstance(optimizer.state[id(params["w1"])]["mu_product"], float)
    saved["state"][0]["mu_product"] = "x"
    with pytest.raises(ValueError, match="'mu_product' must be a number"):
        optimizer.load_state_dict(saved)


@pytest.mark.parametrize(("name", "options"), CONFIGS, ids=CONFIG_IDS)
def test_steps_on_a_device_match_the_cpu(name: str, options: dict[str, Any],
                                         device: str) -> None:
    """The portable steps on a device's arrays (CuPy on a GPU) follow the CPU."""
    expected = _mushin_steps(name, options)
    found = _mushin_steps(name, options, device=device)
    for ours, theirs in zip(found, expected, strict=True):
        for key in START:
            np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_keeps_float32_and_updates_in_place(name: str) -> None:
    weight = mu.variable(np.linspace(-1, 1, 6).reshape(2, 3), dtype="float32")
    array = storage(weight)
    optimizer = OPTIMIZERS[name]([weight], **({} if name == "Rprop" else {"weight_decay": 0.1}))
    for _ in range(3):
        optimizer.zero_grad()
        (weight * weight).sum().backward()
        optimizer.step()
    assert storage(weight) is array
    assert array.dtype == np.float32
    assert np.all(np.isfinite(array))


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_steady_state_steps_allocate_no_arrays(name: str) -> None:
    """As tests/nn/test_optimizers.py's: a temporary array would be at least 256 KiB."""
    rng = np.random.default_rng(0)
    params = [mu.variable(rng.normal(size=shape).astype(np.float32))
              for shape in [(600, 500), (300, 400)]]
    optimizer = OPTIMIZERS[name](params, **({} if name == "Rprop" else {"weight_decay": 0.1}))
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


def test_rprop_step_sizes_by_hand() -> None:
    """Growing while the sign holds, shrinking (and resting one step) when it flips, within
    ``step_sizes``."""
    param = mu.variable(np.array([1.0, 1.0, 1.0]))
    optimizer = Rprop([param], lr=0.1, etas=(0.5, 2.0), step_sizes=(0.04, 0.3))
    for gradient in ([1.0, 1.0, 0.0], [1.0, -1.0, 0.0], [1.0, 1.0, 0.0], [1.0, 1.0, 0.0]):
        optimizer.zero_grad()
        (param * mu.constant(np.array(gradient))).sum().backward()
        optimizer.step()
    state = optimizer.state[id(param)]
    # element 0: 0.1 (no previous gradient) -> 0.2 -> 0.3 (capped) -> 0.3; element 1: 0.1,
    # flips: 0.05 and rests (its gradient is forgotten), so 0.05 again, then 0.1; element 2
    # has no gradient and never moves.
    np.testing.assert_allclose(state["step_size"], [0.3, 0.1, 0.1])
    np.testing.assert_allclose(param.numpy(), [1 - 0.1 - 0.2 - 0.3 - 0.3,
                                               1 - 0.1 - 0.05 - 0.1, 1.0])

@pytest.mark.parametrize(("make", "error", "message"), [
    (lambda p: Adadelta(p, lr=-1.0), ValueError, "Adadelta: lr must be a finite number >= 0"),
    (lambda p: Adadelta(p, rho=1.5), ValueError, r"Adadelta: rho must lie in \[0, 1\]"),
    (lambda p: Adadelta(p, rho=-0.1), ValueError, "Adadelta: rho must be a finite number"),
    (lambda p: Adadelta(p, eps=float("nan")), ValueError, "Adadelta: eps"),
    (lambda p: Adadelta(p, weight_decay=-0.1), ValueError, "Adadelta: weight_decay"),
    (lambda p: Adamax(p, lr="0.1"), TypeError, "Adamax: lr must be a number"),  # type: ignore[arg-type]
    (lambda p: Adamax(p, betas=(0.9, 1.0)), ValueError, r"Adamax: betas must each lie"),
    (lambda p: Adamax(p, eps=-1e-8), ValueError, "Adamax: eps"),
    (lambda p: Adamax(p, weight_decay=-1.0), ValueError, "Adamax: weight_decay"),
    (lambda p: NAdam(p, momentum_decay=-4e-3), ValueError, "NAdam: momentum_decay"),
    (lambda p: NAdam(p, betas=0.9), TypeError, "NAdam: betas must be a pair"),  # type: ignore[arg-type]
    (lambda p: NAdam(p, decoupled_weight_decay=1), TypeError,  # type: ignore[arg-type]
     "NAdam: decoupled_weight_decay must be True or False"),
    (lambda p: NAdam(p, lr=float("inf")), ValueError, "NAdam: lr"),
    (lambda p: RAdam(p, betas=(1.0, 0.9)), ValueError, "RAdam: betas must each lie"),
    (lambda p: RAdam(p, eps=-1.0), ValueError, "RAdam: eps"),
    (lambda p: RAdam(p, weight_decay=-1.0), ValueError, "RAdam: weight_decay"),
    (lambda p: RAdam([{"params": p, "momentum": 0.9}]), ValueError, "RAdam: unknown option"),
    (lambda p: Adadelta([]), ValueError, "Adadelta: got an empty list"),
    (lambda p: ASGD(p, lambd=-1.0), ValueError, "ASGD: lambd must be a finite number >= 0"),
    (lambda p: ASGD(p, t0=float("inf")), ValueError, "ASGD: t0"),
    (lambda p: Rprop(p, etas=(1.5, 2.0)), ValueError,
     "Rprop: etas must satisfy 0 < etaminus < 1 < etaplus"),
    (lambda p: Rprop(p, etas=0.5), TypeError, "Rprop: etas must be a pair"),  # type: ignore[arg-type]
    (lambda p: Rprop(p, step_sizes=(1.0, 0.1)), ValueError, "Rprop: step_sizes must have min"),
    (lambda p: Rprop(p, step_sizes=(-1.0, 1.0)), ValueError, r"Rprop: step_sizes\[0\]"),
    (lambda p: Rprop(p, weight_decay=0.1), TypeError, "weight_decay"),  # type: ignore[call-arg]
])
def test_bad_options(make: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        make([mu.variable(np.ones(3))])


def test_public_paths() -> None:
    for name, optimizer in OPTIMIZERS.items():
        assert getattr(mu.nn.optimizers, name) is optimizer
        assert getattr(mu.optim, name) is optimizer
