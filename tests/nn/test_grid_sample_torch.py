"""Spatial transformers against PyTorch in float64: ``F.grid_sample`` in every mode, padding
mode and ``align_corners`` on 4-d and 5-d inputs, with grids reaching outside [-1, 1], values
and the gradients with respect to the input and the grid; ``F.affine_grid`` and its gradient
with respect to ``theta``, alone and feeding ``grid_sample``; the errors; and a run on the
stand-in GPU device."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

import numpy as np
import pytest

import mushin as mu
import mushin.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _compare(function: str, arrays: list[np.ndarray], *args: Any, seed: int = 0,
             **kwargs: Any) -> None:
    """``F.<function>`` and PyTorch's on the same float64 tensors: equal values, and equal
    gradients of every tensor under the same random output gradient."""
    mine = [mu.variable(array, dtype="float64") for array in arrays]
    their = [torch.tensor(array, requires_grad=True) for array in arrays]
    result = getattr(F, function)(*mine, *args, **kwargs)
    expected = getattr(TF, function)(*their, *args, **kwargs)
    assert result.shape == tuple(expected.shape)
    np.testing.assert_allclose(result.numpy(), expected.detach().numpy(), rtol=1e-10,
                               atol=1e-12)
    cotangent = np.random.default_rng(seed).standard_normal(tuple(expected.shape))
    (result * mu.constant(cotangent)).sum().backward()
    (expected * torch.tensor(cotangent)).sum().backward()
    for variable, tensor in zip(mine, their, strict=True):
        np.testing.assert_allclose(variable.grad().numpy(), tensor.grad.numpy(), rtol=1e-10,
                                   atol=1e-11)


def _grid(rng: np.random.Generator, shape: tuple[int, ...], reach: float) -> np.ndarray:
    """A random grid over ``[-reach, reach]`` (beyond [-1, 1] where ``reach > 1``)."""
    return rng.uniform(-reach, reach, shape)


# --- grid_sample --------------------------------------------------------------------------------

@pytest.mark.parametrize("align_corners", [None, False, True])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
def test_grid_sample_4d_matches_torch(mode: str, padding_mode: str,
                                      align_corners: bool | None) -> None:
    rng = np.random.default_rng(1)
    for reach in (0.9, 1.7, 3.5):  # 3.5: reflected more than once
        arrays = [rng.standard_normal((2, 3, 5, 6)), _grid(rng, (2, 4, 7, 2), reach)]
        _compare("grid_sample", arrays, mode=mode, padding_mode=padding_mode,
                 align_corners=align_corners)


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_grid_sample_5d_matches_torch(mode: str, padding_mode: str, align_corners: bool) -> None:
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal((2, 2, 3, 4, 5)), _grid(rng, (2, 3, 2, 4, 3), 1.6)]
    _compare("grid_sample", arrays, mode=mode, padding_mode=padding_mode,
             align_corners=align_corners)


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
def test_grid_sample_on_single_pixel_axes_and_pixel_centres(mode: str) -> None:
    rng = np.random.default_rng(3)
    for padding_mode in ("zeros", "border", "reflection"):
        for align_corners in (False, True):
            arrays = [rng.standard_normal((1, 2, 1, 4)), _grid(rng, (1, 3, 3, 2), 1.5)]
            _compare("grid_sample", arrays, mode=mode, padding_mode=padding_mode,
                     align_corners=align_corners)
    # the samples exactly at pixel centres, in the interior (the floors land on pixels)
    centres = np.stack(np.meshgrid(np.linspace(-0.6, 0.6, 4), np.linspace(-0.5, 0.5, 3)), -1)
    arrays = [rng.standard_normal((1, 2, 5, 6)), centres[None] + 0.0]
    _compare("grid_sample", arrays, mode=mode, align_corners=False)


def test_grid_sample_identity_grid_gives_the_input() -> None:
    rng = np.random.default_rng(4)
    image = rng.standard_normal((2, 3, 4, 5))
    theta = mu.constant(np.tile(np.eye(2, 3), (2, 1, 1)))
    for align_corners in (False, True):
        grid = F.affine_grid(theta, (2, 3, 4, 5), align_corners=align_corners)
        sampled = F.grid_sample(mu.constant(image), grid, align_corners=align_corners)
        np.testing.assert_allclose(sampled.numpy(), image, rtol=1e-12, atol=1e-12)


# --- affine_grid --------------------------------------------------------------------------------

@pytest.mark.parametrize("align_corners", [None, False, True])
@pytest.mark.parametrize("size", [(2, 3, 5, 6), (2, 1, 1, 4), (1, 2, 7, 1), (2, 1, 3, 4, 5),
                                  (1, 1, 1, 2, 3)])
def test_affine_grid_matches_torch(size: tuple[int, ...], align_corners: bool | None) -> None:
    dims = len(size) - 2
    theta = np.random.default_rng(5).standard_normal((size[0], dims, dims + 1))
    with pytest.warns(UserWarning) if align_corners and 1 in size[2:] else nullcontext():
        # PyTorch warns of a unit-size axis with align_corners=True; its grid is mushin's
        _compare("affine_grid", [theta], size, align_corners=align_corners)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_affine_grid_into_grid_sample_gradient_of_theta(mode: str) -> None:
    rng = np.random.default_rng(6)
    image, theta = rng.standard_normal((2, 2, 6, 5)), rng.standard_normal((2, 2, 3))
    mine = [mu.variable(image, dtype="float64"), mu.variable(theta, dtype="float64")]
    their = [torch.tensor(image, requires_grad=True), torch.tensor(theta, requires_grad=True)]
    result = F.grid_sample(mine[0], F.affine_grid(mine[1], (2, 2, 4, 7)), mode=mode,
                           padding_mode="reflection")
    expected = TF.grid_sample(their[0], TF.affine_grid(their[1], (2, 2, 4, 7),
                                                       align_corners=False),
                              mode=mode, padding_mode="reflection", align_corners=False)
    np.testing.assert_allclose(result.numpy(), expected.detach().numpy(), rtol=1e-10,
                               atol=1e-12)
    result.sum().backward()
    expected.sum().backward()
    for variable, tensor in zip(mine, their, strict=True):
        np.testing.assert_allclose(variable.grad().numpy(), tensor.grad.numpy(), rtol=1e-10,
                                   atol=1e-11)


# --- errors -------------------------------------------------------------------------------------

def test_errors_name_the_function() -> None:
    image, grid = mu.zeros((1, 2, 3, 4)), mu.zeros((1, 5, 6, 2))
    with pytest.raises(ValueError, match=r"grid_sample: mode must be .* got 'area'"):
        F.grid_sample(image, grid, mode="area")
    with pytest.raises(ValueError, match=r"grid_sample: padding_mode must be .* got 'wrap'"):
        F.grid_sample(image, grid, padding_mode="wrap")
    with pytest.raises(mu.ShapeError, match=r"grid_sample: expected a grid of shape "
                                            r"\(N, H_out, W_out, 2\) .* got shape \(1, 5, 6, 3\)"):
        F.grid_sample(image, mu.zeros((1, 5, 6, 3)))
    with pytest.raises(mu.ShapeError, match=r"grid_sample: expected a grid .* with N = 1"):
        F.grid_sample(image, mu.zeros((2, 5, 6, 2)))
    with pytest.raises(mu.ShapeError, match=r"grid_sample: expected an input of shape"):
        F.grid_sample(mu.zeros((1, 2, 3)), mu.zeros((1, 3, 1)))
    with pytest.raises(mu.ShapeError, match=r"grid_sample: mode 'bicubic' needs a 4-d input"):
        F.grid_sample(mu.zeros((1, 1, 2, 3, 4)), mu.zeros((1, 2, 2, 2, 3)), mode="bicubic")
    theta = mu.zeros((1, 2, 3))
    with pytest.raises(TypeError, match=r"affine_grid: expected theta to have a floating"):
        F.affine_grid(mu.constant(np.zeros((1, 2, 3), dtype=np.int64)), (1, 1, 2, 2))
    with pytest.raises(mu.ShapeError, match=r"affine_grid: expected a batch of 2-d affine "
                                            r"matrices of shape \(N, 2, 3\)"):
        F.affine_grid(mu.zeros((1, 3, 4)), (1, 1, 2, 2))
    with pytest.raises(NotImplementedError, match=r"affine_grid: only 4-d and 5-d sizes"):
        F.affine_grid(theta, (1, 1, 2))
    with pytest.raises(ValueError, match=r"affine_grid: expected a positive output size"):
        F.affine_grid(theta, (1, 1, 0, 2))
    with pytest.raises(mu.ShapeError, match=r"affine_grid: theta has 1 matrices but size asks"):
        F.affine_grid(theta, (2, 1, 2, 2))


# --- on a device --------------------------------------------------------------------------------

def test_runs_on_a_device_like_on_the_cpu(device: str) -> None:
    rng = np.random.default_rng(7)
    image, theta = rng.standard_normal((2, 3, 5, 4)), rng.standard_normal((2, 2, 3))
    cotangent = rng.standard_normal((2, 3, 3, 6))
    results: dict[str, list[np.ndarray]] = {}
    for where in ("cpu", device):
        found: list[np.ndarray] = []
        for mode in ("bilinear", "nearest", "bicubic"):
            x = mu.variable(image, dtype="float64", device=where)
            t = mu.variable(theta, dtype="float64", device=where)
            grid = F.affine_grid(t, (2, 3, 3, 6), align_corners=True) * 1.4
            output = F.grid_sample(x, grid, mode=mode, padding_mode="reflection")
            (output * mu.constant(cotangent, device=where)).sum().backward()
            assert output.device == where
            found += [output.numpy(), x.grad().numpy(), t.grad().numpy()]
        results[where] = found
    for mine, expected in zip(results[device], results["cpu"], strict=True):
        np.testing.assert_allclose(mine, expected, rtol=1e-12, atol=1e-12)
