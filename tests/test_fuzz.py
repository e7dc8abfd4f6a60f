"""Fuzzing the public API with Hypothesis: random programs of operations on random tensors.

A drawn program starts from a pool of random tensors (``Variable``\\ s in float32 or float64,
``Constant``\\ s in float32, float64, int64 or bool; 0-d tensors, empty axes, non-finite,
huge and tiny values included) and applies random operations to random members of the pool,
with random arguments that are sometimes wrong (shapes that do not fit, axes out of range,
arguments of the wrong type). Every call must either

- return the right values: those of NumPy computing the same thing in float64 from the same
  inputs (for integer and bool data with an integer or bool result, NumPy in the data's own
  dtype), rounded to the result's dtype, within a tolerance scaled to the dtype and to the
  operation's conditioning; or the values of NumPy computing in the result's own dtype where
  that overflows the same way; and the dtype PyTorch's promotion gives (``torch.result_type``:
  float32 stays float32, an integer or bool tensor with a Python float, an integer quotient
  and ``sqrt`` of integers are float32, a Python number or a 0-d tensor widens a tensor only
  into a higher category); or
- raise ``mu.ShapeError`` (exactly when the shapes do not fit), ``ValueError``, ``TypeError``
  or ``IndexError``, with a message that names the operation; and only where NumPy raises
  too, or where mushin documents a refusal (``REFUSALS`` below lists each).

Where PyTorch's semantics and NumPy's differ, PyTorch's win (the project's contract), and the
NumPy references compute PyTorch's: ``axis=()`` reduces every axis and a 0-d tensor takes the
axis 0 or -1; ``var``'s correction is 1 by default, and a count not above it gives NaN or
inf; ``squeeze`` keeps a chosen axis whose size is not 1; ``cat`` leaves out 1-axis empty
tensors; ``softmax`` of a 0-d tensor is 1.

So a NaN from finite inputs where NumPy gives a finite number, a wrong dtype, an exception of
another type or an anonymous message all fail. Each successful result joins the pool, so later
operations see the shapes, dtypes and graph histories that earlier ones produced, and the
program ends with a backward pass from its last ``Variable``, whose gradients must have their
leaves' shapes and dtypes.

A second property draws programs of smooth operations on small float64 inputs and checks
their gradients against central finite differences (``mu.testing.gradcheck``).

Profiles: the default one keeps the file under a minute; ``HYPOTHESIS_PROFILE=fuzz-long``
(tests/conftest.py) runs many more programs, e.g.
``HYPOTHESIS_PROFILE=fuzz-long pytest tests/test_fuzz.py``.
"""

from __future__ import annotations

import inspect
import math
import os
import re
import signal
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import fake_cupy
import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.lib.array_utils import normalize_axis_tuple

import mushin as mu
from mushin.nn import activations

Array = np.ndarray[Any, Any]

PROGRAMS = max(1500, settings.default.max_examples)
"""Random programs: 1,500 by default (seconds), the profile's count when it asks for more
(``HYPOTHESIS_PROFILE=fuzz-long``: 5,000); a fifth as many for the gradient checks."""

ALLOWED_ERRORS = (mu.ShapeError, ValueError, TypeError, IndexError)
"""What a wrong call may raise (``ShapeError`` is a ``ValueError``)."""

RELATIVE_TOLERANCE = {np.dtype(np.float16): 4e-3, np.dtype(np.float32): 2e-5,
                      np.dtype(np.float64): 1e-12}
"""Per result dtype, relative to the operation's scale (see ``Operation.scale``)."""

# --- tensors ---------------------------------------------------------------------------------

_DTYPES = (np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.int64), np.dtype(np.bool_))


def _float_elements(dtype: np.dtype[Any], style: str) -> st.SearchStrategy[float]:
    """Values of one style: ordinary, huge, tiny, round or with NaNs and infinities."""
    biggest = 1e30 if dtype == np.float32 else 1e300
    smallest = 1e-30 if dtype == np.float32 else 1e-300
    if style == "huge":
        magnitude = st.floats(biggest / 10, biggest)
    elif style == "tiny":
        magnitude = st.floats(smallest, smallest * 10)
    elif style == "round":
        return st.integers(-4, 4).map(float)
    elif style == "non-finite":
        return st.one_of(st.floats(-3, 3), st.sampled_from([math.nan, math.inf, -math.inf]))
    else:
        return st.floats(-3, 3, width=32 if dtype == np.float32 else 64)
    return st.tuples(magnitude, st.sampled_from([-1.0, 1.0])).map(lambda pair: pair[0] * pair[1])


def _shapes() -> st.SearchStrategy[tuple[int, ...]]:
    """0 to 3 axes of sizes 0 to 4, with size 1 frequent and size 0 occasional."""
    return st.lists(st.sampled_from([1, 1, 2, 3, 4, 0]), max_size=3).map(tuple)


@st.composite
def _tensors(draw: st.DrawFn) -> Any:
    """A random tensor: a Variable or a Constant of a random dtype, shape and value style."""
    dtype = draw(st.sampled_from(_DTYPES))
    shape = draw(_shapes())
    if dtype == np.bool_:
        elements: st.SearchStrategy[Any] = st.booleans()
    elif dtype == np.int64:
        elements = st.integers(-5, 5)
    else:
        elements = _float_elements(dtype, draw(st.sampled_from(
            ["normal", "normal", "round", "huge", "tiny", "non-finite"])))
    values = draw(hnp.arrays(dtype, shape, elements=elements))
    if dtype.kind == "f" and draw(st.booleans()):
        return mu.variable(values, dtype=dtype)
    return mu.constant(values)


# --- wrong arguments ---------------------------------------------------------------------------

_NOT_AN_AXIS = st.sampled_from([1.5, "0", None])


def _axis_argument(draw: st.DrawFn, ndim: int, allow_none: bool = True) -> Any:
    """An axis argument: None, an int or a tuple of ints (valid mostly, sometimes out of range,
    repeated or not an int)."""
    kind = draw(st.sampled_from(["none", "int", "tuple", "tuple", "bad"]
                                if allow_none else ["int", "int", "bad"]))
    if kind == "none":
        return None
    if kind == "int":
        return draw(st.integers(-ndim - 1, ndim))
    if kind == "tuple":
        return tuple(draw(st.lists(st.integers(-ndim - 1, ndim), max_size=3)))
    bad = draw(_NOT_AN_AXIS)
    return (0, bad) if draw(st.booleans()) and bad is not None else bad


# --- the operations -------------------------------------------------------------------------------

def _no_params(draw: st.DrawFn, shapes: list[tuple[int, ...]]) -> dict[str, Any]:
    return {}


def _reduction_params(draw: st.DrawFn, shapes: list[tuple[int, ...]]) -> dict[str, Any]:
    return {"axis": _axis_argument(draw, len(shapes[0])), "keepdims": draw(st.booleans())}


def _var_params(draw: st.DrawFn, shapes: list[tuple[int, ...]]) -> dict[str, Any]:
    """``ddof`` 0, 1 or 2, or left out (the default, correction=1: Bessel's, as PyTorch's)."""
    ddof = draw(st.sampled_from([None, 0, 1, 2]))
    return {**_reduction_params(draw, shapes), **({} if ddof is None else {"ddof": ddof})}


# --- PyTorch's semantics, computed with NumPy --------------------------------------------------

def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _torch_axis(ndim: int, axis: Any) -> Any:
    """A reduction's axis argument as NumPy must see it to compute PyTorch's reduction: ``()``
    is every axis (PyTorch's ``dim=()``), and so is the axis 0 or -1 of a 0-d tensor (its one
    element). Anything else goes on unchanged, so NumPy raises where PyTorch does: an axis
    out of range, repeated (0 and -1 together on a 0-d tensor too) or not an int."""
    if isinstance(axis, tuple) and not axis:
        return None
    if ndim == 0 and axis is not None:
        items = axis if isinstance(axis, tuple) else (axis,)
        if len(items) == 1 and _is_int(items[0]) and items[0] in (0, -1):
            return None
    return axis


