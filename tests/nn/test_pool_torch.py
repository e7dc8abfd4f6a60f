"""The pools against PyTorch in float64: ``F.max_pool1d/2d`` (dilation, ceil_mode, padding,
return_indices), ``F.avg_pool1d/2d`` (count_include_pad, divisor_override, ceil_mode),
``F.lp_pool1d/2d`` and the adaptive pools, batched and unbatched, values and input gradients
over odd, non-square sizes; second derivatives; the layers (reprs, attributes, no state); the
errors; and a run on the stand-in GPU device."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import mushin as mu
import mushin.nn.functional as F
from mushin import nn

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _compare(name: str, shape: tuple[int, ...], *args: Any, positive: bool = False,
             seed: int = 0, **kwargs: Any) -> None:
    """``F.<name>`` and ``torch.nn.functional.<name>`` on the same float64 input: equal
    values (and indices, where returned), and equal input gradients under the same random
    output gradient (NaN where PyTorch's is)."""
    rng = np.random.default_rng(seed)
    array = rng.standard_normal(shape)
    if positive:
        array = np.abs(array) + 0.1
    mine, their = mu.variable(array, dtype="float64"), torch.tensor(array, requires_grad=True)
    result, expected = getattr(F, name)(mine, *args, **kwargs), getattr(TF, name)(their, *args,
                                                                                  **kwargs)
    if isinstance(expected, tuple):
        (result, indices), (expected, expected_indices) = result, expected
        assert isinstance(indices, mu.Constant) and indices.dtype == np.int64
        np.testing.assert_array_equal(indices.numpy(), expected_indices.numpy())
    assert result.shape == tuple(expected.shape)
    np.testing.assert_allclose(result.numpy(), expected.detach().numpy(), rtol=1e-10,
                               atol=1e-12)
    cotangent = rng.standard_normal(tuple(expected.shape))
    (result * mu.constant(cotangent)).sum().backward()
    (expected * torch.tensor(cotangent)).sum().backward()
    np.testing.assert_allclose(mine.grad().numpy(), their.grad.numpy(), rtol=1e-10,
                               atol=1e-11)


# --- max pooling --------------------------------------------------------------------------------

# (input shape, kernel_size, stride, padding, dilation, ceil_mode)
MAX_POOL2D_CASES = [
    ((2, 3, 8, 6), 2, None, 0, 1, False),  # tiling: run maxima
    ((2, 3, 7, 5), 2, None, 0, 1, False),  # tiling, a row and a column left over
    ((2, 3, 7, 5), 2, None, 0, 1, True),  # ceil_mode: partial last windows
    ((2, 2, 9, 7), 3, 2, 1, 1, False),
    ((2, 2, 9, 7), 3, 2, 1, 1, True),
    ((1, 2, 8, 9), (2, 3), (1, 3), (1, 0), 1, True),
    ((2, 2, 9, 8), 3, 1, 1, 2, False),  # dilation
    ((2, 2, 9, 8), (2, 3), 2, (1, 1), (3, 2), True),  # dilation, ceil_mode, padding
    ((2, 2, 9, 8), (1, 3), (1, 2), 0, (1, 2), False),
    ((3, 7, 6), 3, 2, 1, 1, True),  # unbatched
    ((3, 4, 5), [2], (), 0, 1, False),  # PyTorch's one-element sizes and empty stride
]


@pytest.mark.parametrize(("shape", "kernel", "stride", "padding", "dilation", "ceil_mode"),
                         MAX_POOL2D_CASES)
def test_max_pool2d_matches_torch(shape: tuple[int, ...], kernel: Any, stride: Any,
                                  padding: Any, dilation: Any, ceil_mode: bool) -> None:
    for return_indices in (False, True):
        _compare("max_pool2d", shape, kernel, stride, padding, dilation, ceil_mode,
                 return_indices)
    _compare("max_pool2d", shape, kernel_size=kernel, stride=stride, padding=padding,
             dilation=dilation, ceil_mode=ceil_mode)


# (input shape, kernel_size, stride, padding, dilation, ceil_mode)
MAX_POOL1D_CASES = [
    ((2, 3, 10), 2, None, 0, 1, False),
    ((2, 3, 11), 2, None, 0, 1, True),
    ((2, 3, 11), 3, 2, 1, 1, True),
    ((2, 3, 12), 3, 1, 1, 2, False),
    ((2, 2, 13), (2,), (3,), (1,), (3,), True),
    ((3, 9), 4, 3, 2, 1, True),  # unbatched
]


@pytest.mark.parametrize(("shape", "kernel", "stride", "padding", "dilation", "ceil_mode"),
                         MAX_POOL1D_CASES)
def test_max_pool1d_matches_torch(shape: tuple[int, ...], kernel: Any, stride: Any,
                                  padding: Any, dilation: Any, ceil_mode: bool) -> None:
    for return_indices in (False, True):
        _compare("max_pool1d", shape, kernel, stride, padding, dilation, ceil_mode,
                 return_indices)


def test_with_indices_variants() -> None:
    _compare("max_pool2d_with_indices", (2, 2, 7, 6), 3, 2, 1)
    _compare("max_pool1d_with_indices", (2, 2, 9), 3, 2, 1, ceil_mode=True)
    _compare("adaptive_max_pool2d_with_indices", (2, 2, 7, 6), (3, 4))
    _compare("adaptive_max_pool1d_with_indices", (2, 9), 4)


def test_max_pool_gradient_goes_to_the_first_maximum() -> None:
    x = mu.variable(np.array([[[1.0, 3.0, 3.0, 2.0, 3.0]]]), dtype="float64")
    values, indices = F.max_pool1d(x, 3, 1, return_indices=True)
    values.sum().backward()
    np.testing.assert_array_equal(indices.numpy(), [[[1, 1, 2]]])
    np.testing.assert_array_equal(x.grad().numpy(), [[[0.0, 2.0, 1.0, 0.0, 0.0]]])


# --- average and power pooling ------------------------------------------------------------------

# (input shape, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
AVG_POOL2D_CASES = [
    ((2, 3, 8, 6), 2, None, 0, False, True, None),
    ((2, 3, 7, 5), 3, 2, 1, False, True, None),
    ((2, 3, 7, 5), 3, 2, 1, False, False, None),
    ((2, 3, 7, 5), 3, 2, 1, True, True, None),  # a last window past the padding
    ((2, 3, 7, 5), 3, 2, 1, True, False, None),
    ((1, 2, 8, 9), (2, 3), (1, 3), (1, 1), True, False, None),
    ((2, 2, 7, 6), (2, 3), 2, (1, 0), False, True, 4),
    ((2, 2, 7, 6), 2, 3, 0, True, True, -3),
    ((3, 7, 6), 3, 2, 1, True, False, None),  # unbatched
]


@pytest.mark.parametrize(("shape", "kernel", "stride", "padding", "ceil_mode",
                          "count_include_pad", "divisor_override"), AVG_POOL2D_CASES)
def test_avg_pool2d_matches_torch(shape: tuple[int, ...], kernel: Any, stride: Any,
                                  padding: Any, ceil_mode: bool, count_include_pad: bool,
                                  divisor_override: int | None) -> None:
    _compare("avg_pool2d", shape, kernel, stride, padding, ceil_mode, count_include_pad,
             divisor_override)


# (input shape, kernel_size, stride, padding, ceil_mode, count_include_pad)
AVG_POOL1D_CASES = [
    ((2, 3, 10), 2, None, 0, False, True),
    ((2, 3, 11), 3, 2, 1, True, True),
    ((2, 3, 11), 3, 2, 1, True, False),
    ((2, 2, 12), (4,), (3,), (2,), False, False),
    ((3, 9), 4, 3, 2, True, True),  # unbatched
]


@pytest.mark.parametrize(("shape", "kernel", "stride", "padding", "ceil_mode",
                          "count_include_pad"), AVG_POOL1D_CASES)
def test_avg_pool1d_matches_torch(shape: tuple[int, ...], kernel: Any, stride: Any,
                                  padding: Any, ceil_mode: bool,
                                  count_include_pad: bool) -> None:
    _compare("avg_pool1d", shape, kernel, stride, padding, ceil_mode, count_include_pad)


@pytest.mark.parametrize(("norm_type", "positive"), [(2, False), (1.5, True), (3, True),
                                                     (float("inf"), False),
                                                     (-float("inf"), False)])
def test_lp_pools_match_torch(norm_type: float, positive: bool) -> None:
    _compare("lp_pool2d", (2, 2, 7, 6), norm_type, 2, positive=positive)
    _compare("lp_pool2d", (2, 7, 6), norm_type, (3, 2), (2, 1), True, positive=positive)
    _compare("lp_pool1d", (2, 2, 9), norm_type, 3, 2, True, positive=positive)


def test_lp_pool_of_a_zero_window_has_a_zero_gradient() -> None:
    """PyTorch sets the gradient of a window summing to 0 to 0 (not the root's infinity)."""
    array = np.array([[[1.0, -2.0, 0.5, 0.0, 0.0, 3.0]]])
    mine, their = mu.variable(array), torch.tensor(array, requires_grad=True)
    result, expected = F.lp_pool1d(mine, 3, 2, 1), TF.lp_pool1d(their, 3, 2, 1)
    np.testing.assert_allclose(result.numpy(), expected.detach().numpy(), rtol=1e-12)
    result.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(mine.grad().numpy(), their.grad.numpy(), rtol=1e-12)


# --- adaptive pooling ---------------------------------------------------------------------------

@pytest.mark.parametrize("output_size", [1, 2, 3, 4, 6, 9, (None, 4), (5, None), (2, 7)])
def test_adaptive_pool2d_matches_torch(output_size: Any) -> None:
    """Sizes that divide the input's (tiling windows), that do not (overlapping windows of
    two widths), larger than the input and kept (None), batched and unbatched."""
    for shape in ((2, 3, 7, 6), (3, 6, 7)):
        _compare("adaptive_avg_pool2d", shape, output_size)
        _compare("adaptive_max_pool2d", shape, output_size)
        _compare("adaptive_max_pool2d", shape, output_size, return_indices=True)


@pytest.mark.parametrize("output_size", [1, 3, 4, 5, 13, (7,)])
def test_adaptive_pool1d_matches_torch(output_size: Any) -> None:
    for shape in ((2, 3, 10), (3, 9)):
        _compare("adaptive_avg_pool1d", shape, output_size)
        _compare("adaptive_max_pool1d", shape, output_size, True)


def test_adaptive_pools_of_an_empty_output() -> None:
    x = mu.constant(np.zeros((2, 3, 5, 4)))
    assert F.adaptive_avg_pool2d(x, (0, 2)).shape == (2, 3, 0, 2)
    assert F.adaptive_max_pool2d(x, 0).shape == (2, 3, 0, 0)


# --- second derivatives -------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "args"), [
    ("max_pool2d", (3, 2, 1, 2, True)), ("avg_pool2d", ((2, 3), 2, 1, True, False)),
    ("adaptive_max_pool2d", ((3, 4),)), ("adaptive_avg_pool2d", ((3, 4),)),
    ("max_pool1d", (3, 2, 1, 1, True)), ("lp_pool2d", (2, 2))])
