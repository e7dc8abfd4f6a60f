"""Fused CUDA kernels for the hot spots of a training step, used where the arrays are CuPy's.

On a GPU a small training step is bound by the host: each CuPy call costs some 10 to 50 us
of Python and launch work, whatever its size, so an update written as eight NumPy-style
operations costs eight launches. The functions here do such a chain in one kernel (CuPy's
``ElementwiseKernel`` or a ``RawKernel``), compiled on first use and cached by CuPy on disk.
Each caller keeps its NumPy-style code as the path for every other array module (NumPy, the
test suite's stand-in backend), and ``enabled(xp)`` picks the kernel only for CuPy itself.

Every kernel computes the same quantities in the same order as the portable path, in the
arrays' own dtype; only rounding differs (CUDA contracts ``a * b + c`` into one fused
multiply-add). ``tests/test_cuda_kernels.py`` compiles each kernel as C++ and compares it with
the portable path on any machine; ``tests/test_fused.py`` compares it with the CPU on a GPU.
"""

from __future__ import annotations

import functools
from typing import Any

from mushin._backend import Array, namespace_of

BLOCK = 128
"""Threads per block of the row kernels (one block per row)."""


def enabled(xp: Any) -> bool:
    """Whether ``xp`` is CuPy, whose arrays the kernels here take."""
    return getattr(xp, "__name__", None) == "cupy"


def on_gpu(array: Any) -> bool:
    """Whether ``array`` is a CuPy array (cheaper than finding its namespace)."""
    return type(array).__module__.startswith("cupy")


def fusable(array: Any, *others: Any) -> bool:
    """Whether ``array`` is a float32 or float64 CuPy array, and ``others`` arrays of its
    shape and dtype: what the point-wise and row kernels take."""
    return (on_gpu(array) and array.dtype.char in "fd"
            and all(other.shape == array.shape and other.dtype == array.dtype
                    for other in others))


def fused_vjp(F: Any, grad: Any, *arrays: Any) -> bool:
    """Whether an array-mode VJP can run as one kernel here: :func:`fusable` arrays, and not
    a recorded second-order pass (``F.graph_mode``), which composes operations instead."""
    return not F.graph_mode and fusable(grad, *arrays)


@functools.cache
def elementwise(xp: Any, in_params: str, out_params: str, body: str, name: str) -> Any:
    """A cached ``xp.ElementwiseKernel`` (CuPy compiles it at its first call)."""
    return xp.ElementwiseKernel(in_params, out_params, body, name)


_C_TYPES = {"float32": "float", "float64": "double", "int8": "signed char",
            "int16": "short", "int32": "int", "int64": "long long", "uint8": "unsigned char",
            "uint16": "unsigned short", "uint32": "unsigned int",
            "uint64": "unsigned long long"}


@functools.cache
def _raw(xp: Any, source: str, name: str, value_type: str, index_type: str) -> Any:
    code = (f"typedef {_C_TYPES[value_type]} T;\ntypedef {_C_TYPES[index_type]} I;\n"
            f"#define BLOCK {BLOCK}\n{_HELPERS}\n{source}")
    return xp.RawKernel(code, name)


def _xp(array: Array) -> Any:
    """CuPy (the array module of ``array``)."""
    return namespace_of(array)


def _scalar(array: Array, value: float) -> Any:
    """``value`` as a scalar of ``array``'s dtype: a kernel's ``T`` argument."""
    return array.dtype.type(value)


# --- optimizer updates ------------------------------------------------------------------------
# One kernel per optimizer (and per set of state buffers it keeps), updating the parameter and
# its buffers in place. ``decay`` is the L2 weight decay added to the gradient (0: none).

_DECAYED = "T d = g; if (decay != (T)0) d = p * decay + d;\n"


