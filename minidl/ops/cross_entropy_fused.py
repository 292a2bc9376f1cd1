"""Cross-entropy of class indices as one autograd node: log-softmax and NLL fused.

Apart (``log_softmax`` then ``NLLLoss``), the two nodes walk the logits five times and keep
the log-probabilities; the backward builds a one-hot array and recomputes a softmax. Fused,
the forward kernel reads the logits twice and keeps their softmax (an array as large, as
the log-probabilities were), and the backward writes dx in one pass with no exp
(``minidl/kernels/cross_entropy/``)::

    forward   loss_i, softmax = cross_entropy_forward(x, t, w)      loss_i = -w_i log softmax_i[t_i]
              reduced: Σ_i loss_i ("sum"), Σ_i loss_i / Σ_i w_i ("mean")
    backward  coef_i = w_i · ∂L/∂loss_i;  dx = cross_entropy_backward(softmax, t, coef)
              = coef_i · (softmax_i − onehot(t_i))

Who uses it: ``F.cross_entropy`` (``loss.py``) for class-index targets without label
smoothing; probability targets and label smoothing keep log_softmax + NLL. A second
derivative (``create_graph=True``) differentiates `CrossEntropy.composite`, the same loss
written with differentiable ops.
"""

from __future__ import annotations

import numpy as np

from .. import backend, higher_order, kernels
from ..autograd import Function
from .softmax import log_softmax


class CrossEntropy(Function):
    """``forward(ctx, x, target, w, reduction)``: x (N, C, *) logits, target (N, *) classes
    (ignored positions read as 0), w (N, *) the weight of each position (0 where ignored)."""

    @staticmethod
    def forward(ctx, x, target, w, reduction):
        losses, softmax = kernels.get("cross_entropy_forward", x)(x, target, w)
        ctx.save_for_backward(softmax, target, w)
        ctx.reduction = reduction
        if reduction == "none":
            return losses
        total = losses.sum()
        if reduction == "sum":
            return total
        ctx.total_weight = w.sum()
        with np.errstate(invalid="ignore", divide="ignore"):  # 0/0 = nan: nothing counted
            return total / ctx.total_weight

    @staticmethod
    def backward(ctx, g):
        softmax, target, w = ctx.saved_tensors
        xp = backend.array_module(softmax)
        coef = w * g  # (N, *); g is a scalar unless reduction is "none"
        if ctx.reduction == "mean":
            # all weights 0: the loss is nan but nothing was used, so the gradient is 0 (as
            # PyTorch); an array expression, since an `if` would wait for the GPU
            total = ctx.total_weight
            coef = coef / xp.where(total == 0, 1, total) * (total != 0)
        coef = coef.astype(softmax.dtype, copy=False)
        dx = kernels.get("cross_entropy_backward", softmax)(softmax, target, coef)
        return dx, None, None, None

    @staticmethod
    def composite(ctx, x, target, w, reduction):
        xp = backend.array_module(target)
        classes = xp.arange(x.shape[1]).reshape((1, -1) + (1,) * (x.ndim - 2))
        onehot = higher_order.constant((classes == target[:, None]).astype(x.dtype))
        losses = -(log_softmax(x, 1) * onehot).sum(dim=1) * w  # (N, *)
        if reduction == "none":
            return losses
        total = losses.sum()
        return total if reduction == "sum" else total / w.sum()
