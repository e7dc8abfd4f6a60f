"""Training utilities: gradient clipping, by total norm (``clip_grad_norm``, and PyTorch's
``clip_grad_norm_``, which returns the norm as a tensor) and by value (``clip_grad_value_``)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, cast

import numpy as np

from mushin._backend import Array, backend_of, namespace_of
from mushin._check import number, operation_name
from mushin._creation import constant
from mushin._tensor import Constant, Tensor, Variable, stored_grad, unwrap
from mushin.ops.elementwise import clamp

_EPSILON = 1e-6
"""Added to the total norm before dividing, as PyTorch does, so a zero norm is harmless."""


def _array_norm(grad: Array, norm_type: float) -> Array:
    """The ``norm_type``-norm of all of ``grad``'s elements, as a 0-d array on its device."""
    xp = namespace_of(grad)
    magnitudes = xp.abs(grad)
    if norm_type == math.inf:
        return xp.max(magnitudes) if magnitudes.size else xp.zeros((), dtype=magnitudes.dtype)
    if norm_type == 2.0:
        return xp.sqrt(xp.sum(magnitudes * magnitudes))
    if norm_type == 1.0:
        return xp.sum(magnitudes)
    return xp.sum(magnitudes ** norm_type) ** (1.0 / norm_type)


def _combined(norms: list[float], norm_type: float) -> float:
    """The norm of a vector whose entries are ``norms``."""
    if norm_type == math.inf:
        return max(norms)
    return float(np.linalg.norm(np.asarray(norms, dtype=np.float64), ord=norm_type))


def _variables(name: str, argument: str, parameters: object) -> list[Any]:
    """``parameters`` (one tensor, or an iterable of them) as a list of ``Variable``s, or
    ``TypeError`` naming the function called."""
    if isinstance(parameters, Tensor):
        given: list[Any] = [parameters]
    else:
        try:
            items = iter(cast("Iterable[Any]", parameters))
        except TypeError:  # not iterable (a number, a 0-d array)
            raise TypeError(f"{operation_name(name)}: {argument} must be a Variable or an "
                            f"iterable of Variables, got {type(parameters).__name__}") from None
        given = list(items)
    for position, param in enumerate(given):
        if not isinstance(param, Variable):
            raise TypeError(f"{operation_name(name)}: parameter {position} must be a Variable, "
                            f"got {type(param).__name__}")
    return given


def clip_grad_norm(params: Iterable[Variable[*tuple[Any, ...]]] | Variable[*tuple[Any, ...]],
                   max_norm: float, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False) -> float:
    """Scale the gradients of ``params`` so that their total norm is at most ``max_norm``.

    The total norm is the ``norm_type``-norm (2 by default; ``math.inf`` for the largest
    magnitude) of all the gradients together, as if concatenated into one vector. When it
    exceeds ``max_norm`` every gradient is multiplied by ``max_norm / (total + 1e-6)``;
    parameters without a gradient are skipped. Each scaled gradient is a new array (the old
    one may be shared, so it is never written to). Returns the total norm before clipping,
    as a Python float; with ``error_if_nonfinite`` a NaN or infinite total raises
    ``RuntimeError`` instead of filling the gradients with NaN.
    """
    given = _variables("clip_grad_norm", "params", params)
    limit = number("clip_grad_norm", "max_norm", max_norm)
    if not limit >= 0:
        raise ValueError(f"{operation_name('clip_grad_norm')}: max_norm must be >= 0, "
                         f"got {max_norm}")
    norm_type = number("clip_grad_norm", "norm_type", norm_type)
    if not norm_type > 0:
        raise ValueError(f"{operation_name('clip_grad_norm')}: norm_type must be positive "
                         f"(or math.inf), got {norm_type}")
    with_grads = [param for param in given if param._grad is not None]
    if not with_grads:
        return 0.0
    by_device: dict[str, list[Array]] = {}
    for param in with_grads:
        grad = param._grad
        array = unwrap(grad)
        by_device.setdefault(backend_of(array).device, []).append(
            _array_norm(array, norm_type))
    # One reduction and one host transfer per device, not one per parameter.
    per_device = [float(_array_norm(namespace_of(norms[0]).stack(norms), norm_type))
                  for norms in by_device.values()]
    total = _combined(per_device, norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"{operation_name('clip_grad_norm')}: the total norm of order "
                           f"{norm_type} of the gradients is {total}; pass "
                           "error_if_nonfinite=False to clip anyway")
    scale = limit / (total + _EPSILON)
    if scale < 1.0 or math.isnan(scale):
        for param in with_grads:
            grad = param._grad
            if isinstance(grad, Tensor):  # recorded by backward(create_graph=True): keep it so
                param._replace_grad(grad * scale)
            else:  # with out=, so a 0-d gradient stays an array
                xp = namespace_of(grad)
                param._replace_grad(xp.multiply(grad, scale, out=xp.empty_like(grad)))
    return total


def _foreach(name: str, foreach: object) -> None:
    """PyTorch's ``foreach`` picks an implementation, not a result: None, True or False."""
    if foreach is not None and not isinstance(foreach, bool):
        raise TypeError(f"{name}: foreach must be None, True or False, got {foreach!r}")


def clip_grad_norm_(parameters: Iterable[Variable[*tuple[Any, ...]]] | Variable[*tuple[Any, ...]],
                    max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach: bool | None = None) -> Constant[()]:
    """PyTorch's name and return: :func:`clip_grad_norm`, the total norm before clipping
    returned as a 0-d ``Constant`` in the gradients' dtype, on their device (0.0, float32, on
    the CPU when no parameter has a gradient)."""
    _foreach("clip_grad_norm_", foreach)
    given = _variables("clip_grad_norm_", "parameters", parameters)
    total = clip_grad_norm(given, max_norm, norm_type, error_if_nonfinite)
    grads = [unwrap(stored_grad(param)) for param in given  # all Variables: checked above
             if stored_grad(param) is not None]
    like = grads[0] if grads else None
    norm: Constant[()] = constant(total, dtype=None if like is None else like.dtype,
                                  device=None if like is None else backend_of(like).device)
    return norm


def clip_grad_value_(parameters: Iterable[Variable[*tuple[Any, ...]]]
                     | Variable[*tuple[Any, ...]], clip_value: float,
                     foreach: bool | None = None) -> None:
    """Clip every gradient of ``parameters`` to ``[-clip_value, clip_value]``, elementwise
    (PyTorch's ``clip_grad_value_``); parameters without a gradient are skipped. Each clipped
    gradient is a new array (the old one may be shared); one with history (from
    ``backward(create_graph=True)``) keeps it."""
    _foreach("clip_grad_value_", foreach)
    given = _variables("clip_grad_value_", "parameters", parameters)
    limit = number("clip_grad_value_", "clip_value", clip_value)
    if not limit >= 0:
        raise ValueError(f"clip_grad_value_: clip_value must be >= 0, got {clip_value}")
    for param in given:
        grad = param._grad
        if grad is None:
            continue
        if isinstance(grad, Tensor):
            param._replace_grad(clamp(grad, -limit, limit))
        else:  # with out=, so a 0-d gradient stays an array
            xp = namespace_of(grad)
            param._replace_grad(xp.clip(grad, -limit, limit, out=xp.empty_like(grad)))