def _torch_reduction(function: Callable[..., Any]) -> Callable[..., Any]:
    """A NumPy reduction taking its axis argument as PyTorch's does (``_torch_axis``)."""

    def reference(x: Array, axis: Any = None, keepdims: bool = False, **more: Any) -> Any:
        return function(x, axis=_torch_axis(np.ndim(x), axis), keepdims=keepdims, **more)

    return reference


def _torch_single_axis(function: Callable[..., Any]) -> Callable[..., Any]:
    """A NumPy operation along one axis, which a 0-d tensor takes as 0 or -1 (PyTorch's)."""

    def reference(x: Array, axis: Any) -> Any:
        if np.ndim(x) == 0 and _is_int(axis) and axis in (0, -1):
            return np.reshape(function(np.reshape(x, (1,)), axis=0), ())
        return function(x, axis=axis)

    return reference


def _var_reference(x: Array, axis: Any = None, keepdims: bool = False, ddof: int = 1) -> Any:
    """PyTorch's ``var``: correction=1 by default; NaN or inf where the count is not above
    ``ddof`` (NumPy divides by ``max(0, count - ddof)`` too, with a warning)."""
    return np.var(x, axis=_torch_axis(np.ndim(x), axis), keepdims=keepdims, ddof=ddof)


def _var_scale(x: Array, axis: Any = None, keepdims: bool = False, ddof: int = 1) -> Any:
    return np.mean(x * x, axis=_torch_axis(np.ndim(x), axis), keepdims=keepdims) * (1 + ddof)


def _refuses_softmax(shapes: list[tuple[int, ...]], axis: Any) -> bool:
    return axis is None


def _refuses_reshape(shapes: list[tuple[int, ...]], shape: Any) -> bool:
    return isinstance(shape, tuple) and any(
        isinstance(size, int) and size < -1 for size in shape)


def _logsumexp_reference(x: Array, axis: Any = None, keepdims: bool = False) -> Array:
    peak = np.max(x, axis=axis, keepdims=True) if x.size else np.zeros([1] * x.ndim, x.dtype)
    peak = np.where(np.isfinite(peak), peak, 0)
    result = np.log(np.sum(np.exp(x - peak), axis=axis, keepdims=True)) + peak
    return result if keepdims else np.squeeze(result, axis=axis)


def _softmax_reference(x: Array, axis: int = -1) -> Array:
    # An empty tensor (an empty axis included) gives an empty result, as PyTorch's.
    peak = np.max(x, axis=axis, keepdims=True) if x.size else np.zeros([1] * x.ndim, x.dtype)
    shifted = np.exp(x - peak)
    return shifted / np.sum(shifted, axis=axis, keepdims=True)


def _logsoftmax_reference(x: Array, axis: int = -1) -> Array:
    return x - _logsumexp_reference(x, axis=axis, keepdims=True)


def _sigmoid_reference(x: Array) -> Array:
    return np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))),
                    np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))


def _softplus_reference(x: Array) -> Array:
    return np.where(x > 20, x, np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x))))


def _squeeze_reference(x: Array, axis: Any = None) -> Array:
    """PyTorch's ``squeeze``: of the chosen axes (every axis for None, none for ``()``) those of
    size 1 go and the others stay; a 0-d tensor takes 0 or -1; an axis out of range, repeated
    or not an int raises."""
    if axis is None:
        return np.squeeze(x)
    items = axis if isinstance(axis, tuple) else (axis,)
    if np.ndim(x) == 0 and len(items) == 1 and _is_int(items[0]) and items[0] in (0, -1):
        return x
    chosen = normalize_axis_tuple(axis, np.ndim(x))
    return np.squeeze(x, axis=tuple(index for index in chosen if np.shape(x)[index] == 1))


def _single_axis_params(draw: st.DrawFn, shapes: list[tuple[int, ...]]) -> dict[str, Any]:
    return {"axis": _axis_argument(draw, len(shapes[0]), allow_none=False)}


def _clip_params(draw: st.DrawFn, shapes: list[tuple[int, ...]]) -> dict[str, Any]:
    bound = st.one_of(st.none(), st.floats(-3, 3, width=32))
    return {"lo": draw(bound), "hi": draw(bound)}


def _refuses_clip(shapes: list[tuple[int, ...]], lo: Any = None, hi: Any = None) -> bool:
    return lo is None and hi is None


def _clip_reference(x: Array, lo: Any = None, hi: Any = None) -> Array:
    """NumPy's ``clip``, PyTorch's ``clamp`` too: ``minimum(maximum(x, lo), hi)``, so ``hi``
    where ``lo > hi``."""
    return np.clip(x, lo, hi)


