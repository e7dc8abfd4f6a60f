"""Resampling against PyTorch in float64: ``F.interpolate`` in every mode it has here (sizes,
scale factors per axis, ``align_corners``, ``recompute_scale_factor``) and its older names,
``F.pixel_shuffle`` / ``F.pixel_unshuffle``, values and input gradients; second derivatives;
the layers ``Upsample``, ``UpsamplingNearest2d``, ``UpsamplingBilinear2d``, ``PixelShuffle``,
``PixelUnshuffle``; the errors; and a run on the stand-in GPU device.

PyTorch's CPU backward of ``nearest`` and ``bicubic`` treats an axis whose size a scale factor
keeps (5 by 1.1 gives 5) as copied, while its forward samples it at the scale: those cases
are left out (mushin's gradient is its forward's)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import mushin as mu
import mushin.nn.functional as F
from mushin import nn

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _compare(name: str, shape: tuple[int, ...], *args: Any, seed: int = 0,
             **kwargs: Any) -> None:
    """``F.<name>`` and ``torch.nn.functional.<name>`` on the same float64 input: equal
    values, and equal input gradients under the same random output gradient."""
    rng = np.random.default_rng(seed)
    array = rng.standard_normal(shape)
    mine, their = mu.variable(array, dtype="float64"), torch.tensor(array, requires_grad=True)
    result = getattr(F, name)(mine, *args, **kwargs)
    expected = getattr(TF, name)(their, *args, **kwargs)
    assert result.shape == tuple(expected.shape)
    np.testing.assert_allclose(result.numpy(), expected.detach().numpy(), rtol=1e-10,
                               atol=1e-12)
    cotangent = rng.standard_normal(tuple(expected.shape))
    (result * mu.constant(cotangent)).sum().backward()
    (expected * torch.tensor(cotangent)).sum().backward()
    np.testing.assert_allclose(mine.grad().numpy(), their.grad.numpy(), rtol=1e-10,
                               atol=1e-11)


# --- interpolate --------------------------------------------------------------------------------

SHAPES = {"linear": (2, 3, 7), "bilinear": (2, 2, 5, 6), "bicubic": (2, 2, 5, 6),
          "trilinear": (1, 2, 3, 4, 5)}
SCALES = [2, 3, 0.5, 1.5, 2.5, 0.7, 1 / 3, 4.2]
SIZES = [1, 2, 5, 8, 13]


@pytest.mark.parametrize("shape", [(2, 3, 7), (2, 2, 5, 6), (1, 2, 3, 4, 5)],
                         ids=["1d", "2d", "3d"])
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "area"])
def test_interpolate_without_corners_matches_torch(mode: str, shape: tuple[int, ...]) -> None:
    for scale in SCALES:
        for recompute in (None, True):
            _compare("interpolate", shape, scale_factor=scale, mode=mode,
                     recompute_scale_factor=recompute)
    for size in SIZES:
        _compare("interpolate", shape, size=size, mode=mode)
    dims = len(shape) - 2
    _compare("interpolate", shape, size=(3, 7, 2)[:dims], mode=mode)
    _compare("interpolate", shape, scale_factor=[1.7, 0.6, 2.0][:dims], mode=mode)
    _compare("interpolate", shape, scale_factor=1, mode=mode)


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("mode", ["linear", "bilinear", "bicubic", "trilinear"])
def test_interpolating_modes_match_torch(mode: str, align_corners: bool) -> None:
    shape = SHAPES[mode]
    for scale in SCALES:
        for recompute in (None, True):
            _compare("interpolate", shape, scale_factor=scale, mode=mode,
                     align_corners=align_corners, recompute_scale_factor=recompute)
    for size in SIZES:
        _compare("interpolate", shape, size=size, mode=mode, align_corners=align_corners)
    dims = len(shape) - 2
    _compare("interpolate", shape, None, [1.7, 0.6, 2.0][:dims], mode, align_corners)
    if mode != "bicubic":  # a kept size: PyTorch copies it (and bicubic's backward too)
        _compare("interpolate", shape, scale_factor=1.1, mode=mode, align_corners=align_corners)


def test_deprecated_names_match_torch() -> None:
    _compare("upsample", (2, 2, 5, 6), scale_factor=1.5, mode="bilinear")
    _compare("upsample_nearest", (2, 2, 5, 6), size=(7, 3))
    _compare("upsample_bilinear", (2, 2, 5, 6), scale_factor=2)


def test_float32_positions_pick_pytorchs_pixels() -> None:
    """Float32 inputs: the positions are computed as PyTorch's float kernels do."""
    array = np.random.default_rng(1).standard_normal((1, 2, 7, 9)).astype(np.float32)
    for kwargs in ({"scale_factor": 1 / 3}, {"size": (13, 4), "mode": "nearest-exact"},
                   {"scale_factor": 2.3, "mode": "bilinear"},
                   {"size": (11, 5), "mode": "bicubic", "align_corners": True}):
        expected = TF.interpolate(torch.tensor(array), **kwargs).numpy()
        result = F.interpolate(mu.constant(array), **kwargs).numpy()
        assert result.dtype == np.float32
        np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-6)


