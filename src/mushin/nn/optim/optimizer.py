"""The base of every optimizer: parameter groups, option checks, state dicts, and the one place
that picks an update's CUDA kernel or its portable in-place steps.

Parameters arrive as an iterable of ``Variable``s or as PyTorch-style *parameter groups* (a list
of dicts, each with ``"params"`` and any per-group options), each group's options live in
``optimizer.param_groups`` (so a scheduler, or the user, can change ``group["lr"]`` between
steps), and the per-parameter state round-trips through ``state_dict`` / ``load_state_dict``.

An optimizer (``sgd.py``, ``adam.py``, ``rmsprop.py``, ``adagrad.py``) gives three methods:
``_step_terms`` gathers one step's state buffers and factors, which ``_portable_update`` (NumPy-
style in-place steps, any array module) and ``_cuda_update`` (one fused CUDA kernel) both take;
``Optimizer._update`` runs the kernel where :func:`mushin.kernels.cuda.fusable` takes the
parameter and its gradient, else the portable steps. The helpers of the updates are in
``_inplace.py``; ``as_mapping`` and ``as_sequence`` serve the schedulers too.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeGuard, cast

import numpy as np

from mushin._backend import Array, backend_of, namespace_of
from mushin._check import as_mapping, as_sequence, is_int, number
from mushin._graph import enable_grad
from mushin._tensor import (
    Constant,
    Tensor,
    Variable,
    new_constant,
    storage,
    stored_grad,
    unwrap,
    writable,
)
from mushin.kernels import cuda

if TYPE_CHECKING:
    from mushin.nn.module import Parameter

_SCHEDULER_KEYS = ("initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum")
"""Group keys that learning-rate schedulers add (PyTorch's: every scheduler's ``initial_lr``,
OneCycleLR's and CyclicLR's rate and momentum bounds): kept and saved, never refused."""


# --- checking what users pass: each helper takes any object and returns it typed ----------

def _non_negative(owner: str, key: str, value: object) -> float:
    checked = number(owner, key, value)
    if not checked >= 0.0 or math.isinf(checked):
        raise ValueError(f"{owner}: {key} must be a finite number >= 0, got {value!r}")
    return checked


def _flag(owner: str, key: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{owner}: {key} must be True or False, got {value!r}")
    return value


def _betas(owner: str, key: str, value: object) -> tuple[float, float]:
    pair = as_sequence(value)
    if pair is None or len(pair) != 2:
        raise TypeError(f"{owner}: {key} must be a pair of numbers (beta1, beta2), "
                        f"got {value!r}")
    first, second = (_non_negative(owner, f"{key}[{index}]", beta)
                     for index, beta in enumerate(pair))
    if first >= 1.0 or second >= 1.0:
        raise ValueError(f"{owner}: {key} must each lie in [0, 1), got {value!r}")
    return first, second


def _fraction(owner: str, key: str, value: object) -> float:
    checked = _non_negative(owner, key, value)
    if checked > 1.0:
        raise ValueError(f"{owner}: {key} must lie in [0, 1], got {value!r}")
    return checked


def _optional_flag(owner: str, key: str, value: object) -> bool | None:
    """PyTorch's ``foreach`` / ``fused``: None or a bool. They pick an implementation, not a
    result, so mushin accepts them and updates the same way (fused CUDA kernels are used
    wherever they apply)."""
    if value is not None and not isinstance(value, bool):
        raise TypeError(f"{owner}: {key} must be None, True or False, got {value!r}")
    return value


def _unsupported_flag(owner: str, key: str, value: object) -> bool:
    """PyTorch's ``differentiable`` / ``capturable``: only False is supported."""
    if _flag(owner, key, value):
        reason = ("mushin's updates run in place outside the graph" if key == "differentiable"
                  else "mushin does not capture CUDA graphs")
        raise ValueError(f"{owner}: {key}=True is not supported ({reason}); pass False")
    return False


