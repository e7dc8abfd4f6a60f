"""Recurrent layers: ``RNN``, ``LSTM`` and ``GRU``, with PyTorch's parameters and results.

Parameter names, shapes, registration order, gate order (LSTM: input, forget, cell, output;
GRU: reset, update, new) and initialisation (uniform on ``[-1/sqrt(hidden), 1/sqrt(hidden)]``)
are PyTorch's, so a ``state_dict`` moves between the two unchanged.

How a layer runs, for each stacked layer and direction: the input projection of every time
step is computed at once (``x @ weight_ih.T + bias`` over the whole sequence, one matrix
product per gate); the recurrence itself is one primitive (``rnn_sequence``,
``lstm_sequence``, ``gru_sequence``) whose forward loops over time on the backend arrays (one
matrix product and a few elementwise calls per step) and whose VJP is backpropagation
through time. One primitive for the whole loop, rather than some 10 operations per step,
saves their per-node overhead and, above all, slicing each step out of the projected
sequence: the gradient of such a slice is a sequence-sized array, once per step.

Everything inside runs time-major and *gate-major*: the projected input is ``(G, T, B, H)``
(G gates) and each step's gates are ``(G, B, H)``, so every per-gate array the loops touch
is contiguous; strided column slices of a ``(B, G * H)`` array cost several times more per
NumPy call at these sizes.

The LSTM and GRU primitives also receive a *workspace* operand: an uninitialised ``(T,
blocks, B, H)`` array that the forward fills with what the VJP needs from every step (gate
activations, cell states). Being an operand, it is saved and released with the node's
inputs, like any saved value. A backward with ``create_graph=True`` does not read it: the
VJP then recomputes those values from the inputs with recorded operations, so that second
derivatives see how they depend on the inputs.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Any, cast

from mushin._backend import namespace_of
from mushin._creation import zeros
from mushin._graph import Primitive
from mushin._tensor import Constant, ShapeError, Tensor, _new_constant, apply
from mushin.nn import init
from mushin.nn.module import Module
from mushin.nn.ops import dropout
from mushin.ops.shape import (
    concat,
    expand_dims,
    matrix_transpose,
    reshape,
    squeeze,
    stack,
    transpose,
)

# --- helpers shared by the primitives (F is the array or the tensor function set) ---------------


def _step_order(steps: int, reverse: bool) -> range:
    """The time steps in the order the recurrence visits them."""
    return range(steps - 1, -1, -1) if reverse else range(steps)


def _join(F: Any, parts: list[Any], axis: int) -> Any:
    """``parts`` concatenated along the non-negative ``axis``."""
    return F.concat(*parts, axis=axis, sizes=tuple(part.shape[axis] for part in parts))


def _stack(F: Any, parts: list[Any]) -> Any:
    """Equally shaped ``parts`` stacked along a new first axis."""
    return _join(F, [F.reshape(part, shape=(1, *part.shape)) for part in parts], 0)


def _gate_weights(xp: Any, weight_hh: Any) -> Any:
    """``weight_hh`` ``(G * H, H)`` as ``(G, H, H)`` with each gate's block transposed, so
    that ``state @ result`` is every gate's hidden projection, gate-major ``(G, B, H)``."""
    gates = weight_hh.shape[0] // weight_hh.shape[1]
    size = weight_hh.shape[1]
    return xp.ascontiguousarray(weight_hh.reshape(gates, size, size).transpose(0, 2, 1))


def _previous_states(F: Any, states: Any, initial: Any, reverse: bool) -> Any:
    """For every step of a ``(T, B, H)`` state sequence, the state that step started from:
    the one before it in visiting order, or ``initial``."""
    first = F.reshape(initial, shape=(1, *initial.shape))
    if reverse:
        return _join(F, [states[1:], first], 0)
    return _join(F, [first, states[:states.shape[0] - 1]], 0)


