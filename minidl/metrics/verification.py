"""Verification metrics: is this pair the same person? Decided by ``distance <= T``.

For pairs with distances d_i and truths y_i (1 = same person), a threshold T accepts the
pairs with d_i <= T. Sweeping T from −∞ to +∞ traces the ROC curve:

    TPR(T) = #{same, d <= T} / #same      (same pairs accepted: the verification rate)
    FPR(T) = #{different, d <= T} / #different   (strangers let in: the false accept rate)

AUC, the area under it, is the probability that a random same pair is closer than a random
different pair (ties count ½): 1.0 separates perfectly, 0.5 is a coin. T itself is chosen on
validation pairs (`best_threshold`) and then applied, unchanged, to the test pairs.

For a similarity score s (higher = same, e.g. a Siamese head's logit) pass d = −s.
Inputs are NumPy or CuPy arrays, Tensors or lists; results are NumPy arrays or floats.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any, NamedTuple

import numpy as np

from .. import backend
from ..tensor import Tensor


class ROC(NamedTuple):
    """Points of a ROC curve, one per distinct threshold, from (0, 0) to (1, 1).

    Shapes: fpr, tpr, thresholds (K + 1,) for K distinct distances; thresholds[0] = −inf
    (accept nothing), thresholds[k] = the k-th smallest distinct distance (accept d <= it).
    """

    fpr: np.ndarray
    tpr: np.ndarray
    thresholds: np.ndarray


def _pairs(op: str, distance: Any, same: Any) -> tuple[np.ndarray, np.ndarray]:
    d, y = (backend.to_numpy(v.data if isinstance(v, Tensor) else v) for v in (distance, same))
    d, y = np.asarray(d, dtype=np.float64), np.asarray(y)
    if d.ndim != 1 or y.shape != d.shape:
        raise ValueError(
            f"{op}: expected distance and same of one shape (N,), got {d.shape} and {y.shape}"
        )
    if not np.isin(y, (0, 1)).all():
        raise ValueError(f"{op}: same must hold 0/1 or bool values, got {np.unique(y)[:5]}")
    if not np.isfinite(d).all():
        raise ValueError(f"{op}: distances must be finite numbers")
    return d, y.astype(bool)


def _check_threshold(op: str, threshold: Any) -> float:
    if isinstance(threshold, bool) or not isinstance(threshold, Real) or math.isnan(threshold):
        raise TypeError(f"{op}: threshold must be a number, got {threshold!r}")
    return float(threshold)


def _counts(d: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct distances u_k and, for T = u_k, the numbers of same / different pairs accepted."""
    order = np.argsort(d, kind="stable")
    d, y = d[order], y[order]
    last = np.r_[d[1:] != d[:-1], True]  # last position of each distinct distance
    same_accepted = np.cumsum(y)[last]
    diff_accepted = np.cumsum(~y)[last]
    return d[last], same_accepted, diff_accepted


def roc_curve(distance: Any, same: Any) -> ROC:
    """The ROC curve of the rule "same person when distance <= T" (see the module docstring).

    Shapes: distance (N,) float, same (N,) bool or 0/1 → `ROC` of (K + 1,) arrays.
    Reference: ``sklearn.metrics.roc_curve`` with score = −distance.
    """
    d, y = _pairs("roc_curve", distance, same)
    n_same, n_diff = int(y.sum()), int((~y).sum())
    if n_same == 0 or n_diff == 0:
        raise ValueError(
            f"roc_curve: needs both same and different pairs, "
            f"got {n_same} same and {n_diff} different"
        )
    u, same_acc, diff_acc = _counts(d, y)
    return ROC(
        fpr=np.r_[0.0, diff_acc / n_diff],
        tpr=np.r_[0.0, same_acc / n_same],
        thresholds=np.r_[-np.inf, u],
    )


def auc(fpr: Any, tpr: Any) -> float:
    """Area under a curve by the trapezoid rule (points sorted by fpr, as `roc_curve` gives)."""
    fpr, tpr = np.asarray(fpr, dtype=np.float64), np.asarray(tpr, dtype=np.float64)
    if fpr.shape != tpr.shape or fpr.ndim != 1 or len(fpr) < 2:
        raise ValueError(
            f"auc: expected two 1-D arrays of >= 2 points, got {fpr.shape} and {tpr.shape}"
        )
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


def roc_auc(distance: Any, same: Any) -> float:
    """AUC of the ROC curve of ``distance`` (1.0: every same pair closer than every different)."""
    roc = roc_curve(distance, same)
    return auc(roc.fpr, roc.tpr)


def accuracy_at_threshold(distance: Any, same: Any, threshold: float) -> float:
    """Share of pairs decided correctly by "same person when distance <= threshold"."""
    threshold = _check_threshold("accuracy_at_threshold", threshold)
    d, y = _pairs("accuracy_at_threshold", distance, same)
    if len(d) == 0:
        raise ValueError("accuracy_at_threshold: no pairs given")
    return float(((d <= threshold) == y).mean())


def best_threshold(distance: Any, same: Any) -> tuple[float, float]:
    """The threshold T that decides the most pairs correctly, and that accuracy.

    Use validation pairs; then report `accuracy_at_threshold` on test pairs with this T.
    Every T between two neighbouring distinct distances decides the same way, so the middle
    of the winning gap is returned (the safest choice for new pairs); the first best wins ties.
    Returns (T, accuracy).
    """
    d, y = _pairs("best_threshold", distance, same)
    if len(d) == 0:
        raise ValueError("best_threshold: no pairs given")
    u, same_acc, diff_acc = _counts(d, y)
    correct = np.r_[0, same_acc] + (~y).sum() - np.r_[0, diff_acc]  # accept nothing, then u_k
    k = int(np.argmax(correct))
    if k == 0:
        threshold = float(np.nextafter(u[0], -np.inf))  # just below every distance
    elif k == len(u):
        threshold = float(u[-1])  # accept every pair
    else:
        threshold = float((u[k - 1] + u[k]) / 2)
    return threshold, float(correct[k] / len(d))
