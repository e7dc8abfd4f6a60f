"""The loss, padding and distance modules against PyTorch's: values and input gradients in
float64 for each option set, the weight buffers in ``state_dict``, reprs, errors, and a run on
the stand-in GPU device."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import mushin as mu
import mushin.nn as nn

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
LOGITS = RNG.standard_normal((6, 4))
CLASSES = np.array([0, 3, 1, 1, 2, 3])
PROBABILITIES = RNG.uniform(0.05, 0.95, (6, 4))
BINARY = (RNG.uniform(size=(6, 4)) > 0.5).astype(np.float64)
SIGNS = np.where(RNG.uniform(size=6) > 0.5, 1.0, -1.0)
WEIGHT = np.array([0.5, 1.0, 2.0, 1.5])
MULTILABEL = np.array([[3, 0, -1, 1], [0, 1, 2, 3], [1, -1, 0, 0], [2, 3, -1, 0],
                       [0, -1, 1, 2], [3, 2, 1, -1]])


def _tensors(library: Any, arrays: tuple[np.ndarray, ...], differentiable: int
             ) -> list[Any]:
    """The arrays as ``library``'s tensors, the first ``differentiable`` tracked."""
    made = []
    for index, array in enumerate(arrays):
        if library is torch:
            made.append(torch.tensor(array, requires_grad=index < differentiable
                                     and array.dtype.kind == "f"))
        elif index < differentiable and array.dtype.kind == "f":
            made.append(mu.variable(array))
        else:
            made.append(mu.constant(array))
    return made


