"""Triplet mining: which (anchor, positive, negative) triplets of a batch to train on.

Most random triplets are already satisfied — d(a, n) > d(a, p) + α — so their loss and
gradient are zero and they teach nothing. Mining picks triplets that still violate the margin:

- `random_triplets`: any positive, any negative (the baseline).
- `batch_hard_triplets`: per anchor, the farthest positive and the closest negative in the
  batch (Hermans, Beyer & Leibe, "In Defense of the Triplet Loss", 2017).
- `semi_hard_triplets`: per (anchor, positive) pair, the closest negative that is still
  farther than the positive, d(a, p) < d(a, n) < d(a, p) + α (Schroff et al., "FaceNet", 2015).
  Harder negatives (d(a, n) < d(a, p)) early in training can collapse the embedding.

Mining only chooses indices, from distances computed without a graph; the loss is then
computed on ``embeddings[a], embeddings[p], embeddings[n]`` so the gradient flows normally.
All functions work on NumPy arrays (distances are small: batch × batch).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import backend
from .tensor import Tensor

STRATEGIES = ("random", "batch_hard", "semi_hard")


class Triplets(NamedTuple):
    """Index arrays into the batch, each (T,) int64; unpacks as ``a, p, n``."""

    anchor: np.ndarray
    positive: np.ndarray
    negative: np.ndarray


def distance_matrix(
    x: np.ndarray, y: np.ndarray | None = None, squared: bool = False
) -> np.ndarray:
    """Euclidean distances between every row of ``x`` and every row of ``y`` (default ``x``).

    Shapes: x (N, D), y (M, D) → (N, M).  ||x_i − y_j||² = ||x_i||² − 2 x_i·y_j + ||y_j||²,
    clipped at 0 because rounding can make it slightly negative.
    """
    x = np.asarray(x, dtype=np.float64)
    y = x if y is None else np.asarray(y, dtype=np.float64)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(
            f"distance_matrix: expected (N, D) and (M, D), got {x.shape} and {y.shape}"
        )
    d2 = (x * x).sum(1)[:, None] - 2 * x @ y.T + (y * y).sum(1)[None, :]
    d2 = np.maximum(d2, 0)
    return d2 if squared else np.sqrt(d2)


def _check(op: str, dist: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    dist, labels = np.asarray(dist), np.asarray(labels)
    if dist.ndim != 2 or dist.shape[0] != dist.shape[1]:
        raise ValueError(f"{op}: expected a square (N, N) distance matrix, got {dist.shape}")
    if labels.shape != (len(dist),):
        raise ValueError(f"{op}: expected labels of shape ({len(dist)},), got {labels.shape}")
    return dist, labels


def _masks(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """positive[i, j]: same label and i != j;  negative[i, j]: different label.  (N, N) bool."""
    same = labels[:, None] == labels[None, :]
    return same & ~np.eye(len(labels), dtype=bool), ~same


def _empty() -> Triplets:
    e = np.zeros(0, np.int64)
    return Triplets(e, e, e)


def random_triplets(labels: np.ndarray, rng: np.random.Generator) -> Triplets:
    """For every anchor that has a positive and a negative in the batch: one of each, at random.

    Shapes: labels (N,) → each index array (T,), T <= N.
    """
    labels = np.asarray(labels)
    positive, negative = _masks(labels)
    a, p, n = [], [], []
    for i in range(len(labels)):
        pos, neg = np.flatnonzero(positive[i]), np.flatnonzero(negative[i])
        if len(pos) and len(neg):
            a.append(i)
            p.append(rng.choice(pos))
            n.append(rng.choice(neg))
    if not a:
        return _empty()
    return Triplets(*(np.array(v, np.int64) for v in (a, p, n)))


def batch_hard_triplets(dist: np.ndarray, labels: np.ndarray) -> Triplets:
    """Per anchor: the farthest positive and the closest negative (the hardest of each).

    Shapes: dist (N, N), labels (N,) → each index array (T,), one per usable anchor.
    Ties go to the lowest index.
    """
    dist, labels = _check("batch_hard_triplets", dist, labels)
    positive, negative = _masks(labels)
    usable = positive.any(1) & negative.any(1)
    anchors = np.flatnonzero(usable)
    hardest_p = np.where(positive, dist, -np.inf).argmax(1)
    hardest_n = np.where(negative, dist, np.inf).argmin(1)
    return Triplets(anchors.astype(np.int64), hardest_p[anchors], hardest_n[anchors])


def semi_hard_triplets(dist: np.ndarray, labels: np.ndarray, margin: float) -> Triplets:
    """Per (anchor, positive) pair: the closest negative with d(a,p) < d(a,n) < d(a,p) + margin.

    Shapes: dist (N, N), labels (N,) → each index array (T,), one per pair that has such a
    negative (pairs without one are skipped, so T may be 0 once the batch is well separated).
    """
    dist, labels = _check("semi_hard_triplets", dist, labels)
    positive, negative = _masks(labels)
    a, p = np.nonzero(positive)  # every (anchor, positive) pair, both orders
    d_ap = dist[a, p][:, None]  # (P, 1)
    d_an = dist[a]  # (P, N)
    semi = negative[a] & (d_an > d_ap) & (d_an < d_ap + margin)
    keep = semi.any(1)
    n = np.where(semi, d_an, np.inf).argmin(1)
    return Triplets(a[keep].astype(np.int64), p[keep].astype(np.int64), n[keep].astype(np.int64))


def mine_triplets(
    embeddings: Tensor | np.ndarray,
    labels: np.ndarray,
    strategy: str = "batch_hard",
    margin: float = 0.2,
    rng: np.random.Generator | None = None,
    squared: bool = False,
) -> Triplets:
    """Choose training triplets from a batch of embeddings with one of `STRATEGIES`.

    Shapes: embeddings (N, D) (Tensor or array; read without a graph), labels (N,) int.
    ``squared`` mines on squared distances, to match ``triplet_margin_loss(squared=True)``.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"mine_triplets: strategy must be one of {STRATEGIES}, got {strategy!r}")
    labels = backend.to_numpy(labels.data if isinstance(labels, Tensor) else labels)
    if strategy == "random":
        return random_triplets(labels, rng if rng is not None else np.random.default_rng())
    x = embeddings.data if isinstance(embeddings, Tensor) else embeddings
    dist = distance_matrix(backend.to_numpy(x), squared=squared)
    if strategy == "batch_hard":
        return batch_hard_triplets(dist, labels)
    return semi_hard_triplets(dist, labels, margin)
