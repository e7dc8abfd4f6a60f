"""``Module``, the base of every layer, and ``Sequential``.

A module registers what is assigned to its attributes: a ``Variable`` becomes a parameter, a
``Module`` a sub-module, and ``register_buffer`` declares a non-trained state tensor (running
statistics). Everything else (parameter lists, dotted names, state dicts, moving between
devices, freezing) walks those three ordered registries recursively.

Two flags are consulted by ``forward`` code. ``training`` (PyTorch's: set recursively by
``train()`` / ``eval()``) switches dropout off and batch normalisation to its running
statistics. Freezing (``freeze()`` / ``unfreeze()``) also sets ``training`` and, besides, makes
``self._param(p)`` give ``p.freeze()`` (a ``Constant`` sharing its values) instead of the
parameter ``p`` itself, so no gradient reaches it; the ``Variable`` objects an optimizer holds
stay the parameters throughout.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import (
    TYPE_CHECKING,
    Any,
    Generic,
    Literal,
    NamedTuple,
    Protocol,
    Self,
    TypeAlias,
    TypeGuard,
    TypeVar,
    TypeVarTuple,
    cast,
    overload,
)

import numpy as np

from mushin import _backend
from mushin._check import is_int, operation_name
from mushin._tensor import (
    Constant,
    Tensor,
    Variable,
    new_constant,
    new_variable,
    replace_array,
    replace_grad,
    storage,
    stored_grad,
    writable,
)

if TYPE_CHECKING:
    from mushin._typing import HostArray, Untyped

Parameter = Variable[*tuple[Any, ...]]
"""A parameter: a ``Variable`` of any shape."""
Buffer = Constant[*tuple[Any, ...]]
"""A buffer: a ``Constant`` of any shape."""


class Parameters(list[Parameter]):
    """What ``Module.parameters()`` gives: a list of parameters that is also an iterator, so
    that ``next(model.parameters())`` takes the first as PyTorch's generator would (and each
    further ``next`` the following one, ``StopIteration`` at the end)."""

    _position = 0

    def __next__(self) -> Parameter:
        if self._position >= len(self):
            raise StopIteration
        self._position += 1
        return self[self._position - 1]


def _is_parameter(value: object) -> TypeGuard[Parameter]:
    return isinstance(value, Variable)


def _is_buffer(value: object) -> TypeGuard[Buffer]:
    return isinstance(value, Constant)


class LoadResult(NamedTuple):
    """What ``load_state_dict(strict=False)`` skipped: keys missing from, or unknown to, the
    state dict."""

    missing_keys: list[str]
    unexpected_keys: list[str]


_Forward = TypeVar("_Forward", bound=Callable[..., Any], covariant=True)


class _HasForward(Protocol[_Forward]):
    @property
    def forward(self) -> _Forward: ...


class _CallsForward:
    """``Module.__call__``: ``module(x)`` is ``module.forward(x)``, and type checkers see
    ``forward``'s own signature (shapes included) at every call, not ``(*args) -> Any``."""

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> _CallsForward: ...

    @overload
    def __get__(self, instance: _HasForward[_Forward], owner: type[Any]) -> _Forward: ...

    def __get__(self, instance: Any, owner: type[Any]) -> Any:
        return self if instance is None else instance.forward


def _forward_not_written(self: Module, *args: Any, **kwargs: Any) -> Any:
    """The module's computation: every subclass defines it, and ``module(x)`` calls it."""
    raise NotImplementedError(f"{type(self).__name__} does not define forward()")


