"""Which box learns what: matching predictions (anchors, proposals) to ground-truth boxes,
and sampling a balanced set of positives and negatives from the matches.

Both stages of Mask R-CNN use these two steps with different thresholds: the RPN labels
anchors (IoU >= 0.7 positive, < 0.3 negative, in between ignored), the RoI heads label
proposals (IoU >= 0.5 positive, < 0.5 negative). Plain arrays, no autograd.
Reference: Ren et al. 2015 ("Faster R-CNN", §3.1.2); torchvision's ``Matcher`` and
``BalancedPositiveNegativeSampler``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import backend

BACKGROUND = -1  # IoU below the low threshold with every ground-truth box
IGNORED = -2  # IoU between the thresholds: neither taught as object nor as background


def match_boxes(iou: Any, high: float, low: float, allow_low_quality: bool = False) -> Any:
    """The ground-truth box each prediction is matched to, or BACKGROUND / IGNORED.

    Shapes: iou (N predictions, G ground-truth boxes) → (N,) int64.

    matched[i] = argmax_g iou[i, g] if max_g iou[i, g] >= high; BACKGROUND if it is < low;
    IGNORED otherwise. With ``allow_low_quality``, every ground-truth box also claims the
    predictions that overlap it best (ties included), even below ``high``: a small object
    whose best anchor reaches only IoU 0.4 would otherwise never be taught to the RPN.
    No ground-truth boxes (G = 0): everything is background.
    """
    xp = backend.array_module(iou)
    N, G = iou.shape
    if G == 0:
        return xp.full(N, BACKGROUND, dtype=xp.int64)
    best = iou.max(axis=1)
    matched = iou.argmax(axis=1).astype(xp.int64)
    matched = xp.where(best < high, IGNORED, matched)
    matched = xp.where(best < low, BACKGROUND, matched)
    if allow_low_quality:
        best_per_gt = iou.max(axis=0)  # (G,)
        # `> 0`: a ground-truth box that touches no prediction at all claims none of them
        rows = ((iou == best_per_gt[None, :]) & (best_per_gt[None, :] > 0)).any(axis=1)
        matched = xp.where(rows, iou.argmax(axis=1), matched)
    return matched


def sample_matches(
    matched: Any, num: int, positive_fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Random positives (matched >= 0) and negatives (BACKGROUND) to train on.

    Returns host int64 index arrays (pos, neg): at most ``num · positive_fraction``
    positives, and negatives to fill up to ``num`` (fewer when there are not enough).
    Balancing matters because an image has thousands of background anchors and a handful
    of objects: without it the classifier learns to say "background" everywhere.
    """
    matched = backend.to_numpy(matched)
    positives = np.flatnonzero(matched >= 0)
    negatives = np.flatnonzero(matched == BACKGROUND)
    n_pos = min(int(num * positive_fraction), len(positives))
    n_neg = min(num - n_pos, len(negatives))
    pos = rng.choice(positives, n_pos, replace=False) if n_pos else positives[:0]
    neg = rng.choice(negatives, n_neg, replace=False) if n_neg else negatives[:0]
    return pos.astype(np.int64), neg.astype(np.int64)