def test_second_derivatives_match_torch(name: str, args: tuple[Any, ...]) -> None:
    """A penalty on the first input gradient of ``sum(pool(x * x) ** 3)``, differentiated
    again."""
    shape = (2, 2, 9) if name.endswith("1d") else (2, 2, 7, 6)
    array = np.random.default_rng(3).standard_normal(shape)
    mine, their = mu.variable(array, dtype="float64"), torch.tensor(array, requires_grad=True)
    (getattr(F, name)(mine * mine, *args) ** 3).sum().backward(create_graph=True)
    penalty = (mine.grad() ** 2).sum()
    mine.reset()
    penalty.backward()
    first, = torch.autograd.grad((getattr(TF, name)(their * their, *args) ** 3).sum(), their,
                                 create_graph=True)
    (first ** 2).sum().backward()
    np.testing.assert_allclose(mine.grad().numpy(), their.grad.numpy(), rtol=1e-9, atol=1e-9)


# --- the layers ---------------------------------------------------------------------------------

# Each maker builds the layer of a module (torch.nn or mu.nn); PyTorch's repr where fixed.
LAYERS: list[tuple[str, Callable[[Any], Any], tuple[int, ...]]] = [
    ("MaxPool1d", lambda m: m.MaxPool1d(3, 2, 1, 2, ceil_mode=True), (2, 3, 11)),
    ("MaxPool1d-indices", lambda m: m.MaxPool1d(2, return_indices=True), (3, 9)),
    ("AvgPool1d", lambda m: m.AvgPool1d(3, 2, 1, True, False), (2, 3, 11)),
    ("LPPool1d", lambda m: m.LPPool1d(2, 3), (2, 3, 10)),
    ("LPPool2d", lambda m: m.LPPool2d(1.5, (2, 3), 1, True), (2, 3, 7, 6)),
    ("AdaptiveAvgPool1d", lambda m: m.AdaptiveAvgPool1d(4), (2, 3, 10)),
    ("AdaptiveAvgPool2d", lambda m: m.AdaptiveAvgPool2d((None, 4)), (2, 3, 7, 6)),
    ("AdaptiveMaxPool1d", lambda m: m.AdaptiveMaxPool1d(3, True), (3, 10)),
    ("AdaptiveMaxPool2d", lambda m: m.AdaptiveMaxPool2d(3), (3, 7, 6)),
    ("MaxPool2d", lambda m: m.MaxPool2d(3, 2, 1, 2, ceil_mode=True), (2, 3, 9, 8)),
    ("AvgPool2d", lambda m: m.AvgPool2d(3, 2, 1, True, False, None), (3, 7, 6)),
]
CRATE_REPRS = {
    "MaxPool2d": "MaxPool2D(kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), dilation=(2, 2), "
                 "ceil_mode=True)",
    "AvgPool2d": "AvgPool2D(kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))",
}


