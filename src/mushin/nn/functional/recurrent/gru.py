"""The GRU's recurrence: its loop over time, its backpropagation through time and its recorded
(second-order) VJP, and ``gru``, the stacked layers.

Laid out like the LSTM (feature-major, one primitive per layer and direction, the workspace
``(T, rows, B)`` starting each step's block with ``z_t = [h_(t-1); x_t; 1]``), with what the
GRU's formulation allows: the new gate's hidden projection ``W_hn h + b_hn`` is multiplied by
the reset gate before its input projection is added, so the two can't be one product. A
step's product is ``[[W_hz, W_iz, b_iz + b_hz], [W_hr, W_ir, b_ir + b_hr], [W_hn, 0, b_hn]] @
z_t`` (the update and reset rows halved, so that one ``tanh`` call gives both sigmoids), and
the new gate's input projection ``W_in x_t + b_in`` of every step is one batched product
before the loop. Inside, the gates run in the order (z, r, n), PyTorch's being (r, z, n).

When a gradient can follow (``keep``), a step's block goes on with five ``(H, B)`` rows,
``S = [z, (h - n)(1 - t_z^2), A hn (1 - t_r^2), A r, A]`` with ``A = (1 - z)(1 - n^2)`` and
``t = tanh(p / 2)`` of a sigmoid gate's pre-activation ``p``: a backward step's whole work is
``dh * S``, giving at once the direct term ``dh z`` of the state's gradient and the gradients
of the update and reset pre-activations (times 4, as ``1 - t^2 = 4 s (1 - s)``), of ``W_hn h +
b_hn`` and of ``W_in x + b_in``, then one product by ``W_hh.T`` for the state's gradient. The
weights' gradients are two products over all the steps at the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mushin.nn.functional.recurrent import _driver as driver

_KEPT_ROWS = 5  # per-step workspace rows after z, in units of H, with a gradient to come


def _order(xp: Any, rows: Any, size: int) -> Any:
    """The first two gate row blocks of ``rows`` swapped: PyTorch's order (r, z, n) to the
    internal one (z, r, n), or back (a new array)."""
    return xp.concatenate([rows[size:2 * size], rows[:size], rows[2 * size:]], axis=0)


def _forward(xp: Any, x: Any, initial: Any, weight_ih: Any, weight_hh: Any, bias_ih: Any,
             bias_hh: Any, workspace: Any, reverse: bool, keep: bool) -> Any:
    """One direction of one layer over the time-major ``x`` ``(T, B, F)``: the hidden states
    in visiting order, ``(T, H, B)``."""
    steps, batch, size, features, width, dtype = driver.dimensions(
        workspace, weight_ih, weight_hh, bias_ih)
    weights = xp.zeros((3 * size, width), dtype=dtype)
    weights[:, :size] = _order(xp, weight_hh, size)
    weights[:2 * size, size:size + features] = _order(xp, weight_ih[:2 * size], size)
    input_new = xp.empty((size, width - size), dtype=dtype)  # [W_in | b_in]
    input_new[:, :features] = weight_ih[2 * size:]
    if bias_ih is not None:
        weights[:2 * size, -1] = _order(xp, bias_ih[:2 * size] + bias_hh[:2 * size], size)
        weights[2 * size:, -1] = bias_hh[2 * size:]
        input_new[:, -1] = bias_ih[2 * size:]
    weights[:2 * size] *= 0.5
    driver.fill_workspace(workspace, x, initial, width, bias_ih is not None, reverse)
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


def _input_weights(xp: Any, weight_ih: Any, size: int, dtype: Any) -> Any:
    """The input weights that the gradients of every step's ``(z, r, W_hn h + b_hn, W_in x +
    b_in)`` rows (``columns`` of the last four) meet: the update and reset ones, quartered
    (their gradients come times 4), none for ``W_hn h + b_hn``, and ``W_in``."""
    input_weights = xp.zeros((4 * size, weight_ih.shape[1]), dtype=dtype)
    input_weights[:2 * size] = _order(xp, weight_ih[:2 * size], size)
    input_weights[:2 * size] *= 0.25
    input_weights[3 * size:] = weight_ih[2 * size:]
    return input_weights


def _array_vjp(xp: Any, grad: Any, inputs: Any, output: Any, parents: Any,
               reverse: bool) -> tuple[Any, ...]:
    """Backpropagation through time on the arrays, from what the forward kept."""
    _, _, weight_ih, weight_hh, bias_ih, _, workspace = inputs
    steps, batch, size, features, width, dtype = driver.dimensions(
        workspace, weight_ih, weight_hh, bias_ih)
    # the update and reset gates' gradients come times 4: the 1/4 goes into their weights
    quarter = driver.quarter_rows(xp, 3 * size, 2 * size, dtype)
    recurrent_t = xp.ascontiguousarray(
        (_order(xp, weight_hh, size).astype(dtype, copy=False) * quarter).T)
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
        flat = driver.columns(xp, gate_grads[:, size:])
        if want_weights:
            rows = driver.columns(xp, workspace[:, :width])
            # (z, r, n) rows against [h; x; 1], then the new gate's input side against [x; 1]
            gates = _order(xp, xp.matmul(flat[:3 * size], rows.T) * quarter, size)
            inputs_new = xp.matmul(flat[3 * size:], rows[size:].T)
            grad_hh = gates[:, :size]
            grad_ih = xp.concatenate([gates[:2 * size, size:size + features],
                                      inputs_new[:, :features]], axis=0)
            if bias_ih is not None:
                grad_bias_hh = gates[:, -1]
                grad_bias_ih = xp.concatenate([gates[:2 * size, -1], inputs_new[:, -1]])
        if parents[0] is not None:
            grad_x = driver.input_gradient(xp, _input_weights(xp, weight_ih, size, dtype), flat,
                                           steps, batch, reverse)
    grad_h0 = None if parents[1] is None or carry is None else carry.T
    return grad_x, grad_h0, grad_ih, grad_hh, grad_bias_ih, grad_bias_hh, None


def _graph_vjp(F: Any, grad: Any, inputs: Any, output: Any, parents: Any,
               reverse: bool) -> tuple[Any, ...]:
    """The same gradients with recorded operations (``create_graph=True``): the gates are
    recomputed from the inputs and the hidden states, so that second derivatives see how
    everything depends on the inputs."""
    x, initial, weight_ih, weight_hh, bias_ih, bias_hh, _ = inputs
    steps = x.shape[0]
    size = weight_hh.shape[1]
    order = driver.step_order(steps, reverse)
    weight_ih_t = F.matrix_transpose(weight_ih)
    weight_hh_t = F.matrix_transpose(weight_hh)
    previous = [initial, *driver.hidden_states(F, output, steps - 1)]
    saved: list[tuple[Any, ...]] = []
    for position, step in enumerate(order):
        input_side = x[step] @ weight_ih_t
        hidden_side = previous[position] @ weight_hh_t
        if bias_ih is not None:
            input_side = input_side + bias_ih
            hidden_side = hidden_side + bias_hh
        reset_gate, update_gate = (
            driver.sigmoid(F, input_side[:, gate * size:(gate + 1) * size]
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
        grad_hidden = driver.incoming(F, grad, position, carry)
        grad_new = grad_hidden * (1 - update_gate) * (1 - new_gate * new_gate)
        grad_reset = grad_new * hidden_new * (reset_gate * (1 - reset_gate))
        grad_update = (grad_hidden * (previous[position] - new_gate)
                       * (update_gate * (1 - update_gate)))
        input_grads = driver.join(F, [grad_reset, grad_update, grad_new], 1)
        hidden_grads = driver.join(F, [grad_reset, grad_update, grad_new * reset_gate], 1)
        carry = grad_hidden * update_gate + hidden_grads @ weight_hh
        grad_x[step] = input_grads @ weight_ih
        totals = driver.accumulate(totals, [F.matrix_transpose(input_grads) @ x[step],
                                            F.matrix_transpose(hidden_grads) @ previous[position],
                                            F.sum(input_grads, axis=(0,), keepdims=False),
                                            F.sum(hidden_grads, axis=(0,), keepdims=False)])
    grad_ih, grad_hh, grad_bias_ih, grad_bias_hh = totals
    if bias_ih is None:
        grad_bias_ih = grad_bias_hh = None
    return (driver.stack_steps(F, grad_x) if parents[0] is not None else None, carry, grad_ih,
            grad_hh, grad_bias_ih, grad_bias_hh, None)


GRU_LAYER = driver.layer_primitive("gru_layer", _forward, _array_vjp, _graph_vjp)


def gru(x: Any, initial: Sequence[Sequence[Any]], weights: Sequence[driver.Weights], *,
        bidirectional: bool = False, dropout: float = 0.0, training: bool = True,
        batch_sizes: Sequence[int] | None = None) -> tuple[Any, list[Any]]:
    """Stacked GRU layers over the time-major ``x`` ``(T, B, F)``: the last layer's output
    ``(T, B, directions * H)`` and ``[h_n]``, the final hidden states ``(layers * directions,
    B, H)``. ``initial`` and ``weights`` hold, for every layer and direction in PyTorch's
    order, ``[h_0]`` ``(B, H)`` and ``(weight_ih, weight_hh, bias_ih, bias_hh)`` (biases
    ``None`` without bias). With ``batch_sizes``, ``x`` is a packed batch's data ``(rows,
    F)`` and so is the output (see ``_driver.run_packed``)."""
    return driver.run_layers(GRU_LAYER, _KEPT_ROWS, x, initial, weights, bidirectional,
                             dropout, training, batch_sizes=batch_sizes)
