"""Box utilities for detection: IoU, box deltas, non-maximum suppression, anchors.

Plain arrays in and out (NumPy or CuPy, whichever holds the input), no autograd: these run on
targets and on detached predictions. Boxes are rows ``[x1, y1, x2, y2]`` in pixels with
x2 >= x1 and y2 >= y1; width is x2 − x1 (no "+1"). Semantics follow ``torchvision.ops``
(box_iou, nms, batched_nms, clip_boxes_to_image, remove_small_boxes) and torchvision's
Faster R-CNN ``BoxCoder`` and ``AnchorGenerator``; where they differ it is said below.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import backend

DELTA_CLIP = math.log(1000.0 / 16)  # largest dw, dh decoded: a box grows at most 62.5 times


def box_area(boxes: Any) -> Any:
    """(N, 4) → (N,) areas (x2 − x1)(y2 − y1)."""
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def box_iou(a: Any, b: Any) -> Any:
    """Intersection over union of every pair: a (N, 4), b (M, 4) → (N, M).

    IoU = |a ∩ b| / (|a| + |b| − |a ∩ b|); 0/0 (two empty boxes) is NaN, as in torchvision.
    """
    xp = backend.array_module(a)
    top_left = xp.maximum(a[:, None, :2], b[None, :, :2])  # (N, M, 2)
    bottom_right = xp.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = xp.clip(bottom_right - top_left, 0, None)
    inter = wh[..., 0] * wh[..., 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        return inter / (box_area(a)[:, None] + box_area(b)[None, :] - inter)


def _centres(boxes: Any) -> tuple[Any, Any, Any, Any]:
    """Width, height and centre (x, y) of boxes (..., 4)."""
    w = boxes[..., 2] - boxes[..., 0]
    h = boxes[..., 3] - boxes[..., 1]
    return w, h, boxes[..., 0] + 0.5 * w, boxes[..., 1] + 0.5 * h


def encode_boxes(boxes: Any, gt: Any, weights: Sequence[float] = (1.0, 1.0, 1.0, 1.0)) -> Any:
    """The deltas that move ``boxes`` (anchors or proposals) onto ``gt``: (..., 4) each.

    dx = wx (gx − x) / w,  dy = wy (gy − y) / h,  dw = ww log(gw / w),  dh = wh log(gh / h)
    with (x, y) centres and w, h sizes (Girshick et al. 2014, Faster R-CNN's parametrisation;
    torchvision's ``BoxCoder.encode_single(gt, boxes)``).
    """
    xp = backend.array_module(boxes)
    wx, wy, ww, wh = weights
    w, h, x, y = _centres(boxes)
    gw, gh, gx, gy = _centres(gt)
    return xp.stack(
        [wx * (gx - x) / w, wy * (gy - y) / h, ww * xp.log(gw / w), wh * xp.log(gh / h)], axis=-1
    )


def decode_boxes(
    deltas: Any,
    boxes: Any,
    weights: Sequence[float] = (1.0, 1.0, 1.0, 1.0),
    clip: float = DELTA_CLIP,
) -> Any:
    """Apply deltas (..., 4) to boxes broadcastable to them: the inverse of `encode_boxes`.

    dw, dh are clamped to at most ``clip`` before the exponential, so that an untrained
    regressor cannot produce infinite boxes. Per-class deltas (N, K, 4) go with boxes
    (N, 1, 4). Reference: torchvision's ``BoxCoder.decode_single``.
    """
    xp = backend.array_module(deltas)
    wx, wy, ww, wh = weights
    w, h, x, y = _centres(boxes)
    dx, dy = deltas[..., 0] / wx, deltas[..., 1] / wy
    dw = xp.minimum(deltas[..., 2] / ww, clip)
    dh = xp.minimum(deltas[..., 3] / wh, clip)
    cx, cy = dx * w + x, dy * h + y
    half_w, half_h = 0.5 * xp.exp(dw) * w, 0.5 * xp.exp(dh) * h
    return xp.stack([cx - half_w, cy - half_h, cx + half_w, cy + half_h], axis=-1)


def _check_scored_boxes(op: str, boxes: Any, scores: Any) -> None:
    if boxes.ndim != 2 or boxes.shape[1] != 4 or tuple(scores.shape) != (boxes.shape[0],):
        raise ValueError(
            f"{op}: expected boxes (N, 4) and scores (N,), got {tuple(boxes.shape)} and "
            f"{tuple(scores.shape)}"
        )


def nms(boxes: Any, scores: Any, iou_threshold: float) -> Any:
    """Greedy non-maximum suppression: int64 indices of the kept boxes, best score first.

    Repeatedly keep the best remaining box and drop every remaining box whose IoU with it
    is above ``iou_threshold`` (strictly). Equal scores keep the lower index first.
    Reference: ``torchvision.ops.nms``.
    """
    _check_scored_boxes("nms", boxes, scores)
    xp = backend.array_module(boxes)
    order = xp.argsort(-scores, kind="stable")
    ranked = boxes[order]
    # one IoU matrix, then the greedy pass over it on the host (it is sequential);
    # `nan > t` is False, so an empty box (IoU 0/0) suppresses nothing
    suppresses = backend.to_numpy(box_iou(ranked, ranked) > iou_threshold)
    removed = np.zeros(len(order), dtype=bool)
    keep = []
    for i in range(len(order)):
        if not removed[i]:
            keep.append(i)
            removed |= suppresses[i]
    return order[xp.asarray(keep, dtype=xp.int64)]


def batched_nms(boxes: Any, scores: Any, groups: Any, iou_threshold: float) -> Any:
    """`nms` within each group (e.g. class) separately; kept indices, best score first.

    Reference: ``torchvision.ops.batched_nms`` (its per-class loop; it also offers a
    coordinate-offset trick with the same result up to rounding).
    """
    _check_scored_boxes("batched_nms", boxes, scores)
    if tuple(groups.shape) != tuple(scores.shape):
        raise ValueError(
            f"batched_nms: expected groups of shape {tuple(scores.shape)}, "
            f"got {tuple(groups.shape)}"
        )
    xp = backend.array_module(boxes)
    keep = xp.zeros(len(boxes), dtype=bool)
    for g in xp.unique(groups):
        members = xp.nonzero(groups == g)[0]
        keep[members[nms(boxes[members], scores[members], iou_threshold)]] = True
    kept = xp.nonzero(keep)[0]
    return kept[xp.argsort(-scores[kept], kind="stable")]


def clip_boxes(boxes: Any, image_hw: tuple[int, int]) -> Any:
    """Boxes (..., 4) clipped to the image: x into [0, W], y into [0, H]."""
    xp = backend.array_module(boxes)
    H, W = image_hw
    upper = xp.asarray([W, H, W, H], dtype=boxes.dtype)
    return xp.clip(boxes, 0, upper)


def remove_small_boxes(boxes: Any, min_size: float) -> Any:
    """int64 indices of the boxes (N, 4) whose width and height are both >= ``min_size``."""
    xp = backend.array_module(boxes)
    w, h, _, _ = _centres(boxes)
    return xp.nonzero((w >= min_size) & (h >= min_size))[0].astype(xp.int64)


def make_anchors(
    feature_hw: tuple[int, int],
    stride: int | tuple[int, int],
    sizes: Sequence[float],
    aspect_ratios: Sequence[float],
    *,
    offset: float = 0.5,
    device: str = "cpu",
    dtype: Any = np.float32,
) -> Any:
    """The anchor boxes of a feature map, (H·W·A, 4) with A = len(aspect_ratios)·len(sizes).

    Order: row i, then column j of the feature map, then ratio r, then size s, i.e. anchor
    ``(i·W + j)·A + r_index·len(sizes) + s_index``, so that ``anchors.reshape(H, W, A, 4)``
    lines up with a head's output reshaped from (A·k, H, W) to (H, W, A, k).
    Anchor (i, j, r, s) is centred at ((j + offset)·stride_w, (i + offset)·stride_h), has
    area s² and height / width = r: w = s / √r, h = s·√r.

    Reference: torchvision's ``AnchorGenerator`` (same order and shapes), which uses
    offset 0 (centres on the cell's top-left pixel) and rounds the half-sizes to integers;
    offset 0.5 (the default here) centres each anchor on its cell, as Detectron2 recommends
    with ``aligned`` RoIAlign.
    """
    xp = backend.xp_for(device)
    H, W = feature_hw
    SH, SW = (stride, stride) if isinstance(stride, int) else stride
    ratios = np.sqrt(np.asarray(aspect_ratios, dtype=np.float64))[:, None]  # √r, (R, 1)
    sizes_ = np.asarray(sizes, dtype=np.float64)[None, :]  # (1, S)
    half_w = (sizes_ / ratios).reshape(-1) / 2  # (A,), ratio-major
    half_h = (sizes_ * ratios).reshape(-1) / 2
    base = np.stack([-half_w, -half_h, half_w, half_h], axis=1)  # (A, 4) around (0, 0)
    cy, cx = np.meshgrid((np.arange(H) + offset) * SH, (np.arange(W) + offset) * SW, indexing="ij")
    centres = np.stack([cx, cy, cx, cy], axis=-1).reshape(-1, 1, 4)  # (H·W, 1, 4)
    return xp.asarray((centres + base[None]).reshape(-1, 4), dtype=dtype)