class _GateGradients:
    """The gradients of the gate pre-activations, gathered gate-major ``(G, T, B, H)`` as
    the backward loop produces them step by step.

    On the array pass every value is written straight into its place in one array (no
    sequence-sized copy at the end); on the recorded pass (``create_graph=True``) the values
    are kept and stacked.
    """

    def __init__(self, F: Any, gates: int, like: Any, steps: int) -> None:
        self.F = F
        self.buffer = None if F.graph_mode else F.xp.empty((gates, steps, *like.shape),
                                                            dtype=like.dtype)
        self.values: list[list[Any]] = [[None] * steps for _ in range(gates)]

    def product(self, gate: int, step: int, first: Any, second: Any) -> Any:
        """Record ``first * second`` as the gradient of ``gate`` at ``step``; returns it."""
        if self.buffer is None:
            value = first * second
        else:
            value = self.F.xp.multiply(first, second, out=self.buffer[gate, step])
        self.values[gate][step] = value
        return value

    def all(self) -> Any:
        """Everything recorded, ``(G, T, B, H)``."""
        if self.buffer is not None:
            return self.buffer
        return _stack(self.F, [_stack(self.F, per_step) for per_step in self.values])


def _weight_gradient(F: Any, grad_gates: Any, previous_hidden: Any) -> Any:
    """``weight_hh``'s gradient ``(G * H, H)`` from the gate-major pre-activation gradients
    ``(G, T, B, H)``: one product per gate over all the steps."""
    gates, steps, batch, size = grad_gates.shape
    flat = F.reshape(grad_gates, shape=(gates, steps * batch, size))
    hidden = F.reshape(previous_hidden, shape=(steps * batch, previous_hidden.shape[2]))
    return F.reshape(F.matrix_transpose(flat) @ hidden, shape=(gates * size, hidden.shape[1]))


def _sigmoid(F: Any, value: Any) -> Any:
    """The logistic function, in the form the forward computes it."""
    return 0.5 * F.tanh(0.5 * value) + 0.5


# --- Elman RNN -----------------------------------------------------------------------------------


def _rnn_forward(xp: Any, projected: Any, initial: Any, weight_hh: Any, nonlinearity: str,
                 reverse: bool) -> Any:
    """``h_t = act(projected_t + h_(t-1) @ weight_hh.T)`` for every step: ``(T, B, H)``."""
    _, steps, batch, size = projected.shape
    hidden = xp.empty((steps, batch, size), dtype=projected.dtype)
    weight_t = xp.ascontiguousarray(weight_hh.T)
    state = initial
    for step in _step_order(steps, reverse):
        pre_activation = state @ weight_t
        pre_activation += projected[0, step]
        state = hidden[step]
        if nonlinearity == "tanh":
            xp.tanh(pre_activation, out=state)
        else:
            xp.maximum(pre_activation, 0, out=state)
    return hidden


def _rnn_vjp(F: Any, grad: Any, inputs: Any, hidden: Any, parents: Any, nonlinearity: str,
             reverse: bool) -> tuple[Any, ...]:
    _, initial, weight_hh = inputs
    steps = hidden.shape[0]
    grad_pre = _GateGradients(F, 1, initial, steps)
    carry = None
    for step in reversed(_step_order(steps, reverse)):
        grad_hidden = grad[step] if carry is None else grad[step] + carry
        state = hidden[step]
        slope = 1 - state * state if nonlinearity == "tanh" else state > 0
        carry = grad_pre.product(0, step, grad_hidden, slope) @ weight_hh
    grad_projected = grad_pre.all()
    grad_weight = None
    if parents[2] is not None:
        grad_weight = _weight_gradient(F, grad_projected,
                                       _previous_states(F, hidden, initial, reverse))
    return grad_projected, carry, grad_weight


RNN_SEQUENCE = Primitive("rnn_sequence", _rnn_forward, _rnn_vjp, saves="both")


# --- LSTM ----------------------------------------------------------------------------------------


