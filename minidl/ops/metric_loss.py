"""Losses that shape an embedding space: pairwise distance, the triplet margin loss,
the contrastive loss, and L2 normalisation onto the unit sphere.

`PairwiseDistance`, `TripletMarginLoss` and `Normalize` have hand-written backwards (the
triplet one is the one to read); `contrastive_loss` is composed from primitives.

Notation: a, p, n are the anchor, positive and negative embeddings, each (N, D);
d(x, y) = ||x − y + eps||_p over the last axis, as PyTorch's ``pairwise_distance``.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function
from ..tensor import Tensor
from .elementwise import mul, relu, sub
from .loss import _check_reduction, _reduce

# ---- p-norm distance and its gradient (plain arrays) ---------------------------------------


def _norm_and_grad(diff: Any, p: float, squared: bool) -> tuple[Any, Any]:
    """d = ||diff||_p over the last axis and u = ∂d/∂diff (or d² and ∂d²/∂diff).

    Shapes: diff (*, D) → d (*,), u (*, D).
    ∂||v||_p/∂v_k = sign(v_k)·|v_k|^(p−1) / ||v||_p^(p−1); for p = 2 that is v / ||v||.
    Where the norm (or a |v_k| raised to a negative power) is 0 the gradient is taken as 0,
    the same subgradient PyTorch's norm backward picks.
    """
    xp = backend.array_module(diff)
    if squared:  # FaceNet's ||v||²: smooth everywhere, no division
        return (diff * diff).sum(axis=-1), 2 * diff
    if p == 2:
        d = xp.sqrt((diff * diff).sum(axis=-1))
        safe = xp.where(d == 0, 1, d)[..., None]
        return d, xp.where(d[..., None] == 0, 0, diff / safe)
    mag = xp.abs(diff)
    d = (mag**p).sum(axis=-1) ** (1 / p)
    with _quiet(xp):  # 0 ** (p - 1) with p < 1 is inf; the where below discards it
        scaled = xp.where(mag == 0, 0, xp.sign(diff) * mag ** (p - 1))
    safe = xp.where(d == 0, 1, d)[..., None] ** (p - 1)
    return d, xp.where(d[..., None] == 0, 0, scaled / safe)


def _quiet(xp: Any) -> Any:
    """NumPy's floating-point warnings off (CuPy has no errstate and never warns)."""
    return np.errstate(divide="ignore", invalid="ignore")


def _check_p(op: str, p: Any, squared: bool = False) -> float:
    if isinstance(p, bool) or not isinstance(p, Real) or not 0 < p < math.inf:
        raise ValueError(f"{op}: p must be a finite number > 0, got {p!r}")
    if squared and p != 2:
        raise ValueError(f"{op}: squared=True is the squared Euclidean distance; p must be 2")
    return float(p)


def _check_number(op: str, name: str, value: Any, minimum: float = -math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or math.isnan(value):
        raise TypeError(f"{op}: {name} must be a number, got {value!r}")
    if value < minimum:
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value}")
    return float(value)


def _check_same_shape(op: str, **tensors: Tensor) -> None:
    """Embeddings must be (N, D) or (D,) and agree exactly (no silent broadcasting)."""
    names, shapes = list(tensors), [t.shape for t in tensors.values()]
    for name, t in tensors.items():
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")
        if t.ndim not in (1, 2):
            raise ValueError(f"{op}: expected {name} of shape (N, D) or (D,), got {t.shape}")
    if len(set(shapes)) > 1:
        listed = ", ".join(f"{k} {s}" for k, s in zip(names, shapes))
        what = "batch sizes" if len({s[1:] for s in shapes}) == 1 else "shapes"
        raise ValueError(
            f"{op}: embeddings must have the same shape, got different {what}: {listed}"
        )


# ---- pairwise distance ---------------------------------------------------------------------


