"""Optimizers: update parameters in place from their gradients, with PyTorch's update rules.

``SGD``, ``Adam``, ``AdamW``, ``RMSprop`` and ``Adagrad`` share the :class:`Optimizer` base:
parameters arrive as an iterable of ``Variable``s or as PyTorch-style *parameter groups* (a list
of dicts, each with ``"params"`` and any per-group options), each group's options live in
``optimizer.param_groups`` (so a scheduler, or the user, can change ``group["lr"]`` between
steps), and the per-parameter state round-trips through ``state_dict`` / ``load_state_dict``.

``step()`` writes into each parameter's array with the array module's in-place operations
(NumPy or CuPy: the parameter's own namespace), in the parameter's dtype, and in the steady
state allocates no arrays: every arithmetic step writes (``out=`` or an in-place operator) into
a state buffer or into the optimizer's shared scratch arrays. It only ever *reads* a gradient:
the engine may share one gradient array between several tensors, so a gradient that must
change (L2 weight decay) is written into scratch.
"""

from __future__ import annotations

import math
import numbers
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeGuard, cast

import numpy as np

from mushin import _cuda
from mushin._backend import Array, backend_of, namespace_of
from mushin._tensor import Constant, Tensor, Variable, _new_constant
from mushin.nn.module import Parameter

_SCHEDULER_KEYS = ("initial_lr",)
"""Group keys that learning-rate schedulers add (PyTorch's): kept and saved, never refused."""


# --- checking what users pass: each helper takes any object and returns it typed ----------

def _sequence(value: object) -> list[Any] | None:
    """The items of ``value`` if it is a list or a tuple, else ``None``."""
    if isinstance(value, list | tuple):
        return list(cast("Sequence[Any]", value))
    return None


def _mapping(value: object) -> Mapping[Any, Any] | None:
    """``value`` if it is a mapping, else ``None``."""
    return cast("Mapping[object, Any]", value) if isinstance(value, Mapping) else None


