"""Parameter initialisers (``mu.nn.init``), PyTorch's rules and arguments.

Each fills a tensor's array in place, with draws from mushin's random generator on the
tensor's device (reproducible after ``mu.seed`` / ``mu.manual_seed``), and returns the tensor.
Fan-in and fan-out are PyTorch's: for a weight ``(out, in, *kernel)`` they are ``in *
prod(kernel)`` and ``out * prod(kernel)``.

PyTorch's names, which end in ``_`` (``uniform_``, ``kaiming_normal_``, ``orthogonal_``,
``trunc_normal_``...), take PyTorch's arguments, ``generator=None`` included (mushin has one
generator per device: any other value is refused); the crate's (``uniform``, ``kaiming_normal``,
``xavier_uniform``, ``zeros``...) are the same fills under its own argument names.
"""

from __future__ import annotations

import math
from typing import Any, TypeVar, cast

from mushin import _backend
from mushin._check import is_number, number, operation_name
from mushin._random import generator
from mushin._tensor import Tensor, new_constant, storage, writable
from mushin.ops.special import erfinv

TensorT = TypeVar("TensorT", bound=Tensor[*tuple[Any, ...]])

_LINEAR_GAINS = ("linear", "identity", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                 "conv_transpose2d", "conv_transpose3d", "sigmoid")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for ``nonlinearity``: 1 for linear layers and sigmoid, 5/3 for
    tanh, sqrt(2) for relu, sqrt(2 / (1 + a^2)) for leaky_relu of slope ``param`` (0.01 by
    default), 3/4 for selu."""
    if nonlinearity in _LINEAR_GAINS:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if not is_number(slope):
            raise TypeError(f"{operation_name('calculate_gain')}: the negative slope must be a "
                            f"number, got {slope!r}")
        return math.sqrt(2.0 / (1 + slope * slope))
    if nonlinearity == "selu":
        return 0.75
    raise ValueError(f"{operation_name('calculate_gain')}: unknown nonlinearity "
                     f"{nonlinearity!r}; expected one of "
                     f"{', '.join((*_LINEAR_GAINS, 'tanh', 'relu', 'leaky_relu', 'selu'))}")


def fans(tensor: Tensor[*tuple[Any, ...]]) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight of shape ``(out, in, *kernel)``."""
    shape = tuple(_array_of("fans", tensor).shape)
    if len(shape) < 2:
        raise ValueError(f"{operation_name('fans')}: fan in and fan out need a tensor with at "
                         f"least 2 axes, got shape {shape}")
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def _fan(tensor: Tensor[*tuple[Any, ...]], mode: str) -> int:
    fan_in, fan_out = fans(tensor)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{operation_name('fans')}: mode must be 'fan_in' or 'fan_out', got "
                         f"{mode!r}")
    fan = fan_in if mode == "fan_in" else fan_out
    # An empty tensor has nothing to fill; 1 keeps the bound finite.
    return fan or 1


def _array_of(name: str, tensor: Tensor[*tuple[Any, ...]]) -> Any:
    """The writable array of ``tensor``, or ``TypeError`` naming the initialiser ``name``."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{operation_name(name)}: expected a mushin tensor, got "
                        f"{type(tensor).__name__}")
    return writable(tensor)


def _generator_of(data: Any) -> Any:
    """The random generator of ``data``'s device."""
    return generator(_backend.backend_of(data))


def _fill(tensor: TensorT, draw: str, first: float, second: float) -> TensorT:
    """Fill ``tensor`` in place with uniform [first, second) or normal(first, second) draws."""
    data = _array_of(draw, tensor)
    if data.dtype.kind != "f":
        raise TypeError(f"{operation_name(draw)}: can only initialise a floating tensor, got "
                        f"dtype {data.dtype}")
    random = _generator_of(data)
    dtype = data.dtype if data.dtype.itemsize >= 4 else "float32"
    if draw == "uniform":
        values = random.random(data.shape, dtype=dtype) * (second - first) + first
    else:
        values = random.standard_normal(data.shape, dtype=dtype) * second + first
    data[...] = values
    return tensor


