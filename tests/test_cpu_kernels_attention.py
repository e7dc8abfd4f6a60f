"""The fused CPU kernels of the transformer's row operations (mushin.kernels.cpu): layer norm
(``NORMALIZE`` over trailing axes and ``LAYER_NORM`` with its affine weight and bias),
``softmax`` and ``log_softmax`` along the last axis, and the attention weights
(``ATTENTION_WEIGHTS``: causal or masked softmax of the scaled scores) with their VJPs.

Each is compared with the portable rule (the same call inside ``cpu.portable()``) and with
PyTorch, forward and gradient, float32 and float64, on odd shapes, non-contiguous inputs,
NaN and inf; and the vectorised float32 ``exp`` they share with float64 NumPy."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from cuda_emulator import EmulatedArray, emulated, installed, module

import mushin as mu
import mushin.nn.functional as F
from mushin._tensor import array_ops
from mushin.kernels import cpu
from mushin.nn.functional import attention, norm
from mushin.ops import special
from mushin.ops.special import exp_shifted_float32

pytest.importorskip("numba")
torch = pytest.importorskip("torch")

Arrays = list[np.ndarray]


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _both(run: Callable[[], Arrays]) -> tuple[Arrays, Arrays]:
    """``run()`` with the kernels and with the portable rules."""
    fused = run()
    with cpu.portable():
        return fused, run()


def _close(found: Arrays, expected: Arrays, dtype: Any, scale: float = 1.0) -> None:
    rtol, atol = (1e-12, 1e-12) if np.dtype(dtype) == np.float64 else (2e-5, 2e-6)
    assert len(found) == len(expected)
    for one, other in zip(found, expected, strict=True):
        assert one.shape == other.shape and one.dtype == other.dtype
        np.testing.assert_allclose(one, other, rtol=rtol, atol=atol * scale)


def _torch_close(found: Arrays, expected: Arrays, dtype: Any) -> None:
    rtol, atol = (1e-10, 1e-12) if np.dtype(dtype) == np.float64 else (1e-4, 1e-4)
    for one, other in zip(found, expected, strict=True):
        np.testing.assert_allclose(one, other, rtol=rtol, atol=atol)


# --- layer norm ---------------------------------------------------------------------------------

LAYER_CASES = [((16, 64, 128), (128,)), ((3, 5, 7), (5, 7)), ((4, 9), (9,)), ((2, 1), (1,)),
               ((6,), (6,))]


def _layer_norm(x: np.ndarray, sizes: tuple[int, ...], weight: np.ndarray | None,
                bias: np.ndarray | None, g: np.ndarray, transpose: bool = False) -> Arrays:
    tensors = [mu.tensor(a, requires_grad=True) for a in (x, weight, bias) if a is not None]
    value = tensors[0].transpose(0, 1) if transpose else tensors[0]
    w = tensors[1] if weight is not None else None
    b = tensors[-1] if bias is not None else None
    y = F.layer_norm(value, sizes, w, b)
    y.backward(mu.tensor(g))
    return [y.numpy(), *(t.grad().numpy() for t in tensors)]


def _torch_layer_norm(x: np.ndarray, sizes: tuple[int, ...], weight: np.ndarray | None,
                      bias: np.ndarray | None, g: np.ndarray, transpose: bool = False) -> Arrays:
    tensors = [torch.tensor(a, requires_grad=True) for a in (x, weight, bias) if a is not None]
    value = tensors[0].transpose(0, 1) if transpose else tensors[0]
    w = tensors[1] if weight is not None else None
    b = tensors[-1] if bias is not None else None
    y = torch.nn.functional.layer_norm(value, sizes, w, b)
    y.backward(torch.tensor(g))
    return [y.detach().numpy(), *(t.grad.numpy() for t in tensors)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("shape", "sizes"), LAYER_CASES)
@pytest.mark.parametrize("affine", ["weight and bias", "weight", "none"])
def test_layer_norm_matches_the_portable_rule_and_pytorch(
        dtype: Any, shape: tuple[int, ...], sizes: tuple[int, ...], affine: str) -> None:
    rng = _rng(1)
    x = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
    weight = rng.standard_normal(sizes).astype(dtype) if affine != "none" else None
    bias = rng.standard_normal(sizes).astype(dtype) if affine == "weight and bias" else None
    g = rng.standard_normal(shape).astype(dtype)
    fused, portable = _both(lambda: _layer_norm(x, sizes, weight, bias, g))
    _close(fused, portable, dtype, scale=100)  # the weight's gradient sums 1024 rows
    _torch_close(fused, _torch_layer_norm(x, sizes, weight, bias, g), dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_norm_of_a_non_contiguous_input(dtype: Any) -> None:
    rng = _rng(2)
    x = rng.standard_normal((7, 5, 33)).astype(dtype)
    weight, bias = rng.standard_normal(33).astype(dtype), rng.standard_normal(33).astype(dtype)
    g = rng.standard_normal((5, 7, 33)).astype(dtype)
    fused, portable = _both(lambda: _layer_norm(x, (33,), weight, bias, g, transpose=True))
    assert norm.LAYER_NORM.cpu_forward is not None
    assert norm.LAYER_NORM.cpu_forward(np, x.transpose(1, 0, 2), weight, bias, axes=(2,),
                                       eps=1e-5) is not NotImplemented
    _close(fused, portable, dtype, scale=10)
    _torch_close(fused, _torch_layer_norm(x, (33,), weight, bias, g, transpose=True), dtype)


def test_layer_norm_keeps_nan_and_inf_as_the_portable_rule() -> None:
    x = np.array([[1.0, np.nan, 2.0], [np.inf, 0.0, 1.0], [1.0, 2.0, 4.0]], np.float32)
    weight, bias = np.ones(3, np.float32), np.zeros(3, np.float32)
    g = np.ones((3, 3), np.float32)
    with np.errstate(invalid="ignore"):
        fused, portable = _both(lambda: _layer_norm(x, (3,), weight, bias, g))
    for one, other in zip(fused, portable, strict=True):
        np.testing.assert_array_equal(np.isnan(one), np.isnan(other))
        finite = np.isfinite(other)
        np.testing.assert_allclose(one[finite], other[finite], rtol=1e-5, atol=1e-6)
    assert np.isnan(fused[0][:2]).all() and np.isfinite(fused[0][2]).all()


def test_layer_norm_with_a_broadcasting_weight_keeps_the_composition() -> None:
    # a weight PyTorch would refuse, (1,) for 4 features: not LAYER_NORM's, still computed
    x = mu.tensor(_rng(3).standard_normal((2, 4)), requires_grad=True)
    weight = mu.tensor(np.array([2.0]), requires_grad=True)
    y = F.layer_norm(x, (4,), weight)
    y.sum().backward()
    with cpu.portable():
        expected = F.normalize_axes(x, (1,)).numpy() * 2
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-12)
    assert weight.grad().shape == (1,)


def test_group_norm_takes_the_row_kernel() -> None:
    rng = _rng(4)
    x = rng.standard_normal((3, 6, 5, 4)).astype(np.float32)
    g = rng.standard_normal((3, 6, 5, 4)).astype(np.float32)
    weight, bias = rng.standard_normal(6).astype(np.float32), np.ones(6, np.float32)

    def run() -> Arrays:
        tensors = [mu.tensor(a, requires_grad=True) for a in (x, weight, bias)]
        y = F.group_norm(tensors[0], 3, tensors[1], tensors[2])
        y.backward(mu.tensor(g))
        return [y.numpy(), *(t.grad().numpy() for t in tensors)]

    fused, portable = _both(run)
    _close(fused, portable, np.float32, scale=10)
    assert norm.NORMALIZE.cpu_forward is not None
    assert norm.NORMALIZE.cpu_forward(np, x.reshape(3, 3, -1), (2,), 1e-5) is not NotImplemented
    assert norm.NORMALIZE.cpu_forward(np, x, (0, 2, 3), 1e-5) is NotImplemented  # batch norm's


def test_layer_norm_second_derivative_matches_pytorch() -> None:
    rng = _rng(5)
    x, weight, bias = (rng.standard_normal(shape) for shape in ((3, 6), (6,), (6,)))
    tensors = [mu.tensor(a, requires_grad=True) for a in (x, weight, bias)]
    (F.layer_norm(tensors[0], 6, tensors[1], tensors[2]) ** 3).sum().backward(
        create_graph=True)
    first = [tensor.grad() for tensor in tensors]
    for tensor in tensors:
        tensor.reset()
    sum((grad * grad).sum() for grad in first).backward()
    references = [torch.tensor(a, requires_grad=True) for a in (x, weight, bias)]
    output = torch.nn.functional.layer_norm(references[0], (6,), references[1], references[2])
    expected_first = torch.autograd.grad((output ** 3).sum(), references, create_graph=True)
    sum((grad * grad).sum() for grad in expected_first).backward()
    for tensor, reference in zip(tensors, references, strict=True):
        np.testing.assert_allclose(tensor.grad().numpy(), reference.grad.numpy(), rtol=1e-9,
                                   atol=1e-11)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("with_bias", [True, False])
def test_layer_norm_cuda_rule_in_the_emulator(dtype: str, with_bias: bool) -> None:
    rng = _rng(6)
    x = (rng.standard_normal((2, 3, 40)) * 3 + 1).astype(dtype)
    weight, bias = rng.standard_normal(40).astype(dtype), rng.standard_normal(40).astype(dtype)
    g = rng.standard_normal((2, 3, 40)).astype(dtype)
    bias_or_none = bias if with_bias else None
    parents = (1, 1, 1 if with_bias else None)
    prim = norm.LAYER_NORM
    expected = prim.forward(np, x, weight, bias_or_none, axes=(2,), eps=1e-5)
    expected_grads = prim.vjp(array_ops(x), g, (x, weight, bias_or_none), expected, parents,
                              axes=(2,), eps=1e-5)
    assert prim.cuda_forward is not None and prim.cuda_vjp is not None
    with installed():
        found = prim.cuda_forward(module, emulated(x), emulated(weight),
                                  None if bias_or_none is None else emulated(bias),
                                  axes=(2,), eps=1e-5)
        assert type(found) is EmulatedArray  # the kernel ran
        found_grads = prim.cuda_vjp(
            array_ops(x), emulated(g),
            (emulated(x), emulated(weight), None if bias_or_none is None else emulated(bias)),
            found, parents, axes=(2,), eps=1e-5)
    _close([np.asarray(found)], [expected], dtype, scale=10)
    assert (found_grads[2] is None) == (not with_bias)
    _close([np.asarray(grad) for grad in found_grads if grad is not None],
           [grad for grad in expected_grads if grad is not None], dtype, scale=10)


# --- the vectorised float32 exp -----------------------------------------------------------------

@cpu.kernel
def _exp_rows(x: np.ndarray, out: np.ndarray) -> None:
    bits = np.empty(x.shape[1], np.int32)
    for row in range(x.shape[0]):
        out[row, 0] = exp_shifted_float32(x[row], np.float32(0.0), x[row], bits)


def test_exp_shifted_float32_is_within_two_ulp_and_keeps_nan() -> None:
    values = np.stack([-np.geomspace(1e-8, 87.3, 4000), np.linspace(-87.3, 0, 4000),
                       np.r_[np.linspace(-20, 0, 3998), -np.inf, np.nan]]).astype(np.float32)
    expected = np.exp(values.astype(np.float64))
    sums = np.empty((3, 1))
    found = values.copy()
    _exp_rows(found, sums)
    finite = ~np.isnan(expected)
    ulp = np.spacing(expected[finite].astype(np.float32)).astype(np.float64)
    assert (np.abs(found[finite] - expected[finite]) <= 2 * ulp).all()
    np.testing.assert_allclose(sums[:2, 0], expected[:2].sum(axis=1), rtol=1e-6)
    assert found[2, -2] == 0 and np.isnan(found[2, -1]) and np.isnan(sums[2, 0])
    below = np.array([[-87.5, -100.0, -1e30]], np.float32)
    _exp_rows(below, sums[:1])
    np.testing.assert_array_equal(below, 0)  # below the smallest normal: flushed to 0


# --- softmax and log_softmax ---------------------------------------------------------------------

SOFTMAX_SHAPES = [(16, 64, 65), (3, 1), (5, 1000), (2, 3, 4), (7,)]


def _softmax(function: str, x: np.ndarray, g: np.ndarray, dim: int = -1,
             transpose: bool = False) -> Arrays:
    value = mu.tensor(x, requires_grad=True)
    y = getattr(F, function)(value.transpose(0, 1) if transpose else value, dim=dim)
    y.backward(mu.tensor(g))
    return [y.numpy(), value.grad().numpy()]


def _torch_softmax(function: str, x: np.ndarray, g: np.ndarray, dim: int = -1,
                   transpose: bool = False) -> Arrays:
    value = torch.tensor(x, requires_grad=True)
    y = getattr(torch.nn.functional, function)(value.transpose(0, 1) if transpose else value,
                                               dim=dim)
    y.backward(torch.tensor(g))
    return [y.detach().numpy(), value.grad.numpy()]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SOFTMAX_SHAPES)
@pytest.mark.parametrize("function", ["softmax", "log_softmax"])
def test_softmax_matches_the_portable_rule_and_pytorch(dtype: Any, shape: tuple[int, ...],
                                                      function: str) -> None:
    rng = _rng(7)
    x = (rng.standard_normal(shape) * 10).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    fused, portable = _both(lambda: _softmax(function, x, g))
    _close(fused, portable, dtype, scale=100)
    _torch_close(fused, _torch_softmax(function, x, g), dtype)


@pytest.mark.parametrize("function", ["softmax", "log_softmax"])
@pytest.mark.parametrize(("dim", "transpose"), [(0, False), (-1, True)])
def test_softmax_along_another_axis_or_of_a_view(function: str, dim: int,
                                                 transpose: bool) -> None:
    rng = _rng(8)
    x = rng.standard_normal((6, 9)).astype(np.float32)
    g = rng.standard_normal((9, 6) if transpose else (6, 9)).astype(np.float32)
    fused, portable = _both(lambda: _softmax(function, x, g, dim, transpose))
    _close(fused, portable, np.float32, scale=10)
    _torch_close(fused, _torch_softmax(function, x, g, dim, transpose), np.float32)
    assert special.SOFTMAX.cpu_forward is not None
    assert special.SOFTMAX.cpu_forward(np, x, 0) is NotImplemented


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("function", ["softmax", "log_softmax"])
def test_softmax_keeps_nan_and_inf_as_the_portable_rule(function: str) -> None:
    x = np.array([[0, np.nan, 1], [np.inf, 0, 1], [-np.inf] * 3, [-np.inf, 0, -200],
                  [-np.inf, 3, 1]], np.float32)
    g = np.ones_like(x)
    fused, portable = _both(lambda: _softmax(function, x, g))
    for one, other in zip(fused, portable, strict=True):
        np.testing.assert_array_equal(np.isnan(one), np.isnan(other))
        np.testing.assert_allclose(one[~np.isnan(one)], other[~np.isnan(other)], rtol=1e-6,
                                   atol=1e-7)


def test_softmax_of_empty_and_zero_dimensional_tensors() -> None:
    for x in (np.zeros((3, 0), np.float32), np.float32(2.0)):
        fused, portable = _both(lambda x=x: [F.softmax(mu.tensor(x), dim=-1).numpy()])
        _close(fused, portable, np.float32)


# --- attention --------------------------------------------------------------------------------

ATTENTION_SHAPES = [(2, 3, 7, 7, 5), (16, 4, 64, 64, 32), (1, 2, 5, 9, 4), (2, 1, 9, 4, 3)]
MASKS = ["none", "causal", "bool", "float", "scale"]


def _attention(arrays: Arrays, g: np.ndarray, case: str, library: Any,
               transpose: bool = False) -> Arrays:
    """Attention's output and gradients (the query's, key's, value's, and a float mask's)
    with ``library`` (``mu`` or ``torch``)."""
    rng = _rng(9)
    length, source = arrays[0].shape[-2], arrays[1].shape[-2]
    options: dict[str, Any] = {"is_causal": case in ("causal", "scale")}
    mask = None
    if case == "bool":
        mask = rng.random((length, source)) > 0.3
        mask[:, 0] = True
    elif case == "float":
        mask = rng.standard_normal((arrays[0].shape[0], 1, length, source)).astype(
            arrays[0].dtype)
    if case == "scale":
        options["scale"] = 0.3
    make = mu.tensor if library is mu else torch.tensor
    tensors = [make(a, requires_grad=True) for a in arrays]
    if mask is not None:
        options["attn_mask"] = make(mask, requires_grad=mask.dtype != bool)
    query = tensors[0].transpose(1, 2) if transpose else tensors[0]
    y = library.nn.functional.scaled_dot_product_attention(query, *tensors[1:], dropout_p=0.0,
                                                           **options)
    y.backward(make(g))
    grads = [t.grad for t in tensors]
    if mask is not None and mask.dtype != bool:
        grads.append(options["attn_mask"].grad)
    if library is mu:
        return [y.numpy(), *(grad().numpy() for grad in grads)]
    return [y.detach().numpy(), *(grad.numpy() for grad in grads)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", ATTENTION_SHAPES)
@pytest.mark.parametrize("case", MASKS)
def test_attention_matches_the_portable_rule_and_pytorch(dtype: Any,
                                                        shape: tuple[int, ...],
                                                        case: str) -> None:
    batch, heads, length, source, features = shape
    rng = _rng(10)
    arrays = [rng.standard_normal((batch, heads, size, features)).astype(dtype)
              for size in (length, source, source)]
    g = rng.standard_normal((batch, heads, length, features)).astype(dtype)
    fused, portable = _both(lambda: _attention(arrays, g, case, mu))
    _close(fused, portable, dtype, scale=10)
    _torch_close(fused, _attention(arrays, g, case, torch), dtype)


def test_attention_of_transposed_heads_as_a_gpt_gives_them() -> None:
    rng = _rng(11)
    query = rng.standard_normal((2, 6, 3, 4)).astype(np.float32)  # (batch, L, heads, E)
    key, value = (rng.standard_normal((2, 3, 6, 4)).astype(np.float32) for _ in range(2))
    g = rng.standard_normal((2, 3, 6, 4)).astype(np.float32)
    fused, portable = _both(lambda: _attention([query, key, value], g, "causal", mu,
                                               transpose=True))
    _close(fused, portable, np.float32, scale=10)
    _torch_close(fused, _attention([query, key, value], g, "causal", torch, transpose=True),
                 np.float32)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_a_row_masked_through_gives_zeros_or_nan_as_the_portable_rule() -> None:
    rng = _rng(12)
    query, key = (rng.standard_normal((1, 2, 4, 3)).astype(np.float32) for _ in range(2))
    allowed = np.ones((4, 4), bool)
    allowed[1] = False
    for safe in (True, False):
        def run(safe: bool = safe) -> Arrays:
            return [attention.attention_weights(mu.tensor(query), mu.tensor(key),
                                                mu.tensor(allowed), scale=0.5,
                                                safe=safe).numpy()]
        fused, portable = _both(run)
        np.testing.assert_array_equal(np.isnan(fused[0]), np.isnan(portable[0]))
        assert np.isnan(fused[0][:, :, 1]).all() != safe
        np.testing.assert_allclose(np.nan_to_num(fused[0]), np.nan_to_num(portable[0]),
                                   rtol=1e-6, atol=1e-7)


def test_attention_takes_the_kernel_for_float32_only() -> None:
    query = _rng(13).standard_normal((2, 5, 3))
    prim = attention.ATTENTION_WEIGHTS
    assert prim.cpu_forward is not None
    assert prim.cpu_forward(np, query, query, None, scale=1.0, causal=True,
                            safe=True) is NotImplemented
    weights = prim.cpu_forward(np, query.astype(np.float32), query.astype(np.float32), None,
                               scale=1 / math.sqrt(3), causal=True, safe=True)
    np.testing.assert_allclose(weights.sum(axis=-1), 1, rtol=1e-6)
    np.testing.assert_array_equal(np.triu(weights[0], 1), 0)


def test_multi_head_attention_weights_match_the_portable_rule() -> None:
    mu.seed(3)
    layer = mu.nn.MultiheadAttention(8, 2, batch_first=True)
    x = mu.tensor(_rng(14).standard_normal((3, 5, 8)).astype(np.float32))
    mask = np.triu(np.ones((5, 5), bool), 1)

    def run() -> Arrays:
        output, weights = layer(x, x, x, attn_mask=mu.tensor(mask))
        (output.sum() + weights.sum()).backward()
        grads = [parameter.grad().numpy() for parameter in layer.parameters()]
        layer.zero_grad()
        return [output.numpy(), weights.numpy(), *grads]

    fused, portable = _both(run)
    _close(fused, portable, np.float32, scale=10)