def sgd(param: Array, grad: Array, buffer: Array | None, lr: float, decay: float,
        momentum: float, keep: float, nesterov: bool, started: bool) -> None:
    """SGD: ``buffer`` (None without momentum) is the momentum buffer; ``keep`` is
    ``1 - dampening``; ``started`` is False at the first step (the buffer becomes the
    gradient)."""
    xp = _xp(param)
    if buffer is None:
        kernel = elementwise(xp, "T g, T lr, T decay", "T p",
                             _DECAYED + "p = p - d * lr;", "mushin_sgd")
        kernel(grad, _scalar(param, lr), _scalar(param, decay), param)
        return
    kernel = elementwise(
        xp, "T g, T lr, T decay, T momentum, T keep, int32 nesterov, int32 started",
        "T p, T b", _DECAYED + """
        if (started) b = b * momentum + (keep != (T)1 ? d * keep : d); else b = d;
        T u = nesterov ? b * momentum + d : b;
        p = p - u * lr;""", "mushin_sgd_momentum")
    kernel(grad, _scalar(param, lr), _scalar(param, decay), _scalar(param, momentum),
           _scalar(param, keep), xp.int32(nesterov), xp.int32(started), param, buffer)


def adam(param: Array, grad: Array, exp_avg: Array, exp_avg_sq: Array, largest: Array | None,
         step_size: float, beta1: float, beta2: float, correction2: float, eps: float,
         shrink: float, decay: float) -> None:
    """Adam and AdamW: ``shrink`` (``1 - lr * weight_decay`` for AdamW, else 1) scales the
    parameter first; ``largest`` is AMSGrad's running maximum of ``exp_avg_sq`` (or None);
    ``step_size`` is ``-lr / (1 - beta1 ** step)``."""
    xp = _xp(param)
    amsgrad = largest is not None
    body = """
        if (shrink != (T)1) p = p * shrink;
        """ + _DECAYED + """
        m = m + (d - m) * one_minus_beta1;
        v = v * beta2 + d * one_minus_beta2 * d;
        """ + ("top = (v > top || v != v) ? v : top; T w = top;" if amsgrad else "T w = v;") + """
        T denominator = sqrt(w) / correction2 + eps;
        p = p + m / denominator * step_size;"""
    kernel = elementwise(
        xp, "T g, T step_size, T one_minus_beta1, T beta2, T one_minus_beta2, T correction2, "
        "T eps, T shrink, T decay", "T p, T m, T v" + (", T top" if amsgrad else ""), body,
        "mushin_amsgrad" if amsgrad else "mushin_adam")
    outputs = (param, exp_avg, exp_avg_sq) + ((largest,) if amsgrad else ())
    kernel(grad, *(_scalar(param, value) for value in (
        step_size, 1.0 - beta1, beta2, 1.0 - beta2, correction2, eps, shrink, decay)), *outputs)


def rmsprop(param: Array, grad: Array, square_avg: Array, grad_avg: Array | None,
            buffer: Array | None, lr: float, alpha: float, eps: float, decay: float,
            momentum: float) -> None:
    """RMSprop: ``grad_avg`` when centered, ``buffer`` with momentum (each None otherwise)."""
    xp = _xp(param)
    centered, with_momentum = grad_avg is not None, buffer is not None
    body = _DECAYED + "sq = sq * alpha + d * one_minus_alpha * d;\n" + (
        "avg = avg + (d - avg) * one_minus_alpha; T root = sqrt(sq - avg * avg);\n"
        if centered else "T root = sqrt(sq);\n") + "T u = d / (root + eps);\n" + (
        "b = b * momentum + u; p = p - b * lr;" if with_momentum else "p = p - u * lr;")
    outputs = "T p, T sq" + (", T avg" if centered else "") + (", T b" if with_momentum else "")
    kernel = elementwise(xp, "T g, T lr, T alpha, T one_minus_alpha, T eps, T decay, "
                         "T momentum", outputs, body,
                         f"mushin_rmsprop_{int(centered)}{int(with_momentum)}")
    arrays = [param, square_avg] + [array for array in (grad_avg, buffer) if array is not None]
    kernel(grad, *(_scalar(param, value) for value in (
        lr, alpha, 1.0 - alpha, eps, decay, momentum)), *arrays)


def adagrad(param: Array, grad: Array, square_sum: Array, lr: float, eps: float,
            decay: float) -> None:
    """Adagrad, ``lr`` already decayed for this step."""
    kernel = elementwise(_xp(param), "T g, T lr, T eps, T decay", "T p, T total",
                         _DECAYED + "total = total + d * d;\n"
                         "p = p - d / (sqrt(total) + eps) * lr;", "mushin_adagrad")
    kernel(grad, _scalar(param, lr), _scalar(param, eps), _scalar(param, decay), param,
           square_sum)


# --- activations and pooling ------------------------------------------------------------------

