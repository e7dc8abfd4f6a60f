"""The in-place tensor methods, PyTorch's: ``x.add_(y)``, ``x.clamp_(0, 1)``, ``x.fill_(v)``,
``x.copy_(src)``, ``x.normal_()``... and item assignment ``x[key] = value``.

Each is its out-of-place operation written back into the tensor's values by
``mushin._tensor.change_in_place``, which holds PyTorch's rules (contract §9): allowed on a
``Constant``, on a ``Variable`` while recording is off (``mu.no_grad()``), and on a non-leaf
``Variable`` while recording (its history goes on through the operation); refused on a leaf
``Variable`` while recording. Every change bumps the tensor's version, so a backward that
needs the overwritten values raises instead of using the new ones. The methods return the
tensor itself.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from mushin import _backend, _random
from mushin._check import is_number, operation_name, rename, shape_of
from mushin._surface import METHODS, method
from mushin._tensor import Tensor, apply, change_in_place, new_constant, storage, unwrap

# The families whose methods get an in-place form are imported first: their methods are
# bound to Tensor (and registered in METHODS) as they load.
from mushin.ops import (
    binary,
    elementwise,
    gather_scatter,
    index,
    linalg,
    scan,
    special,
    triangle,
    unary,
)
from mushin.ops.elementwise import astype
from mushin.ops.index import INDEX_PUT
from mushin.ops.shape import broadcast_to
from mushin.ops.slicing import index_items

_BOUND_FIRST = (binary, elementwise, gather_scatter, index, linalg, scan, special, triangle,
                unary)

_ARITHMETIC = (
    "abs", "absolute", "acos", "acosh", "add", "addbmm", "addcdiv", "addcmul", "addmm", "addmv",
    "addr", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2", "arctanh", "asin",
    "asinh", "atan", "atan2", "atanh", "baddbmm", "bitwise_and", "bitwise_left_shift",
    "bitwise_not", "bitwise_or", "bitwise_right_shift", "bitwise_xor", "ceil", "clamp",
    "clamp_max", "clamp_min", "clip", "copysign", "cos", "cosh", "cumprod", "cumsum",
    "deg2rad", "digamma", "div", "divide", "eq", "erf", "erfc", "erfinv", "exp", "exp2",
    "expm1", "fix", "float_power", "floor", "floor_divide", "fmod", "frac", "gcd", "ge",
    "greater", "greater_equal", "gt", "heaviside", "hypot", "i0", "index_add", "index_copy",
    "index_fill", "index_put", "lcm", "ldexp", "le", "lerp", "less", "less_equal", "lgamma",
    "log", "log10", "log1p", "log2", "logical_and", "logical_not", "logical_or", "logical_xor",
    "logit", "lt", "masked_fill", "masked_scatter", "mul", "multiply", "mvlgamma",
    "nan_to_num", "ne", "neg", "negative", "nextafter", "not_equal", "polygamma", "pow", "put",
    "rad2deg", "reciprocal", "relu", "remainder", "renorm", "round", "rsqrt", "scatter",
    "scatter_add", "scatter_reduce", "sgn", "sigmoid", "sign", "sin", "sinc", "sinh", "sqrt",
    "square", "sub", "subtract", "tan", "tanh", "tril", "triu", "true_divide", "trunc",
    "xlogy",
)
"""Methods whose in-place form (name + ``_``) writes their result back; the result's dtype
must cast to the tensor's (``int_tensor.mul_(1.5)`` raises, as in PyTorch)."""


def _in_place_form(base: str, function: Callable[..., Any]) -> Callable[..., Any]:
    name = base + "_"

    def in_place(self: Any, *args: Any, **kwargs: Any) -> Any:
        return change_in_place(name, self, lambda tensor: function(tensor, *args, **kwargs))

    rename(in_place, name)
    in_place.__doc__ = (f"``x.{base}(...)`` written into ``x``'s values, in place; returns "
                        f"``x`` (PyTorch's rules: see ``mushin.ops.inplace``).")
    in_place.__signature__ = inspect.signature(function)  # type: ignore[attr-defined]
    return in_place


for _base in _ARITHMETIC:
    if _base in METHODS:
        method(_base + "_", typing="same_type_method")(
            _in_place_form(_base, METHODS[_base].function))


