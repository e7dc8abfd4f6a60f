"""Activation layers: each activation of ``mu.nn.functional`` as a ``Module``, with PyTorch's
class name and arguments (``inplace=True`` writes into the input, as PyTorch's, where PyTorch
has it), so ``Sequential(Linear(784, 128), ReLU(), ...)`` reads as it does in PyTorch.

Each keeps its input's type (and so its static shape) and kind, except ``GLU`` (half as long
along ``dim``: a run-time shape) and ``PReLU`` (a learnt slope: a ``Variable``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar, TypeVarTuple, overload

from mushin._check import integer, shape_of
from mushin._creation import fill
from mushin._tensor import Constant, Tensor, Variable
from mushin.errors import ShapeError
from mushin.nn.functional.activation import (
    celu,
    elu,
    gelu,
    glu,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    leaky_relu,
    logsigmoid,
    logsoftmax,
    mish,
    prelu,
    relu,
    relu6,
    rrelu,
    selu,
    sigmoid,
    silu,
    softmax,
    softmin,
    softplus,
    softshrink,
    softsign,
    tanh,
    tanhshrink,
)
from mushin.nn.functional.activation import threshold as threshold_function
from mushin.nn.module import Module, check_options

if TYPE_CHECKING:
    from mushin._typing import Untyped

__all__ = [
    "CELU", "ELU", "GELU", "GLU", "Hardshrink", "Hardsigmoid", "Hardswish", "Hardtanh",
    "LeakyReLU", "LogSigmoid", "LogSoftmax", "Mish", "PReLU", "RReLU", "ReLU", "ReLU6", "SELU",
    "SiLU", "Sigmoid", "Softmax", "Softmax2d", "Softmin", "Softplus", "Softshrink", "Softsign",
    "Tanh", "Tanhshrink", "Threshold",
]

TensorT = TypeVar("TensorT")
Shape = TypeVarTuple("Shape")


class _Activation(Module):
    """A layer that applies one activation function (``_apply``); its ``inplace`` flag
    (False where PyTorch has none) is shown by ``repr`` when set, as PyTorch's is."""

    inplace: bool = False
    _shows_inplace = True

    def __init__(self, *, dtype: Any = None, device: str | None = None) -> None:
        super().__init__()
        check_options(dtype, device)

    def _apply(self, x: Any) -> Any:
        raise NotImplementedError

    def forward(self, x: TensorT) -> TensorT:
        """The activation of ``x``, elementwise (or along ``dim`` for the softmaxes)."""
        result: TensorT = self._apply(x)
        return result

    def _options(self) -> str:
        """The constructor arguments ``repr`` shows before ``inplace``."""
        return ""

    def extra_repr(self) -> str:
        shown = [self._options()] if self._options() else []
        if self.inplace and self._shows_inplace:
            shown.append("inplace=True")
        return ", ".join(shown)


class _InPlaceActivation(_Activation):
    """An activation whose PyTorch layer takes only ``inplace``."""

    def __init__(self, inplace: bool = False, *, dtype: Any = None,
                 device: str | None = None) -> None:
        super().__init__(dtype=dtype, device=device)
        self.inplace = inplace


class ReLU(_InPlaceActivation):
    """``max(x, 0)`` (:func:`mushin.nn.functional.relu`)."""

    def _apply(self, x: Any) -> Any:
        return relu(x, inplace=self.inplace)


class ReLU6(_InPlaceActivation):
    """``min(max(x, 0), 6)`` (:func:`mushin.nn.functional.relu6`)."""

    def _apply(self, x: Any) -> Any:
        return relu6(x, inplace=self.inplace)


class SiLU(_InPlaceActivation):
    """``x * sigmoid(x)`` (:func:`mushin.nn.functional.silu`)."""

    def _apply(self, x: Any) -> Any:
        return silu(x, inplace=self.inplace)


