"""Softmax, log-softmax and softmin, written out because their stable form and their backward
are worth reading (both subtract the max first, so exp never overflows).

PyTorch's signature: ``softmax(input, dim=None, _stacklevel=3, dtype=None)``. ``dim=None``
picks PyTorch's implicit dim (0 for 0-, 1- and 3-d input, else 1) and warns, as PyTorch does;
``dtype`` casts the input first. A 0-d input has one dim (0 or -1), and an empty input gives
an empty output, as in PyTorch.
"""

from __future__ import annotations

import warnings
from typing import Any

from .. import backend
from ..autograd import Function
from ..tensor import Tensor
from .elementwise import neg
from .shape import astype


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

    @staticmethod
    def composite(ctx, x, axis):
        from .elementwise import exp, log

        shifted = x - x.data.max(axis=axis, keepdims=True)  # the shift is a constant
        return shifted - log(exp(shifted).sum(dim=axis, keepdim=True))


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

    @staticmethod
    def composite(ctx, x, axis):
        from .elementwise import exp

        e = exp(x - x.data.max(axis=axis, keepdims=True))
        return e / e.sum(dim=axis, keepdim=True)


class _Empty(Function):
    """An empty input: the output is empty too, and so is its gradient."""

    linear = (0,)

    @staticmethod
    def forward(ctx, x):
        return backend.array_module(x).empty_like(x)

    @staticmethod
    def backward(ctx, g):
        return g


def implicit_dim(op: str, ndim: int, stacklevel: int) -> int:
    """PyTorch's choice when no dim is given (a legacy rule, hence its warning)."""
    warnings.warn(
        f"Implicit dimension choice for {op} has been deprecated. "
        "Change the call to include dim=X as an argument.",
        stacklevel=stacklevel,
    )
    return 0 if ndim in (0, 1, 3) else 1


def _prepare(op: str, x: Any, dim: Any, stacklevel: int, dtype: Any) -> tuple[Tensor, Any]:
    """(the input cast to dtype, the NumPy axis: an int, or None for a 0-d input)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(x).__name__}")
    if dim is None:
        dim = implicit_dim(op, x.ndim, stacklevel + 1)
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    span = max(x.ndim, 1)  # a 0-d tensor has dims 0 and -1, as in PyTorch
    if not -span <= dim < span:
        raise IndexError(
            f"{op}: dim {dim} is out of range for shape {x.shape} (expected {-span}..{span - 1})"
        )
    if dtype is not None:
        x = astype(x, dtype)
    if x.dtype.kind not in "fc":
        raise TypeError(f"{op}: input must be a floating tensor, got dtype {x.dtype}; use dtype=")
    return x, (dim % span if x.ndim else None)


def softmax(
    input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None
) -> Tensor:
    """exp(x_i) / Σ_j exp(x_j) along ``dim``.  Shapes: any → the same shape.

    Reference: ``torch.nn.functional.softmax``."""
    x, axis = _prepare("softmax", input, dim, _stacklevel, dtype)
    return _Empty.apply(x) if x.data.size == 0 else Softmax.apply(x, axis)


def log_softmax(
    input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None
) -> Tensor:
    """x_i − log Σ_j exp(x_j) along ``dim``.  Shapes: any → the same shape.

    Reference: ``torch.nn.functional.log_softmax``."""
    x, axis = _prepare("log_softmax", input, dim, _stacklevel, dtype)
    return _Empty.apply(x) if x.data.size == 0 else LogSoftmax.apply(x, axis)


def softmin(
    input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None
) -> Tensor:
    """softmax(−x) along ``dim``.  Reference: ``torch.nn.functional.softmin``."""
    x, axis = _prepare("softmin", input, dim, _stacklevel, dtype)
    return _Empty.apply(x) if x.data.size == 0 else Softmax.apply(neg(x), axis)
