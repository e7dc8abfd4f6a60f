"""Products: ``mm`` over the last two axes with broadcast leading axes, ``matmul`` (``@``),
which also accepts vectors as NumPy does, and PyTorch's other products (``dot``, ``mv``,
``bmm``, the ``add*`` family, ``outer``, ``inner``, ``tensordot``, ``kron``, ``einsum``,
``chain_matmul``, ``linalg.multi_dot``). Decompositions, solvers and norms are in
``factor.py``, ``orthogonal.py``, ``solve.py``, ``pinv.py``, ``norms.py`` (with ``cross`` and
``cdist``) and ``matrix_function.py``."""

from __future__ import annotations

import builtins
import collections
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mushin._backend import namespace_of
from mushin._check import as_sequence, broadcast_shape, is_int, is_number, operation_name, shape_of
from mushin._graph import Primitive
from mushin._surface import exported, method
from mushin._tensor import apply, unwrap
from mushin.errors import ShapeError
from mushin.ops.elementwise import ADD, MUL, result_dtype
from mushin.ops.shape import RESHAPE, TRANSPOSE, expand_dims, squeeze

if TYPE_CHECKING:
    from mushin._typing import HostArray


def _matmul_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any, ...]:
    first, second = inputs
    return (g @ F.matrix_transpose(second) if parents[0] is not None else None,
            F.matrix_transpose(first) @ g if parents[1] is not None else None)


def _matmul_forward(xp: Any, a: Any, b: Any) -> Any:
    if a.dtype is not b.dtype and a.dtype != b.dtype:
        # PyTorch's promotion (float32 @ int64 is float32), not NumPy's (float64).
        target = result_dtype(a, b)
        a, b = a.astype(target, copy=False), b.astype(target, copy=False)
    return xp.matmul(a, b)


MATMUL = Primitive("matmul", _matmul_forward, _matmul_vjp)


@exported("matrix_product_function")
@method("mm", typing="matrix_product_method")
def mm(a: Any, b: Any) -> Any:
    """The matrix product over the last two axes; leading axes broadcast.

    ``[*B, M, K] x [*B, K, N] -> [*B, M, N]``; ``ShapeError`` if the inner sizes differ.
    """
    first, second = shape_of(a), shape_of(b)
    if len(first) < 2 or len(second) < 2:
        raise ShapeError(f"{operation_name('mm')}: both operands need at least 2 axes, got shapes "
                         f"{first} and {second} (use matmul for vectors)")
    if first[-1] != second[-2]:
        raise ShapeError(f"{operation_name('mm')}: inner sizes differ: shapes {first} and {second} "
                         f"({first[-1]} vs {second[-2]})")
    if first[:-2] != second[:-2]:
        try:
            broadcast_shape("mm", first[:-2], second[:-2])
        except ShapeError:
            raise ShapeError(f"{operation_name('mm')}: leading axes of shapes {first} and {second} "
                             "cannot be broadcast together") from None
    return apply(MATMUL, a, b)


@exported("matmul_function")
@method("matmul", "__matmul__", typing="matmul_method")
def matmul(a: Any, b: Any) -> Any:
    """``a @ b``: ``mm``, also for a 1-axis operand (a vector, as in NumPy)."""
    first, second = shape_of(a), shape_of(b)
    if builtins.min(len(first), len(second)) == 0:
        raise ShapeError(f"matmul: operands need at least 1 axis, got shapes {first} and "
                         f"{second}")
    if builtins.min(len(first), len(second)) >= 2:
        return mm(a, b)
    vector_left, vector_right = len(first) == 1, len(second) == 1
    # Checked here so that the message names the shapes the caller gave, not the expanded ones.
    inner = second[0] if vector_right else second[-2]
    if first[-1] != inner:
        raise ShapeError(f"matmul: inner sizes differ: shapes {first} and {second} "
                         f"({first[-1]} vs {inner})")
    result = mm(expand_dims(a, 0) if vector_left else a,
                expand_dims(b, -1) if vector_right else b)
    if vector_right:
        result = squeeze(result, -1)
    if vector_left:
        result = squeeze(result, -2 if not vector_right else -1)
    return result


@method("__rmatmul__", typing="runtime_shape_method")
def _rmatmul(x: Any, other: HostArray) -> Any:
    """``other @ x`` for a host array ``other``."""
    return matmul(other, x)