def _count(owner: str, key: str, value: object) -> int:
    """A positive int (L-BFGS's ``max_iter``, ``max_eval``, ``history_size``)."""
    if not is_int(value) or value < 1:
        raise ValueError(f"{owner}: {key} must be an int >= 1, got {value!r}")
    return int(value)


def _line_search(owner: str, key: str, value: object) -> str | None:
    if value is not None and value != "strong_wolfe":
        raise ValueError(f"{owner}: {key} must be None or 'strong_wolfe', got {value!r}")
    return None if value is None else "strong_wolfe"


def _etas(owner: str, key: str, value: object) -> tuple[float, float]:
    """Rprop's ``(etaminus, etaplus)``: ``0 < etaminus < 1 < etaplus``."""
    pair = as_sequence(value)
    if pair is None or len(pair) != 2:
        raise TypeError(f"{owner}: {key} must be a pair of numbers, got {value!r}")
    minus, plus = (_non_negative(owner, f"{key}[{index}]", eta)
                   for index, eta in enumerate(pair))
    if not 0.0 < minus < 1.0 < plus:
        raise ValueError(f"{owner}: {key} must satisfy 0 < etaminus < 1 < etaplus, got "
                         f"{value!r}")
    return minus, plus


def _step_sizes(owner: str, key: str, value: object) -> tuple[float, float]:
    """Rprop's ``(min, max)`` step sizes."""
    pair = as_sequence(value)
    if pair is None or len(pair) != 2:
        raise TypeError(f"{owner}: {key} must be a pair of numbers (min, max), got {value!r}")
    low, high = (_non_negative(owner, f"{key}[{index}]", size)
                 for index, size in enumerate(pair))
    if low > high:
        raise ValueError(f"{owner}: {key} must have min <= max, got {value!r}")
    return low, high


_SPECIAL_CHECKS: dict[str, Callable[[str, str, object], object]] = {
    "betas": _betas, "nesterov": _flag, "amsgrad": _flag, "centered": _flag,
    "decoupled_weight_decay": _flag, "rho": _fraction, "maximize": _flag,
    "foreach": _optional_flag, "fused": _optional_flag, "differentiable": _unsupported_flag,
    "capturable": _unsupported_flag, "max_iter": _count, "max_eval": _count,
    "history_size": _count, "line_search_fn": _line_search, "etas": _etas,
    "step_sizes": _step_sizes}
"""Options that are not plain non-negative numbers."""

_IMPLEMENTATION_FLAGS = ("maximize", "foreach", "fused", "differentiable", "capturable",
                         "decoupled_weight_decay")
"""Options PyTorch added over time: a saved group without them (an older state dict) loads
with the optimizer's defaults, as PyTorch's ``__setstate__`` fills them in."""


def _checked_options(owner: str, options: Mapping[str, object]) -> dict[str, Any]:
    """``options`` validated and normalised (numbers become Python floats)."""
    checked: dict[str, Any] = {}
    for key, value in options.items():
        check = _SPECIAL_CHECKS.get(key)
        checked[key] = _non_negative(owner, key, value) if check is None else check(
            owner, key, value)
    if checked.get("nesterov") and (checked["momentum"] <= 0 or checked["dampening"] != 0):
        raise ValueError(f"{owner}: nesterov=True needs momentum > 0 and dampening = 0, got "
                         f"momentum={checked['momentum']}, dampening={checked['dampening']}")
    return checked


def _parameter_entries(owner: str, params: object) -> list[object]:
    """The entries of an optimizer's ``params`` argument (Variables or group dicts)."""
    kind = type(params).__name__
    if isinstance(params, Tensor | Mapping | str) or not isinstance(params, Iterable):
        raise TypeError(f"{owner}: params must be an iterable of Variables or of "
                        f"parameter-group dicts, got {kind}")
    return list(cast("Iterable[object]", params))