def _reshape_params(draw: st.DrawFn, shapes: list[tuple[int, ...]]) -> dict[str, Any]:
    size = math.prod(shapes[0])
    fitting = [(size,), (1, size), (size, 1), (-1,), (1, -1)]
    if size and size % 2 == 0:
        fitting += [(2, size // 2), (-1, 2)]
    wrong = [(size + 1,), (-1, -1), (2.0,), (-2, 1), "3", (0, -1)]
    return {"shape": draw(st.sampled_from(fitting + wrong))}


def _transpose_params(draw: st.DrawFn, shapes: list[tuple[int, ...]]) -> dict[str, Any]:
    ndim = len(shapes[0])
    permutation = tuple(draw(st.permutations(range(ndim))))
    wrong = [(0,) * (ndim + 1), tuple(range(ndim + 1)), (1.0,) * ndim]
    return {"axes": draw(st.one_of(st.none(), st.just(permutation), st.just(
        tuple(axis - ndim for axis in permutation)), st.sampled_from(wrong)))}


def _expand_dims_params(draw: st.DrawFn, shapes: list[tuple[int, ...]]) -> dict[str, Any]:
    ndim = len(shapes[0])
    return {"axis": draw(st.one_of(st.integers(-ndim - 2, ndim + 1),
                                   st.just((0, -1)), st.just((0, 0))))}


def _squeeze_params(draw: st.DrawFn, shapes: list[tuple[int, ...]]) -> dict[str, Any]:
    return {"axis": _axis_argument(draw, len(shapes[0]))}


def _broadcast_to_params(draw: st.DrawFn, shapes: list[tuple[int, ...]]) -> dict[str, Any]:
    shape = shapes[0]
    grown = tuple(draw(st.sampled_from([size, 3]) if size == 1 else st.just(size))
                  for size in shape)
    lead = tuple(draw(st.lists(st.sampled_from([1, 2]), max_size=2)))
    wrong = [shape[1:] if shape else (-1,), (*shape[:-1], shape[-1] + 1) if shape and shape[-1]
             != 1 else (2.5,)]
    return {"shape": draw(st.one_of(st.just(lead + grown), st.sampled_from(wrong)))}


def _astype_params(draw: st.DrawFn, shapes: list[tuple[int, ...]]) -> dict[str, Any]:
    return {"dtype": draw(st.sampled_from(["float32", "float64", np.float16, "int64", "bool",
                                           "float7", 3]))}


def _refuses_astype(shapes: list[tuple[int, ...]], dtype: Any, *,
                    operands: list[Any]) -> bool:
    target = np.dtype(dtype) if dtype not in ("float7", 3) else None
    return isinstance(operands[0], mu.Variable) and (target is None or target.kind != "f")


def _index_item(draw: st.DrawFn, size: int) -> Any:
    return draw(st.one_of(
        st.integers(-size - 1, size),
        st.builds(slice, st.one_of(st.none(), st.integers(-size - 1, size + 1)),
                  st.one_of(st.none(), st.integers(-size - 1, size + 1)),
                  st.sampled_from([None, 1, 2, -1, 0])),
        st.just(None), st.just(Ellipsis),
        hnp.arrays(np.int64, st.integers(0, 3), elements=st.integers(-size - 1, size)),
        hnp.arrays(np.bool_, st.sampled_from([size, size, size + 1])),
        st.just(1.0)))


def _getitem_params(draw: st.DrawFn, shapes: list[tuple[int, ...]]) -> dict[str, Any]:
    shape = shapes[0]
    count = draw(st.integers(1, len(shape) + 1))
    items = [_index_item(draw, shape[position] if position < len(shape) else 1)
             for position in range(count)]
    return {"index": items[0] if count == 1 and draw(st.booleans()) else tuple(items)}


def _refuses_getitem(shapes: list[tuple[int, ...]], index: Any) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return any(isinstance(item, np.ndarray) and item.dtype == np.bool_ and item.size == 0
               for item in items)


def _getitem(x: Any, index: Any) -> Any:
    return x[index]


def _where(condition: Any, first: Any, second: Any) -> Any:
    return mu.where(condition, first, second)


def _concat_params(draw: st.DrawFn, shapes: list[tuple[int, ...]]) -> dict[str, Any]:
    return {"axis": draw(st.integers(-len(shapes[0]) - 1, len(shapes[0])))}


def _n_ary(function: Callable[..., Any]) -> Callable[..., Any]:
    return lambda *tensors, axis: function(list(tensors), axis)


def _concat_reference(*arrays: Any, axis: Any) -> Array:
    """NumPy's ``concatenate`` with PyTorch's legacy rule for ``cat``: 1-axis empty tensors are
    left out when others are not (their dtypes still count: ``_joined_dtype``)."""
    kept = [array for array in arrays if not (
        isinstance(array, np.ndarray) and array.shape == (0,))]
    return np.concatenate(kept or list(arrays), axis)


# --- result dtypes: PyTorch's promotion ----------------------------------------------------------

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}
_BOOL, _INT64 = np.dtype(np.bool_), np.dtype(np.int64)
_FLOAT32, _FLOAT64 = np.dtype(np.float32), np.dtype(np.float64)


def _number_dtype(value: Any) -> np.dtype[Any] | None:
    """The dtype a number takes alone, as PyTorch wraps it: bool, int64 or float32 (the default
    dtype); a NumPy scalar its own (mushin's documented rule); None for a non-number."""
    if isinstance(value, np.generic):
        return value.dtype
    if isinstance(value, bool):
        return _BOOL
    if isinstance(value, int):
        return _INT64
    if isinstance(value, float):
        return _FLOAT32
    return None


def _promote(first: np.dtype[Any] | None, second: np.dtype[Any] | None) -> Any:
    """PyTorch's ``promoteTypes``: across categories (bool < integer < floating) the higher
    one's dtype (int64 with float32 is float32, not NumPy's float64), within one the wider."""
    if first is None or second is None:
        return first if second is None else second
    if _CATEGORY[first.kind] != _CATEGORY[second.kind]:
        return first if _CATEGORY[first.kind] > _CATEGORY[second.kind] else second
    return np.promote_types(first, second)


def _combine(higher: Any, lower: Any) -> Any:
    """PyTorch's ``combine_categories``: a lower tier counts only if its category is higher."""
    if higher is None or lower is None:
        return lower if higher is None else higher
    return _promote(higher, lower) if _CATEGORY[lower.kind] > _CATEGORY[higher.kind] else higher


def _promoted_dtype(*operands: Any) -> np.dtype[Any] | None:
    """PyTorch's result dtype (``torch.result_type``) of operands given as NumPy sees them:
    arrays with axes decide; 0-d arrays, then numbers, widen them only into a higher category
    (``int64 tensor * 2.5`` is float32, ``float32 tensor + float64 0-d tensor`` float32).
    None if an operand is not a number or an array (mushin must refuse it)."""
    tiers: list[Any] = [None, None, None]
    for operand in operands:
        if isinstance(operand, np.ndarray):
            tier, dtype = (0 if operand.ndim else 1), operand.dtype
        else:
            tier, dtype = 2, _number_dtype(operand)
            if dtype is None:
                return None
        tiers[tier] = _promote(tiers[tier], dtype)
    result: np.dtype[Any] | None = _combine(tiers[0], _combine(tiers[1], tiers[2]))
    return result


def _promotion(*operands: Any, **_: Any) -> np.dtype[Any] | None:
    return _promoted_dtype(*operands)


def _floating(*operands: Any, **_: Any) -> np.dtype[Any] | None:
    """True division and floating functions (``exp``, ``sqrt``...): integers and bools give
    float32, PyTorch's default dtype (NumPy's float64, or float16 for bools)."""
    found = _promoted_dtype(*operands)
    return _FLOAT32 if found is not None and found.kind in "biu" else found


def _boolean(*operands: Any, **_: Any) -> np.dtype[Any] | None:
    return _BOOL if _promoted_dtype(*operands) is not None else None


def _where_dtype(condition: Any, first: Any, second: Any) -> np.dtype[Any] | None:
    return _promoted_dtype(first, second) if _promoted_dtype(condition) is not None else None


def _clip_dtype(x: Any, lo: Any = None, hi: Any = None) -> np.dtype[Any] | None:
    return _promoted_dtype(x, *(bound for bound in (lo, hi) if bound is not None))


def _joined_dtype(*operands: Any, **_: Any) -> np.dtype[Any] | None:
    """``cat`` and ``stack``: every operand is a tensor (a number one as ``mu.tensor`` makes it:
    float32, int64, bool), so 0-d ones and numbers count in full."""
    dtypes = [operand.dtype if isinstance(operand, np.ndarray) else _number_dtype(operand)
              for operand in operands]
    if any(dtype is None for dtype in dtypes):
        return None
    result = None
    for dtype in dtypes:
        result = _promote(result, dtype)
    return result


def _sum_dtype(x: Array, **_: Any) -> np.dtype[Any]:
    """Integers and bools sum to int64 (PyTorch's and NumPy's)."""
    return _INT64 if x.dtype.kind in "biu" else x.dtype


def _mean_dtype(x: Array, **_: Any) -> np.dtype[Any]:
    """``mean`` and ``var`` of integers and bools: float64, mushin's documented choice where
    PyTorch refuses them (docs/api.md, Reductions)."""
    found: np.dtype[Any] = _FLOAT64 if x.dtype.kind in "biu" else x.dtype
    return found


def _astype_dtype(x: Array, dtype: Any) -> np.dtype[Any] | None:
    try:
        return np.dtype(dtype)
    except TypeError:
        return None


@dataclass(frozen=True)
class Operation:
    """One operation of the API, its NumPy counterpart and what it documents refusing.

    ``reference`` computes with NumPy on arrays of any dtype, with PyTorch's semantics where
    they differ from NumPy's (``axis=()``, the axis of a 0-d tensor, ``squeeze`` of an axis
    whose size is not 1...); ``dtype`` gives the result dtype PyTorch's promotion gives (from
    the operands as NumPy sees them and the parameters); ``scale`` (default: the reference's
    magnitude) bounds the rounding error the operation may make, for operations whose result
    can be much smaller than their terms (sums, differences, products of matrices);
    ``refuses`` says when mushin may refuse a call that the reference would answer.
    """

    names: tuple[str, ...]
    arity: int
    call: Callable[..., Any]
    reference: Callable[..., Any]
    params: Callable[[st.DrawFn, list[tuple[int, ...]]], dict[str, Any]] = _no_params
    scale: Callable[..., Any] | None = None
    refuses: Callable[..., bool] | None = None
    dtype: Callable[..., np.dtype[Any] | None] = _promotion
    floats_only: bool = False
    weights: int = 1
    tags: frozenset[str] = field(default_factory=frozenset)


def _abs_sum(*arrays: Any) -> Any:
    return sum(np.abs(array) for array in arrays)


def _reduced_abs(function: Callable[..., Any]) -> Callable[..., Any]:
    return lambda x, **params: function(np.abs(x), **{
        key: value for key, value in params.items() if key != "ddof"})


OPERATIONS: dict[str, Operation] = {
    "add": Operation(("add",), 2, lambda a, b: a + b, lambda a, b: a + b, scale=_abs_sum,
                     weights=3, tags=frozenset({"broadcast"})),
    "sub": Operation(("sub", "subtract"), 2, lambda a, b: a - b, lambda a, b: a - b,
                     scale=_abs_sum, weights=2, tags=frozenset({"broadcast"})),
    "mul": Operation(("mul", "multiply"), 2, lambda a, b: a * b, lambda a, b: a * b,
                     weights=3, tags=frozenset({"broadcast"})),
    "div": Operation(("div", "divide"), 2, lambda a, b: a / b, lambda a, b: a / b,
                     dtype=_floating, weights=2, tags=frozenset({"broadcast"})),
    "pow": Operation(("pow", "power"), 2, lambda a, b: a ** b, lambda a, b: a ** b,
                     tags=frozenset({"broadcast"})),
    "maximum": Operation(("maximum",), 2, mu.maximum, np.maximum,
                         tags=frozenset({"broadcast"})),
    "minimum": Operation(("minimum",), 2, mu.minimum, np.minimum,
                         tags=frozenset({"broadcast"})),
    "less": Operation(("less",), 2, lambda a, b: a < b, lambda a, b: a < b, dtype=_boolean,
                      tags=frozenset({"broadcast"})),
    "equal": Operation(("equal",), 2, lambda a, b: a == b, lambda a, b: a == b,
                       dtype=_boolean, tags=frozenset({"broadcast"})),
    "logical_and": Operation(("logical_and", "bitwise_and"), 2, lambda a, b: a & b,
                             lambda a, b: a & b, tags=frozenset({"broadcast"})),
    "neg": Operation(("neg", "negative"), 1, lambda x: -x, lambda x: -x),
    "exp": Operation(("exp",), 1, mu.exp, np.exp, dtype=_floating),
    "log": Operation(("log",), 1, mu.log, np.log, dtype=_floating),
    "sqrt": Operation(("sqrt",), 1, mu.sqrt, np.sqrt, dtype=_floating),
    "abs": Operation(("abs", "absolute"), 1, mu.abs, np.abs),
    "sin": Operation(("sin",), 1, mu.sin, np.sin, dtype=_floating),
    "cos": Operation(("cos",), 1, mu.cos, np.cos, dtype=_floating),
    "tanh": Operation(("tanh",), 1, mu.tanh, np.tanh, dtype=_floating),
    # mu.clip is mu.clamp, PyTorch's name, which its messages give.
    "clip": Operation(("clip", "clamp"), 1, mu.clip, _clip_reference, _clip_params,
                      refuses=_refuses_clip, dtype=_clip_dtype),
    "astype": Operation(("astype",), 1, mu.astype, lambda x, dtype: x.astype(dtype),
                        _astype_params, refuses=_refuses_astype, dtype=_astype_dtype),
    # max and min are called with axis= (the values); max(x, int) is PyTorch's
    # (values, indices).
    "sum": Operation(("sum",), 1, mu.sum, _torch_reduction(np.sum), _reduction_params,
                     scale=_reduced_abs(_torch_reduction(np.sum)), dtype=_sum_dtype,
                     weights=2),
    "mean": Operation(("mean",), 1, mu.mean, _torch_reduction(np.mean), _reduction_params,
                      scale=_reduced_abs(_torch_reduction(np.mean)), dtype=_mean_dtype),
    "max": Operation(("max", "amax", "maximum"), 1, mu.max, _torch_reduction(np.max),
                     _reduction_params),
    "min": Operation(("min", "amin", "minimum"), 1, mu.min, _torch_reduction(np.min),
                     _reduction_params),
    "var": Operation(("var",), 1, mu.var, _var_reference, _var_params, scale=_var_scale,
                     dtype=_mean_dtype),
    "logsumexp": Operation(("logsumexp",), 1, mu.logsumexp,
                           _torch_reduction(_logsumexp_reference), _reduction_params,
                           scale=_reduced_abs(_torch_reduction(_logsumexp_reference)),
                           dtype=_floating),
    "reshape": Operation(("reshape",), 1, mu.reshape, lambda x, shape: np.reshape(x, shape),
                         _reshape_params, refuses=_refuses_reshape, tags=frozenset({"shape"})),
    "transpose": Operation(("transpose",), 1, mu.transpose,
                           lambda x, axes: np.transpose(x, axes), _transpose_params,
                           tags=frozenset({"shape"})),
    "matrix_transpose": Operation(("matrix_transpose", "mt"), 1, lambda x: x.mT,
                                  lambda x: np.swapaxes(x, -1, -2), tags=frozenset({"shape"})),
    "flatten": Operation(("flatten",), 1, mu.flatten, np.ravel, tags=frozenset({"shape"})),
    "expand_dims": Operation(("expand_dims",), 1, mu.expand_dims, np.expand_dims,
                             _expand_dims_params, tags=frozenset({"shape"})),
    "squeeze": Operation(("squeeze",), 1, mu.squeeze, _squeeze_reference, _squeeze_params,
                         tags=frozenset({"shape"})),
    "broadcast_to": Operation(("broadcast_to",), 1, mu.broadcast_to, np.broadcast_to,
                              _broadcast_to_params, tags=frozenset({"shape"})),
    "getitem": Operation(("getitem", "index", "indices"), 1, _getitem, _getitem,
                         _getitem_params, refuses=_refuses_getitem, weights=2,
                         tags=frozenset({"shape"})),
    "matmul": Operation(("matmul",), 2, lambda a, b: a @ b, lambda a, b: a @ b,
                        scale=lambda a, b: np.abs(a) @ np.abs(b), weights=2),
    "where": Operation(("where",), 3, _where, np.where, dtype=_where_dtype),
    "concat": Operation(("concat", "concatenate"), 2, _n_ary(mu.concat), _concat_reference,
                        _concat_params, dtype=_joined_dtype),
    "stack": Operation(("stack",), 2, _n_ary(mu.stack), _n_ary(np.stack), _concat_params,
                       dtype=_joined_dtype),
    "relu": Operation(("relu",), 1, activations.relu, lambda x: np.maximum(x, 0),
                      floats_only=True),
    "sigmoid": Operation(("sigmoid",), 1, activations.sigmoid, _sigmoid_reference,
                         floats_only=True),
    "softplus": Operation(("softplus",), 1, activations.softplus, _softplus_reference,
                          floats_only=True),
    "softmax": Operation(("softmax",), 1, activations.softmax,
                         _torch_single_axis(_softmax_reference), _single_axis_params,
                         scale=lambda x, axis: np.ones_like(x), refuses=_refuses_softmax,
                         floats_only=True),
    "logsoftmax": Operation(("logsoftmax",), 1, activations.logsoftmax,
                            _torch_single_axis(_logsoftmax_reference), _single_axis_params,
                            scale=_torch_single_axis(lambda x, axis: np.abs(x) + (
                                _logsumexp_reference(np.abs(x), axis=axis, keepdims=True))),
                            refuses=_refuses_softmax, floats_only=True),
}

REFUSALS = {
    "clip": "neither bound: ValueError, as PyTorch's clamp (NumPy returns x unchanged)",
    "reshape": "a negative size other than one -1, as PyTorch (NumPy treats any negative size "
               "as -1)",
    "getitem": "an empty boolean index for an axis of another size, as PyTorch (NumPy takes it "
               "as an empty integer index)",
    "astype": "a Variable to an integer or bool dtype (a Variable is always floating)",
    "softmax, logsoftmax": "axis=None: TypeError, as PyTorch's (they work along one axis)",
    "every operation": "an operand that is not a number, an array or a tensor (a string, a "
                       "dict...): TypeError, where NumPy may compare or stack it as an object",
}
"""The calls mushin refuses although the reference computes something (see
``Operation.refuses``). The references follow PyTorch where its semantics and NumPy's differ,
so what PyTorch computes and NumPy refuses is checked, not listed: reductions over ``axis=()``
(every axis) and over the axis 0 or -1 of a 0-d tensor, ``var`` where the count is not above
``ddof`` (NaN or inf), ``mean`` and ``logsumexp`` over an empty axis (NaN, -inf),
``squeeze`` of an axis whose size is not 1 (kept), ``softmax`` of a 0-d tensor or over an
empty axis. ``max`` and ``min`` over an empty axis raise as NumPy's do."""

_OPERATION_NAMES = sorted(OPERATIONS)
_OPERATION_WEIGHTS = [name for name in _OPERATION_NAMES
                      for _ in range(OPERATIONS[name].weights)]

_NOT_A_TENSOR = st.sampled_from(["text", None, {"a": 1}, object()])
_PYTHON_SCALARS = st.one_of(st.floats(-3, 3, width=32), st.integers(-3, 3), st.booleans())


# --- checking one call ----------------------------------------------------------------------------

def _host(value: Any) -> Any:
    """An operand as NumPy sees it: tensors become arrays, everything else stays."""
    return value.numpy() if isinstance(value, mu.Tensor) else value


def _in_dtype(value: Any, dtype: np.dtype[Any] | None) -> Any:
    """An integer or bool array in the result's dtype where that is floating (PyTorch computes
    ``int64 tensor * 0.5`` and ``sqrt`` of integers in float32), anything else unchanged."""
    if dtype is not None and dtype.kind == "f" and isinstance(value, np.ndarray) and (
            value.dtype.kind in "biu"):
        return value.astype(dtype)
    return value


def _as_float64(value: Any, dtype: np.dtype[Any] | None) -> Any:
    """A floating array in float64; an integer or bool one too where the result is floating."""
    if isinstance(value, np.ndarray) and (value.dtype.kind == "f" or (
            dtype is not None and dtype.kind == "f" and value.dtype.kind in "biu")):
        return value.astype(np.float64)
    return value


def _expected_dtype(operation: Operation, host: list[Any], params: dict[str, Any]) -> Any:
    """The result dtype PyTorch's promotion gives the call; None where there is none (an
    operand that is not numeric, a dtype that does not exist)."""
    try:
        return operation.dtype(*host, **params)
    except (TypeError, KeyError):
        return None


def _numpy(function: Callable[..., Any], operands: list[Any], params: dict[str, Any]) -> Any:
    """``function`` on the operands: the result, or the exception NumPy raised."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return np.asarray(function(*operands, **params))
        except Exception as error:
            return error


def _shapes_fit(name: str, shapes: list[tuple[int, ...] | None]) -> bool:
    """Whether the operands' shapes fit the operation (mu.ShapeError exactly when not)."""
    if any(shape is None for shape in shapes):
        return True
    known = [shape for shape in shapes if shape is not None]
    operation = OPERATIONS[name]
    if "broadcast" in operation.tags or name == "where":
        try:
            np.broadcast_shapes(*known)
        except ValueError:
            return False
    if name == "matmul":
        first, second = known
        if not first or not second:
            return False
        inner = second[0] if len(second) == 1 else second[-2]
        if first[-1] != inner:
            return False
        try:
            np.broadcast_shapes(first[:-2], second[:-2])
        except ValueError:
            return False
    return True


def _check_error_type(name: str, error: Exception, shapes: list[tuple[int, ...] | None],
                      numpy_result: Any, context: str) -> None:
    """``ShapeError`` exactly when broadcasting or a matrix product's shapes do not fit (or
    the same error as NumPy where it objects to something else first, such as a dtype); for
    shape operations, whichever NumPy-like error; never ``ShapeError`` elsewhere."""
    operation = OPERATIONS[name]
    if "broadcast" in operation.tags or name in ("where", "matmul"):
        if _shapes_fit(name, shapes):
            assert not isinstance(error, mu.ShapeError), (
                f"{context}: ShapeError for shapes that fit: {error}")
        else:
            assert isinstance(error, mu.ShapeError) or (
                isinstance(error, TypeError) and isinstance(numpy_result, TypeError)), (
                f"{context}: {type(error).__name__} instead of ShapeError: {error}")
    elif "shape" not in operation.tags and name not in ("concat", "stack"):
        assert not isinstance(error, mu.ShapeError), (
            f"{context}: ShapeError from an operation that takes any shape: {error}")


def _names_the_operation(message: str, names: tuple[str, ...]) -> bool:
    return any(re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])",
                         message, re.IGNORECASE) for name in names)


