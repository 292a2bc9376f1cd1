"""The losses of Mask R-CNN, composed from core ops (no hand-written backward needed).

- `smooth_l1_loss`: box regression (Girshick 2015, "Fast R-CNN", eq. 3);
- `mask_loss`: per-pixel binary cross-entropy on the ground-truth class's mask only
  (He et al. 2017, §3: "L_mask is only defined on the k-th mask");
- `keypoint_loss`: softmax cross-entropy over the m² positions of each keypoint's map
  (He et al. 2017, §5), taking the best cyclic order of a symmetric shape's vertices.
"""

from __future__ import annotations

from typing import Any

from ... import backend, ops
from ...nn import functional as F
from ...tensor import Tensor


def smooth_l1_loss(input: Tensor, target: Any, beta: float = 1.0, reduction: str = "sum") -> Tensor:
    """Huber-like loss: quadratic for small errors, linear (robust to outliers) for large ones.

    Shapes: input (*), target (*) → scalar ("sum", "mean") or (*) ("none").
    Math: d = |input − target|; l = 0.5 d² / β if d < β else d − 0.5 β (continuous, with
    a continuous slope at d = β). Reference: ``torch.nn.functional.smooth_l1_loss``.
    """
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"smooth_l1_loss: unknown reduction {reduction!r}")
    target = target.data if isinstance(target, Tensor) else target
    d = ops.abs(input - target)
    loss = ops.where(d.data < beta, 0.5 * d * d / beta, d - 0.5 * beta)
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


def mask_loss(mask_logits: Tensor, labels: Any, targets: Any) -> Tensor:
    """Mean per-pixel BCE between the ground-truth class's mask logits and the target mask.

    Shapes: mask_logits (R, C, m, m), labels (R,) int in 1..C−1, targets (R, m, m) in [0, 1].
    The other C − 1 masks get no gradient: classes do not compete for a pixel (a sigmoid
    per class, not a softmax across classes), so the box head decides the class and the
    mask head only has to say which pixels of the box belong to the object.
    """
    R = mask_logits.shape[0]
    if R == 0:
        return (mask_logits * 0.0).sum()  # no positive RoIs: a zero that keeps the graph
    xp = backend.array_module(mask_logits.data)
    chosen = mask_logits[xp.arange(R), xp.asarray(labels)]  # (R, m, m)
    return F.binary_cross_entropy_with_logits(chosen, xp.asarray(targets, chosen.dtype))


def keypoint_loss(heatmap_logits: Tensor, targets: Any, valid: Any) -> Tensor:
    """Softmax cross-entropy of each keypoint's position, under the best cyclic order.

    Shapes: heatmap_logits (R, K, m, m); targets (S, R, K) int flat positions in m², one
    set per cyclic order s of the vertices; valid (S, R, K) bool.
    Math: l_r = min_s Σ_k valid·(−log softmax(z_rk)[t_srk]); loss = Σ_r l_r / #valid.
    A triangle's vertices have no natural first one (rotate it by 120° and it is the same
    triangle), so the head may learn any order that keeps the orientation; the min over the
    S cyclic shifts lets it. With S = 1 this is the plain keypoint loss of the paper.
    """
    R, K, m, _ = heatmap_logits.shape
    xp = backend.array_module(heatmap_logits.data)
    targets, valid = xp.asarray(targets), xp.asarray(valid)
    count = int(valid[0].sum())
    if R == 0 or count == 0:
        return (heatmap_logits * 0.0).sum()
    logp = F.log_softmax(heatmap_logits.reshape(R, K, m * m), 2)  # (R, K, m²)
    S = targets.shape[0]
    r = xp.broadcast_to(xp.arange(R)[None, :, None], targets.shape)
    k = xp.broadcast_to(xp.arange(K)[None, None, :], targets.shape)
    picked = logp[r, k, targets]  # (S, R, K)
    per_order = -(picked * valid.astype(logp.dtype)).sum(dim=2)  # (S, R)
    best = per_order.amin(dim=0) if S > 1 else per_order[0]  # (R,)
    return best.sum() / count
