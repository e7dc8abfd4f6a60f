"""PyTorch's operator database (``op_db``) run against mushin, PyTorch as the oracle.

Each ``OpInfo`` entry of ``torch.testing._internal.common_methods_invocations.op_db`` comes
with sample inputs. For every sample we call mushin by PyTorch's name (``torch.X`` → ``mu.X``,
``torch.nn.functional.X`` → ``mu.nn.functional.X``, ``torch.linalg.X`` → ``mu.linalg.X``,
``torch.special.X`` → ``mu.special.X``, a method-only op as the tensor's method, a dunder as the
operator) with PyTorch's arguments converted to mushin tensors, and compare the values and the
gradients (a random cotangent through every floating output) with PyTorch's, in float64.

``python scripts/op_db_report.py`` prints the outcome of every entry; ``tests/test_op_db.py``
checks that the entries listed in ``tests/op_db_passing.txt`` keep passing.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

import mushin as mu
from mushin.errors import ShapeError

RTOL = 1e-7
ATOL = 1e-7

_NAMESPACES = {"nn.functional.": ("nn", "functional"), "linalg.": ("linalg",),
               "special.": ("special",), "fft.": ("fft",)}


def op_db() -> list[Any]:
    """PyTorch's operator database (imported on first use: it takes seconds)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from torch.testing._internal.common_methods_invocations import op_db as database
    return list(database)


def entry_name(opinfo: Any) -> str:
    """``name`` or ``name.variant``: one entry of ``op_db``."""
    variant = opinfo.variant_test_name
    return f"{opinfo.name}.{variant}" if variant else opinfo.name


def sample_dtype(opinfo: Any) -> torch.dtype | None:
    """float64 where the op supports it, else int64, else bool (the bitwise ops)."""
    supported = opinfo.supported_dtypes("cpu")
    for dtype in (torch.float64, torch.int64, torch.bool):
        if dtype in supported:
            return dtype
    return None


def _lookup(path: tuple[str, ...]) -> Any:
    found: Any = mu
    for part in path:
        found = getattr(found, part, None)
        if found is None:
            return None
    return found


ADAPTERS: dict[str, Callable[..., Any]] = {
    # op_db's op is a lambda around the PyTorch function: the same lambda around mushin's.
    "where": lambda x, condition, other: mu.where(condition, x, other),
    "linalg.lstsq.grad_oriented": lambda a, b, driver=None: mu.linalg.lstsq(
        a, b, driver=driver)[:2],
    "linalg.pinv.singular": lambda a, b: mu.linalg.pinv(a @ b.mT),
}
"""Entries whose ``op`` is not PyTorch's function itself but a lambda around it."""


def resolve(opinfo: Any) -> Callable[..., Any] | None:
    """The mushin callable PyTorch's name gives, or None where mushin lacks it."""
    name: str = opinfo.name
    adapter = ADAPTERS.get(entry_name(opinfo))
    if adapter is not None:
        return adapter
    if name.startswith("__") and name.endswith("__"):
        return lambda x, *args, **kwargs: _call_method(x, name, args, kwargs)
    for prefix, path in _NAMESPACES.items():
        if name.startswith(prefix):
            return _lookup((*path, name[len(prefix):]))
    if "." in name:
        return None
    if callable(getattr(torch, name, None)):  # torch.float is a dtype: x.float() is the op
        return _lookup((name,))
    # A method-only op (view, contiguous...): the method of the first operand.
    return lambda x, *args, **kwargs: _call_method(x, name, args, kwargs)


class Missing(Exception):
    """mushin has no function or method of the op's name."""