def _close(actual: Array, expected: Array, scale: Array, dtype: np.dtype[Any]) -> Array:
    """Elementwise: equal (NaN to NaN, infinities of the same sign), or within tolerance."""
    with np.errstate(all="ignore"):
        tolerance = RELATIVE_TOLERANCE[dtype] * np.maximum(np.abs(scale), np.abs(expected))
        tolerance = np.maximum(tolerance, np.finfo(dtype).tiny * 4)
        same = (actual == expected) | (np.isnan(actual) & np.isnan(expected))
        near = np.isfinite(actual) & np.isfinite(expected) & (
            np.abs(actual - expected) <= tolerance)
    result: Array = same | near
    return result


def _check_values(name: str, result: Any, precise: Any, same_dtype: Any, scale: Any,
                  context: str, finite_inputs: bool = True, *,
                  dtype: np.dtype[Any] | None) -> None:
    """``result`` against NumPy's ``precise`` (float64) and ``same_dtype`` (in the result's
    dtype) values, and its dtype against ``dtype``, the one PyTorch's promotion gives."""
    actual = result.numpy()
    assert actual.dtype.kind in "biuf", f"{context}: an array of {actual.dtype}"
    assert actual.shape == np.shape(same_dtype), f"{context}: shape {actual.shape}"
    if not OPERATIONS[name].floats_only:
        assert actual.dtype == dtype, (
            f"{context}: dtype {actual.dtype}, PyTorch's promotion gives {dtype}")
    if actual.dtype.kind != "f":
        np.testing.assert_array_equal(actual, same_dtype, err_msg=context)
        return
    with np.errstate(all="ignore"):
        rounded = np.asarray(precise, dtype=np.float64).astype(actual.dtype)
        scale = np.broadcast_to(np.asarray(scale, dtype=np.float64), actual.shape).astype(
            actual.dtype)
        same = np.asarray(same_dtype).astype(actual.dtype)
    good = _close(actual, rounded, scale, actual.dtype) | _close(
        actual, same, scale, actual.dtype)
    if not finite_inputs:
        # NaNs or infinities in: where NumPy's result is not finite either, which of NaN and
        # infinity comes out depends on the formula (softmax of [inf, 1]), so either will do.
        good |= ~np.isfinite(actual) & ~np.isfinite(rounded)
    if not bool(np.all(good)):
        worst = np.argwhere(~good)[0]
        raise AssertionError(
            f"{context}: element {tuple(worst)} is {actual[tuple(worst)]!r}, NumPy in float64 "
            f"gives {rounded[tuple(worst)]!r} (in {actual.dtype}: "
            f"{np.asarray(same_dtype)[tuple(worst)]!r})")


