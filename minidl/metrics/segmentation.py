"""Segmentation metrics: pixel accuracy, Dice and IoU (per class and mean), on plain arrays.

Everything is computed from one confusion matrix, pooled over all pixels of all images given
(so a metric over a data set is not the mean of per-image metrics: an image with a tiny
tumour does not weigh as much as one with a large tumour).

``pred`` may be labels (N, *) or scores (N, C, *) (logits or probabilities, turned into
labels by argmax over axis 1, or by ``> 0`` for a single logit channel). NumPy or CuPy
arrays and Tensors are accepted; results are Python floats or NumPy arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..tensor import Tensor


def _plain(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def to_labels(pred: Any, target_ndim: int | None = None) -> Any:
    """Labels from scores: argmax over axis 1 of (N, C, *), or ``> 0`` when C == 1.

    Labels pass through unchanged: ``pred`` counts as scores when it has one more axis than
    the target (``target_ndim``), or, without a target, when it is floating point.
    """
    pred = _plain(pred)
    scores = pred.ndim == target_ndim + 1 if target_ndim is not None else pred.dtype.kind == "f"
    if not scores:
        return pred
    if pred.shape[1] == 1:
        return (pred[:, 0] > 0).astype(np.int64)
    return pred.argmax(axis=1)


def confusion_matrix(
    pred: Any, target: Any, num_classes: int, ignore_index: int | None = None
) -> np.ndarray:
    """Counts M[i, j] of pixels of true class i predicted as class j, int64 (C, C).

    Pixels whose target equals ``ignore_index`` are left out.
    """
    target = _plain(target)
    pred = to_labels(pred, target.ndim)
    if pred.shape != target.shape:
        raise ValueError(
            f"confusion_matrix: prediction {pred.shape} and target {target.shape} differ in shape"
        )
    xp = backend.array_module(target)
    pred, target = pred.ravel().astype(np.int64), target.ravel().astype(np.int64)
    if ignore_index is not None:
        keep = target != ignore_index
        pred, target = pred[keep], target[keep]
    for name, values in (("prediction", pred), ("target", target)):
        if values.size and (int(values.min()) < 0 or int(values.max()) >= num_classes):
            raise ValueError(
                f"confusion_matrix: {name} holds labels outside 0..{num_classes - 1} "
                f"(min {int(values.min())}, max {int(values.max())})"
            )
    counts = xp.bincount(target * num_classes + pred, minlength=num_classes**2)
    return backend.to_numpy(counts).reshape(num_classes, num_classes)


def _per_class(m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    tp = np.diag(m).astype(np.float64)
    return tp, m.sum(axis=0) - tp, m.sum(axis=1) - tp  # tp, false positives, false negatives


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def dice_per_class(
    pred: Any, target: Any, num_classes: int, ignore_index: int | None = None
) -> np.ndarray:
    """Dice_c = 2 TP / (2 TP + FP + FN) for every class c, float64 (C,).

    NaN for a class absent from both prediction and truth (nothing to score).
    Reference: Dice 1945; equal to the F1 score of the class.
    """
    tp, fp, fn = _per_class(confusion_matrix(pred, target, num_classes, ignore_index))
    return _ratio(2 * tp, 2 * tp + fp + fn)


def iou_per_class(
    pred: Any, target: Any, num_classes: int, ignore_index: int | None = None
) -> np.ndarray:
    """IoU_c = TP / (TP + FP + FN) (Jaccard index) for every class, float64 (C,); NaN as
    in `dice_per_class`. IoU = Dice / (2 − Dice), so both rank predictions alike."""
    tp, fp, fn = _per_class(confusion_matrix(pred, target, num_classes, ignore_index))
    return _ratio(tp, tp + fp + fn)


def _mean(values: np.ndarray, include_background: bool) -> float:
    values = values if include_background else values[1:]
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")


def mean_dice(
    pred: Any,
    target: Any,
    num_classes: int,
    ignore_index: int | None = None,
    include_background: bool = True,
) -> float:
    """Mean over classes of `dice_per_class` (NaN classes left out)."""
    return _mean(dice_per_class(pred, target, num_classes, ignore_index), include_background)


def mean_iou(
    pred: Any,
    target: Any,
    num_classes: int,
    ignore_index: int | None = None,
    include_background: bool = True,
) -> float:
    """Mean over classes of `iou_per_class` (mIoU; NaN classes left out)."""
    return _mean(iou_per_class(pred, target, num_classes, ignore_index), include_background)


def dice(pred: Any, target: Any, cls: int = 1) -> float:
    """Dice of one class (the tumour, by default), pooled over all pixels.

    1.0 when the class is absent from both prediction and truth (a correct empty answer).
    """
    return _binary(pred, target, cls, lambda tp, fp, fn: 2 * tp / (2 * tp + fp + fn))


def iou(pred: Any, target: Any, cls: int = 1) -> float:
    """IoU of one class, pooled over all pixels; 1.0 when absent from both."""
    return _binary(pred, target, cls, lambda tp, fp, fn: tp / (tp + fp + fn))


def _binary(pred: Any, target: Any, cls: int, formula: Any) -> float:
    target = _plain(target)
    pred = to_labels(pred, target.ndim)
    if pred.shape != target.shape:
        raise ValueError(f"dice/iou: prediction {pred.shape} and target {target.shape} differ")
    p, t = pred == cls, target == cls
    tp, fp, fn = (int((a & b).sum()) for a, b in ((p, t), (p, ~t), (~p, t)))
    return 1.0 if tp + fp + fn == 0 else float(formula(tp, fp, fn))


def pixel_accuracy(pred: Any, target: Any, ignore_index: int | None = None) -> float:
    """Fraction of (non-ignored) pixels whose predicted label equals the truth."""
    target = _plain(target)
    pred = to_labels(pred, target.ndim)
    if pred.shape != target.shape:
        raise ValueError(
            f"pixel_accuracy: prediction {pred.shape} and target {target.shape} differ in shape"
        )
    keep = target != ignore_index if ignore_index is not None else target == target
    total = int(keep.sum())
    return float(int(((pred == target) & keep).sum()) / total) if total else float("nan")
