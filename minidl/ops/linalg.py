"""Matrix multiplication, batched and broadcast like ``numpy.matmul``."""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..tensor import Tensor


class MatMul(Function):
    """C = A @ B; dA = dC @ Bᵀ, dB = Aᵀ @ dC (batch axes summed by the engine)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        # a vector is a matrix with one row (a) or one column (b); undo that at the end
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        if a.ndim == 1:
            g = g[..., None, :] if b.ndim > 1 else g[..., None]
        if b.ndim == 1:
            g = g[..., None]
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = g @ b2.swapaxes(-1, -2)
            ga = ga[..., 0, :] if a.ndim == 1 else ga
        if ctx.needs_input_grad[1]:
            gb = a2.swapaxes(-1, -2) @ g
            gb = gb[..., 0] if b.ndim == 1 else gb
        return ga, gb


def matmul(a: Tensor, b: Tensor) -> Tensor:
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: scalars are not matrices, got shapes {a.shape} and {b.shape}")
    inner_a = a.shape[-1]
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if inner_a != inner_b:
        raise ValueError(
            f"matmul: cannot multiply {a.shape} by {b.shape}: inner dimensions "
            f"{inner_a} and {inner_b} differ"
        )
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ValueError(
            f"matmul: batch dimensions of {a.shape} and {b.shape} cannot be broadcast"
        ) from None
    return MatMul.apply(a, b)
