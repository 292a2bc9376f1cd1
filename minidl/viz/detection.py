"""Pictures of detections: coloured instance masks, boxes, class names and keypoints;
anchors and proposals on an image.

Each function draws into Matplotlib axes (a new figure when ``ax`` is None) and returns the
axes, or the figure for grids. Inputs are NumPy or CuPy arrays or Tensors.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import zip_longest
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from .. import backend
from ..boxes import box_iou
from ..data.shapes import CLASS_NAMES
from ..metrics.detection import mask_iou
from ..numbers import fmt
from ..tensor import Tensor

PALETTE = (
    "#e6194b",
    "#3cb44b",
    "#4363d8",
    "#f58231",
    "#911eb4",
    "#42d4f4",
    "#f032e6",
    "#bfef45",
    "#fabed4",
    "#469990",
    "#dcbeff",
    "#9a6324",
    "#fffac8",
    "#800000",
)


def _numpy(x: Any) -> np.ndarray:
    return backend.to_numpy(x.data if isinstance(x, Tensor) else x)


def _image(x: Any) -> np.ndarray:
    """(H, W) or (H, W, 3) for imshow, from (H, W), (1, H, W) or (3, H, W)."""
    x = _numpy(x)
    if x.ndim == 3:
        x = x[0] if x.shape[0] == 1 else np.moveaxis(x, 0, -1)
    return np.clip(x, 0, 1)


def _rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])


def _class_name(class_names: Sequence[str], label: int) -> str:
    # a model trained on more classes than the names given still gets drawn
    return class_names[label] if 0 <= label < len(class_names) else f"class {label}"


def draw_instances(
    image: Any,
    boxes: Any = None,
    labels: Any = None,
    masks: Any = None,
    scores: Any = None,
    keypoints: Any = None,
    ax: Axes | None = None,
    class_names: Sequence[str] = CLASS_NAMES,
    score_threshold: float = 0.5,
    alpha: float = 0.45,
    title: str | None = None,
    colours: Sequence[str] | None = None,
) -> Axes:
    """An image with one colour per instance: tinted and outlined mask, box, "class score"
    tag, keypoints (white dots edged in the instance's colour).

    Shapes: image (C, H, W) or (H, W); boxes (D, 4); labels (D,); masks (D, H, W) bool;
    scores (D,) (instances under ``score_threshold`` are not drawn); keypoints (D, K, 3)
    with a third column > 0 for the keypoints to draw (visibility or probability).
    ``colours``: one per instance (default: `PALETTE` in order; `matched_colours` gives
    predictions the colours of the true objects they found). Tags of boxes that share a
    corner are stacked, not drawn over each other.
    """
    ax = ax or plt.subplots(figsize=(4, 4))[1]
    picture = _image(image)
    if picture.ndim == 2:
        picture = np.repeat(picture[..., None], 3, axis=2)
    D = 0 if boxes is None else len(_numpy(boxes))
    colours = (
        list(colours) if colours is not None else [PALETTE[d % len(PALETTE)] for d in range(D)]
    )
    keep = np.ones(D, bool) if scores is None else _numpy(scores) >= score_threshold
    if masks is not None:
        for d, m in enumerate(_numpy(masks).astype(bool)):
            if keep[d]:
                tinted = (1 - alpha) * picture + alpha * _rgb(colours[d])
                picture = np.where(m[..., None], tinted, picture)
    ax.imshow(picture, interpolation="nearest")
    order = np.flatnonzero(keep)
    if scores is not None:  # the surest first: its tag keeps its place at the box's corner
        order = order[np.argsort(-_numpy(scores)[order], kind="stable")]
    tags = _TagStack(ax)
    for d in order:
        colour = colours[d]
        if masks is not None and _numpy(masks)[d].any():
            # an outline too: a tint alone is hard to see on an object of a similar colour
            ax.contour(
                _numpy(masks)[d].astype(float), levels=[0.5], colors=[colour], linewidths=1.0
            )
        x1, y1, x2, y2 = _numpy(boxes)[d]
        ax.add_patch(
            Rectangle(
                (x1 - 0.5, y1 - 0.5), x2 - x1, y2 - y1, fill=False, edgecolor=colour, linewidth=1.2
            )
        )
        tag = _class_name(class_names, int(_numpy(labels)[d])) if labels is not None else ""
        if scores is not None:
            tag += f" {fmt(float(_numpy(scores)[d]), 2)}"
        if tag.strip():
            tags.add(tag.strip(), (x1 - 0.5, y1 - 1), colour)
        if keypoints is not None:
            kp = _numpy(keypoints)[d]
            shown = kp[kp[:, 2] > 0]
            # keypoint k at pixel coordinate x sits at imshow position x − ½ (pixel centres)
            ax.scatter(
                shown[:, 0] - 0.5,
                shown[:, 1] - 0.5,
                s=14,
                c="white",
                edgecolors=colour,
                linewidths=1.2,
                zorder=3,
            )
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=9)
    return ax


class _TagStack:
    """Places "class score" tags at their boxes' top-left corners, one above the other where
    two would overlap (duplicate detections share a corner). Offsets are in points, so the
    stack survives a later tight_layout that rescales the axes."""

    FONTSIZE = 6
    HEIGHT = FONTSIZE * 1.45  # one tag with its box, in points
    SLACK = 1.15  # the axes may shrink a little in tight_layout: keep tags that far apart

    def __init__(self, ax: Axes) -> None:
        self.ax = ax
        self.placed: list[tuple[float, float, float, float]] = []  # (x0, y0, x1, y1) points

    def _points(self, xy: tuple[float, float]) -> np.ndarray:
        return self.ax.transData.transform(xy) * 72 / self.ax.figure.dpi

    def _free(self, box: tuple[float, float, float, float]) -> bool:
        x0, y0, x1, y1 = box
        grow = (self.SLACK - 1) * self.HEIGHT
        return all(
            x1 + grow <= a0 or x0 - grow >= a1 or y1 + grow <= b0 or y0 - grow >= b1
            for a0, b0, a1, b1 in self.placed
        )

    def add(self, text: str, xy: tuple[float, float], colour: str) -> None:
        x, y = self._points(xy)
        width = 0.62 * self.FONTSIZE * len(text) + 2
        top = self.ax.bbox.y1 * 72 / self.ax.figure.dpi - self.HEIGHT * self.SLACK
        step = self.HEIGHT * self.SLACK
        # the nearest free place to the box's corner: just above it, then just inside the
        # box (below its top edge), then further up (while under the axes' top, where the
        # title is) or down: never over another tag
        ups = [k * step for k in range(1, 1 + max(0, int((top - y) // step)))]
        downs = [-k * step for k in range(1, 12)]
        near = [0.0] + [d for pair in zip_longest(ups, downs) for d in pair if d is not None]
        lift = next(
            (d for d in near if self._free((x, y + d, x + width, y + d + self.HEIGHT))), 0.0
        )
        self.placed.append((x, y + lift, x + width, y + lift + self.HEIGHT))
        self.ax.annotate(
            text,
            xy,
            xytext=(0, lift),
            textcoords="offset points",
            color="white",
            fontsize=self.FONTSIZE,
            va="bottom",
            zorder=4,  # above the keypoint dots
            bbox={"facecolor": colour, "pad": 0.5, "linewidth": 0, "alpha": 0.8},
        )


def matched_colours(
    predicted: dict[str, Any], truth: dict[str, Any], iou_threshold: float = 0.5
) -> list[str]:
    """A colour per prediction: that of the true object it overlaps most (mask IoU when both
    have masks, else box IoU) when the IoU reaches ``iou_threshold``, so that one object has
    one colour in both pictures; otherwise a colour that no true object has."""
    n_true = len(_numpy(truth["boxes"]))
    if predicted.get("masks") is not None and truth.get("masks") is not None:
        overlap = mask_iou(_numpy(predicted["masks"]), _numpy(truth["masks"]))
    else:
        overlap = box_iou(_numpy(predicted["boxes"]), _numpy(truth["boxes"]))
    colours, spare = [], n_true
    overlap = np.nan_to_num(np.asarray(overlap, float))  # two empty boxes: NaN, no match
    for row in overlap.reshape(len(_numpy(predicted["boxes"])), n_true):
        if n_true and row.max() >= iou_threshold:
            colours.append(PALETTE[int(row.argmax()) % len(PALETTE)])
        else:
            colours.append(PALETTE[spare % len(PALETTE)])
            spare += 1
    return colours


def instance_grid(
    images: Sequence[Any],
    predictions: Sequence[dict[str, Any]],
    targets: Sequence[dict[str, Any]] | None = None,
    class_names: Sequence[str] = CLASS_NAMES,
    score_threshold: float = 0.5,
    size: float = 2.6,
    columns: int | None = None,
    keypoint_label: str = "keypoints",
) -> Figure:
    """Images in a grid of ``columns`` (default: all in one row); under each image's ground
    truth (if given) its prediction, in the colours of the true objects it found
    (`matched_colours`). A key under the grid says what colours and dots mean."""
    columns = columns or len(images)
    per_image = 2 if targets is not None else 1
    rows = -(-len(images) // columns) * per_image
    wide = size * columns >= 10  # the key fits on one line
    key_height = 0.45 if wide else 0.75
    fig, axes = plt.subplots(
        rows, columns, figsize=(size * columns, (size + 0.3) * rows + key_height), squeeze=False
    )
    for ax in axes.flat:
        ax.set_axis_off()
    any_keypoints = False
    for i, image in enumerate(images):
        row, col = i // columns * per_image, i % columns
        p = predictions[i]
        colours = None
        if targets is not None:
            t = targets[i]
            draw_instances(
                image,
                t["boxes"],
                t["labels"],
                t.get("masks"),
                None,
                t.get("keypoints"),
                axes[row, col],
                class_names,
                title="truth",
            )
            colours = matched_colours(p, t)
            any_keypoints |= t.get("keypoints") is not None
        shown = int((_numpy(p["scores"]) >= score_threshold).sum())
        title = "prediction" if shown else f"prediction: none scored {fmt(score_threshold, 2)}+"
        draw_instances(
            image,
            p["boxes"],
            p["labels"],
            p.get("masks"),
            p["scores"],
            p.get("keypoints"),
            axes[row + per_image - 1, col],
            class_names,
            score_threshold,
            title=title,
            colours=colours,
        )
        any_keypoints |= p.get("keypoints") is not None and shown > 0
    keypoints = keypoint_label if any_keypoints else None
    _key(fig, targets is not None, keypoints, score_threshold, 3 if wide else 1)
    fig.tight_layout(rect=(0, key_height / fig.get_figheight(), 1, 1))
    return fig


def _key(
    fig: Figure, matched: bool, keypoint_label: str | None, score_threshold: float, ncol: int
) -> None:
    """The legend under an instance grid: what its colours and white dots mean."""
    handles = []
    if matched:
        handles.append(
            Patch(
                facecolor="none",
                edgecolor="grey",
                label="one colour per true object; a prediction wears the colour of the object "
                "it found (IoU >= 0.5)",
            )
        )
    handles.append(
        Patch(
            facecolor="none",
            edgecolor="none",
            label=f"tags: class and score (>= {fmt(score_threshold, 2)})",
        )
    )
    if keypoint_label:
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                linestyle="none",
                markerfacecolor="white",
                markeredgecolor="grey",
                label=keypoint_label,
            )
        )
    fig.legend(handles=handles, loc="lower center", ncol=ncol, fontsize=7, frameon=False)


def draw_boxes(
    image: Any,
    boxes: Any,
    ax: Axes | None = None,
    colour: str | Sequence[str] = "#42d4f4",
    linewidth: float = 0.8,
    alpha: float = 1.0,
    title: str | None = None,
) -> Axes:
    """Plain box outlines on an image (anchors, proposals); boxes (D, 4)."""
    ax = ax or plt.subplots(figsize=(4, 4))[1]
    ax.imshow(_image(image), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    for d, (x1, y1, x2, y2) in enumerate(_numpy(boxes)):
        c = colour if isinstance(colour, str) else colour[d % len(colour)]
        ax.add_patch(
            Rectangle(
                (x1 - 0.5, y1 - 0.5),
                x2 - x1,
                y2 - y1,
                fill=False,
                edgecolor=c,
                linewidth=linewidth,
                alpha=alpha,
            )
        )
    H, W = _image(image).shape[:2]
    ax.set_xlim(-0.5, W - 0.5)
    ax.set_ylim(H - 0.5, -0.5)
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def show_anchors(
    image: Any,
    anchors: Any,
    feature_hw: tuple[int, int],
    cells: Sequence[tuple[int, int]],
    stride: int,
    ax: Axes | None = None,
) -> Axes:
    """All A anchors of a few feature cells (row, col), and every cell's centre as a dot.

    Shapes: anchors (h·w·A, 4) in `minidl.boxes.make_anchors` order.
    """
    h, w = feature_hw
    per_cell = _numpy(anchors).reshape(h, w, -1, 4)
    chosen = np.concatenate([per_cell[r, c] for r, c in cells])
    A = per_cell.shape[2]
    colours = [PALETTE[i // A % len(PALETTE)] for i in range(len(chosen))]
    ax = draw_boxes(image, chosen, ax, colours, linewidth=1.0)
    ys, xs = np.mgrid[0:h, 0:w]
    ax.scatter(
        (xs.ravel() + 0.5) * stride - 0.5,
        (ys.ravel() + 0.5) * stride - 0.5,
        s=2,
        c="white",
        alpha=0.6,
    )
    ax.set_title(f"{A} anchors per cell at {len(cells)} cells (stride {stride})", fontsize=9)
    return ax