def uniform(tensor: TensorT, low: float = 0.0, high: float = 1.0) -> TensorT:
    """Fill ``tensor`` with draws from the uniform distribution on [low, high)."""
    return _fill(tensor, "uniform", number("uniform", "low", low),
                 number("uniform", "high", high))


def normal(tensor: TensorT, mean: float = 0.0, std: float = 1.0) -> TensorT:
    """Fill ``tensor`` with draws from the normal distribution N(mean, std^2)."""
    deviation = number("normal", "std", std)
    if not deviation >= 0:
        raise ValueError(f"{operation_name('normal')}: std must be at least 0, got {std!r}")
    return _fill(tensor, "normal", number("normal", "mean", mean), deviation)


def _fill_value(name: str, argument: str, value: object) -> float:
    """A fill value as PyTorch's ``fill_`` takes it: a number, a bool, or a 0-d tensor or
    array of one (its item); ``TypeError`` naming ``name`` for anything else."""
    if isinstance(value, Tensor):
        value = storage(value)
    kind = getattr(getattr(value, "dtype", None), "kind", None)
    if getattr(value, "shape", None) == () and kind is not None and kind in "biuf":
        value = cast("Any", value).item()
    if is_number(value) or isinstance(value, bool):
        return value
    raise TypeError(f"{operation_name(name)}: {argument} must be a number or a 0-d tensor, got "
                    f"{type(value).__name__}")


def constant(tensor: TensorT, value: float) -> TensorT:
    """Fill ``tensor`` with ``value``."""
    fill = _fill_value("constant", "value", value)
    data = _array_of("constant", tensor)
    try:
        data[...] = fill
    except (OverflowError, ValueError):  # inf, NaN or a huge int into an integer tensor
        raise ValueError(f"{operation_name('constant')}: {fill!r} cannot be converted to "
                         f"dtype {data.dtype} without overflow") from None
    return tensor


def zeros(tensor: TensorT) -> TensorT:
    """Fill ``tensor`` with zeros."""
    return constant(tensor, 0.0)


def ones(tensor: TensorT) -> TensorT:
    """Fill ``tensor`` with ones."""
    return constant(tensor, 1.0)


def kaiming_uniform(tensor: TensorT, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu") -> TensorT:
    """He initialisation, uniform: U(-b, b) with ``b = gain * sqrt(3 / fan)``."""
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / _fan(tensor, mode))
    return uniform(tensor, -bound, bound)


def kaiming_normal(tensor: TensorT, a: float = 0.0, mode: str = "fan_in",
                   nonlinearity: str = "leaky_relu") -> TensorT:
    """He initialisation, normal: N(0, std^2) with ``std = gain / sqrt(fan)``."""
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return normal(tensor, 0.0, std)


def xavier_uniform(tensor: TensorT, gain: float = 1.0) -> TensorT:
    """Glorot initialisation, uniform: U(-b, b) with ``b = gain * sqrt(6 / (fan_in +
    fan_out))``."""
    fan_in, fan_out = fans(tensor)
    bound = number("xavier_uniform", "gain", gain) * math.sqrt(6.0 / ((fan_in + fan_out) or 1))
    return uniform(tensor, -bound, bound)


def xavier_normal(tensor: TensorT, gain: float = 1.0) -> TensorT:
    """Glorot initialisation, normal: N(0, std^2) with ``std = gain * sqrt(2 / (fan_in +
    fan_out))``."""
    fan_in, fan_out = fans(tensor)
    std = number("xavier_normal", "gain", gain) * math.sqrt(2.0 / ((fan_in + fan_out) or 1))
    return normal(tensor, 0.0, std)


# --- PyTorch's names --------------------------------------------------------------------------

