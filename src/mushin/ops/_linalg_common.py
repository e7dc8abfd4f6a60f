"""The private helpers shared by the linear-algebra families (``factor``, ``orthogonal``,
``solve``, ``pinv``, ``norms``, ``matrix_function``): running a SciPy function one matrix at a
time over the batch axes, packing several results into one primitive's output and slicing them
out, argument checks, ``info`` of the ``*_ex`` functions, and the triangle and diagonal
primitives that the VJPs use.

The forwards run on the array module ``xp`` (NumPy's ``linalg`` or CuPy's), and on SciPy's
``scipy.linalg`` (``cupyx.scipy.linalg`` on a GPU) where NumPy lacks a function
(``solve_triangular``, ``expm``, ``lu``), one matrix at a time over the leading batch axes
(``batched``). The VJPs are PyTorch's formulas (backpropagation through the decompositions),
written with ``F`` operations only, so that they also serve ``backward(create_graph=True)``.

A decomposition with several differentiable results (``qr``, ``svd``, ``eigh``, ``lu``) is
one primitive whose output packs the results along a last axis (``pack``); the public
function slices them out (``unpack``), so a gradient reaching any of them reaches the one
VJP, with zeros for the results not used.

The names the families import are public (this module is the private part): ``mT``, ``diag``,
``embed``, ``unpack_vjp`` and ``xp_of`` work inside a VJP (on ``F``); ``apply_mm`` and
``apply_mT`` apply ``matmul`` and ``matrix_transpose`` to tensors; ``check_*`` check
arguments.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from mushin._backend import namespace_of, scipy_of
from mushin._check import broadcast_shape, operation_name, shape_of
from mushin._graph import Primitive
from mushin._tensor import apply, unwrap
from mushin.errors import ShapeError
from mushin.ops.elementwise import MUL
from mushin.ops.linalg import MATMUL
from mushin.ops.shape import MATRIX_TRANSPOSE, RESHAPE
from mushin.ops.slicing import GETITEM

# --- helpers -----------------------------------------------------------------------------------


def scipy_linalg_of(xp: Any) -> Any:
    """``scipy.linalg`` for NumPy arrays, ``cupyx.scipy.linalg`` for CuPy's (or what a
    registered device kind offers: ``mushin._backend.scipy_of``)."""
    return scipy_of(xp, "linalg")


def batched(xp: Any, function: Any, out_shapes: Sequence[tuple[int, ...]], dtypes: Sequence[Any],
            *arrays: Any) -> list[Any]:
    """``function`` (taking 2-D matrices, returning a tuple) run on each matrix of the
    leading batch axes of ``arrays`` (broadcast together); results stacked."""
    batch = batch_of(*(array.shape[:-2] for array in arrays))
    arrays = tuple(xp.broadcast_to(array, batch + array.shape[-2:]) for array in arrays)
    results = [xp.zeros(batch + shape, dtype=dtype) for shape, dtype in
               zip(out_shapes, dtypes, strict=True)]
    if builtins.all(size > 0 for size in batch) and builtins.all(
            builtins.all(size > 0 for size in array.shape[-2:]) for array in arrays):
        for index in np.ndindex(*batch):
            outputs = function(*(array[index] for array in arrays))
            for result, output in zip(results, outputs, strict=True):
                result[index] = output
    return results


def batch_of(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    """The broadcast of several batch shapes."""
    result: tuple[int, ...] = ()
    for shape in shapes:
        result = broadcast_shape("linalg", result, tuple(shape))
    return result


def xp_of(F: Any, value: Any) -> Any:
    """The array module of a VJP value (an array, or a tensor in a recorded backward)."""
    return namespace_of(F.unwrap(value))


def mT(F: Any, x: Any) -> Any:
    return F.matrix_transpose(x)


def pack(xp: Any, batch: tuple[int, ...], *arrays: Any) -> Any:
    """The arrays (each of leading axes ``batch``) flattened and joined along a last axis."""
    flat = [xp.reshape(array, (*batch, -1)) if array.size or not batch else
            xp.zeros((*batch, 0), dtype=array.dtype) for array in arrays]
    return xp.concatenate(flat, axis=-1)


def _unpack_sizes(shapes: Sequence[tuple[int, ...]]) -> list[tuple[int, int]]:
    bounds: list[tuple[int, int]] = []
    start = 0
    for shape in shapes:
        size = math.prod(shape)
        bounds.append((start, start + size))
        start += size
    return bounds


def unpack_vjp(F: Any, g: Any, batch: tuple[int, ...],
               shapes: Sequence[tuple[int, ...]]) -> list[Any]:
    """The gradients of the packed results, split and reshaped (inside a VJP)."""
    return [F.reshape(F.getitem(g, index=(Ellipsis, slice(start, stop))), shape=batch + shape)
            for (start, stop), shape in zip(_unpack_sizes(shapes), shapes, strict=True)]


def unpack(packed: Any, batch: tuple[int, ...], shapes: Sequence[tuple[int, ...]]) -> list[Any]:
    """The results of a packed primitive, as tensors (differentiable slices)."""
    return [apply(RESHAPE, apply(GETITEM, packed, index=(Ellipsis, slice(start, stop))),
                  shape=batch + shape)
            for (start, stop), shape in zip(_unpack_sizes(shapes), shapes, strict=True)]


def check_matrix(name: str, x: Any, square: bool = False) -> tuple[int, ...]:
    """``x``'s shape, checked: a floating tensor with at least 2 axes (square if asked)."""
    shape = shape_of(x)
    dtype = getattr(x, "dtype", None)
    if dtype is not None and np.dtype(dtype).kind not in "f":
        raise TypeError(f"{operation_name(name)}: expected a floating tensor, got dtype "
                        f"{np.dtype(dtype)}")
    if dtype is None:
        raise TypeError(f"{operation_name(name)}: expected a tensor, got {type(x).__name__}")
    if len(shape) < 2:
        raise ShapeError(f"{operation_name(name)}: expected a matrix or a batch of matrices (at "
                         f"least 2 axes), got shape {shape}")
    if square and shape[-1] != shape[-2]:
        raise ShapeError(f"{operation_name(name)}: expected square matrices, got shape {shape}")
    return shape


