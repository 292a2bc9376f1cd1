"""Cross-entropy of class indices along dim 1, forward and backward: the readable reference.

For logits x (N, C, *), a target t (N, *) of classes in 0..C-1 and a weight w (N, *) per
position (class weight · pixel weight, 0 where the target is ignored; the op computes it):

    forward   x_max = max_c x_c,  log_sum = log Σ_c exp(x_c − x_max)      (per position)
              loss = w · (log_sum − (x_t − x_max))  = −w · log softmax(x)_t
    backward  dx_c = coef · (softmax(x)_c − [c = t]),  softmax(x)_c = exp(x_c − x_max − log_sum)

``coef`` (N, *) is w times the gradient of each position's loss (the op folds in the
reduction). The max is subtracted so that exp never overflows, and it is kept apart from
log_sum rather than added into one logsumexp: with logits of 1e4 in float32, x_max + log_sum
rounds to a multiple of 0.001, which would cost the loss and the softmax three digits.
The op that calls these is ``CrossEntropy`` in ``minidl/ops/cross_entropy_fused.py``.
"""

from __future__ import annotations

from typing import Any

from ... import backend

__all__ = ["cross_entropy_forward", "cross_entropy_backward"]


def cross_entropy_forward(x: Any, target: Any, w: Any) -> tuple[Any, Any, Any]:
    """(loss, x_max, log_sum), each (N, *): see the module docstring."""
    xp = backend.array_module(x)
    x_max = x.max(axis=1, keepdims=True)  # (N, 1, *)
    shifted = x - x_max
    log_sum = xp.log(xp.exp(shifted).sum(axis=1))  # (N, *)
    picked = xp.take_along_axis(shifted, target[:, None].astype(xp.int64), axis=1)[:, 0]
    return w * (log_sum - picked), x_max[:, 0], log_sum


def cross_entropy_backward(x: Any, target: Any, x_max: Any, log_sum: Any, coef: Any) -> Any:
    """dx (N, C, *) = coef · (softmax(x) − onehot(target)) along dim 1."""
    xp = backend.array_module(x)
    p = xp.exp(x - x_max[:, None] - log_sum[:, None])
    classes = xp.arange(x.shape[1]).reshape((1, -1) + (1,) * (x.ndim - 2))  # (1, C, 1...)
    return coef[:, None] * (p - (classes == target[:, None]))