@pytest.mark.parametrize(("name", "make", "shape"), LAYERS, ids=[case[0] for case in LAYERS])
def test_layer_matches_torch(name: str, make: Callable[[Any], Any],
                             shape: tuple[int, ...]) -> None:
    ours, theirs = make(nn), make(torch.nn)
    assert repr(ours) == CRATE_REPRS.get(name, repr(theirs))
    assert not ours.state_dict() and not list(ours.parameters())
    array = np.random.default_rng(1).standard_normal(shape)
    mine, their = mu.variable(array, dtype="float64"), torch.tensor(array, requires_grad=True)
    result, expected = ours(mine), theirs(their)
    if isinstance(expected, tuple):
        (result, indices), (expected, expected_indices) = result, expected
        np.testing.assert_array_equal(indices.numpy(), expected_indices.numpy())
    np.testing.assert_allclose(result.numpy(), expected.detach().numpy(), rtol=1e-10,
                               atol=1e-12)
    result.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(mine.grad().numpy(), their.grad.numpy(), rtol=1e-10,
                               atol=1e-12)


def test_layer_attributes_follow_pytorch() -> None:
    for name, args in (("MaxPool1d", (3,)), ("AvgPool1d", (3, 2)), ("LPPool1d", (2, 3)),
                       ("LPPool2d", (2, 3, 1)), ("AdaptiveMaxPool2d", ((2, None), True))):
        ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
        for attribute in ("kernel_size", "stride", "padding", "dilation", "ceil_mode",
                          "return_indices", "count_include_pad", "norm_type", "output_size"):
            if hasattr(theirs, attribute):
                assert getattr(ours, attribute) == getattr(theirs, attribute), (name, attribute)
    # The crate's 2-d layers keep (height, width) pairs, under both names.
    assert nn.MaxPool2d is nn.MaxPool2D and nn.AvgPool2d is nn.AvgPool2D
    pool = nn.AvgPool2d(3, ceil_mode=True, count_include_pad=False, divisor_override=2)
    assert (pool.kernel_size, pool.stride, pool.padding) == ((3, 3), (3, 3), (0, 0))
    assert (pool.ceil_mode, pool.count_include_pad, pool.divisor_override) == (True, False, 2)
    assert (nn.MaxPool2d(2).dilation, nn.MaxPool2d(2).return_indices) == ((1, 1), False)


