"""The lazy layers (PyTorch's ``nn.LazyLinear``, ``LazyConv1d/2d/3d``,
``LazyConvTranspose1d/2d/3d``, ``LazyBatchNorm1d/2d/3d``, ``LazyInstanceNorm1d/2d/3d``).

A lazy layer is built without its input size: its parameters and running statistics are
placeholders, empty (shape ``(0,)``) until the first ``forward``, which reads the size from the
input (the last axis for ``Linear``, the channel axis for the others), builds the regular layer
of that size and becomes it, as PyTorch's do (``cls_to_become``): ``type(layer) is nn.Linear``
afterwards, with no lazy code left on later calls.

Building the regular layer is what initialises the parameters, so they are drawn exactly as
that layer's own constructor draws them, from the same generator state: a lazy layer's weights
equal those of the regular layer built at the moment of its first call. Each placeholder object
is kept and given the new values, so an optimizer made before the first call (which PyTorch
allows) updates the parameters afterwards. ``.to(device/dtype)`` before the first call moves the
placeholders, and the parameters are made where they are.

PyTorch's placeholders are ``UninitializedParameter`` / ``UninitializedBuffer`` objects, whose
shape raises; mushin's ``Variable`` and ``Constant`` are final classes (the engine and the type
checkers rely on it), so the placeholders here are plain empty tensors, which the layer tracks
by name (``has_uninitialized_params``). Until the first call the layer holds its constructor's
arguments only (its ``repr`` shows them); attributes such as ``in_features`` come with the
parameters. ``load_state_dict`` on an uninitialised lazy layer takes the input size from the
state's shapes and initialises it first, as PyTorch's does; a lazy layer nested in another
module must be called (or initialised with ``initialize_parameters``) before its parent loads a
state dict.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from mushin._backend import backend_of
from mushin._check import shape_of
from mushin._creation import zeros
from mushin._tensor import Constant, Variable, replace_array, storage
from mushin.errors import ShapeError
from mushin.nn.layers.conv import (
    Conv1d,
    Conv2D,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
)
from mushin.nn.layers.linear import Linear
from mushin.nn.layers.norm import (
    BatchNorm1D,
    BatchNorm2D,
    BatchNorm3d,
    InstanceNorm1d,
    InstanceNorm2d,
    InstanceNorm3d,
)
from mushin.nn.module import LoadResult, Module

__all__ = [
    "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyConv1d", "LazyConv2d",
    "LazyConv3d", "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d",
    "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d", "LazyLinear",
]

OutFeatures = TypeVar("OutFeatures", bound=int)
OutChannels = TypeVar("OutChannels", bound=int)


class LazyModuleMixin(Module):
    """What every lazy layer shares (PyTorch's ``nn.modules.lazy.LazyModuleMixin``): the
    arguments kept until the first call, which builds the regular layer (``cls_to_become``)
    for the size the input gives (its ``_inferred`` argument) and becomes it.

    A subclass lists itself before the regular class in its bases (so ``isinstance(layer,
    nn.Linear)`` holds, as in PyTorch), stores its arguments with ``_lazy_setup`` and says
    how the input, or a state dict, gives the size.
    """

    cls_to_become: ClassVar[type[Module]]
    _inferred: ClassVar[str]
    """The regular constructor's argument that the input gives."""

    _lazy_arguments: dict[str, Any]
    _lazy_pending: tuple[str, ...]
    """The placeholders' names: parameters and buffers whose shape the input decides."""

    def _lazy_setup(self, arguments: dict[str, Any], parameters: Sequence[str],
                    buffers: Sequence[str] = ()) -> None:
        """Keep the regular constructor's ``arguments`` (all but the inferred one, with its
        ``device`` and ``dtype``) and register a placeholder for each of the ``parameters``
        and ``buffers`` whose shape the input decides."""
        layer = type(self).__name__
        device, dtype = arguments["device"], arguments["dtype"]
        self._lazy_arguments = arguments
        self._lazy_pending = (*parameters, *buffers)
        try:
            placeholders = [zeros((0,), dtype=dtype, device=device)
                            for _ in (*parameters, *buffers)]
        except (TypeError, ValueError) as error:  # a bad dtype or device, named by zeros
            raise type(error)(f"{layer}: {error}") from error
        for name, placeholder in zip(parameters, placeholders, strict=False):
            setattr(self, name, placeholder)
        for name, placeholder in zip(buffers, placeholders[len(parameters):], strict=True):
            self.register_buffer(name, placeholder.freeze())

    def _check_flags(self, **flags: object) -> None:
        """``TypeError`` naming the layer unless each of ``flags`` is True or False."""
        for flag, value in flags.items():
            if not isinstance(value, bool):
                raise TypeError(f"{type(self).__name__}: {flag} must be True or False, got "
                                f"{value!r}")

    def _input_size(self, input: Any) -> int:
        """The inferred argument's value for ``input``, or ``ShapeError``."""
        raise NotImplementedError

    def _state_size(self, shapes: Mapping[str, tuple[int, ...]]) -> int | None:
        """The inferred argument's value that the shapes of a state dict's entries give, or
        None when they give none."""
        raise NotImplementedError

    def has_uninitialized_params(self) -> bool:
        """Whether a parameter or buffer still waits for its shape (PyTorch's method)."""
        return bool(self.__dict__.get("_lazy_pending"))

    def initialize_parameters(self, input: Any) -> None:
        """Build the parameters for ``input``'s size (PyTorch's method; the first ``forward``
        calls it); the layer becomes its regular class at its first ``forward``."""
        if "_lazy_arguments" in self.__dict__:
            self._build(self._input_size(input))

    def _build(self, size: int) -> None:
        """Take the state of the regular layer for ``size``: its parameters' values go into
        the placeholders, which stay the objects this layer (and an optimizer) holds."""
        arguments = dict(self._lazy_arguments)
        if self._lazy_pending:  # made where .to() moved the placeholders
            array = storage(getattr(self, self._lazy_pending[0]))
            arguments.update(device=backend_of(array).device, dtype=array.dtype)
        regular = self.cls_to_become(**{self._inferred: size}, **arguments)
        for registry in ("_parameters", "_buffers"):
            mine, theirs = getattr(self, registry), getattr(regular, registry)
            for name, value in theirs.items():
                kept = mine.get(name)
                if kept is not None:
                    replace_array(kept, storage(value))
                    theirs[name] = kept
                    regular.__dict__[name] = kept
        modes = {key: self.__dict__[key] for key in ("training", "_frozen")
                 if key in self.__dict__}
        self.__dict__.clear()
        self.__dict__.update(regular.__dict__, **modes)

    if not TYPE_CHECKING:  # the checkers see the regular class's forward, typed

        def forward(self, *args, **kwargs):
            """Build the parameters for the input (the first argument), become the regular
            layer and run its ``forward``."""
            if getattr(type(self), "cls_to_become", None) is None:
                raise NotImplementedError(
                    f"{type(self).__name__}: a lazy layer must set cls_to_become, the regular "
                    "layer it becomes at its first call (LazyModuleMixin is a mixin, not a layer)")
            if not args:
                raise TypeError(f"{type(self).__name__}.forward() needs an input")
            self.initialize_parameters(args[0])
            self.__class__ = self.cls_to_become
            return self.forward(*args, **kwargs)

    def load_state_dict(self, state: Any, strict: bool = True) -> LoadResult:
        """PyTorch's: an uninitialised layer first takes its size from the state's shapes
        (and is initialised); then the values are loaded as into any module."""
        if "_lazy_arguments" in self.__dict__ and hasattr(state, "items"):
            size = self._state_size({name: shape_of(value) for name, value in state.items()
                                     if hasattr(value, "shape")})
            if size is not None:
                self._build(size)
        return super().load_state_dict(state, strict)

    def extra_repr(self) -> str:
        if "_lazy_arguments" not in self.__dict__:
            return super().extra_repr()
        return ", ".join(f"{name}={value!r}" for name, value in self._lazy_arguments.items()
                         if name not in ("device", "dtype"))


# --- Linear ---------------------------------------------------------------------------------

class LazyLinear(LazyModuleMixin, Linear[Any, OutFeatures]):
    """``Linear`` with ``in_features`` read from the last axis of the first input (PyTorch's
    ``nn.LazyLinear(out_features, bias=True)``)."""

    cls_to_become = Linear
    _inferred = "in_features"

    def __init__(self, out_features: OutFeatures, bias: bool = True,
                 device: str | None = None, dtype: Any = None) -> None:
        Module.__init__(self)
        self._check_flags(bias=bias)
        self._lazy_setup({"out_features": out_features, "bias": bias, "device": device,
                          "dtype": dtype}, ["weight", "bias"] if bias else ["weight"])
        if not bias:
            self.bias = None

    def _input_size(self, input: Any) -> int:
        shape = shape_of(input)
        if not shape:
            raise ShapeError(f"{type(self).__name__}: expected an input with at least one axis "
                             f"(*, in_features), got shape {shape}")
        return shape[-1]

    def _state_size(self, shapes: Mapping[str, tuple[int, ...]]) -> int | None:
        weight = shapes.get("weight", ())
        return weight[1] if len(weight) == 2 else None


# --- convolutions ------------------------------------------------------------------------------

class _LazyConv(LazyModuleMixin):
    """A lazy convolution: ``in_channels`` from the channel axis of an ``(N, C, *spatial)`` or
    ``(C, *spatial)`` input."""

    _inferred = "in_channels"
    _dims: int  # the regular class's spatial axes and layout
    _transposed: bool
    bias: Variable[*tuple[Any, ...]] | None

    def _conv_setup(self, arguments: dict[str, Any]) -> None:
        self._check_flags(bias=arguments["bias"])
        self._lazy_setup(arguments, ["weight", "bias"] if arguments["bias"] else ["weight"])
        if not arguments["bias"]:
            self.bias = None

    def _input_size(self, input: Any) -> int:
        shape = shape_of(input)
        spatial = self._dims
        if len(shape) not in (spatial + 1, spatial + 2):
            raise ShapeError(f"{type(self).__name__}: expected a {spatial + 1}-d (unbatched) "
                             f"or {spatial + 2}-d (batched) input, got shape {shape}")
        return shape[len(shape) - spatial - 1]

    def _state_size(self, shapes: Mapping[str, tuple[int, ...]]) -> int | None:
        weight = shapes.get("weight", ())
        if len(weight) != self._dims + 2:
            return None
        # (in, out / groups, *kernel) transposed, (out, in / groups, *kernel) otherwise
        return weight[0] if self._transposed else weight[1] * self._lazy_arguments["groups"]


class LazyConv1d(_LazyConv, Conv1d[Any, OutChannels]):
    """``Conv1d`` with ``in_channels`` read from the first input (PyTorch's
    ``nn.LazyConv1d``)."""

    cls_to_become = Conv1d

    def __init__(self, out_channels: OutChannels, kernel_size: int | Sequence[int],
                 stride: int | Sequence[int] = 1, padding: int | Sequence[int] | str = 0,
                 dilation: int | Sequence[int] = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: str | None = None,
                 dtype: Any = None) -> None:
        Module.__init__(self)
        self._conv_setup({
            "out_channels": out_channels, "kernel_size": kernel_size, "stride": stride,
            "padding": padding, "dilation": dilation, "groups": groups, "bias": bias,
            "padding_mode": padding_mode, "device": device, "dtype": dtype})


class LazyConv2d(_LazyConv, Conv2D[Any, OutChannels]):
    """``Conv2d`` with ``in_channels`` read from the first input (PyTorch's
    ``nn.LazyConv2d``)."""

    cls_to_become = Conv2D

    def __init__(self, out_channels: OutChannels, kernel_size: int | Sequence[int],
                 stride: int | Sequence[int] = 1, padding: int | Sequence[int] | str = 0,
                 dilation: int | Sequence[int] = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: str | None = None,
                 dtype: Any = None) -> None:
        Module.__init__(self)
        self._conv_setup({
            "out_channels": out_channels, "kernel_size": kernel_size, "stride": stride,
            "padding": padding, "dilation": dilation, "groups": groups, "bias": bias,
            "padding_mode": padding_mode, "device": device, "dtype": dtype})


class LazyConv3d(_LazyConv, Conv3d[Any, OutChannels]):
    """``Conv3d`` with ``in_channels`` read from the first input (PyTorch's
    ``nn.LazyConv3d``)."""

    cls_to_become = Conv3d

    def __init__(self, out_channels: OutChannels, kernel_size: int | Sequence[int],
                 stride: int | Sequence[int] = 1, padding: int | Sequence[int] | str = 0,
                 dilation: int | Sequence[int] = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: str | None = None,
                 dtype: Any = None) -> None:
        Module.__init__(self)
        self._conv_setup({
            "out_channels": out_channels, "kernel_size": kernel_size, "stride": stride,
            "padding": padding, "dilation": dilation, "groups": groups, "bias": bias,
            "padding_mode": padding_mode, "device": device, "dtype": dtype})


class LazyConvTranspose1d(_LazyConv, ConvTranspose1d[Any, OutChannels]):
    """``ConvTranspose1d`` with ``in_channels`` read from the first input (PyTorch's
    ``nn.LazyConvTranspose1d``)."""

    cls_to_become = ConvTranspose1d

    def __init__(self, out_channels: OutChannels, kernel_size: int | Sequence[int],
                 stride: int | Sequence[int] = 1, padding: int | Sequence[int] = 0,
                 output_padding: int | Sequence[int] = 0, groups: int = 1, bias: bool = True,
                 dilation: int | Sequence[int] = 1, padding_mode: str = "zeros",
                 device: str | None = None, dtype: Any = None) -> None:
        Module.__init__(self)
        self._conv_setup({
            "out_channels": out_channels, "kernel_size": kernel_size, "stride": stride,
            "padding": padding, "output_padding": output_padding, "groups": groups,
            "bias": bias, "dilation": dilation, "padding_mode": padding_mode,
            "device": device, "dtype": dtype})


class LazyConvTranspose2d(_LazyConv, ConvTranspose2d[Any, OutChannels]):
    """``ConvTranspose2d`` with ``in_channels`` read from the first input (PyTorch's
    ``nn.LazyConvTranspose2d``)."""

    cls_to_become = ConvTranspose2d

    def __init__(self, out_channels: OutChannels, kernel_size: int | Sequence[int],
                 stride: int | Sequence[int] = 1, padding: int | Sequence[int] = 0,
                 output_padding: int | Sequence[int] = 0, groups: int = 1, bias: bool = True,
                 dilation: int | Sequence[int] = 1, padding_mode: str = "zeros",
                 device: str | None = None, dtype: Any = None) -> None:
        Module.__init__(self)
        self._conv_setup({
            "out_channels": out_channels, "kernel_size": kernel_size, "stride": stride,
            "padding": padding, "output_padding": output_padding, "groups": groups,
            "bias": bias, "dilation": dilation, "padding_mode": padding_mode,
            "device": device, "dtype": dtype})


class LazyConvTranspose3d(_LazyConv, ConvTranspose3d[Any, OutChannels]):
    """``ConvTranspose3d`` with ``in_channels`` read from the first input (PyTorch's
    ``nn.LazyConvTranspose3d``)."""

    cls_to_become = ConvTranspose3d

    def __init__(self, out_channels: OutChannels, kernel_size: int | Sequence[int],
                 stride: int | Sequence[int] = 1, padding: int | Sequence[int] = 0,
                 output_padding: int | Sequence[int] = 0, groups: int = 1, bias: bool = True,
                 dilation: int | Sequence[int] = 1, padding_mode: str = "zeros",
                 device: str | None = None, dtype: Any = None) -> None:
        Module.__init__(self)
        self._conv_setup({
            "out_channels": out_channels, "kernel_size": kernel_size, "stride": stride,
            "padding": padding, "output_padding": output_padding, "groups": groups,
            "bias": bias, "dilation": dilation, "padding_mode": padding_mode,
            "device": device, "dtype": dtype})


# --- normalisation ------------------------------------------------------------------------------

class _LazyNorm(LazyModuleMixin):
    """A lazy batch or instance normalisation: ``num_features`` from the channel axis. As
    PyTorch's, the lazy instance normalisations default to ``affine=True`` and
    ``track_running_stats=True`` (the regular ones to False)."""

    _inferred = "num_features"
    running_mean: Constant[*tuple[Any, ...]] | None
    running_var: Constant[*tuple[Any, ...]] | None
    num_batches_tracked: Constant[*tuple[Any, ...]] | None

    def __init__(self, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device: str | None = None,
                 dtype: Any = None, *, bias: bool = True) -> None:
        Module.__init__(self)
        self._check_flags(affine=affine, track_running_stats=track_running_stats, bias=bias)
        learnt = [name for name, kept in (("weight", affine), ("bias", affine and bias))
                  if kept]
        running = ["running_mean", "running_var"] if track_running_stats else []
        self._lazy_setup({"eps": eps, "momentum": momentum, "affine": affine,
                          "track_running_stats": track_running_stats, "device": device,
                          "dtype": dtype, "bias": bias}, learnt, running)
        for name in ("weight", "bias"):
            if name not in learnt:
                setattr(self, name, None)
        if track_running_stats:
            self.register_buffer("num_batches_tracked", Constant(
                backend_of(storage(self._buffers["running_mean"])).xp.zeros((), dtype="int64")))
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None

    def _state_size(self, shapes: Mapping[str, tuple[int, ...]]) -> int | None:
        for name in ("weight", "bias", "running_mean", "running_var"):
            shape = shapes.get(name, ())
            if len(shape) == 1 and shape[0]:
                return shape[0]
        return None


class _LazyBatchNorm(_LazyNorm):
    """Channels on axis 1 of an ``(N, C, *)`` input."""

    def _input_size(self, input: Any) -> int:
        shape = shape_of(input)
        if len(shape) < 2:
            raise ShapeError(f"{type(self).__name__}: expected an input of shape (N, C, *), got "
                             f"shape {shape}")
        return shape[1]


class _LazyInstanceNorm(_LazyNorm):
    """Channels on the axis before the spatial ones, the input batched or not."""

    _spatial: int  # the regular class's

    def _input_size(self, input: Any) -> int:
        shape = shape_of(input)
        spatial = self._spatial
        if len(shape) not in (spatial + 1, spatial + 2):
            raise ShapeError(f"{type(self).__name__}: expected an input of {spatial + 1} or "
                             f"{spatial + 2} axes, (C, *spatial) or (N, C, *spatial), got "
                             f"shape {shape}")
        return shape[len(shape) - spatial - 1]


class LazyBatchNorm1d(_LazyBatchNorm, BatchNorm1D):
    """``BatchNorm1d`` with ``num_features`` read from the first input (PyTorch's
    ``nn.LazyBatchNorm1d``)."""

    cls_to_become = BatchNorm1D


class LazyBatchNorm2d(_LazyBatchNorm, BatchNorm2D):
    """``BatchNorm2d`` with ``num_features`` read from the first input (PyTorch's
    ``nn.LazyBatchNorm2d``)."""

    cls_to_become = BatchNorm2D


class LazyBatchNorm3d(_LazyBatchNorm, BatchNorm3d):
    """``BatchNorm3d`` with ``num_features`` read from the first input (PyTorch's
    ``nn.LazyBatchNorm3d``)."""

    cls_to_become = BatchNorm3d


class LazyInstanceNorm1d(_LazyInstanceNorm, InstanceNorm1d):
    """``InstanceNorm1d`` with ``num_features`` read from the first input (PyTorch's
    ``nn.LazyInstanceNorm1d``)."""

    cls_to_become = InstanceNorm1d


class LazyInstanceNorm2d(_LazyInstanceNorm, InstanceNorm2d):
    """``InstanceNorm2d`` with ``num_features`` read from the first input (PyTorch's
    ``nn.LazyInstanceNorm2d``)."""

    cls_to_become = InstanceNorm2d


class LazyInstanceNorm3d(_LazyInstanceNorm, InstanceNorm3d):
    """``InstanceNorm3d`` with ``num_features`` read from the first input (PyTorch's
    ``nn.LazyInstanceNorm3d``)."""

    cls_to_become = InstanceNorm3d