def _call_method(x: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    found = getattr(x, name, None)
    if found is None:
        raise Missing(f"Tensor.{name}")
    if not callable(found) and not args and not kwargs:
        return found  # a property: x.T, x.mT, x.H
    return found(*args, **kwargs)


RANDOM = ("rand", "dropout", "normal", "bernoulli", "multinomial", "uniform", "cauchy",
          "exponential", "geometric", "log_normal", "empty", "randperm", "fractional_max_pool")
"""Ops whose values are random or undefined: only their shapes and dtypes are compared."""


def _is_random(opinfo: Any, sample: Any = None) -> bool:
    if opinfo.name == "nn.functional.rrelu":  # random slopes only while training
        return sample is not None and bool(sample.kwargs.get("training", False))
    if opinfo.name == "nn.functional.scaled_dot_product_attention":  # random with dropout
        return sample is not None and bool(sample.kwargs.get("dropout_p", 0.0))
    if opinfo.name == "nn.functional.multi_head_attention_forward":  # dropout while training
        return sample is not None and bool(sample.kwargs.get("training", True)
                                           and sample.args[9])
    return (opinfo.is_factory_function and "like" not in opinfo.name and opinfo.name in (
        "empty", "empty_strided", "empty_permuted", "new_empty", "new_empty_strided")) or any(
        word in opinfo.name for word in RANDOM)


# --- converting PyTorch's arguments -----------------------------------------------------------

_DTYPES = {torch.float64: "float64", torch.float32: "float32", torch.float16: "float16",
           torch.int64: "int64", torch.int32: "int32", torch.int16: "int16", torch.int8: "int8",
           torch.uint8: "uint8", torch.bool: "bool"}


def to_mushin(value: Any, tracked: dict[int, tuple[torch.Tensor, Any]]) -> Any:
    """A PyTorch argument as mushin takes it: tensors become Variables (requires_grad) or
    Constants, dtypes become mushin's, containers are converted item by item."""
    if isinstance(value, torch.Tensor):
        array = value.detach().numpy().copy()
        if value.requires_grad:
            variable = mu.Variable(array)
            tracked[id(value)] = (value, variable)
            return variable
        return mu.Constant(array)
    if isinstance(value, torch.dtype):
        found = getattr(mu, _DTYPES.get(value, ""), None)
        return found if found is not None else _DTYPES.get(value, str(value))
    if isinstance(value, torch.Size):
        return tuple(value)
    if isinstance(value, tuple):
        return tuple(to_mushin(item, tracked) for item in value)
    if isinstance(value, list):
        return [to_mushin(item, tracked) for item in value]
    if isinstance(value, dict):
        return {key: to_mushin(item, tracked) for key, item in value.items()}
    return value


# --- comparing ---------------------------------------------------------------------------------

class Mismatch(Exception):
    """mushin's value or gradient differs from PyTorch's."""


def _leaves(value: Any) -> Iterator[Any]:
    if isinstance(value, tuple | list):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def _kind(dtype: Any) -> str:
    kind = np.dtype(dtype).kind
    return {"f": "float", "i": "int", "u": "int", "b": "bool"}.get(kind, kind)


def compare(what: str, expected: Any, got: Any) -> None:
    """Raise ``Mismatch`` unless mushin's ``got`` matches PyTorch's ``expected``."""
    if isinstance(expected, torch.Tensor):
        if not isinstance(got, mu.Tensor):
            raise Mismatch(f"{what}: expected a tensor, got {type(got).__name__}")
        want = expected.detach().numpy()
        have = got.numpy()
        if tuple(want.shape) != tuple(have.shape):
            raise Mismatch(f"{what}: shape {have.shape}, expected {tuple(want.shape)}")
        if _kind(want.dtype) != _kind(have.dtype):
            raise Mismatch(f"{what}: dtype {have.dtype}, expected {want.dtype}")
        if not np.allclose(have, want, rtol=RTOL, atol=ATOL, equal_nan=True):
            worst = np.nanmax(np.abs(have.astype(np.float64) - want.astype(np.float64))) \
                if want.size else 0.0
            raise Mismatch(f"{what}: values differ (max abs error {worst:.3g})")
        return
    if isinstance(expected, tuple | list):
        if not isinstance(got, tuple | list) or len(got) != len(expected):
            raise Mismatch(f"{what}: expected a sequence of {len(expected)}, got "
                           f"{type(got).__name__}")
        for index, (want, have) in enumerate(zip(expected, got, strict=True)):
            compare(f"{what}[{index}]", want, have)
        return
    if isinstance(expected, bool | int | float):
        have = got.item() if isinstance(got, mu.Tensor) else got
        if isinstance(expected, float) and isinstance(have, int | float):
            if not math.isclose(have, expected, rel_tol=RTOL, abs_tol=ATOL) and not (
                    math.isnan(expected) and math.isnan(have)):
                raise Mismatch(f"{what}: {have}, expected {expected}")
        elif have != expected:
            raise Mismatch(f"{what}: {have!r}, expected {expected!r}")
        return
    if isinstance(expected, torch.Size):
        if tuple(got) != tuple(expected):
            raise Mismatch(f"{what}: {got}, expected {tuple(expected)}")
        return
    if expected != got:
        raise Mismatch(f"{what}: {got!r}, expected {expected!r}")


SIGN_FREE = {"svd": "U, S, V", "linalg.svd": "U, S, Vh", "linalg.eigh": "L, Q"}
"""Outputs defined only up to the sign of each vector (singular vectors, eigenvectors), and
for full SVDs up to a basis of the complement: the LAPACK that PyTorch and NumPy call may
choose differently. Both sides are compared through ``abs`` of the first ``k`` vectors (as
many as singular values), which keeps the comparison of values and gradients exact."""


def _canonical(form: str, outputs: Any, absolute: Callable[[Any], Any]) -> tuple[Any, ...]:
    if form == "L, Q":
        values, vectors = outputs
        return values, absolute(vectors)
    left, singular, right = outputs
    k = singular.shape[-1]
    right = right[..., :k, :] if form.endswith("Vh") else right[..., :k]
    return absolute(left[..., :k]), singular, absolute(right)


def _sign_free(name: str, expected: Any, got: Any) -> tuple[Any, Any]:
    form = SIGN_FREE.get(name)
    if not form or not isinstance(expected, tuple) or not isinstance(got, tuple | list):
        return expected, got
    return _canonical(form, expected, torch.abs), _canonical(form, got, mu.abs)


def compare_shapes(what: str, expected: Any, got: Any) -> None:
    """Compare only the shapes and dtypes (random or undefined values)."""
    for want, have in zip(_leaves(expected), _leaves(got), strict=False):
        if not isinstance(want, torch.Tensor):
            continue
        if not isinstance(have, mu.Tensor) or tuple(have.shape) != tuple(want.shape) or \
                _kind(have.numpy().dtype) != _kind(want.detach().numpy().dtype):
            raise Mismatch(f"{what}: expected a tensor of shape {tuple(want.shape)} and "
                               f"dtype {want.dtype}, got {have!r}"[:300])


# --- one sample --------------------------------------------------------------------------------

CLEAN_ERRORS = (ShapeError, ValueError, TypeError, NotImplementedError, IndexError,
                RuntimeError)
"""What mushin may raise for an input it refuses (with the op's name in the message)."""


@dataclass
class Outcome:
    status: str  # pass, missing, mismatch, refused, crash, skipped
    detail: str = ""


def run_sample(opinfo: Any, function: Callable[..., Any], sample: Any,
               check_gradients: bool) -> Outcome:
    """Run one sample through PyTorch and mushin and compare."""
    torch.manual_seed(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = opinfo.op(sample.input, *sample.args, **sample.kwargs)
    except Exception as error:  # PyTorch itself refuses the sample (an error-input sample)
        return Outcome("skipped", f"torch raised {type(error).__name__}")
    tracked: dict[int, tuple[torch.Tensor, Any]] = {}
    first = to_mushin(sample.input, tracked)
    args = to_mushin(sample.args, tracked)
    kwargs = to_mushin(sample.kwargs, tracked)
    mu.seed(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = function(first, *args, **kwargs)
    except Missing as error:
        return Outcome("missing", str(error))
    except CLEAN_ERRORS as error:
        return Outcome("refused", f"{type(error).__name__}: {error}"[:300])
    except Exception as error:  # a raw crash is the finding
        return Outcome("crash", f"{type(error).__name__}: {error}"[:300])
    expected, got = _sign_free(opinfo.name, expected, got)
    try:
        if _is_random(opinfo, sample):
            compare_shapes("value", expected, got)
        else:
            compare("value", expected, got)
        if check_gradients and tracked and opinfo.supports_autograd and not _is_random(
                opinfo, sample):
            _compare_gradients(expected, got, tracked)
    except Mismatch as error:
        return Outcome("mismatch", str(error)[:300])
    except CLEAN_ERRORS as error:
        return Outcome("refused", f"backward: {type(error).__name__}: {error}"[:300])
    except Exception as error:
        return Outcome("crash", f"backward: {type(error).__name__}: {error}"[:300])
    return Outcome("pass")


def _compare_gradients(expected: Any, got: Any, tracked: dict[int, tuple[torch.Tensor, Any]]
                       ) -> None:
    pairs = [(want, have) for want, have in zip(_leaves(expected), _leaves(got), strict=False)
             if isinstance(want, torch.Tensor) and want.requires_grad
             and want.dtype.is_floating_point]
    if not pairs:
        return
    generator = np.random.default_rng(0)
    cotangents = [generator.standard_normal(tuple(want.shape)) for want, _ in pairs]
    inputs = [tensor for tensor, _ in tracked.values()]
    torch_grads = torch.autograd.grad(
        [want for want, _ in pairs], inputs,
        [torch.from_numpy(cotangent) for cotangent in cotangents], allow_unused=True)
    total: Any = 0.0
    for (_, have), cotangent in zip(pairs, cotangents, strict=True):
        if not isinstance(have, mu.Variable):
            raise Mismatch(f"gradient: the output is a {type(have).__name__}, expected a "
                           "Variable")
        total = total + (have * mu.Constant(cotangent)).sum()
    total.backward()
    for index, ((_, variable), want) in enumerate(zip(tracked.values(), torch_grads,
                                                       strict=True)):
        have = variable.grad().numpy()
        reference = np.zeros(have.shape) if want is None else want.numpy(force=True)
        if have.shape != reference.shape or not np.allclose(
                have, reference, rtol=1e-6, atol=1e-6, equal_nan=True):
            raise Mismatch(f"gradient of input {index} differs")


def run_entry(opinfo: Any, check_gradients: bool = True, limit: int | None = None
              ) -> tuple[str, list[Outcome]]:
    """Every sample of one entry: ``(summary, outcomes)``; the summary is ``pass`` when every
    sample passes (samples PyTorch itself refuses excepted)."""
    dtype = sample_dtype(opinfo)
    if dtype is None:
        return "no dtype", []
    function = resolve(opinfo)
    if function is None:
        return "missing", []
    outcomes: list[Outcome] = []
    grad = check_gradients and dtype.is_floating_point and opinfo.supports_autograd
    try:
        samples = opinfo.sample_inputs("cpu", dtype, requires_grad=grad)
        for count, sample in enumerate(samples):
            if limit is not None and count >= limit:
                break
            outcomes.append(run_sample(opinfo, function, sample, grad))
    except Exception as error:  # PyTorch's sample generator failed
        return f"no samples ({type(error).__name__})", outcomes
    statuses = {outcome.status for outcome in outcomes} - {"skipped"}
    if not statuses:
        return "no samples", outcomes
    for status in ("crash", "mismatch", "missing", "refused"):
        if status in statuses:
            return status, outcomes
    return "pass", outcomes


# --- the same samples on another device ----------------------------------------------------------

def _to_device(value: Any, device: str) -> Any:
    """mushin arguments moved to ``device`` (tensors; containers item by item)."""
    if isinstance(value, mu.Variable):
        return mu.Variable(value.numpy(), device=device)
    if isinstance(value, mu.Constant):
        return mu.Constant(value.numpy(), device=device)
    if isinstance(value, tuple):
        return tuple(_to_device(item, device) for item in value)
    if isinstance(value, list):
        return [_to_device(item, device) for item in value]
    if isinstance(value, dict):
        return {key: _to_device(item, device) for key, item in value.items()}
    return value


def _tracked(value: Any) -> list[Any]:
    found: list[Any] = []
    if isinstance(value, mu.Variable):
        found.append(value)
    elif isinstance(value, tuple | list):
        for item in value:
            found += _tracked(item)
    elif isinstance(value, dict):
        for item in value.values():
            found += _tracked(item)
    return found


def _run_mushin(function: Callable[..., Any], arguments: tuple[Any, ...]
                ) -> tuple[list[Any], list[Any]]:
    """Values of every tensor output, and the gradients of every tracked operand for a fixed
    cotangent, as host arrays."""
    first, args, kwargs = arguments
    mu.seed(0)
    got = function(first, *args, **kwargs)
    outputs = [leaf for leaf in _leaves(got) if isinstance(leaf, mu.Tensor)]
    device = next((item.device for item in _leaves(arguments) if isinstance(item, mu.Tensor)),
                  "cpu")
    for output in outputs:
        if output.device != device:
            raise Mismatch(f"an output is on {output.device}, its operands on {device}")
    values = [output.numpy() for output in outputs]
    tracked = _tracked(arguments)
    total: Any = None
    for output in outputs:
        if isinstance(output, mu.Variable):
            cotangent = np.random.default_rng(0).standard_normal(output.shape)
            term = (output * mu.Constant(cotangent, device=output.device)).sum()
            total = term if total is None else total + term
    gradients = []
    if total is not None:
        total.backward()
        gradients = [variable.grad().numpy() for variable in tracked]
    return values, gradients


def run_entry_on_device(opinfo: Any, device: str) -> None:
    """Every sample of a passing entry, on ``device`` and on the CPU: equal values and
    gradients, and every result on the device (raises ``Mismatch`` otherwise)."""
    dtype = sample_dtype(opinfo)
    function = resolve(opinfo)
    assert dtype is not None and function is not None
    grad = dtype.is_floating_point and opinfo.supports_autograd
    for index, sample in enumerate(opinfo.sample_inputs("cpu", dtype, requires_grad=grad)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                opinfo.op(sample.input, *sample.args, **sample.kwargs)
            except Exception:  # a sample PyTorch itself refuses: not part of the entry
                continue
            if "device" in sample.kwargs or any(  # the sample asks for a result on the CPU
                    isinstance(arg, torch.device) or arg in ("cpu", "cuda")
                    for arg in sample.args if isinstance(arg, str | torch.device)):
                continue
            tracked: dict[int, tuple[torch.Tensor, Any]] = {}
            on_cpu = (to_mushin(sample.input, tracked), to_mushin(sample.args, tracked),
                      to_mushin(sample.kwargs, tracked))
            on_device = _to_device(on_cpu, device)
            cpu_values, cpu_gradients = _run_mushin(function, on_cpu)
            values, gradients = _run_mushin(function, on_device)
        if _is_random(opinfo, sample):
            continue
        for what, want, have in (("value", cpu_values, values),
                                 ("gradient", cpu_gradients, gradients)):
            if len(want) != len(have) or not all(
                    a.shape == b.shape and np.allclose(a, b, rtol=1e-9, atol=1e-9,
                                                       equal_nan=True)
                    for a, b in zip(want, have, strict=True)):
                raise Mismatch(f"sample {index}: the {what}s on {device} differ from the CPU's")