@dataclass
class Pool:
    """The tensors a program has made so far (the drawn inputs first)."""

    tensors: list[Any]
    leaves: list[mu.Variable[Any]]


def _draw_operand(draw: st.DrawFn, pool: Pool) -> Any:
    kind = draw(st.sampled_from(["pool"] * 12 + ["scalar", "array", "wrong"]))
    if kind == "pool":
        return draw(st.sampled_from(pool.tensors))
    if kind == "scalar":
        return draw(_PYTHON_SCALARS)
    if kind == "array":
        return draw(_tensors()).numpy()
    return draw(_NOT_A_TENSOR)


def _run_one(draw: st.DrawFn, pool: Pool) -> None:
    """Draw one call, run it, check it against NumPy, and add a successful result to the pool."""
    name = draw(st.sampled_from(_OPERATION_WEIGHTS))
    operation = OPERATIONS[name]
    operands = [draw(st.sampled_from(pool.tensors))]
    operands += [_draw_operand(draw, pool) for _ in range(operation.arity - 1)]
    if operation.floats_only and isinstance(operands[0], mu.Tensor) and (
            operands[0].dtype.kind != "f"):
        operands[0] = operands[0].astype("float32")
    shapes = [tuple(np.shape(_host(operand))) if isinstance(
        operand, mu.Tensor | np.ndarray | float | int | bool) else None for operand in operands]
    params = operation.params(draw, [shape or () for shape in shapes])
    context = (f"{name}({', '.join(_describe(operand) for operand in operands)}"
               f"{''.join(f', {key}={value!r}' for key, value in params.items())})")

    host = [_host(operand) for operand in operands]
    dtype = _expected_dtype(operation, host, params)
    same_dtype = _numpy(operation.reference, [_in_dtype(value, dtype) for value in host], params)
    wide = [_as_float64(value, dtype) for value in host]
    precise = _numpy(operation.reference, wide, params)
    refused = operation.refuses is not None and all(
        shape is not None for shape in shapes) and _refusal(operation, shapes, params,
                                                             operands)
    not_numeric = any(shape is None for shape in shapes)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = operation.call(*operands, **params)
        except ALLOWED_ERRORS as error:
            event(f"{name}: raised")
            message = str(error)
            assert message, f"{context}: {type(error).__name__} without a message"
            assert _names_the_operation(message, operation.names), (
                f"{context}: the message does not name the operation: {message!r}")
            _check_error_type(name, error, shapes, same_dtype, context)
            refused = refused or (not_numeric and isinstance(error, TypeError))
            assert isinstance(same_dtype, Exception) or refused, (
                f"{context}: raised {type(error).__name__}({message!r}) but NumPy gives a "
                "result")
            return
    assert not isinstance(same_dtype, Exception), (
        f"{context}: returned a result but NumPy raises {same_dtype!r}")
    event(f"{name}: returned")
    scale = precise
    if operation.scale is not None:
        scale = _numpy(operation.scale, wide, params)
    finite_inputs = all(bool(np.all(np.isfinite(value))) for value in host
                        if isinstance(value, np.ndarray | float) and np.asarray(value).dtype.kind
                        == "f")
    _check_values(name, result, precise, same_dtype, scale, context, finite_inputs,
                  dtype=dtype)
    pool.tensors.append(result)


