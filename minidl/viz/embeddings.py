"""Pictures for face verification: the embedding space in 2-D, ROC curves, example pairs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from .. import backend
from ..tensor import Tensor


def _numpy(x: Any) -> np.ndarray:
    return backend.to_numpy(x.data if isinstance(x, Tensor) else x)


def pca_2d(x: Any) -> np.ndarray:
    """The first two principal components of the rows of x.  Shapes: (N, D) → (N, 2).

    Centre the rows, take the SVD X = U S Vᵀ; the projection on the two leading right
    singular vectors keeps the most variance any 2-D linear view can keep.
    """
    x = _numpy(x).reshape(len(x), -1).astype(np.float64)
    centred = x - x.mean(0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    out = centred @ vt[:2].T
    return np.pad(out, ((0, 0), (0, 2 - out.shape[1])))  # D = 1: a zero second axis


def plot_embedding_2d(
    embeddings: Any, labels: Any, title: str | None = None, max_people: int = 20
) -> Figure:
    """Scatter of embeddings projected by PCA, one colour per person, numbered at the centre.

    Shapes: embeddings (N, D), labels (N,). Only the first ``max_people`` people are drawn
    (colours stop being distinguishable beyond ~20).
    """
    points, labels = pca_2d(embeddings), _numpy(labels)
    people = np.unique(labels)[:max_people]
    fig, ax = plt.subplots(figsize=(5.5, 5))
    colours = plt.get_cmap("tab20")
    for i, person in enumerate(people):
        mine = points[labels == person]
        ax.scatter(*mine.T, s=18, color=colours(i % 20), alpha=0.8)
        ax.annotate(str(person), mine.mean(0), fontsize=8, ha="center", va="center", weight="bold")
    ax.set_xlabel("principal component 1")
    ax.set_ylabel("principal component 2")
    ax.set_title(title or f"embeddings of {len(people)} people (PCA)")
    fig.tight_layout()
    return fig


def plot_roc_curves(
    curves: Mapping[str, Any],
    operating_points: Mapping[str, tuple[float, float]] | None = None,
    title: str = "verification ROC (test pairs)",
) -> Figure:
    """ROC curves side by side, AUC in the legend.

    ``curves``: name → a `minidl.metrics.ROC` (or any (fpr, tpr, ...) tuple);
    ``operating_points``: name → (fpr, tpr) of the chosen threshold, drawn as a dot.
    """
    fig, ax = plt.subplots(figsize=(5, 4.6))
    for name, roc in curves.items():
        fpr, tpr = np.asarray(roc[0]), np.asarray(roc[1])
        area = float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))
        (line,) = ax.plot(fpr, tpr, label=f"{name} (AUC {area:.3f})")
        if operating_points and name in operating_points:
            ax.plot(*operating_points[name], "o", color=line.get_color())
    ax.plot([0, 1], [0, 1], ":", color="grey", label="chance")
    ax.set_xlabel("false accept rate (different people accepted)")
    ax.set_ylabel("true accept rate (same person accepted)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def plot_pairs(
    first: Any,
    second: Any,
    distances: Any,
    same: Any,
    threshold: float | None = None,
    n: int = 8,
    title: str | None = None,
) -> Figure:
    """``n`` pairs as columns (one image above the other) with their distance.

    The caption is green when "d <= threshold" decides the pair correctly, red when not.
    Shapes: first, second (N, C, H, W) or (N, H, W); distances, same (N,). Same and
    different pairs are shown alternately when both exist.
    """
    first, second = _numpy(first), _numpy(second)
    distances, same = _numpy(distances), _numpy(same).astype(bool)
    pos, neg = np.flatnonzero(same), np.flatnonzero(~same)
    order = [i for pair in zip(pos, neg) for i in pair] or list(range(len(same)))
    order = (order + [i for i in range(len(same)) if i not in order])[:n]
    fig, axes = plt.subplots(2, len(order), figsize=(1.3 * len(order), 3.1), squeeze=False)
    for col, i in enumerate(order):
        for row, image in enumerate((first[i], second[i])):
            ax = axes[row, col]
            ax.imshow(np.squeeze(image), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        caption = f"{'same' if same[i] else 'diff.'}\nd = {distances[i]:.2f}"
        colour = "black"
        if threshold is not None:
            colour = "green" if (distances[i] <= threshold) == same[i] else "red"
        axes[1, col].set_xlabel(caption, color=colour, fontsize=8)
    if title or threshold is not None:
        fig.suptitle(title or f"threshold T = {threshold:.2f}: same person when d <= T", fontsize=9)
    fig.tight_layout()
    return fig
