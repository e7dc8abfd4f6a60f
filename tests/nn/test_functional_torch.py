"""``mu.nn.functional`` under PyTorch's names and arguments: max_pool2d, avg_pool2d,
layer_norm, normalize, cosine_similarity, pairwise_distance and pad, against
``torch.nn.functional`` (values and gradients, float64)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import mushin as mu
import mushin.nn.functional as MF
from mushin.nn.functional.norm import normalize_axes

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _compare(ours: Callable[..., Any], theirs: Callable[..., Any],
             shapes: list[tuple[int, ...]], seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(shape) for shape in shapes]
    mine = [mu.Variable(array.copy()) for array in arrays]
    reference = [torch.tensor(array, requires_grad=True) for array in arrays]
    result = ours(*mine)
    expected = theirs(*reference)
    np.testing.assert_allclose(result.numpy(), expected.detach().numpy(), rtol=1e-10,
                               atol=1e-12)
    weights = rng.standard_normal(tuple(expected.shape))
    (result * mu.tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    for tensor, ref in zip(mine, reference, strict=True):
        np.testing.assert_allclose(tensor.grad().numpy(), ref.grad.numpy(), rtol=1e-10,
                                   atol=1e-12)


@pytest.mark.parametrize("kwargs", [
    {"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": (2, 3), "stride": (1, 2), "padding": (1, 1)},
    {"kernel_size": 3, "stride": 2, "ceil_mode": True},
    {"kernel_size": (2, 3), "stride": 3, "padding": 1, "ceil_mode": True}])
def test_max_pool2d(kwargs: dict[str, Any]) -> None:
    _compare(lambda a: MF.max_pool2d(a, **kwargs), lambda a: TF.max_pool2d(a, **kwargs),
             [(2, 3, 7, 6)])
    _compare(lambda a: MF.max_pool2d(a, **kwargs), lambda a: TF.max_pool2d(a, **kwargs),
             [(3, 7, 6)])


@pytest.mark.parametrize("kwargs", [
    {"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": 3, "stride": 1, "padding": 1, "count_include_pad": False},
    {"kernel_size": (2, 3), "padding": (1, 1), "divisor_override": 4},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
    {"kernel_size": 4, "stride": 3, "padding": 2, "ceil_mode": True, "count_include_pad": False},
    {"kernel_size": 2, "stride": 3, "ceil_mode": True, "divisor_override": 3}])
def test_avg_pool2d(kwargs: dict[str, Any]) -> None:
    _compare(lambda a: MF.avg_pool2d(a, **kwargs), lambda a: TF.avg_pool2d(a, **kwargs),
             [(2, 3, 7, 6)])


def test_layer_norm() -> None:
    _compare(lambda a, w, b: MF.layer_norm(a, (3, 4), w, b, 1e-3),
             lambda a, w, b: TF.layer_norm(a, (3, 4), w, b, 1e-3), [(2, 3, 4), (3, 4), (3, 4)])
    _compare(lambda a: MF.layer_norm(a, 4), lambda a: TF.layer_norm(a, (4,)), [(5, 4)])
    with pytest.raises(mu.ShapeError, match="layer_norm"):
        MF.layer_norm(mu.zeros((2, 3)), (2,))


@pytest.mark.parametrize(("p", "dim"), [(2.0, 1), (1.0, -1), (3.0, 0)])
def test_normalize(p: float, dim: int) -> None:
    _compare(lambda a: MF.normalize(a, p, dim), lambda a: TF.normalize(a, p, dim), [(3, 4, 2)])


def test_crate_normalisation_kept_under_its_new_name() -> None:
    x = np.random.default_rng(1).standard_normal((3, 5))
    result = normalize_axes(mu.tensor(x), (1,)).numpy()
    expected = (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(result, expected, rtol=1e-12)


def test_cosine_similarity_and_pairwise_distance() -> None:
    _compare(lambda a, b: MF.cosine_similarity(a, b), lambda a, b: TF.cosine_similarity(a, b),
             [(4, 5), (4, 5)])
    _compare(lambda a, b: MF.cosine_similarity(a, b, dim=-1),
             lambda a, b: TF.cosine_similarity(a, b, dim=-1), [(2, 3, 5), (3, 5)])
    for p, keepdim in [(2.0, False), (1.0, True), (3.0, False)]:
        _compare(lambda a, b, p=p, k=keepdim: MF.pairwise_distance(a, b, p, keepdim=k),
                 lambda a, b, p=p, k=keepdim: TF.pairwise_distance(a, b, p, keepdim=k),
                 [(4, 5), (4, 5)])


@pytest.mark.parametrize(("pad", "mode"), [
    ((1, 2), "constant"), ((1, 2, 0, 3), "constant"), ((2, 1, 1, 3), "reflect"),
    ((3, -1, 1, 1), "replicate"), ((2, 5, 0, 0), "replicate"), ((3, -1, 1, 2), "circular"),
    ((-2, 3, 0, -1), "reflect"), ((1, 1, 1, 1, 1, 1), "circular")])
def test_pad(pad: tuple[int, ...], mode: str) -> None:
    _compare(lambda a: MF.pad(a, pad, mode), lambda a: TF.pad(a, pad, mode), [(2, 3, 4, 5)])


def test_pad_value_and_refusals() -> None:
    _compare(lambda a: MF.pad(a, (1, 1), value=-2.5), lambda a: TF.pad(a, (1, 1), value=-2.5),
             [(2, 3)])
    with pytest.raises(ValueError, match="mode must be"):
        MF.pad(mu.zeros((2, 3)), (1, 1), "symmetric")
    with pytest.raises(ValueError, match="reflect"):
        MF.pad(mu.zeros((2, 3)), (3, 0), "reflect")