# name, constructor arguments (weights as arrays), inputs, how many inputs are differentiated
CASES: list[tuple[str, dict[str, Any], tuple[np.ndarray, ...], int]] = [
    ("L1Loss", {}, (LOGITS, PROBABILITIES), 1),
    ("L1Loss", {"reduction": "sum"}, (LOGITS, PROBABILITIES), 1),
    ("MSELoss", {}, (LOGITS, PROBABILITIES), 2),
    ("MSELoss", {"reduction": "none"}, (LOGITS, PROBABILITIES), 1),
    ("MSELoss", {"size_average": False}, (LOGITS, PROBABILITIES), 1),
    ("SmoothL1Loss", {"beta": 0.5}, (LOGITS, PROBABILITIES), 1),
    ("HuberLoss", {"delta": 0.7}, (LOGITS, PROBABILITIES), 1),
    ("SoftMarginLoss", {}, (LOGITS[:, 0], SIGNS), 1),
    ("KLDivLoss", {"reduction": "batchmean"}, (np.log(PROBABILITIES), PROBABILITIES), 1),
    ("KLDivLoss", {"log_target": True, "reduction": "sum"},
     (np.log(PROBABILITIES), np.log(PROBABILITIES[::-1].copy())), 1),
    ("PoissonNLLLoss", {}, (LOGITS, PROBABILITIES * 3), 1),
    ("PoissonNLLLoss", {"log_input": False, "full": True}, (PROBABILITIES, BINARY * 3), 1),
    ("GaussianNLLLoss", {}, (LOGITS, PROBABILITIES, PROBABILITIES[::-1].copy()), 1),
    ("NLLLoss", {}, (LOGITS, CLASSES), 1),
    ("NLLLoss", {"weight": WEIGHT, "ignore_index": 1}, (LOGITS, CLASSES), 1),
    ("CrossEntropyLoss", {}, (LOGITS, CLASSES), 1),
    ("CrossEntropyLoss", {"weight": WEIGHT, "label_smoothing": 0.1}, (LOGITS, CLASSES), 1),
    ("CrossEntropyLoss", {"ignore_index": 3, "reduction": "sum"}, (LOGITS, CLASSES), 1),
    ("CrossEntropyLoss", {}, (LOGITS, PROBABILITIES / PROBABILITIES.sum(1, keepdims=True)), 1),
    ("BCELoss", {}, (PROBABILITIES, BINARY), 1),
    ("BCELoss", {"weight": WEIGHT}, (PROBABILITIES, BINARY), 1),
    ("BCEWithLogitsLoss", {"pos_weight": WEIGHT}, (LOGITS, BINARY), 1),
    ("BCEWithLogitsLoss", {"weight": WEIGHT, "reduction": "none"}, (LOGITS, BINARY), 1),
    ("MultiLabelSoftMarginLoss", {"weight": WEIGHT}, (LOGITS, BINARY), 1),
    ("MultiMarginLoss", {"p": 2, "margin": 0.5, "weight": WEIGHT}, (LOGITS, CLASSES), 1),
    ("MultiLabelMarginLoss", {}, (LOGITS, MULTILABEL), 1),
    ("HingeEmbeddingLoss", {"margin": 0.5}, (LOGITS[:, 0], SIGNS), 1),
    ("MarginRankingLoss", {"margin": 0.2}, (LOGITS[:, 0], LOGITS[:, 1], SIGNS), 2),
    ("CosineEmbeddingLoss", {"margin": 0.1}, (LOGITS, PROBABILITIES, SIGNS), 2),
    ("TripletMarginLoss", {"margin": 0.5, "p": 1, "swap": True},
     (LOGITS, PROBABILITIES, PROBABILITIES[::-1].copy()), 3),
    ("TripletMarginWithDistanceLoss", {"margin": 0.5},
     (LOGITS, PROBABILITIES, PROBABILITIES[::-1].copy()), 3),
    ("CosineSimilarity", {"dim": 0}, (LOGITS, PROBABILITIES), 2),
    ("PairwiseDistance", {"p": 3.0, "keepdim": True}, (LOGITS, PROBABILITIES), 2),
    ("ZeroPad1d", {"padding": (1, 2)}, (LOGITS[None],), 1),
    ("ConstantPad2d", {"padding": (1, 0, 2, 1), "value": 3.5}, (LOGITS[None],), 1),
    ("ConstantPad3d", {"padding": 1, "value": -1.0}, (LOGITS[None, None],), 1),
    ("ZeroPad2d", {"padding": 2}, (LOGITS[None, None],), 1),
    ("ZeroPad3d", {"padding": (1, 0, 0, 1, 1, 1)}, (LOGITS[None, None, None],), 1),
    ("ReflectionPad1d", {"padding": (2, 3)}, (LOGITS[None],), 1),
    ("ReflectionPad2d", {"padding": (1, 2, 3, 0)}, (LOGITS[None, None],), 1),
    ("ReflectionPad3d", {"padding": 1}, (np.stack([LOGITS] * 3)[None],), 1),
    ("ReplicationPad1d", {"padding": 3}, (LOGITS[None],), 1),
    ("ReplicationPad2d", {"padding": (0, 2, 1, 1)}, (LOGITS[None, None],), 1),
    ("ReplicationPad3d", {"padding": (1, 1, 0, 2, 1, 0)}, (np.stack([LOGITS] * 3)[None],), 1),
    ("CircularPad1d", {"padding": (2, 1)}, (LOGITS[None],), 1),
    ("CircularPad2d", {"padding": 1}, (LOGITS[None, None],), 1),
    ("CircularPad3d", {"padding": (1, 0, 1, 0, 1, 2)}, (np.stack([LOGITS] * 3)[None],), 1),
]


def _build(library: Any, name: str, options: dict[str, Any]) -> Any:
    arguments = {key: (torch.tensor(value) if library is torch else mu.constant(value))
                 if isinstance(value, np.ndarray) else value for key, value in options.items()}
    return getattr(library.nn, name)(**arguments)


@pytest.mark.parametrize(("name", "options", "inputs", "differentiable"), CASES,
                         ids=[f"{case[0]}-{index}" for index, case in enumerate(CASES)])