def _refusal(operation: Operation, shapes: list[Any], params: dict[str, Any],
             operands: list[Any]) -> bool:
    """Whether mushin documents refusing this call; False for arguments so wrong that the
    predicate cannot judge them (NumPy raises for those anyway)."""
    assert operation.refuses is not None
    try:
        if operation.refuses is _refuses_astype:
            return _refuses_astype(shapes, operands=operands, **params)
        return operation.refuses(shapes, **params)
    except (IndexError, TypeError):
        return False


def _describe(value: Any) -> str:
    if isinstance(value, mu.Tensor):
        return f"{type(value).__name__}{value.shape}:{value.dtype}"
    if isinstance(value, np.ndarray):
        return f"ndarray{value.shape}:{value.dtype}"
    return repr(value)


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
          deadline=None, max_examples=PROGRAMS)
@given(st.data())
def test_random_programs_match_numpy_or_raise_documented_errors(data: st.DataObject) -> None:
    draw = data.draw
    pool = Pool([], [])
    for _ in range(draw(st.integers(1, 3))):
        tensor = draw(_tensors())
        pool.tensors.append(tensor)
        if isinstance(tensor, mu.Variable):
            pool.leaves.append(tensor)
    for _ in range(draw(st.integers(1, 8))):
        _run_one(draw, pool)
    last = next((tensor for tensor in reversed(pool.tensors)
                 if isinstance(tensor, mu.Variable)), None)
    if last is None:
        return
    seed = draw(hnp.arrays(last.dtype, last.shape, elements=st.floats(-2, 2, width=32)))
    with np.errstate(all="ignore"):
        last.backward(seed)
    for leaf in pool.leaves:
        gradient = leaf.grad()
        assert gradient.shape == leaf.shape
        assert gradient.dtype == leaf.dtype


# --- gradients of random smooth programs ----------------------------------------------------------

SMOOTH_UNARY: dict[str, Callable[[Any], Any]] = {
    "sin": mu.sin,
    "cos": mu.cos,
    "tanh": mu.tanh,
    "sigmoid": activations.sigmoid,
    "softplus": activations.softplus,
    "gelu": activations.gelu,
    "bump": lambda x: mu.exp(-(x * x)),
    "root": lambda x: mu.sqrt(1 + x * x),
    "log": lambda x: mu.log(1 + x * x),
    "reciprocal": lambda x: 1 / (1 + x * x),
    "affine": lambda x: 0.5 * x - 1,
    "neg": lambda x: -x,
    "power": lambda x: (1 + x * x) ** 1.5,
    "flatten": mu.flatten,
    "transpose": mu.transpose,
}

SMOOTH_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (1 + b * b),
    "pow": lambda a, b: (1 + a * a) ** mu.tanh(b),
}


def _smooth_step(draw: st.DrawFn, shapes: list[tuple[int, ...]]) -> tuple[Any, ...]:
    """One step of a smooth program: (kind, operand positions, arguments)."""
    first = draw(st.integers(0, len(shapes) - 1))
    shape = shapes[first]
    kinds = ["unary"] * 3 + ["binary"] * 2
    if shape:
        kinds += ["reduce", "softmax", "index", "broadcast", "concat"]
    if len(shape) >= 2:
        kinds += ["matmul"]
    kind = draw(st.sampled_from(kinds))
    if kind == "unary":
        return kind, (first,), draw(st.sampled_from(sorted(SMOOTH_UNARY)))
    if kind == "binary":
        partners = [index for index, other in enumerate(shapes) if _broadcasts(shape, other)]
        return kind, (first, draw(st.sampled_from(partners))), draw(
            st.sampled_from(sorted(SMOOTH_BINARY)))
    if kind == "reduce":
        axis = draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
        reduction = draw(st.sampled_from(["sum", "mean", "logsumexp", "var"]))
        count = math.prod(shape) if axis is None else shape[axis]
        # var's default correction=1 over one element is 0/0: the population variance there.
        extra = {"ddof": 0} if reduction == "var" and count <= 1 else {}
        return kind, (first,), (reduction, axis, draw(st.booleans()), extra)
    if kind == "softmax":
        return kind, (first,), (draw(st.sampled_from(["softmax", "logsoftmax"])),
                                draw(st.integers(-len(shape), len(shape) - 1)))
    if kind == "index":
        return kind, (first,), (slice(None, None, draw(st.sampled_from([1, -1, 2]))),)
    if kind == "broadcast":
        return kind, (first,), (2, *shape)
    if kind == "concat":
        same = [index for index, other in enumerate(shapes) if other == shape]
        return kind, (first, draw(st.sampled_from(same))), draw(
            st.integers(-len(shape), len(shape) - 1))
    return kind, (first,), None


def _broadcasts(first: tuple[int, ...], second: tuple[int, ...]) -> bool:
    try:
        np.broadcast_shapes(first, second)
    except ValueError:
        return False
    return True


def _apply_smooth_step(step: tuple[Any, ...], values: list[Any]) -> Any:
    kind, positions, arguments = step
    operands = [values[position] for position in positions]
    if kind == "unary":
        return SMOOTH_UNARY[arguments](operands[0])
    if kind == "binary":
        return SMOOTH_BINARY[arguments](*operands)
    if kind == "reduce":
        reduction, axis, keepdims, extra = arguments
        return getattr(mu, reduction)(operands[0], axis=axis, keepdims=keepdims, **extra)
    if kind == "softmax":
        function, axis = arguments
        return getattr(activations, function)(operands[0], axis=axis)
    if kind == "index":
        return operands[0][arguments]
    if kind == "broadcast":
        return mu.broadcast_to(operands[0], arguments)
    if kind == "concat":
        return mu.concat(operands, axis=arguments)
    return operands[0] @ operands[0].mT


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
          deadline=None, max_examples=PROGRAMS // 5)
@given(st.data())
def test_gradients_of_random_smooth_programs_match_finite_differences(
        data: st.DataObject) -> None:
    draw = data.draw
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=draw(st.integers(1, 3)),
                                                    max_dims=3, max_side=3)).input_shapes
    inputs = [draw(hnp.arrays(np.float64, shape, elements=st.floats(-1.5, 1.5)))
              for shape in shapes]
    steps: list[tuple[Any, ...]] = []
    values: list[Any] = [mu.variable(array, dtype="float64") for array in inputs]
    for _ in range(draw(st.integers(1, 5))):
        step = _smooth_step(draw, [value.shape for value in values])
        values.append(_apply_smooth_step(step, values))
        steps.append(step)

    def program(*leaves: Any) -> Any:
        replayed = list(leaves)
        for step in steps:
            replayed.append(_apply_smooth_step(step, replayed))
        return replayed[-1]

    assert mu.testing.gradcheck(program, *inputs, atol=1e-5, rtol=1e-4)


