"""The small layers against PyTorch in float64: every activation layer of ``torch.nn`` that
``mu.nn.functional`` covers (values, gradients, parameters and reprs, ``inplace=``
accepted), ``PReLU``, ``Softmax2d``, ``GLU``, ``Identity``, ``Bilinear`` (and
``F.bilinear``), ``Unflatten``; the dropout family (``F.dropout1d/2d/3d``,
``F.alpha_dropout``, ``F.feature_alpha_dropout`` and their layers: masks checked against
the definitions, which PyTorch's outputs satisfy too, since their random draws differ); the
errors; and a run on the stand-in GPU device."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from layer_oracle import assert_gradients_equal, assert_same_state, compare, copy_parameters, torch

import mushin as mu
import mushin.nn.functional as F
from mushin import nn

TF = torch.nn.functional

# --- activations -------------------------------------------------------------------------------

# (how to build the layer from a module of layers, the input shape)
ACTIVATIONS: list[tuple[str, Callable[[Any], Any], tuple[int, ...]]] = [
    ("ReLU", lambda m: m.ReLU(inplace=True), (3, 4)),
    ("ReLU6", lambda m: m.ReLU6(), (3, 4)),
    ("RReLU", lambda m: m.RReLU(0.1, 0.3).eval(), (3, 4)),
    ("Hardtanh", lambda m: m.Hardtanh(-0.5, 2.0), (3, 4)),
    ("Hardtanh-old-names", lambda m: m.Hardtanh(min_value=-2.0, max_value=0.5), (3, 4)),
    ("Sigmoid", lambda m: m.Sigmoid(), (3, 4)),
    ("Hardsigmoid", lambda m: m.Hardsigmoid(inplace=True), (3, 4)),
    ("Tanh", lambda m: m.Tanh(), (3, 4)),
    ("SiLU", lambda m: m.SiLU(True), (3, 4)),
    ("Mish", lambda m: m.Mish(), (3, 4)),
    ("Hardswish", lambda m: m.Hardswish(), (3, 4)),
    ("ELU", lambda m: m.ELU(0.7, True), (3, 4)),
    ("CELU", lambda m: m.CELU(1.5), (3, 4)),
    ("SELU", lambda m: m.SELU(inplace=True), (3, 4)),
    ("GLU", lambda m: m.GLU(), (3, 4)),
    ("GLU-dim", lambda m: m.GLU(0), (4, 3)),
    ("GELU", lambda m: m.GELU(), (3, 4)),
    ("GELU-tanh", lambda m: m.GELU("tanh"), (3, 4)),
    ("Hardshrink", lambda m: m.Hardshrink(0.3), (3, 4)),
    ("LeakyReLU", lambda m: m.LeakyReLU(0.2, inplace=True), (3, 4)),
    ("LogSigmoid", lambda m: m.LogSigmoid(), (3, 4)),
    ("Softplus", lambda m: m.Softplus(2.0, 1.0), (3, 4)),
    ("Softshrink", lambda m: m.Softshrink(), (3, 4)),
    ("Softsign", lambda m: m.Softsign(), (3, 4)),
    ("Tanhshrink", lambda m: m.Tanhshrink(), (3, 4)),
    ("Threshold", lambda m: m.Threshold(0.1, -2.0), (3, 4)),
    ("Softmin", lambda m: m.Softmin(0), (3, 4)),
    ("Softmax", lambda m: m.Softmax(dim=1), (3, 4)),
    ("LogSoftmax", lambda m: m.LogSoftmax(1), (2, 3, 4)),
    ("Softmax2d", lambda m: m.Softmax2d(), (2, 3, 2, 2)),
    ("Softmax2d-unbatched", lambda m: m.Softmax2d(), (3, 2, 2)),
    ("PReLU", lambda m: m.PReLU(), (3, 4)),
    ("PReLU-channels", lambda m: m.PReLU(4, 0.1), (2, 4, 3)),
]


@pytest.mark.parametrize(("name", "make", "shape"), ACTIVATIONS,
                         ids=[case[0] for case in ACTIVATIONS])
def test_activation_layers_match_torch(name: str, make: Callable[[Any], Any],
                                       shape: tuple[int, ...]) -> None:
    ours, theirs = make(nn), make(torch.nn).double()
    assert type(ours).__name__ == type(theirs).__name__
    assert repr(ours) == repr(theirs)
    assert [(key, value.shape) for key, value in ours.state_dict().items()] == [
        (key, tuple(value.shape)) for key, value in theirs.state_dict().items()]
    ours.double()
    copy_parameters(ours, theirs)
    # Away from the kinks (0, the thresholds), where the derivatives are defined.
    x = np.random.default_rng(len(name)).uniform(0.05, 3.0, shape)
    x *= np.random.default_rng(1).choice([-1.0, 1.0], shape)
    # PyTorch's hardsigmoid gradient multiplies by 1/6 rounded to float32.
    # a.clone(): a layer with inplace=True writes into its input, which may not be a leaf
    compare(lambda a: ours(a.clone()), lambda a: theirs(a.clone()), [x],
            rtol=1e-7 if name == "Hardsigmoid" else 1e-10)
    if getattr(theirs, "inplace", False):  # the input itself holds the result, as PyTorch's
        given, expected = mu.constant(x), theirs(torch.tensor(x))
        assert ours(given) is given
        np.testing.assert_allclose(given.numpy(), expected.numpy(), rtol=1e-7, atol=1e-12)
    if list(theirs.parameters()):
        assert_gradients_equal(ours, theirs)


def test_activation_layers_keep_the_input_kind() -> None:
    x = np.random.default_rng(2).standard_normal((2, 4, 3, 2)).astype(np.float32)
    for _, make, _ in ACTIVATIONS:
        layer = make(nn)
        if isinstance(layer, nn.PReLU):
            continue  # a learnt slope: a Variable
        dims = x if not isinstance(layer, nn.Softmax2d) else x[0]
        assert isinstance(layer(mu.constant(dims)), mu.Constant)
        found = layer(mu.variable(dims).clone())  # not a leaf: inplace=True may write into it
        assert isinstance(found, mu.Variable) and found.dtype == np.float32


def test_rrelu_draws_slopes_while_training() -> None:
    layer = nn.RReLU(0.1, 0.3)
    x = -np.ones((50, 40))
    slopes = -layer(mu.constant(x)).numpy()
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and slopes.std() > 0.03
    assert repr(layer) == repr(torch.nn.RReLU(0.1, 0.3))
    np.testing.assert_allclose(layer.eval()(mu.constant(x)).numpy(), -0.2)


def test_softmax_layers_take_dim_or_axis() -> None:
    x = np.random.default_rng(3).standard_normal((3, 4))
    for make in (nn.Softmax, nn.LogSoftmax, nn.Softmin):
        np.testing.assert_allclose(make(0)(mu.constant(x)).numpy(),
                                   make(axis=0)(mu.constant(x)).numpy())
        # no dim: the last axis, as mu.nn.functional.softmax
        np.testing.assert_allclose(make()(mu.constant(x)).numpy(),
                                   make(axis=-1)(mu.constant(x)).numpy())
    assert repr(nn.Softmin(1)) == "Softmin(dim=1)"
    assert repr(nn.Softmax(axis=0)) == "Softmax(axis=0)"
    with pytest.raises(TypeError, match="Softmax: give dim= or axis=, not both"):
        nn.Softmax(0, axis=1)


def test_prelu_initialises_like_torch() -> None:
    layer = nn.PReLU(3, init=0.5, dtype="float64")
    assert [(name, value.shape) for name, value in layer.state_dict().items()] == [
        ("weight", (3,))]
    np.testing.assert_array_equal(layer.weight.numpy(), [0.5, 0.5, 0.5])
    assert layer.weight.dtype == np.float64
    assert nn.PReLU().weight.numpy().tolist() == [0.25]


def test_activation_errors_name_the_problem() -> None:
    with pytest.raises(ValueError, match=r"Hardtanh: min_val .* cannot be greater than max_val"):
        nn.Hardtanh(1.0, -1.0)
    with pytest.raises(TypeError, match="Threshold: value must be a number"):
        nn.Threshold(0.1, "x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"RReLU: lower \(0.5\) must not be greater"):
        nn.RReLU(0.5, 0.1)
    with pytest.raises(ValueError, match="GELU: approximate must be 'none' or 'tanh'"):
        nn.GELU("erf")
    with pytest.raises(ValueError, match="Softshrink: lambd must be at least 0"):
        nn.Softshrink(-0.5)
    with pytest.raises(ValueError, match="CELU: alpha must not be 0"):
        nn.CELU(0.0)
    with pytest.raises(mu.ShapeError, match=r"Softmax2d: expected an input of shape"):
        nn.Softmax2d()(mu.ones((2, 3)))
    with pytest.raises(ValueError, match="GLU: the halving axis 1 must have an even size"):
        nn.GLU()(mu.ones((2, 3)))
    with pytest.raises(ValueError, match=r"PReLU: num_parameters must be at least 1"):
        nn.PReLU(0)
    with pytest.raises(ValueError, match=r"PReLU: weight must have 1 element or one per channel"):
        nn.PReLU(3)(mu.ones((2, 4)))


# --- Identity, Bilinear, Unflatten, Linear ------------------------------------------------------

def test_identity_returns_its_input() -> None:
    layer = nn.Identity(54, unused_argument=0.1)
    x = mu.ones((2, 3))
    assert layer(x) is x
    assert repr(layer) == repr(torch.nn.Identity()) == "Identity()"
    assert layer.state_dict() == {}


@pytest.mark.parametrize(("shapes", "bias"), [(((5, 3), (5, 4)), True), (((2, 3, 3), (2, 3, 4)),
                                                                         False),
                                              (((3,), (4,)), True)])
def test_bilinear_matches_torch(shapes: tuple[tuple[int, ...], ...], bias: bool) -> None:
    ours = nn.Bilinear(shapes[0][-1], shapes[1][-1], 2, bias, dtype="float64")
    theirs = torch.nn.Bilinear(shapes[0][-1], shapes[1][-1], 2, bias, dtype=torch.float64)
    assert repr(ours) == repr(theirs)
    bound = 1 / math.sqrt(shapes[0][-1])
    assert all(np.abs(parameter.numpy()).max() <= bound for parameter in ours.parameters())
    copy_parameters(ours, theirs)
    assert_same_state(ours, theirs)
    rng = np.random.default_rng(len(shapes[0]))
    compare(ours, theirs, [rng.standard_normal(shape) for shape in shapes])
    assert_gradients_equal(ours, theirs)
    arrays = [rng.standard_normal(shape) for shape in (*shapes, (2, shapes[0][-1],
                                                                  shapes[1][-1]), (2,))]
    compare(F.bilinear, TF.bilinear, arrays)


def test_unflatten_matches_torch() -> None:
    x = np.arange(48.0).reshape(2, 24)
    for dim, sizes in ((1, (2, 3, 4)), (-1, [4, -1]), (0, (2, 1))):
        ours, theirs = nn.Unflatten(dim, sizes), torch.nn.Unflatten(dim, sizes)
        assert repr(ours) == repr(theirs)
        compare(ours, theirs, [x])
    assert isinstance(nn.Unflatten(1, (4, 6))(mu.constant(x)), mu.Constant)
    round_trip = nn.Sequential(nn.Unflatten(1, (2, 3, 4)), nn.Flatten())
    np.testing.assert_array_equal(round_trip(mu.constant(x)).numpy(), x)


def test_linear_family_errors_and_positional_options() -> None:
    layer = nn.Linear(2, 3, True, "cpu", "float64")
    assert layer.weight.dtype == np.float64
    assert nn.Bilinear(2, 3, 4, False, None, "float64").weight.dtype == np.float64
    with pytest.raises(ValueError, match="Bilinear: in2_features must be a non-negative int"):
        nn.Bilinear(2, -3, 4)
    with pytest.raises(mu.ShapeError, match=r"Bilinear: expected inputs \(\*, 2\) and \(\*, 3\)"):
        nn.Bilinear(2, 3, 4)(mu.ones((5, 2)), mu.ones((4, 3)))
    with pytest.raises(mu.ShapeError, match=r"bilinear: expected a weight of shape"):
        F.bilinear(mu.ones((5, 2)), mu.ones((5, 3)), mu.ones((2, 3)))
    with pytest.raises(mu.ShapeError, match=r"bilinear: expected a bias of shape \(4,\)"):
        F.bilinear(mu.ones((5, 2)), mu.ones((5, 3)), mu.ones((4, 2, 3)), mu.ones(3))
    with pytest.raises(TypeError, match="Unflatten: unflattened_size must be a non-empty"):
        nn.Unflatten(1, 6)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Unflatten: sizes must not be negative"):
        nn.Unflatten(1, (2, -3))
    with pytest.raises(mu.ShapeError, match="Unflatten: cannot reshape"):
        nn.Unflatten(1, (4, 4))(mu.ones((2, 12)))


# --- dropout ----------------------------------------------------------------------------------

def _kept(result: np.ndarray, x: np.ndarray, p: float) -> np.ndarray:
    """Where each value of a dropout result is kept (``x / (1 - p)``); every other value must
    be 0."""
    kept = np.isclose(result, x / (1 - p), rtol=1e-12)
    assert np.all(kept | (result == 0))
    return kept


DROPOUTS = [("dropout", F.dropout, TF.dropout, (20, 30), None),
            ("dropout1d", F.dropout1d, TF.dropout1d, (20, 30, 4), (20, 30, 1)),
            ("dropout1d-unbatched", F.dropout1d, TF.dropout1d, (30, 4), (30, 1)),
            ("dropout2d", F.dropout2d, TF.dropout2d, (20, 30, 2, 3), (20, 30, 1, 1)),
            ("dropout3d", F.dropout3d, TF.dropout3d, (10, 30, 2, 2, 2), (10, 30, 1, 1, 1)),
            ("dropout3d-unbatched", F.dropout3d, TF.dropout3d, (30, 2, 3, 2), (30, 1, 1, 1))]


@pytest.mark.parametrize(("name", "ours", "theirs", "shape", "mask_shape"), DROPOUTS,
                         ids=[case[0] for case in DROPOUTS])
def test_dropouts_zero_what_torch_zeroes(name: str, ours: Any, theirs: Any,
                                         shape: tuple[int, ...],
                                         mask_shape: tuple[int, ...] | None) -> None:
    x = np.random.default_rng(0).uniform(0.5, 2.0, shape)
    p = 0.3
    mu.seed(5)
    variable = mu.variable(x)
    result = ours(variable, p)
    found = _kept(result.numpy(), x, p)
    expected = _kept(theirs(torch.tensor(x), p).numpy(), x, p)
    if mask_shape is not None:  # whole channels: constant along the axes of mask size 1
        first = tuple(slice(0, 1) if size == 1 else slice(None) for size in mask_shape)
        for kept in (found, expected):
            assert np.array_equal(kept, np.broadcast_to(kept[first], shape))
    tolerance = 4 * math.sqrt(p * (1 - p) / math.prod(mask_shape or shape))  # 4 deviations
    assert abs(found.mean() - (1 - p)) < tolerance and abs(expected.mean() - (1 - p)) < tolerance
    result.sum().backward()
    np.testing.assert_allclose(variable.grad().numpy(), found / (1 - p), rtol=1e-12)
    assert ours(variable, p, training=False) is variable
    assert ours(variable, 0.0) is variable
    np.testing.assert_array_equal(ours(variable, 1.0).numpy(), 0.0)
    # inplace=True: the input itself takes the result, as PyTorch's; not a leaf Variable
    # while recording (PyTorch refuses that too)
    given = mu.constant(x)
    assert ours(given, p, True, True) is given
    kept = _kept(given.numpy(), x, p)
    assert abs(kept.mean() - (1 - p)) < tolerance
    with pytest.raises(RuntimeError, match="leaf"):
        ours(mu.variable(x), p, True, True)


ALPHA = 1.7580993408473766


@pytest.mark.parametrize(("ours", "theirs", "shape", "feature"),
                         [(F.alpha_dropout, TF.alpha_dropout, (200, 300), False),
                          (F.feature_alpha_dropout, TF.feature_alpha_dropout, (200, 300, 3),
                           True)])
def test_alpha_dropouts_follow_torch(ours: Any, theirs: Any, shape: tuple[int, ...],
                                     feature: bool) -> None:
    x = np.random.default_rng(1).standard_normal(shape)
    p = 0.2
    a = ((ALPHA ** 2 * p + 1) * (1 - p)) ** -0.5
    kept_values, dropped_value = a * x + ALPHA * a * p, -ALPHA * a + ALPHA * a * p
    mu.seed(2)
    variable = mu.variable(x)
    result = ours(variable, p, training=True)
    for values in (result.numpy(), theirs(torch.tensor(x), p, training=True).numpy()):
        kept = np.isclose(values, kept_values, rtol=1e-12, atol=1e-14)
        assert np.all(kept | np.isclose(values, dropped_value, rtol=1e-12))
        assert abs(kept.mean() - (1 - p)) < 0.02
        assert abs(values.mean()) < 0.05 and abs(values.var() - 1) < 0.05
        if feature:  # whole channels
            assert np.all(kept == kept[..., :1])
    result.sum().backward()
    np.testing.assert_allclose(variable.grad().numpy(), a * np.isclose(
        result.numpy(), kept_values, rtol=1e-12, atol=1e-14), rtol=1e-12)
    assert ours(variable, p) is variable  # training is off by default, as PyTorch's
    np.testing.assert_array_equal(ours(variable, 1.0, True).numpy(), 0.0)


@pytest.mark.parametrize(("name", "shape"), [("Dropout", (4, 5)), ("Dropout1d", (4, 5, 3)),
                                             ("Dropout2d", (4, 5, 2, 3)),
                                             ("Dropout3d", (4, 5, 2, 2, 2)),
                                             ("AlphaDropout", (4, 5)),
                                             ("FeatureAlphaDropout", (4, 5, 3))])
def test_dropout_layers_follow_the_training_flag(name: str, shape: tuple[int, ...]) -> None:
    layer = getattr(nn, name)(0.4)
    assert layer.state_dict() == {}
    assert repr(layer) == f"{name}(p=0.4)"
    assert repr(getattr(nn, name)(0.4, True)) == f"{name}(p=0.4, inplace=True)"
    x = mu.constant(np.random.default_rng(3).uniform(1, 2, shape))
    mu.seed(0)
    trained = layer(x)
    assert isinstance(trained, mu.Constant) and trained.shape == shape
    assert not np.array_equal(trained.numpy(), x.numpy())
    assert layer.eval()(x) is x


def test_dropout_errors_and_warnings() -> None:
    with pytest.raises(ValueError, match=r"dropout1d: p must be a probability in \[0, 1\]"):
        F.dropout1d(mu.ones((2, 3)), 1.5)
    with pytest.raises(ValueError, match=r"Dropout2d: p must be a probability"):
        nn.Dropout2d(-0.1)
    with pytest.raises(mu.ShapeError, match=r"dropout1d: expected an input of shape \(N, C, L\)"):
        F.dropout1d(mu.ones((2, 3, 4, 5)))
    with pytest.raises(mu.ShapeError, match=r"feature_alpha_dropout: expected an input of shape"):
        F.feature_alpha_dropout(mu.ones(3), training=True)
    with pytest.raises(TypeError, match="alpha_dropout: expected a floating tensor"):
        F.alpha_dropout(mu.constant(np.ones(3, dtype=np.int64)), training=True)
    with pytest.warns(UserWarning, match=r"dropout2d: a 3-D input is taken as \(N, C, L\)"):
        F.dropout2d(mu.ones((2, 3, 4)))
    with pytest.warns(UserWarning, match="dropout3d: expected a 5-D input"):
        F.dropout3d(mu.ones((2, 3, 4)))


# --- on a device ----------------------------------------------------------------------------

DEVICE_CASES: list[tuple[str, Callable[[Any], Any], tuple[int, ...]]] = [
    ("activations", lambda m: m.Sequential(m.Linear(4, 6), m.ELU(), m.Hardswish(), m.GLU(),
                                           m.Softmin(1)), (2, 4)),
    ("prelu", lambda m: m.Sequential(m.Linear(4, 3), m.PReLU(3)), (2, 4)),
    ("unflatten-softmax2d", lambda m: m.Sequential(m.Linear(4, 12), m.Unflatten(1, (3, 2, 2)),
                                                   m.Softmax2d()), (2, 4)),
]


@pytest.mark.parametrize(("name", "make", "shape"), DEVICE_CASES,
                         ids=[case[0] for case in DEVICE_CASES])
def test_runs_on_a_device_like_on_the_cpu(device: str, name: str, make: Callable[[Any], Any],
                                          shape: tuple[int, ...]) -> None:
    x = np.random.default_rng(6).standard_normal(shape)
    results = {}
    for where in ("cpu", device):
        mu.seed(1)
        layer = make(nn).to(mu.float64).to(where)
        value = mu.variable(x, dtype="float64", device=where)
        output = layer(value)
        weights = np.random.default_rng(7).standard_normal(output.shape)
        (output * mu.constant(weights, device=where)).sum().backward()
        assert output.device == where
        results[where] = [output.numpy(), value.grad().numpy(),
                          *(parameter.grad().numpy() for parameter in layer.parameters())]
    for found, expected in zip(results[device], results["cpu"], strict=True):
        np.testing.assert_allclose(found, expected, rtol=1e-10, atol=1e-12)


def test_bilinear_and_dropouts_run_on_a_device(device: str) -> None:
    rng = np.random.default_rng(8)
    first, second = rng.standard_normal((3, 2)), rng.standard_normal((3, 4))
    results = {}
    for where in ("cpu", device):
        mu.seed(1)
        layer = nn.Bilinear(2, 4, 5, dtype="float64").to(where)
        inputs = [mu.variable(first, device=where), mu.variable(second, device=where)]
        output = layer(*inputs)
        output.sum().backward()
        results[where] = [output.numpy(), *(tensor.grad().numpy() for tensor in inputs),
                          *(parameter.grad().numpy() for parameter in layer.parameters())]
    for found, expected in zip(results[device], results["cpu"], strict=True):
        np.testing.assert_allclose(found, expected, rtol=1e-10, atol=1e-12)
    x = rng.uniform(1, 2, (6, 8, 3))
    value = mu.variable(x, device=device)
    for function in (F.dropout, F.dropout1d, F.dropout2d):
        result = function(value, 0.5)
        assert result.device == device
        _kept(result.numpy(), x, 0.5)
    alpha = F.feature_alpha_dropout(value, 0.5, True)
    assert alpha.device == device and alpha.shape == x.shape
