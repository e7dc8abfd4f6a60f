"""Probability distributions (``mu.distributions``): PyTorch's ``torch.distributions`` for
``Categorical``, ``Normal`` and ``Bernoulli``, and ``kl_divergence`` between two of a family.

A distribution holds its parameters as tensors: a ``Variable`` parameter keeps its graph, so
``log_prob``, ``entropy``, ``rsample`` and ``kl_divergence`` differentiate through it (the
REINFORCE, actor-critic and VAE programs), and the class is typed by that kind
(``Normal[Variable]``: its ``log_prob`` is a ``Variable``). Samples come from mushin's
generator on the parameters' device (``mu.manual_seed`` makes them reproducible; the draws are
not PyTorch's) and are ``Constant``s; ``Normal.rsample`` is the differentiable
(reparameterised) draw ``loc + eps * scale``.

Shapes are PyTorch's: ``batch_shape`` is the parameters' broadcast shape (a ``Categorical``'s
without its last axis, the categories), ``event_shape`` is ``()``, and
``sample(sample_shape)`` has the shape ``sample_shape + batch_shape``. With ``validate_args``
(on unless ``Distribution.set_default_validate_args(False)``, as in PyTorch) the parameters,
and the values given to ``log_prob``, are checked on the host.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast, overload

import numpy as np

from mushin._check import as_sequence, check_shape_argument, is_int, is_number
from mushin._creation import bernoulli, constant, full, randn
from mushin._tensor import Tensor, Variable
from mushin.nn.functional.activation import softplus
from mushin.nn.functional.criteria import binary_cross_entropy_with_logits
from mushin.ops import reduce
from mushin.ops.creation import multinomial
from mushin.ops.elementwise import clamp, exp, log, sqrt, where
from mushin.ops.gather_scatter import gather
from mushin.ops.shape import broadcast_to, reshape, squeeze, unsqueeze
from mushin.ops.special import erf, erfinv, sigmoid, softmax
from mushin.ops.unary import log1p, reciprocal

if TYPE_CHECKING:
    from mushin._tensor import Constant
    from mushin._typing import AnyShape, ConstantOperand, Operand

__all__ = ["Bernoulli", "Categorical", "Distribution", "Normal", "kl_divergence",
           "register_kl"]

KindT = TypeVar("KindT", bound="Tensor[*tuple[Any, ...]]")
"""The kind of a distribution's parameters, and of what it computes from them: ``Variable``
when a parameter is tracked, else ``Constant``."""


# --- parameters and values ------------------------------------------------------------------

def _as_tensor(owner: str, key: str, value: object, like: Any) -> Any:
    """``value`` as a tensor: tensors as they are; numbers, lists and NumPy arrays as
    ``Constant``s in ``like``'s dtype and on its device (float32 on the CPU without one)."""
    if isinstance(value, Tensor):
        return cast(Any, value)
    if is_number(value) or isinstance(value, list | np.ndarray):
        return constant(value, dtype=None if like is None else like.dtype,
                        device=None if like is None else like.device)
    raise TypeError(f"{owner}: {key} must be a tensor, an array or a number, got "
                    f"{type(value).__name__}")


def _broadcast(owner: str, named: dict[str, object]) -> list[Any]:
    """The tensors of ``named`` (name -> value), broadcast to one shape: PyTorch's
    ``broadcast_all`` (numbers take the tensors' dtype and device)."""
    like: Any = None
    for value in named.values():
        if like is None and isinstance(value, Tensor):
            like = cast(Any, value)
    tensors = [_as_tensor(owner, key, value, like) for key, value in named.items()]
    try:
        shape = np.broadcast_shapes(*(tensor.shape for tensor in tensors))
    except ValueError:
        shapes = ", ".join(f"{key} {tensor.shape}" for key, tensor in zip(named, tensors,
                                                                           strict=True))
        raise ValueError(f"{owner}: the parameters' shapes do not broadcast: {shapes}") from None
    return [tensor if tensor.shape == shape else broadcast_to(tensor, shape)
            for tensor in tensors]


