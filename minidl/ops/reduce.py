"""Reductions over dims: sum and amax are primitives; the rest are built from them.

PyTorch's spelling is ``x.sum(dim=1, keepdim=True)``; NumPy's ``axis=`` and ``keepdims=``
are accepted as aliases, as PyTorch accepts them. ``dim=None`` (or an empty tuple, as
PyTorch's ``sum`` reads it) reduces every dim. A 0-d tensor has one dim to reduce: dim 0
or -1, as in PyTorch.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from .. import backend, higher_order
from ..autograd import Function
from ..tensor import Tensor
from .elementwise import exp, log, mul, neg, sqrt, sub

Dims = int | tuple[int, ...] | list[int] | None


def resolve_dims(op: str, ndim: int, dim: Dims, axis: Dims = None) -> tuple[int, ...]:
    """The dims to reduce as sorted non-negative ints; ``axis`` is NumPy's name for ``dim``."""
    if axis is not None:
        if dim is not None and dim != ():
            raise TypeError(f"{op}: give dim or its alias axis, not both")
        dim = axis
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    span = max(ndim, 1)  # a 0-d tensor accepts dim 0 and -1
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, int):
            raise TypeError(f"{op}: dim must be an int or a tuple of ints, got {dim!r}")
        if not -span <= d < span:
            raise IndexError(
                f"{op}: dim {d} is out of range for a tensor with {ndim} dims "
                f"(expected {-span}..{span - 1})"
            )
    out = sorted({d % span for d in dims})
    if len(out) != len(dims):
        raise ValueError(f"{op}: dim {dim} names a dim twice")
    return tuple(d for d in out if d < ndim)


def resolve_keepdim(op: str, keepdim: bool, keepdims: bool | None) -> bool:
    return bool(keepdim if keepdims is None else keepdims)


def expand_back(g: Any, dims: tuple[int, ...], keepdim: bool, shape: tuple[int, ...]) -> Any:
    """Broadcast a reduced gradient back over the reduced dims."""
    xp = backend.array_module(g)
    if not keepdim:
        g = xp.expand_dims(g, dims)
    return xp.broadcast_to(g, shape)