# --- products ------------------------------------------------------------------------------------

def _vector(name: str, argument: str, x: Any) -> int:
    shape = shape_of(x)
    if len(shape) != 1:
        raise ShapeError(f"{operation_name(name)}: {argument} must be 1-D, got shape {shape}")
    return shape[0]


def _scaled(x: Any, factor: Any) -> Any:
    """``factor * x``, skipping the multiplication by 1."""
    if is_number(factor) and factor == 1:
        return x
    return apply(MUL, x, factor)


def _add_scaled(name: str, base: Any, product: Any, beta: Any, alpha: Any) -> Any:
    """``beta * base + alpha * product`` (PyTorch's ``add*`` functions: ``base`` is ignored,
    NaN included, when ``beta`` is 0)."""
    for argument, value in (("beta", beta), ("alpha", alpha)):
        if not is_number(value):
            raise TypeError(f"{operation_name(name)}: {argument} must be a number, got {value!r}")
    base_shape, product_shape = shape_of(base), shape_of(product)
    try:
        shape = broadcast_shape(name, base_shape, product_shape)
    except ShapeError:
        shape = ()
    if shape != product_shape:
        raise ShapeError(f"{operation_name(name)}: input of shape {base_shape} cannot be broadcast "
                         f"to the product's shape {product_shape}")
    scaled = _scaled(product, alpha)
    if beta == 0:
        return scaled
    return apply(ADD, _scaled(base, beta), scaled)


@exported("matmul_function")
@exported("matmul_function", name="vdot")
@method("dot", "vdot", typing="matmul_method")
def dot(input: Any, tensor: Any) -> Any:
    """The dot product of two 1-D tensors of one size (``vdot`` too: real numbers only)."""
    first = _vector("dot", "input", input)
    second = _vector("dot", "tensor", tensor)
    if first != second:
        raise ShapeError(f"{operation_name('dot')}: sizes differ: {first} and {second}")
    return matmul(input, tensor)


@exported("matmul_function")
@method("mv", typing="matmul_method")
def mv(input: Any, vec: Any) -> Any:
    """The product of a matrix ``[n, m]`` and a vector ``[m]``."""
    shape = shape_of(input)
    if len(shape) != 2:
        raise ShapeError(f"{operation_name('mv')}: input must be 2-D, got shape {shape}")
    size = _vector("mv", "vec", vec)
    if shape[1] != size:
        raise ShapeError(f"{operation_name('mv')}: sizes do not fit: shapes {shape} and "
                         f"{shape_of(vec)}")
    return matmul(input, vec)


@exported("matmul_function")
@method("bmm", typing="matmul_method")
def bmm(input: Any, mat2: Any) -> Any:
    """The batched matrix product ``[b, n, m] x [b, m, p] -> [b, n, p]`` (no broadcasting)."""
    first, second = shape_of(input), shape_of(mat2)
    if len(first) != 3 or len(second) != 3:
        raise ShapeError(f"{operation_name('bmm')}: both operands must be 3-D, got shapes {first} "
                         f"and {second}")
    if first[0] != second[0] or first[2] != second[1]:
        raise ShapeError(f"{operation_name('bmm')}: shapes {first} and {second} do not fit")
    return apply(MATMUL, input, mat2)


@exported("mixed_function")
@exported("mixed_function", name="ger")
@method("outer", "ger", typing="mixed_method")
def outer(input: Any, vec2: Any) -> Any:
    """The outer product of two vectors: ``[n] x [m] -> [n, m]``."""
    first = _vector("outer", "input", input)
    second = _vector("outer", "vec2", vec2)
    return apply(MUL, apply(RESHAPE, input, shape=(first, 1)), apply(RESHAPE, vec2,
                                                                      shape=(1, second)))


@exported("mixed_function")
@method("inner", typing="mixed_method")
def inner(input: Any, other: Any) -> Any:
    """The sum of products over the last axis of both: shape ``input.shape[:-1] +
    other.shape[:-1]`` (a product when either is 0-d)."""
    first, second = shape_of(input), shape_of(other)
    if not first or not second:
        return apply(MUL, input, other)
    if first[-1] != second[-1]:
        raise ShapeError(f"{operation_name('inner')}: last sizes differ: shapes {first} and "
                         f"{second}")
    return tensordot(input, other, ([-1], [-1]))


