"""The small torch.nn.functional gaps against PyTorch in float64: ``F.unfold`` / ``F.fold``
(batched and unbatched, over kernel sizes, dilations, paddings and strides) and ``nn.Unfold``
/ ``nn.Fold``; ``F.channel_shuffle`` and ``nn.ChannelShuffle``; ``F.pdist``;
``F.max_unpool1d/2d/3d`` and ``nn.MaxUnpool1d/2d/3d`` on the indices of ``F.max_pool*d``;
``F.gumbel_softmax`` (its statistics, the hard sample's one-hot forward and soft gradient,
determinism under ``mu.manual_seed``); the in-place names' errors; values, gradients, reprs,
errors and a run on the stand-in GPU device."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import mushin as mu
import mushin.nn.functional as F
from mushin import nn
from mushin.errors import ShapeError

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


def _random(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


# --- unfold and fold ----------------------------------------------------------------------------

# (input shape, kernel_size, dilation, padding, stride)
UNFOLD_CASES = [
    ((2, 3, 5, 6), 2, 1, 0, 1),
    ((2, 3, 7, 6), (2, 3), (2, 1), (1, 2), (2, 1)),
    ((1, 2, 8, 8), 3, 2, 1, 3),
    ((3, 5, 4), (1, 2), 1, (0, 1), (1, 2)),  # unbatched
    ((2, 1, 4, 4), 4, 1, 0, 1),  # one block
]


@pytest.mark.parametrize(("shape", "kernel", "dilation", "padding", "stride"), UNFOLD_CASES)
def test_unfold_matches_pytorch(shape: tuple[int, ...], kernel: Any, dilation: Any,
                                padding: Any, stride: Any) -> None:
    _compare(lambda x: F.unfold(x, kernel, dilation, padding, stride),
             lambda x: TF.unfold(x, kernel, dilation, padding, stride), [_random(*shape)])


@pytest.mark.parametrize(("shape", "kernel", "dilation", "padding", "stride"), UNFOLD_CASES)
def test_fold_matches_pytorch(shape: tuple[int, ...], kernel: Any, dilation: Any,
                              padding: Any, stride: Any) -> None:
    columns = TF.unfold(torch.zeros(shape), kernel, dilation, padding, stride)
    size = shape[-2:]
    _compare(lambda x: F.fold(x, size, kernel, dilation, padding, stride),
             lambda x: TF.fold(x, size, kernel, dilation, padding, stride),
             [_random(*columns.shape, seed=1)])


def test_fold_of_unfold_counts_the_blocks_over_each_pixel() -> None:
    ones = mu.constant(np.ones((1, 2, 5, 5)))
    counts = F.fold(F.unfold(ones, 3, padding=1), (5, 5), 3, padding=1)
    expected = TF.fold(TF.unfold(torch.ones(1, 2, 5, 5), 3, padding=1), (5, 5), 3, padding=1)
    np.testing.assert_array_equal(counts.numpy(), expected.numpy())


def test_unfold_and_fold_second_derivative() -> None:
    x = _random(1, 2, 4, 4)
    mine, theirs = mu.variable(x, dtype="float64"), torch.tensor(x, requires_grad=True)
    (F.fold(F.unfold(mine, 2) ** 2, (4, 4), 2) ** 3).sum().backward(create_graph=True)
    penalty = (mine.grad() ** 2).sum()
    mine.reset()
    penalty.backward()
    (grad,) = torch.autograd.grad((TF.fold(TF.unfold(theirs, 2) ** 2, (4, 4), 2) ** 3).sum(),
                                  [theirs], create_graph=True)
    (grad ** 2).sum().backward()
    np.testing.assert_allclose(mine.grad().numpy(), theirs.grad.numpy(), rtol=1e-10)


def test_unfold_and_fold_layers() -> None:
    unfold = nn.Unfold((2, 3), padding=(1, 0))
    fold = nn.Fold((4, 5), 2, stride=1)
    assert repr(unfold) == repr(torch.nn.Unfold((2, 3), padding=(1, 0)))
    assert repr(fold) == repr(torch.nn.Fold((4, 5), 2, stride=1))
    assert unfold.state_dict() == {} and fold.state_dict() == {}
    x = _random(2, 3, 4, 5)
    np.testing.assert_allclose(unfold(mu.constant(x)).numpy(),
                               torch.nn.Unfold((2, 3), padding=(1, 0))(torch.tensor(x)).numpy())
    columns = _random(2, 12, 12)
    np.testing.assert_allclose(fold(mu.constant(columns)).numpy(),
                               torch.nn.Fold((4, 5), 2)(torch.tensor(columns)).numpy())


def test_unfold_and_fold_errors() -> None:
    with pytest.raises(ShapeError, match=r"unfold: expected an input of shape \(N, C, H, W\) "
                                         r"or \(C, H, W\), got shape \(3, 4\)"):
        F.unfold(mu.constant(np.zeros((3, 4))), 2)
    with pytest.raises(ShapeError, match=r"unfold: .* has no sliding block"):
        F.unfold(mu.constant(np.zeros((1, 1, 4, 4))), 5)
    with pytest.raises(ValueError, match="unfold: kernel_size must be at least 1, got 0"):
        F.unfold(mu.constant(np.zeros((1, 1, 4, 4))), 0)
    with pytest.raises(TypeError, match="unfold: stride must be an int or a pair of ints"):
        F.unfold(mu.constant(np.zeros((1, 1, 4, 4))), 2, stride=(1, 2, 3))
    with pytest.raises(ShapeError, match=r"fold: the size of the input's dimension 1 \(5, "
                                         r"of shape \(2, 5, 9\)\) must be divisible by the "
                                         r"product of kernel_size=\(2, 2\) \(4\)"):
        F.fold(mu.constant(np.zeros((2, 5, 9))), (4, 4), 2)
    with pytest.raises(ShapeError, match=r"fold: .* number of sliding blocks 3 \* 3 = 9, got "
                                         r"shape \(2, 8, 8\)"):
        F.fold(mu.constant(np.zeros((2, 8, 8))), (4, 4), 2)
    with pytest.raises(ShapeError, match=r"fold: expected an input of shape"):
        F.fold(mu.constant(np.zeros((8,))), (4, 4), 2)


# --- channel_shuffle ----------------------------------------------------------------------------

@pytest.mark.parametrize(("shape", "groups"), [((2, 6, 3), 3), ((2, 6, 2, 3), 2),
                                                ((1, 8, 2, 2, 2), 4), ((6, 4, 5), 1)])
def test_channel_shuffle_matches_pytorch(shape: tuple[int, ...], groups: int) -> None:
    _compare(lambda x: F.channel_shuffle(x, groups), lambda x: TF.channel_shuffle(x, groups),
             [_random(*shape)])


def test_channel_shuffle_layer_and_errors() -> None:
    layer = nn.ChannelShuffle(3)
    assert repr(layer) == repr(torch.nn.ChannelShuffle(3)) == "ChannelShuffle(groups=3)"
    x = _random(2, 6, 4)
    np.testing.assert_array_equal(layer(mu.constant(x)).numpy(),
                                  torch.nn.ChannelShuffle(3)(torch.tensor(x)).numpy())
    with pytest.raises(ShapeError, match=r"channel_shuffle: the channels of the input of shape "
                                         r"\(2, 6, 3\) \(6\) must be divisible by groups \(4\)"):
        F.channel_shuffle(mu.constant(np.zeros((2, 6, 3))), 4)
    with pytest.raises(ShapeError, match=r"channel_shuffle: expected an input of shape \(N, C, "
                                         r"\*\) with more than 2 axes, got shape \(2, 6\)"):
        F.channel_shuffle(mu.constant(np.zeros((2, 6))), 3)
    with pytest.raises(ValueError, match="channel_shuffle: groups must be a positive int, "
                                         "got 0"):
        F.channel_shuffle(mu.constant(np.zeros((2, 6, 3))), 0)
    with pytest.raises(ValueError, match="ChannelShuffle: groups must be a positive int"):
        nn.ChannelShuffle(-1)


# --- pdist --------------------------------------------------------------------------------------

@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 0.5, float("inf")])
def test_pdist_matches_pytorch(p: float) -> None:
    _compare(lambda x: F.pdist(x, p), lambda x: torch.pdist(x, p), [_random(6, 4)])


def test_pdist_default_p_zero_p_and_few_rows() -> None:
    x = _random(5, 3)
    x[3] = x[1]  # a zero distance: its gradient is 0, as PyTorch's
    _compare(F.pdist, TF.pdist, [x])
    counted = F.pdist(mu.constant(np.round(x)), 0)
    np.testing.assert_array_equal(counted.numpy(), TF.pdist(torch.tensor(np.round(x)), 0))
    assert F.pdist(mu.constant(np.zeros((1, 3)))).shape == (0,)


def test_pdist_errors() -> None:
    with pytest.raises(ShapeError, match=r"pdist: expected an input of shape \(N, M\), got "
                                         r"shape \(3, 4, 5\)"):
        F.pdist(mu.constant(np.zeros((3, 4, 5))))
    with pytest.raises(ValueError, match="pdist: p must be a non-negative number, got -1"):
        F.pdist(mu.constant(np.zeros((3, 4))), -1)


# --- max_unpool ---------------------------------------------------------------------------------

# (input shape, kernel_size, stride, padding, output_size)
UNPOOL2D_CASES = [
    ((2, 3, 6, 8), 2, None, 0, None),
    ((2, 2, 7, 6), 3, 2, 1, (7, 6)),  # overlapping windows: a value can win twice
    ((1, 2, 5, 7), (2, 3), (2, 2), (1, 0), (1, 2, 5, 8)),
    ((3, 6, 6), 2, 2, 0, None),  # unbatched
]


@pytest.mark.parametrize(("shape", "kernel", "stride", "padding", "size"), UNPOOL2D_CASES)
def test_max_unpool2d_matches_pytorch(shape: tuple[int, ...], kernel: Any, stride: Any,
                                      padding: Any, size: Any) -> None:
    x = _random(*shape)
    pooled, indices = TF.max_pool2d(torch.tensor(x), kernel, stride, padding,
                                    return_indices=True)
    _, our_indices = F.max_pool2d(mu.constant(x), kernel, stride, padding,
                                  return_indices=True)
    np.testing.assert_array_equal(our_indices.numpy(), indices.numpy())
    _compare(lambda v: F.max_unpool2d(v, our_indices, kernel, stride, padding, size),
             lambda v: TF.max_unpool2d(v, indices, kernel, stride, padding, size),
             [pooled.numpy()])


@pytest.mark.parametrize(("shape", "kernel", "stride", "padding", "size"), [
    ((2, 3, 8), 2, None, 0, None), ((2, 2, 9), 3, 2, 1, (9,)), ((3, 7), 2, 2, 0, (7,))])
def test_max_unpool1d_matches_pytorch(shape: tuple[int, ...], kernel: Any, stride: Any,
                                      padding: Any, size: Any) -> None:
    x = _random(*shape)
    pooled, indices = TF.max_pool1d(torch.tensor(x), kernel, stride, padding,
                                    return_indices=True)
    _, our_indices = F.max_pool1d(mu.constant(x), kernel, stride, padding, return_indices=True)
    _compare(lambda v: F.max_unpool1d(v, our_indices, kernel, stride, padding, size),
             lambda v: TF.max_unpool1d(v, indices, kernel, stride, padding, size),
             [pooled.numpy()])


@pytest.mark.parametrize(("shape", "kernel", "stride", "padding", "size"), [
    ((2, 2, 4, 6, 4), 2, None, 0, None),
    ((1, 2, 5, 5, 4), 3, 2, 1, (1, 2, 5, 5, 4)),  # overlapping windows
    ((2, 4, 5, 6), (2, 3, 2), (2, 2, 1), (1, 0, 0), (4, 6, 6)),  # unbatched
])
def test_max_unpool3d_matches_pytorch(shape: tuple[int, ...], kernel: Any, stride: Any,
                                      padding: Any, size: Any) -> None:
    x = _random(*shape)
    pooled, indices = TF.max_pool3d(torch.tensor(x), kernel, stride, padding,
                                    return_indices=True)
    _, our_indices = F.max_pool3d(mu.constant(x), kernel, stride, padding, return_indices=True)
    np.testing.assert_array_equal(our_indices.numpy(), indices.numpy())
    _compare(lambda v: F.max_unpool3d(v, our_indices, kernel, stride, padding, size),
             lambda v: TF.max_unpool3d(v, indices, kernel, stride, padding, size),
             [pooled.numpy()])


def test_max_unpool_layers() -> None:
    assert repr(nn.MaxUnpool2d(2)) == repr(torch.nn.MaxUnpool2d(2))
    assert repr(nn.MaxUnpool2d((2, 3), 1, 1)) == repr(torch.nn.MaxUnpool2d((2, 3), 1, 1))
    assert repr(nn.MaxUnpool1d(3, 2)) == repr(torch.nn.MaxUnpool1d(3, 2))
    assert repr(nn.MaxUnpool3d(2)) == repr(torch.nn.MaxUnpool3d(2))
    assert repr(nn.MaxUnpool3d((1, 2, 3), 2, (0, 1, 1))) == \
        repr(torch.nn.MaxUnpool3d((1, 2, 3), 2, (0, 1, 1)))
    x = _random(2, 3, 5, 4)
    pool, unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
    pooled, indices = pool(mu.constant(x))
    their_pooled, their_indices = torch.nn.MaxPool2d(2, return_indices=True)(torch.tensor(x))
    found = unpool(pooled, indices, output_size=(2, 3, 5, 4))
    expected = torch.nn.MaxUnpool2d(2)(their_pooled, their_indices, output_size=(2, 3, 5, 4))
    np.testing.assert_array_equal(found.numpy(), expected.numpy())
    line = _random(2, 3, 6)
    pooled, indices = nn.MaxPool1d(2, return_indices=True)(mu.constant(line))
    their_pooled, their_indices = torch.nn.MaxPool1d(2, return_indices=True)(torch.tensor(line))
    np.testing.assert_array_equal(nn.MaxUnpool1d(2)(pooled, indices).numpy(),
                                  torch.nn.MaxUnpool1d(2)(their_pooled, their_indices).numpy())
    volume = _random(1, 2, 5, 4, 4)
    pooled, indices = nn.MaxPool3d(2, return_indices=True)(mu.constant(volume))
    their_pooled, their_indices = torch.nn.MaxPool3d(2, return_indices=True)(
        torch.tensor(volume))
    np.testing.assert_array_equal(
        nn.MaxUnpool3d(2)(pooled, indices, output_size=(5, 4, 4)).numpy(),
        torch.nn.MaxUnpool3d(2)(their_pooled, their_indices, output_size=(5, 4, 4)).numpy())


def test_max_unpool_errors() -> None:
    values = mu.constant(np.ones((1, 1, 2, 2)))
    with pytest.raises(IndexError, match=r"max_unpool2d: found an invalid max index 99 \(the "
                                         r"output planes are of size 4x4\)"):
        F.max_unpool2d(values, mu.constant(np.array([[[[0, 1], [2, 99]]]])), 2)
    indices = mu.constant(np.zeros((1, 1, 2, 2), dtype=np.int64))
    with pytest.raises(ValueError, match=r"max_unpool2d: invalid output_size \(6, 4\) \(dim 0 "
                                         r"must be between 2 and 6, exclusive\)"):
        F.max_unpool2d(values, indices, 2, output_size=(6, 4))
    with pytest.raises(ValueError, match="max_unpool2d: output_size should be a sequence of 2 "
                                         "or 4 ints"):
        F.max_unpool2d(values, indices, 2, output_size=(4, 4, 4))
    with pytest.raises(ShapeError, match=r"max_unpool2d: the indices must have the input's "
                                         r"shape \(1, 1, 2, 2\), got shape \(1, 1, 4\)"):
        F.max_unpool2d(values, mu.constant(np.zeros((1, 1, 4), dtype=np.int64)), 2)
    with pytest.raises(TypeError, match="max_unpool2d: indices must be an integer tensor"):
        F.max_unpool2d(values, values, 2)
    with pytest.raises(IndexError, match=r"max_unpool3d: found an invalid max index -1 \(the "
                                         r"output volumes are of size 2x4x4\)"):
        F.max_unpool3d(mu.constant(np.ones((1, 1, 1, 2, 2))),
                       mu.constant(np.full((1, 1, 1, 2, 2), -1)), 2)
    with pytest.raises(ShapeError, match=r"max_unpool3d: expected an input of shape "
                                         r"\(N, C, D, H, W\) or \(C, D, H, W\), got shape "
                                         r"\(1, 2, 2\)"):
        F.max_unpool3d(values[0], indices[0], 2)
    with pytest.raises(ShapeError, match=r"max_unpool1d: expected an input of shape \(N, C, L\) "
                                         r"or \(C, L\), got shape \(1, 1, 2, 2\)"):
        F.max_unpool1d(values, indices, 2)


# --- gumbel_softmax -----------------------------------------------------------------------------

def test_gumbel_softmax_samples_follow_the_softmax_of_the_logits() -> None:
    mu.manual_seed(0)
    logits = np.log(np.array([0.1, 0.2, 0.3, 0.4]))
    samples = F.gumbel_softmax(mu.constant(np.tile(logits, (40000, 1))), tau=0.5, hard=True)
    frequencies = samples.numpy().mean(axis=0)
    np.testing.assert_allclose(frequencies, [0.1, 0.2, 0.3, 0.4], atol=0.01)
    soft = F.gumbel_softmax(mu.constant(np.tile(logits, (2000, 1))), tau=2.0).numpy()
    np.testing.assert_allclose(soft.sum(axis=-1), 1.0, rtol=1e-12)
    assert soft.min() > 0 and soft.max() < 1


def test_gumbel_softmax_is_repeated_by_manual_seed() -> None:
    logits = mu.constant(_random(3, 5))
    mu.manual_seed(7)
    first = F.gumbel_softmax(logits, tau=0.7, dim=0).numpy()
    mu.manual_seed(7)
    again = F.gumbel_softmax(logits, tau=0.7, dim=0).numpy()
    np.testing.assert_array_equal(first, again)
    np.testing.assert_allclose(first.sum(axis=0), 1.0, rtol=1e-12)
    assert not np.array_equal(F.gumbel_softmax(logits, tau=0.7, dim=0).numpy(), first)


@pytest.mark.parametrize("dim", [-1, 1, 0])
def test_gumbel_softmax_soft_gradient_matches_pytorch(dim: int) -> None:
    """The noise is recovered from the sample (``tau log y - logits``, up to a constant per
    slice that softmax ignores), and PyTorch's softmax of the same noisy logits gives the
    gradient."""
    x, tau = _random(3, 4, 5), 0.8
    logits = mu.variable(x)
    mu.manual_seed(3)
    sample = F.gumbel_softmax(logits, tau=tau, dim=dim)
    cotangent = _random(3, 4, 5, seed=2)
    (sample * mu.constant(cotangent)).sum().backward()
    noise = torch.tensor(tau * np.log(sample.numpy()) - x)
    theirs = torch.tensor(x, requires_grad=True)
    expected = torch.softmax((theirs + noise) / tau, dim)
    np.testing.assert_allclose(sample.numpy(), expected.detach().numpy(), rtol=1e-10)
    (expected * torch.tensor(cotangent)).sum().backward()
    np.testing.assert_allclose(logits.grad().numpy(), theirs.grad.numpy(), rtol=1e-9,
                               atol=1e-12)


def test_gumbel_softmax_hard_is_one_hot_with_the_soft_gradient() -> None:
    x = _random(6, 5)
    cotangent = mu.constant(_random(6, 5, seed=4))
    soft_logits, hard_logits = mu.variable(x), mu.variable(x)
    mu.manual_seed(11)
    soft = F.gumbel_softmax(soft_logits, tau=0.5)
    mu.manual_seed(11)
    hard = F.gumbel_softmax(hard_logits, tau=0.5, hard=True)
    one_hot = np.eye(5)[soft.numpy().argmax(axis=-1)]
    np.testing.assert_allclose(hard.numpy(), one_hot, atol=1e-15)
    (soft * cotangent).sum().backward()
    (hard * cotangent).sum().backward()
    np.testing.assert_array_equal(hard_logits.grad().numpy(), soft_logits.grad().numpy())


def test_gumbel_softmax_warns_of_eps_and_checks_its_input() -> None:
    with pytest.warns(UserWarning, match="`eps` parameter is deprecated"):
        F.gumbel_softmax(mu.constant(_random(2, 3)), eps=1e-5)
    with pytest.raises(TypeError, match="gumbel_softmax: expected floating logits, got int64"):
        F.gumbel_softmax(mu.constant(np.arange(3)))


# --- the in-place names -------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "arguments"), [
    ("relu_", ()), ("elu_", (1.0,)), ("leaky_relu_", (0.1,)), ("hardtanh_", (-1.0, 1.0)),
    ("rrelu_", ()), ("celu_", ()), ("selu_", ()), ("threshold_", (0.5, 0.0))])
def test_in_place_functions_change_their_input_as_pytorch(name: str,
                                                          arguments: tuple[Any, ...]) -> None:
    values = np.array([-1.5, -0.25, 0.5, 2.0])
    x, theirs = mu.constant(values), torch.tensor(values)
    assert getattr(F, name)(x, *arguments) is x
    getattr(TF, name)(theirs, *arguments)
    np.testing.assert_allclose(x.numpy(), theirs.numpy(), rtol=1e-12)
    hidden = mu.variable(values) * 1.0
    their_leaf = torch.tensor(values, requires_grad=True)
    their_hidden = their_leaf * 1.0
    getattr(F, name)(hidden, *arguments)
    getattr(TF, name)(their_hidden, *arguments)
    np.testing.assert_allclose(hidden.numpy(), their_hidden.detach().numpy(), rtol=1e-12)
    with pytest.raises(RuntimeError, match=rf"{name}: the leaf Variable"):
        getattr(F, name)(mu.variable(values), *arguments)


# --- the stand-in device ------------------------------------------------------------------------

CASES: list[tuple[str, Callable[[Any], Any], tuple[int, ...]]] = [
    ("unfold", lambda x: F.unfold(x, 2, padding=1, stride=(1, 2)), (2, 3, 4, 5)),
    ("fold", lambda x: F.fold(x, (4, 5), 2, padding=1, stride=(1, 2)), (2, 12, 15)),
    ("Unfold", nn.Unfold(3, dilation=2), (3, 5, 6)),
    ("channel_shuffle", lambda x: F.channel_shuffle(x, 2), (2, 4, 3)),
    ("pdist", lambda x: F.pdist(x, 3.0), (5, 3)),
    ("max_unpool2d", lambda x: F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2),
     (2, 2, 4, 6)),
    ("max_unpool1d", lambda x: F.max_unpool1d(*F.max_pool1d(x, 3, 2, 1, return_indices=True),
                                              3, 2, 1), (2, 2, 7)),
    ("max_unpool3d", lambda x: F.max_unpool3d(*F.max_pool3d(x, 2, return_indices=True), 2),
     (2, 2, 4, 2, 4)),
]


@pytest.mark.parametrize(("name", "function", "shape"), CASES, ids=[case[0] for case in CASES])
def test_runs_on_a_device_like_on_the_cpu(device: str, name: str,
                                          function: Callable[[Any], Any],
                                          shape: tuple[int, ...]) -> None:
    x = _random(*shape, seed=6)
    results = {}
    for where in ("cpu", device):
        mu.manual_seed(1)
        value = mu.variable(x, dtype="float64", device=where)
        output = function(value)
        assert output.device == where
        weights = np.random.default_rng(7).standard_normal(output.shape)
        (output * mu.constant(weights, device=where)).sum().backward()
        results[where] = [output.numpy(), value.grad().numpy()]
    for found, expected in zip(results[device], results["cpu"], strict=True):
        np.testing.assert_allclose(found, expected, rtol=1e-10, atol=1e-12)


def test_gumbel_softmax_on_a_device(device: str) -> None:
    """The device draws from its own generator: its samples are repeated by the seed, and a
    hard one is one-hot with the soft sample's gradient, as on the CPU."""
    x = _random(3, 4, 2)
    samples = []
    for hard in (False, True, True):
        mu.manual_seed(5)
        logits = mu.variable(x, device=device)
        sample = F.gumbel_softmax(logits, 0.5, hard=hard, dim=1)
        assert sample.device == device
        (sample * mu.constant(_random(3, 4, 2, seed=1), device=device)).sum().backward()
        samples.append((sample.numpy(), logits.grad().numpy()))
    (soft, soft_grad), (hard, hard_grad), (again, _) = samples
    np.testing.assert_array_equal(hard, again)
    np.testing.assert_allclose(hard, np.eye(4)[soft.argmax(axis=1)].transpose(0, 2, 1),
                               atol=1e-15)
    np.testing.assert_array_equal(hard_grad, soft_grad)
