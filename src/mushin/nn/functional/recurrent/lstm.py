"""The LSTM's recurrence: its loop over time, its backpropagation through time and its
recorded (second-order) VJP, and ``lstm``, the stacked layers.

One primitive for a whole layer in one direction, input projection included, laid out
*feature-major*: every per-step array is ``(rows, B)``, states ``(H, B)`` and gates ``(4H,
B)``. A step's matrix product is then ``weights @ state`` with the long side first, which
BLAS runs markedly faster at these sizes than ``state @ weights.T`` (OpenBLAS, hidden 128,
batch 32: 19 against 25 microseconds forward, 22 against 30 backward). Everything a step
touches is one contiguous block of the workspace: strided per-step slices of sequence-sized
arrays cost several times more (cache and TLB misses).

The workspace ``(T, rows, B)`` holds, for every step in the order the steps are visited
(reversed for the reverse direction), ``z_t = [h_(t-1); x_t; 1]``: what the step multiplies,
by ``weights = [W_hh | W_ih | b_ih + b_hh]``. So the input projection and the bias ride along
in the recurrent product (no sequence-sized projection, no pass to add a bias), and the
gradient of all three weights is one product over every step, ``gate_grads @ z.T``. When a
gradient can follow (``keep``), the rest of a step's rows are what its backward step
multiplies by: the gate pre-activations' derivatives by dc_t (i, f, g) or dh_t (o), that of
c_t by dh_t, and the forget gate. Each backward step is then a handful of calls, and the
workspace holds no more than the backward reads (the gates and cell states live in one small
array the steps reuse).

Inside, the gates run in the order (i, f, o, g), so that the three sigmoid gates are one
block, with their weight rows halved: ``sigmoid(p) = tanh(p / 2) / 2 + 1/2``, so one ``tanh``
call activates all four gates. The gradients are put back into PyTorch's order (i, f, g, o).

The output is ``(T + 1, H, B)``: the hidden state after each step in visiting order, then the
final cell state.

With a projection (PyTorch's ``proj_size``, ``weight_hr`` ``(P, H)``), the state a step reads
is ``h = weight_hr @ (o * tanh(c))``, ``P`` rows: each step writes that product into the next
step's ``z``, and ``W_hh`` is ``(4H, P)``. The output still holds the unprojected ``o *
tanh(c)`` (what ``weight_hr``'s gradient needs); the driver projects it with one batched
product, which also carries the outputs' part of ``weight_hr``'s gradient, the recurrence's
part being one product over the steps here.

On NumPy with Numba (``mushin.kernels.cpu``), without a projection, each step's
element-wise work runs as fused kernels: two per forward step (the gates and cell state; the
hidden state and the factors) around NumPy's vectorised ``tanh`` passes, and one per
backward step. The portable rules above stay the reference the tests compare
them with (``tests/test_cpu_kernels_recurrent.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mushin.kernels import cpu
from mushin.nn.functional.recurrent import _driver as driver

_KEPT_ROWS = 6  # per-step workspace rows after z, in units of H, with a gradient to come


def _order(xp: Any, rows: Any, size: int) -> Any:
    """The four gate row blocks of ``rows`` swapped between PyTorch's order (i, f, g, o) and
    the internal one (i, f, o, g), either way (a new array)."""
    return xp.concatenate([rows[:2 * size], rows[3 * size:], rows[2 * size:3 * size]], axis=0)


def _step_weights(xp: Any, weight_ih: Any, weight_hh: Any, bias_ih: Any, bias_hh: Any,
                  workspace: Any) -> Any:
    """``[W_hh | W_ih | b_ih + b_hh]`` ``(4H, width)`` in the internal gate order, the
    sigmoid gates' rows halved: what a step's ``z`` is multiplied by."""
    _, _, state, features, width, dtype = driver.dimensions(
        workspace, weight_ih, weight_hh, bias_ih)
    size = weight_hh.shape[0] // 4
    weights = xp.empty((4 * size, width), dtype=dtype)
    weights[:, :state] = _order(xp, weight_hh, size)
    weights[:, state:state + features] = _order(xp, weight_ih, size)
    if bias_ih is not None:
        weights[:, -1] = _order(xp, bias_ih + bias_hh, size)
    weights[:3 * size] *= 0.5
    return weights


def _forward(xp: Any, x: Any, initial_hidden: Any, initial_cell: Any, weight_ih: Any,
             weight_hh: Any, bias_ih: Any, bias_hh: Any, weight_hr: Any, workspace: Any,
             reverse: bool, keep: bool) -> Any:
    """One direction of one layer over the time-major ``x`` ``(T, B, F)``: ``(T + 1, H,
    B)``, the (unprojected) hidden states in visiting order and the final cell state."""
    steps, batch, state, _, width, dtype = driver.dimensions(
        workspace, weight_ih, weight_hh, bias_ih)
    size = weight_hh.shape[0] // 4
    weights = _step_weights(xp, weight_ih, weight_hh, bias_ih, bias_hh, workspace)
    projection = None if weight_hr is None else weight_hr.astype(dtype, copy=False)
    driver.fill_workspace(workspace, x, initial_hidden, width, bias_ih is not None, reverse)
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
            if projection is None:
                workspace[step + 1, :size] = hidden
            else:
                xp.matmul(projection, hidden, out=workspace[step + 1, :state])
        if keep:
            factors[2 * size:3 * size] *= tanh_cell
            # o (1 - tanh(c)^2) = o - h tanh(c)
            xp.subtract(output_gate, xp.multiply(hidden, tanh_cell, out=product),
                        out=block[width + 4 * size:width + 5 * size])
            block[width + 5 * size:] = forget_gate
    output[-1] = cell
    return output


def _array_vjp(xp: Any, grad: Any, inputs: Any, output: Any, parents: Any,
               reverse: bool) -> tuple[Any, ...]:
    """Backpropagation through time on the arrays, from what the forward kept."""
    _, _, _, weight_ih, weight_hh, bias_ih, _, weight_hr, workspace = inputs
    steps, batch, state, _, width, dtype = driver.dimensions(
        workspace, weight_ih, weight_hh, bias_ih)
    size = weight_hh.shape[0] // 4
    projection_t = None if weight_hr is None else xp.ascontiguousarray(
        weight_hr.astype(dtype, copy=False).T)
    # the gradients of the state rows of every step's z (projected: weight_hr's gradient)
    state_grads = xp.empty((steps, state, batch), dtype=dtype) \
        if projection_t is not None and parents[7] is not None else None
    # the products below give each sigmoid gate's gradient times 4 (1 - t^2 = 4 s (1 - s)):
    # the factor 1/4 goes into the weights they meet
    quarter = driver.quarter_rows(xp, 4 * size, 3 * size, dtype)
    recurrent_t = xp.ascontiguousarray(
        (_order(xp, weight_hh, size).astype(dtype, copy=False) * quarter).T)
    gate_grads = xp.empty((steps, 4 * size, batch), dtype=dtype)
    carry_hidden = carry_state = None
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
            carry_state = xp.matmul(recurrent_t, step_grads)
            if projection_t is None:
                carry_hidden = carry_state
            elif step:
                carry_hidden = xp.matmul(projection_t, carry_state)
                if state_grads is not None:
                    state_grads[step] = carry_state
    grad_hr = None
    if state_grads is not None and steps > 1:
        # each step's state is weight_hr times the previous step's output
        grad_hr = xp.matmul(driver.columns(xp, state_grads[1:]),
                            driver.columns(xp, output[:steps - 1]).T)
    want_input, want_weights = _wanted(parents)
    return _gradients(xp, inputs, parents, reverse, quarter,
                      driver.columns(xp, gate_grads) if want_input or want_weights else None,
                      driver.columns(xp, workspace[:, :width]) if want_weights else None,
                      carry_state, carry_cell, grad_hr)


def _wanted(parents: Any) -> tuple[bool, bool]:
    """Whether the input's gradient is wanted, and the weights' (any of them)."""
    return parents[0] is not None, any(parents[index] is not None for index in (3, 4, 5, 6))


def _gradients(xp: Any, inputs: Any, parents: Any, reverse: bool, quarter: Any,
               gate_columns: Any, z_columns: Any, carry_state: Any, carry_cell: Any,
               grad_hr: Any) -> tuple[Any, ...]:
    """The operands' gradients once the steps are done, from ``gate_columns``, the
    gradients of every step's pre-activations (sigmoid gates times 4), and ``z_columns``,
    every step's ``z``, each as ``driver.columns`` (``None`` where no gradient wants them,
    see ``_wanted``); ``carry_state`` and ``carry_cell`` are what the first step sent back to
    the initial states, ``grad_hr`` ``weight_hr``'s."""
    _, _, _, weight_ih, weight_hh, bias_ih, _, _, workspace = inputs
    steps, batch, state, features, _, dtype = driver.dimensions(
        workspace, weight_ih, weight_hh, bias_ih)
    size = weight_hh.shape[0] // 4
    grad_x = grad_ih = grad_hh = grad_bias = None
    if z_columns is not None:
        grad_weights = _order(xp, xp.matmul(gate_columns, z_columns.T) * quarter, size)
        grad_hh = grad_weights[:, :state]
        grad_ih = grad_weights[:, state:state + features]
        if bias_ih is not None:
            grad_bias = grad_weights[:, -1]
    if parents[0] is not None:
        input_weights = _order(xp, weight_ih, size).astype(dtype, copy=False) * quarter
        grad_x = driver.input_gradient(xp, input_weights, gate_columns, steps, batch, reverse)
    grad_h0 = None if parents[1] is None or carry_state is None else carry_state.T
    grad_c0 = carry_cell.T if parents[2] is not None else None
    return grad_x, grad_h0, grad_c0, grad_ih, grad_hh, grad_bias, grad_bias, grad_hr, None