def run(name: str, prim: Primitive, *operands: Any, **params: Any) -> Any:
    """``apply(prim, ...)``, a ``ValueError`` of its forward (a singular matrix, a LAPACK
    failure) renamed for the public operation ``name``."""
    try:
        return apply(prim, *operands, **params)
    except ValueError as error:
        message = str(error).removeprefix(f"{prim.name}: ")
        if not message.startswith(f"{name}:"):
            message = f"{operation_name(name)}: {message}"
        raise ValueError(message) from None


def apply_mm(x: Any, y: Any) -> Any:
    return apply(MATMUL, x, y)


def apply_mT(x: Any) -> Any:
    return apply(MATRIX_TRANSPOSE, x)


def floating_dtype(name: str, x: Any) -> Any:
    dtype = getattr(x, "dtype", None)
    if dtype is None or np.dtype(dtype).kind != "f":
        raise TypeError(f"{operation_name(name)}: expected a floating tensor, got "
                        f"{np.dtype(dtype) if dtype is not None else type(x).__name__}")
    return np.dtype(dtype)


# --- argument checks -----------------------------------------------------------------------------

def check_bool(name: str, argument: str, value: Any) -> bool:
    if value is True or value is False:
        return bool(value)
    if isinstance(value, np.bool_):
        return bool(value == np.True_)
    raise TypeError(f"{operation_name(name)}: {argument} must be a bool, got {value!r}")


def check_square(name: str, x: Any) -> tuple[int, ...]:
    return check_matrix(name, x, square=True)


def batch_shapes(name: str, first: tuple[int, ...], second: tuple[int, ...],
                 a_shape: tuple[int, ...], b_shape: tuple[int, ...]) -> tuple[int, ...]:
    try:
        return broadcast_shape(name, first, second)
    except ShapeError:
        raise ShapeError(f"{operation_name(name)}: the batch axes of shapes {a_shape} and "
                         f"{b_shape} cannot be broadcast together") from None


# --- info of the *_ex functions ------------------------------------------------------------------

