"""Running sums and products along a dim."""

from __future__ import annotations

from typing import Any

from .. import backend
from ..autograd import Function
from ..tensor import Tensor
from .shape import _dim


class Cumsum(Function):
    """y_i = Σ_{j<=i} x_j; the gradient is the reversed running sum: dx_j = Σ_{i>=j} g_i."""

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
