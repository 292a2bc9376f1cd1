"""Pictures for face verification: the embedding space in 2-D, ROC curves, example pairs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from .. import backend
from ..numbers import decimals_apart, fmt
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


def _people_scatter(ax: Axes, x: np.ndarray, labels: np.ndarray, people: np.ndarray) -> None:
    """PCA of the rows of the shown people only (so that the two axes spend their variance
    on telling these people apart), one tab10 colour per person."""
    shown = np.isin(labels, people)
    points = pca_2d(x[shown])
    colours = plt.get_cmap("tab10")
    for i, person in enumerate(people):
        mine = points[labels[shown] == person]
        ax.scatter(*mine.T, s=22, color=colours(i), alpha=0.85, label=f"person {person}")
    ax.set_xlabel("principal component 1")
    ax.set_ylabel("principal component 2")


def plot_embedding_2d(
    embeddings: Any, labels: Any, title: str | None = None, max_people: int = 8
) -> Figure:
    """Scatter of embeddings projected by PCA, one colour per person, a legend of who is who.

    Shapes: embeddings (N, D), labels (N,). Only the first ``max_people`` people (at most 10)
    are drawn: beyond that the colours come in look-alike pairs. `plot_embeddings` draws
    several feature spaces (pixels, an embedding) of the same people side by side.
    """
    return plot_embeddings({"": embeddings}, labels, title, max_people)


def plot_embeddings(
    spaces: Mapping[str, Any], labels: Any, title: str | None = None, max_people: int = 8
) -> Figure:
    """One panel per feature space (name → (N, D) features of the same N samples), each
    projected by PCA, the same people in the same colours, one legend.

    Shapes: every features array (N, ...) (flattened per sample), labels (N,).
    """
    if not 1 <= max_people <= 10:
        raise ValueError(f"plot_embeddings: max_people must be 1..10 (tab10), got {max_people}")
    labels = _numpy(labels)
    everyone = np.unique(labels)
    people = everyone[:max_people]
    fig, axes = plt.subplots(1, len(spaces), figsize=(4.6 * len(spaces) + 1.6, 4.4), squeeze=False)
    for ax, (name, x) in zip(axes[0], spaces.items()):
        _people_scatter(ax, _numpy(x).reshape(len(labels), -1), labels, people)
        if name:
            ax.set_title(name, fontsize=10)
    handles, names = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, names, loc="center right", fontsize=8, frameon=False)
    heading = title or f"{len(people)} of the {len(everyone)} people (PCA of their points)"
    fig.suptitle(heading, fontsize=10)
    fig.tight_layout(rect=(0, 0, 1 - 1.4 / fig.get_figwidth(), 1))
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
        (line,) = ax.plot(fpr, tpr, label=f"{name} (AUC {fmt(area)})")
        if operating_points and name in operating_points:
            ax.plot(*operating_points[name], "o", color=line.get_color())
    ax.plot([0, 1], [0, 1], ":", color="grey", label="chance")
    ax.set_xlabel("false accept rate (different people accepted)")
    ax.set_ylabel("true accept rate (same person accepted)")
    ax.set_xlim(-0.02, 1.02)  # a dot at 0 or 1 is drawn whole, not cut by the edge
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(title, fontsize=10, wrap=True)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


RIGHT, WRONG = "green", "red"  # caption colours of a decision that is right / wrong


def _right_wrong_legend(fig: Figure, right: str, wrong: str) -> None:
    """The key to green and red captions, under the pictures."""
    handles = [Patch(color=RIGHT, label=right), Patch(color=WRONG, label=wrong)]
    fig.legend(handles=handles, loc="lower center", ncol=2, fontsize=8, frameon=False)


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

    With a threshold, each caption says whether "same person when d <= T" decides the pair
    right (green) or wrong (red), and a legend says so. Distances get as many decimals as it
    takes for none to print equal to T (d = 0.900 at T = 0.899, never 0.90 at 0.90).
    Shapes: first, second (N, C, H, W) or (N, H, W); distances, same (N,). Same and
    different pairs are shown alternately when both exist.
    """
    first, second = _numpy(first), _numpy(second)
    distances, same = _numpy(distances), _numpy(same).astype(bool)
    pos, neg = np.flatnonzero(same), np.flatnonzero(~same)
    order = [i for pair in zip(pos, neg) for i in pair] or list(range(len(same)))
    order = (order + [i for i in range(len(same)) if i not in order])[:n]
    shown = distances[order]
    k = decimals_apart(shown, threshold) if threshold is not None else 2
    fig, axes = plt.subplots(2, len(order), figsize=(1.3 * len(order), 3.6), squeeze=False)
    for col, i in enumerate(order):
        for row, image in enumerate((first[i], second[i])):
            ax = axes[row, col]
            ax.imshow(np.squeeze(image), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        caption = f"{'same' if same[i] else 'different'}\nd = {distances[i]:.{k}f}"
        colour = "black"
        if threshold is not None:
            colour = RIGHT if (distances[i] <= threshold) == same[i] else WRONG
        axes[1, col].set_xlabel(caption, color=colour, fontsize=8)
    if title or threshold is not None:
        heading = title or f"T = {threshold:.{k}f}: same person when d <= T"
        fig.suptitle(heading, fontsize=9)
    if threshold is not None:
        _right_wrong_legend(fig, "decided right by d <= T", "decided wrong")
    fig.tight_layout(rect=(0, 0.07 if threshold is not None else 0, 1, 1))
    return fig