def test_values_and_gradients_match_torch(name: str, options: dict[str, Any],
                                          inputs: tuple[np.ndarray, ...],
                                          differentiable: int) -> None:
    theirs = _tensors(torch, inputs, differentiable)
    ours = _tensors(mu, inputs, differentiable)
    expected = _build(torch, name, options)(*theirs)
    found = _build(mu, name, options)(*ours)
    np.testing.assert_allclose(found.numpy(), expected.detach().numpy(), rtol=1e-10,
                               atol=1e-12)
    upstream = RNG.standard_normal(tuple(expected.shape))
    expected.backward(torch.tensor(upstream))
    (found * mu.constant(upstream)).sum().backward()
    for mine, reference in zip(ours, theirs, strict=True):
        if reference.requires_grad:
            np.testing.assert_allclose(mine.grad().numpy(), reference.grad.numpy(),
                                       rtol=1e-9, atol=1e-12)


def test_weights_are_buffers_in_the_state_dict() -> None:
    for name, options in [("CrossEntropyLoss", {"weight": WEIGHT}), ("NLLLoss", {}),
                          ("BCEWithLogitsLoss", {"weight": WEIGHT, "pos_weight": WEIGHT}),
                          ("MultiMarginLoss", {"weight": WEIGHT}), ("MSELoss", {})]:
        theirs = _build(torch, name, options).state_dict()
        ours = _build(mu, name, options).state_dict()
        assert list(ours) == list(theirs), name
        for key, value in theirs.items():
            np.testing.assert_array_equal(np.asarray(ours[key].numpy()), value.numpy())
        assert list(_build(mu, name, options).parameters()) == []


def test_reprs_match_torch() -> None:
    for name, options in [("MSELoss", {"reduction": "sum"}), ("CrossEntropyLoss", {}),
                          ("ZeroPad2d", {"padding": (1, 2, 0, 1)}),
                          ("ConstantPad1d", {"padding": 2, "value": 1.5}),
                          ("ReflectionPad2d", {"padding": 1}),
                          ("CosineSimilarity", {}), ("PairwiseDistance", {})]:
        assert repr(_build(mu, name, options)) == repr(_build(torch, name, options)), name


@pytest.mark.parametrize(("make", "message", "error"), [
    (lambda: nn.MSELoss(reduction="avg"), "MSELoss: reduction must be", ValueError),
    (lambda: nn.CrossEntropyLoss(label_smoothing=1.5), "label_smoothing must be in", ValueError),
    (lambda: nn.NLLLoss(ignore_index=1.5), "NLLLoss: ignore_index must be an int", TypeError),
    (lambda: nn.BCELoss(weight=[1.0, 2.0]), "BCELoss: weight must be a tensor", TypeError),
    (lambda: nn.MultiMarginLoss(p=3), "only p == 1 and p == 2", ValueError),
    (lambda: nn.ZeroPad2d((1, 2)), r"ZeroPad2d: padding must be an int or a tuple of 4 ints",
     TypeError),
    (lambda: nn.ConstantPad1d(1, "a"), "ConstantPad1d: value must be a number", TypeError),
    (lambda: nn.TripletMarginWithDistanceLoss(margin=0), "margin must be greater than 0",
     ValueError),
])
def test_bad_options_are_named(make: Callable[[], Any], message: str,
                               error: type[Exception]) -> None:
    with pytest.raises(error, match=message):
        make()


def test_a_padding_layer_checks_the_rank() -> None:
    with pytest.raises(mu.ShapeError, match=r"ReflectionPad2d: expected a 3-d \(unbatched\) or "
                                            r"4-d \(batched\) input, got shape \(6, 4\)"):
        nn.ReflectionPad2d(1)(mu.constant(LOGITS))


def test_losses_run_on_a_device_like_on_the_cpu(device: str) -> None:
    results = {}
    for where in ("cpu", device):
        logits = mu.variable(LOGITS, device=where)
        loss = nn.CrossEntropyLoss(weight=mu.constant(WEIGHT), label_smoothing=0.2).to(where)(
            logits, mu.constant(CLASSES, device=where))
        padded = nn.ReflectionPad1d(2)(logits[None])
        (loss + (padded * padded).sum()).backward()
        assert loss.device == where
        results[where] = (loss.numpy(), logits.grad().numpy())
    for found, expected in zip(results[device], results["cpu"], strict=True):
        np.testing.assert_allclose(found, expected, rtol=1e-10)