def _non_negative(owner: str, key: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {key} must be a number, got {value!r}")
    number = float(value)
    if not number >= 0.0 or math.isinf(number):
        raise ValueError(f"{owner}: {key} must be a finite number >= 0, got {value!r}")
    return number


def _flag(owner: str, key: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{owner}: {key} must be True or False, got {value!r}")
    return value


def _betas(owner: str, key: str, value: object) -> tuple[float, float]:
    pair = _sequence(value)
    if pair is None or len(pair) != 2:
        raise TypeError(f"{owner}: {key} must be a pair of numbers (beta1, beta2), "
                        f"got {value!r}")
    first, second = (_non_negative(owner, f"{key}[{index}]", beta)
                     for index, beta in enumerate(pair))
    if first >= 1.0 or second >= 1.0:
        raise ValueError(f"{owner}: {key} must each lie in [0, 1), got {value!r}")
    return first, second


_SPECIAL_CHECKS: dict[str, Callable[[str, str, object], object]] = {
    "betas": _betas, "nesterov": _flag, "amsgrad": _flag, "centered": _flag}
"""Options that are not plain non-negative numbers."""


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


class Optimizer(ABC):
    """The common base: parameter groups, per-parameter state, ``zero_grad`` and state dicts.

    A subclass gives ``__init__`` the defaults of every option it takes, names its
    per-parameter state (``_core_state``: present once a parameter has been stepped;
    ``_optional_state``: present for some options only), and implements ``_update`` for one
    parameter.
    """

    _core_state: tuple[str, ...] = ()
    _optional_state: tuple[str, ...] = ()

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
        groups = [group for group in map(_mapping, entries) if group is not None]
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
        if _mapping(group) is None:
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

    def zero_grad(self) -> None:
        """Clear every parameter's gradient (it reads as zeros until the next backward)."""
        for group in self.param_groups:
            for param in group["params"]:
                param._replace_grad(None)

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

    def step(self) -> None:
        """Update every parameter that has a gradient, in place."""
        for group in self.param_groups:
            for param in group["params"]:
                grad = param._grad
                if grad is None:
                    continue
                if isinstance(grad, Tensor):  # recorded by backward(create_graph=True)
                    grad = grad._data
                elif isinstance(grad, np.generic):  # a 0-d gradient NumPy made a scalar
                    grad = np.asarray(cast(Any, grad))
                state = self.state.get(id(param))
                if state is None:
                    state = self.state[id(param)] = {}
                self._update(param._data, grad, state, group)

    @abstractmethod
    def _update(self, param: Array, grad: Array, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        """Update one parameter array in place; ``grad`` must not be written to."""

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
                    state[index] = {key: value if isinstance(value, int)
                                    else _new_constant(value.copy())
                                    for key, value in entry.items()}
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
        given = _mapping(state_dict)
        if given is None or set(given) != {"state", "param_groups"}:
            described = f"the keys {sorted(map(str, given))}" if given is not None else (
                f"a {type(state_dict).__name__}")
            raise ValueError(f"{where}: expected a dict with the keys 'state' and "
                             f"'param_groups' (from state_dict()), got {described}")
        saved_groups = _sequence(given["param_groups"])
        if saved_groups is None or len(saved_groups) != len(self.param_groups):
            count = "no list of" if saved_groups is None else len(saved_groups)
            raise ValueError(f"{where}: the state has {count} parameter group(s), this "
                             f"optimizer has {len(self.param_groups)}")
        params_by_index: dict[object, Parameter] = {}
        new_options: list[dict[str, Any]] = []
        for position, (saved, group) in enumerate(zip(saved_groups, self.param_groups,
                                                      strict=True)):
            saved_group = _mapping(saved)
            if saved_group is None:
                raise ValueError(f"{where}: group {position} must be a dict, got "
                                 f"{type(saved).__name__}")
            new_options.append(self._loaded_options(f"{where}: group {position}", saved_group))
            indices = _sequence(saved_group.get("params"))
            if indices is None or len(indices) != len(group["params"]):
                count = "no list of" if indices is None else len(indices)
                raise ValueError(f"{where}: group {position} has {count} parameter(s) in the "
                                 f"state, {len(group['params'])} here")
            for index, param in zip(indices, group["params"], strict=True):
                if isinstance(index, bool) or not isinstance(index, int) or (
                        index in params_by_index):
                    raise ValueError(f"{where}: parameter indices must be distinct ints, got "
                                     f"{index!r} in group {position}")
                params_by_index[index] = param
        saved_state = _mapping(given["state"])
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
        missing = sorted(set(self.defaults) - keys)
        unknown = sorted(map(str, keys - set(self.defaults) - set(_SCHEDULER_KEYS)))
        if missing or unknown:
            raise ValueError(f"{where} has the wrong options (missing: {missing or 'none'}; "
                             f"unknown: {unknown or 'none'})")
        return _checked_options(where, {str(key): value for key, value in saved.items()
                                        if key != "params"})

    def _loaded_entry(self, where: str, entry: object, param: Parameter) -> dict[str, Any]:
        """A saved parameter state, checked and moved to the parameter's device and dtype."""
        saved = _mapping(entry)
        if saved is None:
            raise ValueError(f"{where} must be a dict, got {type(entry).__name__}")
        keys = set(saved)
        missing = sorted(set(self._core_state) - keys)
        unknown = sorted(map(str, keys - set(self._core_state) - set(self._optional_state)))
        if missing or unknown:
            raise ValueError(f"{where} has the wrong entries (missing: {missing or 'none'}; "
                             f"unknown: {unknown or 'none'})")
        loaded: dict[str, Any] = {}
        target = backend_of(param._data)
        for key, value in saved.items():
            if key == "step":
                loaded[key] = _step_count(where, value)
                continue
            kind = type(value).__name__
            array: Any = value._data if isinstance(value, Tensor) else value
            if not hasattr(array, "shape") or not hasattr(array, "dtype"):
                raise ValueError(f"{where}: {key!r} must be a tensor or an array, got {kind}")
            if tuple(array.shape) != param.shape:
                raise ValueError(f"{where}: {key!r} has shape {tuple(array.shape)}, but the "
                                 f"parameter has shape {param.shape}")
            loaded[str(key)] = target.asarray(array, dtype=param._data.dtype).copy()
        return loaded


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
            variables.append(param)
        elif isinstance(param, Constant):
            raise TypeError(f"{owner}: parameter {position} is a Constant, which has no "
                            "gradient to follow; make it trainable with .unfreeze() (or "
                            "create it with mu.variable)")
        else:
            raise TypeError(f"{owner}: parameter {position} must be a Variable, got "
                            f"{type(param).__name__}")
    return variables


def _step_count(where: str, value: Any) -> int:
    """A saved step count (an int, or a one-element integer array or tensor) as an int."""
    count = value.numpy() if isinstance(value, Tensor) else value
    if hasattr(count, "shape") and count.size == 1 and count.dtype.kind in "iu":
        count = count.reshape(()).item()
    if isinstance(count, bool) or not isinstance(count, numbers.Integral) or count < 0:
        raise ValueError(f"{where}: 'step' must be an int >= 0, got {value!r}")
    return int(count)


_PIECE = 1 << 16
"""Elements per slice when a large parameter is updated piecewise (see ``_pieces``)."""


def _pieces(*arrays: Array | None) -> list[tuple[Any, ...]]:
    """The same-shaped ``arrays`` (``None`` entries stay ``None``) as one tuple, or, for a
    large parameter whose arrays are all C-contiguous NumPy arrays, as aligned flat slices
    of ``_PIECE`` elements: the slices of every array (1 MiB in float32) stay in the core's
    cache from one in-place operation to the next, where whole arrays would stream through
    memory once per operation. A third faster for a million-element parameter; elementwise,
    so the values are the same. Not on GPUs, where each slice would be a kernel launch."""
    present = [array for array in arrays if array is not None]
    size = int(present[0].size)
    if size <= 4 * _PIECE or not all(type(array) is np.ndarray and array.flags.c_contiguous
                                     for array in present):
        return [arrays]
    flat = [None if array is None else array.reshape(-1) for array in arrays]
    return [tuple(None if array is None else array[start:start + _PIECE] for array in flat)
            for start in range(0, size, _PIECE)]


def _buffer(state: dict[str, Any], key: str, like: Array, fill: float = 0.0) -> Array:
    """The state buffer ``key``, created as ``like``-shaped ``fill`` on first use."""
    buffer = state.get(key)
    if buffer is None:
        buffer = state[key] = namespace_of(like).full_like(like, fill)
    return buffer


# Every step below writes into an existing array: a ufunc with ``out=`` or an in-place operator
# (NumPy turns the result of plain arithmetic on 0-d arrays into a scalar, and any other result
# would be a new array). The factors are Python floats, which never promote a float32 array.

def _decayed(grad: Array, param: Array, weight_decay: float, out: Array) -> Array:
    """``grad + weight_decay * param`` (L2 weight decay), written into ``out``."""
    decayed = namespace_of(param).multiply(param, weight_decay, out=out)
    decayed += grad
    return decayed


def _fused(xp: Any, param: Array, grad: Array) -> bool:
    """Whether the update runs as one fused CUDA kernel (``mushin._cuda``): on float32 or
    float64 CuPy arrays whose gradient has the parameter's dtype. Elsewhere the in-place
    steps below serve."""
    return _cuda.enabled(xp) and _cuda.fusable(param, grad)


def _count_step(state: dict[str, Any]) -> int:
    step: int = state.get("step", 0) + 1
    state["step"] = step
    return step


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum (heavy-ball or Nesterov) and L2
    weight decay added to the gradient: PyTorch's ``torch.optim.SGD``."""

    _optional_state = ("momentum_buffer",)

    def __init__(self, params: Iterable[Parameter | dict[str, Any]], lr: float,
                 momentum: float = 0.0, dampening: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0) -> None:
        """``lr`` is the learning rate; ``nesterov`` needs ``momentum > 0`` and no
        ``dampening``."""
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening,
                                  "nesterov": nesterov, "weight_decay": weight_decay})

    def _update(self, param: Array, grad: Array, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        # In place throughout: buf *= m; buf += g; p -= lr * buf, the products written into
        # the optimizer's scratch arrays, so a step allocates nothing; a large parameter is
        # updated one cache-sized slice at a time (_pieces).
        xp = namespace_of(param)
        momentum, weight_decay = group["momentum"], group["weight_decay"]
        lr, dampening, nesterov = group["lr"], group["dampening"], group["nesterov"]
        buffer = state.get("momentum_buffer") if momentum else None
        started = buffer is not None
        if momentum and buffer is None:
            buffer = state["momentum_buffer"] = xp.empty_like(param)
        if _fused(xp, param, grad):
            _cuda.sgd(param, grad, buffer, lr, weight_decay, momentum, 1.0 - dampening,
                      nesterov, started)
            return
        decayed = self._scratch(param, 1) if weight_decay else None
        for p, g, b, scratch, d in _pieces(param, grad, buffer, self._scratch(param), decayed):
            if d is not None:
                g = _decayed(g, p, weight_decay, out=d)
            if b is not None:
                if started:
                    b *= momentum
                    b += xp.multiply(g, 1.0 - dampening, out=scratch) if dampening else g
                else:  # the first step: the buffer starts as the gradient
                    b[...] = g
                if nesterov:
                    ahead = xp.multiply(b, momentum, out=scratch)
                    ahead += g
                    g = ahead
                else:
                    g = b
            p -= xp.multiply(g, lr, out=scratch)


class Adam(Optimizer):
    """Adam (Kingma & Ba), optionally AMSGrad, with L2 weight decay added to the gradient:
    PyTorch's ``torch.optim.Adam``."""

    _core_state = ("step", "exp_avg", "exp_avg_sq")
    _optional_state = ("max_exp_avg_sq",)
    _decoupled_weight_decay = False

    def __init__(self, params: Iterable[Parameter | dict[str, Any]],
                 lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False) -> None:
        """``betas`` are the decay rates of the first and second moment averages."""
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps,
                                  "weight_decay": weight_decay, "amsgrad": amsgrad})

    def _update(self, param: Array, grad: Array, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        # In place throughout, as SGD: state buffers and scratch, sliced by _pieces.
        xp = namespace_of(param)
        lr, weight_decay, eps = group["lr"], group["weight_decay"], group["eps"]
        beta1, beta2 = group["betas"]
        step = _count_step(state)
        shrink = 1.0 - lr * weight_decay if self._decoupled_weight_decay else 1.0
        exp_avg = _buffer(state, "exp_avg", param)
        exp_avg_sq = _buffer(state, "exp_avg_sq", param)
        largest = _buffer(state, "max_exp_avg_sq", param) if group["amsgrad"] else None
        correction2 = math.sqrt(1.0 - beta2 ** step)
        step_size = -lr / (1.0 - beta1 ** step)
        if _fused(xp, param, grad):
            _cuda.adam(param, grad, exp_avg, exp_avg_sq, largest, step_size, beta1, beta2,
                       correction2, eps, shrink,
                       0.0 if self._decoupled_weight_decay else weight_decay)
            return
        decayed = (self._scratch(param, 1)
                   if weight_decay and not self._decoupled_weight_decay else None)
        for p, g, m, v, top, scratch, d in _pieces(param, grad, exp_avg, exp_avg_sq, largest,
                                                   self._scratch(param), decayed):
            if shrink != 1.0:
                p *= shrink
            if d is not None:
                g = _decayed(g, p, weight_decay, out=d)
            xp.subtract(g, m, out=scratch)
            scratch *= 1.0 - beta1  # exp_avg moves (1 - beta1) of the way toward grad
            m += scratch
            xp.multiply(g, 1.0 - beta2, out=scratch)
            scratch *= g
            v *= beta2
            v += scratch
            if top is not None:
                xp.maximum(top, v, out=top)
                v = top
            xp.sqrt(v, out=scratch)
            scratch /= correction2
            scratch += eps
            xp.divide(m, scratch, out=scratch)
            scratch *= step_size
            p += scratch


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): each step first shrinks the
    parameters by ``lr * weight_decay``. PyTorch's ``torch.optim.AdamW``."""

    _decoupled_weight_decay = True

    def __init__(self, params: Iterable[Parameter | dict[str, Any]],
                 lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False) -> None:
        """As :class:`Adam`, with ``weight_decay`` decoupled (and 0.01 by default)."""
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)