# --- every public function, called with hostile arguments ----------------------------------------
#
# Each public callable of the namespaces below is called first with plausible arguments (chosen
# by the parameter's name, trying a few tensor shapes until one call works), then once per
# parameter and hostile value with that one argument replaced. A layer (an ``nn.Module`` class)
# is also built from its plausible arguments and its ``forward`` swept the same way. Every call
# must return, or raise one of ``SWEEP_ERRORS`` with a message naming the function called; an
# ``AttributeError``, a ``KeyError``, an ``OverflowError``, NumPy's own message, or a call that
# runs longer than ``SWEEP_SECONDS`` fails. A second property draws random calls with several
# hostile arguments at once.

SWEPT_NAMESPACES: dict[str, Any] = {
    "mu": mu, "mu.nn": mu.nn, "mu.nn.functional": mu.nn.functional, "mu.nn.init": mu.nn.init,
    "mu.nn.losses": mu.nn.losses, "mu.nn.activations": mu.nn.activations,
    "mu.nn.ops": mu.nn.ops, "mu.nn.optimizers": mu.nn.optimizers,
    "mu.nn.schedulers": mu.nn.schedulers, "mu.nn.utils": mu.nn.utils,
    "mu.distributions": mu.distributions, "mu.linalg": mu.linalg, "mu.special": mu.special,
    "mu.distributed": mu.distributed,
}
"""The namespaces swept: each one's ``__all__`` (``mu.nn.init``, which has none, by the
functions it defines)."""

SWEEP_ERRORS = (ValueError, TypeError, IndexError, RuntimeError, NotImplementedError,
                ZeroDivisionError)
"""What a public function may raise for a bad argument, its message naming the function
(docs/api.md#errors: ``ShapeError`` is a ``ValueError``, ``mu.distributed.DistributedError``
a ``RuntimeError``, ``ZeroDivisionError`` the documented refusal of an integer division by
zero); ``mu.load`` and ``mu.save`` may raise Python's ``OSError`` too (a path that does not
exist), which names the file."""

SWEEP_SECONDS = 5.0
"""A call that takes longer hangs (the slowest good call takes milliseconds)."""

NOT_SWEPT = {
    "mu.distributed.init": "joins the MPI world (importing mpi4py) whenever its arguments are "
                           "good; tests/test_distributed.py checks its refusals",
}
"""Public callables the sweep leaves out, and why."""

SWEEP_PENDING: dict[str, str] = {
}
"""Callables whose refusals are still to be fixed outside this change, each with the file
that raises (each an expected failure, strict: a fixed one must leave the list)."""

_FAKE_DEVICE = "fake:0"


def _hostile_values() -> dict[str, Any]:
    """The hostile arguments, made afresh for each call (a call may change a tensor in place)."""
    return {
        "None": None, "a string": "text", "a dict": {"a": 1}, "a ragged list": [[1, 2], [3]],
        "NaN": math.nan, "inf": math.inf, "10**30": 10**30, "-3": -3, "1.5": 1.5,
        "an object": object(), "an empty tensor": mu.ones((0,)), "a 0-d tensor": mu.tensor(1.0),
        "an int64 tensor": mu.tensor([1, 2]), "a bool tensor": mu.tensor([True]),
        "a 5-d tensor": mu.ones((1, 1, 1, 1, 2)), "a complex array": np.array([1 + 2j]),
        "a string array": np.array(["1"]), "an object array": np.array([1.0], dtype=object),
        "a tensor on another device": mu.ones((2, 3), device=_FAKE_DEVICE),
    }


def _public_callables() -> list[tuple[str, Callable[..., Any]]]:
    """``(qualified name, callable)`` for every public function and class of
    ``SWEPT_NAMESPACES`` (not exception classes), each once per namespace."""
    found: list[tuple[str, Callable[..., Any]]] = []
    for prefix, namespace in SWEPT_NAMESPACES.items():
        names = getattr(namespace, "__all__", None) or [
            name for name in dir(namespace) if not name.startswith("_")
            and getattr(getattr(namespace, name), "__module__", None) == namespace.__name__]
        for name in names:
            value = getattr(namespace, name)
            if isinstance(value, type) and issubclass(value, BaseException):
                continue
            if callable(value) and not isinstance(value, np.dtype | type(mu)) and (
                    f"{prefix}.{name}" not in NOT_SWEPT):
                found.append((f"{prefix}.{name}", value))
    return found


_TENSOR_NAMES = frozenset((
    "input", "x", "other", "A", "B", "a", "b", "y", "q", "tensor", "target", "weight", "src",
    "source", "values", "vec", "vec1", "vec2", "mat", "mat1", "mat2", "x1", "x2", "input1",
    "input2", "tensor1", "tensor2", "batch1", "batch2", "anchor", "positive", "negative",
    "logits", "query", "key", "value", "log_probs", "mean", "var", "loc", "scale", "grid",
    "theta", "elements", "test_elements", "sorted_sequence", "condition", "boundaries", "data",
    "array", "obj", "kernel", "output", "loss", "targets", "mask", "LU", "running_mean",
    "running_var", "initial", "weights", "L", "s"))
_AXIS_NAMES = frozenset(("dim", "axis", "dim0", "dim1", "axis0", "axis1", "k"))
_SHAPE_NAMES = frozenset(("shape", "size", "output_size", "normalized_shape", "unflattened_size"))
_SMALL_DEFAULTS = {"num_encoder_layers": 1, "num_decoder_layers": 1, "num_layers": 1,
                   "dim_feedforward": 4}
"""Optional arguments the plausible calls give small values (a 6-layer Transformer per call
would make the sweep slow)."""
_SWEEP_SHAPES = ((2, 3), (3,), (1, 2, 4, 4), (2, 3, 4), (3, 3))


def _plausible(name: str, shape: tuple[int, ...]) -> Any:
    """A plausible argument for a parameter called ``name``: a tensor of ``shape`` for an
    operand, indices, an axis, a shape, a small int for anything else."""
    if name in _TENSOR_NAMES:
        return mu.randn(shape)
    if name in ("tensors", "sizes"):
        return [mu.randn(shape), mu.randn(shape)]
    if name in ("index", "indices", "pivots"):
        return mu.tensor([0, 1])
    if name in _AXIS_NAMES:
        return 0
    if name in _SHAPE_NAMES:
        return (2, 3)
    if name == "equation":
        return "ij->ji"
    return 2


@dataclass
class _Call:
    """One call: the positional arguments (a ``*args`` parameter's values last) and the
    keyword ones."""

    args: list[Any]
    kwargs: dict[str, Any]


def _parameters(function: Callable[..., Any]) -> list[Any]:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return []
    return [parameter for parameter in signature.parameters.values()
            if parameter.kind is not parameter.VAR_KEYWORD and parameter.name != "self"]


def _plausible_call(parameters: list[Any], shape: tuple[int, ...], variadic: int) -> _Call:
    """Plausible arguments for the required parameters (``variadic`` tensors for a ``*args``
    one), small ones for the slow optional ones."""
    call = _Call([], {})
    for parameter in parameters:
        if parameter.kind is parameter.VAR_POSITIONAL:
            call.args += [mu.randn(shape) for _ in range(variadic)]
        elif parameter.name in _SMALL_DEFAULTS:
            call.kwargs[parameter.name] = _SMALL_DEFAULTS[parameter.name]
        elif parameter.default is not parameter.empty:
            continue
        elif parameter.kind is parameter.KEYWORD_ONLY:
            call.kwargs[parameter.name] = _plausible(parameter.name, shape)
        else:
            call.args.append(_plausible(parameter.name, shape))
    return call


def _replaced(call: _Call, parameters: list[Any], target: Any, value: Any) -> _Call:
    """``call`` with the argument of the parameter ``target`` replaced by ``value`` (the first
    value of a ``*args`` parameter)."""
    args, kwargs = list(call.args), dict(call.kwargs)
    required = [parameter for parameter in parameters if parameter.kind in (
        parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)
        and parameter.default is parameter.empty and parameter.name not in kwargs]
    if target.kind is target.VAR_POSITIONAL:
        args[len(required)] = value
    elif target in required:
        args[required.index(target)] = value
    else:  # an optional one (none is positional-only)
        kwargs[target.name] = value
    return _Call(args, kwargs)


