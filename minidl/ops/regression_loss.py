"""Regression losses on the difference d = input − target: squared (MSE), absolute (L1), and
the two that are quadratic near 0 and linear beyond (smooth L1 and Huber).

All are composed of primitives, so the gradient reaches ``target`` too when it is a Tensor
that requires grad. A target of another shape is broadcast with a warning, as in PyTorch.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

from ..tensor import Tensor
from .elementwise import abs as abs_
from .elementwise import div, mul, sub, where
from .loss_args import as_tensor, broadcast_pair, check_input, legacy_reduction, reduce_loss
from .reduce import sum as sum_


def _difference(op: str, input: Tensor, target: Any) -> Tensor:
    check_input(op, input)
    target = as_tensor(op, "target", target, input)
    broadcast_pair(op, input, target)
    return sub(input, target)


def _weighted(op: str, loss: Tensor, weight: Any, reduction: str, input: Tensor) -> Tensor:
    """PyTorch's optional elementwise weight: "mean" is Σ w·l / Σ w."""
    if weight is None:
        return reduce_loss(loss, reduction)
    weight = as_tensor(op, "weight", weight, input)
    if weight.shape != input.shape:
        raise ValueError(
            f"{op}: weight must have the input's shape {input.shape}, got {weight.shape}"
        )
    loss = mul(loss, weight)
    if reduction == "mean":
        return div(sum_(loss), sum_(weight))
    return reduce_loss(loss, reduction)


def _positive(op: str, name: str, value: Any, allow_zero: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or math.isnan(value):
        raise TypeError(f"{op}: {name} must be a real number, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{op}: {name} must be {bound}, got {value}")
    return float(value)


def mse_loss(
    input: Tensor,
    target: Any,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Any = None,
) -> Tensor:
    """Mean squared error, l = w·(x − y)².  Reference: ``torch.nn.functional.mse_loss``."""
    reduction = legacy_reduction("mse_loss", size_average, reduce, reduction)
    d = _difference("mse_loss", input, target)
    return _weighted("mse_loss", mul(d, d), weight, reduction, input)


def l1_loss(
    input: Tensor,
    target: Any,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Any = None,
) -> Tensor:
    """Mean absolute error, l = w·|x − y| (gradient sign(x − y), 0 at 0).

    Reference: ``torch.nn.functional.l1_loss``."""
    reduction = legacy_reduction("l1_loss", size_average, reduce, reduction)
    d = _difference("l1_loss", input, target)
    return _weighted("l1_loss", abs_(d), weight, reduction, input)


def smooth_l1_loss(
    input: Tensor,
    target: Any,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """l = ½d²/β where |d| < β, |d| − ½β elsewhere (Girshick, Fast R-CNN 2015); β = 0 is L1.

    Reference: ``torch.nn.functional.smooth_l1_loss``."""
    op = "smooth_l1_loss"
    reduction = legacy_reduction(op, size_average, reduce, reduction)
    beta = _positive(op, "beta", beta, allow_zero=True)
    d = _difference(op, input, target)
    if beta == 0:
        return reduce_loss(abs_(d), reduction)
    a = abs_(d)
    loss = where(a.data < beta, mul(mul(d, d), 0.5 / beta), sub(a, 0.5 * beta))
    return reduce_loss(loss, reduction)


def huber_loss(
    input: Tensor,
    target: Any,
    reduction: str = "mean",
    delta: float = 1.0,
    weight: Any = None,
) -> Tensor:
    """l = ½d² where |d| < δ, δ(|d| − ½δ) elsewhere (Huber 1964) = δ·smooth_l1 with β = δ.

    ``weight`` scales each element; "mean" is then the plain mean of w·l (PyTorch's rule for
    this loss, unlike mse_loss's Σ w·l / Σ w). Reference: ``torch.nn.functional.huber_loss``."""
    op = "huber_loss"
    reduction = legacy_reduction(op, None, None, reduction)
    delta = _positive(op, "delta", delta, allow_zero=False)
    d = _difference(op, input, target)
    a = abs_(d)
    loss = where(a.data < delta, mul(mul(d, d), 0.5), mul(sub(a, 0.5 * delta), delta))
    if weight is None:
        return reduce_loss(loss, reduction)
    weight = as_tensor(op, "weight", weight, input)
    if weight.shape != input.shape:
        raise ValueError(
            f"{op}: weight must have the input's shape {input.shape}, got {weight.shape}"
        )
    return reduce_loss(mul(loss, weight), reduction)