# --- errors -------------------------------------------------------------------------------------

def test_errors_name_the_problem() -> None:
    images = mu.constant(np.zeros((1, 2, 5, 5)))
    signals = mu.constant(np.zeros((1, 2, 5)))
    with pytest.raises(ValueError, match=r"max_pool2d: padding \(2, 2\) must be at most half "
                                         r"the kernel size \(3, 3\)"):
        F.max_pool2d(images, 3, padding=2)
    with pytest.raises(ValueError, match=r"max_pool2d: padding \(3, 3\) must be at most half "
                                         r"the dilated kernel size \(5, 5\)"):
        F.max_pool2d(images, 3, padding=3, dilation=2)
    with pytest.raises(ValueError, match=r"max_pool1d: padding \(2,\) must be at most half the "
                                         r"kernel size \(2,\)"):
        F.max_pool1d(signals, 2, padding=2, dilation=3)
    with pytest.raises(mu.ShapeError, match=r"max_pool2d: the input of shape \(1, 2, 5, 5\) "
                                            r"is too small: with kernel_size \(6, 6\), stride "
                                            r"\(6, 6\), padding \(0, 0\) and dilation \(1, 1\) "
                                            r"the output would be \(0, 0\)"):
        F.max_pool2d(images, 6)
    with pytest.raises(mu.ShapeError, match=r"avg_pool1d: the input of shape \(1, 2, 5\) is "
                                            r"too small"):
        F.avg_pool1d(signals, 6)
    with pytest.raises(mu.ShapeError, match=r"max_pool1d: expected an input of shape "
                                            r"\(B, C, L\) or \(C, L\), got shape \(1, 2, 5, 5\)"):
        F.max_pool1d(images, 2)
    with pytest.raises(mu.ShapeError, match=r"adaptive_max_pool2d: expected an input of shape "
                                            r"\(B, C, H, W\) or \(C, H, W\), got shape \(5,\)"):
        F.adaptive_max_pool2d(mu.constant(np.zeros(5)), 2)
    with pytest.raises(TypeError, match=r"max_pool1d: kernel_size must be an int or a tuple "
                                        r"of one int, got \(2, 2\)"):
        F.max_pool1d(signals, (2, 2))
    with pytest.raises(ValueError, match="max_pool2d: stride must be at least 1, got 0"):
        F.max_pool2d(images, 2, stride=0)
    with pytest.raises(ValueError, match="max_pool2d: dilation must be at least 1, got 0"):
        F.max_pool2d(images, 2, dilation=0)
    with pytest.raises(ValueError, match="avg_pool2d: divisor_override must be a non-zero int, "
                                         "got 0"):
        F.avg_pool2d(images, 2, divisor_override=0)
    with pytest.raises(TypeError, match=r"adaptive_avg_pool1d: output_size must be an int or a "
                                        r"tuple of one int, got \(2, 2\)"):
        F.adaptive_avg_pool1d(signals, (2, 2))
    with pytest.raises(TypeError, match=r"adaptive_avg_pool2d: output_size must be an int or a "
                                        r"pair of ints or Nones"):
        F.adaptive_avg_pool2d(images, (1, 2, 3))
    with pytest.raises(ValueError, match="adaptive_max_pool2d: output_size must be at least 0, "
                                         "got -1"):
        F.adaptive_max_pool2d(images, -1)
    with pytest.raises(mu.ShapeError, match=r"adaptive_avg_pool2d: expected an input with "
                                            r"channels and every spatial axis non-empty, got "
                                            r"shape \(1, 2, 0, 3\)"):
        F.adaptive_avg_pool2d(mu.constant(np.zeros((1, 2, 0, 3))), 2)
    with pytest.raises(TypeError, match="lp_pool2d: norm_type must be a number, got '2'"):
        F.lp_pool2d(images, "2", 2)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="MaxPool1d: stride must be an int or a tuple of one "
                                        "int"):
        nn.MaxPool1d(2, (1, 1))
    with pytest.raises(ValueError, match="MaxPool2D: dilation must be at least 1"):
        nn.MaxPool2d(2, dilation=0)


