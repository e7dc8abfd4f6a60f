"""``F.ctc_loss`` and ``nn.CTCLoss`` against PyTorch's: losses and gradients in float64 for
several shapes, repeated labels, another blank, each reduction, ``zero_infinity``, padded and
concatenated targets, one unbatched sample, a device, and the errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import mushin as mu
from mushin import nn

F: Any = mu.nn.functional


def _case(frames: int, batch: int, classes: int, longest: int, blank: int = 0, seed: int = 0
          ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], list[int], list[int]]:
    """Log-probabilities ``(T, N, C)``, padded targets without the blank (repeats kept), and
    lengths whose alignments are possible."""
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((frames, batch, classes))
    log_probs = logits - np.log(np.exp(logits).sum(axis=2, keepdims=True))
    labels = [c for c in range(classes) if c != blank]
    targets = rng.choice(labels, size=(batch, longest))
    if longest > 1:
        targets[:, 1] = targets[:, 0]  # a repeated label in every sample
    target_lengths = [int(n) for n in rng.integers(0, longest + 1, batch)]
    input_lengths = [int(n) for n in rng.integers(2 * longest + 1, frames + 1, batch)]
    return log_probs, targets, input_lengths, target_lengths


def _compare(log_probs: np.ndarray[Any, Any], targets: Any, input_lengths: Any,
             target_lengths: Any, **options: Any) -> None:
    expected_input = torch.tensor(log_probs, requires_grad=True)
    torch_args = [torch.as_tensor(np.asarray(a)) for a in (targets, input_lengths,
                                                           target_lengths)]
    expected = torch.nn.functional.ctc_loss(expected_input, *torch_args, **options)
    cotangent = np.random.default_rng(3).standard_normal(tuple(expected.shape))
    (expected * torch.tensor(cotangent)).sum().backward()
    x = mu.Variable(log_probs.copy())
    loss = F.ctc_loss(x, mu.Constant(np.asarray(targets)), input_lengths, target_lengths,
                      **options)
    (loss * mu.Constant(cotangent)).sum().backward()
    assert loss.shape == tuple(expected.shape)
    np.testing.assert_allclose(loss.numpy(), expected.detach().numpy(), rtol=1e-10)
    assert expected_input.grad is not None
    np.testing.assert_allclose(x.grad().numpy(), expected_input.grad.numpy(), rtol=1e-10,
                               atol=1e-12)


@pytest.mark.parametrize("shape", [(1, 1, 2, 0), (5, 2, 4, 2), (12, 3, 6, 4), (30, 4, 9, 8)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_values_and_gradients_match_pytorch(shape: tuple[int, int, int, int],
                                            reduction: str) -> None:
    log_probs, targets, input_lengths, target_lengths = _case(*shape)
    _compare(log_probs, targets, input_lengths, target_lengths, reduction=reduction)


@pytest.mark.parametrize("blank", [2, 5])
def test_a_blank_other_than_0(blank: int) -> None:
    log_probs, targets, input_lengths, target_lengths = _case(14, 3, 6, 4, blank=blank, seed=1)
    _compare(log_probs, targets, input_lengths, target_lengths, blank=blank, reduction="none")


def test_concatenated_targets_equal_padded_ones() -> None:
    log_probs, targets, input_lengths, target_lengths = _case(12, 3, 5, 4, seed=2)
    concatenated = np.concatenate([row[:n] for row, n in zip(targets, target_lengths,
                                                             strict=True)])
    _compare(log_probs, concatenated, input_lengths, target_lengths, reduction="mean")
    padded = F.ctc_loss(mu.Constant(log_probs), targets, input_lengths, target_lengths)
    joined = F.ctc_loss(mu.Constant(log_probs), concatenated, input_lengths, target_lengths)
    np.testing.assert_allclose(joined.numpy(), padded.numpy(), rtol=1e-14)


def test_lengths_as_tensors_and_one_unbatched_sample() -> None:
    log_probs, targets, input_lengths, target_lengths = _case(10, 1, 5, 3, seed=4)
    # One sample: its targets are its labels (PyTorch reads them as concatenated).
    _compare(log_probs[:, 0], targets[0, :target_lengths[0]], input_lengths[0],
             target_lengths[0], reduction="none")
    lengths = mu.Constant(np.array(input_lengths)), mu.Constant(np.array(target_lengths))
    loss = F.ctc_loss(mu.Constant(log_probs), mu.Constant(targets), *lengths, reduction="sum")
    expected = torch.nn.functional.ctc_loss(torch.tensor(log_probs), torch.tensor(targets),
                                            torch.tensor(input_lengths),
                                            torch.tensor(target_lengths), reduction="sum")
    np.testing.assert_allclose(loss.numpy(), expected.numpy(), rtol=1e-10)


@pytest.mark.parametrize("zero_infinity", [False, True])
def test_an_impossible_alignment(zero_infinity: bool) -> None:
    log_probs, _, _, _ = _case(6, 3, 4, 2, seed=5)
    targets = np.array([[1, 1, 2], [3, 3, 3], [2, 1, 0]])
    input_lengths, target_lengths = [6, 4, 0], [3, 3, 1]  # 3, 3, 3 needs 5 frames; 0 frames
    options = {"reduction": "none", "zero_infinity": zero_infinity}
    if zero_infinity:
        _compare(log_probs, targets, input_lengths, target_lengths, **options)
        return
    x = mu.Variable(log_probs.copy())
    loss = F.ctc_loss(x, targets, input_lengths, target_lengths, **options)
    expected_input = torch.tensor(log_probs, requires_grad=True)
    expected = torch.nn.functional.ctc_loss(expected_input, torch.tensor(targets),
                                            input_lengths, target_lengths, **options)
    expected.sum().backward()
    loss.sum().backward()
    np.testing.assert_array_equal(loss.numpy()[1:], [np.inf, np.inf])
    np.testing.assert_allclose(loss.numpy(), expected.detach().numpy(), rtol=1e-10)
    assert expected_input.grad is not None
    np.testing.assert_allclose(x.grad().numpy(), expected_input.grad.numpy(), rtol=1e-10,
                               equal_nan=True)


def test_the_layer_is_the_function() -> None:
    log_probs, targets, input_lengths, target_lengths = _case(9, 2, 5, 3, blank=4, seed=6)
    layer = nn.CTCLoss(blank=4, reduction="sum", zero_infinity=True)
    assert repr(layer) == "CTCLoss()"
    assert (layer.blank, layer.reduction, layer.zero_infinity) == (4, "sum", True)
    assert layer.state_dict() == {}
    expected = torch.nn.CTCLoss(blank=4, reduction="sum", zero_infinity=True)(
        torch.tensor(log_probs), torch.tensor(targets), input_lengths, target_lengths)
    got = layer(mu.Constant(log_probs), targets, input_lengths, target_lengths)
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-10)
    default = nn.CTCLoss()
    assert (default.blank, default.reduction, default.zero_infinity) == (0, "mean", False)


def test_runs_on_a_device_like_on_the_cpu(device: str) -> None:
    log_probs, targets, input_lengths, target_lengths = _case(12, 3, 6, 4, seed=7)
    results = {}
    for where in ("cpu", device):
        x = mu.variable(log_probs, dtype="float64", device=where)
        loss = F.ctc_loss(x, mu.constant(targets, device=where), input_lengths,
                          target_lengths, reduction="mean")
        loss.backward()
        assert loss.device == where
        results[where] = [loss.numpy(), x.grad().numpy()]
    for found, expected in zip(results[device], results["cpu"], strict=True):
        np.testing.assert_allclose(found, expected, rtol=1e-10, atol=1e-12)


def test_errors_name_the_function_what_was_expected_and_given() -> None:
    log_probs, targets, input_lengths, target_lengths = _case(5, 2, 4, 2, seed=8)
    x = mu.Constant(log_probs)
    with pytest.raises(TypeError, match="ctc_loss: log_probs must be a tensor"):
        F.ctc_loss(log_probs, targets, input_lengths, target_lengths)
    with pytest.raises(mu.ShapeError, match=r"ctc_loss: log_probs must be \(T, N, C\)"):
        F.ctc_loss(mu.Constant(log_probs[0, 0]), targets, input_lengths, target_lengths)
    with pytest.raises(ValueError, match=r"ctc_loss: blank must be a class index in \[0, 4\)"):
        F.ctc_loss(x, targets, input_lengths, target_lengths, blank=4)
    with pytest.raises(ValueError, match="ctc_loss: reduction must be"):
        F.ctc_loss(x, targets, input_lengths, target_lengths, reduction="max")
    with pytest.raises(ValueError, match=r"input_lengths must be at least 0 and at most T = 5"):
        F.ctc_loss(x, targets, [6, 5], target_lengths)
    with pytest.raises(mu.ShapeError, match=r"input_lengths must have one value per sample"):
        F.ctc_loss(x, targets, [5], target_lengths)
    with pytest.raises(ValueError, match=r"target_lengths must be at most S = 2"):
        F.ctc_loss(x, targets, input_lengths, [3, 1])
    with pytest.raises(mu.ShapeError, match=r"must hold sum\(target_lengths\) = 3 labels"):
        F.ctc_loss(x, [1, 2, 3, 1], input_lengths, [2, 1])
    with pytest.raises(IndexError, match="ctc_loss: target label 9 is out of range for 4"):
        F.ctc_loss(x, [[1, 9], [2, 2]], input_lengths, [2, 2])
    with pytest.raises(TypeError, match="ctc_loss: targets must be integer class indices"):
        F.ctc_loss(x, targets.astype(float), input_lengths, target_lengths)
    with pytest.raises(ValueError, match="CTCLoss: blank must be a non-negative class index"):
        nn.CTCLoss(blank=-1)