def _lstm_forward(xp: Any, projected: Any, initial_hidden: Any, initial_cell: Any,
                  weight_hh: Any, workspace: Any, reverse: bool) -> Any:
    """The LSTM over the sequence: ``(T + 1, B, H)``, the hidden state of every step and,
    at index ``T``, the final cell state. ``workspace`` ``(T, 6, B, H)`` receives each step's
    gate activations (i, f, g, o), cell state and its tanh.

    ``sigmoid(x) = tanh(x / 2) / 2 + 1/2``, so one ``tanh`` call activates all four gates.
    """
    _, steps, batch, size = projected.shape
    result = xp.empty((steps + 1, batch, size), dtype=projected.dtype)
    weights = _gate_weights(xp, weight_hh)
    hidden, cell = initial_hidden, initial_cell
    for step in _step_order(steps, reverse):
        saved = workspace[step]
        gates = saved[:4]
        pre_activation = xp.matmul(hidden, weights)
        pre_activation += projected[:, step]
        pre_activation[:2] *= 0.5
        pre_activation[3] *= 0.5
        xp.tanh(pre_activation, out=gates)
        for sigmoid_gates in (gates[:2], gates[3]):
            sigmoid_gates *= 0.5
            sigmoid_gates += 0.5
        new_cell = saved[4]
        xp.multiply(gates[1], cell, out=new_cell)
        new_cell += gates[0] * gates[2]
        xp.tanh(new_cell, out=saved[5])
        hidden = result[step]
        xp.multiply(gates[3], saved[5], out=hidden)
        cell = new_cell
    result[steps] = cell
    return result


def _lstm_recompute(F: Any, projected: Any, previous_hidden: Any, initial_cell: Any,
                    weight_hh: Any, reverse: bool) -> Any:
    """The workspace's values ``(T, 6, B, H)`` recomputed from the inputs and the hidden
    states with recorded operations (for ``create_graph=True``)."""
    size = weight_hh.shape[1]
    hidden_projection = previous_hidden @ F.matrix_transpose(weight_hh)
    pre_activation = [projected[gate] + hidden_projection[:, :, gate * size:(gate + 1) * size]
                      for gate in range(4)]
    input_gate, forget_gate, output_gate = (_sigmoid(F, pre_activation[gate])
                                            for gate in (0, 1, 3))
    cell_gate = F.tanh(pre_activation[2])
    steps = projected.shape[1]
    cells: list[Any] = [None] * steps
    cell = initial_cell
    for step in _step_order(steps, reverse):
        cell = forget_gate[step] * cell + input_gate[step] * cell_gate[step]
        cells[step] = cell
    all_cells = _stack(F, cells)
    values = [input_gate, forget_gate, cell_gate, output_gate, all_cells, F.tanh(all_cells)]
    return _join(F, [F.reshape(value, shape=(steps, 1, *value.shape[1:])) for value in values],
                 1)


def _lstm_vjp(F: Any, grad: Any, inputs: Any, result: Any, parents: Any,
              reverse: bool) -> tuple[Any, ...]:
    projected, initial_hidden, initial_cell, weight_hh, workspace = inputs
    steps = projected.shape[1]
    previous_hidden = _previous_states(F, result[:steps], initial_hidden, reverse)
    if F.graph_mode:
        workspace = _lstm_recompute(F, projected, previous_hidden, initial_cell, weight_hh,
                                    reverse)
    grad_pre = _GateGradients(F, 4, initial_cell, steps)
    carry_hidden = None
    carry_cell = grad[steps]
    order = _step_order(steps, reverse)
    for position in reversed(range(steps)):
        step = order[position]
        saved = workspace[step]
        input_gate, forget_gate, cell_gate, output_gate = saved[0], saved[1], saved[2], saved[3]
        tanh_cell = saved[5]
        previous_cell = workspace[order[position - 1]][4] if position else initial_cell
        grad_hidden = grad[step] if carry_hidden is None else grad[step] + carry_hidden
        grad_cell = grad_hidden * (output_gate * (1 - tanh_cell * tanh_cell)) + carry_cell
        # each gate's pre-activation: d(its activation) times the activation's slope
        gate_grads = [
            grad_pre.product(0, step, grad_cell * cell_gate, input_gate * (1 - input_gate)),
            grad_pre.product(1, step, grad_cell * previous_cell,
                             forget_gate * (1 - forget_gate)),
            grad_pre.product(2, step, grad_cell * input_gate, 1 - cell_gate * cell_gate),
            grad_pre.product(3, step, grad_hidden * tanh_cell, output_gate * (1 - output_gate)),
        ]
        carry_cell = grad_cell * forget_gate
        carry_hidden = _join(F, gate_grads, 1) @ weight_hh
    grad_projected = grad_pre.all()
    grad_weight = None
    if parents[3] is not None:
        grad_weight = _weight_gradient(F, grad_projected, previous_hidden)
    return grad_projected, carry_hidden, carry_cell, grad_weight, None


LSTM_SEQUENCE = Primitive("lstm_sequence", _lstm_forward, _lstm_vjp, saves="both")


