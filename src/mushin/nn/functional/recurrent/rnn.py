"""The Elman RNN's recurrence (tanh or relu): its loop over time, its backpropagation through
time and its recorded (second-order) VJP, and ``rnn``, the stacked layers.

Laid out like the LSTM (see ``_driver.py`` and ``lstm.py``): feature-major, the workspace's
block of a step starting with ``z_t = [h_(t-1); x_t; 1]``, one product ``[W_hh | W_ih | b_ih +
b_hh] @ z_t`` per step. When a gradient can follow, the block goes on with the activation's
slope at that step, ``1 - h^2`` (tanh) or ``sign(h)`` (relu), which is all a backward step
multiplies by.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mushin.nn.functional.recurrent import _driver as driver

_KEPT_ROWS = 1  # per-step workspace rows after z, in units of H, with a gradient to come


def _forward(xp: Any, x: Any, initial: Any, weight_ih: Any, weight_hh: Any, bias_ih: Any,
             bias_hh: Any, workspace: Any, nonlinearity: str, reverse: bool, keep: bool) -> Any:
    """One direction of one layer over the time-major ``x`` ``(T, B, F)``: the hidden states
    in visiting order, ``(T, H, B)``."""
    steps, batch, size, features, width, dtype = driver.dimensions(
        workspace, weight_ih, weight_hh, bias_ih)
    weights = xp.empty((size, width), dtype=dtype)
    weights[:, :size] = weight_hh
    weights[:, size:size + features] = weight_ih
    if bias_ih is not None:
        weights[:, -1] = bias_ih + bias_hh
    driver.fill_workspace(workspace, x, initial, width, bias_ih is not None, reverse)
    output = xp.empty((steps, size, batch), dtype=dtype)
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


def _array_vjp(xp: Any, grad: Any, inputs: Any, output: Any, parents: Any,
               reverse: bool) -> tuple[Any, ...]:
    """Backpropagation through time on the arrays, from what the forward kept."""
    _, _, weight_ih, weight_hh, bias_ih, _, workspace = inputs
    steps, batch, size, features, width, dtype = driver.dimensions(
        workspace, weight_ih, weight_hh, bias_ih)
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
        flat = driver.columns(xp, pre_grads)
        if want_weights:
            grad_weights = xp.matmul(flat, driver.columns(xp, workspace[:, :width]).T)
            grad_hh = grad_weights[:, :size]
            grad_ih = grad_weights[:, size:size + features]
            if bias_ih is not None:
                grad_bias = grad_weights[:, -1]
        if parents[0] is not None:
            grad_x = driver.input_gradient(xp, weight_ih.astype(dtype, copy=False), flat, steps,
                                           batch, reverse)
    grad_h0 = None if parents[1] is None or carry is None else carry.T
    return grad_x, grad_h0, grad_ih, grad_hh, grad_bias, grad_bias, None


def _graph_vjp(F: Any, grad: Any, inputs: Any, output: Any, parents: Any, reverse: bool,
               nonlinearity: str) -> tuple[Any, ...]:
    """The same gradients with recorded operations (``create_graph=True``); the slopes come
    from the (recorded) hidden states, so second derivatives see how they depend on the
    inputs."""
    x, initial, weight_ih, weight_hh, bias_ih, _, _ = inputs
    steps = x.shape[0]
    order = driver.step_order(steps, reverse)
    hidden = driver.hidden_states(F, output, steps)
    previous = [initial, *hidden[:steps - 1]]
    carry = None
    grad_x: list[Any] = [None] * steps
    totals: list[Any] = []
    for position in range(steps - 1, -1, -1):
        step = order[position]
        state = hidden[position]
        grad_hidden = driver.incoming(F, grad, position, carry)
        slope = 1 - state * state if nonlinearity == "tanh" else state > 0
        grad_pre = grad_hidden * slope
        carry = grad_pre @ weight_hh
        grad_x[step] = grad_pre @ weight_ih
        transposed = F.matrix_transpose(grad_pre)
        totals = driver.accumulate(totals, [transposed @ x[step],
                                            transposed @ previous[position],
                                            F.sum(grad_pre, axis=(0,), keepdims=False)])
    grad_ih, grad_hh, grad_bias = totals
    if bias_ih is None:
        grad_bias = None
    return (driver.stack_steps(F, grad_x) if parents[0] is not None else None, carry, grad_ih,
            grad_hh, grad_bias, grad_bias, None)


RNN_LAYER = driver.layer_primitive("rnn_layer", _forward, _array_vjp, _graph_vjp)


def rnn(x: Any, initial: Sequence[Sequence[Any]], weights: Sequence[driver.Weights], *,
        nonlinearity: str = "tanh", bidirectional: bool = False, dropout: float = 0.0,
        training: bool = True, batch_sizes: Sequence[int] | None = None
        ) -> tuple[Any, list[Any]]:
    """Stacked Elman RNN layers over the time-major ``x`` ``(T, B, F)``: the last layer's
    output ``(T, B, directions * H)`` and ``[h_n]``, the final hidden states ``(layers *
    directions, B, H)``. ``initial`` and ``weights`` hold, for every layer and direction in
    PyTorch's order, ``[h_0]`` ``(B, H)`` and ``(weight_ih, weight_hh, bias_ih, bias_hh)``
    (biases ``None`` without bias); ``nonlinearity`` is ``"tanh"`` or ``"relu"``. With
    ``batch_sizes``, ``x`` is a packed batch's data ``(rows, F)`` and so is the output (see
    ``_driver.run_packed``)."""
    return driver.run_layers(RNN_LAYER, _KEPT_ROWS, x, initial, weights, bidirectional,
                             dropout, training, batch_sizes=batch_sizes,
                             nonlinearity=nonlinearity)