def _graph_vjp(F: Any, grad: Any, inputs: Any, output: Any, parents: Any,
               reverse: bool) -> tuple[Any, ...]:
    """The same gradients with recorded operations (``create_graph=True``): the gates are
    recomputed from the inputs and the hidden states, so that second derivatives see how
    everything depends on the inputs."""
    x, initial_hidden, initial_cell, weight_ih, weight_hh, bias_ih, bias_hh, weight_hr, _ = \
        inputs
    steps = x.shape[0]
    size = weight_hh.shape[0] // 4
    order = driver.step_order(steps, reverse)
    weight_ih_t = F.matrix_transpose(weight_ih)
    weight_hh_t = F.matrix_transpose(weight_hh)
    outputs = driver.hidden_states(F, output, steps - 1)  # unprojected, (B, H) each
    if weight_hr is not None:
        weight_hr_t = F.matrix_transpose(weight_hr)
        previous = [initial_hidden, *(hidden @ weight_hr_t for hidden in outputs)]
    else:
        previous = [initial_hidden, *outputs]
    saved: list[tuple[Any, ...]] = []
    cell = initial_cell
    for position, step in enumerate(order):
        pre_activation = x[step] @ weight_ih_t + previous[position] @ weight_hh_t
        if bias_ih is not None:
            pre_activation = pre_activation + (bias_ih + bias_hh)
        input_gate, forget_gate, output_gate = (
            driver.sigmoid(F, pre_activation[:, gate * size:(gate + 1) * size])
            for gate in (0, 1, 3))
        cell_gate = F.tanh(pre_activation[:, 2 * size:3 * size])
        new_cell = forget_gate * cell + input_gate * cell_gate
        saved.append((input_gate, forget_gate, cell_gate, output_gate, cell, F.tanh(new_cell)))
        cell = new_cell
    carry_hidden = carry_state = grad_hr = None
    carry_cell = F.matrix_transpose(grad[steps])
    grad_x: list[Any] = [None] * steps
    totals: list[Any] = []
    for position in range(steps - 1, -1, -1):
        step = order[position]
        input_gate, forget_gate, cell_gate, output_gate, previous_cell, tanh_cell = \
            saved[position]
        grad_hidden = driver.incoming(F, grad, position, carry_hidden)
        grad_cell = grad_hidden * (output_gate * (1 - tanh_cell * tanh_cell)) + carry_cell
        gate_grads = driver.join(F, [
            grad_cell * cell_gate * (input_gate * (1 - input_gate)),
            grad_cell * previous_cell * (forget_gate * (1 - forget_gate)),
            grad_cell * input_gate * (1 - cell_gate * cell_gate),
            grad_hidden * tanh_cell * (output_gate * (1 - output_gate))], 1)
        carry_cell = grad_cell * forget_gate
        carry_state = gate_grads @ weight_hh
        if weight_hr is None:
            carry_hidden = carry_state
        elif position:
            carry_hidden = carry_state @ weight_hr
            term = F.matrix_transpose(carry_state) @ outputs[position - 1]
            grad_hr = term if grad_hr is None else grad_hr + term
        grad_x[step] = gate_grads @ weight_ih
        transposed = F.matrix_transpose(gate_grads)
        totals = driver.accumulate(totals, [transposed @ x[step],
                                            transposed @ previous[position],
                                            F.sum(gate_grads, axis=(0,), keepdims=False)])
    grad_ih, grad_hh, grad_bias = totals
    if bias_ih is None:
        grad_bias = None
    return (driver.stack_steps(F, grad_x) if parents[0] is not None else None, carry_state,
            carry_cell, grad_ih, grad_hh, grad_bias, grad_bias, grad_hr, None)


