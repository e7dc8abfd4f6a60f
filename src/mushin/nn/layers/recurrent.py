"""Recurrent layers: ``RNN``, ``LSTM`` and ``GRU``, with PyTorch's parameters and results.

Parameter names, shapes, registration order, gate order (LSTM: input, forget, cell, output;
GRU: reset, update, new) and initialisation (uniform on ``[-1/sqrt(hidden), 1/sqrt(hidden)]``)
are PyTorch's, so a ``state_dict`` moves between the two unchanged.

How a layer runs, for each stacked layer and direction: the recurrence is one primitive
(``rnn_sequence``, ``lstm_layer``, ``gru_sequence``) whose forward loops over time on the
backend arrays (one matrix product and a few elementwise calls per step) and whose VJP is
backpropagation through time. One primitive for the whole loop, rather than some 10
operations per step, saves their per-node overhead and, above all, slicing each step out of
a sequence-sized array: the gradient of such a slice is a sequence-sized array, once per
step. For RNN and GRU the input projection of every time step is computed before, at once
(``x @ weight_ih.T + bias`` over the whole sequence, one matrix product per gate); the LSTM
primitive does it inside, as part of each step's product (see the LSTM section).

RNN and GRU run time-major and *gate-major*: the projected input is ``(G, T, B, H)`` (G
gates) and each step's gates are ``(G, B, H)``, so every per-gate array the loops touch is
contiguous; strided column slices of a ``(B, G * H)`` array cost several times more per
NumPy call at these sizes. The LSTM goes further: feature-major, ``(4H, B)`` per step.

The LSTM and GRU primitives also receive a *workspace* operand: an uninitialised array that
the forward fills with what the VJP needs from every step. Being an operand, it is saved and
released with the node's inputs, like any saved value. A backward with ``create_graph=True``
does not read it: the VJP then recomputes those values from the inputs with recorded
operations, so that second derivatives see how they depend on the inputs.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Any, cast

import numpy as np

from mushin._backend import namespace_of
from mushin._creation import zeros
from mushin._graph import Primitive, is_grad_enabled
from mushin._tensor import Constant, ShapeError, Tensor, Variable, _new_constant, apply
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
#
# One primitive for a whole layer in one direction, input projection included, laid out
# *feature-major*: every per-step array is ``(rows, B)``, states ``(H, B)`` and gates ``(4H,
# B)``. A step's matrix product is then ``weights @ state`` with the long side first, which
# BLAS runs markedly faster at these sizes than ``state @ weights.T`` (OpenBLAS, hidden 128,
# batch 32: 19 against 25 microseconds forward, 22 against 30 backward). Everything a step
# touches is one contiguous block of the workspace: strided per-step slices of sequence-sized
# arrays cost several times more (cache and TLB misses).
#
# The workspace ``(T, rows, B)`` holds, for every step in the order the steps are visited
# (reversed for the reverse direction), ``z_t = [h_(t-1); x_t; 1]``: what the step multiplies,
# by ``weights = [W_hh | W_ih | b_ih + b_hh]``. So the input projection and the bias ride along
# in the recurrent product (no sequence-sized projection, no pass to add a bias), and the
# gradient of all three weights is one product over every step, ``gate_grads @ z.T``. When a
# gradient can follow (``keep``), the rest of a step's rows are what its backward step
# multiplies by: the gate pre-activations' derivatives by dc_t (i, f, g) or dh_t (o), that of
# c_t by dh_t, and the forget gate. Each backward step is then a handful of calls, and the
# workspace holds no more than the backward reads (the gates and cell states live in one small
# array the steps reuse).
#
# Inside, the gates run in the order (i, f, o, g), so that the three sigmoid gates are one
# block, with their weight rows halved: ``sigmoid(p) = tanh(p / 2) / 2 + 1/2``, so one ``tanh``
# call activates all four gates. The gradients are put back into PyTorch's order (i, f, g, o).
#
# The output is ``(T + 1, H, B)``: the hidden state after each step in visiting order, then the
# final cell state.

_LSTM_KEPT_ROWS = 6  # per-step workspace rows after z, in units of H, with a gradient to come


def _lstm_order(xp: Any, rows: Any, size: int) -> Any:
    """The four gate row blocks of ``rows`` swapped between PyTorch's order (i, f, g, o) and
    the internal one (i, f, o, g), either way (a new array)."""
    return xp.concatenate([rows[:2 * size], rows[3 * size:], rows[2 * size:3 * size]], axis=0)


def _lstm_forward(xp: Any, x: Any, initial_hidden: Any, initial_cell: Any, weight_ih: Any,
                  weight_hh: Any, bias_ih: Any, bias_hh: Any, workspace: Any, reverse: bool,
                  keep: bool) -> Any:
    """One direction of one layer over the time-major ``x`` ``(T, B, F)``: ``(T + 1, H,
    B)``, the hidden states in visiting order and the final cell state."""
    steps, batch, features = x.shape
    size = weight_hh.shape[1]
    dtype = workspace.dtype
    width = size + features + (bias_ih is not None)  # the rows of z
    weights = xp.empty((4 * size, width), dtype=dtype)
    weights[:, :size] = _lstm_order(xp, weight_hh, size)
    weights[:, size:size + features] = _lstm_order(xp, weight_ih, size)
    if bias_ih is not None:
        weights[:, -1] = _lstm_order(xp, bias_ih + bias_hh, size)
        workspace[:, width - 1] = 1
    weights[:3 * size] *= 0.5
    workspace[:, size:size + features] = (x[::-1] if reverse else x).transpose(0, 2, 1)
    workspace[0, :size] = initial_hidden.T
    # one scratch array, reused by every step: the gates (i, f, o, g), then the cell state
    scratch = xp.empty((5 * size, batch), dtype=dtype)
    gates, sigmoids = scratch[:4 * size], scratch[:3 * size]
    input_gate, forget_gate = scratch[:size], scratch[size:2 * size]
    output_gate, cell_gate = scratch[2 * size:3 * size], scratch[3 * size:4 * size]
    cell = scratch[4 * size:]
    cell[...] = initial_cell.T
    tanh_cell = xp.empty((size, batch), dtype=dtype)
    product = xp.empty((size, batch), dtype=dtype)
    output = xp.empty((steps + 1, size, batch), dtype=dtype)
    for step in range(steps):
        block = workspace[step]
        xp.matmul(weights, block[:width], out=gates)
        xp.tanh(gates, out=gates)
        factors = block[width:width + 4 * size]  # (empty without keep)
        if keep:
            xp.multiply(gates, gates, out=factors)
            xp.subtract(1, factors, out=factors)
        sigmoids *= 0.5
        sigmoids += 0.5
        if keep:  # the cell gate and c_(t-1) lie side by side, as do i and f's factors
            factors[:2 * size].reshape(2, size, batch)[...] *= scratch[3 * size:].reshape(
                2, size, batch)
            factors[3 * size:] *= input_gate
        cell *= forget_gate
        cell += xp.multiply(input_gate, cell_gate, out=product)
        xp.tanh(cell, out=tanh_cell)
        hidden = output[step]
        xp.multiply(output_gate, tanh_cell, out=hidden)
        if step + 1 < steps:
            workspace[step + 1, :size] = hidden
        if keep:
            factors[2 * size:3 * size] *= tanh_cell
            # o (1 - tanh(c)^2) = o - h tanh(c)
            xp.subtract(output_gate, xp.multiply(hidden, tanh_cell, out=product),
                        out=block[width + 4 * size:width + 5 * size])
            block[width + 5 * size:] = forget_gate
    output[-1] = cell
    return output


def _lstm_array_vjp(xp: Any, grad: Any, inputs: Any, parents: Any, reverse: bool) -> tuple[
        Any, ...]:
    """Backpropagation through time on the arrays, from what the forward kept."""
    _, _, _, weight_ih, weight_hh, bias_ih, _, workspace = inputs
    steps, _, batch = workspace.shape
    size, features = weight_hh.shape[1], weight_ih.shape[1]
    width = size + features + (bias_ih is not None)
    dtype = workspace.dtype
    # the products below give each sigmoid gate's gradient times 4 (1 - t^2 = 4 s (1 - s)):
    # the factor 1/4 goes into the weights they meet
    quarter = xp.ones((4 * size, 1), dtype=dtype)
    quarter[:3 * size] = 0.25
    recurrent_t = xp.ascontiguousarray(
        (_lstm_order(xp, weight_hh, size).astype(dtype, copy=False) * quarter).T)
    gate_grads = xp.empty((steps, 4 * size, batch), dtype=dtype)
    carry_hidden = None
    carry_cell = grad[-1]
    for step in range(steps - 1, -1, -1):
        block = workspace[step]
        grad_hidden = grad[step] if carry_hidden is None else grad[step] + carry_hidden
        grad_cell = grad_hidden * block[width + 4 * size:width + 5 * size]
        grad_cell += carry_cell
        factors = block[width:width + 4 * size]
        step_grads = gate_grads[step]
        xp.multiply(factors[:2 * size].reshape(2, size, batch), grad_cell,
                    out=step_grads[:2 * size].reshape(2, size, batch))
        xp.multiply(factors[2 * size:3 * size], grad_hidden, out=step_grads[2 * size:3 * size])
        xp.multiply(factors[3 * size:], grad_cell, out=step_grads[3 * size:])
        grad_cell *= block[width + 5 * size:]
        carry_cell = grad_cell
        if step or parents[1] is not None:
            carry_hidden = xp.matmul(recurrent_t, step_grads)
    grad_x = grad_ih = grad_hh = grad_bias = None
    want_weights = any(parents[index] is not None for index in (3, 4, 5, 6))
    if parents[0] is not None or want_weights:
        flat = xp.ascontiguousarray(gate_grads.transpose(1, 0, 2)).reshape(
            4 * size, steps * batch)
        if want_weights:
            rows = xp.ascontiguousarray(workspace[:, :width].transpose(1, 0, 2)).reshape(
                width, steps * batch)
            grad_weights = _lstm_order(xp, xp.matmul(flat, rows.T) * quarter, size)
            grad_hh = grad_weights[:, :size]
            grad_ih = grad_weights[:, size:size + features]
            if bias_ih is not None:
                grad_bias = grad_weights[:, -1]
        if parents[0] is not None:
            input_weights = _lstm_order(xp, weight_ih, size).astype(dtype, copy=False) * quarter
            grad_columns = xp.matmul(input_weights.T, flat).reshape(features, steps, batch)
            grad_x = (grad_columns[:, ::-1] if reverse else grad_columns).transpose(1, 2, 0)
    grad_h0 = None if parents[1] is None or carry_hidden is None else carry_hidden.T
    grad_c0 = carry_cell.T if parents[2] is not None else None
    return grad_x, grad_h0, grad_c0, grad_ih, grad_hh, grad_bias, grad_bias, None


def _lstm_graph_vjp(F: Any, grad: Any, inputs: Any, output: Any, parents: Any,
                    reverse: bool) -> tuple[Any, ...]:
    """The same gradients with recorded operations (``create_graph=True``): the gates are
    recomputed from the inputs and the hidden states, so that second derivatives see how
    everything depends on the inputs."""
    x, initial_hidden, initial_cell, weight_ih, weight_hh, bias_ih, bias_hh, _ = inputs
    steps = x.shape[0]
    size = weight_hh.shape[1]
    order = _step_order(steps, reverse)
    weight_ih_t = F.matrix_transpose(weight_ih)
    weight_hh_t = F.matrix_transpose(weight_hh)
    previous = [initial_hidden] + [F.matrix_transpose(output[position])
                                   for position in range(steps - 1)]
    saved: list[tuple[Any, ...]] = []
    cell = initial_cell
    for position, step in enumerate(order):
        pre_activation = x[step] @ weight_ih_t + previous[position] @ weight_hh_t
        if bias_ih is not None:
            pre_activation = pre_activation + (bias_ih + bias_hh)
        input_gate, forget_gate, output_gate = (
            _sigmoid(F, pre_activation[:, gate * size:(gate + 1) * size]) for gate in (0, 1, 3))
        cell_gate = F.tanh(pre_activation[:, 2 * size:3 * size])
        new_cell = forget_gate * cell + input_gate * cell_gate
        saved.append((input_gate, forget_gate, cell_gate, output_gate, cell, F.tanh(new_cell)))
        cell = new_cell
    carry_hidden = None
    carry_cell = F.matrix_transpose(grad[steps])
    grad_x: list[Any] = [None] * steps
    grad_ih = grad_hh = grad_bias = None
    for position in range(steps - 1, -1, -1):
        step = order[position]
        input_gate, forget_gate, cell_gate, output_gate, previous_cell, tanh_cell = \
            saved[position]
        grad_hidden = F.matrix_transpose(grad[position])
        if carry_hidden is not None:
            grad_hidden = grad_hidden + carry_hidden
        grad_cell = grad_hidden * (output_gate * (1 - tanh_cell * tanh_cell)) + carry_cell
        gate_grads = _join(F, [
            grad_cell * cell_gate * (input_gate * (1 - input_gate)),
            grad_cell * previous_cell * (forget_gate * (1 - forget_gate)),
            grad_cell * input_gate * (1 - cell_gate * cell_gate),
            grad_hidden * tanh_cell * (output_gate * (1 - output_gate))], 1)
        carry_cell = grad_cell * forget_gate
        carry_hidden = gate_grads @ weight_hh
        grad_x[step] = gate_grads @ weight_ih
        transposed = F.matrix_transpose(gate_grads)
        terms = (transposed @ x[step], transposed @ previous[position],
                 F.sum(gate_grads, axis=0, keepdims=False))
        if grad_ih is None:
            grad_ih, grad_hh, grad_bias = terms
        else:
            grad_ih, grad_hh, grad_bias = (total + term for total, term in zip(
                (grad_ih, grad_hh, grad_bias), terms, strict=True))
    if bias_ih is None:
        grad_bias = None
    return (_stack(F, grad_x) if parents[0] is not None else None, carry_hidden, carry_cell,
            grad_ih, grad_hh, grad_bias, grad_bias, None)


def _lstm_vjp(F: Any, grad: Any, inputs: Any, output: Any, parents: Any, reverse: bool,
              keep: bool) -> tuple[Any, ...]:
    if F.graph_mode:
        return _lstm_graph_vjp(F, grad, inputs, output, parents, reverse)
    return _lstm_array_vjp(F.xp, grad, inputs, parents, reverse)


LSTM_LAYER = Primitive("lstm_layer", _lstm_forward, _lstm_vjp, saves="both")


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
        weights = self._weights(layer, suffix)
        operands = (x, initial[0], initial[1], *weights)
        keep = is_grad_enabled() and any(isinstance(operand, Variable) for operand in operands)
        steps, batch, features = x.shape
        size = self.hidden_size
        rows = size + features + self.bias + (_LSTM_KEPT_ROWS * size if keep else 0)
        dtype = np.result_type(x.dtype, weights[0].dtype)
        workspace = _new_constant(namespace_of(x.data()).empty((steps, rows, batch),
                                                                dtype=dtype))
        result = apply(LSTM_LAYER, *operands, workspace, reverse=suffix == "_reverse",
                       keep=keep)
        # (T + 1, H, B): the hidden states in visiting order, then the final cell state
        visited = result[steps - 1::-1] if suffix == "_reverse" else result[:steps]
        return transpose(visited, (0, 2, 1)), [matrix_transpose(result[steps - 1]),
                                                matrix_transpose(result[steps])]

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