def _is_variable(value: object) -> TypeGuard[Parameter]:
    return isinstance(value, Variable)


def _variables(owner: str, params: object) -> list[Parameter]:
    """A group's ``params`` (one Variable or an iterable of them) as a checked list."""
    kind = type(params).__name__
    if isinstance(params, Tensor):
        entries: list[object] = [params]
    elif isinstance(params, Iterable) and not isinstance(params, Mapping | str):
        entries = list(cast("Iterable[object]", params))
    else:
        raise TypeError(f"{owner}: a group's 'params' must be an iterable of Variables, got "
                        f"{kind}")
    variables: list[Parameter] = []
    for position, param in enumerate(entries):
        if _is_variable(param):
            if not param.is_leaf:
                raise ValueError(f"{owner}: parameter {position} is the result of "
                                 f"'{param.grad_fn}', not a leaf: an optimizer can only "
                                 "update leaves (parameters, made directly)")
            variables.append(param)
        elif isinstance(param, Constant):
            raise TypeError(f"{owner}: parameter {position} is a Constant, which has no "
                            "gradient to follow; make it trainable with .unfreeze() (or "
                            "create it with mu.variable)")
        else:
            raise TypeError(f"{owner}: parameter {position} must be a Variable, got "
                            f"{type(param).__name__}")
    return variables


def _scalar_value(where: str, key: str, value: Any) -> float:
    """A saved scalar state entry (a number, or a one-element array or tensor) as a float."""
    scalar = value.numpy() if isinstance(value, Tensor) else value
    if hasattr(scalar, "shape") and scalar.size == 1 and scalar.dtype.kind in "fiu":
        scalar = scalar.reshape(()).item()
    if isinstance(scalar, bool) or not isinstance(scalar, int | float):
        raise ValueError(f"{where}: {key!r} must be a number, got {value!r}")
    return float(scalar)


def _step_count(where: str, value: Any) -> int:
    """A saved step count (an int, or a one-element array or tensor holding a whole number:
    PyTorch keeps its step counts as float tensors) as an int."""
    count = value.numpy() if isinstance(value, Tensor) else value
    if hasattr(count, "shape") and count.size == 1 and count.dtype.kind in "iuf":
        count = count.reshape(()).item()
        if isinstance(count, float) and count.is_integer():
            count = int(count)
    if not is_int(count) or count < 0:
        raise ValueError(f"{where}: 'step' must be an int >= 0, got {value!r}")
    return int(count)


def gradient_array(param: Parameter) -> Array | None:
    """``param``'s gradient as a backend array (None without one); never written to."""
    grad = stored_grad(param)
    if grad is None:
        return None
    if isinstance(grad, Tensor):  # recorded by backward(create_graph=True)
        return storage(grad)
    if isinstance(grad, np.generic):  # a 0-d gradient NumPy made a scalar
        return np.asarray(cast(Any, grad))
    array: Array = grad
    return array


def _call_closure(owner: str, closure: Callable[[], Any] | None) -> Any:
    """Run an optimizer's ``closure`` with recording on; its loss (None without one)."""
    if closure is None:
        return None
    if not callable(closure):
        raise TypeError(f"{owner}.step: closure must be a function returning the loss, got "
                        f"{type(closure).__name__}")
    with enable_grad():
        return closure()


def _saved(value: Any) -> Any:
    """A state entry as ``state_dict`` gives it: numbers, strings and None as they are, lists
    entry by entry, arrays as ``Constant`` copies."""
    if value is None or isinstance(value, int | float | str):
        return value
    entries = as_sequence(value)
    if entries is not None:
        return [_saved(entry) for entry in entries]
    return new_constant(value.copy())


