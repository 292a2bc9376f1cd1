"""Losses that shape an embedding space: pairwise distance, the triplet margin loss,
the contrastive loss, and L2 normalisation onto the unit sphere.

`TripletMarginLoss` has a hand-written backward (the one to read); `contrastive_loss` and
`triplet_margin_with_distance_loss` are composed. The distances live in `distance.py`.

Notation: a, p, n are the anchor, positive and negative embeddings, each (N, D) (or
broadcasting shapes with the same number of dims, as PyTorch);
d(x, y) = ||x − y + eps||_p over the last axis, as PyTorch's ``pairwise_distance``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import backend
from ..autograd import Function
from ..tensor import Tensor
from .distance import (
    broadcast_shape,
    check_number,
    check_p,
    norm_and_grad,
    normalize,  # noqa: F401  (its old home: minidl.ops.metric_loss.normalize)
    pairwise_distance,
    recorded_norm,
)
from .elementwise import add, clamp, minimum, mul, relu, sub
from .loss_args import check_reduction, legacy_reduction, reduce_loss


def _check_embeddings(op: str, **tensors: Tensor) -> None:
    """Same number of dims (as PyTorch requires), at least one, shapes that broadcast."""
    broadcast_shape(op, **tensors)
    dims = {name: t.ndim for name, t in tensors.items()}
    if len(set(dims.values())) > 1 or min(dims.values()) < 1:
        listed = ", ".join(f"{k} {t.shape}" for k, t in tensors.items())
        raise ValueError(
            f"{op}: expected tensors with the same number of dims (>= 1, vectors along the "
            f"last), got {listed}"
        )


# ---- triplet margin loss -------------------------------------------------------------------


class TripletMarginLoss(Function):
    """Per-triplet hinge  l_i = max(0, margin + d(a_i, p_i) − d(a_i, n_i)).

    With swap, d(a, n) is replaced by min(d(a, n), d(p, n)): the positive may be the harder
    anchor for that negative (Balntas et al. 2016). With squared, d² replaces d (FaceNet).

    Backward, for a triplet whose hinge is active (margin + d_ap − d_an >= 0, the side where
    PyTorch's clamp_min passes the gradient):
        ∂l/∂a = u_ap − w_an·u_an,   ∂l/∂p = −u_ap − w_pn·u_pn,   ∂l/∂n = w_an·u_an + w_pn·u_pn
    where u_xy = ∂d(x, y)/∂x, and w_an, w_pn ∈ {0, ½, 1} say which distance the min took
    (½ each on a tie, as PyTorch's ``minimum``); without swap w_an = 1, w_pn = 0.
    An inactive triplet (already separated by the margin) gets no gradient at all.
    """

    @staticmethod
    def forward(ctx, a, p, n, margin, norm_p, eps, swap, squared):
        xp = backend.array_module(a)
        d_ap, u_ap = norm_and_grad(a - p + eps, norm_p, squared)
        d_an, u_an = norm_and_grad(a - n + eps, norm_p, squared)
        w_an, w_pn, u_pn = xp.ones_like(d_an), xp.zeros_like(d_an), xp.zeros_like(u_an)
        if swap:
            d_pn, u_pn = norm_and_grad(p - n + eps, norm_p, squared)
            w_an = ((d_an < d_pn) + 0.5 * (d_an == d_pn)).astype(a.dtype)
            w_pn = 1 - w_an
            d_an = xp.minimum(d_an, d_pn)
        hinge = margin + d_ap - d_an
        ctx.save_for_backward(hinge >= 0, u_ap, u_an, u_pn, w_an[..., None], w_pn[..., None])
        return xp.maximum(hinge, 0).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        active, u_ap, u_an, u_pn, w_an, w_pn = ctx.saved_tensors
        h = (g * active)[..., None]  # (N, 1): zero for triplets outside the hinge
        grad_a = h * (u_ap - w_an * u_an)
        grad_p = h * (-u_ap - w_pn * u_pn)
        grad_n = h * (w_an * u_an + w_pn * u_pn)
        return grad_a, grad_p, grad_n, None, None, None, None, None

    @staticmethod
    def composite(ctx, a, p, n, margin, norm_p, eps, swap, squared):
        from .elementwise import clamp, minimum

        d_ap = recorded_norm(a - p + eps, norm_p, -1, False, squared)
        d_an = recorded_norm(a - n + eps, norm_p, -1, False, squared)
        if swap:
            d_an = minimum(d_an, recorded_norm(p - n + eps, norm_p, -1, False, squared))
        return clamp(margin + d_ap - d_an, min=0)


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    *,
    squared: bool = False,
) -> Tensor:
    """The triplet loss: pull the positive closer to the anchor than the negative, by a margin.

    Shapes: anchor, positive, negative (N, D) or (D,) (broadcasting, with the same number of
    dims) → (N,) for reduction="none", else a scalar ("mean" or "sum" over the triplets).

    l_i = max(0, margin + d(a_i, p_i) − d(a_i, n_i)),  d(x, y) = ||x − y + eps||_p;
    ``swap=True`` uses min(d(a, n), d(p, n)) for the negative distance. ``squared=True``
    (p = 2 only) is FaceNet's form l_i = max(0, ||a_i − p_i||² − ||a_i − n_i||² + α), usually
    with α = margin = 0.2 on L2-normalised embeddings (eps is added to the differences too).

    Where we differ from PyTorch: ``squared`` (keyword only) is minidl's.
    References: Schroff et al., "FaceNet", CVPR 2015; ``torch.nn.functional.triplet_margin_loss``.
    """
    op = "triplet_margin_loss"
    _check_embeddings(op, anchor=anchor, positive=positive, negative=negative)
    reduction = legacy_reduction(op, size_average, reduce, reduction)
    margin = check_number(op, "margin", margin)
    p = check_p(op, p, squared)
    eps = check_number(op, "eps", eps)
    loss = TripletMarginLoss.apply(anchor, positive, negative, margin, p, eps, swap, squared)
    return reduce_loss(loss, reduction)


# ---- contrastive loss ----------------------------------------------------------------------


def contrastive_loss(
    x1: Tensor,
    x2: Tensor,
    same: Any,
    margin: float = 1.0,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """The contrastive loss on pairs: same pairs pulled together, different ones pushed apart.

    Shapes: x1, x2 (N, D); same (N,) of 0/1 (or bool) → (N,) or a scalar.
    l_i = ½·y_i·d_i² + ½·(1 − y_i)·max(0, margin − d_i)²,  d_i = ||x1_i − x2_i + eps||₂,
    y_i = 1 for a same-person pair. A different pair farther apart than the margin costs nothing.
    Reference: Hadsell, Chopra & LeCun, "Dimensionality Reduction by Learning an Invariant
    Mapping", CVPR 2006 (there Y = 0 marks a similar pair; here y = 1 does).
    """
    op = "contrastive_loss"
    _check_embeddings(op, x1=x1, x2=x2)
    if x1.shape != x2.shape:
        raise ValueError(f"{op}: x1 {x1.shape} and x2 {x2.shape} must have the same shape")
    check_reduction(op, reduction)
    margin = check_number(op, "margin", margin, minimum=0.0)
    y = same.data if isinstance(same, Tensor) else backend.array_module(x1.data).asarray(same)
    if y.shape != x1.shape[:-1]:
        raise ValueError(f"{op}: expected same of shape {x1.shape[:-1]}, got {y.shape}")
    y = y.astype(x1.dtype)
    d = pairwise_distance(x1, x2, 2, eps)
    gap = relu(sub(margin, d))  # max(0, m − d)
    loss = mul(0.5, mul(y, mul(d, d)) + mul(1 - y, mul(gap, gap)))
    return reduce_loss(loss, reduction)


# ---- triplet loss with any distance --------------------------------------------------------


def triplet_margin_with_distance_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    *,
    distance_function: Callable[[Tensor, Tensor], Tensor] | None = None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """max(0, margin + d(a, p) − d(a, n)) for any differentiable ``distance_function`` d
    (`pairwise_distance` when None); ``swap`` as in `triplet_margin_loss`.

    Composed of primitives, so d may be any function of two Tensors. As PyTorch, margin must
    be > 0. Reference: ``torch.nn.functional.triplet_margin_with_distance_loss``.
    """
    op = "triplet_margin_with_distance_loss"
    check_reduction(op, reduction)
    margin = check_number(op, "margin", margin)
    if margin <= 0:
        raise ValueError(f"{op}: margin must be greater than 0, got {margin}")
    _check_embeddings(op, anchor=anchor, positive=positive, negative=negative)
    d = pairwise_distance if distance_function is None else distance_function
    if not callable(d):
        raise TypeError(f"{op}: distance_function must be callable, got {type(d).__name__}")
    try:
        d_ap, d_an = d(anchor, positive), d(anchor, negative)
        if swap:
            d_an = minimum(d_an, d(positive, negative))
    except TypeError as exc:  # e.g. a torch.nn module: say which argument, not torch's words
        raise TypeError(
            f"{op}: distance_function must take two minidl Tensors and return one; "
            f"calling {d!r} raised TypeError: {exc}"
        ) from exc
    loss = clamp(add(sub(d_ap, d_an), margin), min=0.0)
    return reduce_loss(loss, reduction)
