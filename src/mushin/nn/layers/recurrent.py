"""Recurrent layers: ``RNN``, ``LSTM`` and ``GRU``, with PyTorch's parameters and results.

Parameter names, shapes, registration order, gate order (LSTM: input, forget, cell, output;
GRU: reset, update, new) and initialisation (uniform on ``[-1/sqrt(hidden), 1/sqrt(hidden)]``)
are PyTorch's, so a ``state_dict`` moves between the two unchanged.

How a layer runs, for each stacked layer and direction: the recurrence is one primitive
(``rnn_layer``, ``lstm_layer``, ``gru_layer``) whose forward loops over time on the backend
arrays (one matrix product and a few elementwise calls per step) and whose VJP is
backpropagation through time. One primitive for the whole loop, rather than some 10
operations per step, saves their per-node overhead and, above all, slicing each step out of
a sequence-sized array: the gradient of such a slice is a sequence-sized array, once per
step.

All three share one layout (described in full in the LSTM section): *feature-major*, every
per-step array ``(rows, B)``, and a *workspace* operand ``(T, rows, B)``, an uninitialised
array whose block for a step starts with ``z_t = [h_(t-1); x_t; 1]``, what the step's matrix
product multiplies by ``[W_hh | W_ih | b]``: the input projection and the bias ride along in
the recurrent product, and every weight's gradient is one product over all the steps at the
end. When a gradient can follow (a ``Variable`` among the operands, gradients enabled), each
block goes on with what the backward step multiplies by, so that a backward step is a few
elementwise calls and one product by ``W_hh.T``. Being an operand, the workspace is saved and
released with the node's inputs, like any saved value. The GRU can't put its new gate's input
projection in the per-step product (the reset gate multiplies the hidden one, bias included):
that one is a batched product before the loop (see the GRU section).

A backward with ``create_graph=True`` does not read the workspace: the VJP then recomputes
what it needs from the inputs and the hidden states with recorded operations, so that second
derivatives see how it depends on the inputs.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Any, cast

import numpy as np

from mushin._backend import Array, namespace_of
from mushin._creation import zeros
from mushin._graph import Primitive, is_grad_enabled
from mushin._tensor import ShapeError, Tensor, Variable, _new_constant, apply
from mushin.nn import init
from mushin.nn.module import Module
from mushin.nn.ops import dropout
from mushin.ops.shape import (
    concat,
    expand_dims,
    matrix_transpose,
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


def _sigmoid(F: Any, value: Any) -> Any:
    """The logistic function, in the form the forward computes it."""
    return 0.5 * F.tanh(0.5 * value) + 0.5


# --- Elman RNN -----------------------------------------------------------------------------------
#
# Laid out like the LSTM: feature-major, the workspace's block of a step starting with ``z_t =
# [h_(t-1); x_t; 1]``, one product ``[W_hh | W_ih | b_ih + b_hh] @ z_t`` per step. When a
# gradient can follow, the block goes on with the activation's slope at that step, ``1 - h^2``
# (tanh) or ``sign(h)`` (relu), which is all a backward step multiplies by.


def _rnn_forward(xp: Any, x: Any, initial: Any, weight_ih: Any, weight_hh: Any, bias_ih: Any,
                 bias_hh: Any, workspace: Any, nonlinearity: str, reverse: bool,
                 keep: bool) -> Any:
    """One direction of one layer over the time-major ``x`` ``(T, B, F)``: the hidden states
    in visiting order, ``(T, H, B)``."""
    steps, _, features = x.shape
    size = weight_hh.shape[1]
    dtype = workspace.dtype
    width = size + features + (bias_ih is not None)  # the rows of z
    weights = xp.empty((size, width), dtype=dtype)
    weights[:, :size] = weight_hh
    weights[:, size:size + features] = weight_ih
    if bias_ih is not None:
        weights[:, -1] = bias_ih + bias_hh
        workspace[:, width - 1] = 1
    workspace[:, size:size + features] = (x[::-1] if reverse else x).transpose(0, 2, 1)
    workspace[0, :size] = initial.T
    output = xp.empty((steps, size, workspace.shape[2]), dtype=dtype)
    for step in range(steps):
        block = workspace[step]
        hidden = output[step]
        xp.matmul(weights, block[:width], out=hidden)
        if nonlinearity == "tanh":
            xp.tanh(hidden, out=hidden)
        else:
            xp.maximum(hidden, 0, out=hidden)
        if step + 1 < steps:
            workspace[step + 1, :size] = hidden
        if keep:
            slope = block[width:]
            if nonlinearity == "tanh":
                xp.multiply(hidden, hidden, out=slope)
                xp.subtract(1, slope, out=slope)
            else:
                xp.sign(hidden, out=slope)
    return output


def _rnn_array_vjp(xp: Any, grad: Any, inputs: Any, parents: Any, reverse: bool) -> tuple[
        Any, ...]:
    """Backpropagation through time on the arrays, from what the forward kept."""
    _, _, weight_ih, weight_hh, bias_ih, _, workspace = inputs
    steps, _, batch = workspace.shape
    size, features = weight_hh.shape[1], weight_ih.shape[1]
    width = size + features + (bias_ih is not None)
    dtype = workspace.dtype
    recurrent_t = xp.ascontiguousarray(weight_hh.astype(dtype, copy=False).T)
    pre_grads = xp.empty((steps, size, batch), dtype=dtype)
    carry = None
    for step in range(steps - 1, -1, -1):
        grad_hidden = grad[step] if carry is None else grad[step] + carry
        xp.multiply(workspace[step, width:], grad_hidden, out=pre_grads[step])
        if step or parents[1] is not None:
            carry = xp.matmul(recurrent_t, pre_grads[step])
    grad_x = grad_ih = grad_hh = grad_bias = None
    want_weights = any(parents[index] is not None for index in (2, 3, 4, 5))
    if parents[0] is not None or want_weights:
        flat = xp.ascontiguousarray(pre_grads.transpose(1, 0, 2)).reshape(size, steps * batch)
        if want_weights:
            rows = xp.ascontiguousarray(workspace[:, :width].transpose(1, 0, 2)).reshape(
                width, steps * batch)
            grad_weights = xp.matmul(flat, rows.T)
            grad_hh = grad_weights[:, :size]
            grad_ih = grad_weights[:, size:size + features]
            if bias_ih is not None:
                grad_bias = grad_weights[:, -1]
        if parents[0] is not None:
            grad_columns = xp.matmul(weight_ih.astype(dtype, copy=False).T, flat).reshape(
                features, steps, batch)
            grad_x = (grad_columns[:, ::-1] if reverse else grad_columns).transpose(1, 2, 0)
    grad_h0 = None if parents[1] is None or carry is None else carry.T
    return grad_x, grad_h0, grad_ih, grad_hh, grad_bias, grad_bias, None


def _rnn_graph_vjp(F: Any, grad: Any, inputs: Any, output: Any, parents: Any,
                   nonlinearity: str, reverse: bool) -> tuple[Any, ...]:
    """The same gradients with recorded operations (``create_graph=True``); the slopes come
    from the (recorded) hidden states, so second derivatives see how they depend on the
    inputs."""
    x, initial, weight_ih, weight_hh, bias_ih, _, _ = inputs
    steps = x.shape[0]
    order = _step_order(steps, reverse)
    hidden = [F.matrix_transpose(output[position]) for position in range(steps)]
    previous = [initial, *hidden[:steps - 1]]
    carry = None
    grad_x: list[Any] = [None] * steps
    totals: list[Any] = []
    for position in range(steps - 1, -1, -1):
        step = order[position]
        state = hidden[position]
        grad_hidden = F.matrix_transpose(grad[position])
        if carry is not None:
            grad_hidden = grad_hidden + carry
        slope = 1 - state * state if nonlinearity == "tanh" else state > 0
        grad_pre = grad_hidden * slope
        carry = grad_pre @ weight_hh
        grad_x[step] = grad_pre @ weight_ih
        transposed = F.matrix_transpose(grad_pre)
        terms = [transposed @ x[step], transposed @ previous[position],
                 F.sum(grad_pre, axis=0, keepdims=False)]
        totals = terms if not totals else [
            total + term for total, term in zip(totals, terms, strict=True)]
    grad_ih, grad_hh, grad_bias = totals
    if bias_ih is None:
        grad_bias = None
    return (_stack(F, grad_x) if parents[0] is not None else None, carry, grad_ih, grad_hh,
            grad_bias, grad_bias, None)


def _rnn_vjp(F: Any, grad: Any, inputs: Any, output: Any, parents: Any, nonlinearity: str,
             reverse: bool, keep: bool) -> tuple[Any, ...]:
    if F.graph_mode:
        return _rnn_graph_vjp(F, grad, inputs, output, parents, nonlinearity, reverse)
    return _rnn_array_vjp(F.xp, grad, inputs, parents, reverse)


RNN_LAYER = Primitive("rnn_layer", _rnn_forward, _rnn_vjp, saves="both")


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


def _quarter_rows(xp: Any, rows: int, sigmoid_rows: int, dtype: Any) -> Array:
    """A ``(rows, 1)`` column of 1/4 over the first ``sigmoid_rows`` (the sigmoid gates, whose
    gradients the backward computes times 4, as 1 - t^2 = 4 s (1 - s)) and 1 below."""
    quarter = xp.ones((rows, 1), dtype=dtype)
    quarter[:sigmoid_rows] = 0.25
    return quarter


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
    quarter = _quarter_rows(xp, 4 * size, 3 * size, dtype)
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
#
# Laid out like the LSTM (feature-major, one primitive per layer and direction, the workspace
# ``(T, rows, B)`` starting each step's block with ``z_t = [h_(t-1); x_t; 1]``), with what the
# GRU's formulation allows: the new gate's hidden projection ``W_hn h + b_hn`` is multiplied by
# the reset gate before its input projection is added, so the two can't be one product. A
# step's product is ``[[W_hz, W_iz, b_iz + b_hz], [W_hr, W_ir, b_ir + b_hr], [W_hn, 0, b_hn]] @
# z_t`` (the update and reset rows halved, so that one ``tanh`` call gives both sigmoids), and
# the new gate's input projection ``W_in x_t + b_in`` of every step is one batched product
# before the loop. Inside, the gates run in the order (z, r, n), PyTorch's being (r, z, n).
#
# When a gradient can follow (``keep``), a step's block goes on with five ``(H, B)`` rows,
# ``S = [z, (h - n)(1 - t_z^2), A hn (1 - t_r^2), A r, A]`` with ``A = (1 - z)(1 - n^2)`` and
# ``t = tanh(p / 2)`` of a sigmoid gate's pre-activation ``p``: a backward step's whole work is
# ``dh * S``, giving at once the direct term ``dh z`` of the state's gradient and the gradients
# of the update and reset pre-activations (times 4, as ``1 - t^2 = 4 s (1 - s)``), of ``W_hn h +
# b_hn`` and of ``W_in x + b_in``, then one product by ``W_hh.T`` for the state's gradient. The
# weights' gradients are two products over all the steps at the end.

_GRU_KEPT_ROWS = 5  # per-step workspace rows after z, in units of H, with a gradient to come


def _gru_order(xp: Any, rows: Any, size: int) -> Any:
    """The first two gate row blocks of ``rows`` swapped: PyTorch's order (r, z, n) to the
    internal one (z, r, n), or back (a new array)."""
    return xp.concatenate([rows[size:2 * size], rows[:size], rows[2 * size:]], axis=0)


def _gru_forward(xp: Any, x: Any, initial: Any, weight_ih: Any, weight_hh: Any, bias_ih: Any,
                 bias_hh: Any, workspace: Any, reverse: bool, keep: bool) -> Any:
    """One direction of one layer over the time-major ``x`` ``(T, B, F)``: the hidden states
    in visiting order, ``(T, H, B)``."""
    steps, batch, features = x.shape
    size = weight_hh.shape[1]
    dtype = workspace.dtype
    width = size + features + (bias_ih is not None)  # the rows of z
    weights = xp.zeros((3 * size, width), dtype=dtype)
    weights[:, :size] = _gru_order(xp, weight_hh, size)
    weights[:2 * size, size:size + features] = _gru_order(xp, weight_ih[:2 * size], size)
    input_new = xp.empty((size, width - size), dtype=dtype)  # [W_in | b_in]
    input_new[:, :features] = weight_ih[2 * size:]
    if bias_ih is not None:
        weights[:2 * size, -1] = _gru_order(xp, bias_ih[:2 * size] + bias_hh[:2 * size], size)
        weights[2 * size:, -1] = bias_hh[2 * size:]
        input_new[:, -1] = bias_ih[2 * size:]
        workspace[:, width - 1] = 1
    weights[:2 * size] *= 0.5
    workspace[:, size:size + features] = (x[::-1] if reverse else x).transpose(0, 2, 1)
    workspace[0, :size] = initial.T
    projected_new = xp.matmul(input_new, workspace[:, size:width])  # (T, H, B)
    scratch = xp.empty((3 * size, batch), dtype=dtype)  # the gates (z, r, W_hn h + b_hn)
    sigmoids, update, reset = scratch[:2 * size], scratch[:size], scratch[size:2 * size]
    hidden_new = scratch[2 * size:]
    new = xp.empty((size, batch), dtype=dtype)
    difference = xp.empty((size, batch), dtype=dtype)
    output = xp.empty((steps, size, batch), dtype=dtype)
    for step in range(steps):
        block = workspace[step]
        state = block[:size]
        xp.matmul(weights, block[:width], out=scratch)
        xp.tanh(sigmoids, out=sigmoids)
        kept = block[width:]  # (empty without keep)
        if keep:
            factors = kept[size:3 * size]
            xp.multiply(sigmoids, sigmoids, out=factors)
            xp.subtract(1, factors, out=factors)
        sigmoids *= 0.5
        sigmoids += 0.5
        xp.multiply(reset, hidden_new, out=new)
        new += projected_new[step]
        xp.tanh(new, out=new)
        xp.subtract(state, new, out=difference)
        hidden = output[step]
        xp.multiply(update, difference, out=hidden)
        hidden += new
        if step + 1 < steps:
            workspace[step + 1, :size] = hidden
        if keep:
            kept[size:2 * size] *= difference
            kept[2 * size:3 * size] *= hidden_new
            kept[:size] = update
            common = kept[4 * size:]
            xp.multiply(new, new, out=common)
            xp.subtract(1, common, out=common)
            common -= xp.multiply(common, update, out=difference)
            xp.multiply(common, reset, out=kept[3 * size:4 * size])
            kept[2 * size:3 * size] *= common
    return output


def _gru_array_vjp(xp: Any, grad: Any, inputs: Any, parents: Any, reverse: bool) -> tuple[
        Any, ...]:
    """Backpropagation through time on the arrays, from what the forward kept."""
    _, _, weight_ih, weight_hh, bias_ih, _, workspace = inputs
    steps, _, batch = workspace.shape
    size, features = weight_hh.shape[1], weight_ih.shape[1]
    width = size + features + (bias_ih is not None)
    dtype = workspace.dtype
    # the update and reset gates' gradients come times 4: the 1/4 goes into their weights
    quarter = _quarter_rows(xp, 3 * size, 2 * size, dtype)
    recurrent_t = xp.ascontiguousarray(
        (_gru_order(xp, weight_hh, size).astype(dtype, copy=False) * quarter).T)
    # per step: dh z, then the gradients of the update and reset pre-activations (times 4),
    # of W_hn h + b_hn and of W_in x + b_in
    gate_grads = xp.empty((steps, 5 * size, batch), dtype=dtype)
    carry = None
    for step in range(steps - 1, -1, -1):
        grad_hidden = grad[step] if carry is None else grad[step] + carry
        step_grads = gate_grads[step]
        xp.multiply(workspace[step, width:].reshape(5, size, batch), grad_hidden,
                    out=step_grads.reshape(5, size, batch))
        if step or parents[1] is not None:
            carry = xp.matmul(recurrent_t, step_grads[size:4 * size])
            carry += step_grads[:size]
    grad_x = grad_ih = grad_hh = grad_bias_ih = grad_bias_hh = None
    want_weights = any(parents[index] is not None for index in (2, 3, 4, 5))
    if parents[0] is not None or want_weights:
        flat = xp.ascontiguousarray(gate_grads[:, size:].transpose(1, 0, 2)).reshape(
            4 * size, steps * batch)
        if want_weights:
            rows = xp.ascontiguousarray(workspace[:, :width].transpose(1, 0, 2)).reshape(
                width, steps * batch)
            # (z, r, n) rows against [h; x; 1], then the new gate's input side against [x; 1]
            gates = _gru_order(xp, xp.matmul(flat[:3 * size], rows.T) * quarter, size)
            inputs_new = xp.matmul(flat[3 * size:], rows[size:].T)
            grad_hh = gates[:, :size]
            grad_ih = xp.concatenate([gates[:2 * size, size:size + features],
                                      inputs_new[:, :features]], axis=0)
            if bias_ih is not None:
                grad_bias_hh = gates[:, -1]
                grad_bias_ih = xp.concatenate([gates[:2 * size, -1], inputs_new[:, -1]])
        if parents[0] is not None:
            input_weights = xp.zeros((4 * size, features), dtype=dtype)
            input_weights[:2 * size] = _gru_order(xp, weight_ih[:2 * size], size)
            input_weights[:2 * size] *= 0.25
            input_weights[3 * size:] = weight_ih[2 * size:]
            grad_columns = xp.matmul(input_weights.T, flat).reshape(features, steps, batch)
            grad_x = (grad_columns[:, ::-1] if reverse else grad_columns).transpose(1, 2, 0)
    grad_h0 = None if parents[1] is None or carry is None else carry.T
    return grad_x, grad_h0, grad_ih, grad_hh, grad_bias_ih, grad_bias_hh, None


def _gru_graph_vjp(F: Any, grad: Any, inputs: Any, output: Any, parents: Any,
                   reverse: bool) -> tuple[Any, ...]:
    """The same gradients with recorded operations (``create_graph=True``): the gates are
    recomputed from the inputs and the hidden states, so that second derivatives see how
    everything depends on the inputs."""
    x, initial, weight_ih, weight_hh, bias_ih, bias_hh, _ = inputs
    steps = x.shape[0]
    size = weight_hh.shape[1]
    order = _step_order(steps, reverse)
    weight_ih_t = F.matrix_transpose(weight_ih)
    weight_hh_t = F.matrix_transpose(weight_hh)
    previous = [initial] + [F.matrix_transpose(output[position])
                            for position in range(steps - 1)]
    saved: list[tuple[Any, ...]] = []
    for position, step in enumerate(order):
        input_side = x[step] @ weight_ih_t
        hidden_side = previous[position] @ weight_hh_t
        if bias_ih is not None:
            input_side = input_side + bias_ih
            hidden_side = hidden_side + bias_hh
        reset_gate, update_gate = (
            _sigmoid(F, input_side[:, gate * size:(gate + 1) * size]
                     + hidden_side[:, gate * size:(gate + 1) * size]) for gate in (0, 1))
        hidden_new = hidden_side[:, 2 * size:]
        new_gate = F.tanh(input_side[:, 2 * size:] + reset_gate * hidden_new)
        saved.append((reset_gate, update_gate, hidden_new, new_gate))
    carry = None
    grad_x: list[Any] = [None] * steps
    totals: list[Any] = []
    for position in range(steps - 1, -1, -1):
        step = order[position]
        reset_gate, update_gate, hidden_new, new_gate = saved[position]
        grad_hidden = F.matrix_transpose(grad[position])
        if carry is not None:
            grad_hidden = grad_hidden + carry
        grad_new = grad_hidden * (1 - update_gate) * (1 - new_gate * new_gate)
        grad_reset = grad_new * hidden_new * (reset_gate * (1 - reset_gate))
        grad_update = (grad_hidden * (previous[position] - new_gate)
                       * (update_gate * (1 - update_gate)))
        input_grads = _join(F, [grad_reset, grad_update, grad_new], 1)
        hidden_grads = _join(F, [grad_reset, grad_update, grad_new * reset_gate], 1)
        carry = grad_hidden * update_gate + hidden_grads @ weight_hh
        grad_x[step] = input_grads @ weight_ih
        terms = [F.matrix_transpose(input_grads) @ x[step],
                 F.matrix_transpose(hidden_grads) @ previous[position],
                 F.sum(input_grads, axis=0, keepdims=False),
                 F.sum(hidden_grads, axis=0, keepdims=False)]
        totals = terms if not totals else [
            total + term for total, term in zip(totals, terms, strict=True)]
    grad_ih, grad_hh, grad_bias_ih, grad_bias_hh = totals
    if bias_ih is None:
        grad_bias_ih = grad_bias_hh = None
    return (_stack(F, grad_x) if parents[0] is not None else None, carry, grad_ih, grad_hh,
            grad_bias_ih, grad_bias_hh, None)


def _gru_vjp(F: Any, grad: Any, inputs: Any, output: Any, parents: Any, reverse: bool,
             keep: bool) -> tuple[Any, ...]:
    if F.graph_mode:
        return _gru_graph_vjp(F, grad, inputs, output, parents, reverse)
    return _gru_array_vjp(F.xp, grad, inputs, parents, reverse)


GRU_LAYER = Primitive("gru_layer", _gru_forward, _gru_vjp, saves="both")


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
        weights = self._weights(layer, suffix)
        operands = (x, initial[0], *weights)
        keep = is_grad_enabled() and any(isinstance(operand, Variable) for operand in operands)
        steps, batch, features = x.shape
        size = self.hidden_size
        rows = size + features + self.bias + (size if keep else 0)
        dtype = np.result_type(x.dtype, weights[0].dtype)
        workspace = _new_constant(namespace_of(x.data()).empty((steps, rows, batch),
                                                                dtype=dtype))
        reverse = suffix == "_reverse"
        # (T, H, B): the hidden states in visiting order
        result = apply(RNN_LAYER, *operands, workspace, nonlinearity=self.nonlinearity,
                       reverse=reverse, keep=keep)
        visited = result[::-1] if reverse else result
        return transpose(visited, (0, 2, 1)), [matrix_transpose(result[steps - 1])]

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
        weights = self._weights(layer, suffix)
        operands = (x, initial[0], *weights)
        keep = is_grad_enabled() and any(isinstance(operand, Variable) for operand in operands)
        steps, batch, features = x.shape
        size = self.hidden_size
        rows = size + features + self.bias + (_GRU_KEPT_ROWS * size if keep else 0)
        dtype = np.result_type(x.dtype, weights[0].dtype)
        workspace = _new_constant(namespace_of(x.data()).empty((steps, rows, batch),
                                                                dtype=dtype))
        reverse = suffix == "_reverse"
        # (T, H, B): the hidden states in visiting order
        result = apply(GRU_LAYER, *operands, workspace, reverse=reverse, keep=keep)
        visited = result[::-1] if reverse else result
        return transpose(visited, (0, 2, 1)), [matrix_transpose(result[steps - 1])]

    def forward(self, input: Tensor[*tuple[Any, ...]], hx: Tensor[*tuple[Any, ...]] | None = None
                ) -> tuple[Any, Any]:
        """``(output, h_n)`` for the sequence ``input`` from the initial state ``hx``."""
        output, (final_hidden,) = self._forward(input, None if hx is None else [hx])
        return output, final_hidden