def _require(owner: str, key: str, tensor: Tensor[*AnyShape],
             holds: Callable[[np.ndarray[Any, Any]], Any], what: str) -> None:
    """``ValueError`` unless ``holds`` is true of every value of ``tensor`` (read on the
    host)."""
    values = tensor.numpy()
    if not np.all(holds(values)):
        raise ValueError(f"{owner}: {key} must be {what}, got {np.array2string(values)[:80]}")


def _untracked(tensor: Any) -> Any:
    """``tensor`` out of the graph: a ``Constant`` with its values."""
    return cast(Any, tensor).detach() if isinstance(tensor, Variable) else tensor


def _sample_shape(owner: str, sample_shape: object) -> tuple[int, ...]:
    sizes = [sample_shape] if is_int(sample_shape) else as_sequence(sample_shape)
    if sizes is None or not all(is_int(size) and size >= 0 for size in sizes):
        raise TypeError(f"{owner}: sample_shape must be a tuple of ints >= 0, got "
                        f"{sample_shape!r}")
    return tuple(int(size) for size in sizes)


# --- the base -------------------------------------------------------------------------------

class Distribution(Generic[KindT]):
    """The common base: shapes, argument validation and the PyTorch interface.

    ``sample(sample_shape=())`` draws (a ``Constant``), ``rsample`` draws differentiably
    where the distribution can, ``log_prob(value)`` is the log density or mass, and
    ``entropy()``, ``mean``, ``mode``, ``variance``, ``stddev`` are as PyTorch's.
    """

    has_rsample = False
    """Whether ``rsample`` is available."""
    _validate_default = True

    def __init__(self, batch_shape: Sequence[int] = (), event_shape: Sequence[int] = (),
                 validate_args: bool | None = None) -> None:
        """``validate_args`` None takes the default (see ``set_default_validate_args``)."""
        if validate_args is not None and not isinstance(validate_args, bool):
            raise TypeError(f"{type(self).__name__}: validate_args must be None, True or "
                            f"False, got {validate_args!r}")
        self._batch_shape = check_shape_argument(type(self).__name__, batch_shape)
        self._event_shape = check_shape_argument(type(self).__name__, event_shape)
        self._validate_args = (Distribution._validate_default if validate_args is None
                               else validate_args)

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Whether distributions check their arguments unless told (PyTorch's default:
        True)."""
        if not isinstance(value, bool):
            raise TypeError(f"set_default_validate_args: expected True or False, got {value!r}")
        Distribution._validate_default = value

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """The shape over which the parameters are batched."""
        return self._batch_shape

    @property
    def event_shape(self) -> tuple[int, ...]:
        """The shape of one draw: ``()`` for these distributions."""
        return self._event_shape

    def _extended_shape(self, sample_shape: object = ()) -> tuple[int, ...]:
        """``sample_shape + batch_shape + event_shape``."""
        return (_sample_shape(type(self).__name__, sample_shape) + self._batch_shape
                + self._event_shape)

    def _value_shape(self, value: Tensor[*AnyShape]) -> None:
        """``ValueError`` unless ``value`` broadcasts against the batch shape."""
        try:
            np.broadcast_shapes(value.shape, self._batch_shape + self._event_shape)
        except ValueError:
            raise ValueError(f"{type(self).__name__}.log_prob: a value of shape {value.shape} "
                             f"does not broadcast against the batch shape "
                             f"{self._batch_shape}") from None

    def sample(self, sample_shape: Sequence[int] | int = ()) -> Constant[*AnyShape]:
        """Draws of shape ``sample_shape + batch_shape``, out of the graph."""
        raise NotImplementedError(f"{type(self).__name__} has no sampler")

    def rsample(self, sample_shape: Sequence[int] | int = ()) -> KindT:
        """Draws that gradients flow through (the reparameterisation trick)."""
        raise NotImplementedError(f"{type(self).__name__} has no differentiable rsample; use "
                                  "sample() (not differentiable) or log_prob for a score-"
                                  "function gradient")

    def log_prob(self, value: Operand) -> KindT:
        """The log of the density or mass at ``value``."""
        raise NotImplementedError(f"{type(self).__name__} has no log_prob")

    def entropy(self) -> KindT:
        """The entropy, one per batch element."""
        raise NotImplementedError(f"{type(self).__name__} has no entropy")

    def perplexity(self) -> KindT:
        """``exp(entropy())``."""
        result: KindT = exp(self.entropy())
        return result

    @property
    def mean(self) -> Tensor[*AnyShape]:
        """The mean, one per batch element."""
        raise NotImplementedError(f"{type(self).__name__} has no mean")

    @property
    def mode(self) -> Tensor[*AnyShape]:
        """The most likely value, one per batch element."""
        raise NotImplementedError(f"{type(self).__name__} has no mode")

    @property
    def variance(self) -> Tensor[*AnyShape]:
        """The variance, one per batch element."""
        raise NotImplementedError(f"{type(self).__name__} has no variance")

    @property
    def stddev(self) -> Tensor[*AnyShape]:
        """The standard deviation: the square root of the variance."""
        result: Tensor[*AnyShape] = sqrt(self.variance)
        return result

    def _parameters(self) -> dict[str, Tensor[*AnyShape]]:
        return {}

    def __repr__(self) -> str:
        described = ", ".join(
            f"{key}: {tensor.item() if tensor.ndim == 0 else tensor.shape}"
            for key, tensor in self._parameters().items())
        return f"{type(self).__name__}({described})"


# --- Normal ---------------------------------------------------------------------------------

class Normal(Distribution[KindT]):
    """The normal (Gaussian) distribution of mean ``loc`` and standard deviation ``scale``:
    PyTorch's ``torch.distributions.Normal``, with ``rsample``, ``cdf`` and ``icdf``."""

    has_rsample = True

    @overload
    def __init__(self: Normal[Variable[*AnyShape]], loc: Variable[*AnyShape], scale: Operand,
                 validate_args: bool | None = None) -> None: ...
    @overload
    def __init__(self: Normal[Variable[*AnyShape]], loc: ConstantOperand,
                 scale: Variable[*AnyShape], validate_args: bool | None = None) -> None: ...
    @overload
    def __init__(self: Normal[Constant[*AnyShape]], loc: ConstantOperand,
                 scale: ConstantOperand, validate_args: bool | None = None) -> None: ...
    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        """``loc`` and ``scale`` (> 0): tensors, arrays or numbers, broadcast together."""
        self._loc, self._scale = _broadcast("Normal", {"loc": loc, "scale": scale})
        numbers = is_number(loc) and is_number(scale)
        super().__init__(() if numbers else self._loc.shape, validate_args=validate_args)
        if self._validate_args:
            _require("Normal", "loc", self._loc, lambda a: ~np.isnan(a), "a number (not NaN)")
            _require("Normal", "scale", self._scale, lambda a: a > 0, "positive")

    def _parameters(self) -> dict[str, Tensor[*AnyShape]]:
        return {"loc": self._loc, "scale": self._scale}

    @property
    def loc(self) -> KindT:
        """The mean."""
        result: KindT = self._loc
        return result

    @property
    def scale(self) -> KindT:
        """The standard deviation."""
        result: KindT = self._scale
        return result

    @property
    def mean(self) -> KindT:
        """``loc``."""
        return self.loc

    @property
    def mode(self) -> KindT:
        """``loc``."""
        return self.loc

    @property
    def stddev(self) -> KindT:
        """``scale``."""
        return self.scale

    @property
    def variance(self) -> KindT:
        """``scale ** 2``."""
        result: KindT = self._scale ** 2
        return result

    def _noise(self, sample_shape: object) -> Any:
        return randn(size=self._extended_shape(sample_shape), dtype=self._loc.dtype,
                     device=self._loc.device)

    def sample(self, sample_shape: Sequence[int] | int = ()) -> Constant[*AnyShape]:
        """``loc + eps * scale`` for standard normal ``eps``, out of the graph."""
        result: Constant[*AnyShape] = _untracked(
            _untracked(self._loc) + self._noise(sample_shape) * _untracked(self._scale))
        return result

    def rsample(self, sample_shape: Sequence[int] | int = ()) -> KindT:
        """``loc + eps * scale`` for standard normal ``eps``: gradients reach ``loc`` and
        ``scale``."""
        result: KindT = self._loc + self._noise(sample_shape) * self._scale
        return result

    def _checked_value(self, value: object) -> Any:
        tensor = _as_tensor("Normal.log_prob", "value", value, self._loc)
        if self._validate_args:
            self._value_shape(tensor)
            _require("Normal.log_prob", "value", tensor, lambda a: ~np.isnan(a),
                     "a number (not NaN)")
        return tensor

    def log_prob(self, value: Operand) -> KindT:
        """``-(value - loc) ** 2 / (2 scale ** 2) - log(scale) - log(sqrt(2 pi))``."""
        tensor = self._checked_value(value)
        variance = self._scale ** 2
        result: KindT = (-((tensor - self._loc) ** 2) / (2 * variance) - log(self._scale)
                         - math.log(math.sqrt(2 * math.pi)))
        return result

    def cdf(self, value: Operand) -> KindT:
        """The cumulative distribution function at ``value``."""
        tensor = self._checked_value(value)
        result: KindT = 0.5 * (1 + erf((tensor - self._loc) * reciprocal(self._scale)
                                       / math.sqrt(2)))
        return result

    def icdf(self, value: Operand) -> KindT:
        """The inverse of ``cdf``: the value below which lies the probability ``value``."""
        tensor = _as_tensor("Normal.icdf", "value", value, self._loc)
        result: KindT = self._loc + self._scale * erfinv(2 * tensor - 1) * math.sqrt(2)
        return result

    def entropy(self) -> KindT:
        """``1/2 + log(2 pi) / 2 + log(scale)``."""
        result: KindT = 0.5 + 0.5 * math.log(2 * math.pi) + log(self._scale)
        return result