def _no_generator(name: str, generator: object) -> None:
    if generator is not None:
        raise TypeError(f"{name}: mushin draws from its own generator on each device (seed it "
                        f"with mu.manual_seed); generator= must be None, got {generator!r}")


def uniform_(tensor: TensorT, a: float = 0.0, b: float = 1.0,
             generator: None = None) -> TensorT:
    """Fill ``tensor`` with draws from the uniform distribution on [a, b)."""
    _no_generator("uniform_", generator)
    return uniform(tensor, number("uniform_", "a", a), number("uniform_", "b", b))


def normal_(tensor: TensorT, mean: float = 0.0, std: float = 1.0,
            generator: None = None) -> TensorT:
    """Fill ``tensor`` with draws from the normal distribution N(mean, std^2)."""
    _no_generator("normal_", generator)
    return normal(tensor, number("normal_", "mean", mean), number("normal_", "std", std))


def trunc_normal_(tensor: TensorT, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator: None = None) -> TensorT:
    """Fill ``tensor`` with draws from N(mean, std^2) truncated to [a, b] (bounds in the
    values' units, not in standard deviations), by PyTorch's method: uniform draws between the
    bounds' normal probabilities, mapped back through the inverse normal distribution."""
    _no_generator("trunc_normal_", generator)
    mean, std = number("trunc_normal_", "mean", mean), number("trunc_normal_", "std", std)
    low, high = number("trunc_normal_", "a", a), number("trunc_normal_", "b", b)
    if not std > 0 or not low < high:
        raise ValueError(f"trunc_normal_: needs std > 0 and a < b, got std={std}, a={low}, "
                         f"b={high}")

    def normal_cdf(x: float) -> float:
        return (1.0 + math.erf((x - mean) / std / math.sqrt(2.0))) / 2.0

    uniform(tensor, 2 * normal_cdf(low) - 1, 2 * normal_cdf(high) - 1)
    data = _array_of("trunc_normal_", tensor)
    data[...] = storage(erfinv(new_constant(data)))
    data *= std * math.sqrt(2.0)
    data += mean
    _backend.namespace_of(data).clip(data, low, high, out=data)
    return tensor


def constant_(tensor: TensorT, val: float) -> TensorT:
    """Fill ``tensor`` with ``val``."""
    return constant(tensor, _fill_value("constant_", "val", val))


def ones_(tensor: TensorT) -> TensorT:
    """Fill ``tensor`` with ones."""
    return ones(tensor)


def zeros_(tensor: TensorT) -> TensorT:
    """Fill ``tensor`` with zeros."""
    return zeros(tensor)


def eye_(tensor: TensorT) -> TensorT:
    """Fill a 2-d ``tensor`` with the identity matrix (ones on the main diagonal of a
    rectangular one), keeping the identity of the inputs in a linear layer."""
    data = _array_of("eye_", tensor)
    if data.ndim != 2:
        raise ValueError(f"eye_: only 2-d tensors are supported, got shape {tuple(data.shape)}")
    data[...] = 0
    _backend.namespace_of(data).fill_diagonal(data, 1)
    return tensor