class _Hang(Exception):
    """A call ran past ``SWEEP_SECONDS``."""


def _raise_hang(*_: Any) -> None:
    raise _Hang


def _run(function: Callable[..., Any], call: _Call) -> tuple[Any, BaseException | None]:
    """``function(*call.args, **call.kwargs)``: its result and None, or None and what it
    raised; the recording mode comes back as it was (``set_grad_enabled`` changes it)."""
    recording = mu.is_grad_enabled()
    previous = signal.signal(signal.SIGALRM, _raise_hang)
    signal.setitimer(signal.ITIMER_REAL, SWEEP_SECONDS)
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return function(*call.args, **call.kwargs), None
    except BaseException as error:  # judged by _verdict, a hang or an interrupt included
        if isinstance(error, KeyboardInterrupt):
            raise
        return None, error
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        mu.set_grad_enabled(recording)


def _verdict(error: BaseException | None, names: tuple[str, ...], io: bool) -> str | None:
    """What is wrong with a call that raised ``error`` (None: nothing)."""
    if error is None:
        return None
    if isinstance(error, _Hang):
        return f"ran longer than {SWEEP_SECONDS} s"
    if io and isinstance(error, OSError):  # Python's own, naming the file
        return None
    message = str(error)
    if not isinstance(error, SWEEP_ERRORS) or not message:
        return f"raised {type(error).__name__}({message!r}){_origin(error)}"
    if not _names_the_operation(message, names):
        return f"{type(error).__name__} not naming {names[0]}: {message!r}{_origin(error)}"
    return None


def _origin(error: BaseException) -> str:
    """Where in mushin ``error`` was raised (`` at ops/join.py:173``), for the report."""
    frames = [frame for frame in traceback.extract_tb(error.__traceback__)
              if f"{os.sep}mushin{os.sep}" in frame.filename]
    if not frames:
        return ""
    return f" at {frames[-1].filename.rpartition(f'{os.sep}mushin{os.sep}')[2]}:{frames[-1].lineno}"


def _names_of(qualified: str, function: Callable[..., Any]) -> tuple[str, ...]:
    """The names a message may give: the public one, and the function's (or class's) own
    (``mu.clip`` is ``clamp``; ``mu.nn.MultiheadAttention`` is ``MultiHeadAttention``;
    ``LazyLinear`` is ``Linear`` once called)."""
    public = qualified.rpartition(".")[2]
    names = dict.fromkeys((public, getattr(function, "__name__", public)))
    if public.startswith("Lazy"):  # a lazy layer becomes its class at its first call
        names[public.removeprefix("Lazy")] = None
    return tuple(names)


def _working_call(function: Callable[..., Any], parameters: list[Any],
                  variadic: int = 2) -> tuple[_Call, Any]:
    """The first plausible call that works (the first tried if none does), and its result."""
    first = None
    for shape in _SWEEP_SHAPES:
        call = _plausible_call(parameters, shape, variadic)
        result, error = _run(function, call)
        if error is None:
            return call, result
        first = first or call
    assert first is not None
    return first, None


def _sweep(qualified: str, function: Callable[..., Any]) -> list[str]:
    """The bad outcomes of ``function`` called with each hostile value for each parameter,
    and of its ``forward`` for a layer."""
    names = _names_of(qualified, function)
    io = qualified in ("mu.load", "mu.save")
    parameters = _parameters(function)
    call, result = _working_call(function, parameters)
    problems = []
    for parameter in parameters:
        for label, value in _hostile_values().items():
            _, error = _run(function, _replaced(call, parameters, parameter, value))
            problem = _verdict(error, names, io)
            if problem:
                problems.append(f"{qualified}({parameter.name}={label}): {problem}")
    if isinstance(result, mu.nn.Module):
        problems += _sweep_forward(qualified, result, names)
    return problems


def _sweep_forward(qualified: str, layer: Any, names: tuple[str, ...]) -> list[str]:
    parameters = _parameters(layer.forward)
    call, _ = _working_call(layer, parameters, variadic=1)  # a lazy layer's forward(*args)
    problems = []
    for parameter in parameters:
        for label, value in _hostile_values().items():
            _, error = _run(layer, _replaced(call, parameters, parameter, value))
            problem = _verdict(error, names, False)
            if problem:
                problems.append(f"{qualified}(...)({parameter.name}={label}): {problem}")
    return problems


_SWEPT = _public_callables()


@pytest.fixture
def hostile_world(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A stand-in device for the tensors on another device, and a scratch working directory
    (``mu.save`` given a string writes a file there)."""
    monkeypatch.chdir(tmp_path)
    with fake_cupy.registered():
        yield


@pytest.mark.parametrize(("qualified", "function"), [
    pytest.param(qualified, function, id=qualified, marks=[pytest.mark.xfail(
        reason=SWEEP_PENDING[qualified], strict=True)] if qualified in SWEEP_PENDING else [])
    for qualified, function in _SWEPT])
def test_every_public_function_refuses_hostile_arguments_naming_itself(
        qualified: str, function: Callable[..., Any], hostile_world: Any) -> None:
    problems = _sweep(qualified, function)
    assert not problems, "\n".join(problems)


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
          deadline=None, max_examples=PROGRAMS // 5)
@given(data=st.data())
def test_random_calls_with_several_hostile_arguments_raise_errors_naming_the_function(
        data: st.DataObject, hostile_world: Any) -> None:
    """A random public callable, a random plausible call, and each argument replaced by a
    random hostile value with probability one half."""
    qualified, function = data.draw(st.sampled_from(
        [entry for entry in _SWEPT if entry[0] not in SWEEP_PENDING]), label="callable")
    parameters = _parameters(function)
    call = _plausible_call(parameters, data.draw(st.sampled_from(_SWEEP_SHAPES)), variadic=2)
    hostile = _hostile_values()
    for parameter in parameters:
        if data.draw(st.booleans()):
            label = data.draw(st.sampled_from(sorted(hostile)), label=parameter.name)
            call = _replaced(call, parameters, parameter, hostile[label])
    _, error = _run(function, call)
    problem = _verdict(error, _names_of(qualified, function), qualified in ("mu.load", "mu.save"))
    assert problem is None, f"{qualified}: {problem}"


# --- sanity of the harness itself -----------------------------------------------------------------

def test_the_harness_rejects_a_silent_nan() -> None:
    """The comparison above fails a NaN where NumPy gives a finite number."""
    with pytest.raises(AssertionError, match="element"):
        _check_values("exp", mu.constant(np.array([np.nan], dtype=np.float32)),
                      np.array([1.0]), np.array([1.0], dtype=np.float32), np.array([1.0]),
                      "exp(x)", dtype=np.dtype(np.float32))


def test_the_harness_rejects_a_wrong_dtype() -> None:
    with pytest.raises(AssertionError, match="dtype"):
        _check_values("exp", mu.constant(np.array([1.0])), np.array([1.0]),
                      np.array([1.0], dtype=np.float32), np.array([1.0]), "exp(x)",
                      dtype=np.dtype(np.float32))


def test_the_harness_promotes_dtypes_as_pytorch() -> None:
    """The expected dtypes are ``torch.result_type``'s (checked against PyTorch 2.13), not
    NumPy's, on the examples of docs/api.md's conventions and a few more."""
    f32, f64 = np.ones(2, np.float32), np.ones(2, np.float64)
    i64, flag = np.ones(2, np.int64), np.ones(2, np.bool_)
    assert _promoted_dtype(f32, 2.5) == np.float32
    assert _promoted_dtype(i64, 0.5) == np.float32
    assert _promoted_dtype(i64, f32) == np.float32
    assert _promoted_dtype(f32, f64) == np.float64
    assert _promoted_dtype(f32, np.array(1.0)) == np.float32
    assert _promoted_dtype(i64, np.array(1.0)) == np.float64
    assert _promoted_dtype(flag, 2) == np.int64
    assert _promoted_dtype(flag, True) == np.bool_
    assert _promoted_dtype(i64, "text") is None
    assert _floating(i64, i64) == np.float32
    assert _floating(flag) == np.float32
    assert _joined_dtype(np.array(1.0, np.float32), np.array(1.0)) == np.float64