# --- the fused CPU kernels -----------------------------------------------------------------
# A step's element-wise work, some 17 NumPy calls of 1 to 7 microseconds forward and 7
# backward at the benchmark's sizes, is two kernels forward and one backward. The tanh of the
# gates and of the cell state stay NumPy passes: NumPy's tanh is vectorised (about 2
# microseconds for 4096 float32 elements), Numba's is a scalar libm call (about 44).


@cpu.kernel
def _gates_kernel(gates: Any, cell: Any, workspace: Any, step: int, width: int,
                  keep: bool) -> None:
    # ``gates`` holds tanh of the pre-activations (i, f, o halved): the sigmoids replace them,
    # the cell state becomes c_t, and (keep) the step's factors are written (see _forward)
    size, batch = cell.shape
    for row in range(size):
        for column in range(batch):
            tanh_i = gates[row, column]
            tanh_f = gates[size + row, column]
            tanh_o = gates[2 * size + row, column]
            cell_gate = gates[3 * size + row, column]
            input_gate = 0.5 * tanh_i + 0.5
            forget_gate = 0.5 * tanh_f + 0.5
            previous = cell[row, column]
            if keep:
                workspace[step, width + row, column] = (1 - tanh_i * tanh_i) * cell_gate
                workspace[step, width + size + row, column] = (1 - tanh_f * tanh_f) * previous
                workspace[step, width + 2 * size + row, column] = 1 - tanh_o * tanh_o
                workspace[step, width + 3 * size + row, column] = (
                    (1 - cell_gate * cell_gate) * input_gate)
            gates[size + row, column] = forget_gate
            gates[2 * size + row, column] = 0.5 * tanh_o + 0.5
            cell[row, column] = forget_gate * previous + input_gate * cell_gate


