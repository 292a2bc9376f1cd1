"""What the RoI heads are taught: sampled regions with their class, box, mask and keypoint
targets, all computed from the ground truth without gradients.

Reference: He et al. 2017, §3.1 (a RoI is positive at IoU >= 0.5 with a ground-truth box;
the mask target is the intersection of the RoI and its object's mask) and §5 (keypoints);
torchvision's ``RoIHeads`` (``project_masks_on_boxes``, ``keypoints_to_heatmap``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ... import backend, boxes
from ...autograd import no_grad
from ...nn import functional as F
from ...tensor import Tensor
from .matching import match_boxes, sample_matches

BOX_WEIGHTS = (10.0, 10.0, 5.0, 5.0)  # torchvision's RoI-head delta scaling


@dataclass
class RoiSample:
    """The regions sampled for one training step, over the whole batch.

    rois (R, 5) ``[image, x1, y1, x2, y2]``; labels (R,) int64, 0 = background;
    box_targets (R, 4) encoded deltas (meaningful where labels > 0); matched (R,) int64
    index into the batch's concatenated ground truth (−1 for background).
    """

    rois: Any
    labels: Any
    box_targets: Any
    matched: Any


def sample_rois(
    proposals: Sequence[Any],
    gt_boxes: Sequence[Any],
    gt_labels: Sequence[Any],
    rng: np.random.Generator,
    per_image: int = 64,
    positive_fraction: float = 0.25,
    fg_iou: float = 0.5,
) -> RoiSample:
    """Match each image's proposals (plus its ground-truth boxes) and sample RoIs.

    Adding the ground-truth boxes to the proposals gives the heads perfect positives from
    the first step, while the RPN is still guessing (as torchvision does).
    Shapes: proposals N arrays (P_n, 4); gt_boxes N arrays (G_n, 4); gt_labels N (G_n,).
    """
    xp = backend.array_module(gt_boxes[0])
    rois, labels, targets, matched_all = [], [], [], []
    offset = 0
    for n, (props, gt, lab) in enumerate(zip(proposals, gt_boxes, gt_labels)):
        candidates = xp.concatenate([props.astype(gt.dtype), gt])
        matched = match_boxes(boxes.box_iou(candidates, gt), fg_iou, fg_iou)
        pos, neg = sample_matches(matched, per_image, positive_fraction, rng)
        idx = xp.asarray(np.concatenate([pos, neg]))
        m_host = backend.to_numpy(matched)[pos]
        m = xp.asarray(m_host)
        chosen = candidates[idx]
        rois.append(xp.concatenate([xp.full((len(idx), 1), n, chosen.dtype), chosen], axis=1))
        labels.append(xp.concatenate([lab[m], xp.zeros(len(neg), xp.int64)]))
        deltas = xp.zeros((len(idx), 4), dtype=gt.dtype)
        deltas[: len(pos)] = boxes.encode_boxes(candidates[idx[: len(pos)]], gt[m], BOX_WEIGHTS)
        targets.append(deltas)
        matched_all.append(np.concatenate([m_host + offset, np.full(len(neg), -1)]))
        offset += len(gt)
    return RoiSample(
        xp.concatenate(rois),
        xp.concatenate(labels),
        xp.concatenate(targets),
        np.concatenate(matched_all).astype(np.int64),
    )


@no_grad()
def mask_targets(gt_masks: Any, matched: Any, roi_boxes: Any, size: int) -> Any:
    """Each RoI's object mask, cut out along the RoI and resampled to size × size.

    Shapes: gt_masks (G, H, W) bool (the batch's masks, concatenated), matched (R,) indices
    into them, roi_boxes (R, 4) → (R, size, size) float in {0, 1}. RoIAlign itself does the
    cutting (the mask as a 1-channel image, one "image" per object), so the target lines
    up with the features the mask head sees; bins at least half covered count as object.
    """
    xp = backend.array_module(roi_boxes)
    planes = Tensor(xp.asarray(gt_masks, dtype=xp.float32)[:, None])  # (G, 1, H, W)
    rows = xp.concatenate([xp.asarray(matched, roi_boxes.dtype)[:, None], roi_boxes], axis=1)
    if len(rows) == 0:
        return xp.zeros((0, size, size), xp.float32)
    cut = F.roi_align(planes, rows, size, 1.0, sampling_ratio=-1, aligned=True)
    return (cut.data[:, 0] >= 0.5).astype(xp.float32)


def cyclic_orders(keypoints: Any, shifts: int) -> Any:
    """The ``shifts`` cyclic rotations of each instance's vertex list.

    Shapes: keypoints (R, K, 3) ``[x, y, v]`` whose present vertices (v > 0) come first →
    (shifts, R, K, 3). Rotation s moves vertex (k + s) mod n into slot k, for the n present
    vertices; absent rows stay put. Rotations keep the orientation (clockwise stays
    clockwise), so they are exactly the relabellings under which a regular shape is itself.
    """
    xp = backend.array_module(keypoints)
    R, K, _ = keypoints.shape
    n = xp.maximum((keypoints[..., 2] > 0).sum(axis=1), 1)[:, None]  # (R, 1)
    k = xp.arange(K)[None, :]  # (1, K)
    out = []
    for s in range(shifts):
        order = xp.where(k < n, (k + s) % n, k)  # (R, K)
        out.append(xp.take_along_axis(keypoints, order[:, :, None], axis=1))
    return xp.stack(out)


def keypoint_targets(
    gt_keypoints: Any, matched: Any, roi_boxes: Any, size: int, shifts: int
) -> tuple[Any, Any]:
    """Flat heat-map positions of each RoI's keypoints, for every cyclic order.

    Shapes: gt_keypoints (G, K, 3), matched (R,), roi_boxes (R, 4) → targets (S, R, K)
    int64 in [0, size²) and valid (S, R, K) bool (present and inside the RoI).
    A keypoint at x in a RoI [x1, x2) falls in column floor((x − x1) / (x2 − x1) · size);
    a keypoint on the right edge goes to the last column (torchvision's rule).
    """
    xp = backend.array_module(roi_boxes)
    kp = cyclic_orders(xp.asarray(gt_keypoints)[xp.asarray(matched)], shifts)  # (S, R, K, 3)
    x1, y1 = roi_boxes[None, :, 0, None], roi_boxes[None, :, 1, None]  # (1, R, 1)
    w = xp.maximum(roi_boxes[None, :, 2, None] - x1, 1e-6)
    h = xp.maximum(roi_boxes[None, :, 3, None] - y1, 1e-6)
    u, v = (kp[..., 0] - x1) / w * size, (kp[..., 1] - y1) / h * size
    col = xp.where(u == size, size - 1, xp.floor(u)).astype(xp.int64)
    row = xp.where(v == size, size - 1, xp.floor(v)).astype(xp.int64)
    valid = (kp[..., 2] > 0) & (col >= 0) & (col < size) & (row >= 0) & (row < size)
    return xp.where(valid, row * size + col, 0), valid
