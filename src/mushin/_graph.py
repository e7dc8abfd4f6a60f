"""The autodiff engine: graph nodes, recording modes and the backward pass.

Every ``Variable`` owns a :class:`Node`. A leaf's node has no primitive; an operation's node
records the :class:`Primitive` that made it, the nodes of its operands and the values its
vector-Jacobian product (VJP) needs. Nodes point at their parents, never at tensors, so the
graph lives exactly as long as its output is referenced. A node knows its tensor only by being
a weak reference to it (``node.owner()``): ``backward`` stores a gradient in every tensor the
program still holds and passes the others on without keeping them.

``backward_pass`` walks the nodes in reverse topological order without recursion and is the
one place where a gradient is summed back to the shape (and cast to the dtype) of the operand
it belongs to, so VJP rules never deal with broadcasting.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import itertools
import operator
import threading
import weakref
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast, overload

from mushin._backend import Array, namespace_of
from mushin.kernels import cpu, cuda


class _ThreadState(threading.local):
    """Recording flags, one set per thread, and the values the active modes replaced."""

    grad_enabled: bool = True
    anomaly: bool = False

    def __init__(self) -> None:
        # Kept per thread, innermost last, rather than on the context objects: one
        # ``no_grad()`` object may be entered by several threads at once, or re-entered (a
        # decorated recursive function), and each exit must restore its own entry's value.
        self.replaced_grad_enabled: list[bool] = []
        self.replaced_anomaly: list[bool] = []


state = _ThreadState()


_Function = TypeVar("_Function", bound=Callable[..., Any])


class _Mode(contextlib.ContextDecorator):
    """A recording mode usable as a context manager and as a decorator, also of a generator
    function (the mode then holds while the generator runs, not while its caller does) and,
    for the modes without arguments, bare (``@mu.no_grad``), as PyTorch's."""

    _bare = False

    if not TYPE_CHECKING:  # the checkers see each mode's own constructor

        def __new__(cls, *args, **kwargs):
            if len(args) == 1 and not kwargs and callable(args[0]) and cls._bare:
                mode = super().__new__(cls)
                mode.__init__()
                return mode(args[0])
            return super().__new__(cls)

    if TYPE_CHECKING:  # each mode defines its own

        def __enter__(self) -> None: ...
        def __exit__(self, *exc: object) -> None: ...

    def __call__(self, func: _Function) -> _Function:
        if inspect.isgeneratorfunction(func):
            return cast(_Function, self._generator(func))
        return super().__call__(func)

    def _generator(self, func: Any) -> Any:
        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
            generator = func(*args, **kwargs)
            try:
                with self:
                    response = generator.send(None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        with self:
                            generator.close()
                        raise
                    except BaseException as error:
                        with self:
                            response = generator.throw(error)
                    else:
                        with self:
                            response = generator.send(request)
            except StopIteration as stop:
                return stop.value

        return run


class no_grad(_Mode):
    """Record nothing inside: results are leaves that hold no reference to their inputs.

    Usable as ``with mu.no_grad():`` or as a decorator (``@mu.no_grad()`` or bare, also of
    a generator function). It affects the current thread only.
    """

    _bare = True

    if TYPE_CHECKING:

        @overload
        def __new__(cls, func: _Function, /) -> _Function: ...  # type: ignore[misc]
        @overload
        def __new__(cls, /) -> Self: ...
        def __new__(cls, func: Any = None, /) -> Any: ...

    def __enter__(self) -> None:
        state.replaced_grad_enabled.append(state.grad_enabled)
        state.grad_enabled = False

    def __exit__(self, *exc: object) -> None:
        state.grad_enabled = state.replaced_grad_enabled.pop()


class enable_grad(_Mode):
    """Record operations again inside a ``no_grad`` block (current thread only); a decorator
    too, bare or called."""

    _bare = True

    if TYPE_CHECKING:

        @overload
        def __new__(cls, func: _Function, /) -> _Function: ...  # type: ignore[misc]
        @overload
        def __new__(cls, /) -> Self: ...
        def __new__(cls, func: Any = None, /) -> Any: ...

    def __enter__(self) -> None:
        state.replaced_grad_enabled.append(state.grad_enabled)
        state.grad_enabled = True

    def __exit__(self, *exc: object) -> None:
        state.grad_enabled = state.replaced_grad_enabled.pop()


class set_grad_enabled(_Mode):
    """``set_grad_enabled(mode)``: record (``True``) or not (``False``) on this thread, as a
    context manager or decorator (the previous mode comes back on exit) or, called on its
    own, from now on (PyTorch's three uses)."""

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled: mode must be a bool, got {mode!r}")
        self.mode = mode
        # Called as a function, the mode holds from now on. Entered right after construction
        # (``with``), the mode to restore is the one the constructor replaced; used as a
        # decorator, the constructor's change is undone and each call saves its own.
        self.before: bool | None = state.grad_enabled
        state.grad_enabled = mode

    def __call__(self, func: Any) -> Any:
        if self.before is not None:
            state.grad_enabled, self.before = self.before, None
        return super().__call__(func)

    def __enter__(self) -> None:
        before, self.before = self.before, None
        state.replaced_grad_enabled.append(state.grad_enabled if before is None else before)
        state.grad_enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        state.grad_enabled = state.replaced_grad_enabled.pop()


class inference_mode(_Mode):
    """PyTorch's ``inference_mode(mode=True)``: here the same as ``no_grad`` (mushin has no
    separate inference tensors); ``inference_mode(False)`` records as usual."""

    _bare = True

    def __init__(self, mode: bool = True) -> None:
        if not isinstance(mode, bool):
            raise TypeError(f"inference_mode: mode must be a bool, got {mode!r}")
        self.mode = mode

    def __enter__(self) -> None:
        state.replaced_grad_enabled.append(state.grad_enabled)
        if self.mode:
            state.grad_enabled = False

    def __exit__(self, *exc: object) -> None:
        state.grad_enabled = state.replaced_grad_enabled.pop()


class detect_anomaly(_Mode):
    """Raise ``FloatingPointError`` at the first operation whose forward or backward result
    holds a NaN or an infinity, naming the operation. Current thread only; it costs one
    finiteness check (a device synchronisation on GPUs) per operation while active."""

    def __enter__(self) -> None:
        state.replaced_anomaly.append(state.anomaly)
        state.anomaly = True

    def __exit__(self, *exc: object) -> None:
        state.anomaly = state.replaced_anomaly.pop()


def is_grad_enabled() -> bool:
    """Whether operations on this thread are being recorded."""
    return state.grad_enabled


def check_finite(name: str, value: Array, phase: str) -> None:
    """Raise ``FloatingPointError`` if ``value`` holds a NaN or an infinity."""
    if isinstance(value, bool | int | float):
        return
    dtype = getattr(value, "dtype", None)
    if dtype is None or dtype.kind not in "fc":
        return
    xp: Any = namespace_of(value)
    if not bool(xp.all(xp.isfinite(value))):
        raise FloatingPointError(f"{phase} of '{name}' produced a NaN or an infinity "
                                 "(detected by mu.detect_anomaly())")


# A rule (a primitive's forward or VJP) is often a lambda, whose parameters cannot be annotated:
# one callable type per number of parameters lets pyright give them the type ``Any``.
Forward = (Callable[[Any, Any], Array] | Callable[[Any, Any, Any], Array]
           | Callable[[Any, Any, Any, Any], Array] | Callable[[Any, Any, Any, Any, Any], Array]
           | Callable[..., Array])
VJP = (Callable[[Any, Any, Any, Any, Any], tuple[Any, ...]]
       | Callable[[Any, Any, Any, Any, Any, Any], tuple[Any, ...]]
       | Callable[[Any, Any, Any, Any, Any, Any, Any], tuple[Any, ...]]
       | Callable[[Any, Any, Any, Any, Any, Any, Any, Any], tuple[Any, ...]]
       | Callable[[Any, Any, Any, Any, Any, Any, Any, Any, Any], tuple[Any, ...]]
       | Callable[[Any, Any, Any, Any, Any, Any, Any, Any, Any, Any], tuple[Any, ...]]
       | Callable[..., tuple[Any, ...]])


class Primitive:
    """An operation with a hand-written derivative.

    ``forward(xp, *operands, **params)`` computes the result from backend arrays (or Python
    scalars) with the array module ``xp``. ``vjp(F, grad_output, operands, output, parents,
    **params)`` returns one gradient per operand (``None`` where there is none); ``parents``
    holds each operand's node (``None`` for constants, whose gradient may be skipped; a
    node's ``shape`` is the operand's shape). It is written once for
    both kinds of backward pass: ``F`` is the set of array functions (plain arrays) or of
    mushin operations (``create_graph=True``, where operands and the output are tensors),
    and arithmetic uses operators, which both support. ``saves`` says which values the node
    keeps for the VJP: ``"inputs"``, ``"output"``, ``"both"`` or ``"none"``.

    ``cuda_forward`` and ``cuda_vjp`` are the primitive's CUDA rules (one fused kernel each, see
    ``mushin.kernels.cuda``), taking the same arguments as ``forward`` and ``vjp``. The engine
    calls them where the arrays are CuPy's (the VJP only in a plain backward pass, since a
    recorded one composes operations); a rule returns ``NotImplemented`` for arrays its kernel
    does not take (float16, an axis other than the last...), and the portable rule runs.
    ``cpu_forward`` and ``cpu_vjp`` are the same on NumPy arrays: fused CPU kernels
    (``mushin.kernels.cpu``), used where Numba is installed.
    """

    __slots__ = ("cpu_forward", "cpu_vjp", "cuda_forward", "cuda_vjp", "forward", "fused",
                 "host_forward", "name", "save_inputs", "save_output", "vjp")

    def __init__(self, name: str, forward: Forward, vjp: VJP | None,
                 saves: str = "inputs", *, cuda_forward: Forward | None = None,
                 cuda_vjp: VJP | None = None, cpu_forward: Forward | None = None,
                 cpu_vjp: VJP | None = None) -> None:
        if name in PRIMITIVES:
            raise ValueError(f"a primitive named {name!r} already exists")
        if saves not in ("inputs", "output", "both", "none"):
            raise ValueError(f"saves must be 'inputs', 'output', 'both' or 'none', got {saves!r}")
        PRIMITIVES[name] = self
        self.name = name
        self.forward: Callable[..., Array] = forward
        self.vjp: Callable[..., tuple[Any, ...]] | None = vjp
        self.save_inputs = saves in ("inputs", "both")
        self.save_output = saves in ("output", "both")
        self.cuda_forward: Callable[..., Any] | None = cuda_forward
        self.cuda_vjp: Callable[..., Any] | None = cuda_vjp
        self.cpu_forward: Callable[..., Any] | None = cpu_forward
        self.cpu_vjp: Callable[..., Any] | None = cpu_vjp
        # Looked up once here rather than at every call (``apply``, ``backward_pass``): the
        # forward to run on NumPy arrays, and whether the VJP has a fused rule on any device.
        self.host_forward: Callable[..., Array] = (
            forward if cpu_forward is None else self.run_forward)
        self.fused = cuda_vjp is not None or cpu_vjp is not None

    def run_forward(self, xp: Any, *arrays: Any, **params: Any) -> Array:
        """The forward on ``arrays`` of the array module ``xp``: the device's fused rule where
        there is one and it takes them, else the portable rule."""
        if self.cuda_forward is not None and cuda.enabled(xp):
            output = self.cuda_forward(xp, *arrays, **params)
            if output is not NotImplemented:
                return output
        elif self.cpu_forward is not None and cpu.enabled(xp):
            output = self.cpu_forward(xp, *arrays, **params)
            if output is not NotImplemented:
                return output
        return self.forward(xp, *arrays, **params)

    def fused_vjp(self, xp: Any) -> Callable[..., Any] | None:
        """The VJP rule of fused kernels for arrays of ``xp`` in a plain backward pass (the
        CUDA rule on CuPy, the CPU rule on NumPy where Numba is on), or None."""
        if self.cuda_vjp is not None and cuda.enabled(xp):
            return self.cuda_vjp
        if self.cpu_vjp is not None and cpu.enabled(xp):
            return self.cpu_vjp
        return None

    def __repr__(self) -> str:
        return f"Primitive({self.name!r})"


PRIMITIVES: dict[str, Primitive] = {}
"""Every primitive by name: the VJPs reach each other through these names."""

_RELEASED: tuple[Any, ...] = ("released",)

_node_counter = itertools.count()
"""Numbers the nodes in the order they are made (``Node.created``)."""
_creation = operator.attrgetter("created")


def node_mark() -> int:
    """A number below every node made from now on (``Node.created``) and above every one
    made before."""
    return next(_node_counter)


last_write = -1
"""``node_mark()`` at the last in-place change of any tensor's values (``note_write``): a node
made after it saved values that have not changed since, so ``backward_pass`` checks the
versions of the older nodes only (in a training loop, none but those of a graph kept across an
optimizer step)."""


def note_write() -> None:
    """Record that a tensor's values are about to change in place (``mushin._tensor.writable``)."""
    global last_write
    last_write = next(_node_counter)


class Node(weakref.ref[Any]):
    """One recorded value: how it was made and what its VJP needs. A node is also a weak
    reference to its tensor: ``node()`` is the ``Variable`` whose value it records while the
    program holds it (its ``_node`` is this node), else None or a tensor that has moved on.

    Being that reference, rather than holding one, saves an object per operation, which the
    garbage collector would otherwise walk for as long as the graph lives (the per-operation
    cost of ``benchmarks/overhead.py``). Nodes are made by :func:`new_node`; they hash and
    compare by identity, not by their tensor.
    """

    # ``__weakref__`` lets tests (and tools) watch a node being freed without keeping it alive.
    # ``versions`` (set by ``apply``): for each saved value whose version is not implied (a
    # Constant's, or a Variable's that already had a counter), its operand position (-1: the
    # output), its version counter (None: the counter of the node that made the value) and
    # the version it had when saved; the other saved values were at version 0 (most: no
    # object per node, which the garbage collector would walk). ``counter``: the version
    # counter of this node's tensor, made on first need (``mushin._tensor.counter_of``;
    # None: never changed in place, nor viewed); ``made_by``: for a
    # leaf computed while recording was off, the name of the operation that computed it (its
    # own backward raises: it has no graph back to its inputs);
    # ``hooks``: a leaf's post-accumulate hooks (``Variable.register_post_accumulate_grad_hook``),
    # each called with the leaf right after a backward pass has added to its gradient.
    __slots__ = ("__weakref__", "counter", "created", "dtype", "hooks", "inputs", "made_by",
                 "output", "params", "parents", "prim", "shape", "versions")
    prim: Primitive | None
    parents: tuple[Node | None, ...]
    inputs: tuple[Any, ...] | None
    output: Array | None
    params: dict[str, Any]
    shape: tuple[int, ...]
    dtype: Any
    versions: tuple[tuple[int, list[Any] | None, int], ...] | None
    counter: list[Any] | None
    made_by: str | None
    hooks: list[Callable[[Any], None]] | None
    created: int

    __hash__ = object.__hash__  # (a weak reference hashes and compares as its referent)
    __eq__ = object.__eq__
    __ne__ = object.__ne__

    def owner(self) -> Any:
        """The tensor whose value this node records, if the program still holds it."""
        tensor = self()
        return tensor if tensor is not None and tensor._node is self else None

    @property
    def name(self) -> str:
        return "leaf" if self.prim is None else self.prim.name

    def release(self) -> None:
        """Drop the saved values; a later backward through this node raises."""
        self.inputs = _RELEASED
        self.output = None


_new_reference: Callable[[type[Node], Any], Node] = cast(Any, weakref.ref).__new__
# (``weakref.ref.__new__`` itself: a node is made without the call to ``__init__``)


def new_node(owner: Any, prim: Primitive | None, parents: tuple[Node | None, ...],
             inputs: tuple[Any, ...] | None, output: Array | None, params: dict[str, Any],
             shape: tuple[int, ...], dtype: Any) -> Node:
    """A node recording ``owner``'s value (a ``Variable``, which the caller points at it),
    made by ``prim`` (None: a leaf) from ``parents``, saving ``inputs`` and ``output``."""
    node: Node = _new_reference(Node, owner)
    node.prim = prim
    node.parents = parents
    node.inputs = inputs
    node.output = output
    node.params = params
    node.shape = shape
    node.dtype = dtype
    node.versions = None
    node.counter = None
    node.made_by = None
    node.hooks = None
    node.created = next(_node_counter)  # after every parent's: see topological_order
    return node


def moved_node(node: Node, owner: Any) -> Node:
    """A copy of ``node`` recording ``owner``'s value instead (an in-place operation's result
    given to the tensor it changed)."""
    moved: Node = _new_reference(Node, owner)
    for name in Node.__slots__:
        if name != "__weakref__":
            setattr(moved, name, getattr(node, name))
    return moved


def check_versions(node: Node) -> None:
    """Raise if a value ``node`` saved for its VJP was changed in place after it was saved.

    ``node.versions`` lists the values saved at a known version (see ``Node``); any other
    saved value of a Variable (an operand, or the node's own result) was saved at version 0,
    so its counter, if it has one by now, must still be at 0."""
    versions = node.versions or ()
    for position, counter, saved in versions:
        if counter is None:
            maker = node if position < 0 else node.parents[position]
            counter = None if maker is None else maker.counter
        version = 0 if counter is None else counter[0]
        if version != saved:
            _changed_in_place(node, position, version, saved)
    if node.inputs is not None:
        for position, parent in enumerate(node.parents):
            if parent is not None and parent.counter is not None and parent.counter[0] and all(
                    entry[0] != position for entry in versions):
                _changed_in_place(node, position, parent.counter[0], 0)
    if node.output is not None and node.counter is not None and node.counter[0] and all(
            entry[0] >= 0 for entry in versions):
        _changed_in_place(node, -1, node.counter[0], 0)


def _changed_in_place(node: Node, position: int, version: int, saved: int) -> None:
    value = node.output if position < 0 else (node.inputs or ())[position]
    what = "its result" if position < 0 else f"its operand {position}"
    raise RuntimeError(
        f"backward: a value saved by '{node.name}' ({what}, of shape "
        f"{tuple(getattr(value, 'shape', ()))}) was changed by an in-place operation "
        f"after it was saved: it is at version {version}, expected version "
        f"{saved}. Compute it again after the change, or change a clone() of it")


def topological_order(root: Node) -> list[Node]:
    """The nodes ``root`` depends on, ``root`` first, each before all of its parents.

    A node is always made after its parents, so the nodes reachable from ``root`` (found with
    an explicit stack: no recursion, a 100,000-node chain is fine), newest first, are in
    order; the sort is one C call, which costs less than keeping a depth-first post-order.
    """
    seen: set[Node] = {root}
    stack = [root]
    while stack:
        for parent in stack.pop().parents:
            if parent is not None and parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return sorted(seen, key=_creation, reverse=True)


# Whether any leaf ever had a post-accumulate hook (``Variable.register_post_accumulate_grad_hook``
# sets it): until then ``backward_pass`` skips counting the uses of hooked leaves.
hooked_leaves = False


def backward_pass(root: Node, seed: Any, ops: Any, retain_graph: bool) -> None:
    """Propagate ``seed`` (d root / d root) from ``root`` to every node it depends on.

    ``ops`` is the function set the VJPs use (see :class:`Primitive`); it also wraps saved
    arrays as tensors (``ops.wrap``), sums gradients back to an operand's shape
    (``ops.sum_to``) and casts them (``ops.astype``). The gradient reaching a node is stored
    in its tensor if the program still holds that tensor, then passed on and forgotten.
    """
    order = topological_order(root)
    # A leaf with post-accumulate hooks (a DataParallel parameter) gets its gradient stored,
    # and its hooks run, as soon as the last operation using it has passed its gradient on,
    # not at its place in ``order`` (the end, for parameters made before the forward): so
    # DataParallel's all-reduce of a bucket starts while the rest of the pass goes on.
    # ``uses`` counts the edges into each such leaf still to be visited.
    uses: dict[Node, int] = {}
    written = last_write
    counting = hooked_leaves
    for node in order:
        if node.inputs is _RELEASED:
            raise RuntimeError(
                f"backward through the graph a second time: the values saved by "
                f"'{node.name}' were released by the first backward(); pass "
                "retain_graph=True to the first backward() to keep them")
        if node.created < written and node.prim is not None:
            check_versions(node)
        if counting:
            for parent in node.parents:
                if parent is not None and parent.hooks is not None and parent.prim is None:
                    uses[parent] = uses.get(parent, 0) + 1
    anomaly = state.anomaly
    graph_mode = ops.graph_mode
    pending: dict[Node, Any] = {root: seed}
    # Nodes whose pending gradient is a sum made below: an array nothing else holds, so
    # further gradients are added to it in place. A node's first gradient may be shared (a
    # VJP can hand one array to several operands) and is never written.
    summed: set[Node] = set()
    wrap = ops.wrap
    xp = None if graph_mode else ops.xp
    # The arrays (by their base) already stored as some tensor's gradient in this pass: a VJP
    # may hand one array (or views of it) to several operands, and two tensors' gradients
    # must never share storage (writing one would change the other).
    stored: set[int] = set()

    def store(node: Node, grad: Any) -> None:
        """Add ``grad`` to the gradient of ``node``'s tensor, if the program still holds it,
        and run its post-accumulate hooks."""
        owner = node.owner()
        if owner is None:
            return
        if not graph_mode:
            base = grad.base
            key = id(grad if base is None else base)
            if key in stored:
                grad = grad.copy()
            else:
                stored.add(key)
        owner._accumulate(grad)
        if node.hooks is not None:
            for hook in tuple(node.hooks):
                hook(owner)

    for node in order:
        grad = pending.pop(node, None)
        if grad is None:
            continue
        if node() is not None:  # (most nodes' tensors are gone)
            store(node, grad)
        prim = node.prim
        if prim is None:
            continue
        if prim.vjp is None:
            if not retain_graph:
                node.release()
            continue
        inputs = node.inputs
        output = node.output
        if graph_mode:
            if inputs is not None:
                inputs = tuple(wrap(value, parent) for value, parent in zip(
                    inputs, node.parents, strict=True))
            if output is not None:
                output = wrap(output, node)
        fused = prim.fused_vjp(xp) if prim.fused and not graph_mode else None
        input_grads = NotImplemented if fused is None else fused(
            ops, grad, inputs, output, node.parents, **node.params)
        if input_grads is NotImplemented:
            input_grads = prim.vjp(ops, grad, inputs, output, node.parents, **node.params)
        for parent, input_grad in zip(node.parents, input_grads, strict=True):
            if parent is None:
                continue
            if uses and parent in uses:
                uses[parent] -= 1
                if input_grad is None and not uses[parent] and parent in pending:
                    store(parent, pending.pop(parent))
            if input_grad is None:
                continue
            if input_grad.shape != parent.shape:
                input_grad = ops.sum_to(input_grad, shape=parent.shape)
            if input_grad.dtype is not parent.dtype and input_grad.dtype != parent.dtype:
                input_grad = ops.astype(input_grad, dtype=parent.dtype)
            if anomaly:
                check_finite(prim.name, ops.unwrap(input_grad), "backward")
            previous = pending.get(parent)
            if previous is None:
                pending[parent] = input_grad
            elif parent in summed and not graph_mode:
                previous += input_grad  # a NumPy scalar (a 0-d sum) makes a new one
                pending[parent] = previous
            else:
                pending[parent] = previous + input_grad
                summed.add(parent)
            if uses and parent in uses and not uses[parent]:
                store(parent, pending.pop(parent))
        if not retain_graph:
            node.release()
