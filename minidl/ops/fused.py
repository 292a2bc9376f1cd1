"""Two-input math and the "fused" forms PyTorch names (addmm, addcmul, lerp, ...), composed
from primitives so that their gradients follow; only atan2 and xlogy need their own."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function
from ..tensor import Tensor
from .elementwise import _binary, add, div, exp, log, mul, sqrt, sub


class Atan2(Function):
    """θ = atan2(y, x); ∂θ/∂y = x / (x² + y²), ∂θ/∂x = -y / (x² + y²)."""

    @staticmethod
    def forward(ctx, y, x):
        ctx.save_for_backward(y, x)
        return backend.array_module(y if hasattr(y, "shape") else x).arctan2(y, x)

    @staticmethod
    def backward(ctx, g):
        y, x = ctx.saved_tensors
        r2 = x * x + y * y
        return g * x / r2, -g * y / r2

    @staticmethod
    def vjp(ctx, g):
        y, x = ctx.args
        r2 = x * x + y * y
        need = ctx.needs_input_grad
        return (g * x / r2 if need[0] else None, -g * y / r2 if need[1] else None)


class Xlogy(Function):
    """x · log(y), defined as 0 where x = 0 (even for y = 0); ∂/∂x = log y, ∂/∂y = x / y."""

    @staticmethod
    def forward(ctx, x, y):
        xp = backend.array_module(x if hasattr(x, "shape") else y)
        ctx.save_for_backward(x, y)
        with _quiet():
            return xp.where(x == 0, 0, x * xp.log(y)).astype(xp.result_type(x, y), copy=False)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        xp = backend.array_module(g)
        with _quiet():
            gx = g * xp.where(x == 0, 0, xp.log(y)) if ctx.needs_input_grad[0] else None
            gy = g * x / y if ctx.needs_input_grad[1] else None
        return gx, gy

    @staticmethod
    def vjp(ctx, g):
        x, y = ctx.args
        need = ctx.needs_input_grad
        nonzero = backend.array_module(ctx.saved_tensors[0]).asarray(ctx.saved_tensors[0] != 0)
        gx = g * xlogy(nonzero.astype(g.dtype), y) if need[0] else None
        gy = g * x / y if need[1] else None
        return gx, gy


def _quiet() -> Any:
    return np.errstate(divide="ignore", invalid="ignore")


def atan2(input: Any, other: Any) -> Tensor:
    """The angle of the point (other, input).  Reference: ``torch.atan2``."""
    return _binary(Atan2, "atan2", input, other)


arctan2 = atan2


def xlogy(input: Any, other: Any) -> Tensor:
    """input · log(other), 0 where input is 0.  Reference: ``torch.xlogy``."""
    return _binary(Xlogy, "xlogy", input, other)


def hypot(input: Tensor, other: Tensor) -> Tensor:
    """sqrt(input² + other²).  Reference: ``torch.hypot``."""
    return sqrt(add(mul(input, input), mul(other, other)))


def logaddexp(input: Tensor, other: Tensor) -> Tensor:
    """log(e^input + e^other), shifted by the (constant) larger one so exp cannot overflow.

    Reference: ``torch.logaddexp``."""
    xp = backend.array_module(input.data)
    m = xp.maximum(input.data, other.data if isinstance(other, Tensor) else other)
    m = xp.where(xp.isfinite(m), m, 0)
    return add(log(add(exp(sub(input, m)), exp(sub(other, m)))), m)


def fmod(input: Tensor, other: Any) -> Tensor:
    """input - trunc(input / other) · other (C's fmod: the sign of ``input``).

    Reference: ``torch.fmod``."""
    return sub(input, mul(div(input, other, rounding_mode="trunc"), other))


def lerp(input: Tensor, end: Tensor, weight: Any) -> Tensor:
    """input + weight · (end - input).  Reference: ``torch.lerp``."""
    return add(input, mul(weight, sub(end, input)))


def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: float = 1) -> Tensor:
    """input + value · tensor1 · tensor2.  Reference: ``torch.addcmul``."""
    return add(input, mul(mul(tensor1, tensor2), value))


def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: float = 1) -> Tensor:
    """input + value · tensor1 / tensor2.  Reference: ``torch.addcdiv``."""
    return add(input, mul(div(tensor1, tensor2), value))


def _scaled_sum(input: Tensor, product: Tensor, beta: float, alpha: float) -> Tensor:
    product = product if alpha == 1 else mul(product, alpha)
    if beta == 0:  # PyTorch ignores input then, even a NaN in it
        return product
    return add(input if beta == 1 else mul(input, beta), product)


def addmm(
    input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: float = 1, alpha: float = 1
) -> Tensor:
    """beta · input + alpha · (mat1 @ mat2).  Reference: ``torch.addmm``."""
    from .linalg import mm

    return _scaled_sum(input, mm(mat1, mat2), beta, alpha)


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta: float = 1, alpha: float = 1) -> Tensor:
    """beta · input + alpha · (mat @ vec).  Reference: ``torch.addmv``."""
    from .linalg import mv

    return _scaled_sum(input, mv(mat, vec), beta, alpha)


def baddbmm(
    input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: float = 1, alpha: float = 1
) -> Tensor:
    """beta · input + alpha · (batch1 @ batch2), batched.  Reference: ``torch.baddbmm``."""
    from .linalg import bmm

    return _scaled_sum(input, bmm(batch1, batch2), beta, alpha)


def addbmm(
    input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: float = 1, alpha: float = 1
) -> Tensor:
    """beta · input + alpha · Σ_b batch1[b] @ batch2[b].  Reference: ``torch.addbmm``."""
    from .linalg import bmm
    from .reduce import sum as sum_

    return _scaled_sum(input, sum_(bmm(batch1, batch2), 0), beta, alpha)


def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta: float = 1, alpha: float = 1) -> Tensor:
    """beta · input + alpha · outer(vec1, vec2).  Reference: ``torch.addr``."""
    from .linalg import outer

    return _scaled_sum(input, outer(vec1, vec2), beta, alpha)