@cpu.kernel
def _hidden_kernel(gates: Any, tanh_cell: Any, output: Any, workspace: Any, step: int,
                   width: int, keep: bool) -> None:
    # h_t = o tanh(c_t), into the output and the next step's z; (keep) the output gate's
    # factor times tanh(c_t), c_t's o (1 - tanh(c_t)^2) = o - h tanh(c_t), and f
    size, batch = tanh_cell.shape
    following = step + 1 < workspace.shape[0]
    for row in range(size):
        for column in range(batch):
            output_gate = gates[2 * size + row, column]
            tanh_c = tanh_cell[row, column]
            hidden = output_gate * tanh_c
            output[step, row, column] = hidden
            if following:
                workspace[step + 1, row, column] = hidden
            if keep:
                workspace[step, width + 2 * size + row, column] *= tanh_c
                workspace[step, width + 4 * size + row, column] = output_gate - hidden * tanh_c
                workspace[step, width + 5 * size + row, column] = gates[size + row, column]


@cpu.kernel
def _backward_kernel(grad: Any, carry_hidden: Any, carry_cell: Any, workspace: Any, step: int,
                     width: int, first: bool, step_grads: Any) -> None:
    # one step of _array_vjp's loop (``first``: no carry_hidden yet)
    size, batch = carry_cell.shape
    for row in range(size):
        for column in range(batch):
            grad_hidden = grad[step, row, column]
            if not first:
                grad_hidden += carry_hidden[row, column]
            grad_cell = (grad_hidden * workspace[step, width + 4 * size + row, column]
                         + carry_cell[row, column])
            for gate in range(4):
                index = gate * size + row
                factor = workspace[step, width + index, column]
                step_grads[index, column] = factor * grad_hidden if gate == 2 \
                    else factor * grad_cell
            carry_cell[row, column] = grad_cell * workspace[step, width + 5 * size + row, column]