# --- pixel shuffle ------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(8, 3, 2), (2, 12, 3, 4), (2, 1, 18, 2, 3)])
def test_pixel_shuffles_match_torch(shape: tuple[int, ...]) -> None:
    factor = 2 if shape[-3] % 4 == 0 else 3
    _compare("pixel_shuffle", shape, factor)
    unshuffled = (*shape[:-3], shape[-3] // factor ** 2, shape[-2] * factor,
                  shape[-1] * factor)
    _compare("pixel_unshuffle", unshuffled, factor)
    x = mu.constant(np.random.default_rng(2).standard_normal(unshuffled))
    np.testing.assert_array_equal(F.pixel_shuffle(F.pixel_unshuffle(x, factor), factor).numpy(),
                                  x.numpy())


# --- second derivatives -------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs", [
    {"scale_factor": 2.5, "mode": "bilinear"},
    {"size": (4, 9), "mode": "bicubic", "align_corners": True},
    {"scale_factor": (0.6, 1.7), "mode": "nearest"},
    {"size": (3, 4), "mode": "area"}])
def test_second_derivatives_match_torch(kwargs: dict[str, Any]) -> None:
    """A penalty on the first input gradient of ``sum(interpolate(x * x) ** 3)``,
    differentiated again."""
    array = np.random.default_rng(3).standard_normal((2, 2, 5, 6))
    mine, their = mu.variable(array, dtype="float64"), torch.tensor(array, requires_grad=True)
    (F.interpolate(mine * mine, **kwargs) ** 3).sum().backward(create_graph=True)
    penalty = (mine.grad() ** 2).sum()
    mine.reset()
    penalty.backward()
    first, = torch.autograd.grad((TF.interpolate(their * their, **kwargs) ** 3).sum(), their,
                                 create_graph=True)
    (first ** 2).sum().backward()
    np.testing.assert_allclose(mine.grad().numpy(), their.grad.numpy(), rtol=1e-9, atol=1e-9)


# --- the layers ---------------------------------------------------------------------------------

LAYERS: list[tuple[str, Any, tuple[int, ...]]] = [
    ("Upsample-nearest", lambda m: m.Upsample(scale_factor=2), (2, 3, 4, 5)),
    ("Upsample-tuple", lambda m: m.Upsample(scale_factor=(1.5, 2)), (2, 3, 4, 5)),
    ("Upsample-size", lambda m: m.Upsample(size=(3, 7), mode="bicubic", align_corners=False),
     (2, 3, 4, 5)),
    ("Upsample-linear", lambda m: m.Upsample(size=9, mode="linear", align_corners=True),
     (2, 3, 5)),
    ("Upsample-recompute", lambda m: m.Upsample(scale_factor=1.7, mode="trilinear",
                                                recompute_scale_factor=True), (1, 2, 3, 4, 2)),
    ("UpsamplingNearest2d", lambda m: m.UpsamplingNearest2d(scale_factor=3), (2, 3, 4, 5)),
    ("UpsamplingBilinear2d", lambda m: m.UpsamplingBilinear2d(size=(6, 9)), (2, 3, 4, 5)),
    ("PixelShuffle", lambda m: m.PixelShuffle(2), (2, 8, 3, 4)),
    ("PixelUnshuffle", lambda m: m.PixelUnshuffle(3), (3, 6, 9)),
]


@pytest.mark.parametrize(("name", "make", "shape"), LAYERS, ids=[case[0] for case in LAYERS])
def test_layer_matches_torch(name: str, make: Any, shape: tuple[int, ...]) -> None:
    ours, theirs = make(nn), make(torch.nn)
    assert repr(ours) == repr(theirs)
    assert not ours.state_dict() and not list(ours.parameters())
    for attribute in ("size", "scale_factor", "mode", "align_corners", "recompute_scale_factor",
                      "upscale_factor", "downscale_factor"):
        if hasattr(theirs, attribute):
            assert getattr(ours, attribute) == getattr(theirs, attribute), attribute
    array = np.random.default_rng(1).standard_normal(shape)
    mine, their = mu.variable(array, dtype="float64"), torch.tensor(array, requires_grad=True)
    result, expected = ours(mine), theirs(their)
    np.testing.assert_allclose(result.numpy(), expected.detach().numpy(), rtol=1e-10,
                               atol=1e-12)
    result.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(mine.grad().numpy(), their.grad.numpy(), rtol=1e-10,
                               atol=1e-11)


# --- errors -------------------------------------------------------------------------------------

