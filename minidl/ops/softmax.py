"""Softmax and log-softmax, written out because their stable form and their backward are
worth reading (both subtract the max first, so exp never overflows)."""

from __future__ import annotations

from .. import backend
from ..autograd import Function
from ..tensor import Tensor


class LogSoftmax(Function):
    """log softmax(x)_i = x_i - max(x) - log Σ_j exp(x_j - max(x));
    backward: dx = g - softmax(x) · Σ_j g_j."""

    @staticmethod
    def forward(ctx, x, axis):
        xp = backend.array_module(x)
        shifted = x - x.max(axis=axis, keepdims=True)
        out = shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        xp = backend.array_module(out)
        return g - xp.exp(out) * g.sum(axis=ctx.axis, keepdims=True), None


class Softmax(Function):
    """softmax(x)_i = exp(x_i - max x) / Σ_j exp(x_j - max x);
    backward: dx = s ⊙ (g - Σ_j g_j s_j)."""

    @staticmethod
    def forward(ctx, x, axis):
        xp = backend.array_module(x)
        e = xp.exp(x - x.max(axis=axis, keepdims=True))
        s = e / e.sum(axis=axis, keepdims=True)
        ctx.save_for_backward(s)
        ctx.axis = axis
        return s

    @staticmethod
    def backward(ctx, g):
        (s,) = ctx.saved_tensors
        return s * (g - (g * s).sum(axis=ctx.axis, keepdims=True)), None


def _axis(op: str, x: Tensor, dim: int) -> int:
    if not -x.ndim <= dim < x.ndim:
        raise ValueError(f"{op}: dim {dim} is out of range for shape {x.shape}")
    return dim % x.ndim


def softmax(x: Tensor, dim: int = -1) -> Tensor:
    return Softmax.apply(x, _axis("softmax", x, dim))


def log_softmax(x: Tensor, dim: int = -1) -> Tensor:
    return LogSoftmax.apply(x, _axis("log_softmax", x, dim))
