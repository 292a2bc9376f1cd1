"""Cross-entropy of class indices along dim 1, forward and backward: the readable reference.

For logits x (N, C, *), a target t (N, *) of classes in 0..C-1 and a weight w (N, *) per
position (class weight · pixel weight, 0 where the target is ignored; the op computes it):

    forward   e_c = exp(x_c − max x),  softmax_c = e_c / Σ e,                (N, C, *)
              loss = w · (log Σ e − (x_t − max x))  = −w · log softmax_t     (N, *)
    backward  dx_c = coef · (softmax_c − [c = t])

``coef`` (N, *) is w times the gradient of each position's loss (the op folds in the
reduction). The max is subtracted so that exp never overflows, and the loss is formed from
the shifted x_t rather than as logsumexp − x_t: with logits of 1e4 in float32, max + log Σ e
rounds to a multiple of 0.001, which would cost the loss three digits.

The forward hands the backward the softmax, not the logits: the backward is then one pass
of arithmetic with no exp (the op keeps one array as large as the logits either way, as
log_softmax + NLL kept the log-probabilities). The op that calls these is ``CrossEntropy``
in ``minidl/ops/cross_entropy_fused.py``.
"""

from __future__ import annotations

from typing import Any

from ... import backend

__all__ = ["cross_entropy_forward", "cross_entropy_backward"]


def cross_entropy_forward(x: Any, target: Any, w: Any) -> tuple[Any, Any]:
    """(loss (N, *), softmax (N, C, *)): see the module docstring."""
    xp = backend.array_module(x)
    shifted = x - x.max(axis=1, keepdims=True)  # (N, C, *)
    e = xp.exp(shifted)
    total = e.sum(axis=1, keepdims=True)  # (N, 1, *)
    picked = xp.take_along_axis(shifted, target[:, None].astype(xp.int64), axis=1)
    return w * (xp.log(total) - picked)[:, 0], e / total


def cross_entropy_backward(softmax: Any, target: Any, coef: Any) -> Any:
    """dx (N, C, *) = coef · (softmax − onehot(target)) along dim 1."""
    xp = backend.array_module(softmax)
    C = softmax.shape[1]
    classes = xp.arange(C).reshape((1, -1) + (1,) * (softmax.ndim - 2))  # (1, C, 1, ...)
    return coef[:, None] * (softmax - (classes == target[:, None]))