def pointwise(name: str, body: str, names: str, *arrays: Array, **scalars: float) -> Array:
    """One ``ElementwiseKernel`` pass: ``body`` (CUDA C) sets ``out`` from ``arrays`` (of one
    dtype, ``T``, named by the space-separated ``names``) and the ``scalars`` (of ``T`` too).
    """
    first = arrays[0]
    in_params = ", ".join([f"T {label}" for label in names.split()]
                          + [f"T {label}" for label in scalars])
    kernel = elementwise(_xp(first), in_params, "T out", body, name)
    return kernel(*arrays, *(_scalar(first, value) for value in scalars.values()))


_SOFTMAX = r"""
// One block per row of c values: softmax (or, with take_log, log-softmax) of the row.
extern "C" __global__ void mushin_softmax_rows(const T* x, T* y, long long c, int take_log) {
    __shared__ T shared[BLOCK];
    long long row = blockIdx.x;
    const T* r = x + row * c;
    T* o = y + row * c;
    T m, s;
    row_stats(r, c, shared, &m, &s);
    T log_sum = log(s);
    for (long long j = threadIdx.x; j < c; j += BLOCK)
        o[j] = take_log ? (r[j] - m) - log_sum : exp(r[j] - m) / s;
}

// One block per row: the gradient of softmax, y * (g - sum(g * y)), or of log-softmax,
// g - exp(y) * sum(g), for the output y and its gradient g.
extern "C" __global__ void mushin_softmax_grad_rows(
        const T* g, const T* y, T* dx, long long c, int take_log) {
    __shared__ T shared[BLOCK];
    long long row = blockIdx.x;
    const T* gr = g + row * c;
    const T* yr = y + row * c;
    T* o = dx + row * c;
    T total = 0;
    for (long long j = threadIdx.x; j < c; j += BLOCK)
        total += take_log ? gr[j] : gr[j] * yr[j];
    total = block_sum(total, shared);
    for (long long j = threadIdx.x; j < c; j += BLOCK)
        o[j] = take_log ? gr[j] - exp(yr[j]) * total : yr[j] * (gr[j] - total);
}
"""


def _rows(name: str, arrays: list[Array], take_log: bool) -> Array:
    xp = _xp(arrays[0])
    arrays = [xp.ascontiguousarray(array) for array in arrays]
    first = arrays[0]
    result = xp.empty(first.shape, dtype=first.dtype)
    columns = first.shape[-1]
    if first.size:
        _raw(xp, _SOFTMAX, name, first.dtype.name, "int64")(
            (first.size // columns,), (BLOCK,), (*arrays, result, xp.int64(columns),
                                                 xp.int32(take_log)))
    return result


_NORMALIZE = r"""
// One block per row of c values: (x - mean) / sqrt(var + eps), the variance biased.
extern "C" __global__ void mushin_normalize_rows(const T* x, T* y, long long c, double eps) {
    __shared__ T shared[BLOCK];
    long long row = blockIdx.x;
    const T* r = x + row * c;
    T* o = y + row * c;
    T total = 0;
    for (long long j = threadIdx.x; j < c; j += BLOCK) total += r[j];
    T mean = block_sum(total, shared) / (T)c;
    T squares = 0;
    for (long long j = threadIdx.x; j < c; j += BLOCK) squares += (r[j] - mean) * (r[j] - mean);
    T root = sqrt(block_sum(squares, shared) / (T)c + (T)eps);
    for (long long j = threadIdx.x; j < c; j += BLOCK) o[j] = (r[j] - mean) / root;
}

// One block per row: the gradient (g - mean(g) - y * mean(g * y)) / sqrt(var + eps), for the
// input x, the output y and its gradient g.
extern "C" __global__ void mushin_normalize_grad_rows(
        const T* g, const T* x, const T* y, T* dx, long long c, double eps) {
    __shared__ T shared[BLOCK];
    long long row = blockIdx.x;
    const T* gr = g + row * c;
    const T* xr = x + row * c;
    const T* yr = y + row * c;
    T* o = dx + row * c;
    T inverse = (T)1 / (T)c;
    T total = 0, grads = 0, products = 0;
    for (long long j = threadIdx.x; j < c; j += BLOCK) {
        total += xr[j];
        grads += gr[j];
        products += gr[j] * yr[j];
    }
    T mean = block_sum(total, shared) * inverse;
    T mean_grad = block_sum(grads, shared) * inverse;
    T mean_grad_out = block_sum(products, shared) * inverse;
    T squares = 0;
    for (long long j = threadIdx.x; j < c; j += BLOCK) squares += (xr[j] - mean) * (xr[j] - mean);
    T root = sqrt(block_sum(squares, shared) * inverse + (T)eps);
    for (long long j = threadIdx.x; j < c; j += BLOCK)
        o[j] = (gr[j] - mean_grad - yr[j] * mean_grad_out) / root;
}
"""


