"""Ops that move values around without arithmetic: reshape, permute, indexing,
concatenation, broadcasting, and the device/dtype conversions.

Each backward puts the gradient back where the value came from.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function
from ..tensor import Tensor

# ---- reshape and permute ------------------------------------------------------------------


class Reshape(Function):
    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return a.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape), None


class Permute(Function):
    @staticmethod
    def forward(ctx, a, axes):
        ctx.inverse = tuple(np.argsort(axes))
        return a.transpose(axes)

    @staticmethod
    def backward(ctx, g):
        return g.transpose(ctx.inverse), None


class BroadcastTo(Function):
    @staticmethod
    def forward(ctx, a, shape):
        return backend.array_module(a).broadcast_to(a, shape)

    @staticmethod
    def backward(ctx, g):
        return g, None  # the engine sums it back to the input's shape


def reshape(a: Tensor, *shape: int | Sequence[int]) -> Tensor:
    if len(shape) == 1 and not isinstance(shape[0], int):
        shape = tuple(shape[0])
    known = math.prod(n for n in shape if n != -1)
    if (
        shape.count(-1) > 1
        or (-1 in shape and (known == 0 or a.size % known))
        or (-1 not in shape and known != a.size)
    ):
        raise ValueError(f"reshape: cannot reshape {a.shape} ({a.size} values) into {shape}")
    return Reshape.apply(a, tuple(shape))


def permute(a: Tensor, *axes: int | Sequence[int]) -> Tensor:
    if len(axes) == 1 and not isinstance(axes[0], int):
        axes = tuple(axes[0])
    if sorted(ax % max(a.ndim, 1) for ax in axes) != list(range(a.ndim)):
        raise ValueError(f"permute: {axes} is not a permutation of the {a.ndim} axes of {a.shape}")
    return Permute.apply(a, tuple(ax % a.ndim for ax in axes))


def transpose(a: Tensor, dim0: int = -2, dim1: int = -1) -> Tensor:
    """Swap two axes (the last two by default)."""
    axes = list(range(a.ndim))
    axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
    return Permute.apply(a, tuple(axes))


def broadcast_to(a: Tensor, shape: Sequence[int]) -> Tensor:
    try:
        np.broadcast_shapes(a.shape, tuple(shape))
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast {a.shape} to {tuple(shape)}") from None
    return BroadcastTo.apply(a, tuple(shape))


def flatten(a: Tensor, start_dim: int = 0) -> Tensor:
    return reshape(a, a.shape[:start_dim] + (-1,))


def unsqueeze(a: Tensor, dim: int) -> Tensor:
    dim = dim % (a.ndim + 1)
    return reshape(a, a.shape[:dim] + (1,) + a.shape[dim:])


def squeeze(a: Tensor, dim: int | None = None) -> Tensor:
    if dim is None:
        return reshape(a, tuple(n for n in a.shape if n != 1))
    if a.shape[dim] != 1:
        return a
    dim = dim % a.ndim
    return reshape(a, a.shape[:dim] + a.shape[dim + 1 :])


# ---- indexing ------------------------------------------------------------------------------


def _plain_index(index: Any, xp: Any) -> Any:
    """Tensors and lists inside an index become arrays of the data's backend."""
    if isinstance(index, tuple):
        return tuple(_plain_index(i, xp) for i in index)
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list):
        return xp.asarray(index)
    return index


def _is_basic(index: Any) -> bool:
    """Slices, ints, None and ... only: then every output value has its own source."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, np.integer, slice, type(None), type(...))) for i in parts)


class GetItem(Function):
    @staticmethod
    def forward(ctx, a, index):
        ctx.shape, ctx.dtype, ctx.index = a.shape, a.dtype, index
        return a[index]

    @staticmethod
    def backward(ctx, g):
        xp = backend.array_module(g)
        grad = xp.zeros(ctx.shape, ctx.dtype)
        if _is_basic(ctx.index):
            grad[ctx.index] = g
        else:  # integer arrays may repeat a position: every copy adds its gradient
            backend.scatter_add(grad, ctx.index, g)
        return grad, None


def getitem(a: Tensor, index: Any) -> Tensor:
    index = _plain_index(index, backend.array_module(a.data))
    try:
        return GetItem.apply(a, index)
    except IndexError as exc:
        raise IndexError(f"getitem: index {index!r} does not fit shape {a.shape}: {exc}") from None


# ---- joining -------------------------------------------------------------------------------


class Concat(Function):
    @staticmethod
    def forward(ctx, *arrays, axis):
        ctx.axis = axis
        ctx.bounds = np.cumsum([a.shape[axis] for a in arrays])[:-1]
        return backend.array_module(arrays[0]).concatenate(arrays, axis=axis)

    @staticmethod
    def backward(ctx, g):
        xp = backend.array_module(g)
        return tuple(xp.split(g, ctx.bounds, axis=ctx.axis))


def concat(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (``torch.cat``)."""
    if not tensors:
        raise ValueError("concat: expected at least one tensor, got none")
    first = tensors[0].shape
    if not -len(first) <= axis < len(first):
        raise ValueError(f"concat: axis {axis} is out of range for shape {first}")
    axis = axis % len(first)
    for i, t in enumerate(tensors):
        if len(t.shape) != len(first) or any(
            n != m for d, (n, m) in enumerate(zip(t.shape, first)) if d != axis
        ):
            raise ValueError(
                f"concat: tensor {i} has shape {t.shape} but tensor 0 has {first}; all "
                f"dims except axis {axis} must match"
            )
    return Concat.apply(*tensors, axis=axis)


def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors of one shape along a new axis."""
    if not tensors:
        raise ValueError("stack: expected at least one tensor, got none")
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise ValueError(f"stack: all tensors must have one shape, got {sorted(shapes)}")
    return concat([unsqueeze(t, axis) for t in tensors], axis)


# ---- device and dtype ----------------------------------------------------------------------


class ToDevice(Function):
    @staticmethod
    def forward(ctx, a, device):
        ctx.source = backend.device_of(a)
        return backend.to_device(a, device)

    @staticmethod
    def backward(ctx, g):
        return backend.to_device(g, ctx.source), None


class AsType(Function):
    @staticmethod
    def forward(ctx, a, dtype):
        ctx.source = a.dtype
        return a.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return g.astype(ctx.source), None


def to_device(a: Tensor, device: str) -> Tensor:
    backend.check_device(device)
    return a if a.device == device else ToDevice.apply(a, device)


def astype(a: Tensor, dtype: Any) -> Tensor:
    dtype = np.dtype(dtype)
    return a if a.dtype == dtype else AsType.apply(a, dtype)