class PairwiseDistance(Function):
    """d_i = ||x1_i − x2_i + eps||_p; ∂d/∂x1 = u, ∂d/∂x2 = −u with u from `_norm_and_grad`."""

    @staticmethod
    def forward(ctx, x1, x2, p, eps):
        d, u = _norm_and_grad(x1 - x2 + eps, p, squared=False)
        ctx.save_for_backward(u)
        return d

    @staticmethod
    def backward(ctx, g):
        (u,) = ctx.saved_tensors
        gu = g[..., None] * u
        return gu, -gu, None, None


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2, eps: float = 1e-6) -> Tensor:
    """Row-by-row p-norm distance between two batches of embeddings.

    Shapes: x1, x2 (N, D) → (N,); (D,) → () . The shapes must be equal.
    d_i = (Σ_k |x1_ik − x2_ik + eps|^p)^(1/p); eps keeps the gradient finite at x1 = x2.
    Reference: ``torch.nn.functional.pairwise_distance`` (which also broadcasts).
    """
    _check_same_shape("pairwise_distance", x1=x1, x2=x2)
    p = _check_p("pairwise_distance", p)
    return PairwiseDistance.apply(x1, x2, p, _check_number("pairwise_distance", "eps", eps))


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
        d_ap, u_ap = _norm_and_grad(a - p + eps, norm_p, squared)
        d_an, u_an = _norm_and_grad(a - n + eps, norm_p, squared)
        w_an, w_pn, u_pn = xp.ones_like(d_an), xp.zeros_like(d_an), xp.zeros_like(u_an)
        if swap:
            d_pn, u_pn = _norm_and_grad(p - n + eps, norm_p, squared)
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


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    reduction: str = "mean",
    squared: bool = False,
) -> Tensor:
    """The triplet loss: pull the positive closer to the anchor than the negative, by a margin.

    Shapes: anchor, positive, negative (N, D) (or (D,)), all equal → (N,) for
    reduction="none", else a scalar ("mean" or "sum" over the triplets).

    l_i = max(0, margin + d(a_i, p_i) − d(a_i, n_i)),  d(x, y) = ||x − y + eps||_p;
    ``swap=True`` uses min(d(a, n), d(p, n)) for the negative distance. ``squared=True``
    (p = 2 only) is FaceNet's form l_i = max(0, ||a_i − p_i||² − ||a_i − n_i||² + α), usually
    with α = margin = 0.2 on L2-normalised embeddings (eps is added to the differences too).

    Where we differ from PyTorch: ``margin = 0`` is allowed (PyTorch requires > 0) so that
    the collapse f(x) = 0 can be shown; shapes must match exactly instead of broadcasting.
    References: Schroff et al., "FaceNet", CVPR 2015; ``torch.nn.functional.triplet_margin_loss``.
    """
    op = "triplet_margin_loss"
    _check_same_shape(op, anchor=anchor, positive=positive, negative=negative)
    _check_reduction(op, reduction)
    margin = _check_number(op, "margin", margin, minimum=0.0)
    p = _check_p(op, p, squared)
    eps = _check_number(op, "eps", eps)
    loss = TripletMarginLoss.apply(anchor, positive, negative, margin, p, eps, swap, squared)
    return _reduce(loss, reduction)


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
    _check_same_shape(op, x1=x1, x2=x2)
    _check_reduction(op, reduction)
    margin = _check_number(op, "margin", margin, minimum=0.0)
    y = same.data if isinstance(same, Tensor) else backend.array_module(x1.data).asarray(same)
    if y.shape != x1.shape[:-1]:
        raise ValueError(f"{op}: expected same of shape {x1.shape[:-1]}, got {y.shape}")
    y = y.astype(x1.dtype)
    d = pairwise_distance(x1, x2, 2, eps)
    gap = relu(sub(margin, d))  # max(0, m − d)
    loss = mul(0.5, mul(y, mul(d, d)) + mul(1 - y, mul(gap, gap)))
    return _reduce(loss, reduction)


# ---- L2 normalisation ----------------------------------------------------------------------


class Normalize(Function):
    """y = x / max(||x||₂, eps) along ``dim``.

    Backward where ||x|| > eps: ∂L/∂x = (g − y·⟨g, y⟩) / ||x|| — the part of g tangent to
    the sphere, scaled; the radial part is removed because y's length is fixed at 1.
    Where ||x|| <= eps the division is by the constant eps, so ∂L/∂x = g / eps.
    """

    @staticmethod
    def forward(ctx, x, dim, eps):
        xp = backend.array_module(x)
        norm = xp.sqrt((x * x).sum(axis=dim, keepdims=True))
        denom = xp.maximum(norm, eps)
        y = x / denom
        ctx.save_for_backward(y, denom, norm > eps)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, g):
        y, denom, on_sphere = ctx.saved_tensors
        radial = y * (g * y).sum(axis=ctx.dim, keepdims=True)
        return (g - on_sphere * radial) / denom, None, None


def normalize(x: Tensor, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """L2 normalisation: each vector along ``dim`` scaled to length 1 (embeddings on a sphere).

    Shapes: x (*) → the same shape. y = x / max(||x||₂, eps).
    Reference: ``torch.nn.functional.normalize`` with p = 2.
    """
    if not -x.ndim <= dim < max(x.ndim, 1):
        raise ValueError(f"normalize: dim {dim} is out of range for a tensor of shape {x.shape}")
    return Normalize.apply(x, dim % x.ndim, _check_number("normalize", "eps", eps, 0.0))