def test_errors_name_the_problem() -> None:
    images = mu.constant(np.zeros((1, 2, 5, 5)))
    with pytest.raises(ValueError, match="interpolate: only one of size or scale_factor "
                                         "should be defined"):
        F.interpolate(images, size=3, scale_factor=2)
    with pytest.raises(ValueError, match="interpolate: either size or scale_factor should be "
                                         "defined"):
        F.interpolate(images)
    with pytest.raises(ValueError, match=r"interpolate: align_corners option can only be set "
                                         r"with the interpolating modes: .*, not 'nearest'"):
        F.interpolate(images, size=3, align_corners=True)
    with pytest.raises(ValueError, match=r"interpolate: size must be an int or 2 ints for an "
                                         r"input of shape \(1, 2, 5, 5\) \(2 spatial axes\), "
                                         r"got \(3, 3, 3\)"):
        F.interpolate(images, size=(3, 3, 3))
    with pytest.raises(TypeError, match=r"interpolate: size must be an int or 2 ints"):
        F.interpolate(images, size=3.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"interpolate: scale_factor must be a number or 2 "
                                         r"numbers"):
        F.interpolate(images, scale_factor=(2, 2, 2))
    with pytest.raises(ValueError, match="interpolate: recompute_scale_factor is not "
                                         "meaningful with an explicit size"):
        F.interpolate(images, size=3, recompute_scale_factor=True)
    with pytest.raises(ValueError, match=r"interpolate: input and output sizes should be "
                                         r"greater than 0, got an input of shape "
                                         r"\(1, 2, 5, 5\) and output sizes \(0, 0\)"):
        F.interpolate(images, scale_factor=0.1)
    with pytest.raises(NotImplementedError, match="interpolate: mode 'bilinear' needs an input "
                                                  "of 4 axes"):
        F.interpolate(mu.constant(np.zeros((1, 2, 5))), size=3, mode="bilinear")
    with pytest.raises(NotImplementedError, match="interpolate: mode 'nearest' needs an input "
                                                  "of 3, 4 or 5 axes"):
        F.interpolate(mu.constant(np.zeros((5, 5))), size=3)
    with pytest.raises(NotImplementedError, match="interpolate: mode must be one of 'nearest'"):
        F.interpolate(images, size=3, mode="lanczos")
    with pytest.raises(NotImplementedError, match="interpolate: antialias=True is not "
                                                  "supported"):
        F.interpolate(images, size=3, mode="bilinear", antialias=True)
    with pytest.raises(mu.ShapeError, match=r"pixel_shuffle: expected an input of shape "
                                            r"\(\*, C, H, W\) with at least 3 axes, got shape "
                                            r"\(4, 4\)"):
        F.pixel_shuffle(mu.constant(np.zeros((4, 4))), 2)
    with pytest.raises(mu.ShapeError, match=r"pixel_shuffle: the channels of the input of "
                                            r"shape \(5, 4, 4\) \(5\) must be divisible by "
                                            r"upscale_factor squared \(4\)"):
        F.pixel_shuffle(mu.constant(np.zeros((5, 4, 4))), 2)
    with pytest.raises(mu.ShapeError, match=r"pixel_unshuffle: the height and width of the "
                                            r"input of shape \(1, 5, 4\) must be divisible by "
                                            r"downscale_factor \(2\)"):
        F.pixel_unshuffle(mu.constant(np.zeros((1, 5, 4))), 2)
    with pytest.raises(ValueError, match="pixel_unshuffle: downscale_factor must be a positive "
                                         "int, got 0"):
        F.pixel_unshuffle(images, 0)
    with pytest.raises(ValueError, match=r"PixelShuffle: upscale_factor must be a positive int, "
                                         r"got 1\.5"):
        nn.PixelShuffle(1.5)  # type: ignore[arg-type]


# --- on a device --------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "args", "kwargs", "shape"), [
    ("interpolate", (), {"scale_factor": 2.5, "mode": "bilinear"}, (2, 3, 5, 4)),
    ("interpolate", (), {"size": (7, 3), "mode": "bicubic", "align_corners": True},
     (2, 3, 5, 4)),
    ("interpolate", (), {"scale_factor": 0.6, "mode": "nearest-exact"}, (2, 3, 7)),
    ("interpolate", (), {"size": 4, "mode": "area"}, (1, 2, 5, 7, 6)),
    ("pixel_shuffle", (2,), {}, (2, 8, 3, 4)),
    ("pixel_unshuffle", (2,), {}, (2, 2, 4, 6)),
])
def test_runs_on_a_device_like_on_the_cpu(device: str, name: str, args: tuple[Any, ...],
                                          kwargs: dict[str, Any],
                                          shape: tuple[int, ...]) -> None:
    array = np.random.default_rng(6).standard_normal(shape)
    results = {}
    for where in ("cpu", device):
        value = mu.variable(array, dtype="float64", device=where)
        output = getattr(F, name)(value, *args, **kwargs)
        weights = np.random.default_rng(7).standard_normal(output.shape)
        (output * mu.constant(weights, device=where)).sum().backward()
        assert output.device == where
        results[where] = [output.numpy(), value.grad().numpy()]
    for found, expected in zip(results[device], results["cpu"], strict=True):
        np.testing.assert_allclose(found, expected, rtol=1e-12, atol=1e-12)