# --- GRU -----------------------------------------------------------------------------------------


def _gru_forward(xp: Any, projected: Any, initial: Any, weight_hh: Any, bias_hh: Any,
                 workspace: Any, reverse: bool) -> Any:
    """The GRU over the sequence: the hidden state of every step, ``(T, B, H)``.

    ``workspace`` ``(T, 4, B, H)`` receives each step's reset and update gates, new gate and
    ``W_hn h + b_hn``. PyTorch's formulation: ``n = tanh(W_in x + b_in + r * (W_hn h +
    b_hn))``, ``h' = (1 - z) * n + z * h``.
    """
    _, steps, batch, size = projected.shape
    hidden_states = xp.empty((steps, batch, size), dtype=projected.dtype)
    weights = _gate_weights(xp, weight_hh)
    gate_bias = None if bias_hh is None else bias_hh.reshape(3, 1, size)
    state = initial
    for step in _step_order(steps, reverse):
        saved = workspace[step]
        hidden_projection = xp.matmul(state, weights)
        if gate_bias is not None:
            hidden_projection += gate_bias
        reset_update = saved[:2]
        xp.add(projected[:2, step], hidden_projection[:2], out=reset_update)
        reset_update *= 0.5
        xp.tanh(reset_update, out=reset_update)
        reset_update *= 0.5
        reset_update += 0.5
        saved[3] = hidden_projection[2]
        new_gate = saved[2]
        xp.multiply(saved[0], saved[3], out=new_gate)
        new_gate += projected[2, step]
        xp.tanh(new_gate, out=new_gate)
        next_state = hidden_states[step]
        xp.subtract(state, new_gate, out=next_state)
        next_state *= saved[1]
        next_state += new_gate
        state = next_state
    return hidden_states


def _gru_recompute(F: Any, projected: Any, previous_hidden: Any, weight_hh: Any,
                   bias_hh: Any) -> Any:
    """The workspace's values ``(T, 4, B, H)`` recomputed from the inputs and the hidden
    states with recorded operations (for ``create_graph=True``)."""
    size = weight_hh.shape[1]
    hidden_projection = previous_hidden @ F.matrix_transpose(weight_hh)
    if bias_hh is not None:
        hidden_projection = hidden_projection + bias_hh
    reset_gate, update_gate = (
        _sigmoid(F, projected[gate] + hidden_projection[:, :, gate * size:(gate + 1) * size])
        for gate in (0, 1))
    hidden_new = hidden_projection[:, :, 2 * size:]
    new_gate = F.tanh(projected[2] + reset_gate * hidden_new)
    steps = projected.shape[1]
    values = [reset_gate, update_gate, new_gate, hidden_new]
    return _join(F, [F.reshape(value, shape=(steps, 1, *value.shape[1:])) for value in values],
                 1)


def _gru_vjp(F: Any, grad: Any, inputs: Any, hidden_states: Any, parents: Any,
             reverse: bool) -> tuple[Any, ...]:
    projected, initial, weight_hh, bias_hh, workspace = inputs
    steps = projected.shape[1]
    previous_hidden = _previous_states(F, hidden_states, initial, reverse)
    if F.graph_mode:
        workspace = _gru_recompute(F, projected, previous_hidden, weight_hh, bias_hh)
    grad_pre = _GateGradients(F, 3, initial, steps)
    # the gradient of W_hn h + b_hn; those of W_hr h + b_hr and W_hz h + b_hz are the reset
    # and update gates' pre-activation gradients
    grad_hidden_new = _GateGradients(F, 1, initial, steps)
    carry = None
    for step in reversed(_step_order(steps, reverse)):
        saved = workspace[step]
        reset_gate, update_gate, new_gate, hidden_new = saved[0], saved[1], saved[2], saved[3]
        grad_hidden = grad[step] if carry is None else grad[step] + carry
        grad_new = grad_pre.product(2, step, grad_hidden * (1 - update_gate),
                                    1 - new_gate * new_gate)
        grad_update = grad_pre.product(1, step, grad_hidden * (previous_hidden[step] - new_gate),
                                       update_gate * (1 - update_gate))
        grad_reset = grad_pre.product(0, step, grad_new * hidden_new,
                                      reset_gate * (1 - reset_gate))
        hidden_new_grad = grad_hidden_new.product(0, step, grad_new, reset_gate)
        carry = (grad_hidden * update_gate
                 + _join(F, [grad_reset, grad_update, hidden_new_grad], 1) @ weight_hh)
    grad_projected = grad_pre.all()
    grad_weight = grad_bias = None
    if parents[2] is not None or parents[3] is not None:
        grad_projection = _join(F, [grad_projected[:2], grad_hidden_new.all()], 0)
        if parents[2] is not None:
            grad_weight = _weight_gradient(F, grad_projection, previous_hidden)
        if parents[3] is not None:
            grad_bias = F.reshape(F.sum(grad_projection, axis=(1, 2), keepdims=False),
                                  shape=(3 * weight_hh.shape[1],))
    return grad_projected, carry, grad_weight, grad_bias, None