# --- on a device --------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "args", "shape"), [
    ("max_pool2d", (3, 2, 1, 2, True, True), (2, 3, 9, 8)),
    ("max_pool2d", (2,), (2, 3, 8, 6)),
    ("avg_pool2d", (3, 2, 1, True, False), (3, 7, 6)),
    ("max_pool1d", (3, 2, 1, 1, True, True), (2, 3, 11)),
    ("avg_pool1d", (3, 2, 1), (2, 3, 11)),
    ("lp_pool2d", (2, 2), (2, 3, 7, 6)),
    ("adaptive_avg_pool2d", ((3, 4),), (2, 3, 7, 6)),
    ("adaptive_avg_pool2d", (1,), (2, 3, 7, 6)),
    ("adaptive_max_pool2d", ((3, 4), True), (2, 3, 7, 6)),
    ("adaptive_max_pool1d", (4, True), (2, 3, 9)),
])
def test_runs_on_a_device_like_on_the_cpu(device: str, name: str, args: tuple[Any, ...],
                                          shape: tuple[int, ...]) -> None:
    array = np.random.default_rng(6).standard_normal(shape)
    results = {}
    for where in ("cpu", device):
        value = mu.variable(array, dtype="float64", device=where)
        output = getattr(F, name)(value, *args)
        found = []
        if isinstance(output, tuple):
            output, indices = output
            assert indices.device == where
            found.append(indices.numpy())
        weights = np.random.default_rng(7).standard_normal(output.shape)
        (output * mu.constant(weights, device=where)).sum().backward()
        assert output.device == where
        results[where] = [*found, output.numpy(), value.grad().numpy()]
    for found, expected in zip(results[device], results["cpu"], strict=True):
        np.testing.assert_allclose(found, expected, rtol=1e-12, atol=1e-12)
