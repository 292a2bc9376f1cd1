"""The arguments every loss shares: ``reduction=``, PyTorch's legacy ``size_average`` /
``reduce`` pair that still appears in older code (mapped as PyTorch maps it, with a warning),
and targets that may be a Tensor (the gradient reaches it) or a plain array (it does not).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import backend
from ..tensor import Tensor
from .reduce import mean
from .reduce import sum as sum_

REDUCTIONS = ("none", "mean", "sum")


def check_reduction(op: str, reduction: Any, allowed: tuple[str, ...] = REDUCTIONS) -> str:
    if reduction not in allowed:
        raise ValueError(f"{op}: reduction must be one of {allowed}, got {reduction!r}")
    return reduction


def legacy_reduction(
    op: str,
    size_average: bool | None,
    reduce: bool | None,
    reduction: str,
    allowed: tuple[str, ...] = REDUCTIONS,
) -> str:
    """``reduction``, or the string PyTorch derives from the deprecated pair when either is given:
    reduce=False → "none"; else size_average=False → "sum"; else "mean" (None counts as True)."""
    if size_average is None and reduce is None:
        return check_reduction(op, reduction, allowed)
    warnings.warn(
        f"{op}: size_average and reduce are deprecated (as in PyTorch); use reduction=",
        DeprecationWarning,
        stacklevel=3,
    )
    if reduce is False:
        return "none"
    return "sum" if size_average is False else "mean"


def reduce_loss(loss: Tensor, reduction: str) -> Tensor:
    """The per-element losses as they are ("none"), summed, or averaged over every element."""
    if reduction == "mean":
        return mean(loss)
    return sum_(loss) if reduction == "sum" else loss


def as_array(x: Any) -> Any:
    """The array behind a Tensor (a target or weight that gets no gradient), else ``x``."""
    return x.data if isinstance(x, Tensor) else x


def check_input(op: str, input: Any) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if input.dtype.kind not in "fc":
        raise TypeError(f"{op}: input must be a floating tensor, got dtype {input.dtype}")


def as_tensor(op: str, name: str, x: Any, like: Tensor) -> Tensor:
    """``x`` as a Tensor on ``like``'s device: a Tensor as it is, anything else as a constant
    of ``like``'s dtype (so arrays, lists and numbers get no gradient)."""
    if isinstance(x, Tensor):
        return x
    xp = backend.array_module(like.data)
    try:
        array = xp.asarray(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{op}: {name} must be a Tensor or an array, got {type(x).__name__}"
        ) from exc
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{op}: {name} must hold numbers, got dtype {array.dtype}")
    return Tensor(array.astype(like.dtype, copy=False))


def broadcast_pair(op: str, input: Tensor, target: Tensor) -> None:
    """PyTorch broadcasts a target of another shape, with a warning; shapes that do not
    broadcast at all are an error naming both."""
    try:
        np.broadcast_shapes(input.shape, target.shape)
    except ValueError:
        raise ValueError(
            f"{op}: target of shape {target.shape} does not broadcast with input {input.shape}"
        ) from None
    if input.shape != target.shape:
        warnings.warn(
            f"{op}: using a target size {target.shape} that is different to the input size "
            f"{input.shape}; they are broadcast (as in PyTorch), which is rarely what was meant",
            UserWarning,
            stacklevel=3,
        )