@exported("mixed_function")
def tensordot(a: Any, b: Any, dims: Any = 2) -> Any:
    """The sum of products over ``dims``: an int (the last ``dims`` axes of ``a`` with the first
    of ``b``) or a pair of lists of axes."""
    first, second = shape_of(a), shape_of(b)
    if is_int(dims):
        if dims < 0 or dims > builtins.min(len(first), len(second)):
            raise ValueError(f"tensordot: dims must be in [0, {min(len(first), len(second))}], "
                             f"got {dims}")
        axes_a: list[Any] = list(range(len(first) - dims, len(first)))
        axes_b: list[Any] = list(range(dims))
    else:
        given: Any = unwrap(dims)
        if hasattr(given, "tolist"):
            given = given.tolist()
        pair = as_sequence(given)
        if pair is None or len(pair) != 2:
            raise TypeError(f"tensordot: dims must be an int or a pair of lists of axes, got "
                            f"{dims!r}")
        axes_a = [pair[0]] if is_int(pair[0]) else as_sequence(pair[0]) or []
        axes_b = [pair[1]] if is_int(pair[1]) else as_sequence(pair[1]) or []
        if len(axes_a) != len(axes_b):
            raise ValueError(f"tensordot: the two lists of axes differ in length: {dims!r}")
        axes_a = list(normalize_axis_list("tensordot", axes_a, len(first)))
        axes_b = list(normalize_axis_list("tensordot", axes_b, len(second)))
    from mushin.ops.reduce import SUM

    for left, right in zip(axes_a, axes_b, strict=True):
        if first[left] != second[right]:
            # PyTorch sums an axis contracted with a size-1 axis on its own.
            if second[right] == 1:
                a = apply(SUM, a, axis=(left,), keepdims=True)
            elif first[left] == 1:
                b = apply(SUM, b, axis=(right,), keepdims=True)
            else:
                raise ShapeError(f"tensordot: axis {left} of shape {first} and axis {right} of "
                                 f"shape {second} differ in size")
    first, second = shape_of(a), shape_of(b)
    free_a = [axis for axis in range(len(first)) if axis not in axes_a]
    free_b = [axis for axis in range(len(second)) if axis not in axes_b]
    kept_a = [first[axis] for axis in free_a]
    kept_b = [second[axis] for axis in free_b]
    inner_size = math.prod([first[int(axis)] for axis in axes_a])
    left = apply(RESHAPE, _permuted(a, free_a + axes_a),
                 shape=(math.prod(kept_a), inner_size))
    right = apply(RESHAPE, _permuted(b, axes_b + free_b),
                  shape=(inner_size, math.prod(kept_b)))
    return apply(RESHAPE, apply(MATMUL, left, right), shape=tuple(kept_a + kept_b))


def normalize_axis_list(name: str, axes: list[Any], ndim: int) -> list[int]:
    """Axes (negatives allowed) as positive ints in the given order; no repeats."""
    result: list[int] = []
    for axis in axes:
        if not is_int(axis):
            raise TypeError(f"{operation_name(name)}: an axis must be an int, got {axis!r}")
        if not -ndim <= axis < ndim:
            raise IndexError(f"{operation_name(name)}: axis {axis} is out of range for {ndim} axes")
        result.append(int(axis) % ndim)
    if len(set(result)) != len(result):
        raise ValueError(f"{operation_name(name)}: repeated axis in {axes!r}")
    return result


def _permuted(x: Any, order: list[int]) -> Any:
    if order == list(range(len(order))):
        return x
    return apply(TRANSPOSE, x, axes=tuple(order))


@exported("mixed_function")
@method("kron", typing="mixed_method")
def kron(input: Any, other: Any) -> Any:
    """The Kronecker product: each size the product of the two (the shorter shape padded with
    leading 1s)."""
    first, second = shape_of(input), shape_of(other)
    ndim = builtins.max(len(first), len(second))
    first = (1,) * (ndim - len(first)) + first
    second = (1,) * (ndim - len(second)) + second
    left = apply(RESHAPE, input, shape=tuple(item for size in first for item in (size, 1)))
    right = apply(RESHAPE, other, shape=tuple(item for size in second for item in (1, size)))
    return apply(RESHAPE, apply(MUL, left, right),
                 shape=tuple(x * y for x, y in zip(first, second, strict=True)))