GRU_SEQUENCE = Primitive("gru_sequence", _gru_forward, _gru_vjp, saves="both")


# --- the layers ----------------------------------------------------------------------------------


def _positive_int(owner: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{owner}: {name} must be an int, got {value!r}")
    if value <= 0:
        raise ValueError(f"{owner}: {name} must be positive, got {value}")
    return value


def _tensor(owner: str, what: str, value: object) -> Tensor[*tuple[Any, ...]]:
    """``value`` if it is a tensor; ``TypeError`` otherwise."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{owner}: {what} must be a tensor, got {type(value).__name__}")
    # through Any: pyright would keep the narrowed shape parameters unknown
    tensor: Tensor[*tuple[Any, ...]] = cast(Any, value)
    return tensor


def _flag(owner: str, name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{owner}: {name} must be True or False, got {value!r}")
    return value


class _Recurrent(Module, ABC):
    """What RNN, LSTM and GRU share: arguments, parameters, and the loop over stacked layers
    and directions. A subclass sets ``_gates`` (gate blocks per weight) and ``_state_count``
    (1, or 2 for the LSTM's hidden and cell states) and defines ``_run``, the recurrence of
    one layer in one direction."""

    _gates: int
    _state_count: int

    def __init__(self, input_size: int, hidden_size: int, num_layers: int, bias: bool,
                 batch_first: bool, dropout: float, bidirectional: bool, dtype: Any,
                 device: str | None) -> None:
        super().__init__()
        owner = type(self).__name__
        self.input_size = _positive_int(owner, "input_size", input_size)
        self.hidden_size = _positive_int(owner, "hidden_size", hidden_size)
        self.num_layers = _positive_int(owner, "num_layers", num_layers)
        self.bias = _flag(owner, "bias", bias)
        self.batch_first = _flag(owner, "batch_first", batch_first)
        self.bidirectional = _flag(owner, "bidirectional", bidirectional)
        if isinstance(dropout, bool) or not isinstance(dropout, int | float):
            raise TypeError(f"{owner}: dropout must be a number, got {dropout!r}")
        if not 0 <= dropout <= 1:
            raise ValueError(f"{owner}: dropout must be in [0, 1], got {dropout}")
        self.dropout = float(dropout)
        bound = 1.0 / math.sqrt(hidden_size)
        gate_size = self._gates * hidden_size
        # PyTorch's registration order: per layer, per direction, w_ih, w_hh, b_ih, b_hh
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * self.num_directions
            for suffix in self._suffixes():
                shapes: dict[str, tuple[int, ...]] = {
                    f"weight_ih_l{layer}{suffix}": (gate_size, layer_input),
                    f"weight_hh_l{layer}{suffix}": (gate_size, hidden_size)}
                if bias:
                    shapes[f"bias_ih_l{layer}{suffix}"] = (gate_size,)
                    shapes[f"bias_hh_l{layer}{suffix}"] = (gate_size,)
                for name, shape in shapes.items():
                    setattr(self, name, init.uniform(zeros(shape, dtype=dtype, device=device),
                                                     -bound, bound))

    @property
    def num_directions(self) -> int:
        """2 for a bidirectional layer, else 1."""
        return 2 if self.bidirectional else 1

    def _suffixes(self) -> tuple[str, ...]:
        return ("", "_reverse") if self.bidirectional else ("",)

    def _weights(self, layer: int, suffix: str) -> tuple[Any, Any, Any, Any]:
        """``weight_ih, weight_hh, bias_ih, bias_hh`` of one layer and direction, as used in
        ``forward`` (``Constant``\\ s when frozen; biases ``None`` without bias)."""
        names = (f"weight_ih_l{layer}{suffix}", f"weight_hh_l{layer}{suffix}",
                 f"bias_ih_l{layer}{suffix}", f"bias_hh_l{layer}{suffix}")
        weight_ih, weight_hh, bias_ih, bias_hh = (self._param(self._parameters.get(name))
                                                  for name in names)
        return weight_ih, weight_hh, bias_ih, bias_hh

    @abstractmethod
    def _run(self, x: Any, layer: int, suffix: str, initial: list[Any]) -> tuple[Any, list[Any]]:
        """One layer in one direction over the time-major ``x`` ``(T, B, F)``: the hidden
        state of every step ``(T, B, H)`` and the final states."""

    def _project(self, x: Any, weight_ih: Any, bias: Any) -> Any:
        """``x @ weight_ih.T + bias`` for every step of the time-major ``x`` at once, one
        matrix product per gate, gate-major: ``(G, T, B, H)``."""
        steps, batch, features = x.shape
        gates = weight_ih.shape[0] // self.hidden_size
        weight = reshape(weight_ih, (gates, self.hidden_size, features))
        if bias is not None:
            # the bias as one more input column of the weight, against a column of ones: the
            # product adds it and the weight gradient's product yields its gradient, sparing
            # a pass over the sequence-sized result each way
            ones = _new_constant(namespace_of(x.data()).ones((steps, batch, 1), dtype=x.dtype))
            x = concat([x, ones], axis=2)
            weight = concat([weight, reshape(bias, (gates, self.hidden_size, 1))], axis=2)
            features += 1
        projected = reshape(x, (steps * batch, features)) @ matrix_transpose(weight)
        return reshape(projected, (gates, steps, batch, self.hidden_size))

    def _check_input(self, given: object) -> bool:
        """Raise unless ``given`` is a tensor of 2 (unbatched) or 3 axes with ``input_size``
        features; returns whether it is batched."""
        owner = type(self).__name__
        x = _tensor(owner, "the input", given)
        if x.ndim not in (2, 3):
            layout = "(batch, time, features)" if self.batch_first else \
                "(time, batch, features)"
            raise ShapeError(f"{owner}: the input must have 3 axes {layout} or 2 (time, "
                             f"features) for one sequence, got shape {x.shape}")
        if x.shape[-1] != self.input_size:
            raise ShapeError(f"{owner}: expected {self.input_size} input features (the last "
                             f"axis), got shape {x.shape}")
        if x.dtype.kind != "f":
            raise TypeError(f"{owner}: the input must have a floating dtype, got {x.dtype}")
        time_axis = 1 if x.ndim == 3 and self.batch_first else 0
        if x.shape[time_axis] == 0:
            raise ShapeError(f"{owner}: the input must have at least one time step, got shape "
                             f"{x.shape}")
        return x.ndim == 3

    def _initial_states(self, given: list[Any] | None, batch: int, batched: bool,
                        like: Any) -> list[list[Any]]:
        """For every layer and direction (PyTorch's order), its initial states: slices of
        the given ``(layers * directions, B, H)`` tensors, or zeros."""
        count = self.num_layers * self.num_directions
        owner = type(self).__name__
        if given is None:
            zero_state = _new_constant(namespace_of(like.data()).zeros(
                (batch, self.hidden_size), dtype=like.dtype))
            return [[zero_state] * self._state_count for _ in range(count)]
        expected = (count, batch, self.hidden_size) if batched else (count, self.hidden_size)
        states: list[Any] = []
        for value in given:
            state = _tensor(owner, "an initial state", value)
            if state.shape != expected:
                raise ShapeError(f"{owner}: expected an initial state of shape {expected} "
                                 "(layers * directions, batch, hidden), got shape "
                                 f"{state.shape}")
            if state.dtype != like.dtype:
                raise TypeError(f"{owner}: the initial state must have the input's dtype "
                                f"{like.dtype}, got {state.dtype}")
            states.append(state if batched else expand_dims(state, 1))
        return [[state[index] for state in states] for index in range(count)]

    def _forward(self, x: Any, given: list[Any] | None) -> tuple[Any, list[Any]]:
        """The output and the final states ``(layers * directions, B, H)``."""
        batched = self._check_input(x)
        # the layers run time-major: each step's slice is contiguous
        if not batched:
            x = expand_dims(x, 1)
        elif self.batch_first:
            x = transpose(x, (1, 0, 2))
        initial = self._initial_states(given, x.shape[1], batched, x)
        finals: list[list[Any]] = [[] for _ in range(self._state_count)]
        for layer in range(self.num_layers):
            outputs: list[Any] = []
            for direction, suffix in enumerate(self._suffixes()):
                index = layer * self.num_directions + direction
                hidden, states = self._run(x, layer, suffix, initial[index])
                outputs.append(hidden)
                for found, state in zip(finals, states, strict=True):
                    found.append(state)
            x = outputs[0] if len(outputs) == 1 else concat(outputs, axis=2)
            if layer < self.num_layers - 1:
                x = dropout(x, self.dropout, training=self.training)
        if not batched:
            x = squeeze(x, 1)
        elif self.batch_first:
            x = transpose(x, (1, 0, 2))
        final_states = [stack(found, axis=0) for found in finals]
        if not batched:
            final_states = [squeeze(state, 1) for state in final_states]
        return x, final_states

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if not self.bias:
            text += ", bias=False"
        if not self.batch_first:
            text += ", batch_first=False"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += ", bidirectional=True"
        return text


def _workspace(projected: Any, blocks: int) -> Constant[*tuple[Any, ...]]:
    """An uninitialised ``(T, blocks, B, H)`` array for a sequence primitive's forward to
    fill (see the module's docstring)."""
    _, steps, batch, size = projected.shape
    data = projected.data()
    return _new_constant(namespace_of(data).empty((steps, blocks, batch, size),
                                                  dtype=data.dtype))


class RNN(_Recurrent):
    """An Elman RNN: ``h_t = act(x_t @ weight_ih.T + bias_ih + h_(t-1) @ weight_hh.T +
    bias_hh)`` with ``act`` tanh or relu (PyTorch's ``nn.RNN``).

    ``forward(input, hx=None)`` takes ``(batch, time, input_size)`` (``(time, batch, ...)``
    with ``batch_first=False``, or ``(time, input_size)`` for one sequence) and the initial
    hidden state ``(num_layers * num_directions, batch, hidden_size)`` (zeros by default),
    and returns ``(output, h_n)``: the last layer's hidden state at every step, ``(batch,
    time, num_directions * hidden_size)``, and the final hidden state of every layer and
    direction, shaped like ``hx``. ``dropout`` applies to the outputs of every layer but the
    last while training.
    """

    _gates = 1
    _state_count = 1

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = True,
                 dropout: float = 0.0, bidirectional: bool = False, *, dtype: Any = None,
                 device: str | None = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got "
                             f"{nonlinearity!r}")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, dtype, device)
        self.nonlinearity = nonlinearity

    def _run(self, x: Any, layer: int, suffix: str, initial: list[Any]) -> tuple[Any, list[Any]]:
        weight_ih, weight_hh, bias_ih, bias_hh = self._weights(layer, suffix)
        bias = None if bias_ih is None else bias_ih + bias_hh
        reverse = suffix == "_reverse"
        hidden = apply(RNN_SEQUENCE, self._project(x, weight_ih, bias), initial[0], weight_hh,
                       nonlinearity=self.nonlinearity, reverse=reverse)
        return hidden, [hidden[0 if reverse else -1]]

    def forward(self, input: Tensor[*tuple[Any, ...]], hx: Tensor[*tuple[Any, ...]] | None = None
                ) -> tuple[Any, Any]:
        """``(output, h_n)`` for the sequence ``input`` from the initial state ``hx``."""
        output, (final_hidden,) = self._forward(input, None if hx is None else [hx])
        return output, final_hidden

    def extra_repr(self) -> str:
        text = super().extra_repr()
        return text if self.nonlinearity == "tanh" else text + ", nonlinearity='relu'"


class LSTM(_Recurrent):
    """A long short-term memory layer (PyTorch's ``nn.LSTM``), gates in PyTorch's order::

        i, f, g, o = split(x_t @ weight_ih.T + bias_ih + h_(t-1) @ weight_hh.T + bias_hh)
        c_t = sigmoid(f) * c_(t-1) + sigmoid(i) * tanh(g)
        h_t = sigmoid(o) * tanh(c_t)

    ``forward(input, hx=None)`` takes ``(batch, time, input_size)`` (``(time, batch, ...)``
    with ``batch_first=False``, or ``(time, input_size)`` for one sequence) and ``hx = (h_0,
    c_0)``, each ``(num_layers * num_directions, batch, hidden_size)`` (zeros by default),
    and returns ``(output, (h_n, c_n))``: the last layer's hidden state at every step,
    ``(batch, time, num_directions * hidden_size)``, and the final hidden and cell states of
    every layer and direction. ``dropout`` applies to the outputs of every layer but the
    last while training.
    """

    _gates = 4
    _state_count = 2

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = True, dropout: float = 0.0,
                 bidirectional: bool = False, *, dtype: Any = None,
                 device: str | None = None) -> None:
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, dtype, device)

    def _run(self, x: Any, layer: int, suffix: str, initial: list[Any]) -> tuple[Any, list[Any]]:
        weight_ih, weight_hh, bias_ih, bias_hh = self._weights(layer, suffix)
        bias = None if bias_ih is None else bias_ih + bias_hh
        projected = self._project(x, weight_ih, bias)
        reverse = suffix == "_reverse"
        steps = x.shape[0]
        result = apply(LSTM_SEQUENCE, projected, initial[0], initial[1], weight_hh,
                       _workspace(projected, 6), reverse=reverse)
        hidden = result[:steps]
        return hidden, [hidden[0 if reverse else -1], result[steps]]

    def forward(self, input: Tensor[*tuple[Any, ...]],
                hx: tuple[Tensor[*tuple[Any, ...]], Tensor[*tuple[Any, ...]]] | None = None
                ) -> tuple[Any, tuple[Any, Any]]:
        """``(output, (h_n, c_n))`` for the sequence ``input`` from the initial states
        ``hx = (h_0, c_0)``."""
        if hx is not None and (not isinstance(hx, tuple | list) or len(hx) != 2):
            raise TypeError("LSTM: hx must be a pair (h_0, c_0) of tensors, got "
                            f"{type(hx).__name__}")
        output, (final_hidden, final_cell) = self._forward(
            input, None if hx is None else list(hx))
        return output, (final_hidden, final_cell)