def _info_forward(xp: Any, a: Any, kind: str) -> Any:
    """``info`` of the ``*_ex`` functions: 0 where the factorisation succeeds, else a positive
    int (LAPACK's: the failing order)."""
    batch = a.shape[:-2]
    result = xp.zeros(batch, dtype=np.int32)
    host = np.asarray(a.get() if hasattr(a, "get") else a)
    for index in np.ndindex(*batch):
        matrix = host[index]
        if matrix.shape[-1] == 0:
            continue
        try:
            if kind == "cholesky":
                np.linalg.cholesky(matrix)
            else:
                np.linalg.inv(matrix)
        except np.linalg.LinAlgError:
            result[index] = _failing_order(matrix, kind)
    return result


def _failing_order(matrix: Any, kind: str) -> int:
    if kind == "cholesky":
        for order in range(1, matrix.shape[-1] + 1):
            try:
                np.linalg.cholesky(matrix[:order, :order])
            except np.linalg.LinAlgError:
                return order
        return int(matrix.shape[-1])
    lu = scipy_linalg_of(np).lu_factor(matrix, check_finite=False)[0]
    zeros = np.nonzero(np.diagonal(lu) == 0)[0]
    return int(zeros[0]) + 1 if zeros.size else int(matrix.shape[-1])


INFO = Primitive("linalg_info", _info_forward, None)


def check_info(name: str, info: Any, what: str) -> None:
    data = unwrap(info)
    xp = namespace_of(data)
    if bool(xp.any(data != 0)):
        raise ValueError(f"{operation_name(name)}: {what}")


def nan_like(x: Any) -> Any:
    """``x * nan``: a result of ``x``'s kind and shape where a factorisation failed."""
    return apply(MUL, x, float("nan"))


# --- triangles and diagonals ---------------------------------------------------------------------

def _tril_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, k: int) -> tuple[Any]:
    return (F.linalg_tril(g, k=k),)


def _triu_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, k: int) -> tuple[Any]:
    return (F.linalg_triu(g, k=k),)


TRIL = Primitive("linalg_tril", lambda xp, x, k: xp.tril(x, k), _tril_vjp, saves="none")
TRIU = Primitive("linalg_triu", lambda xp, x, k: xp.triu(x, k), _triu_vjp, saves="none")


def _diagonal_forward(xp: Any, x: Any, offset: int, axis1: int, axis2: int) -> Any:
    return xp.diagonal(x, offset=offset, axis1=axis1, axis2=axis2).copy()


def _diag_embed_forward(xp: Any, g: Any, offset: int, axis1: int, axis2: int,
                        shape: tuple[int, ...]) -> Any:
    """The inverse of ``diagonal``: zeros of ``shape`` with ``g`` on the chosen diagonal."""
    rest = [axis for axis in range(len(shape)) if axis not in (axis1, axis2)]
    moved_shape = (*tuple(shape[axis] for axis in rest), shape[axis1], shape[axis2])
    result = xp.zeros(moved_shape, dtype=g.dtype)
    count = g.shape[-1]
    rows = xp.arange(count) + builtins.max(-offset, 0)
    cols = xp.arange(count) + builtins.max(offset, 0)
    result[..., rows, cols] = g
    order = [*rest, axis1, axis2]
    inverse = tuple(sorted(range(len(order)), key=order.__getitem__))
    return xp.transpose(result, inverse)


DIAGONAL = Primitive(
    "linalg_diagonal", _diagonal_forward,
    lambda F, g, inputs, out, parents, offset, axis1, axis2: (F.linalg_diag_embed(
        g, offset=offset, axis1=axis1, axis2=axis2, shape=parents[0].shape),), saves="none")
DIAG_EMBED = Primitive(
    "linalg_diag_embed", _diag_embed_forward,
    lambda F, g, inputs, out, parents, offset, axis1, axis2, shape: (F.linalg_diagonal(
        g, offset=offset, axis1=axis1, axis2=axis2),), saves="none")


def diag(F: Any, x: Any) -> Any:
    """The main diagonal of the last two axes (inside a VJP)."""
    ndim = len(F.unwrap(x).shape)
    return F.linalg_diagonal(x, offset=0, axis1=ndim - 2, axis2=ndim - 1)


def embed(F: Any, v: Any) -> Any:
    """A batch of vectors as diagonal matrices (inside a VJP)."""
    shape = tuple(F.unwrap(v).shape)
    ndim = len(shape) + 1
    return F.linalg_diag_embed(v, offset=0, axis1=ndim - 2, axis2=ndim - 1,
                               shape=(*shape, shape[-1]))
