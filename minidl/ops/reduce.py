"""Reductions: sum and max are primitives; mean and min are built from them."""

from __future__ import annotations

from typing import Any

from .. import backend
from ..autograd import Function
from ..tensor import Tensor
from .elementwise import mul, neg

Axis = int | tuple[int, ...] | None


def _normalize_axis(op: str, axis: Axis, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    for a in axes:
        if not -ndim <= a < (ndim or 1):
            raise ValueError(f"{op}: axis {a} is out of range for a tensor with {ndim} dims")
    return tuple(sorted(a % (ndim or 1) for a in axes))


def _expand_like(g: Any, axes: tuple[int, ...], keepdims: bool, shape: tuple[int, ...]) -> Any:
    """Broadcast a reduced gradient back over the reduced axes."""
    xp = backend.array_module(g)
    if not keepdims:
        g = xp.expand_dims(g, axes)
    return xp.broadcast_to(g, shape)


class Sum(Function):
    @staticmethod
    def forward(ctx, a, axes, keepdims):
        ctx.shape, ctx.axes, ctx.keepdims = a.shape, axes, keepdims
        return a.sum(axis=axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx, g):
        return _expand_like(g, ctx.axes, ctx.keepdims, ctx.shape), None, None


class Max(Function):
    """Max over axes; tied maxima share the gradient equally (PyTorch's ``amax``)."""

    @staticmethod
    def forward(ctx, a, axes, keepdims):
        out = a.max(axis=axes, keepdims=True)
        ctx.save_for_backward(a, out)
        ctx.axes, ctx.keepdims = axes, keepdims
        return out if keepdims else out.squeeze(axis=axes)

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        winners = a == out
        share = winners / winners.sum(axis=ctx.axes, keepdims=True)
        return _expand_like(g, ctx.axes, ctx.keepdims, a.shape) * share, None, None


def sum(a: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Sum over ``axis`` (all axes when None)."""
    return Sum.apply(a, _normalize_axis("sum", axis, a.ndim), keepdims)


def mean(a: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    axes = _normalize_axis("mean", axis, a.ndim)
    count = 1
    for ax in axes:
        count *= a.shape[ax]
    return mul(sum(a, axes, keepdims), 1.0 / count)


def max(a: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    if a.size == 0:
        raise ValueError(f"max: cannot reduce an empty tensor of shape {a.shape}")
    return Max.apply(a, _normalize_axis("max", axis, a.ndim), keepdims)


def min(a: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    axes = _normalize_axis("min", axis, a.ndim)  # errors name min, not the max it is built on
    return neg(max(neg(a), axes, keepdims))


def argmax(a: Tensor, axis: int | None = None) -> Tensor:
    """Index of the first maximum (no gradient)."""
    return Tensor(a.data.argmax(axis=axis))