class Mish(_InPlaceActivation):
    """``x * tanh(softplus(x))`` (:func:`mushin.nn.functional.mish`)."""

    def _apply(self, x: Any) -> Any:
        return mish(x, inplace=self.inplace)


class SELU(_InPlaceActivation):
    """``scale * elu(x, alpha)`` with PyTorch's constants (:func:`mushin.nn.functional.selu`)."""

    def _apply(self, x: Any) -> Any:
        return selu(x, inplace=self.inplace)


class Hardswish(_InPlaceActivation):
    """``x * relu6(x + 3) / 6`` (:func:`mushin.nn.functional.hardswish`)."""

    _shows_inplace = False  # as PyTorch's repr

    def _apply(self, x: Any) -> Any:
        return hardswish(x, inplace=self.inplace)


class Hardsigmoid(_InPlaceActivation):
    """``relu6(x + 3) / 6`` (:func:`mushin.nn.functional.hardsigmoid`)."""

    _shows_inplace = False  # as PyTorch's repr

    def _apply(self, x: Any) -> Any:
        return hardsigmoid(x, inplace=self.inplace)


class Sigmoid(_Activation):
    """``1 / (1 + exp(-x))`` (:func:`mushin.nn.functional.sigmoid`)."""

    def _apply(self, x: Any) -> Any:
        return sigmoid(x)


class Tanh(_Activation):
    """The hyperbolic tangent (:func:`mushin.nn.functional.tanh`)."""

    def _apply(self, x: Any) -> Any:
        return tanh(x)


class LogSigmoid(_Activation):
    """``log(sigmoid(x))``, stable (:func:`mushin.nn.functional.logsigmoid`)."""

    def _apply(self, x: Any) -> Any:
        return logsigmoid(x)


class Softsign(_Activation):
    """``x / (1 + |x|)`` (:func:`mushin.nn.functional.softsign`)."""

    def _apply(self, x: Any) -> Any:
        return softsign(x)


class Tanhshrink(_Activation):
    """``x - tanh(x)`` (:func:`mushin.nn.functional.tanhshrink`)."""

    def _apply(self, x: Any) -> Any:
        return tanhshrink(x)


class GELU(_Activation):
    """The Gaussian error linear unit, exact or with PyTorch's tanh approximation
    (:func:`mushin.nn.functional.gelu`)."""

    def __init__(self, approximate: str = "none", *, dtype: Any = None,
                 device: str | None = None) -> None:
        super().__init__(dtype=dtype, device=device)
        gelu(0.0, approximate)  # validates the argument here, not at call
        self.approximate = approximate

    def _apply(self, x: Any) -> Any:
        return gelu(x, self.approximate)

    def _options(self) -> str:
        return f"approximate={self.approximate!r}"


class LeakyReLU(_Activation):
    """``x`` where positive, ``negative_slope * x`` elsewhere
    (:func:`mushin.nn.functional.leaky_relu`)."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False, *,
                 dtype: Any = None, device: str | None = None) -> None:
        super().__init__(dtype=dtype, device=device)
        leaky_relu(0.0, negative_slope)
        self.negative_slope = negative_slope
        self.inplace = inplace

    def _apply(self, x: Any) -> Any:
        return leaky_relu(x, self.negative_slope, inplace=self.inplace)

    def _options(self) -> str:
        return f"negative_slope={self.negative_slope}"


class ELU(_Activation):
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere
    (:func:`mushin.nn.functional.elu`)."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False, *, dtype: Any = None,
                 device: str | None = None) -> None:
        super().__init__(dtype=dtype, device=device)
        elu(0.0, alpha)
        self.alpha = alpha
        self.inplace = inplace

    def _apply(self, x: Any) -> Any:
        return elu(x, self.alpha, inplace=self.inplace)

    def _options(self) -> str:
        return f"alpha={self.alpha}"


class CELU(ELU):
    """``x`` where positive, ``alpha * (exp(x / alpha) - 1)`` elsewhere
    (:func:`mushin.nn.functional.celu`)."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False, *, dtype: Any = None,
                 device: str | None = None) -> None:
        super().__init__(alpha, inplace, dtype=dtype, device=device)
        celu(0.0, alpha)

    def _apply(self, x: Any) -> Any:
        return celu(x, self.alpha, inplace=self.inplace)