def normalize_rows(x: Array, columns: int, eps: float) -> Array:
    """``(x - mean) / sqrt(var + eps)`` over each run of ``columns`` trailing elements."""
    xp = _xp(x)
    x = xp.ascontiguousarray(x)
    result = xp.empty(x.shape, dtype=x.dtype)
    if x.size:
        _raw(xp, _NORMALIZE, "mushin_normalize_rows", x.dtype.name, "int64")(
            (x.size // columns,), (BLOCK,), (x, result, xp.int64(columns), xp.float64(eps)))
    return result


def normalize_rows_grad(grad: Array, x: Array, output: Array, columns: int,
                        eps: float) -> Array:
    """The gradient of :func:`normalize_rows` from its input, output and output gradient."""
    xp = _xp(grad)
    arrays = [xp.ascontiguousarray(array) for array in (grad, x, output)]
    result = xp.empty(x.shape, dtype=x.dtype)
    if x.size:
        _raw(xp, _NORMALIZE, "mushin_normalize_grad_rows", x.dtype.name, "int64")(
            (x.size // columns,), (BLOCK,), (*arrays, result, xp.int64(columns),
                                             xp.float64(eps)))
    return result


def softmax_rows(x: Array, take_log: bool) -> Array:
    """Softmax (or, with ``take_log``, log-softmax) of ``x`` along its last axis."""
    return _rows("mushin_softmax_rows", [x], take_log)


def softmax_rows_grad(grad: Array, output: Array, take_log: bool) -> Array:
    """The gradient of :func:`softmax_rows` from its ``output`` and output gradient."""
    return _rows("mushin_softmax_grad_rows", [grad, output], take_log)


def relu_grad(grad: Array, output: Array) -> Array:
    """``grad * (output > 0)`` in one pass (a NaN gradient stays NaN, as the product's)."""
    kernel = elementwise(_xp(grad), "T g, U y", "T dx", "dx = g * (T)(y > (U)0);",
                         "mushin_relu_grad")
    return kernel(grad, output)


def pair_max_scatter(grad: Array, first: Array, second: Array, first_slot: Array,
                     second_slot: Array) -> None:
    """The gradient of ``maximum(first, second)``, which the first of a pair takes where it
    is at least the second: ``grad`` into ``first_slot`` there, the rest into
    ``second_slot`` (``grad - 0`` or ``grad - grad`` exactly, as the portable path)."""
    kernel = elementwise(_xp(grad), "T g, U a, U b", "T s0, T s1",
                         "T picked = g * (T)(a >= b); s0 = picked; s1 = g - picked;",
                         "mushin_pair_max_scatter")
    kernel(grad, first, second, first_slot, second_slot)


# --- cross-entropy on (N, C) logits -----------------------------------------------------------

_HELPERS = r"""
// The block's maximum (NaN wins, as NumPy's) and sum of one value per thread, left in
// shared[0]; every thread must call them.
__device__ T block_max(T value, T* shared) {
    shared[threadIdx.x] = value;
    __syncthreads();
    for (int half = BLOCK / 2; half > 0; half /= 2) {
        if ((int)threadIdx.x < half) {
            T other = shared[threadIdx.x + half];
            T mine = shared[threadIdx.x];
            if (other > mine || other != other) shared[threadIdx.x] = other;
        }
        __syncthreads();
    }
    T result = shared[0];
    __syncthreads();
    return result;
}

__device__ T block_sum(T value, T* shared) {
    shared[threadIdx.x] = value;
    __syncthreads();
    for (int half = BLOCK / 2; half > 0; half /= 2) {
        if ((int)threadIdx.x < half) shared[threadIdx.x] += shared[threadIdx.x + half];
        __syncthreads();
    }
    T result = shared[0];
    __syncthreads();
    return result;
}

// The maximum m of row r (c values) and the sum of exp(x - m) over it.
__device__ void row_stats(const T* r, long long c, T* shared, T* m, T* s) {
    T best = r[0];
    for (long long j = threadIdx.x; j < c; j += BLOCK) {
        T v = r[j];
        if (v > best || v != v) best = v;
    }
    *m = block_max(best, shared);
    T total = 0;
    for (long long j = threadIdx.x; j < c; j += BLOCK) total += exp(r[j] - *m);
    *s = block_sum(total, shared);
}
"""

_CROSS_ENTROPY = r"""
// One block per row: the row's loss, log(sum(exp(x - m))) - (x[t] - m); 0 where the target
// is ignore_index. The caller has checked the targets; one outside [0, c) all the same (its
// data changed behind mushin's back) gives NaN, never a read outside the row.
extern "C" __global__ void mushin_cross_entropy_rows(
        const T* x, const I* target, T* loss, long long n, long long c, long long ignore) {
    __shared__ T shared[BLOCK];
    long long row = blockIdx.x;
    const T* r = x + row * c;
    T m, s;
    row_stats(r, c, shared, &m, &s);
    if (threadIdx.x == 0) {
        long long t = (long long)target[row];
        if (t == ignore) loss[row] = 0;
        else loss[row] = (t < 0 || t >= c) ? (T)nan("") : log(s) - (r[t] - m);
    }
}

// One block: the sum of the n row losses; with mean, divided by the number of targets that
// are not ignore_index (NaN when there is none, as PyTorch).
extern "C" __global__ void mushin_cross_entropy_total(
        const T* loss, const I* target, T* out, long long n, long long ignore, int mean) {
    __shared__ T shared[BLOCK];
    T total = 0, count = 0;
    for (long long i = threadIdx.x; i < n; i += BLOCK) {
        total += loss[i];
        count += (long long)target[i] != ignore;
    }
    total = block_sum(total, shared);
    count = block_sum(count, shared);
    if (threadIdx.x == 0) {
        if (!mean) out[0] = total;
        else out[0] = count > 0 ? total / count : (T)nan("");
    }
}

// One block: the gradient every kept row receives with mean, g / max(count, 1).
extern "C" __global__ void mushin_cross_entropy_scale(
        const T* g, const I* target, T* out, long long n, long long ignore) {
    __shared__ T shared[BLOCK];
    T count = 0;
    for (long long i = threadIdx.x; i < n; i += BLOCK) count += (long long)target[i] != ignore;
    count = block_sum(count, shared);
    if (threadIdx.x == 0) out[0] = g[0] * ((T)1 / (count > 1 ? count : (T)1));
}

// One block per row: (softmax(x) - one_hot(t)) * scale, scale being g[row] (per_row) or
// g[0], and 0 where the target is ignore_index (NaN for a target outside [0, c)).
extern "C" __global__ void mushin_cross_entropy_grad(
        const T* x, const I* target, const T* g, T* grad, long long n, long long c,
        long long ignore, int per_row) {
    __shared__ T shared[BLOCK];
    long long row = blockIdx.x;
    const T* r = x + row * c;
    T m, s;
    row_stats(r, c, shared, &m, &s);
    long long t = (long long)target[row];
    T scale = t == ignore ? (T)0 : (t < 0 || t >= c) ? (T)nan("") : g[per_row ? row : 0];
    for (long long j = threadIdx.x; j < c; j += BLOCK) {
        T p = exp(r[j] - m) / s;
        if (j == t) p -= 1;
        grad[row * c + j] = p * scale;
    }
}
"""


def _kernel(xp: Any, name: str, logits: Array, target: Array) -> Any:
    return _raw(xp, _CROSS_ENTROPY, name, logits.dtype.name, target.dtype.name)


def cross_entropy(logits: Array, target: Array, reduction: str, ignore_index: int) -> Array:
    """The cross-entropy of ``(N, C)`` float logits (C >= 1) and ``(N,)`` integer targets
    within ``[0, C)`` or equal to ``ignore_index``: per row, or its sum or mean."""
    xp = _xp(logits)
    logits, target = xp.ascontiguousarray(logits), xp.ascontiguousarray(target)
    n, c = logits.shape
    losses = xp.empty(n, dtype=logits.dtype)
    if n:
        _kernel(xp, "mushin_cross_entropy_rows", logits, target)(
            (n,), (BLOCK,), (logits, target, losses, xp.int64(n), xp.int64(c),
                             xp.int64(ignore_index)))
    if reduction == "none":
        return losses
    total = xp.empty((), dtype=logits.dtype)
    _kernel(xp, "mushin_cross_entropy_total", logits, target)(
        (1,), (BLOCK,), (losses, target, total, xp.int64(n), xp.int64(ignore_index),
                         xp.int32(reduction == "mean")))
    return total


def cross_entropy_grad(logits: Array, target: Array, g: Array, reduction: str,
                       ignore_index: int) -> Array:
    """The gradient of :func:`cross_entropy` with respect to the logits, for the output
    gradient ``g`` (shape ``(N,)`` with ``reduction="none"``, else 0-d)."""
    xp = _xp(logits)
    logits, target = xp.ascontiguousarray(logits), xp.ascontiguousarray(target)
    g = xp.ascontiguousarray(g, dtype=logits.dtype)
    n, c = logits.shape
    grad = xp.empty((n, c), dtype=logits.dtype)
    if not n:
        return grad
    if reduction == "mean":
        scale = xp.empty((), dtype=logits.dtype)
        _kernel(xp, "mushin_cross_entropy_scale", logits, target)(
            (1,), (BLOCK,), (g, target, scale, xp.int64(n), xp.int64(ignore_index)))
        g = scale
    _kernel(xp, "mushin_cross_entropy_grad", logits, target)(
        (n,), (BLOCK,), (logits, target, g, grad, xp.int64(n), xp.int64(c),
                         xp.int64(ignore_index), xp.int32(reduction == "none")))
    return grad


# --- convolution ------------------------------------------------------------------------------

_COL2IM = r"""
// The adjoint of im2col, gathered: each pixel (b, c, y, x) of the (B, C, H, W) result sums
// the columns (C, kh, kw, B, Ho, Wo) of every kernel offset and output position that read
// it. One thread per pixel, no atomics: the sum's order is fixed.
extern "C" __global__ void mushin_col2im(
        const T* columns, T* image, long long batch, long long channels, long long height,
        long long width, int kh, int kw, int out_h, int out_w, int stride_h, int stride_w,
        int pad_h, int pad_w, int dil_h, int dil_w) {
    long long total = batch * channels * height * width;
    for (long long index = (long long)blockIdx.x * blockDim.x + threadIdx.x; index < total;
         index += (long long)gridDim.x * blockDim.x) {
        long long x = index % width, y = (index / width) % height;
        long long c = (index / (width * height)) % channels;
        long long b = index / (width * height * channels);
        T sum = 0;
        for (int i = 0; i < kh; ++i) {
            long long row = y + pad_h - (long long)i * dil_h;
            if (row < 0 || row % stride_h) continue;
            row /= stride_h;
            if (row >= out_h) continue;
            for (int j = 0; j < kw; ++j) {
                long long column = x + pad_w - (long long)j * dil_w;
                if (column < 0 || column % stride_w) continue;
                column /= stride_w;
                if (column >= out_w) continue;
                sum += columns[((((c * kh + i) * kw + j) * batch + b) * out_h + row) * out_w
                               + column];
            }
        }
        image[index] = sum;
    }
}
"""


def col2im(columns: Array, input_shape: tuple[int, ...], kernel: tuple[int, int],
           stride: tuple[int, int], padding: tuple[int, int],
           dilation: tuple[int, int]) -> Array:
    """The ``(B, C, H, W)`` image whose im2col adjoint the columns ``(C, kh, kw, B, Ho, Wo)``
    are: each column summed back onto the pixel it came from, padding dropped."""
    xp = _xp(columns)
    columns = xp.ascontiguousarray(columns)
    batch, channels, height, width = input_shape
    image = xp.empty(input_shape, dtype=columns.dtype)
    total = batch * channels * height * width
    if total:
        blocks = min(-(-total // 256), 65535)
        _raw(xp, _COL2IM, "mushin_col2im", columns.dtype.name, "int64")(
            (blocks,), (256,), (columns, image, *(xp.int64(v) for v in input_shape),
                                *(xp.int32(v) for v in (*kernel, *columns.shape[-2:], *stride,
                                                        *padding, *dilation))))
    return image