@exported("many_function")
def chain_matmul(*matrices: Any) -> Any:
    """The product of 2-D matrices in the cheapest order (``linalg.multi_dot``)."""
    given = as_sequence(matrices[0]) if len(matrices) == 1 else None
    items: list[Any] = given if given is not None else list(matrices)
    for index, item in enumerate(items):
        if len(shape_of(item)) != 2:
            raise ShapeError(f"chain_matmul: every tensor must be 2-D, tensor {index} has shape "
                             f"{shape_of(item)}")
    if len(items) == 1:
        return apply(MUL, items[0], 1.0)
    return multi_dot(items)


@exported("many_function", namespace="linalg", name="multi_dot")
def multi_dot(tensors: Any) -> Any:
    """The product of a sequence of matrices (the first may be a row vector, the last a
    column vector), multiplied in the cheapest order."""
    items = as_sequence(tensors)
    if items is None:
        raise TypeError(f"{operation_name('linalg.multi_dot')}: expected a list of tensors, got "
                        f"{type(tensors).__name__}")
    if len(items) < 2:
        raise ValueError(f"{operation_name('linalg.multi_dot')}: needs at least 2 tensors, got "
                         f"{len(items)}")
    shapes = [shape_of(item) for item in items]
    for index, shape in enumerate(shapes):
        allowed = (1, 2) if index in (0, len(items) - 1) else (2,)
        if len(shape) not in allowed:
            raise ShapeError(f"{operation_name('linalg.multi_dot')}: tensor {index} must have "
                             f"{' or '.join(map(str, allowed))} axes, got shape {shape}")
    first_vector, last_vector = len(shapes[0]) == 1, len(shapes[-1]) == 1
    if first_vector:
        items[0] = apply(RESHAPE, items[0], shape=(1,) + shapes[0])
    if last_vector:
        items[-1] = apply(RESHAPE, items[-1], shape=shapes[-1] + (1,))
    sizes = [shape_of(items[0])[0]] + [shape_of(item)[1] for item in items]
    for index in range(len(items) - 1):
        if shape_of(items[index])[1] != shape_of(items[index + 1])[0]:
            raise ShapeError(f"{operation_name('linalg.multi_dot')}: tensors {index} and "
                             f"{index + 1} do not fit: shapes {shapes[index]} and "
                             f"{shapes[index + 1]}")
    result = _chain(items, sizes)
    shape = shape_of(result)
    if first_vector and last_vector:
        return apply(RESHAPE, result, shape=())
    if first_vector:
        return apply(RESHAPE, result, shape=shape[1:])
    if last_vector:
        return apply(RESHAPE, result, shape=shape[:1])
    return result


def _chain(items: list[Any], sizes: list[int]) -> Any:
    """The product of matrices in the order of least cost (dynamic programming)."""
    count = len(items)
    cost = [[0] * count for _ in range(count)]
    split = [[0] * count for _ in range(count)]
    for length in range(1, count):
        for i in range(count - length):
            j = i + length
            cost[i][j] = math.inf  # type: ignore[call-overload]
            for k in range(i, j):
                value = cost[i][k] + cost[k + 1][j] + sizes[i] * sizes[k + 1] * sizes[j + 1]
                if value < cost[i][j]:
                    cost[i][j] = value
                    split[i][j] = k

    def build(i: int, j: int) -> Any:
        if i == j:
            return items[i]
        k = split[i][j]
        return apply(MATMUL, build(i, k), build(k + 1, j))

    return build(0, count - 1)


def chain(tensors: Sequence[Any]) -> Any:
    """``multi_dot`` of 2-D tensors (``chain_matmul``'s body)."""
    return multi_dot(tensors)


def _check_matrices(name: str, **operands: Any) -> None:
    for argument, value in operands.items():
        if len(shape_of(value)) != 2:
            raise ShapeError(f"{operation_name(name)}: {argument} must be 2-D, got shape "
                             f"{shape_of(value)}")


@exported("ternary_function")
@method("addmm", typing="ternary_method")
def addmm(input: Any, mat1: Any, mat2: Any, *, beta: Any = 1,
          alpha: Any = 1) -> Any:
    """``beta * input + alpha * (mat1 @ mat2)`` for 2-D ``mat1``, ``mat2``."""
    _check_matrices("addmm", mat1=mat1, mat2=mat2)
    if shape_of(mat1)[1] != shape_of(mat2)[0]:
        raise ShapeError(f"addmm: mat1 and mat2 shapes {shape_of(mat1)} and {shape_of(mat2)} do "
                         "not fit")
    return _add_scaled("addmm", input, apply(MATMUL, mat1, mat2), beta, alpha)