class Optimizer(ABC):
    """The common base: parameter groups, per-parameter state, ``zero_grad`` and state dicts.

    A subclass gives ``__init__`` the defaults of every option it takes, names its
    per-parameter state (``_core_state``: present once a parameter has been stepped;
    ``_optional_state``: present for some options only), and implements ``_step_terms``,
    ``_portable_update`` and ``_cuda_update`` for one parameter (see :meth:`_update`).
    """

    _core_state: tuple[str, ...] = ()
    _optional_state: tuple[str, ...] = ()
    _scalar_state: tuple[str, ...] = ()
    """State entries (of ``_core_state``) that are Python floats, not arrays (NAdam's
    ``mu_product``); saved and loaded as floats."""

    def __init__(self, params: Iterable[Parameter | dict[str, Any]],
                 defaults: dict[str, Any]) -> None:
        """Register ``params`` (Variables, or a list of parameter-group dicts)."""
        name = type(self).__name__
        self.defaults = _checked_options(name, defaults)
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[int, dict[str, Any]] = {}
        """Per-parameter state (buffers and step counts), keyed by ``id`` of the parameter."""
        self._scratch_space: dict[tuple[str, Any, int], Array] = {}
        """Flat temporaries by (device, dtype, slot), for ``_scratch``; not part of the
        state."""
        entries = _parameter_entries(name, params)
        if not entries:
            raise ValueError(f"{name}: got an empty list of parameters")
        groups = [group for group in map(as_mapping, entries) if group is not None]
        if len(groups) == len(entries):
            for group in groups:
                self.add_param_group(dict(group))
        elif groups:
            raise TypeError(f"{name}: params mixes Variables and parameter-group dicts; give "
                            "either Variables or dicts, one per group")
        else:
            self.add_param_group({"params": entries})

    def add_param_group(self, group: dict[str, Any]) -> None:
        """Add a group: a dict with ``"params"`` and options that override the defaults."""
        name = type(self).__name__
        if as_mapping(group) is None:
            raise TypeError(f"{name}: a parameter group must be a dict, got "
                            f"{type(group).__name__}")
        if "params" not in group:
            raise ValueError(f"{name}: a parameter group needs a 'params' entry")
        unknown = sorted(set(group) - {"params", *self.defaults, *_SCHEDULER_KEYS})
        if unknown:
            raise ValueError(f"{name}: unknown option(s) {', '.join(map(repr, unknown))} in a "
                             f"parameter group; {name} takes {', '.join(self.defaults)}")
        params = _variables(name, group["params"])
        if not params:
            raise ValueError(f"{name}: a parameter group has an empty 'params' list")
        known = {id(param) for existing in self.param_groups for param in existing["params"]}
        if len({id(param) for param in params}) != len(params) or any(
                id(param) in known for param in params):
            raise ValueError(f"{name}: a parameter appears more than once (in one group or "
                             "in several); give each parameter once")
        options = {key: value for key, value in group.items() if key != "params"}
        self.param_groups.append({"params": params,
                                  **_checked_options(name, {**self.defaults, **options})})

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient: forget it (``set_to_none``, PyTorch's default) or
        set it to zeros; ``grad()`` reads zeros until the next backward either way."""
        for group in self.param_groups:
            for param in group["params"]:
                if set_to_none:
                    param._replace_grad(None)
                else:
                    data = storage(param)
                    param._replace_grad(namespace_of(data).zeros_like(data))

    def _scratch(self, like: Array, slot: int = 0) -> Array:
        """An uninitialised array of ``like``'s shape, dtype and device, valid until the next
        call with the same ``slot``: one buffer per device, dtype and slot, the size of the
        largest parameter, serves every update, so a step allocates no temporaries."""
        key = (backend_of(like).device, like.dtype, slot)
        flat = self._scratch_space.get(key)
        size = int(like.size)
        if flat is None or flat.size < size:
            flat = self._scratch_space[key] = namespace_of(like).empty(size, dtype=like.dtype)
        return flat[:size].reshape(like.shape)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient, in place.

        ``closure`` (optional, PyTorch's): a function that clears the gradients, recomputes
        the loss, calls ``backward`` and returns the loss. It is called first, with recording
        on (even inside ``no_grad``), and its loss is returned; without it ``step`` returns
        None. A group with ``maximize=True`` follows the gradient uphill.
        """
        loss = _call_closure(type(self).__name__, closure)
        for group in self.param_groups:
            maximize = group.get("maximize", False)
            for param in group["params"]:
                grad = gradient_array(param)
                if grad is None:
                    continue
                if maximize:  # a new array: the gradient itself may be shared
                    grad = namespace_of(grad).negative(grad)
                state = self.state.get(id(param))
                if state is None:
                    state = self.state[id(param)] = {}
                self._update(writable(param), grad, state, group)
        return loss

    def _update(self, param: Array, grad: Array, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        """Update one parameter array in place; ``grad`` is never written to.

        The one choice between the forms of an update: one fused CUDA kernel (a single launch
        where the portable steps take 6 to 14) for float32 or float64 CuPy arrays whose
        gradient has the parameter's shape and dtype; on the CPU, the optimizer's fused kernel
        where it has one that takes the arrays (``_cpu_update``); the portable in-place steps
        elsewhere.
        """
        terms = self._step_terms(param, state, group)
        if cuda.fusable(param, grad):
            self._cuda_update(param, grad, terms)
        elif not self._cpu_update(param, grad, terms):
            self._portable_update(param, grad, terms)

    def _cpu_update(self, param: Array, grad: Array, terms: Any) -> bool:
        """The update as one fused CPU kernel (``mushin.kernels.cpu``), where this optimizer
        has one and it takes the arrays: whether it ran."""
        return False

    @abstractmethod
    def _step_terms(self, param: Array, state: dict[str, Any], group: dict[str, Any]) -> Any:
        """This step's state buffers (created on first use, step count advanced) and factors,
        which both update forms take."""

    @abstractmethod
    def _portable_update(self, param: Array, grad: Array, terms: Any) -> None:
        """The update as in-place array operations, for any array module."""

    @abstractmethod
    def _cuda_update(self, param: Array, grad: Array, terms: Any) -> None:
        """The update as one CUDA kernel, on arrays that :func:`cuda.fusable` takes."""

    # --- state dicts ---------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """A snapshot of the optimizer, PyTorch's layout.

        ``{"state": {index: {name: value}}, "param_groups": [{option: value, "params":
        [index, ...]}]}``: parameters are numbered from 0 across the groups in order; buffers
        are ``Constant`` copies on the parameters' device, step counts are ints.
        """
        state: dict[int, dict[str, Any]] = {}
        groups: list[dict[str, Any]] = []
        index = 0
        for group in self.param_groups:
            indices: list[int] = []
            for param in group["params"]:
                entry = self.state.get(id(param))
                if entry:
                    state[index] = {key: _saved(value) for key, value in entry.items()}
                indices.append(index)
                index += 1
            options = {key: value for key, value in group.items() if key != "params"}
            groups.append({**options, "params": indices})
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore a ``state_dict()``: options, step counts and buffers.

        The parameters must match the saved ones group by group (counts and shapes); every
        entry is checked before anything changes. Buffers are copied to each parameter's
        device and dtype.
        """
        where = f"{type(self).__name__}.load_state_dict"
        given = as_mapping(state_dict)
        if given is None or set(given) != {"state", "param_groups"}:
            described = f"the keys {sorted(map(str, given))}" if given is not None else (
                f"a {type(state_dict).__name__}")
            raise ValueError(f"{where}: expected a dict with the keys 'state' and "
                             f"'param_groups' (from state_dict()), got {described}")
        saved_groups = as_sequence(given["param_groups"])
        if saved_groups is None or len(saved_groups) != len(self.param_groups):
            count = "no list of" if saved_groups is None else len(saved_groups)
            raise ValueError(f"{where}: the state has {count} parameter group(s), this "
                             f"optimizer has {len(self.param_groups)}")
        params_by_index: dict[object, Parameter] = {}
        new_options: list[dict[str, Any]] = []
        for position, (saved, group) in enumerate(zip(saved_groups, self.param_groups,
                                                      strict=True)):
            saved_group = as_mapping(saved)
            if saved_group is None:
                raise ValueError(f"{where}: group {position} must be a dict, got "
                                 f"{type(saved).__name__}")
            new_options.append(self._loaded_options(f"{where}: group {position}", saved_group))
            indices = as_sequence(saved_group.get("params"))
            if indices is None or len(indices) != len(group["params"]):
                count = "no list of" if indices is None else len(indices)
                raise ValueError(f"{where}: group {position} has {count} parameter(s) in the "
                                 f"state, {len(group['params'])} here")
            for index, param in zip(indices, group["params"], strict=True):
                if not is_int(index) or index in params_by_index:
                    raise ValueError(f"{where}: parameter indices must be distinct ints, got "
                                     f"{index!r} in group {position}")
                params_by_index[index] = param
        saved_state = as_mapping(given["state"])
        if saved_state is None:
            raise ValueError(f"{where}: 'state' must be a dict of parameter index -> state, "
                             f"got {type(given['state']).__name__}")
        new_state: dict[int, dict[str, Any]] = {}
        for index, entry in saved_state.items():
            param = params_by_index.get(index)
            if param is None:
                raise ValueError(f"{where}: the state names parameter {index!r}, which no "
                                 "group lists")
            if entry:
                new_state[id(param)] = self._loaded_entry(
                    f"{where}: state of parameter {index}", entry, param)
        for group, options in zip(self.param_groups, new_options, strict=True):
            params = group["params"]
            group.clear()
            group.update({"params": params, **options})
        self.state = new_state

    def _loaded_options(self, where: str, saved: Mapping[Any, Any]) -> dict[str, Any]:
        """A saved group's options, checked."""
        keys = set(saved) - {"params"}
        missing = sorted(set(self.defaults) - keys - set(_IMPLEMENTATION_FLAGS))
        unknown = sorted(map(str, keys - set(self.defaults) - set(_SCHEDULER_KEYS)))
        if missing or unknown:
            raise ValueError(f"{where} has the wrong options (missing: {missing or 'none'}; "
                             f"unknown: {unknown or 'none'})")
        return _checked_options(where, {**self.defaults, **{
            str(key): value for key, value in saved.items() if key != "params"}})

    def _loaded_entry(self, where: str, entry: object, param: Parameter) -> dict[str, Any]:
        """A saved parameter state, checked and moved to the parameter's device and dtype."""
        saved = as_mapping(entry)
        if saved is None:
            raise ValueError(f"{where} must be a dict, got {type(entry).__name__}")
        keys = set(saved)
        missing = sorted(set(self._core_state) - keys)
        unknown = sorted(map(str, keys - set(self._core_state) - set(self._optional_state)))
        if missing or unknown:
            raise ValueError(f"{where} has the wrong entries (missing: {missing or 'none'}; "
                             f"unknown: {unknown or 'none'})")
        loaded: dict[str, Any] = {}
        target = backend_of(storage(param))
        for key, value in saved.items():
            if key == "step":
                loaded[key] = _step_count(where, value)
                continue
            if key in self._scalar_state:
                loaded[str(key)] = _scalar_value(where, str(key), value)
                continue
            kind = type(value).__name__
            array: Any = unwrap(value)
            if not hasattr(array, "shape") or not hasattr(array, "dtype"):
                raise ValueError(f"{where}: {key!r} must be a tensor or an array, got {kind}")
            if tuple(array.shape) != param.shape:
                raise ValueError(f"{where}: {key!r} has shape {tuple(array.shape)}, but the "
                                 f"parameter has shape {param.shape}")
            loaded[str(key)] = target.asarray(array, dtype=storage(param).dtype).copy()
        return loaded
