"""Solutions of lesson 05's exercises (face verification)."""

from __future__ import annotations

import numpy as np


def my_batch_hard(dist: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per usable anchor: the farthest positive and the closest negative in the batch."""
    same = labels[:, None] == labels[None, :]
    positive = same & ~np.eye(len(labels), dtype=bool)  # the anchor is not its own positive
    negative = ~same
    anchors = np.flatnonzero(positive.any(1) & negative.any(1))
    hardest_positive = np.where(positive, dist, -np.inf).argmax(1)  # first index on a tie
    hardest_negative = np.where(negative, dist, np.inf).argmin(1)
    return anchors, hardest_positive[anchors], hardest_negative[anchors]


def my_triplet_backward(
    a: np.ndarray,
    p: np.ndarray,
    n: np.ndarray,
    margin: float,
    grad: np.ndarray,
    squared: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of sum_i grad_i * max(0, d(a_i, p_i) - d(a_i, n_i) + margin)."""
    if squared:
        d_ap, d_an = ((a - p) ** 2).sum(1), ((a - n) ** 2).sum(1)
        u_ap, u_an = 2 * (a - p), 2 * (a - n)  # the derivatives of ||a - p||^2 by a
    else:
        d_ap, d_an = np.linalg.norm(a - p, axis=1), np.linalg.norm(a - n, axis=1)
        u_ap, u_an = (a - p) / d_ap[:, None], (a - n) / d_an[:, None]  # unit vectors
    active = d_ap - d_an + margin >= 0  # a satisfied triplet sends no gradient back
    g = (grad * active)[:, None]  # (N, 1)
    return g * (u_ap - u_an), -g * u_ap, g * u_an