class Module:
    """The base class of layers and models (PyTorch's ``nn.Module``).

    Subclasses call ``super().__init__()`` first, assign their parameters (``Variable``\\ s)
    and sub-modules as attributes, and define ``forward``; ``module(x)`` calls it.
    """

    training: bool
    _frozen: bool = False
    _parameters: dict[str, Parameter]
    _buffers: dict[str, Buffer]
    _non_persistent_buffers: set[str]
    _modules: dict[str, Module]

    forward: Callable[..., Any] = _forward_not_written
    """The computation; subclasses define it with their own signature."""

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", {})

    __call__ = _CallsForward()

    # --- registration ------------------------------------------------------------------
    def _registries(self) -> tuple[dict[str, Parameter], dict[str, Buffer],
                                   dict[str, Module]]:
        if "_modules" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before "
                                 "assigning attributes to a Module")
        return self._parameters, self._buffers, self._modules

    def __setattr__(self, name: str, value: Any) -> None:
        parameters, buffers, modules = self._registries()
        if isinstance(value, Variable):
            if not value.is_leaf:
                raise ValueError(
                    f"{type(self).__name__}.{name}: a parameter must be a leaf Variable, but "
                    f"this one is the result of '{value.grad_fn}' (its gradient would flow into "
                    "the operation, not into it, and its graph be freed by the first "
                    "backward); make it a leaf: nn.Parameter(x.detach()), or compute it "
                    "under mu.no_grad()")
            self._forget_buffer(name)
            modules.pop(name, None)
            parameters[name] = value
        elif isinstance(value, Module):
            parameters.pop(name, None)
            self._forget_buffer(name)
            modules[name] = value
        elif name in buffers:
            value = self._as_buffer(name, value)
            buffers[name] = value
        else:
            parameters.pop(name, None)
            modules.pop(name, None)
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        parameters, _, modules = self._registries()
        parameters.pop(name, None)
        self._forget_buffer(name)
        modules.pop(name, None)
        object.__delattr__(self, name)

    def _forget_buffer(self, name: str) -> None:
        self._buffers.pop(name, None)
        self._non_persistent_buffers.discard(name)

    @staticmethod
    def _as_buffer(name: str, value: Any) -> Buffer:
        if _is_buffer(value):
            return value
        if _is_parameter(value):
            return value.freeze()
        if hasattr(value, "shape") and hasattr(value, "dtype"):
            return new_constant(value)
        raise TypeError(f"buffer {name!r} must be a Constant or an array, got "
                        f"{type(value).__name__}")

    def register_buffer(self, name: str, tensor: Any, persistent: bool = True) -> None:
        """Declare ``name`` as a buffer: state saved in ``state_dict`` but not trained.

        ``tensor`` is a ``Constant`` or a backend array (a ``Variable`` is frozen). A
        non-persistent buffer (``persistent=False``, as PyTorch) is moved and converted with
        the module but left out of ``state_dict`` and ``load_state_dict``.
        """
        parameters, buffers, modules = self._registries()
        if not isinstance(name, str) or not name or "." in name:
            raise ValueError(f"a buffer name must be a non-empty string without dots, got "
                             f"{name!r}")
        parameters.pop(name, None)
        modules.pop(name, None)
        buffers[name] = self._as_buffer(name, tensor)
        non_persistent = self._non_persistent_buffers
        if persistent:
            non_persistent.discard(name)
        else:
            non_persistent.add(name)
        object.__setattr__(self, name, buffers[name])

    def add_module(self, name: str, module: Module) -> None:
        """Register ``module`` as the sub-module ``name`` (names need not be identifiers)."""
        if not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be a Module, got "
                            f"{type(module).__name__}")
        if not isinstance(name, str) or not name or "." in name:
            raise ValueError(f"a module name must be a non-empty string without dots, got "
                             f"{name!r}")
        setattr(self, name, module)

    def _param(self, parameter: Parameter | None) -> Any:
        """``parameter``; a ``Constant`` with its values when frozen (``freeze()``; ``eval()``
        alone does not freeze)."""
        if parameter is None or not self._frozen:
            return parameter
        return parameter.freeze()

    # --- walking the tree ----------------------------------------------------------------
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """Every module in the tree, this one first (name ``prefix``), each once."""
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{child_name}" if name else child_name, child)
                        for child_name, child in module._modules.items()]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        """Every module in the tree, this one first, each once."""
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The direct sub-modules with their names."""
        yield from self._modules.items()

    def children(self) -> Iterator[Module]:
        """The direct sub-modules."""
        yield from self._modules.values()

    def named_parameters(self, prefix: str = "") -> list[tuple[str, Parameter]]:
        """``(dotted name, Variable)`` for every parameter of the tree, each once."""
        seen: set[int] = set()
        found: list[tuple[str, Parameter]] = []
        for module_name, module in self.named_modules(prefix):
            for name, parameter in module._parameters.items():
                if id(parameter) not in seen:
                    seen.add(id(parameter))
                    found.append((f"{module_name}.{name}" if module_name else name, parameter))
        return found

    def parameters(self) -> Parameters:
        """Every parameter of the tree, each once, in registration order: a list, which
        ``next()`` also walks as it would PyTorch's generator (``next(model.parameters())``)."""
        return Parameters(parameter for _, parameter in self.named_parameters())

    def named_buffers(self, prefix: str = "") -> list[tuple[str, Buffer]]:
        """``(dotted name, Constant)`` for every buffer of the tree."""
        return [(f"{module_name}.{name}" if module_name else name, buffer)
                for module_name, module in self.named_modules(prefix)
                for name, buffer in module._buffers.items()]

    def buffers(self) -> list[Buffer]:
        """Every buffer of the tree."""
        return [buffer for _, buffer in self.named_buffers()]

    # --- modes -----------------------------------------------------------------------------
    def train(self, mode: bool = True) -> Self:
        """Set ``training`` to ``mode`` on this module and, recursively, its children (as
        PyTorch); returns this module. Parameters stay trainable (see ``freeze()``)."""
        if not isinstance(mode, bool):
            raise ValueError(f"training mode is expected to be boolean, got {mode!r}")
        object.__setattr__(self, "training", mode)
        for module in self.children():
            module.train(mode)
        return self

    def eval(self) -> Self:
        """``train(False)``: dropout is the identity and batch normalisation uses its running
        statistics; parameters still receive gradients. Returns this module."""
        return self.train(False)

    def freeze(self) -> Module:
        """Inference mode, in place and recursively; returns this module.

        Parameters enter computations as ``Constant``\\ s (no gradient reaches them), and,
        as after ``eval()``, dropout is off and batch normalisation uses its running
        statistics.
        """
        for module in self.modules():
            object.__setattr__(module, "training", False)
            object.__setattr__(module, "_frozen", True)
        return self

    def unfreeze(self) -> Module:
        """Training mode again, in place and recursively; returns this module.

        The parameters are the same ``Variable`` objects as before, so an optimizer built
        earlier keeps working.
        """
        for module in self.modules():
            object.__setattr__(module, "training", True)
            object.__setattr__(module, "_frozen", False)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradient of every parameter of the tree: forget it (``set_to_none``,
        PyTorch's default) or set it to zeros; ``grad()`` reads zeros either way."""
        for parameter in self.parameters():
            if set_to_none:
                replace_grad(parameter, None)
            else:
                data = storage(parameter)
                replace_grad(parameter, _backend.namespace_of(data).zeros_like(data))

    def apply(self, fn: Callable[[Module], object]) -> Self:
        """Call ``fn`` on every sub-module (children first, recursively) and then on this
        module, as PyTorch; returns this module."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # --- state -------------------------------------------------------------------------------
    def _state_items(self, persistent_only: bool = True
                     ) -> list[tuple[str, Tensor[*tuple[Any, ...]]]]:
        """Every parameter and (persistent) buffer by dotted name, module by module
        (PyTorch's order)."""
        items: list[tuple[str, Tensor[*tuple[Any, ...]]]] = []
        for module_name, module in self.named_modules():
            prefix = f"{module_name}." if module_name else ""
            skipped: set[str] = module._non_persistent_buffers if persistent_only else set()
            items.extend((prefix + name, tensor) for name, tensor in module._parameters.items())
            items.extend((prefix + name, tensor) for name, tensor in module._buffers.items()
                         if name not in skipped)
        return items

    def state_dict(self) -> dict[str, Buffer]:
        """An ordered ``dict`` of dotted name -> ``Constant`` copy of every parameter and
        buffer, on the device it lives on; later training does not change it."""
        state: dict[str, Buffer] = {}
        for name, tensor in self._state_items():
            data = storage(tensor)
            state[name] = new_constant(data.copy())
        return state

    def load_state_dict(self, state: Any, strict: bool = True) -> LoadResult:
        """Copy the values of ``state`` (name -> tensor or array) into the parameters and
        buffers, in place: the ``Variable`` objects stay the same.

        Everything is checked before anything changes: a key missing from ``state``, a key
        this module does not have (both only when ``strict``), a value of the wrong shape, or
        a tensor or array of another kind of dtype (integers or bools for a floating
        parameter: a damaged or mismatched checkpoint; float64 for float32 is converted, as
        are Python numbers) raises a ``ValueError`` naming the keys (and shapes or dtypes).
        """
        if not hasattr(state, "items"):
            raise TypeError(f"load_state_dict: expected a dict of name -> tensor, got "
                            f"{type(state).__name__}")
        own = dict(self._state_items())
        missing = [name for name in own if name not in state]
        unexpected = [name for name in state if name not in own]
        problems: list[str] = []
        if strict and missing:
            problems.append(f"missing keys {missing}")
        if strict and unexpected:
            problems.append(f"unexpected keys {unexpected}")
        converted: list[tuple[Tensor[*tuple[Any, ...]], Any]] = []
        wrong_shapes: list[str] = []
        wrong_dtypes: list[str] = []
        for name, value in state.items():
            target = own.get(name)
            if target is None:
                continue
            array = _host_or_device_array(value, name)
            if tuple(array.shape) != target.shape:
                wrong_shapes.append(f"{name!r}: expected shape {target.shape}, got "
                                    f"{tuple(array.shape)}")
                continue
            if array.dtype.kind != target.dtype.kind and hasattr(value, "dtype"):
                wrong_dtypes.append(f"{name!r}: expected {target.dtype}, got {array.dtype}")
                continue
            converted.append((target, array))
        if wrong_shapes:
            problems.append("wrongly shaped keys " + "; ".join(wrong_shapes))
        if wrong_dtypes:
            problems.append("keys of the wrong dtype " + "; ".join(wrong_dtypes))
        if problems:
            raise ValueError(f"load_state_dict into {type(self).__name__}: "
                             + ", ".join(problems))
        for target, array in converted:
            data = writable(target)
            data[...] = _backend.backend_of(data).asarray(array, dtype=data.dtype)
        return LoadResult(missing, unexpected)

    def to(self, device: Any = None, dtype: Any = None) -> Module:
        """Move every parameter, its gradient, and every buffer to ``device`` and/or convert
        the floating ones to the floating ``dtype``, in place (the ``Variable`` objects stay
        the parameters); returns this module. As PyTorch, ``to("cuda")``, ``to(dtype)``,
        ``to(device, dtype)`` and ``to(device=..., dtype=...)`` are accepted."""
        if dtype is None and device is not None and not _is_device(device):
            device, dtype = None, device
        if device is not None:
            self._convert(_backend.backend(device).asarray)
        if dtype is not None:
            target_dtype = _backend.float_dtype(dtype)
            self._convert(lambda array: array.astype(target_dtype, copy=False)
                          if array.dtype.kind == "f" else array)
        return self

    def _convert(self, convert: Callable[[Any], Any]) -> None:
        """Replace the array of every parameter, gradient and buffer by ``convert(array)``."""
        for parameter in self.parameters():
            replace_array(parameter, convert(storage(parameter)))
            grad = stored_grad(parameter)
            if isinstance(grad, Tensor):
                replace_grad(parameter, new_variable(convert(storage(grad))))
            elif grad is not None:
                replace_grad(parameter, convert(grad))
        for buffer in self.buffers():
            replace_array(buffer, convert(storage(buffer)))

    def cpu(self) -> Self:
        """Every parameter and buffer moved to the CPU, in place; returns this module."""
        self.to("cpu")
        return self

    def cuda(self, device: int | str | None = None) -> Self:
        """Every parameter and buffer moved to a CUDA device (an index or a name; the first GPU
        by default), in place; returns this module."""
        self.to("cuda:0" if device is None else f"cuda:{device}" if is_int(device)
                else str(device))
        return self

    def double(self) -> Self:
        """Floating parameters and buffers to float64, in place; returns this module."""
        self.to(dtype="float64")
        return self

    def float(self) -> Self:
        """Floating parameters and buffers to float32, in place; returns this module."""
        self.to(dtype="float32")
        return self

    def half(self) -> Self:
        """Floating parameters and buffers to float16, in place; returns this module."""
        self.to(dtype="float16")
        return self

    @property
    def device(self) -> str:
        """The device of the first parameter or buffer (``"cpu"`` for a module without)."""
        for _, tensor in self._state_items(persistent_only=False):
            return tensor.device
        return "cpu"

    # --- display -----------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The constructor arguments shown by ``repr`` (layers override it)."""
        return ""

    def __repr__(self) -> str:
        lines = [line for line in self.extra_repr().split("\n") if line]
        for name, module in self._modules.items():
            child = repr(module).replace("\n", "\n  ")
            lines.append(f"({name}): {child}")
        if not self._modules:
            return f"{type(self).__name__}({', '.join(lines)})"
        body = "\n  ".join(lines)
        return f"{type(self).__name__}(\n  {body}\n)"


def check_options(dtype: Any, device: str | None) -> None:
    """Validate the ``dtype=`` and ``device=`` of a layer that holds no parameters (every
    layer takes them, so that a model's layers can all be built the same way)."""
    if dtype is not None:
        _backend.float_dtype(dtype)
    if device is not None:
        _backend.backend(device)


def _is_device(value: Any) -> bool:
    """Whether ``to``'s first argument names a device rather than a dtype."""
    if isinstance(value, _backend.Backend):
        return True
    if not isinstance(value, str):
        return False
    try:
        _backend.backend(value)
    except ValueError:
        return False
    return True


def _host_or_device_array(value: Any, name: str) -> Any:
    """A state dict value as an array (a tensor's own array, or a NumPy array)."""
    if isinstance(value, Tensor):
        return storage(value)
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return value
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise TypeError(f"load_state_dict: value of {name!r} is not a tensor or an array "
                        f"({type(value).__name__})") from error
    if array.dtype.kind not in "biuf":
        raise TypeError(f"load_state_dict: value of {name!r} is not numeric "
                        f"({type(value).__name__})")
    return array


class Lambda(Module):
    """A function without parameters (``mu.nn.activations.relu``...) as a module, so that
    it can sit in a ``Sequential``."""

    def __init__(self, function: Callable[..., Any]) -> None:
        super().__init__()
        self.function = function

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """``function(*args, **kwargs)``."""
        return self.function(*args, **kwargs)

    def extra_repr(self) -> str:
        return getattr(self.function, "__name__", repr(self.function))


if TYPE_CHECKING:
    # PEP 696's default (typing_extensions' TypeVarTuple): a bare ``Sequential`` holds layers
    # known only at run time, as a bare ``Variable`` has a run-time shape, so that every
    # ``Sequential`` is one (a TypeVarTuple is invariant: a default of ``Module`` items would not
    # take a ``Sequential[Linear, ReLU]``).
    from typing_extensions import TypeVarTuple as _DefaultingTypeVarTuple
    from typing_extensions import Unpack

    Layers = _DefaultingTypeVarTuple("Layers", default=Unpack[tuple[Any, ...]])
else:
    Layers = TypeVarTuple("Layers")
"""The types of a ``Sequential``'s layers, in order."""
_Layer = TypeVar("_Layer", bound=Module)
_Layer_co = TypeVar("_Layer_co", bound=Module, covariant=True)
_L0 = TypeVar("_L0", bound=Module)
_L1 = TypeVar("_L1", bound=Module)
_L2 = TypeVar("_L2", bound=Module)
_L3 = TypeVar("_L3", bound=Module)
_L4 = TypeVar("_L4", bound=Module)
_L5 = TypeVar("_L5", bound=Module)
_L6 = TypeVar("_L6", bound=Module)
_L7 = TypeVar("_L7", bound=Module)


class _Layered(Protocol[_Layer_co]):
    """A ``Sequential`` seen as holding ``_Layer_co``\\ s: matching its layer types against
    ``tuple[_Layer_co, ...]`` gives their union (pyright) or common base class (mypy)."""

    @property
    def _layers(self) -> tuple[_Layer_co, ...]: ...


class Sequential(Module, Generic[*Layers]):
    """Modules applied one after the other: ``Sequential(a, b, c)(x) == c(b(a(x)))``.

    Plain functions (activations) are accepted and wrapped in a ``Lambda``. The layers are
    named ``"0"``, ``"1"``...; a ``Sequential`` is indexable (an int or a slice), sized and
    iterable.

    For the type checkers it is generic over its layers' types: ``Sequential(Linear(4, 8),
    ReLU())`` is a ``Sequential[Linear[int, int], ReLU]`` (up to eight modules; more, or a
    list unpacked, give one type for all), so ``seq[0]`` is the ``Linear``, ``seq[-1]`` the
    last layer (pyright), and iterating, another index or a slice give the union of the
    layers' types (pyright) or their common base class (mypy). With a plain function among
    the layers they are ``Module``\\ s. Its ``forward`` is ``Any``: the types cannot chain
    layers whose ``forward`` is generic over the batch axes.
    """

    @overload
    def __init__(self: Sequential[*tuple[Module, ...]]) -> None: ...

    @overload
    def __init__(self: Sequential[_L0], l0: _L0, /) -> None: ...

    @overload
    def __init__(self: Sequential[_L0, _L1], l0: _L0, l1: _L1, /) -> None: ...

    @overload
    def __init__(self: Sequential[_L0, _L1, _L2], l0: _L0, l1: _L1, l2: _L2, /) -> None: ...

    @overload
    def __init__(self: Sequential[_L0, _L1, _L2, _L3], l0: _L0, l1: _L1, l2: _L2, l3: _L3,
                 /) -> None: ...

    @overload
    def __init__(self: Sequential[_L0, _L1, _L2, _L3, _L4], l0: _L0, l1: _L1, l2: _L2,
                 l3: _L3, l4: _L4, /) -> None: ...

    @overload
    def __init__(self: Sequential[_L0, _L1, _L2, _L3, _L4, _L5], l0: _L0, l1: _L1, l2: _L2,
                 l3: _L3, l4: _L4, l5: _L5, /) -> None: ...

    @overload
    def __init__(self: Sequential[_L0, _L1, _L2, _L3, _L4, _L5, _L6], l0: _L0, l1: _L1,
                 l2: _L2, l3: _L3, l4: _L4, l5: _L5, l6: _L6, /) -> None: ...

    @overload
    def __init__(self: Sequential[_L0, _L1, _L2, _L3, _L4, _L5, _L6, _L7], l0: _L0, l1: _L1,
                 l2: _L2, l3: _L3, l4: _L4, l5: _L5, l6: _L6, l7: _L7, /) -> None: ...

    @overload
    def __init__(self: Sequential[*tuple[_Layer, ...]], *layers: _Layer) -> None: ...

    @overload
    def __init__(self: Sequential[*tuple[Module, ...]],
                 *layers: Module | Callable[..., Any]) -> None: ...

    def __init__(self, *layers: Module | Callable[..., Any]) -> None:
        super().__init__()
        for index, layer in enumerate(layers):
            if not isinstance(layer, Module):
                if not callable(layer):
                    raise TypeError(f"Sequential: layer {index} must be a Module or a "
                                    f"function, got {type(layer).__name__}")
                layer = Lambda(layer)
            self.add_module(str(index), layer)

    def forward(self, x: Any) -> Any:
        """``x`` passed through every layer in order."""
        for layer in self._modules.values():
            x = layer(x)
        return x

    def __len__(self) -> int:
        return len(self._modules)

    @property
    def _layers(self) -> tuple[*Layers]:
        """The layers in order, of the constructor's types (they are its arguments, or the
        ``Lambda``\\ s wrapping functions, which the constructor then types ``Module``)."""
        return cast("tuple[*Layers]", tuple(self._modules.values()))

    # ``self`` is typed as the protocol so that the layers' types reach the result; pyright then
    # takes reading ``_layers`` (this class's own) for a use of the protocol's private member.
    def __iter__(self: _Layered[_Layer]) -> Iterator[_Layer]:
        return iter(self._layers)  # pyright: ignore[reportPrivateUsage]

    @overload
    def __getitem__(self: Sequential[_L0, *tuple[Any, ...]], index: Literal[0]) -> _L0: ...

    @overload
    def __getitem__(self: Sequential[Any, _L1, *tuple[Any, ...]], index: Literal[1]) -> _L1: ...

    @overload
    def __getitem__(self: Sequential[Any, Any, _L2, *tuple[Any, ...]],
                    index: Literal[2]) -> _L2: ...

    @overload
    def __getitem__(self: Sequential[Any, Any, Any, _L3, *tuple[Any, ...]],
                    index: Literal[3]) -> _L3: ...

    @overload
    def __getitem__(self: Sequential[Any, Any, Any, Any, _L4, *tuple[Any, ...]],
                    index: Literal[4]) -> _L4: ...

    @overload
    def __getitem__(self: Sequential[Any, Any, Any, Any, Any, _L5, *tuple[Any, ...]],
                    index: Literal[5]) -> _L5: ...

    @overload
    def __getitem__(self: Sequential[Any, Any, Any, Any, Any, Any, _L6, *tuple[Any, ...]],
                    index: Literal[6]) -> _L6: ...

    @overload
    def __getitem__(self: Sequential[Any, Any, Any, Any, Any, Any, Any, _L7, *tuple[Any, ...]],
                    index: Literal[7]) -> _L7: ...

    @overload
    def __getitem__(self: Sequential[*tuple[Any, ...], _L0], index: Literal[-1]) -> _L0: ...

    @overload
    def __getitem__(self: _Layered[_Layer], index: int) -> _Layer: ...

    @overload
    def __getitem__(self: _Layered[_Layer], index: slice) -> Sequential[*tuple[_Layer, ...]]: ...

    def __getitem__(self: _Layered[_Layer], index: int | slice
                    ) -> _Layer | Sequential[*tuple[_Layer, ...]]:
        layers = list(self._layers)  # pyright: ignore[reportPrivateUsage]
        if isinstance(index, slice):
            return Sequential(*layers[index])
        if not is_int(index):
            raise TypeError(f"Sequential indices must be ints or slices, got {index!r}")
        if not -len(layers) <= index < len(layers):
            raise IndexError(f"Sequential index {index} is out of range for {len(layers)} "
                             "layers")
        return layers[index]


if TYPE_CHECKING:
    # PEP 696's default (typing_extensions' TypeVar): a bare ``ModuleList`` holds ``Module``s.
    from typing_extensions import TypeVar as _DefaultingTypeVar

    ModuleT = _DefaultingTypeVar("ModuleT", bound="Module", default="Module")
else:
    ModuleT = TypeVar("ModuleT", bound="Module")
"""The type of the modules a ``ModuleList`` holds (``Module`` unless it says otherwise)."""


class ModuleList(Module, Generic[ModuleT]):
    """A list of sub-modules, registered as ``"0"``, ``"1"``... (PyTorch's ``nn.ModuleList``):
    their parameters belong to the owner. Indexing (an int, or a slice giving a new
    ``ModuleList``), assignment, deletion, ``len``, iteration, ``append``, ``extend``,
    ``insert``, ``+`` and ``+=``. It has no ``forward``.

    For the type checkers it is generic over the type of its modules, inferred from the
    constructor's argument: ``ModuleList([Block(config) for _ in range(n)])`` is a
    ``ModuleList[Block]``, and indexing and iteration give ``Block``s, so calling them keeps
    the shapes their ``forward`` declares. A bare ``ModuleList`` holds ``Module``\\ s.
    """

    def __init__(self, modules: Iterable[ModuleT] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _index(self, index: int) -> int:
        if not is_int(index):
            raise TypeError(f"ModuleList indices must be ints or slices, got {index!r}")
        size = len(self._modules)
        if not -size <= index < size:
            raise IndexError(f"ModuleList index {index} is out of range for {size} modules")
        return index % size

    def _items(self) -> list[ModuleT]:
        """The modules in order (registered by this class, so of its item type)."""
        return cast("list[ModuleT]", list(self._modules.values()))

    def _renumber(self, modules: list[ModuleT]) -> None:
        for name in list(self._modules):
            delattr(self, name)
        for index, module in enumerate(modules):
            self.add_module(str(index), _checked_module("ModuleList", index, module))

    @overload
    def __getitem__(self, index: int) -> ModuleT: ...

    @overload
    def __getitem__(self, index: slice) -> ModuleList[ModuleT]: ...

    def __getitem__(self, index: int | slice) -> ModuleT | ModuleList[ModuleT]:
        modules = self._items()
        if isinstance(index, slice):
            return ModuleList(modules[index])
        return modules[self._index(index)]

    def __setitem__(self, index: int, module: ModuleT) -> None:
        self.add_module(str(self._index(index)), _checked_module("ModuleList", index, module))

    def __delitem__(self, index: int | slice) -> None:
        modules = self._items()
        if isinstance(index, slice):
            del modules[index]
        else:
            del modules[self._index(index)]
        self._renumber(modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[ModuleT]:
        return iter(self._items())

    def __iadd__(self, modules: Iterable[ModuleT]) -> Self:
        return self.extend(modules)

    def __add__(self, other: Iterable[ModuleT]) -> ModuleList[ModuleT]:
        return ModuleList([*self, *other])

    def append(self, module: ModuleT) -> Self:
        """Add ``module`` at the end; returns this list."""
        index = len(self._modules)
        self.add_module(str(index), _checked_module("ModuleList", index, module))
        return self

    def extend(self, modules: Iterable[ModuleT]) -> Self:
        """Add every module of ``modules`` at the end; returns this list."""
        if isinstance(modules, (str, bytes)) or not hasattr(modules, "__iter__"):
            raise TypeError(f"ModuleList.extend should be called with an iterable, got "
                            f"{type(modules).__name__}")
        for module in list(modules):
            self.append(module)
        return self

    def insert(self, index: int, module: ModuleT) -> None:
        """Insert ``module`` before position ``index`` (as ``list.insert``)."""
        if not is_int(index):
            raise TypeError(f"ModuleList indices must be ints, got {index!r}")
        modules = self._items()
        modules.insert(index, _checked_module("ModuleList", index, module))
        self._renumber(modules)


class ModuleDict(Module, Generic[ModuleT]):
    """An ordered mapping of names to sub-modules, registered under those names (PyTorch's
    ``nn.ModuleDict``): ``[key]``, assignment, ``del``, ``in``, ``len``, iteration over the
    keys, ``keys``, ``values``, ``items``, ``pop``, ``clear`` and ``update``. It has no
    ``forward``.

    As a ``ModuleList``, it is generic over the type of its modules, inferred from the
    constructor's argument: ``ModuleDict({"a": Linear(4, 4), "b": Linear(4, 4)})`` is a
    ``ModuleDict[Linear[int, int]]`` (modules of several classes give their union in pyright,
    their common base class in mypy), and ``[key]``, ``values``, ``items`` and ``pop`` give
    that type. A bare ``ModuleDict`` holds ``Module``\\ s; to type each entry apart, subclass
    it with typed attributes (as ``examples/gpt.py`` does).
    """

    def __init__(self, modules: Mapping[str, ModuleT] | Iterable[tuple[str, ModuleT]] | None
                 = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def _entries(self) -> dict[str, ModuleT]:
        """The modules by name (registered by this class, so of its item type)."""
        return cast("dict[str, ModuleT]", self._modules)

    def __getitem__(self, key: str) -> ModuleT:
        return self._entries()[key]

    def __setitem__(self, key: str, module: ModuleT) -> None:
        if not isinstance(key, str):
            raise TypeError(f"ModuleDict keys must be strings, got {key!r}")
        if key not in self._modules and hasattr(self, key):
            raise KeyError(f"attribute {key!r} already exists")
        self.add_module(key, _checked_module("ModuleDict", key, module))

    def __delitem__(self, key: str) -> None:
        if key not in self._modules:
            raise KeyError(key)
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._modules))

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def keys(self) -> list[str]:
        """The names, in insertion order."""
        return list(self._modules)

    def values(self) -> list[ModuleT]:
        """The modules, in insertion order."""
        return list(self._entries().values())

    def items(self) -> list[tuple[str, ModuleT]]:
        """``(name, module)`` pairs, in insertion order."""
        return list(self._entries().items())

    def pop(self, key: str) -> ModuleT:
        """Remove ``key`` and return its module."""
        module = self[key]
        del self[key]
        return module

    def clear(self) -> None:
        """Remove every module."""
        for key in list(self._modules):
            del self[key]

    def update(self, modules: Mapping[str, ModuleT] | Iterable[tuple[str, ModuleT]]) -> None:
        """Add (or replace) the modules of a mapping or of ``(name, module)`` pairs."""
        pairs: list[Any]
        if isinstance(modules, Mapping):
            pairs = list(cast("Mapping[str, ModuleT]", modules).items())
        elif isinstance(modules, Iterable):
            pairs = list(cast("Iterable[Any]", modules))
        else:
            raise TypeError(f"{operation_name('ModuleDict.update')}: modules must be a mapping "
                            f"or an iterable of (name, module) pairs, got "
                            f"{type(modules).__name__}")
        for index, pair in enumerate(pairs):
            entry: Any = pair
            if not isinstance(entry, tuple | list) or len(cast("tuple[Any, ...]", entry)) != 2:
                raise TypeError(f"{operation_name('ModuleDict.update')}: element {index} is not "
                                f"a (name, module) pair: {entry!r}")
            self[entry[0]] = entry[1]


if TYPE_CHECKING:
    _ParameterValue: TypeAlias = "Tensor[*tuple[Any, ...]] | HostArray"
    """What a parameter container takes: a tensor (a ``Variable`` is kept) or an array."""
    _ParameterEntries: TypeAlias = (
        "ParameterDict | Mapping[str, _ParameterValue] | Iterable[tuple[str, _ParameterValue]]")
    """What fills a ``ParameterDict``: another, a mapping of names to values, or ``(name,
    value)`` pairs."""


def _as_parameter(owner: str, where: object, value: object) -> Parameter:
    """``value`` as a parameter: a ``Variable`` itself, any other tensor or an array a new
    ``Variable`` sharing its values (PyTorch wraps a plain tensor in ``nn.Parameter``)."""
    if _is_parameter(value):
        return value
    if isinstance(value, Tensor | list) or (hasattr(value, "shape") and hasattr(value, "dtype")):
        made: Parameter = parameter(value)  # the overload for arrays, not the ``Untyped`` one
        return made
    raise TypeError(f"{owner}: {where!r} must be a tensor or an array, got "
                    f"{type(value).__name__}")


def _parameters_repr(owner: Module, entries: Iterable[tuple[object, Parameter]]) -> str:
    """PyTorch's layout of a parameter container's ``repr``: a line per parameter with its
    dtype, its size and, off the CPU, its device."""
    lines: list[str] = []
    for key, value in entries:
        place = "" if value.device == "cpu" else f" ({value.device})"
        size = "x".join(str(length) for length in value.shape)
        lines.append(f"\n    ({key}): Parameter containing: [{value.dtype} of size {size}"
                     f"{place}]")
    name = type(owner).__name__
    return f"{name}({''.join(lines)}\n)" if lines else f"{name}()"


class ParameterList(Module):
    """A list of parameters, registered as ``"0"``, ``"1"``... (PyTorch's
    ``nn.ParameterList``): they belong to the owner (its ``parameters()``, its state dict as
    ``"<name>.0"``...). Indexing (an int, or a slice giving a new ``ParameterList`` of the same
    parameters), assignment, ``len``, iteration, ``append``, ``extend`` and ``+=``; it has no
    ``forward``.

    A ``Variable`` is kept as it is; any other tensor or array becomes a new parameter with its
    values (``mu.nn.Parameter``), as PyTorch wraps plain tensors. Unlike PyTorch's, the list
    holds parameters only: other objects raise ``TypeError``.
    """

    def __init__(self, values: Iterable[_ParameterValue] | None = None) -> None:
        super().__init__()
        if values is not None:
            self.extend(values)

    def _index(self, index: int) -> int:
        if not is_int(index):
            raise TypeError(f"ParameterList indices must be ints or slices, got {index!r}")
        size = len(self._parameters)
        if not -size <= index < size:
            raise IndexError(f"ParameterList index {index} is out of range for {size} "
                             "parameters")
        return index % size

    @overload
    def __getitem__(self, index: int) -> Parameter: ...

    @overload
    def __getitem__(self, index: slice) -> ParameterList: ...

    def __getitem__(self, index: int | slice) -> Parameter | ParameterList:
        values = list(self._parameters.values())
        if isinstance(index, slice):
            return ParameterList(values[index])
        return values[self._index(index)]

    def __setitem__(self, index: int, value: _ParameterValue) -> None:
        position = self._index(index)
        setattr(self, str(position), _as_parameter("ParameterList", index, value))

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[Parameter]:
        return iter(list(self._parameters.values()))

    def __iadd__(self, values: Iterable[_ParameterValue]) -> Self:
        return self.extend(values)

    def append(self, value: _ParameterValue) -> Self:
        """Add ``value`` (a parameter, or made one) at the end; returns this list."""
        index = len(self._parameters)
        setattr(self, str(index), _as_parameter("ParameterList", index, value))
        return self

    def extend(self, values: Iterable[_ParameterValue]) -> Self:
        """Add every value of ``values`` at the end; returns this list."""
        kind = type(values).__name__
        if isinstance(values, Tensor | str | bytes) or not hasattr(values, "__iter__"):
            raise TypeError(f"ParameterList.extend should be called with an iterable, got "
                            f"{kind}")
        for value in list(values):
            self.append(value)
        return self

    def __repr__(self) -> str:
        return _parameters_repr(self, enumerate(self))


class ParameterDict(Module):
    """An ordered mapping of names to parameters, registered under those names (PyTorch's
    ``nn.ParameterDict``): ``[key]``, assignment, ``del``, ``in``, ``len``, iteration over the
    keys, ``keys``, ``values``, ``items``, ``get``, ``setdefault``, ``pop``, ``popitem``,
    ``clear``, ``update``, ``copy``, ``fromkeys`` and ``|`` / ``|=``. It has no ``forward``.

    Values are made parameters as in ``ParameterList``. As PyTorch, ``update`` (and the
    constructor) takes the entries of a plain ``dict`` in sorted key order, those of a
    ``ParameterDict``, an ``OrderedDict`` or a sequence of pairs in their own order.
    """

    def __init__(self, parameters: _ParameterEntries | None = None) -> None:
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key: str) -> Parameter:
        if not isinstance(key, str):
            raise TypeError(f"ParameterDict keys must be strings, got {key!r}")
        return self._parameters[key]

    def __setitem__(self, key: str, value: _ParameterValue) -> None:
        if not isinstance(key, str):
            raise TypeError(f"ParameterDict keys must be strings, got {key!r}")
        if not key or "." in key:
            raise KeyError(f"ParameterDict: a key must be a non-empty string without dots, "
                           f"got {key!r}")
        if key not in self._parameters and hasattr(self, key):
            raise KeyError(f"ParameterDict: attribute {key!r} already exists")
        setattr(self, key, _as_parameter("ParameterDict", key, value))

    def __delitem__(self, key: str) -> None:
        if key not in self._parameters:
            raise KeyError(key)
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._parameters))

    def __reversed__(self) -> Iterator[str]:
        return reversed(list(self._parameters))

    def __contains__(self, key: object) -> bool:
        return key in self._parameters

    def keys(self) -> list[str]:
        """The names, in insertion order."""
        return list(self._parameters)

    def values(self) -> list[Parameter]:
        """The parameters, in insertion order."""
        return list(self._parameters.values())

    def items(self) -> list[tuple[str, Parameter]]:
        """``(name, parameter)`` pairs, in insertion order."""
        return list(self._parameters.items())

    def get(self, key: str, default: Parameter | None = None) -> Parameter | None:
        """The parameter of ``key``, or ``default`` when there is none."""
        return self._parameters.get(key, default)

    def setdefault(self, key: str, default: _ParameterValue) -> Parameter:
        """The parameter of ``key``, first set to ``default`` (made a parameter) if missing."""
        if key not in self._parameters:
            self[key] = default
        return self[key]

    def pop(self, key: str) -> Parameter:
        """Remove ``key`` and return its parameter."""
        value = self[key]
        del self[key]
        return value

    def popitem(self) -> tuple[str, Parameter]:
        """Remove and return the last inserted ``(name, parameter)`` pair."""
        if not self._parameters:
            raise KeyError("popitem(): ParameterDict is empty")
        key = next(reversed(list(self._parameters)))
        return key, self.pop(key)

    def clear(self) -> None:
        """Remove every parameter."""
        for key in list(self._parameters):
            del self[key]

    def copy(self) -> ParameterDict:
        """A new ``ParameterDict`` holding the same parameters in the same order."""
        return ParameterDict(self.items())

    def fromkeys(self, keys: Iterable[str], default: _ParameterValue) -> ParameterDict:
        """A new ``ParameterDict`` with ``default`` (made a parameter) under every key."""
        return ParameterDict((key, default) for key in keys)

    def update(self, parameters: _ParameterEntries) -> None:
        """Add (or replace) the parameters of a mapping (a plain ``dict``'s in sorted key
        order, as PyTorch) or of ``(name, tensor)`` pairs."""
        kind = type(parameters).__name__
        pairs: list[Any]
        if isinstance(parameters, OrderedDict | ParameterDict):
            pairs = list(cast("Mapping[str, Any]", parameters).items())
        elif isinstance(parameters, Mapping):
            pairs = sorted(cast("Mapping[str, Any]", parameters).items())
        elif isinstance(parameters, Tensor | str | bytes) or not hasattr(parameters,
                                                                          "__iter__"):
            raise TypeError(f"ParameterDict.update should be called with a mapping or an "
                            f"iterable of (name, tensor) pairs, got {kind}")
        else:
            pairs = list(cast("Iterable[Any]", parameters))
        for index, pair in enumerate(pairs):
            entry: Any = pair
            if not isinstance(entry, tuple | list) or len(cast("tuple[Any, ...]", entry)) != 2:
                raise TypeError(f"ParameterDict.update: element {index} is not a (name, "
                                f"tensor) pair: {entry!r}")
            self[entry[0]] = entry[1]

    def __or__(self, other: ParameterDict) -> ParameterDict:
        merged = self.copy()
        merged.update(other)
        return merged

    def __ror__(self, other: ParameterDict) -> ParameterDict:
        merged = other.copy()
        merged.update(self)
        return merged

    def __ior__(self, other: ParameterDict) -> Self:
        self.update(other)
        return self

    def __repr__(self) -> str:
        return _parameters_repr(self, self.items())



