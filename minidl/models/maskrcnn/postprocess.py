"""From head outputs to detections: per-class boxes and NMS, masks pasted back into the
image, keypoints read off their heat maps. Plain arrays, no autograd.

Reference: He et al. 2017, §3 ("Inference"); torchvision's ``postprocess_detections``,
``paste_masks_in_image`` and ``heatmaps_to_keypoints``.
"""

from __future__ import annotations

from typing import Any

from ... import backend, boxes
from .targets import BOX_WEIGHTS


def detect(
    probs: Any,
    deltas: Any,
    proposals: Any,
    image_hw: tuple[int, int],
    score_threshold: float = 0.05,
    nms_threshold: float = 0.5,
    max_detections: int = 20,
) -> tuple[Any, Any, Any]:
    """One image's detections: boxes (D, 4), scores (D,), labels (D,) int64, best first.

    Shapes: probs (R, C) softmax scores, deltas (R, C, 4), proposals (R, 4).
    Every (proposal, class ≠ background) pair is a candidate with that class's refined box
    and probability; candidates under ``score_threshold`` or under a pixel wide go, NMS runs
    per class (a circle may overlap a square), and the best ``max_detections`` stay.
    """
    xp = backend.array_module(probs)
    R, C = probs.shape
    found = boxes.decode_boxes(deltas, proposals[:, None, :], BOX_WEIGHTS)  # (R, C, 4)
    found = boxes.clip_boxes(found, image_hw)[:, 1:].reshape(-1, 4)  # drop the background
    scores = probs[:, 1:].reshape(-1)
    labels = xp.broadcast_to(xp.arange(1, C), (R, C - 1)).reshape(-1)
    keep = xp.nonzero(scores > score_threshold)[0]
    keep = keep[boxes.remove_small_boxes(found[keep], 1.0)]
    found, scores, labels = found[keep], scores[keep], labels[keep]
    keep = boxes.batched_nms(found, scores, labels, nms_threshold)[:max_detections]
    return found[keep], scores[keep], labels[keep].astype(xp.int64)


def _paste_weights(lo: float, hi: float, size: int, length: int, xp: Any) -> Any:
    """(length, size): how the pixels of one image axis read the m cells of a box side.

    Pixel p (centre p + ½) inside [lo, hi) sits at cell coordinate u = (p + ½ − lo) /
    (hi − lo) · m − ½ (cell centres at integers, as RoIAlign with aligned=True samples
    them); it takes the linear interpolation of cells ⌊u⌋ and ⌊u⌋ + 1, clamped to the
    first and last cell. Pixels outside the box get zero weights.
    """
    centre = xp.arange(length, dtype=xp.float64) + 0.5
    u = xp.clip((centre - lo) / max(hi - lo, 1e-6) * size - 0.5, 0, size - 1)
    low = xp.floor(u).astype(xp.int64)  # u <= m − 1, so low + 1 overflows only where frac = 0
    frac = u - low
    A = xp.zeros((length, size))
    rows = xp.arange(length)
    A[rows, low] += 1 - frac
    A[rows, xp.minimum(low + 1, size - 1)] += frac
    inside = (centre >= lo) & (centre < hi)
    return A * inside[:, None]


def paste_masks(masks: Any, boxes_: Any, image_hw: tuple[int, int]) -> Any:
    """Resample each m × m box mask into the full image at its box (zeros elsewhere).

    Shapes: masks (D, m, m) probabilities, boxes (D, 4) → (D, H, W) float32.
    Bilinear interpolation is separable, so each paste is two small matrix products,
    out = Ay @ mask @ Axᵀ, with Ay (H, m) and Ax (W, m) from `_paste_weights` — the
    inverse of RoIAlign's sampling (see minidl/kernels/roi_align/reference.py).
    """
    xp = backend.array_module(masks)
    H, W = image_hw
    D, m, _ = masks.shape
    out = xp.zeros((D, H, W), dtype=xp.float32)
    for d in range(D):
        x1, y1, x2, y2 = (float(v) for v in boxes_[d])
        Ay = _paste_weights(y1, y2, m, H, xp)
        Ax = _paste_weights(x1, x2, m, W, xp)
        out[d] = Ay @ masks[d].astype(xp.float64) @ Ax.T
    return out


def heatmaps_to_keypoints(logits: Any, boxes_: Any) -> Any:
    """The most likely position on each keypoint's map, in image pixels, with its probability.

    Shapes: logits (D, K, m, m), boxes (D, 4) → (D, K, 3) rows ``[x, y, p]``: the centre
    of the arg-max cell, x = x1 + (col + ½)(x2 − x1)/m, and p = its softmax probability.
    """
    xp = backend.array_module(logits)
    D, K, m, _ = logits.shape
    flat = logits.reshape(D, K, m * m).astype(xp.float64)
    flat = xp.exp(flat - flat.max(axis=2, keepdims=True))
    probs = flat / flat.sum(axis=2, keepdims=True)
    best = probs.argmax(axis=2)  # (D, K)
    row, col = best // m, best % m
    x1, y1 = boxes_[:, 0, None], boxes_[:, 1, None]
    x = x1 + (col + 0.5) * (boxes_[:, 2, None] - x1) / m
    y = y1 + (row + 0.5) * (boxes_[:, 3, None] - y1) / m
    p = xp.take_along_axis(probs, best[:, :, None], axis=2)[:, :, 0]
    return xp.stack([x, y, p], axis=2).astype(xp.float32)