# ``x += y`` and the other augmented assignments change ``x`` in place, as in PyTorch (a view
# of ``x``, or a graph that saved it, sees the change); the checkers type them as the
# operators they update with.
for _operator, _base in (("__iadd__", "add"), ("__isub__", "sub"), ("__imul__", "mul"),
                         ("__itruediv__", "div"), ("__ifloordiv__", "floor_divide"),
                         ("__imod__", "remainder"), ("__ipow__", "pow"),
                         ("__iand__", "bitwise_and"), ("__ior__", "bitwise_or"),
                         ("__ixor__", "bitwise_xor"), ("__ilshift__", "bitwise_left_shift"),
                         ("__irshift__", "bitwise_right_shift")):
    method(_operator, typing=None)(METHODS[_base + "_"].function)


def _is_tensor(value: object) -> bool:
    return isinstance(value, Tensor)


def _fill_value(name: str, tensor: Any, value: Any) -> Any:
    """A fill value as a ``Constant`` or tracked 0-d tensor of ``tensor``'s dtype."""
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise ValueError(f"{operation_name(name)}: the value must be a number or a 0-d "
                             "tensor, got a "
                             f"tensor of shape {shape_of(value)}")
        return astype(value, dtype=tensor.dtype)
    if not is_number(value):
        raise TypeError(f"{operation_name(name)}: the value must be a number or a 0-d tensor, got "
                        f"{type(value).__name__}")
    return new_constant(_backend.backend_of(storage(tensor)).asarray(value, dtype=tensor.dtype))


@method("fill_", typing="same_type_method")
def fill_(self: Any, value: Any) -> Any:
    """Set every element to ``value`` (a number or a 0-d tensor, cast to the tensor's dtype);
    returns the tensor."""
    return change_in_place("fill_", self, lambda tensor: broadcast_to(
        _fill_value("fill_", tensor, value), tensor.shape), casting="unsafe")


@method("zero_", typing="same_type_method")
def zero_(self: Any) -> Any:
    """Set every element to zero; returns the tensor."""
    return fill_(self, 0)


@method("copy_", typing="same_type_method")
def copy_(self: Any, src: Any, non_blocking: bool = False) -> Any:
    """Copy ``src``'s values (broadcast to this tensor's shape, cast to its dtype, moved to
    its device) into this tensor; gradients flow to ``src``. Returns the tensor."""

    def copied(tensor: Any) -> Any:
        if not _is_tensor(src):
            raise TypeError(f"copy_: src must be a mu.Tensor, got {type(src).__name__}")
        values = src if src.device == tensor.device else src.to(tensor.device)
        return broadcast_to(astype(values, dtype=tensor.dtype), tensor.shape)

    return change_in_place("copy_", self, copied, casting="unsafe")


@method("__setitem__", typing=None)
def setitem(self: Any, key: Any, value: Any) -> None:
    """``x[key] = value``: ``value`` (a number or a tensor broadcast to ``x[key]``'s shape,
    cast to ``x``'s dtype) written at ``key`` (what ``x[key]`` accepts), in place; under the
    rules of the in-place methods. Gradients flow to a tracked ``value``."""

    def assigned(tensor: Any) -> Any:
        values = value if _is_tensor(value) else new_constant(
            _backend.backend_of(storage(tensor)).asarray(value, dtype=tensor.dtype))
        if values.dtype != tensor.dtype:
            values = astype(values, dtype=tensor.dtype)
        try:
            return apply(INDEX_PUT, tensor, values, index=index_items("setitem", tensor, key))
        except (IndexError, TypeError, ValueError) as error:
            message = str(error)
            if not message.startswith("index_put:"):
                raise
            raise type(error)("setitem:" + message.removeprefix("index_put:")) from error

    change_in_place("setitem", self, assigned, casting="unsafe")


# --- random fills ----------------------------------------------------------------------------

def _random_fill(name: str, tensor: Any, draw: Callable[[Any, tuple[int, ...]], Any],
                 floating: bool = True) -> Any:
    """Fill ``tensor`` with ``draw(generator, shape)`` from its device's generator."""

    def drawn(target: Any) -> Any:
        data = storage(target)
        if floating and data.dtype.kind != "f":
            raise TypeError(f"{operation_name(name)}: needs a floating tensor, got dtype "
                            f"{data.dtype}")
        where = _backend.backend_of(data)
        values = draw(_random.generator(where), tuple(data.shape))
        return new_constant(where.xp.asarray(values).astype(data.dtype, copy=False))

    return change_in_place(name, tensor, drawn, casting="unsafe")