@exported("ternary_function")
@method("addmv", typing="ternary_method")
def addmv(input: Any, mat: Any, vec: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
    """``beta * input + alpha * (mat @ vec)``."""
    return _add_scaled("addmv", input, mv(mat, vec), beta, alpha)


@exported("ternary_function")
@method("baddbmm", typing="ternary_method")
def baddbmm(input: Any, batch1: Any, batch2: Any, *, beta: Any = 1,
            alpha: Any = 1) -> Any:
    """``beta * input + alpha * bmm(batch1, batch2)``."""
    return _add_scaled("baddbmm", input, bmm(batch1, batch2), beta, alpha)


@exported("ternary_function")
@method("addbmm", typing="ternary_method")
def addbmm(input: Any, batch1: Any, batch2: Any, *, beta: Any = 1,
           alpha: Any = 1) -> Any:
    """``beta * input + alpha * sum_b batch1[b] @ batch2[b]``."""
    from mushin.ops.reduce import SUM

    product = apply(SUM, bmm(batch1, batch2), axis=(0,), keepdims=False)
    return _add_scaled("addbmm", input, product, beta, alpha)


@exported("ternary_function")
@method("addr", typing="ternary_method")
def addr(input: Any, vec1: Any, vec2: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
    """``beta * input + alpha * outer(vec1, vec2)``."""
    return _add_scaled("addr", input, outer(vec1, vec2), beta, alpha)


# --- einsum ---------------------------------------------------------------------------------------

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _einsum_forward(xp: Any, *operands: Any, equation: str) -> Any:
    return xp.einsum(equation, *operands, optimize=len(operands) > 2)


def _einsum_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any,
                equation: str) -> tuple[Any, ...]:
    """Operand i's gradient is the einsum of ``g`` with the other operands into operand i's
    subscripts; repeated subscripts (a diagonal) and subscripts found nowhere else (a sum)
    are restored with constant identity matrices and ones."""
    lhs, rhs = equation.split("->")
    terms = lhs.split(",")
    xp = namespace_of(F.unwrap(g))
    dtype = F.unwrap(g).dtype
    grads: list[Any] = []
    for index, term in enumerate(terms):
        if parents[index] is None:
            grads.append(None)
            continue
        others = [(other, inputs[position]) for position, other in enumerate(terms)
                  if position != index]
        available = set(rhs) | {letter for other, _ in others for letter in other}
        shape = tuple(F.unwrap(inputs[index]).shape)
        sizes = dict(zip(term, shape, strict=True))
        unique = list(dict.fromkeys(term))
        present = "".join(letter for letter in unique if letter in available)
        grad = F.einsum(g, *(operand for _, operand in others),
                        equation=",".join([rhs] + [other for other, _ in others]) + "->" + present)
        extra_terms: list[str] = []
        extra: list[Any] = []
        for letter in unique:
            if letter not in available:
                extra_terms.append(letter)
                extra.append(xp.ones((sizes[letter],), dtype=dtype))
        target = ""
        unused = iter(letter for letter in _LETTERS if letter not in equation)
        seen: set[str] = set()
        for letter in term:
            if letter in seen:
                fresh = next(unused)
                extra_terms.append(letter + fresh)
                extra.append(xp.eye(sizes[letter], dtype=dtype))
                target += fresh
            else:
                seen.add(letter)
                target += letter
        if extra or target != present:
            grad = F.einsum(grad, *extra, equation=",".join([present, *extra_terms]) + "->"
                            + target)
        grads.append(grad)
    return tuple(grads)


EINSUM = Primitive("einsum", _einsum_forward, _einsum_vjp)


def _einsum_equation(equation: str, shapes: list[tuple[int, ...]]) -> str:
    """``equation`` in explicit form (``...->``) with every ellipsis spelled out in letters."""
    text = equation.replace(" ", "")
    explicit = "->" in text
    lhs, _, rhs = text.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: the equation {equation!r} names {len(terms)} operands, got "
                         f"{len(shapes)}")
    for term in [*terms, rhs]:
        letters = term.replace("...", "")
        if not builtins.all(letter in _LETTERS for letter in letters):
            raise ValueError(f"einsum: subscripts must be letters (and '...'), got {equation!r}")
        if "." in letters:
            raise ValueError(f"einsum: a '.' outside an ellipsis in {equation!r}")
    unused = [letter for letter in _LETTERS if letter not in text]
    widest = 0
    for term, shape in zip(terms, shapes, strict=True):
        named = len(term.replace("...", ""))
        if "..." in term:
            if named > len(shape):
                raise ValueError(f"einsum: subscripts {term!r} name more axes than the operand's "
                                 f"{len(shape)}")
            widest = builtins.max(widest, len(shape) - named)
        elif named != len(shape):
            raise ValueError(f"einsum: subscripts {term!r} name {named} axes but the operand has "
                             f"shape {shape}")
    ellipsis = "".join(unused[:widest])
    spelled: list[str] = []
    for term, shape in zip(terms, shapes, strict=True):
        if "..." in term:
            count = len(shape) - len(term.replace("...", ""))
            term = term.replace("...", ellipsis[widest - count:])
        spelled.append(term)
    sizes: dict[str, int] = {}
    for term, shape in zip(spelled, shapes, strict=True):
        for letter, size in zip(term, shape, strict=True):
            known = sizes.get(letter, 1)
            if size != known and size != 1 and known != 1:
                raise ShapeError(f"einsum: subscript {letter!r} has sizes {known} and {size} in "
                                 f"{equation!r}")
            sizes[letter] = builtins.max(known, size) if size != 1 else known
    if explicit:
        output = rhs.replace("...", ellipsis)
        if "..." not in rhs and ellipsis and builtins.any("..." in term for term in terms):
            pass  # the ellipsis axes are summed, as in PyTorch
        if len(set(output)) != len(output):
            raise ValueError(f"einsum: the output subscripts of {equation!r} repeat a letter")
        for letter in output:
            if letter not in "".join(spelled):
                raise ValueError(f"einsum: output subscript {letter!r} of {equation!r} names no "
                                 "operand axis")
    else:
        counts = collections.Counter("".join(term.replace("...", "") for term in terms))
        output = ellipsis + "".join(sorted(letter for letter, count in counts.items()
                                           if count == 1))
    return ",".join(spelled) + "->" + output


