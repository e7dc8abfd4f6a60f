"""mu.nn holds every layer directly, also under PyTorch's class names (the same objects), and
each such layer's name is one torch.nn has."""

from __future__ import annotations

import pytest

import mushin as mu
from mushin.nn import layers

ALIASES = {
    "Conv2d": "Conv2D", "BatchNorm1d": "BatchNorm1D", "BatchNorm2d": "BatchNorm2D",
    "MaxPool2d": "MaxPool2D", "AvgPool2d": "AvgPool2D", "MultiheadAttention": "MultiHeadAttention",
}


@pytest.mark.parametrize("name", layers.__all__)
def test_every_layer_is_in_mu_nn(name: str) -> None:
    assert getattr(mu.nn, name) is getattr(layers, name)
    assert name in mu.nn.__all__


@pytest.mark.parametrize(("torch_name", "crate_name"), ALIASES.items())
def test_pytorch_cased_aliases_are_the_same_classes(torch_name: str, crate_name: str) -> None:
    assert getattr(mu.nn, torch_name) is getattr(layers, crate_name)
    assert torch_name in mu.nn.__all__


def test_every_layer_has_its_pytorch_name_in_mu_nn() -> None:
    torch = pytest.importorskip("torch")
    for name in layers.__all__:
        torch_name = next((alias for alias, crate in ALIASES.items() if crate == name), name)
        assert hasattr(torch.nn, torch_name), torch_name
        assert getattr(mu.nn, torch_name) is getattr(layers, name)


def test_pytorch_style_construction() -> None:
    model = mu.nn.Sequential(mu.nn.Conv2d(1, 2, 3, padding=1), mu.nn.BatchNorm2d(2),
                             mu.nn.ReLU(), mu.nn.MaxPool2d(2), mu.nn.Flatten(),
                             mu.nn.Linear(8, 3))
    assert model(mu.randn((2, 1, 4, 4))).shape == (2, 3)