def _cpu_forward(xp: Any, x: Any, initial_hidden: Any, initial_cell: Any, weight_ih: Any,
                 weight_hh: Any, bias_ih: Any, bias_hh: Any, weight_hr: Any, workspace: Any,
                 reverse: bool, keep: bool) -> Any:
    """``_forward`` with each step's element-wise work in two kernels (without a
    projection)."""
    if weight_hr is not None or not cpu.fusable(workspace):
        return NotImplemented
    steps, batch, _, _, width, dtype = driver.dimensions(workspace, weight_ih, weight_hh,
                                                         bias_ih)
    size = weight_hh.shape[0] // 4
    weights = _step_weights(xp, weight_ih, weight_hh, bias_ih, bias_hh, workspace)
    driver.fill_workspace(workspace, x, initial_hidden, width, bias_ih is not None, reverse)
    gates = xp.empty((4 * size, batch), dtype=dtype)
    tanh_cell = xp.empty((size, batch), dtype=dtype)
    output = xp.empty((steps + 1, size, batch), dtype=dtype)
    cell = output[-1]  # c_t, updated in place
    cell[...] = initial_cell.T
    for step in range(steps):
        xp.matmul(weights, workspace[step, :width], out=gates)
        xp.tanh(gates, out=gates)
        _gates_kernel(gates, cell, workspace, step, width, keep)
        xp.tanh(cell, out=tanh_cell)
        _hidden_kernel(gates, tanh_cell, output, workspace, step, width, keep)
    return output


def _cpu_array_vjp(xp: Any, grad: Any, inputs: Any, output: Any, parents: Any,
                   reverse: bool) -> Any:
    """``_array_vjp`` with each step's element-wise work in one kernel (without a
    projection)."""
    _, _, _, weight_ih, weight_hh, bias_ih, _, weight_hr, workspace = inputs
    if weight_hr is not None or not cpu.fusable(workspace) or grad.dtype != workspace.dtype:
        return NotImplemented
    steps, batch, _, _, width, dtype = driver.dimensions(workspace, weight_ih, weight_hh,
                                                         bias_ih)
    size = weight_hh.shape[0] // 4
    quarter = driver.quarter_rows(xp, 4 * size, 3 * size, dtype)
    recurrent_t = xp.ascontiguousarray(
        (_order(xp, weight_hh, size).astype(dtype, copy=False) * quarter).T)
    gate_grads = xp.empty((steps, 4 * size, batch), dtype=dtype)
    carry_state = None
    carry_hidden = carry_cell = xp.array(grad[-1], dtype=dtype, order="C")
    for step in range(steps - 1, -1, -1):
        _backward_kernel(grad, carry_hidden, carry_cell, workspace, step, width,
                         step == steps - 1, gate_grads[step])
        if step or parents[1] is not None:
            carry_hidden = carry_state = xp.matmul(recurrent_t, gate_grads[step])
    want_input, want_weights = _wanted(parents)
    gate_columns = driver.columns(xp, gate_grads) if want_input or want_weights else None
    z_columns = driver.columns(xp, workspace[:, :width]) if want_weights else None
    return _gradients(xp, inputs, parents, reverse, quarter, gate_columns, z_columns,
                      carry_state, carry_cell, None)


LSTM_LAYER = driver.layer_primitive("lstm_layer", _forward, _array_vjp, _graph_vjp,
                                    _cpu_forward, _cpu_array_vjp)


def lstm(x: Any, initial: Sequence[Sequence[Any]], weights: Sequence[driver.Weights], *,
         bidirectional: bool = False, dropout: float = 0.0, training: bool = True,
         projections: Sequence[Any] | None = None,
         batch_sizes: Sequence[int] | None = None) -> tuple[Any, list[Any]]:
    """Stacked LSTM layers over the time-major ``x`` ``(T, B, F)``: the last layer's output
    ``(T, B, directions * H)`` and ``[h_n, c_n]``, the final hidden and cell states, each
    ``(layers * directions, B, H)``. ``initial`` and ``weights`` hold, for every layer and
    direction in PyTorch's order, ``[h_0, c_0]`` (each ``(B, H)``) and ``(weight_ih,
    weight_hh, bias_ih, bias_hh)`` (biases ``None`` without bias); ``projections`` its
    ``weight_hr`` ``(P, H)`` (PyTorch's ``proj_size``: the outputs and ``h`` are then ``P``
    wide). With ``batch_sizes``, ``x`` is a packed batch's data ``(rows, F)`` and so is the
    output (see ``_driver.run_packed``)."""
    if projections is None and isinstance(weights, list | tuple):  # (else run_layers refuses)
        projections = [None] * len(weights)
    return driver.run_layers(LSTM_LAYER, _KEPT_ROWS, x, initial, weights, bidirectional,
                             dropout, training, projections, batch_sizes)