def dirac_(tensor: TensorT, groups: int = 1) -> TensorT:
    """Fill a 3-, 4- or 5-d convolution weight ``(out, in, *kernel)`` with the Dirac delta:
    each of the first ``min(out / groups, in)`` output channels of each group copies its input
    channel (a one at the kernel's centre), so the convolution keeps its input."""
    data = _array_of("dirac_", tensor)
    if data.ndim not in (3, 4, 5):
        raise ValueError(f"dirac_: only tensors with 3, 4, or 5 dimensions are supported, got "
                         f"shape {tuple(data.shape)}")
    if not isinstance(groups, int) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"dirac_: groups must be a positive int, got {groups!r}")
    if data.shape[0] % groups:
        raise ValueError(f"dirac_: dim 0 ({data.shape[0]}) must be divisible by groups "
                         f"({groups})")
    per_group = data.shape[0] // groups
    centre = tuple(size // 2 for size in data.shape[2:])
    data[...] = 0
    for group in range(groups):
        for channel in range(min(per_group, data.shape[1])):
            data[(group * per_group + channel, channel, *centre)] = 1
    return tensor


def sparse_(tensor: TensorT, sparsity: float, std: float = 0.01,
            generator: None = None) -> TensorT:
    """Fill a 2-d ``tensor`` with N(0, std^2) draws, then zero ``ceil(sparsity * rows)``
    randomly chosen rows of each column (Martens, 2010)."""
    _no_generator("sparse_", generator)
    data = _array_of("sparse_", tensor)
    if data.ndim != 2:
        raise ValueError(f"sparse_: only 2-d tensors are supported, got shape "
                         f"{tuple(data.shape)}")
    fraction = number("sparse_", "sparsity", sparsity)
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"sparse_: sparsity must be in [0, 1], got {sparsity!r}")
    rows, columns = data.shape
    zeroed = math.ceil(fraction * rows)
    normal(tensor, 0.0, number("sparse_", "std", std))
    draws = _generator_of(data)
    for column in range(columns):  # a random permutation's first rows: argsort of uniforms
        data[draws.random(rows).argsort()[:zeroed], column] = 0
    return tensor


def xavier_uniform_(tensor: TensorT, gain: float = 1.0, generator: None = None) -> TensorT:
    """Glorot initialisation, uniform: U(-b, b) with ``b = gain * sqrt(6 / (fan_in +
    fan_out))``."""
    _no_generator("xavier_uniform_", generator)
    return xavier_uniform(tensor, number("xavier_uniform_", "gain", gain))


def xavier_normal_(tensor: TensorT, gain: float = 1.0, generator: None = None) -> TensorT:
    """Glorot initialisation, normal: N(0, std^2) with ``std = gain * sqrt(2 / (fan_in +
    fan_out))``."""
    _no_generator("xavier_normal_", generator)
    return xavier_normal(tensor, number("xavier_normal_", "gain", gain))


def kaiming_uniform_(tensor: TensorT, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator: None = None) -> TensorT:
    """He initialisation, uniform: U(-b, b) with ``b = gain * sqrt(3 / fan)``, the gain of
    ``nonlinearity`` (``a``: leaky_relu's negative slope), ``fan`` the ``mode``'s."""
    _no_generator("kaiming_uniform_", generator)
    return kaiming_uniform(tensor, a, mode, nonlinearity)


def kaiming_normal_(tensor: TensorT, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator: None = None) -> TensorT:
    """He initialisation, normal: N(0, std^2) with ``std = gain / sqrt(fan)``."""
    _no_generator("kaiming_normal_", generator)
    return kaiming_normal(tensor, a, mode, nonlinearity)


def orthogonal_(tensor: TensorT, gain: float = 1.0, generator: None = None) -> TensorT:
    """Fill ``tensor`` (2 or more axes, the first the rows) with a (semi-)orthogonal matrix
    times ``gain``: the Q of the QR decomposition of normal draws, its signs fixed by R's
    diagonal (Saxe et al.; PyTorch's method)."""
    _no_generator("orthogonal_", generator)
    gain = number("orthogonal_", "gain", gain)
    data = _array_of("orthogonal_", tensor)
    if data.ndim < 2:
        raise ValueError(f"orthogonal_: needs a tensor with at least 2 axes, got shape "
                         f"{tuple(data.shape)}")
    if data.size == 0:
        return tensor
    rows = data.shape[0]
    columns = data.size // rows
    xp = _backend.namespace_of(data)
    random = _generator_of(data)
    flat = random.standard_normal((rows, columns), dtype="float64")
    if rows < columns:
        flat = flat.T
    q, r = xp.linalg.qr(flat)
    q *= xp.sign(xp.diagonal(r))
    if rows < columns:
        q = q.T
    data[...] = (q * gain).reshape(data.shape)
    return tensor