# --- Categorical and Bernoulli: given by probabilities or by logits -----------------------

def _clamped(probs: Any) -> Any:
    """``probs`` within ``[eps, 1 - eps]`` of their dtype (PyTorch's ``clamp_probs``)."""
    eps = float(np.finfo(probs.dtype).eps)
    return clamp(probs, eps, 1 - eps)


class _ProbsOrLogits(Distribution[KindT]):
    """Categorical's and Bernoulli's shared part: given by ``probs`` or by ``logits``, each
    computed from the other when first asked for."""

    _probs: Any
    _logits: Any

    def _given(self, owner: str, probs: object, logits: object) -> tuple[str, Any]:
        """Which of ``probs`` and ``logits`` was given (exactly one must be), as a tensor."""
        if (probs is None) == (logits is None):
            raise ValueError(f"{owner}: give either probs or logits, not both and not "
                             "neither")
        self._kind = "probs" if probs is not None else "logits"
        return self._kind, _as_tensor(owner, self._kind, probs if probs is not None
                                      else logits, None)

    def _parameters(self) -> dict[str, Tensor[*AnyShape]]:
        return {self._kind: self._probs_any() if self._kind == "probs"
                else self._logits_any()}

    @abstractmethod
    def _probs_any(self) -> Any:
        """``probs``, computed from the logits and kept on first use."""

    @abstractmethod
    def _logits_any(self) -> Any:
        """``logits``, computed from the probabilities and kept on first use."""

    @property
    def probs(self) -> KindT:
        """The probabilities (of each category; of a 1)."""
        result: KindT = self._probs_any()
        return result

    @property
    def logits(self) -> KindT:
        """The log-probabilities of each category; the log odds of a 1."""
        result: KindT = self._logits_any()
        return result


