"""Detection metrics: average precision of boxes and masks (COCO-style), mask IoU, PCK.

Plain arrays in (predictions and targets as dicts of NumPy arrays, one per image), floats
out. Conventions follow the COCO evaluation (``pycocotools.cocoeval``): detections are
matched greedily in order of decreasing score, each to the unmatched ground-truth object it
overlaps most with IoU >= threshold; precision is made monotone and read at 101 recall
points 0, 0.01, ..., 1; classes without ground truth are left out of the mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..backend import to_numpy
from ..boxes import box_iou

Record = dict[str, Any]  # "boxes" (D, 4), "labels" (D,), optional "scores", "masks", "keypoints"


def mask_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every pair of binary masks: a (N, H, W), b (M, H, W) → (N, M).

    |a ∩ b| / |a ∪ b|, computed as one matrix product of the flattened masks; two empty
    masks have IoU 0.
    """
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    pixels = int(np.prod(a.shape[1:]))  # not reshape(-1): a or b may hold no masks
    a = a.reshape(len(a), pixels).astype(np.float64)
    b = b.reshape(len(b), pixels).astype(np.float64)
    inter = a @ b.T
    union = a.sum(1)[:, None] + b.sum(1)[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def match_detections(iou: np.ndarray, iou_threshold: float = 0.5) -> np.ndarray:
    """COCO's greedy matching: for detections sorted by decreasing score, the index of the
    ground-truth object each one claims, or −1 (a false positive).

    Shapes: iou (D, G) → (D,) int64. A detection claims the still unmatched object it
    overlaps most, if that IoU is >= ``iou_threshold``; a second detection of an already
    claimed object is a false positive (a duplicate).
    """
    D, G = iou.shape
    claimed = np.zeros(G, bool)
    out = np.full(D, -1, np.int64)
    for d in range(D):
        free = np.where(claimed, -1.0, iou[d])
        g = int(free.argmax()) if G else -1
        if G and free[g] >= iou_threshold:
            claimed[g], out[d] = True, g
    return out


def interpolated_ap(scores: np.ndarray, true_positive: np.ndarray, num_gt: int) -> float:
    """Area under the precision–recall curve, COCO's 101-point interpolation.

    Shapes: scores (D,), true_positive (D,) bool, over all images. Sort by score; at each
    rank, precision = TP / rank, recall = TP / num_gt; precision is replaced by its maximum
    at any higher recall (the monotone envelope); AP = mean over r in {0, 0.01, ..., 1} of
    the precision at the first rank reaching recall r (0 if none does).
    """
    if num_gt == 0:
        raise ValueError("interpolated_ap: recall is undefined without ground-truth objects")
    order = np.argsort(-np.asarray(scores, np.float64), kind="mergesort")  # COCO's sort
    tp = np.asarray(true_positive, bool)[order]
    hits = np.cumsum(tp)
    precision = hits / np.arange(1, len(tp) + 1)
    recall = hits / num_gt
    precision = np.maximum.accumulate(precision[::-1])[::-1]  # the envelope
    at = np.searchsorted(recall, np.linspace(0, 1, 101), side="left")
    reached = at < len(precision)
    return float(np.where(reached, precision[np.minimum(at, len(precision) - 1)], 0.0).mean())


def _iou(pred: Record, truth: Record, kind: str, p_idx: np.ndarray, t_idx: np.ndarray):
    if kind == "box":
        return to_numpy(
            box_iou(np.asarray(pred["boxes"])[p_idx], np.asarray(truth["boxes"])[t_idx])
        )
    if kind == "mask":
        return mask_iou(np.asarray(pred["masks"])[p_idx], np.asarray(truth["masks"])[t_idx])
    raise ValueError(f"average_precision: kind must be 'box' or 'mask', got {kind!r}")


def ap_per_class(
    predictions: Sequence[Record],
    targets: Sequence[Record],
    kind: str = "box",
    iou_threshold: float = 0.5,
    class_agnostic: bool = False,
) -> dict[int, float]:
    """AP of each class that has ground truth: {label: AP}. See `average_precision`."""
    if len(predictions) != len(targets):
        raise ValueError(
            f"average_precision: {len(predictions)} predictions for {len(targets)} images"
        )

    def labels_of(r: Record) -> np.ndarray:
        labels = np.asarray(to_numpy(r["labels"]), np.int64)
        return np.ones_like(labels) if class_agnostic else labels

    classes = sorted({int(c) for t in targets for c in labels_of(t)})
    result = {}
    for c in classes:
        scores, hits, num_gt = [], [], 0
        for pred, truth in zip(predictions, targets):
            p_idx = np.flatnonzero(labels_of(pred) == c)
            t_idx = np.flatnonzero(labels_of(truth) == c)
            s = np.asarray(to_numpy(pred["scores"]), np.float64)[p_idx]
            order = np.argsort(-s, kind="mergesort")
            p_idx, s = p_idx[order], s[order]
            num_gt += len(t_idx)
            if len(p_idx):
                iou = _iou(pred, truth, kind, p_idx, t_idx).reshape(len(p_idx), len(t_idx))
                hits.append(match_detections(iou, iou_threshold) >= 0)
                scores.append(s)
        if not scores:
            result[c] = 0.0
            continue
        result[c] = interpolated_ap(np.concatenate(scores), np.concatenate(hits), num_gt)
    return result


def average_precision(
    predictions: Sequence[Record],
    targets: Sequence[Record],
    kind: str = "box",
    iou_threshold: float = 0.5,
    class_agnostic: bool = False,
) -> float:
    """Mean over classes of the AP at one IoU threshold (AP50 by default), boxes or masks.

    predictions: per image "boxes" (D, 4), "scores" (D,), "labels" (D,) and, for
    kind="mask", "masks" (D, H, W) bool; targets: per image "boxes", "labels" (, "masks").
    ``class_agnostic`` treats every object as one class (e.g. coins found as circles).
    NaN when no image has any ground truth.
    """
    per_class = ap_per_class(predictions, targets, kind, iou_threshold, class_agnostic)
    return float(np.mean(list(per_class.values()))) if per_class else float("nan")


def _best_cyclic_error(pred: np.ndarray, truth: np.ndarray, n: int) -> np.ndarray:
    """Distances (n,) of the n ground-truth vertices to the predictions under the cyclic
    shift of the predicted order that brings them closest in total."""
    best = None
    for s in range(n):
        d = np.linalg.norm(pred[(np.arange(n) + s) % n, :2] - truth[:n, :2], axis=1)
        if best is None or d.sum() < best.sum():
            best = d
    return best


def keypoint_pck(
    predictions: Sequence[Record],
    targets: Sequence[Record],
    alpha: float = 0.1,
    iou_threshold: float = 0.5,
    cyclic: bool = True,
    classes: Sequence[int] | None = None,
) -> float:
    """Percentage of correct keypoints: the fraction of ground-truth keypoints (v > 0) that
    a detection of their object puts within ``alpha · max(box width, height)``.

    Each object is matched to a detection of its class (box IoU >= ``iou_threshold``,
    COCO's greedy matching); the keypoints of an object nobody detected count as missed.
    Keypoints rows are ``[x, y, v]`` (truth) and ``[x, y, p]`` (predictions), present ones
    first. ``cyclic``: the vertices of a symmetric shape have no natural first one, so the
    predicted list is compared under its best cyclic shift (orientation kept).
    ``classes``: score only the objects of these classes (e.g. the stick figures' joints).
    NaN when there are no ground-truth keypoints.
    """
    correct = total = 0
    for pred, truth in zip(predictions, targets):
        t_kp = np.asarray(to_numpy(truth["keypoints"]), np.float64)
        t_box = np.asarray(to_numpy(truth["boxes"]), np.float64)
        t_lab = np.asarray(to_numpy(truth["labels"]))
        p_lab = np.asarray(to_numpy(pred["labels"]))
        order = np.argsort(-np.asarray(to_numpy(pred["scores"])), kind="mergesort")
        p_box = np.asarray(to_numpy(pred["boxes"]), np.float64)[order]
        iou = (
            box_iou(p_box, t_box)
            if len(p_box) and len(t_box)
            else np.zeros((len(p_box), len(t_box)))
        )
        iou = np.where(p_lab[order][:, None] == t_lab[None, :], iou, 0.0)
        claimed = match_detections(iou, iou_threshold)
        owner = {int(g): int(order[d]) for d, g in enumerate(claimed) if g >= 0}
        for g in range(len(t_box)):
            n = int((t_kp[g, :, 2] > 0).sum())
            if n == 0 or (classes is not None and int(t_lab[g]) not in classes):
                continue
            total += n
            if g not in owner:
                continue
            p_kp = np.asarray(to_numpy(pred["keypoints"]), np.float64)[owner[g]]
            if cyclic:
                err = _best_cyclic_error(p_kp, t_kp[g], n)
            else:
                err = np.linalg.norm(p_kp[:n, :2] - t_kp[g, :n, :2], axis=1)
            size = max(t_box[g, 2] - t_box[g, 0], t_box[g, 3] - t_box[g, 1])
            correct += int((err <= alpha * size).sum())
    return correct / total if total else float("nan")
