"""Pictures of segmentations: mask overlays, input/truth/prediction/error grids, weight maps.

Every function draws into Matplotlib axes and returns the figure, so a notebook shows it and
a script saves it (``fig.savefig(path)``). Inputs are NumPy or CuPy arrays or Tensors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.patches import Patch

from .. import backend
from ..numbers import fmt
from ..tensor import Tensor

# error map colours: correct background, true positive, false positive, false negative
ERROR_COLORS = ("black", "#2ca02c", "#d62728", "#1f77b4")
ERROR_LABELS = ("background", "hit (TP)", "false alarm (FP)", "miss (FN)")


def _numpy(x: Any) -> np.ndarray:
    return backend.to_numpy(x.data if isinstance(x, Tensor) else x)


def _image(x: Any) -> np.ndarray:
    """(H, W) or (H, W, 3) from (H, W), (1, H, W) or (3, H, W)."""
    x = _numpy(x)
    if x.ndim == 3:
        x = x[0] if x.shape[0] == 1 else np.moveaxis(x, 0, -1)
    return x


def overlay(
    image: Any,
    mask: Any,
    ax: Axes | None = None,
    color: str = "#ff7f0e",
    alpha: float = 0.45,
    contour: bool = True,
) -> Axes:
    """Show ``image`` in grey with the foreground of ``mask`` tinted (and outlined).

    Shapes: image (H, W) or (C, H, W); mask (H, W), nonzero = foreground.
    """
    ax = ax or plt.subplots(figsize=(4, 4))[1]
    mask = _numpy(mask) > 0
    ax.imshow(_image(image), cmap="gray", vmin=0, vmax=1)
    ax.imshow(np.ma.masked_where(~mask, mask), cmap=ListedColormap([color]), alpha=alpha)
    if contour and mask.any() and not mask.all():
        ax.contour(mask, levels=[0.5], colors=[color], linewidths=1.0)
    ax.set_axis_off()
    return ax


def error_map(pred: Any, truth: Any) -> np.ndarray:
    """0 correct background, 1 true positive, 2 false positive, 3 false negative (H, W)."""
    p, t = _numpy(pred) > 0, _numpy(truth) > 0
    return np.select([p & t, p & ~t, ~p & t], [1, 2, 3], 0)


def show_error(pred: Any, truth: Any, ax: Axes | None = None, legend: bool = False) -> Axes:
    """The error map of one prediction in four colours (`ERROR_COLORS`)."""
    ax = ax or plt.subplots(figsize=(4, 4))[1]
    ax.imshow(error_map(pred, truth), cmap=ListedColormap(ERROR_COLORS), vmin=0, vmax=3)
    ax.set_axis_off()
    if legend:
        handles = [Patch(color=c, label=lbl) for c, lbl in zip(ERROR_COLORS, ERROR_LABELS)]
        ax.legend(
            handles=handles,
            loc="lower center",
            bbox_to_anchor=(0.5, -0.3),
            ncol=2,
            fontsize="small",
            frameon=False,
        )
    return ax


def error_legend(fig: Figure, ncol: int = 4) -> Legend:
    """The key to `show_error`'s four colours, at the bottom of ``fig`` (leave room for it:
    ``fig.tight_layout(rect=(0, 0.05, 1, 1))``)."""
    handles = [Patch(color=c, label=lbl) for c, lbl in zip(ERROR_COLORS, ERROR_LABELS)]
    return fig.legend(
        handles=handles, loc="lower center", ncol=ncol, fontsize="small", frameon=False
    )


def _dice(pred: np.ndarray, truth: np.ndarray) -> float:
    p, t = pred > 0, truth > 0
    total = p.sum() + t.sum()
    return 1.0 if total == 0 else float(2 * (p & t).sum() / total)


def segmentation_grid(
    images: Any,
    truths: Any,
    predictions: Any,
    n: int | None = None,
    title: str | None = None,
) -> Figure:
    """One column per sample; rows: input, truth overlay, prediction overlay, error map
    (with the Dice of each sample in the prediction's title).

    Shapes: images (N, C, H, W) or (N, H, W); truths and predictions (N, H, W) labels
    (predictions may be smaller, as with a valid-padding U-Net: images and truths are then
    centre-cropped to match).
    """
    images, truths, predictions = _numpy(images), _numpy(truths), _numpy(predictions)
    n = min(n or len(images), len(images))
    size = predictions.shape[-2:]
    fig, axes = plt.subplots(4, n, figsize=(2.2 * n, 9.2), squeeze=False)
    for j in range(n):
        image = _center_crop(_image(images[j]), size)
        truth = _center_crop(truths[j], size)
        axes[0, j].imshow(image, cmap="gray", vmin=0, vmax=1)
        axes[0, j].set_axis_off()
        overlay(image, truth, axes[1, j], color="#2ca02c")
        overlay(image, predictions[j], axes[2, j], color="#ff7f0e")
        axes[2, j].set_title(f"Dice {fmt(_dice(predictions[j], truth))}", fontsize="small")
        show_error(predictions[j], truth, axes[3, j], legend=(j == n // 2))
    for row, name in enumerate(("input", "truth", "prediction", "error")):
        axes[row, 0].text(
            -0.08, 0.5, name, transform=axes[row, 0].transAxes, rotation=90, va="center", ha="right"
        )
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _center_crop(image: np.ndarray, size: Sequence[int]) -> np.ndarray:
    top, left = (image.shape[0] - size[0]) // 2, (image.shape[1] - size[1]) // 2
    return image[top : top + size[0], left : left + size[1]]


def show_weight_map(image: Any, labels: Any, weights: Any, title: str | None = None) -> Figure:
    """Image, instance labels and the U-Net weight map w(x) side by side.

    Shapes: image (H, W) or (C, H, W); labels and weights (H, W).
    """
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.8))
    axes[0].imshow(_image(image), cmap="gray", vmin=0, vmax=1)
    axes[0].set_title("image")
    labels = _numpy(labels)
    shown = np.ma.masked_where(labels == 0, labels % 20)
    axes[1].imshow(labels == 0, cmap="gray_r")
    axes[1].imshow(shown, cmap="tab20", interpolation="nearest")
    axes[1].set_title(f"labels ({len(np.unique(labels)) - 1} objects)")
    im = axes[2].imshow(_numpy(weights), cmap="magma")
    axes[2].set_title("weight map w(x)")
    fig.colorbar(im, ax=axes[2], fraction=0.046, pad=0.04)
    for ax in axes:
        ax.set_axis_off()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
