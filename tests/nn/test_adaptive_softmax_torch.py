"""``nn.AdaptiveLogSoftmaxWithLoss`` against PyTorch in float64: the module structure and state
dict, ``forward``'s output and loss with the gradients of the input and of every parameter
(batched, one row, targets in some clusters only), ``log_prob``, ``predict`` on its three
paths, the errors, and a run on the stand-in GPU device."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from layer_oracle import assert_gradients_equal, assert_same_state, copy_parameters, torch

import mushin as mu
from mushin import nn

SETTINGS: list[dict[str, Any]] = [
    {"in_features": 8, "n_classes": 20, "cutoffs": [4, 10, 15], "div_value": 2.0,
     "head_bias": True},
    {"in_features": 16, "n_classes": 10, "cutoffs": [3]},
    {"in_features": 6, "n_classes": 9, "cutoffs": (2, 5), "div_value": 1.5},
]


def _pair(**settings: Any) -> tuple[nn.AdaptiveLogSoftmaxWithLoss, Any]:
    theirs = torch.nn.AdaptiveLogSoftmaxWithLoss(**settings).double()
    ours = nn.AdaptiveLogSoftmaxWithLoss(**settings).double()
    copy_parameters(ours, theirs)
    return ours, theirs


@pytest.mark.parametrize("settings", SETTINGS)
def test_structure_and_state_dict_are_pytorchs(settings: dict[str, Any]) -> None:
    ours, theirs = _pair(**settings)
    assert_same_state(ours, theirs)
    for name in ("in_features", "n_classes", "cutoffs", "div_value", "head_bias",
                 "shortlist_size", "n_clusters", "head_size"):
        assert getattr(ours, name) == getattr(theirs, name), name
    assert isinstance(ours.tail, nn.ModuleList)
    assert all(isinstance(cluster, nn.Sequential) for cluster in ours.tail)
    # a fresh module takes PyTorch's state dict unchanged, and the reverse
    fresh = nn.AdaptiveLogSoftmaxWithLoss(**settings).double()
    fresh.load_state_dict({name: value.numpy() for name, value in theirs.state_dict().items()})
    theirs.load_state_dict({name: torch.tensor(value.numpy())
                            for name, value in ours.state_dict().items()})


@pytest.mark.parametrize("settings", SETTINGS)
@pytest.mark.parametrize("labels", ["all", "shortlist", "clusters"])
def test_forward_values_and_gradients_match_torch(settings: dict[str, Any], labels: str) -> None:
    ours, theirs = _pair(**settings)
    rng = np.random.default_rng(len(labels))
    x = rng.standard_normal((13, settings["in_features"]))
    low = settings["cutoffs"][0] if labels == "clusters" else 0
    high = settings["cutoffs"][0] if labels == "shortlist" else settings["n_classes"]
    target = rng.integers(low, high, 13)
    mine = mu.variable(x, dtype="float64")
    other = torch.tensor(x, requires_grad=True)
    output, loss = ours(mine, mu.constant(target))
    expected = theirs(other, torch.tensor(target))
    np.testing.assert_allclose(output.numpy(), expected.output.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(loss.item(), expected.loss.item(), rtol=1e-12)
    cotangent = rng.standard_normal(13)
    ((output * mu.constant(cotangent)).sum() + loss).backward()
    ((expected.output * torch.tensor(cotangent)).sum() + expected.loss).backward()
    np.testing.assert_allclose(mine.grad().numpy(), other.grad.numpy(), rtol=1e-10,
                               atol=1e-12)
    for parameter, expected_parameter in zip(ours.parameters(), theirs.parameters(),
                                             strict=True):
        if expected_parameter.grad is None:  # a cluster no target reached
            np.testing.assert_array_equal(parameter.grad().numpy(), 0.0)
            expected_parameter.grad = torch.zeros_like(expected_parameter)
    assert_gradients_equal(ours, theirs)


def test_one_row_with_a_0d_target_matches_torch() -> None:
    ours, theirs = _pair(**SETTINGS[0])
    x = np.random.default_rng(3).standard_normal(8)
    for target in (2, 17):
        mine = mu.variable(x, dtype="float64")
        other = torch.tensor(x, requires_grad=True)
        output, loss = ours(mine, mu.constant(np.array(target)))
        expected = theirs(other, torch.tensor(target))
        assert output.shape == () and loss.shape == ()
        np.testing.assert_allclose(output.item(), expected.output.item(), rtol=1e-12)
        loss.backward()
        expected.loss.backward()
        np.testing.assert_allclose(mine.grad().numpy(), other.grad.numpy(), rtol=1e-10)
    # the output is a named tuple, as PyTorch's
    assert ours(mu.constant(x), np.array(3))._fields == ("output", "loss")


@pytest.mark.parametrize("settings", SETTINGS)
def test_log_prob_matches_torch_and_sums_to_one(settings: dict[str, Any]) -> None:
    ours, theirs = _pair(**settings)
    x = np.random.default_rng(4).standard_normal((7, settings["in_features"]))
    mine = mu.variable(x, dtype="float64")
    other = torch.tensor(x, requires_grad=True)
    found, expected = ours.log_prob(mine), theirs.log_prob(other)
    assert found.shape == (7, settings["n_classes"])
    np.testing.assert_allclose(found.numpy(), expected.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(np.exp(found.numpy()).sum(axis=1), 1.0, rtol=1e-12)
    cotangent = np.random.default_rng(5).standard_normal(found.shape)
    (found * mu.constant(cotangent)).sum().backward()
    (expected * torch.tensor(cotangent)).sum().backward()
    np.testing.assert_allclose(mine.grad().numpy(), other.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert_gradients_equal(ours, theirs)


@pytest.mark.parametrize("cluster_bias", [-50.0, 50.0, None])
def test_predict_matches_torch_on_each_path(cluster_bias: float | None) -> None:
    """A strongly negative bias on the cluster entries of the head keeps every row in the
    shortlist, a strongly positive one sends every row to the full distribution, and mixed
    biases give both kinds of rows."""
    ours, theirs = _pair(**SETTINGS[0])
    bias = theirs.head.bias.detach().clone()
    shortlist = theirs.shortlist_size
    bias[shortlist:] = cluster_bias if cluster_bias is not None else torch.tensor(
        [3.0, -3.0, 0.0])
    with torch.no_grad():
        theirs.head.bias.copy_(bias)
    copy_parameters(ours, theirs)
    x = np.random.default_rng(6).standard_normal((40, 8)) * 3
    found = ours.predict(mu.constant(x))
    expected = theirs.predict(torch.tensor(x)).numpy()
    assert found.dtype == np.int64 and isinstance(found, mu.Constant)
    np.testing.assert_array_equal(found.numpy(), expected)
    outside = (theirs.head(torch.tensor(x)).argmax(1) >= shortlist).numpy()
    if cluster_bias is None:
        assert 0 < outside.sum() < len(outside)
    else:
        assert outside.all() == (cluster_bias > 0) and outside.any() == (cluster_bias > 0)


def test_arguments_are_checked_as_pytorch() -> None:
    for cutoffs in ([], [0, 3], [3, 2], [3, 3], [5, 10], [2.5]):
        with pytest.raises(ValueError, match=r"AdaptiveLogSoftmaxWithLoss: cutoffs should be"):
            nn.AdaptiveLogSoftmaxWithLoss(4, 10, cutoffs)
    with pytest.raises(ValueError, match="AdaptiveLogSoftmaxWithLoss: in_features must be a "
                                         "positive int"):
        nn.AdaptiveLogSoftmaxWithLoss(0, 10, [2])
    with pytest.raises(ValueError, match="div_value must be a positive number"):
        nn.AdaptiveLogSoftmaxWithLoss(4, 10, [2], div_value=0)


def test_inputs_are_checked() -> None:
    layer = nn.AdaptiveLogSoftmaxWithLoss(4, 10, [2, 6])
    x = mu.randn(3, 4)
    with pytest.raises(mu.ShapeError, match="input and target must have one batch size"):
        layer(x, np.array([1, 2]))
    with pytest.raises(mu.ShapeError, match="a 1-d target expects a 2-d input"):
        layer(mu.randn(4), np.array([1]))
    with pytest.raises(mu.ShapeError, match="a 0-d target expects a 1-d input"):
        layer(x, np.array(1))
    with pytest.raises(mu.ShapeError, match="multi-target is not supported"):
        layer(x, np.zeros((3, 2), dtype=np.int64))
    with pytest.raises(IndexError, match=r"target values must lie in \[0, 9\], got values in "
                                         r"\[-1, 10\]"):
        layer(x, np.array([-1, 10, 3]))
    with pytest.raises(TypeError, match="must hold integer class indices"):
        layer(x, np.array([1.0, 2.0, 3.0]))
    with pytest.raises(mu.ShapeError, match=r"log_prob: expected an input of shape \(N, "
                                            r"in_features=4\)"):
        layer.log_prob(mu.randn(3, 5))
    with pytest.raises(mu.ShapeError, match="predict: expected an input"):
        layer.predict(mu.randn(4))


def test_runs_on_a_device_like_on_the_cpu(device: str) -> None:
    x = np.random.default_rng(8).standard_normal((9, 8))
    target = np.random.default_rng(9).integers(0, 20, 9)
    results = {}
    for where in ("cpu", device):
        mu.seed(2)
        layer = nn.AdaptiveLogSoftmaxWithLoss(8, 20, [4, 10, 15], head_bias=True).double()
        layer.to(where)
        value = mu.variable(x, dtype="float64", device=where)
        output, loss = layer(value, mu.constant(target, device=where))
        assert output.device == loss.device == where
        loss.backward()
        results[where] = [output.numpy(), loss.numpy(), value.grad().numpy(),
                          layer.log_prob(value).numpy(), layer.predict(value).numpy(),
                          *(parameter.grad().numpy() for parameter in layer.parameters())]
    for found, expected in zip(results[device], results["cpu"], strict=True):
        np.testing.assert_allclose(found, expected, rtol=1e-10, atol=1e-12)