def _positive(name: str, what: str, value: Any) -> float:
    if not is_number(value) or not value > 0:
        raise ValueError(f"{operation_name(name)}: {what} must be a positive number, got {value!r}")
    return float(value)


@method("normal_", typing="same_type_method")
def normal_(self: Any, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Any:
    """Fill with values drawn from a normal distribution N(``mean``, ``std``²)."""
    if not is_number(std) or std < 0:
        raise ValueError(f"normal_: std must be a non-negative number, got {std!r}")
    return _random_fill("normal_", self, lambda g, shape: g.normal(mean, std, shape))


@method("uniform_", typing="same_type_method")
def uniform_(self: Any, a: float = 0.0, b: float = 1.0, *, generator: Any = None) -> Any:
    """Fill with values drawn uniformly from [``a``, ``b``) (PyTorch names them ``from`` and
    ``to``; both are accepted by position)."""
    if not (is_number(a) and is_number(b)) or a > b:
        raise ValueError(f"uniform_: expected from <= to, got from={a!r}, to={b!r}")
    return _random_fill("uniform_", self, lambda g, shape: g.uniform(a, b, shape))


@method("exponential_", typing="same_type_method")
def exponential_(self: Any, lambd: float = 1.0, *, generator: Any = None) -> Any:
    """Fill with values drawn from the exponential distribution of rate ``lambd``."""
    rate = _positive("exponential_", "lambd", lambd)
    return _random_fill("exponential_", self, lambda g, shape: g.exponential(1 / rate, shape))


@method("log_normal_", typing="same_type_method")
def log_normal_(self: Any, mean: float = 1.0, std: float = 2.0, *,
                generator: Any = None) -> Any:
    """Fill with values whose logarithm is N(``mean``, ``std``²)."""
    scale = _positive("log_normal_", "std", std)
    return _random_fill("log_normal_", self, lambda g, shape: g.lognormal(mean, scale, shape))


@method("cauchy_", typing="same_type_method")
def cauchy_(self: Any, median: float = 0.0, sigma: float = 1.0, *,
            generator: Any = None) -> Any:
    """Fill with values drawn from the Cauchy distribution (``median``, ``sigma``)."""
    scale = _positive("cauchy_", "sigma", sigma)
    return _random_fill("cauchy_", self, lambda g, shape: median + scale * g.standard_cauchy(
        shape))


@method("geometric_", typing="same_type_method")
def geometric_(self: Any, p: float, *, generator: Any = None) -> Any:
    """Fill with the number of Bernoulli(``p``) trials up to the first success (>= 1)."""
    if not is_number(p) or not 0 < p <= 1:
        raise ValueError(f"geometric_: p must be in (0, 1], got {p!r}")
    return _random_fill("geometric_", self, lambda g, shape: g.geometric(p, shape),
                        floating=False)


@method("bernoulli_", typing="same_type_method")
def bernoulli_(self: Any, p: Any = 0.5, *, generator: Any = None) -> Any:
    """Fill with 1 with probability ``p`` (a number, or a tensor of probabilities broadcast
    to this tensor's shape) and 0 otherwise."""
    probability = unwrap(p)
    if not is_number(probability) and not hasattr(probability, "shape"):
        raise TypeError(f"bernoulli_: p must be a number or a tensor, got {type(p).__name__}")
    if is_number(probability) and not 0 <= probability <= 1:
        raise ValueError(f"bernoulli_: p must be in [0, 1], got {probability!r}")
    return _random_fill("bernoulli_", self, lambda g, shape: g.random(shape) < probability,
                        floating=False)


@method("random_", typing="same_type_method")
def random_(self: Any, a: int = 0, b: int | None = None, *, generator: Any = None) -> Any:
    """Fill with integers drawn uniformly from [``a``, ``b``) (``random_(b)``: [0, ``b``);
    ``random_()``: [0, 2**mantissa] for a floating tensor, the dtype's range otherwise)."""
    low, high = (0, a) if b is None and a else (a, b)
    if high is None:
        dtype = self.dtype
        high = (2 ** (np.finfo(dtype).nmant + 1) + 1 if dtype.kind == "f"
                else int(np.iinfo(dtype).max) + 1)
    if not low < high:
        raise ValueError(f"random_: expected from < to, got from={low}, to={high}")
    return _random_fill("random_", self, lambda g, shape: g.integers(low, high, shape),
                        floating=False)