class Hardtanh(_Activation):
    """``x`` clamped to ``[min_val, max_val]`` (:func:`mushin.nn.functional.hardtanh`;
    PyTorch's deprecated ``min_value`` / ``max_value`` are accepted for them)."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False,
                 min_value: float | None = None, max_value: float | None = None, *,
                 dtype: Any = None, device: str | None = None) -> None:
        super().__init__(dtype=dtype, device=device)
        self.min_val = min_val if min_value is None else min_value
        self.max_val = max_val if max_value is None else max_value
        hardtanh(0.0, self.min_val, self.max_val)
        self.inplace = inplace

    def _apply(self, x: Any) -> Any:
        return hardtanh(x, self.min_val, self.max_val, inplace=self.inplace)

    def _options(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}"


class Threshold(_Activation):
    """``x`` where ``x > threshold``, ``value`` elsewhere
    (:func:`mushin.nn.functional.threshold`)."""

    def __init__(self, threshold: float, value: float, inplace: bool = False, *,
                 dtype: Any = None, device: str | None = None) -> None:
        super().__init__(dtype=dtype, device=device)
        threshold_function(0.0, threshold, value)
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def _apply(self, x: Any) -> Any:
        return threshold_function(x, self.threshold, self.value, inplace=self.inplace)

    def _options(self) -> str:
        return f"threshold={self.threshold}, value={self.value}"


class RReLU(_Activation):
    """The randomised leaky ReLU: a slope drawn from ``[lower, upper]`` per negative element
    while training, their mean in eval mode (:func:`mushin.nn.functional.rrelu`)."""

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False,
                 *, dtype: Any = None, device: str | None = None) -> None:
        super().__init__(dtype=dtype, device=device)
        rrelu(0.0, lower, upper)
        self.lower = lower
        self.upper = upper
        self.inplace = inplace

    def _apply(self, x: Any) -> Any:
        return rrelu(x, self.lower, self.upper, self.training, inplace=self.inplace)

    def _options(self) -> str:
        return f"lower={self.lower}, upper={self.upper}"


class Softplus(_Activation):
    """``log(1 + exp(beta * x)) / beta``, linear above ``threshold``
    (:func:`mushin.nn.functional.softplus`)."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0, *, dtype: Any = None,
                 device: str | None = None) -> None:
        super().__init__(dtype=dtype, device=device)
        softplus(0.0, beta, threshold)
        self.beta = beta
        self.threshold = threshold

    def _apply(self, x: Any) -> Any:
        return softplus(x, self.beta, self.threshold)

    def _options(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardshrink(_Activation):
    """``x`` outside ``[-lambd, lambd]``, 0 inside (:func:`mushin.nn.functional.hardshrink`)."""

    def __init__(self, lambd: float = 0.5, *, dtype: Any = None,
                 device: str | None = None) -> None:
        super().__init__(dtype=dtype, device=device)
        hardshrink(0.0, lambd)
        self.lambd = lambd

    def _apply(self, x: Any) -> Any:
        return hardshrink(x, self.lambd)

    def _options(self) -> str:
        return f"{self.lambd}"


class Softshrink(Hardshrink):
    """``x`` moved ``lambd`` towards 0, 0 inside ``[-lambd, lambd]``
    (:func:`mushin.nn.functional.softshrink`)."""

    def __init__(self, lambd: float = 0.5, *, dtype: Any = None,
                 device: str | None = None) -> None:
        super().__init__(lambd, dtype=dtype, device=device)
        softshrink(0.0, lambd)

    def _apply(self, x: Any) -> Any:
        return softshrink(x, self.lambd)


class Softmax(_Activation):
    """``softmax`` along ``dim`` (or NumPy's ``axis=``; the last axis when neither is given,
    as :func:`mushin.nn.functional.softmax`)."""

    def __init__(self, dim: int | None = None, *, axis: int | None = None, dtype: Any = None,
                 device: str | None = None) -> None:
        super().__init__(dtype=dtype, device=device)
        name = type(self).__name__
        if dim is not None and axis is not None:
            raise TypeError(f"{name}: give dim= or axis=, not both")
        chosen = dim if dim is not None else axis
        self.dim = None if dim is None else integer(name, "dim (the axis)", dim)
        self.axis = -1 if chosen is None else integer(name, "dim (the axis)", chosen)

    def _apply(self, x: Any) -> Any:
        return softmax(x, self.axis)

    def _options(self) -> str:
        # PyTorch's form for a layer built with dim, the crate's for one built with axis.
        return f"axis={self.axis}" if self.dim is None else f"dim={self.dim}"


class LogSoftmax(Softmax):
    """``log_softmax`` along ``dim`` (or ``axis=``; the last axis by default)."""

    def _apply(self, x: Any) -> Any:
        return logsoftmax(x, self.axis)


class Softmin(Softmax):
    """``softmax(-x)`` along ``dim`` (or ``axis=``; the last axis by default)."""

    def _apply(self, x: Any) -> Any:
        return softmin(x, self.axis)


class Softmax2d(_Activation):
    """``softmax`` over the channels of each location of ``(N, C, H, W)`` or ``(C, H, W)``
    images (axis -3)."""

    def _apply(self, x: Any) -> Any:
        dims = shape_of(x)
        if len(dims) not in (3, 4):
            raise ShapeError(f"Softmax2d: expected an input of shape (N, C, H, W) or (C, H, W), "
                             f"got shape {dims}")
        return softmax(x, -3)


class GLU(Module):
    """The gated linear unit (:func:`mushin.nn.functional.glu`): ``x`` split in halves
    ``a, b`` along ``dim``, ``a * sigmoid(b)`` (half as long along ``dim``)."""

    def __init__(self, dim: int = -1, *, dtype: Any = None, device: str | None = None) -> None:
        super().__init__()
        check_options(dtype, device)
        self.dim = integer("GLU", "dim", dim)

    @overload
    def forward(self, x: Untyped) -> Untyped: ...
    @overload
    def forward(self, x: Variable[*Shape]) -> Variable[*tuple[Any, ...]]: ...
    @overload
    def forward(self, x: Constant[*Shape]) -> Constant[*tuple[Any, ...]]: ...

    def forward(self, x: Any) -> Any:
        """``x``'s first half along ``dim`` gated by the sigmoid of its second half."""
        tensor: Tensor[*tuple[Any, ...]] = x  # one overload of glu's, for pyright
        return glu(tensor, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class PReLU(Module):
    """``x`` where positive, ``weight * x`` elsewhere, with learnt slopes (PyTorch's
    ``nn.PReLU``): one shared slope (``num_parameters=1``) or one per channel (axis 1), each
    starting at ``init``."""

    weight: Variable[*tuple[Any, ...]]

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self.num_parameters = integer("PReLU", "num_parameters", num_parameters, minimum=1)
        self.init = init
        self.weight = fill((self.num_parameters,), init, dtype=dtype, device=device)

    @overload
    def forward(self, x: Untyped) -> Untyped: ...
    @overload
    def forward(self, x: Tensor[*Shape]) -> Variable[*Shape]: ...

    def forward(self, x: Any) -> Any:
        """``x`` with its negative values scaled by the learnt slopes."""
        # Tensors, so that pyright picks one overload of prelu's.
        tensor: Tensor[*tuple[Any, ...]] = x
        slopes: Tensor[*tuple[Any, ...]] = self._param(self.weight)
        return prelu(tensor, slopes)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"
