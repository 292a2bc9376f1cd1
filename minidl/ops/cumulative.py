"""Running sums and products along a dim."""

from __future__ import annotations

from typing import Any

from .. import backend
from ..autograd import Function
from ..tensor import Tensor
from .shape import _dim


class Cumsum(Function):
    """y_i = Σ_{j<=i} x_j; the gradient is the reversed running sum: dx_j = Σ_{i>=j} g_i."""

    linear = (0,)

    @staticmethod
    def forward(ctx, a, dim):
        ctx.dim = dim
        return a.cumsum(axis=dim)

    @staticmethod
    def backward(ctx, g):
        xp = backend.array_module(g)
        return xp.flip(xp.flip(g, ctx.dim).cumsum(axis=ctx.dim), ctx.dim), None


class Cumprod(Function):
    """y_i = Π_{j<=i} x_j; dx_j = Σ_{i>=j} g_i · Π_{k<=i, k≠j} x_k, computed without
    dividing by x_j (so zeros are fine) by one running product per position: O(n²) along
    the dim, which is fine for the short dims this is used on."""

    @staticmethod
    def forward(ctx, a, dim):
        ctx.save_for_backward(a)
        ctx.dim = dim
        return a.cumprod(axis=dim)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        xp = backend.array_module(a)
        x, gm = xp.moveaxis(a, ctx.dim, -1), xp.moveaxis(g, ctx.dim, -1)
        n = x.shape[-1]
        grad = xp.zeros_like(x)
        for j in range(n):
            others = x.copy()
            others[..., j] = 1
            grad[..., j] = (gm[..., j:] * others.cumprod(axis=-1)[..., j:]).sum(axis=-1)
        return xp.moveaxis(grad, -1, ctx.dim), None

    @staticmethod
    def composite(ctx, a, dim):
        # the running product as n recorded multiplications (short dims; see the docstring)
        from .join import cat

        n = a.shape[dim]
        steps = [a.narrow(dim, 0, 1)]
        for i in range(1, n):
            steps.append(steps[-1] * a.narrow(dim, i, 1))
        return cat(steps, dim)


def _prepare(op: str, input: Tensor, dim: int, dtype: Any) -> tuple[Tensor, int]:
    x = input if dtype is None else input.to(dtype)
    if x.dtype.kind in "iub" and dtype is None:
        x = Tensor(x.data.astype("int64"))  # PyTorch sums integers (and bools) as int64
    d = _dim(op, dim, x.ndim)
    return (x if x.ndim else x.reshape(1)), d


def cumsum(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """Running sum along ``dim``.  Reference: ``torch.cumsum``."""
    x, d = _prepare("cumsum", input, dim, dtype)
    out = Cumsum.apply(x, d)
    return out.reshape(()) if input.ndim == 0 else out


def cumprod(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """Running product along ``dim``.  Reference: ``torch.cumprod``."""
    x, d = _prepare("cumprod", input, dim, dtype)
    out = Cumprod.apply(x, d)
    return out.reshape(()) if input.ndim == 0 else out


def _running_extreme(op: str, input: Tensor, dim: int, largest: bool) -> Any:
    """Running max (min) and the index where it was reached (the last one on ties, as
    PyTorch), values taken with `TakeAlongDim` so the gradient goes there."""
    from collections import namedtuple

    from .select import _take

    x, d = (
        _prepare(op, input, dim, None)
        if input.dtype.kind not in "fc"
        else (input if input.ndim else input.reshape(1), _dim(op, dim, input.ndim))
    )
    a = x.data
    xp = backend.array_module(a)
    n = a.shape[d] if a.ndim else 1
    idx = xp.zeros(a.shape, "int64")
    best = xp.take(a, [0], axis=d)
    current = xp.zeros(best.shape, "int64")
    for i in range(n):
        v = xp.take(a, [i], axis=d)
        better = (v >= best) if largest else (v <= best)
        better = better | xp.isnan(v) if a.dtype.kind == "f" else better
        best = xp.where(better, v, best)
        current = xp.where(better, i, current)
        sl = [slice(None)] * a.ndim
        sl[d] = slice(i, i + 1)
        idx[tuple(sl)] = current
    values, indices = _take(x, idx, d, True)
    if input.ndim == 0:
        values, indices = values.reshape(()), Tensor(indices.data.reshape(()))
    result = namedtuple(op, ["values", "indices"])
    return result(values, indices)


def cummax(input: Tensor, dim: int) -> Any:
    """Running maximum along ``dim`` and its indices.  Reference: ``torch.cummax``."""
    return _running_extreme("cummax", input, dim, largest=True)


def cummin(input: Tensor, dim: int) -> Any:
    """Running minimum along ``dim`` and its indices.  Reference: ``torch.cummin``."""
    return _running_extreme("cummin", input, dim, largest=False)


def logcumsumexp(input: Tensor, dim: int) -> Tensor:
    """log Σ_{j<=i} exp(x_j) along ``dim``, shifted by the (constant) max so exp cannot
    overflow.  Reference: ``torch.logcumsumexp``."""
    from .elementwise import exp, log, sub

    d = _dim("logcumsumexp", dim, input.ndim)
    xp = backend.array_module(input.data)
    if input.data.size == 0:
        return input * 1.0
    m = input.data.max(axis=d if input.ndim else None, keepdims=True)
    m = xp.where(xp.isfinite(m), m, 0)
    return log(cumsum(exp(sub(input, m)), d)) + m