def _sublist_equation(arguments: tuple[Any, ...]) -> tuple[str, list[Any]]:
    """PyTorch's sublist form ``einsum(op1, [0, 1], op2, [1, 2], [0, 2])`` as an equation."""
    operands: list[Any] = []
    terms: list[str] = []

    def spell(sublist: Any) -> str:
        text = ""
        items = as_sequence(sublist)
        if items is None:
            raise TypeError(f"einsum: expected an equation (a string) or sublists of ints, got "
                            f"{sublist!r}")
        for item in items:
            if item is Ellipsis:
                text += "..."
            elif is_int(item) and 0 <= item < len(_LETTERS):
                text += _LETTERS[item]
            else:
                raise ValueError(f"einsum: a sublist holds ints in [0, 52) or ..., got {item!r}")
        return text

    items = list(arguments)
    while len(items) >= 2:
        operands.append(items.pop(0))
        terms.append(spell(items.pop(0)))
    equation = ",".join(terms)
    if items:
        equation += "->" + spell(items[0])
    return equation, operands


@exported("einsum_function")
def einsum(equation: Any, *operands: Any) -> Any:
    """Einstein summation: ``einsum("ij,jk->ik", a, b)`` (operands as arguments or one list,
    also ``einsum([a, b], "ij,jk->ik")``; PyTorch's sublist form too). Each operand's gradient
    is an einsum of the output's gradient with the other operands."""
    listed = as_sequence(equation)
    if listed is not None and len(operands) == 1 and isinstance(operands[0], str):
        equation, operands = operands[0], tuple(listed)
    if not isinstance(equation, str):
        equation, operand_list = _sublist_equation((equation, *operands))
        operands = tuple(operand_list)
    elif len(operands) == 1 and as_sequence(operands[0]) is not None:
        operands = tuple(as_sequence(operands[0]) or ())
    if not operands:
        raise ValueError("einsum: needs at least one operand")
    shapes = [shape_of(operand) for operand in operands]
    spelled = _einsum_equation(equation, shapes)
    return apply(EINSUM, *operands, equation=spelled)