class Sum(Function):
    linear = (0,)

    @staticmethod
    def forward(ctx, a, dims, keepdim):
        ctx.shape, ctx.dims, ctx.keepdim = a.shape, dims, keepdim
        return a.sum(axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        return expand_back(g, ctx.dims, ctx.keepdim, ctx.shape), None, None


class Amax(Function):
    """Max over dims; tied maxima share the gradient equally (PyTorch's ``amax``)."""

    @staticmethod
    def forward(ctx, a, dims, keepdim):
        out = a.max(axis=dims, keepdims=True)
        ctx.save_for_backward(a, out)
        ctx.dims, ctx.keepdim = dims, keepdim
        return out if keepdim else out.squeeze(axis=dims)

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        winners = a == out
        share = winners / winners.sum(axis=ctx.dims, keepdims=True)
        return expand_back(g, ctx.dims, ctx.keepdim, a.shape) * share, None, None

    @staticmethod
    def vjp(ctx, g, *_):
        a, out = ctx.saved_tensors
        winners = a == out
        share = higher_order.constant(winners / winners.sum(axis=ctx.dims, keepdims=True))
        kept = tuple(1 if d in ctx.dims else n for d, n in enumerate(a.shape))
        return g.reshape(kept) * share, None, None


class Prod(Function):
    """p = Π x_i; ∂p/∂x_i = Π_{j≠i} x_j, from exclusive cumulative products on both sides
    (so a zero among the x_j needs no division by it)."""

    @staticmethod
    def forward(ctx, a, dim, keepdim):
        ctx.save_for_backward(a)
        ctx.dim, ctx.keepdim = dim, keepdim
        return a.prod(axis=dim, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        xp, d = backend.array_module(a), ctx.dim
        if a.size == 0:
            return xp.zeros_like(a), None, None
        if d is None:  # every value: flatten, then reshape back
            return (_prod_grad(xp, a.reshape(-1), 0) * g).reshape(a.shape), None, None
        return _prod_grad(xp, a, d) * expand_back(g, (d,), ctx.keepdim, a.shape), None, None

    @staticmethod
    def composite(ctx, a, dim, keepdim):
        # the product as recorded multiplications along the dim (zeros need no division)
        x, d = (a.reshape(-1), 0) if dim is None else (a, dim)
        if x.shape[d] == 0:
            return Prod.apply(a, dim, keepdim)
        out = x.narrow(d, 0, 1)
        for i in range(1, x.shape[d]):
            out = out * x.narrow(d, i, 1)
        if dim is None:
            return out.reshape(()) if not keepdim else out.reshape((1,) * a.ndim)
        return out if keepdim else out.squeeze(d)


def _prod_grad(xp: Any, a: Any, d: int) -> Any:
    ones = xp.ones_like(xp.take(a, [0], axis=d))
    left = xp.cumprod(xp.concatenate([ones, xp.take(a, range(a.shape[d] - 1), axis=d)], d), d)
    flipped = xp.flip(a, d)
    right = xp.cumprod(
        xp.concatenate([ones, xp.take(flipped, range(a.shape[d] - 1), axis=d)], d), d
    )
    return left * xp.flip(right, d)


def _reduced_count(shape: tuple[int, ...], dims: tuple[int, ...]) -> int:
    count = 1
    for d in dims:
        count *= shape[d]
    return count


def sum(  # noqa: A001 - PyTorch's name
    input: Tensor,
    dim: Dims = None,
    keepdim: bool = False,
    *,
    dtype: Any = None,
    axis: Dims = None,
    keepdims: bool | None = None,
) -> Tensor:
    """Sum over ``dim`` (every dim when None).  Reference: ``torch.sum``."""
    dims = resolve_dims("sum", input.ndim, dim, axis)
    out = Sum.apply(input, dims, resolve_keepdim("sum", keepdim, keepdims))
    return out if dtype is None else out.to(dtype)


def mean(
    input: Tensor,
    dim: Dims = None,
    keepdim: bool = False,
    *,
    dtype: Any = None,
    axis: Dims = None,
    keepdims: bool | None = None,
) -> Tensor:
    """Mean over ``dim`` (every dim when None); an empty reduction gives NaN, as PyTorch.

    Reference: ``torch.mean``."""
    if input.dtype.kind not in "fc" and dtype is None:
        raise TypeError(f"mean: needs a floating tensor, got dtype {input.dtype}; use dtype=")
    dims = resolve_dims("mean", input.ndim, dim, axis)
    keep = resolve_keepdim("mean", keepdim, keepdims)
    total = sum(input if dtype is None else input.to(dtype), dims, keep)
    count = _reduced_count(input.shape, dims)
    return mul(total, 1.0 / count) if count else mul(total, float("nan"))


def _check_nonempty(op: str, a: Tensor, dims: tuple[int, ...]) -> None:
    if builtins.any(a.shape[d] == 0 for d in dims) or (a.data.size == 0 and not dims and a.ndim):
        raise IndexError(
            f"{op}: cannot reduce over an empty dim of a tensor of shape {a.shape} "
            f"(the maximum of nothing is undefined)"
        )


def amax(
    input: Tensor,
    dim: Dims = (),
    keepdim: bool = False,
    *,
    axis: Dims = None,
    keepdims: bool | None = None,
) -> Tensor:
    """Max over ``dim`` (every dim by default); ties share the gradient.  ``torch.amax``."""
    dims = resolve_dims("amax", input.ndim, dim, axis)
    _check_nonempty("amax", input, dims)
    return Amax.apply(input, dims, resolve_keepdim("amax", keepdim, keepdims))


def amin(
    input: Tensor,
    dim: Dims = (),
    keepdim: bool = False,
    *,
    axis: Dims = None,
    keepdims: bool | None = None,
) -> Tensor:
    """Min over ``dim``; ties share the gradient.  ``torch.amin``."""
    dims = resolve_dims("amin", input.ndim, dim, axis)
    _check_nonempty("amin", input, dims)
    return neg(Amax.apply(neg(input), dims, resolve_keepdim("amin", keepdim, keepdims)))


def prod(
    input: Tensor, dim: int | None = None, keepdim: bool = False, *, dtype: Any = None
) -> Tensor:
    """Product over one dim (every value when None).  Reference: ``torch.prod``."""
    if dim is not None:
        (dim,) = resolve_dims("prod", input.ndim, dim) or (None,)
    out = Prod.apply(input, dim, keepdim if dim is not None else False)
    return out if dtype is None else out.to(dtype)


def var(
    input: Tensor,
    dim: Dims = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
    axis: Dims = None,
    keepdims: bool | None = None,
) -> Tensor:
    """Σ (x - mean)² / (n - correction); correction 1 (Bessel's) unless ``unbiased=False``.

    Reference: ``torch.var``."""
    if isinstance(dim, bool):  # the old overload var(input, unbiased)
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError("var: give unbiased or correction, not both")
    c = correction if correction is not None else (0 if unbiased is False else 1)
    dims = resolve_dims("var", input.ndim, dim, axis)
    keep = resolve_keepdim("var", keepdim, keepdims)
    centred = sub(input, mean(input, dims, True))
    n = _reduced_count(input.shape, dims)
    squares = sum(mul(centred, centred), dims, keep)
    return mul(squares, 1.0 / (n - c) if n - c > 0 else float("inf"))


def std(
    input: Tensor,
    dim: Dims = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
    axis: Dims = None,
    keepdims: bool | None = None,
) -> Tensor:
    """Square root of `var`.  Reference: ``torch.std``."""
    return sqrt(
        var(input, dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims)
    )


def logsumexp(input: Tensor, dim: Dims, keepdim: bool = False) -> Tensor:
    """log Σ exp(x) over ``dim``, computed as m + log Σ exp(x - m) with m the (constant) max,
    so exp never overflows.  Reference: ``torch.logsumexp``."""
    dims = resolve_dims("logsumexp", input.ndim, dim)
    xp = backend.array_module(input.data)
    if input.data.size == 0:
        m = xp.zeros(tuple(1 if d in dims else n for d, n in enumerate(input.shape)), input.dtype)
    else:
        m = input.data.max(axis=dims, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)  # all -inf (or an inf): nothing to shift by
    out = log(sum(exp(sub(input, m)), dims, True)) + m
    return (
        out if keepdim else out.reshape(tuple(n for d, n in enumerate(out.shape) if d not in dims))
    )


def all(input: Tensor, dim: Dims = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """Whether every value is true (non-zero) over ``dim``; no gradient."""
    dims = resolve_dims("all", input.ndim, dim)
    return Tensor(input.data.astype(bool).all(axis=dims, keepdims=keepdim))


def any(input: Tensor, dim: Dims = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """Whether some value is true (non-zero) over ``dim``; no gradient."""
    dims = resolve_dims("any", input.ndim, dim)
    return Tensor(input.data.astype(bool).any(axis=dims, keepdims=keepdim))


def count_nonzero(input: Tensor, dim: Dims = None) -> Tensor:
    """How many values are non-zero over ``dim``; no gradient."""
    dims = resolve_dims("count_nonzero", input.ndim, dim)
    return Tensor((input.data != 0).sum(axis=dims).astype("int64"))


def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False) -> Any:
    """``(min, max)`` as a named tuple.  Reference: ``torch.aminmax``."""
    from collections import namedtuple

    dims = () if dim is None else dim
    result = namedtuple("aminmax", ["min", "max"])
    return result(amin(input, dims, keepdim), amax(input, dims, keepdim))


def var_mean(
    input: Tensor,
    dim: Dims = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
) -> tuple[Tensor, Tensor]:
    """``(var, mean)`` in one call.  Reference: ``torch.var_mean``."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    v = var(input, dim, unbiased, keepdim, correction=correction)
    return v, mean(input, dim, keepdim)


def std_mean(
    input: Tensor,
    dim: Dims = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
) -> tuple[Tensor, Tensor]:
    """``(std, mean)`` in one call.  Reference: ``torch.std_mean``."""
    v, m = var_mean(input, dim, unbiased, keepdim, correction=correction)
    return sqrt(v), m


def nansum(input: Tensor, dim: Dims = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """`sum` with NaN counted as 0 (they get no gradient).  Reference: ``torch.nansum``."""
    from .elementwise import where

    xp = backend.array_module(input.data)
    clean = where(xp.isnan(input.data), xp.zeros((), input.dtype), input)
    return sum(clean, dim, keepdim, dtype=dtype)


def nanmean(input: Tensor, dim: Dims = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """The mean of the values that are not NaN.  Reference: ``torch.nanmean``."""
    xp = backend.array_module(input.data)
    dims = resolve_dims("nanmean", input.ndim, dim)
    count = (~xp.isnan(input.data)).sum(axis=dims, keepdims=keepdim).astype(input.dtype)
    with np.errstate(invalid="ignore", divide="ignore"):
        return mul(nansum(input, dims, keepdim, dtype=dtype), 1 / count)
