"""Losses that score a predicted distribution: KL divergence, Poisson and Gaussian negative
log-likelihood. Composed of primitives, with PyTorch's formulas (and its treatment of 0·log 0)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function
from ..tensor import Tensor
from .elementwise import add, div, exp, log, mul, sub, where
from .loss_args import as_tensor, broadcast_pair, check_input, legacy_reduction, reduce_loss
from .reduce import sum as sum_
from .shape import unsqueeze


class XLogX(Function):
    """t·log t with 0·log 0 = 0, as PyTorch's xlogy(t, t); d/dt = log t + 1, and NaN at t = 0
    (PyTorch's xlogy backward computes 0/0 there; the true one-sided limit is −inf)."""

    @staticmethod
    def forward(ctx, t):
        xp = backend.array_module(t)
        with np.errstate(divide="ignore", invalid="ignore"):  # CuPy never warns
            log_t = xp.log(t)
            out = xp.where(t == 0, 0, t * log_t).astype(t.dtype, copy=False)
        ctx.save_for_backward(t, log_t)
        return out

    @staticmethod
    def backward(ctx, g):
        t, log_t = ctx.saved_tensors
        return g * backend.array_module(t).where(t == 0, np.nan, log_t + 1)

    @staticmethod
    def vjp(ctx, g):
        from .elementwise import log, where

        (t,) = ctx.args
        with np.errstate(divide="ignore"):
            return g * where(t.data == 0, np.nan, log(t) + 1)


def kl_div(
    input: Tensor,
    target: Any,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """KL(target ‖ exp(input)) pointwise: l = t·(log t − x), or e^t·(t − x) with log_target.

    ``input`` holds log-probabilities. "batchmean" divides the sum by the batch size (the
    KL divergence proper); "mean" divides by the number of elements, as PyTorch.
    Reference: ``torch.nn.functional.kl_div``."""
    op = "kl_div"
    allowed = ("none", "mean", "sum", "batchmean")
    reduction = legacy_reduction(op, size_average, reduce, reduction, allowed)
    check_input(op, input)
    t = as_tensor(op, "target", target, input)
    broadcast_pair(op, input, t)
    if log_target:
        loss = mul(exp(t), sub(t, input))
    else:
        loss = sub(XLogX.apply(t), mul(t, input))
    if reduction == "batchmean":
        total = sum_(loss)
        return mul(total, 1 / input.shape[0]) if input.ndim else total
    return reduce_loss(loss, reduction)


def poisson_nll_loss(
    input: Tensor,
    target: Any,
    log_input: bool = True,
    full: bool = False,
    size_average: bool | None = None,
    eps: float = 1e-8,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of counts ``target`` under Poisson(λ):
    l = e^x − t·x with log_input (x = log λ), else l = x − t·log(x + eps);
    ``full`` adds Stirling's t·log t − t + ½ log(2πt) where t > 1.
    Reference: ``torch.nn.functional.poisson_nll_loss``."""
    op = "poisson_nll_loss"
    reduction = legacy_reduction(op, size_average, reduce, reduction)
    check_input(op, input)
    t = as_tensor(op, "target", target, input)
    broadcast_pair(op, input, t)
    if log_input:
        loss = sub(exp(input), mul(t, input))
    else:
        loss = sub(input, mul(t, log(add(input, float(eps)))))
    if full:
        safe = where(t.data > 1, t, 1.0)  # the term is 0 for t <= 1 (and its log undefined)
        stirling = add(sub(mul(safe, log(safe)), safe), mul(log(mul(safe, 2 * math.pi)), 0.5))
        loss = add(loss, where(t.data > 1, stirling, 0.0))
    return reduce_loss(loss, reduction)


def gaussian_nll_loss(
    input: Tensor,
    target: Any,
    var: Any,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of ``target`` under N(input, var):
    l = ½(log max(var, eps) + (x − t)² / max(var, eps)) (+ ½ log 2π with ``full``).

    Shapes: var like input, or one dim short / of size 1 in one dim (one variance shared).
    The clamp changes the value only: the gradient reaches var everywhere (as PyTorch,
    which clamps under no_grad). Reference: ``torch.nn.functional.gaussian_nll_loss``."""
    op = "gaussian_nll_loss"
    reduction = legacy_reduction(op, None, None, reduction)
    check_input(op, input)
    t = as_tensor(op, "target", target, input)
    v = as_tensor(op, "var", var, input)
    if isinstance(var, (int, float)):
        v = Tensor(backend.array_module(input.data).full(input.shape, float(var), input.dtype))
    if not backend.is_cupy_array(v.data) and (v.data < 0).any():
        raise ValueError(f"{op}: var has negative entry/entries")
    if v.shape != input.shape:
        if v.shape == input.shape[:-1]:
            v = unsqueeze(v, -1)
        elif v.ndim != input.ndim or sum(b for a, b in zip(input.shape, v.shape) if a != b) != 1:
            raise ValueError(f"{op}: var of shape {v.shape} does not fit input {input.shape}")
    xp = backend.array_module(v.data)
    v = add(v, xp.maximum(v.data, eps) - v.data)  # max(var, eps) in value, identity gradient
    d = sub(input, t)
    loss = mul(add(log(v), div(mul(d, d), v)), 0.5)
    if full:
        loss = add(loss, 0.5 * math.log(2 * math.pi))
    return reduce_loss(loss, reduction)
