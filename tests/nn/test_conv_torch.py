"""The convolutions against PyTorch in float64: ``F.conv1d`` / ``F.conv2d`` (string padding,
unbatched inputs) and ``F.conv_transpose1d`` / ``F.conv_transpose2d`` over a grid of strides,
paddings, dilations, groups and output paddings, values and the gradients of the input, the
weight and the bias; the layers ``Conv1d``, ``Conv2d``, ``ConvTranspose1d``,
``ConvTranspose2d`` (state dicts, padding modes, ``output_size``, initialisation, reprs); a
second derivative; the errors; and a run on the stand-in GPU device."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import mushin as mu
import mushin.nn.functional as F
from mushin import nn

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _compare(ours: Callable[..., Any], theirs: Callable[..., Any], arrays: list[np.ndarray],
             seed: int = 0) -> None:
    """``ours`` and ``theirs`` on the same float64 arrays: equal values, and equal gradients
    of every array under the same random output gradient."""
    mine = [mu.variable(array, dtype="float64") for array in arrays]
    their = [torch.tensor(array, requires_grad=True) for array in arrays]
    result, expected = ours(*mine), theirs(*their)
    assert result.shape == tuple(expected.shape)
    np.testing.assert_allclose(result.numpy(), expected.detach().numpy(), rtol=1e-10,
                               atol=1e-12)
    cotangent = np.random.default_rng(seed).standard_normal(tuple(expected.shape))
    (result * mu.constant(cotangent)).sum().backward()
    (expected * torch.tensor(cotangent)).sum().backward()
    for index, (found, wanted) in enumerate(zip(mine, their, strict=True)):
        np.testing.assert_allclose(found.grad().numpy(), wanted.grad.numpy(), rtol=1e-10,
                                   atol=1e-11, err_msg=f"gradient of argument {index}")


# --- the functions ------------------------------------------------------------------------------

# (input shape, weight shape, stride, padding, dilation, groups)
CONV2D_CASES = [
    ((2, 4, 7, 6), (6, 2, 3, 2), 1, 0, 1, 2),
    ((2, 3, 8, 7), (4, 3, 3, 3), 2, 1, 1, 1),
    ((1, 3, 9, 8), (4, 3, 3, 2), (2, 3), (1, 0), (2, 1), 1),
    ((2, 4, 6, 6), (4, 1, 3, 3), 1, "same", 1, 4),
    ((2, 2, 7, 6), (3, 2, 4, 2), 1, "same", (1, 2), 1),  # odd totals: one zero more after
    ((2, 2, 6, 7), (3, 2, 2, 3), 1, "same", 3, 1),
    ((2, 4, 6, 5), (2, 2, 3, 3), 2, "valid", 1, 2),
    ((6, 6, 5), (4, 3, 2, 3), 1, 1, 1, 2),  # unbatched
    ((3, 6, 5), (4, 3, 2, 2), 1, "same", 1, 1),  # unbatched, same
]


@pytest.mark.parametrize(("x_shape", "w_shape", "stride", "padding", "dilation", "groups"),
                         CONV2D_CASES)
def test_conv2d_matches_torch(x_shape: tuple[int, ...], w_shape: tuple[int, ...], stride: Any,
                              padding: Any, dilation: Any, groups: int) -> None:
    rng = np.random.default_rng(len(x_shape) + sum(w_shape))
    arrays = [rng.standard_normal(x_shape), rng.standard_normal(w_shape),
              rng.standard_normal(w_shape[0])]
    _compare(lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, groups),
             lambda x, w, b: TF.conv2d(x, w, b, stride, padding, dilation, groups), arrays)
    _compare(lambda x, w: F.conv2d(x, w, stride=stride, padding=padding, dilation=dilation,
                                   groups=groups),
             lambda x, w: TF.conv2d(x, w, stride=stride, padding=padding, dilation=dilation,
                                    groups=groups), arrays[:2])


CONV1D_CASES = [
    ((2, 4, 9), (6, 2, 3), 1, 0, 1, 2),
    ((2, 3, 11), (4, 3, 3), 3, 2, 2, 1),
    ((2, 3, 10), (4, 3, 4), 1, "same", 1, 1),  # even kernel: the odd zero after
    ((2, 3, 10), (4, 3, 3), 1, "same", 3, 1),
    ((2, 4, 10), (4, 1, 5), (2,), (1,), (1,), 4),
    ((2, 3, 10), (4, 3, 4), 2, "valid", 1, 1),
    ((3, 9), (5, 3, 2), 2, 1, 1, 1),  # unbatched
    ((4, 9), (6, 2, 4), 1, "same", 2, 2),  # unbatched, same
]


@pytest.mark.parametrize(("x_shape", "w_shape", "stride", "padding", "dilation", "groups"),
                         CONV1D_CASES)
def test_conv1d_matches_torch(x_shape: tuple[int, ...], w_shape: tuple[int, ...], stride: Any,
                              padding: Any, dilation: Any, groups: int) -> None:
    rng = np.random.default_rng(sum(x_shape) + sum(w_shape))
    arrays = [rng.standard_normal(x_shape), rng.standard_normal(w_shape),
              rng.standard_normal(w_shape[0])]
    _compare(lambda x, w, b: F.conv1d(x, w, b, stride, padding, dilation, groups),
             lambda x, w, b: TF.conv1d(x, w, b, stride, padding, dilation, groups), arrays)


# (input shape, weight shape, stride, padding, output_padding, groups, dilation)
CONV_TRANSPOSE2D_CASES = [
    ((2, 4, 5, 4), (4, 3, 3, 3), 1, 0, 0, 1, 1),
    ((2, 4, 5, 4), (4, 3, 4, 4), 2, 1, 0, 1, 1),  # DCGAN's layer
    ((2, 4, 5, 4), (4, 3, 3, 2), 2, 1, 1, 2, 1),
    ((2, 4, 3, 4), (4, 2, 3, 2), (3, 2), (1, 0), (2, 1), 2, (1, 2)),
    ((2, 2, 4, 5), (2, 3, 3, 3), 1, 1, (0, 1), 1, (1, 3)),  # output padding past the stride
    ((2, 4, 4, 3), (4, 1, 2, 3), 2, 0, 1, 4, 3),
    ((3, 1, 1), (3, 5, 4, 4), 1, 0, 0, 1, 1),  # unbatched, DCGAN's first layer
    ((4, 3, 5), (4, 2, 3, 3), 2, 1, 1, 2, 1),  # unbatched
]


@pytest.mark.parametrize(("x_shape", "w_shape", "stride", "padding", "output_padding",
                          "groups", "dilation"), CONV_TRANSPOSE2D_CASES)
def test_conv_transpose2d_matches_torch(x_shape: tuple[int, ...], w_shape: tuple[int, ...],
                                        stride: Any, padding: Any, output_padding: Any,
                                        groups: int, dilation: Any) -> None:
    rng = np.random.default_rng(sum(x_shape) + 7 * sum(w_shape))
    arrays = [rng.standard_normal(x_shape), rng.standard_normal(w_shape),
              rng.standard_normal(w_shape[1] * groups)]
    _compare(lambda x, w, b: F.conv_transpose2d(x, w, b, stride, padding, output_padding,
                                                groups, dilation),
             lambda x, w, b: TF.conv_transpose2d(x, w, b, stride, padding, output_padding,
                                                 groups, dilation), arrays)
    _compare(lambda x, w: F.conv_transpose2d(x, w, stride=stride, padding=padding,
                                             output_padding=output_padding, groups=groups,
                                             dilation=dilation),
             lambda x, w: TF.conv_transpose2d(x, w, stride=stride, padding=padding,
                                              output_padding=output_padding, groups=groups,
                                              dilation=dilation), arrays[:2])


CONV_TRANSPOSE1D_CASES = [
    ((2, 4, 6), (4, 3, 3), 1, 0, 0, 1, 1),
    ((2, 4, 6), (4, 3, 4), 2, 1, 1, 2, 1),
    ((2, 2, 5), (2, 3, 3), 3, 2, 2, 1, 2),
    ((2, 2, 5), (2, 2, 3), 1, 1, 1, 1, 2),  # output padding past the stride
    ((4, 6), (4, 2, 3), 2, 1, 0, 2, 1),  # unbatched
]


@pytest.mark.parametrize(("x_shape", "w_shape", "stride", "padding", "output_padding",
                          "groups", "dilation"), CONV_TRANSPOSE1D_CASES)
def test_conv_transpose1d_matches_torch(x_shape: tuple[int, ...], w_shape: tuple[int, ...],
                                        stride: Any, padding: Any, output_padding: Any,
                                        groups: int, dilation: Any) -> None:
    rng = np.random.default_rng(sum(x_shape) + 5 * sum(w_shape))
    arrays = [rng.standard_normal(x_shape), rng.standard_normal(w_shape),
              rng.standard_normal(w_shape[1] * groups)]
    _compare(lambda x, w, b: F.conv_transpose1d(x, w, b, stride, padding, output_padding,
                                                groups, dilation),
             lambda x, w, b: TF.conv_transpose1d(x, w, b, stride, padding, output_padding,
                                                 groups, dilation), arrays)


@pytest.mark.parametrize("case", ["stride", "output_padding_past_stride", "conv1d_same"])
def test_second_derivatives_match_torch(case: str) -> None:
    """A penalty on the first gradients (input and weight), differentiated again."""
    rng = np.random.default_rng(3)
    if case == "conv1d_same":
        arrays = [rng.standard_normal((2, 2, 7)), rng.standard_normal((3, 2, 4)),
                  rng.standard_normal(3)]
        ours: Callable[..., Any] = lambda x, w, b: F.conv1d(x, w, b, padding="same",  # noqa: E731
                                                            dilation=1)
        theirs: Callable[..., Any] = lambda x, w, b: TF.conv1d(  # noqa: E731
            x, w, b, padding="same")
    else:
        stride, output_padding, dilation = ((2, 1, 1) if case == "stride" else (1, 1, 2))
        arrays = [rng.standard_normal((2, 2, 4, 3)), rng.standard_normal((2, 3, 3, 3)),
                  rng.standard_normal(3)]
        ours = lambda x, w, b: F.conv_transpose2d(  # noqa: E731
            x, w, b, stride, 1, output_padding, 1, dilation)
        theirs = lambda x, w, b: TF.conv_transpose2d(  # noqa: E731
            x, w, b, stride, 1, output_padding, 1, dilation)
    mine = [mu.variable(array, dtype="float64") for array in arrays]
    their = [torch.tensor(array, requires_grad=True) for array in arrays]
    result = ours(*mine)
    (result * result * result).sum().backward(create_graph=True)
    penalty = ((mine[0].grad() ** 2).sum() + (mine[1].grad() ** 3).sum()
               + (mine[2].grad() ** 2).sum())
    for tensor in mine:
        tensor.reset()
    penalty.backward()
    expected = theirs(*their)
    grads = torch.autograd.grad((expected ** 3).sum(), their, create_graph=True)
    ((grads[0] ** 2).sum() + (grads[1] ** 3).sum() + (grads[2] ** 2).sum()).backward()
    for found, wanted in zip(mine, their, strict=True):
        np.testing.assert_allclose(found.grad().numpy(), wanted.grad.numpy(), rtol=1e-9,
                                   atol=1e-9)


# --- the layers ---------------------------------------------------------------------------------

# Each maker builds the layer of a module (torch.nn or mu.nn) in a dtype.
Maker = Callable[[Any, Any], Any]

LAYERS: list[tuple[str, Maker, tuple[int, ...]]] = [
    ("Conv1d", lambda m, d: m.Conv1d(4, 6, 3, stride=2, padding=1, groups=2, dtype=d),
     (2, 4, 9)),
    ("Conv1d-same-reflect", lambda m, d: m.Conv1d(3, 4, 4, padding="same", dilation=2,
                                                  padding_mode="reflect", dtype=d), (2, 3, 10)),
    ("Conv1d-circular", lambda m, d: m.Conv1d(3, 2, 3, padding=2, padding_mode="circular",
                                              bias=False, dtype=d), (3, 7)),
    ("Conv2d-replicate", lambda m, d: m.Conv2d(2, 4, (3, 2), stride=(2, 1), padding=(1, 2),
                                               padding_mode="replicate", dtype=d), (2, 2, 6, 5)),
    ("Conv2d-same-circular", lambda m, d: m.Conv2d(2, 3, (2, 3), padding="same",
                                                   padding_mode="circular", dtype=d),
     (2, 2, 5, 6)),
    ("Conv2d-valid", lambda m, d: m.Conv2d(4, 2, 3, padding="valid", groups=2, dtype=d),
     (4, 6, 6)),
    ("ConvTranspose1d", lambda m, d: m.ConvTranspose1d(4, 6, 3, stride=2, padding=1,
                                                       output_padding=1, groups=2, dtype=d),
     (2, 4, 5)),
    ("ConvTranspose2d", lambda m, d: m.ConvTranspose2d(4, 3, 4, 2, 1, bias=False, dtype=d),
     (2, 4, 3, 3)),
    ("ConvTranspose2d-dilated", lambda m, d: m.ConvTranspose2d(
        2, 4, (3, 2), stride=(1, 2), padding=(1, 0), output_padding=(1, 1), groups=2,
        dilation=(2, 1), dtype=d), (2, 3, 4)),
]


def _pair_of(make: Maker) -> tuple[Any, Any]:
    """The torch layer and ours (float64), ours with its weights."""
    torch.manual_seed(0)
    theirs, ours = make(torch.nn, torch.float64), make(nn, mu.float64)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in theirs.state_dict().items():
        assert ours.state_dict()[key].shape == tuple(value.shape), key
    ours.load_state_dict({key: value.detach().numpy()
                          for key, value in theirs.state_dict().items()})
    return ours, theirs


@pytest.mark.parametrize(("name", "make", "shape"), LAYERS, ids=[case[0] for case in LAYERS])
def test_layer_matches_torch(name: str, make: Maker, shape: tuple[int, ...]) -> None:
    ours, theirs = _pair_of(make)
    # Conv2d is the crate's Conv2D (one class, named Conv2D); the rest of the repr is PyTorch's
    assert repr(ours) == repr(theirs).replace("Conv2d(", "Conv2D(")
    x = np.random.default_rng(1).standard_normal(shape)
    mine, their = mu.variable(x, dtype="float64"), torch.tensor(x, requires_grad=True)
    result, expected = ours(mine), theirs(their)
    np.testing.assert_allclose(result.numpy(), expected.detach().numpy(), rtol=1e-10,
                               atol=1e-12)
    cotangent = np.random.default_rng(2).standard_normal(tuple(expected.shape))
    (result * mu.constant(cotangent)).sum().backward()
    (expected * torch.tensor(cotangent)).sum().backward()
    np.testing.assert_allclose(mine.grad().numpy(), their.grad.numpy(), rtol=1e-10,
                               atol=1e-11)
    for (key, parameter), (_, wanted) in zip(ours.named_parameters(),
                                             theirs.named_parameters(), strict=True):
        np.testing.assert_allclose(parameter.grad().numpy(), wanted.grad.numpy(), rtol=1e-10,
                                   atol=1e-11, err_msg=key)


@pytest.mark.parametrize("output_size", [[9, 8], [10, 9], (2, 3, 10, 8), [9, 9]])
def test_conv_transpose_output_size(output_size: Any) -> None:
    ours, theirs = _pair_of(lambda m, d: m.ConvTranspose2d(4, 3, 3, stride=(2, 3), padding=1,
                                                        dtype=d))
    x = np.random.default_rng(4).standard_normal((2, 4, 5, 3))
    expected = theirs(torch.tensor(x), output_size=output_size)
    result = ours(mu.constant(x), output_size=output_size)
    np.testing.assert_allclose(result.numpy(), expected.detach().numpy(), rtol=1e-10,
                               atol=1e-12)
    ours1, theirs1 = _pair_of(lambda m, d: m.ConvTranspose1d(2, 3, 3, stride=3, dtype=d))
    x1 = np.random.default_rng(5).standard_normal((2, 4))
    np.testing.assert_allclose(ours1(mu.constant(x1), output_size=[13]).numpy(),
                               theirs1(torch.tensor(x1), output_size=[13]).detach().numpy(),
                               rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match=r"ConvTranspose2d: requested an output size of "
                                         r"\(11, 9\), but valid sizes range from \(9, 7\) to "
                                         r"\(10, 9\)"):
        ours(mu.constant(x), output_size=[11, 9])
    with pytest.raises(ValueError, match="ConvTranspose2d: for a 4-d input, output_size must "
                                         "have 2 or 4 ints"):
        ours(mu.constant(x), output_size=[9])


# Biases of 32 or more values: the largest of each comes near its bound.
@pytest.mark.parametrize("make", [
    lambda m: m.Conv1d(6, 40, 5, groups=2), lambda m: m.Conv2d(6, 32, (3, 2)),
    lambda m: m.ConvTranspose1d(4, 32, 3, groups=2), lambda m: m.ConvTranspose2d(5, 32, 4)])
def test_initialisation_follows_pytorch(make: Callable[[Any], Any]) -> None:
    mu.seed(0)
    ours, theirs = make(nn), make(torch.nn)
    for key, value in theirs.state_dict().items():
        mine = ours.state_dict()[key]
        assert mine.shape == tuple(value.shape) and mine.dtype == np.float32
        fan_in = theirs.weight.shape[1] * math.prod(theirs.weight.shape[2:])
        bound = 1 / math.sqrt(fan_in)  # kaiming_uniform(a=sqrt(5)) gives the same bound
        assert np.abs(mine).max() <= bound
        assert np.abs(mine).max() > 0.7 * bound


def test_layer_defaults_and_attributes_follow_pytorch() -> None:
    for name in ("Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"):
        ours, theirs = getattr(nn, name)(2, 4, 3), getattr(torch.nn, name)(2, 4, 3)
        for attribute in ("in_channels", "out_channels", "kernel_size", "stride", "padding",
                          "dilation", "groups", "padding_mode", "output_padding", "transposed"):
            assert getattr(ours, attribute) == getattr(theirs, attribute), (name, attribute)
    assert nn.Conv2d(2, 4, 3, padding="same").padding == "same"
    assert nn.Conv1d(2, 4, 4, padding="same", dilation=3)._reversed_padding_repeated_twice == (
        tuple(torch.nn.Conv1d(2, 4, 4, padding="same", dilation=3)
              ._reversed_padding_repeated_twice))


# --- errors -----------------------------------------------------------------------------------

def test_errors_name_the_problem() -> None:
    x = mu.constant(np.zeros((2, 3, 6, 6)))
    w = mu.constant(np.zeros((4, 3, 3, 3)))
    with pytest.raises(mu.ShapeError, match=r"conv2d: expected an input of shape "
                                            r"\(B, C, H, W\) or \(C, H, W\), got shape \(6, 6\)"):
        F.conv2d(mu.constant(np.zeros((6, 6))), w)
    with pytest.raises(mu.ShapeError, match=r"conv1d: expected an input of shape "
                                            r"\(B, C, L\) or \(C, L\), got shape \(6,\)"):
        F.conv1d(mu.constant(np.zeros(6)), mu.constant(np.zeros((2, 1, 3))))
    with pytest.raises(mu.ShapeError, match=r"conv1d: expected a weight of shape "
                                            r"\(O, C / groups, k\)"):
        F.conv1d(mu.constant(np.zeros((2, 3, 6))), w)
    with pytest.raises(ValueError, match="conv2d: padding='same' is not supported for strided "
                                         "convolutions"):
        F.conv2d(x, w, stride=2, padding="same")
    with pytest.raises(ValueError, match="conv2d: padding must be an int, a tuple of ints, "
                                         "'same' or 'valid', got 'full'"):
        F.conv2d(x, w, padding="full")
    with pytest.raises(TypeError, match=r"conv1d: stride must be an int or a tuple of one int"):
        F.conv1d(mu.constant(np.zeros((2, 3, 6))), mu.constant(np.zeros((2, 3, 3))),
                 stride=(1, 1))
    with pytest.raises(mu.ShapeError, match=r"conv1d: the input of shape \(2, 3, 4\) is too "
                                            r"small: padded to 4 it is smaller than the "
                                            r"kernel's reach of 5"):
        F.conv1d(mu.constant(np.zeros((2, 3, 4))), mu.constant(np.zeros((2, 3, 3))),
                 dilation=2)
    wt = mu.constant(np.zeros((3, 2, 3, 3)))
    with pytest.raises(mu.ShapeError, match=r"conv_transpose2d: the input of shape "
                                            r"\(2, 4, 6, 6\) has 4 channels but the weight of "
                                            r"shape \(3, 2, 3, 3\) expects 3"):
        F.conv_transpose2d(mu.constant(np.zeros((2, 4, 6, 6))), wt)
    with pytest.raises(mu.ShapeError, match=r"conv_transpose2d: expected a bias of shape "
                                            r"\(2,\), got shape \(4,\)"):
        F.conv_transpose2d(x, wt, mu.constant(np.zeros(4)))
    with pytest.raises(ValueError, match="conv_transpose2d: 3 input channels are not "
                                         "divisible by groups=2"):
        F.conv_transpose2d(x, wt, groups=2)
    with pytest.raises(ValueError, match="conv_transpose2d: output_padding must be smaller "
                                         "than the stride or the dilation"):
        F.conv_transpose2d(x, wt, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="conv_transpose1d: padding must be an int or a tuple "
                                         "of ints"):
        F.conv_transpose1d(mu.constant(np.zeros((2, 3, 6))), mu.constant(np.zeros((3, 2, 3))),
                           padding="same")
    with pytest.raises(mu.ShapeError, match=r"conv_transpose2d: the input of shape .* gives "
                                            r"an output of size"):
        F.conv_transpose2d(mu.constant(np.zeros((2, 3, 1, 1))), wt, padding=2)
    with pytest.raises(ValueError, match="Conv2D: padding_mode must be one of"):
        nn.Conv2d(2, 2, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="ConvTranspose2d: only padding_mode='zeros'"):
        nn.ConvTranspose2d(2, 2, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="Conv1d: padding='same' is not supported for strided"):
        nn.Conv1d(2, 2, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match=r"ConvTranspose1d: in_channels \(3\) and out_channels "
                                         r"\(4\) must both be divisible by groups \(2\)"):
        nn.ConvTranspose1d(3, 4, 3, groups=2)


# --- on a device --------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "make", "shape"), [LAYERS[0], LAYERS[3], LAYERS[6], LAYERS[8]],
                         ids=["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"])
def test_runs_on_a_device_like_on_the_cpu(device: str, name: str, make: Maker,
                                          shape: tuple[int, ...]) -> None:
    x = np.random.default_rng(6).standard_normal(shape)
    results = {}
    for where in ("cpu", device):
        mu.seed(1)
        layer = make(nn, mu.float64).to(where)
        value = mu.variable(x, dtype="float64", device=where)
        output = layer(value)
        weights = np.random.default_rng(7).standard_normal(output.shape)
        (output * mu.constant(weights, device=where)).sum().backward()
        assert output.device == where
        results[where] = [output.numpy(), value.grad().numpy(),
                          *(parameter.grad().numpy() for parameter in layer.parameters())]
    for found, expected in zip(results[device], results["cpu"], strict=True):
        np.testing.assert_allclose(found, expected, rtol=1e-10, atol=1e-12)