class GRU(_Recurrent):
    """A gated recurrent unit layer (PyTorch's ``nn.GRU``), gates in PyTorch's order::

        r = sigmoid(W_ir x_t + b_ir + W_hr h_(t-1) + b_hr)
        z = sigmoid(W_iz x_t + b_iz + W_hz h_(t-1) + b_hz)
        n = tanh(W_in x_t + b_in + r * (W_hn h_(t-1) + b_hn))
        h_t = (1 - z) * n + z * h_(t-1)

    ``forward(input, hx=None)`` takes ``(batch, time, input_size)`` (``(time, batch, ...)``
    with ``batch_first=False``, or ``(time, input_size)`` for one sequence) and the initial
    hidden state ``(num_layers * num_directions, batch, hidden_size)`` (zeros by default),
    and returns ``(output, h_n)`` as ``RNN`` does.
    """

    _gates = 3
    _state_count = 1

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = True, dropout: float = 0.0,
                 bidirectional: bool = False, *, dtype: Any = None,
                 device: str | None = None) -> None:
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, dtype, device)

    def _run(self, x: Any, layer: int, suffix: str, initial: list[Any]) -> tuple[Any, list[Any]]:
        weight_ih, weight_hh, bias_ih, bias_hh = self._weights(layer, suffix)
        projected = self._project(x, weight_ih, bias_ih)
        reverse = suffix == "_reverse"
        hidden = apply(GRU_SEQUENCE, projected, initial[0], weight_hh, bias_hh,
                       _workspace(projected, 4), reverse=reverse)
        return hidden, [hidden[0 if reverse else -1]]

    def forward(self, input: Tensor[*tuple[Any, ...]], hx: Tensor[*tuple[Any, ...]] | None = None
                ) -> tuple[Any, Any]:
        """``(output, h_n)`` for the sequence ``input`` from the initial state ``hx``."""
        output, (final_hidden,) = self._forward(input, None if hx is None else [hx])
        return output, final_hidden