class RMSprop(Optimizer):
    """RMSprop (Hinton): steps scaled by a running root mean square of the gradients,
    optionally centered and with momentum. PyTorch's ``torch.optim.RMSprop``."""

    _core_state = ("step", "square_avg")
    _optional_state = ("momentum_buffer", "grad_avg")

    def __init__(self, params: Iterable[Parameter | dict[str, Any]],
                 lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False) -> None:
        """``alpha`` is the decay rate of the mean square; ``centered`` subtracts the squared
        mean gradient (an estimate of the variance)."""
        super().__init__(params, {"lr": lr, "alpha": alpha, "eps": eps,
                                  "weight_decay": weight_decay, "momentum": momentum,
                                  "centered": centered})

    def _update(self, param: Array, grad: Array, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        # In place throughout, as SGD: state buffers and scratch, sliced by _pieces.
        xp = namespace_of(param)
        lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
        momentum, weight_decay = group["momentum"], group["weight_decay"]
        _count_step(state)
        square_avg = _buffer(state, "square_avg", param)
        grad_avg = _buffer(state, "grad_avg", param) if group["centered"] else None
        buffer = _buffer(state, "momentum_buffer", param) if momentum > 0 else None
        if _fused(xp, param, grad):
            _cuda.rmsprop(param, grad, square_avg, grad_avg, buffer, lr, alpha, eps,
                          weight_decay, momentum)
            return
        decayed = self._scratch(param, 1) if weight_decay else None
        for p, g, sq, avg, b, scratch, d in _pieces(param, grad, square_avg, grad_avg, buffer,
                                                    self._scratch(param), decayed):
            if d is not None:
                g = _decayed(g, p, weight_decay, out=d)
            xp.multiply(g, 1.0 - alpha, out=scratch)
            scratch *= g
            sq *= alpha
            sq += scratch
            if avg is not None:
                xp.subtract(g, avg, out=scratch)
                scratch *= 1.0 - alpha
                avg += scratch
                xp.multiply(avg, avg, out=scratch)
                xp.subtract(sq, scratch, out=scratch)
                xp.sqrt(scratch, out=scratch)
            else:
                xp.sqrt(sq, out=scratch)
            scratch += eps
            xp.divide(g, scratch, out=scratch)
            if b is not None:
                b *= momentum
                b += scratch
                xp.multiply(b, lr, out=scratch)
            else:
                scratch *= lr
            p -= scratch


class Adagrad(Optimizer):
    """Adagrad (Duchi et al.): steps scaled by the root of the summed squared gradients, with
    an optionally decaying learning rate. PyTorch's ``torch.optim.Adagrad``."""

    _core_state = ("step", "sum")

    def __init__(self, params: Iterable[Parameter | dict[str, Any]],
                 lr: float = 1e-2, lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10) -> None:
        """Step ``t`` uses the learning rate ``lr / (1 + (t - 1) * lr_decay)``; the sum of
        squares starts at ``initial_accumulator_value``."""
        super().__init__(params, {"lr": lr, "lr_decay": lr_decay, "weight_decay": weight_decay,
                                  "initial_accumulator_value": initial_accumulator_value,
                                  "eps": eps})

    def _update(self, param: Array, grad: Array, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        # In place throughout, as SGD: state buffers and scratch, sliced by _pieces.
        xp = namespace_of(param)
        step = _count_step(state)
        weight_decay, eps = group["weight_decay"], group["eps"]
        lr = group["lr"] / (1.0 + (step - 1) * group["lr_decay"])
        square_sum = _buffer(state, "sum", param, group["initial_accumulator_value"])
        if _fused(xp, param, grad):
            _cuda.adagrad(param, grad, square_sum, lr, eps, weight_decay)
            return
        decayed = self._scratch(param, 1) if weight_decay else None
        for p, g, total, scratch, d in _pieces(param, grad, square_sum, self._scratch(param),
                                               decayed):
            if d is not None:
                g = _decayed(g, p, weight_decay, out=d)
            xp.multiply(g, g, out=scratch)
            total += scratch
            xp.sqrt(total, out=scratch)
            scratch += eps
            xp.divide(g, scratch, out=scratch)
            scratch *= lr
            p -= scratch