class Categorical(_ProbsOrLogits[KindT]):
    """A draw of one of ``K`` categories (the last axis of ``probs`` or ``logits``; the axes
    before it are the batch): PyTorch's ``torch.distributions.Categorical``.

    ``probs`` are normalised to sum to 1 along the last axis, ``logits`` to log-probabilities
    (``logits - logsumexp(logits)``); either gives the other. Draws are int64 category
    indices.
    """

    @overload
    def __init__(self: Categorical[Variable[*AnyShape]], probs: Variable[*AnyShape],
                 logits: None = None, validate_args: bool | None = None) -> None: ...
    @overload
    def __init__(self: Categorical[Variable[*AnyShape]], probs: None = None, *,
                 logits: Variable[*AnyShape], validate_args: bool | None = None) -> None: ...
    @overload
    def __init__(self: Categorical[Constant[*AnyShape]], probs: ConstantOperand | None = None,
                 logits: ConstantOperand | None = None,
                 validate_args: bool | None = None) -> None: ...
    def __init__(self, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        """``probs`` (non-negative) or ``logits``, with at least one axis."""
        key, param = self._given("Categorical", probs, logits)
        if param.ndim < 1:
            raise ValueError(f"Categorical: {key} must have at least one axis (the "
                             f"categories), got shape {param.shape}")
        self._probs = self._logits = None
        if key == "probs":
            self._probs = param / reduce.sum(param, -1, keepdim=True)
        else:
            self._logits = param - reduce.logsumexp(param, -1, keepdim=True)
        self._num_events: int = param.shape[-1]
        super().__init__(param.shape[:-1], validate_args=validate_args)
        if self._validate_args:
            if key == "probs":
                _require("Categorical", "probs", param,
                         lambda a: (a >= 0).all() & (a.sum(-1) > 0) & np.isfinite(a.sum(-1)),
                         "finite, non-negative and not all 0 along the last axis")
            else:
                _require("Categorical", "logits", param, lambda a: ~np.isnan(a),
                         "numbers (not NaN)")

    def _probs_any(self) -> Any:
        if self._probs is None:
            self._probs = softmax(self._logits, -1)
        return self._probs

    def _logits_any(self) -> Any:
        if self._logits is None:
            self._logits = log(_clamped(self._probs))
        return self._logits

    @property
    def param_shape(self) -> tuple[int, ...]:
        """``batch_shape + (K,)``."""
        return (*self._batch_shape, self._num_events)

    def _nan(self) -> Constant[*AnyShape]:
        probs = self._probs_any()
        result: Constant[*AnyShape] = full(self._extended_shape(), math.nan,
                                           dtype=probs.dtype, device=probs.device)
        return result

    @property
    def mean(self) -> Constant[*AnyShape]:
        """NaN, as PyTorch's (categories have no order)."""
        return self._nan()

    @property
    def variance(self) -> Constant[*AnyShape]:
        """NaN, as PyTorch's."""
        return self._nan()

    @property
    def mode(self) -> Constant[*AnyShape]:
        """The most likely category."""
        result: Constant[*AnyShape] = reduce.argmax(self._probs_any(), -1)
        return result

    def sample(self, sample_shape: Sequence[int] | int = ()) -> Constant[*AnyShape]:
        """Category indices (int64) of shape ``sample_shape + batch_shape``."""
        shape = self._extended_shape(sample_shape)
        count = math.prod(shape[:len(shape) - len(self._batch_shape)])
        probs = _untracked(self._probs_any())
        if count == 0 or 0 in self._batch_shape:
            empty: Constant[*AnyShape] = constant(np.zeros(shape, dtype=np.int64),
                                                  device=probs.device)
            return empty
        rows = reshape(probs, (-1, self._num_events))
        result: Constant[*AnyShape] = reshape(multinomial(rows, count, True).mT, shape)
        return result

    def log_prob(self, value: Operand) -> KindT:
        """The log-probability of the category index ``value`` (ints, broadcast against the
        batch shape)."""
        index = _as_tensor("Categorical.log_prob", "value", value, None)
        if self._validate_args:
            self._value_shape(index)
            _require("Categorical.log_prob", "value", index,
                     lambda a: (a == np.round(a)) & (a >= 0) & (a < self._num_events),
                     f"category indices in [0, {self._num_events})")
        index = unsqueeze(index.long(), -1)
        logits = self._logits_any()
        shape = np.broadcast_shapes(index.shape, logits.shape)
        if logits.shape != shape:
            logits = broadcast_to(logits, shape)
        index = broadcast_to(index, (*shape[:-1], 1))
        result: KindT = squeeze(gather(logits, -1, index), -1)
        return result

    def entropy(self) -> KindT:
        """``-sum(probs * logits)`` over the categories."""
        logits = self._logits_any()
        clamped = clamp(logits, float(np.finfo(logits.dtype).min))
        result: KindT = -reduce.sum(clamped * self._probs_any(), -1)
        return result


class Bernoulli(_ProbsOrLogits[KindT]):
    """A draw of 1 with probability ``probs`` (or ``sigmoid(logits)``), else 0: PyTorch's
    ``torch.distributions.Bernoulli``. Draws are 0.0 and 1.0 in the parameter's dtype."""

    @overload
    def __init__(self: Bernoulli[Variable[*AnyShape]], probs: Variable[*AnyShape],
                 logits: None = None, validate_args: bool | None = None) -> None: ...
    @overload
    def __init__(self: Bernoulli[Variable[*AnyShape]], probs: None = None, *,
                 logits: Variable[*AnyShape], validate_args: bool | None = None) -> None: ...
    @overload
    def __init__(self: Bernoulli[Constant[*AnyShape]], probs: ConstantOperand | None = None,
                 logits: ConstantOperand | None = None,
                 validate_args: bool | None = None) -> None: ...
    def __init__(self, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        """``probs`` in [0, 1], or ``logits`` (log odds)."""
        key, param = self._given("Bernoulli", probs, logits)
        self._probs = param if key == "probs" else None
        self._logits = param if key == "logits" else None
        numbers = is_number(probs if key == "probs" else logits)
        super().__init__(() if numbers else param.shape, validate_args=validate_args)
        if self._validate_args:
            if key == "probs":
                _require("Bernoulli", "probs", param, lambda a: (a >= 0) & (a <= 1),
                         "probabilities in [0, 1]")
            else:
                _require("Bernoulli", "logits", param, lambda a: ~np.isnan(a),
                         "numbers (not NaN)")

    def _probs_any(self) -> Any:
        if self._probs is None:
            self._probs = sigmoid(self._logits)
        return self._probs

    def _logits_any(self) -> Any:
        if self._logits is None:
            clamped = _clamped(self._probs)
            self._logits = log(clamped) - log1p(-clamped)
        return self._logits

    @property
    def param_shape(self) -> tuple[int, ...]:
        """``batch_shape``."""
        return self._batch_shape

    @property
    def mean(self) -> KindT:
        """``probs``."""
        return self.probs

    @property
    def variance(self) -> KindT:
        """``probs * (1 - probs)``."""
        probs = self._probs_any()
        result: KindT = probs * (1 - probs)
        return result

    @property
    def mode(self) -> Constant[*AnyShape]:
        """1.0 where ``probs > 1/2``, 0.0 where below, NaN at 1/2 (PyTorch's)."""
        probs = _untracked(self._probs_any())
        result: Constant[*AnyShape] = where(probs == 0.5, math.nan,
                                            (probs > 0.5).to(probs.dtype))
        return result

    def sample(self, sample_shape: Sequence[int] | int = ()) -> Constant[*AnyShape]:
        """0.0 or 1.0 in the parameter's dtype, of shape ``sample_shape + batch_shape``."""
        probs = _untracked(self._probs_any())
        shape = self._extended_shape(sample_shape)
        result: Constant[*AnyShape] = bernoulli(
            probs if probs.shape == shape else broadcast_to(probs, shape))
        return result

    def log_prob(self, value: Operand) -> KindT:
        """``value * log(p) + (1 - value) * log(1 - p)`` from the logits, stably:
        ``-binary_cross_entropy_with_logits(logits, value)``."""
        logits = self._logits_any()
        tensor = _as_tensor("Bernoulli.log_prob", "value", value, logits)
        if self._validate_args:
            self._value_shape(tensor)
            _require("Bernoulli.log_prob", "value", tensor, lambda a: (a == 0) | (a == 1),
                     "0 or 1")
        logits, tensor = _broadcast("Bernoulli.log_prob", {"logits": logits,
                                                           "value": tensor})
        result: KindT = -binary_cross_entropy_with_logits(logits, tensor, reduction="none")
        return result

    def entropy(self) -> KindT:
        """``-p log p - (1 - p) log(1 - p)``, from the logits."""
        result: KindT = binary_cross_entropy_with_logits(
            self._logits_any(), self._probs_any(), reduction="none")
        return result


# --- Kullback-Leibler divergences ---------------------------------------------------------

_KL: dict[tuple[type[Any], type[Any]], Callable[[Any, Any], Any]] = {}
"""The KL divergence of each registered pair of distribution types."""

DistributionT = TypeVar("DistributionT", bound=Distribution[Any])
OtherT = TypeVar("OtherT", bound=Distribution[Any])


def register_kl(type_p: type[DistributionT], type_q: type[OtherT]) -> Callable[
        [Callable[[DistributionT, OtherT], Any]], Callable[[DistributionT, OtherT], Any]]:
    """A decorator registering a function ``(p, q) -> KL(p || q)`` for these two types
    (PyTorch's ``register_kl``); the most specific registered pair wins."""
    def register(function: Callable[[DistributionT, OtherT], Any]) -> Callable[
            [DistributionT, OtherT], Any]:
        _KL[type_p, type_q] = function
        return function
    return register


@overload
def kl_divergence(p: Distribution[Variable[*AnyShape]],
                  q: Distribution[Any]) -> Variable[*AnyShape]: ...
@overload
def kl_divergence(p: Distribution[Any],
                  q: Distribution[Variable[*AnyShape]]) -> Variable[*AnyShape]: ...
@overload
def kl_divergence(p: Distribution[Constant[*AnyShape]],
                  q: Distribution[Constant[*AnyShape]]) -> Constant[*AnyShape]: ...
def kl_divergence(p: Distribution[Any], q: Distribution[Any]) -> Any:
    """``KL(p || q)``, one per batch element: between two ``Normal``s, two ``Categorical``s
    or two ``Bernoulli``s (and pairs added with ``register_kl``); infinite where ``q`` gives
    no mass to what ``p`` can draw."""
    for type_p in type(p).__mro__:
        for type_q in type(q).__mro__:
            function = _KL.get((type_p, type_q))
            if function is not None:
                return function(p, q)
    raise NotImplementedError(f"kl_divergence: no KL divergence is registered for "
                              f"{type(p).__name__} and {type(q).__name__}")


@register_kl(Normal, Normal)
def _kl_normal_normal(p: Normal[Any], q: Normal[Any]) -> Any:
    variance_ratio = (p.scale / q.scale) ** 2
    shift = ((p.loc - q.loc) / q.scale) ** 2
    return 0.5 * (variance_ratio + shift - 1 - log(variance_ratio))


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p: Categorical[Any], q: Categorical[Any]) -> Any:
    p_probs, q_probs = p.probs, q.probs
    terms = p_probs * (p.logits - q.logits)
    terms = where(_untracked(q_probs) == 0, math.inf, terms)
    terms = where(_untracked(p_probs) == 0, 0.0, terms)
    return reduce.sum(terms, -1)


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p: Bernoulli[Any], q: Bernoulli[Any]) -> Any:
    p_probs, q_probs = p.probs, q.probs
    p_logits, q_logits = p.logits, q.logits
    p_fixed, q_fixed = _untracked(p_probs), _untracked(q_probs)
    ones = p_probs * (softplus(-q_logits) - softplus(-p_logits))
    ones = where(p_fixed == 0, 0.0, where(q_fixed == 0, math.inf, ones))
    zeros = (1 - p_probs) * (softplus(q_logits) - softplus(p_logits))
    zeros = where(p_fixed == 1, 0.0, where(q_fixed == 1, math.inf, zeros))
    return ones + zeros