_Checked = TypeVar("_Checked")


def _checked_module(owner: str, where: object, module: _Checked) -> _Checked:
    if not isinstance(module, Module):
        raise TypeError(f"{owner}: {where!r} must be a Module, got {type(module).__name__}")
    return module


_Shape = TypeVarTuple("_Shape")


# The first overload (untyped code stays untyped) overlaps the last (array-likes), as in every
# op with an ``Untyped`` overload; tests/typing checks the three.
@overload
def parameter(  # pyright: ignore[reportOverlappingOverload]
        data: Untyped, requires_grad: bool = True) -> Untyped: ...
@overload
def parameter(data: Tensor[*_Shape], requires_grad: bool = True) -> Variable[*_Shape]: ...
@overload
def parameter(data: Any, requires_grad: bool = True) -> Parameter: ...


def parameter(data: Any, requires_grad: bool = True) -> Any:
    """PyTorch's ``nn.Parameter(tensor)`` (exported as ``mu.nn.Parameter``): a new leaf
    ``Variable`` with the values of ``data`` (a tensor, shared, or array-like), which a module
    registers as a parameter when assigned to an attribute.

    ``requires_grad=False`` has no equivalent (a mushin parameter is always a ``Variable``):
    register the tensor with ``register_buffer`` or freeze the module instead. A tensor keeps
    its shape in the type: ``Parameter(mu.ones(n))`` of ``n: N`` is a ``Variable[N]``.
    """
    if not requires_grad:
        raise ValueError("Parameter(requires_grad=False) is not supported: a parameter is a "
                         "Variable; use register_buffer(name, tensor) for state that is not "
                         "trained, or Module.freeze()")
    if isinstance(data, Tensor):
        array = storage(data)
        if array.dtype.kind != "f":
            raise TypeError(f"Parameter: a parameter needs a floating dtype, got {array.dtype}")
        return new_variable(array)
    return Variable(data)
