"""Detection metrics on hand-computed cases: COCO matching, 101-point AP, mask IoU, PCK."""

from __future__ import annotations

import numpy as np
import pytest

from minidl.metrics.detection import (
    ap_per_class,
    average_precision,
    interpolated_ap,
    keypoint_pck,
    mask_iou,
    match_detections,
)


def test_interpolated_ap_hand_case():
    # 2 objects; ranked detections TP, FP, TP: precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1.
    # Envelope 1, 2/3, 2/3: recall points 0..0.50 (51 of them) read 1, 0.51..1 (50) read 2/3.
    ap = interpolated_ap(np.array([0.9, 0.8, 0.7]), np.array([True, False, True]), 2)
    assert ap == pytest.approx((51 + 50 * 2 / 3) / 101)


def test_interpolated_ap_perfect_missing_and_order():
    assert interpolated_ap(np.array([0.3, 0.9]), np.array([True, True]), 2) == 1.0
    # half the objects never found: recall stops at 1/2
    assert interpolated_ap(np.array([0.9]), np.array([True]), 2) == pytest.approx(51 / 101)
    # scores, not list order, rank the detections: the FP ranked first costs precision
    ap = interpolated_ap(np.array([0.2, 0.9]), np.array([True, False]), 1)
    assert ap == pytest.approx(0.5)
    with pytest.raises(ValueError, match="without ground-truth"):
        interpolated_ap(np.array([0.5]), np.array([True]), 0)


def test_match_detections_greedy_and_duplicates():
    iou = np.array([[0.6, 0.8], [0.7, 0.9], [0.55, 0.1], [0.3, 0.2]])
    # d0 takes g1 (its best), d1's best g1 is taken so it takes g0, d2 finds nothing free
    # above 0.5 (a duplicate), d3 overlaps too little
    assert match_detections(iou, 0.5).tolist() == [1, 0, -1, -1]
    assert match_detections(np.zeros((2, 0)), 0.5).tolist() == [-1, -1]


def test_mask_iou_hand_case():
    a = np.zeros((2, 4, 4), bool)
    a[0, :2, :2] = True  # 4 pixels
    b = np.zeros((2, 4, 4), bool)
    b[0, :2, :] = True  # 8 pixels, contains a[0]
    iou = mask_iou(a, b)
    assert iou.tolist() == [[0.5, 0.0], [0.0, 0.0]]  # empty vs empty is 0, not NaN
    assert mask_iou(a, b[:0]).shape == (2, 0) and mask_iou(a[:0], b).shape == (0, 2)


def _record(boxes, labels, scores=None, masks=None, keypoints=None):
    r = {"boxes": np.asarray(boxes, np.float32).reshape(-1, 4), "labels": np.asarray(labels)}
    if scores is not None:
        r["scores"] = np.asarray(scores, np.float32)
    if masks is not None:
        r["masks"] = masks
    if keypoints is not None:
        r["keypoints"] = np.asarray(keypoints, np.float32)
    return r


def test_average_precision_per_class_and_agnostic():
    truth = [_record([[0, 0, 10, 10], [20, 20, 30, 30]], [1, 2])]
    # class 1 found; the class-2 object is found but called class 1 (a FP for class 1)
    pred = [_record([[0, 0, 10, 10], [20, 20, 30, 30]], [1, 1], [0.9, 0.8])]
    per_class = ap_per_class(pred, truth, "box")
    assert per_class[1] == 1.0  # its FP comes after the TP, with recall already 1
    assert per_class[2] == 0.0  # nothing predicted as class 2
    assert average_precision(pred, truth, "box") == 0.5
    assert average_precision(pred, truth, "box", class_agnostic=True) == 1.0
    # a class absent from the ground truth is left out of the mean
    pred[0]["labels"] = np.array([1, 3])
    assert set(ap_per_class(pred, truth)) == {1, 2}


def test_average_precision_masks_and_threshold():
    H = W = 8
    t_mask = np.zeros((1, H, W), bool)
    t_mask[0, 2:6, 2:6] = True  # 16 pixels
    p_mask = np.zeros((1, H, W), bool)
    p_mask[0, 2:6, 2:5] = True  # 12 of them: IoU 0.75
    truth = [_record([[2, 2, 6, 6]], [1], masks=t_mask)]
    pred = [_record([[2, 2, 6, 6]], [1], [0.9], masks=p_mask)]
    assert average_precision(pred, truth, "mask", iou_threshold=0.5) == 1.0
    # a second image with a detection but no object of that class: one FP, ranked last
    empty = _record(np.zeros((0, 4)), np.zeros(0, int), masks=np.zeros((0, H, W), bool))
    pred2 = _record([[0, 0, 3, 3]], [1], [0.1], masks=p_mask)
    assert average_precision(pred + [pred2], truth + [empty], "mask") == 1.0
    assert average_precision(pred, truth, "mask", iou_threshold=0.8) == 0.0
    with pytest.raises(ValueError, match="kind"):
        average_precision(pred, truth, "polygon")
    with pytest.raises(ValueError, match="2 predictions for 1 images"):
        average_precision(pred * 2, truth, "box")


def test_keypoint_pck_cyclic_and_missed_objects():
    square = [[0, 0, 2], [10, 0, 2], [10, 10, 1], [0, 10, 2]]
    truth = [
        _record(
            [[0, 0, 10, 10], [40, 40, 50, 50]],
            [2, 2],
            keypoints=[square, np.array(square) + [40, 40, 0]],
        )
    ]
    # the first square's corners in another cyclic order, one of them 1.5 px off
    # (alpha 0.1 · 10 px = 1 px: wrong); the second square is not detected at all
    shifted = [[10, 1.5, 0.9], [10, 10, 0.9], [0, 10, 0.9], [0, 0, 0.9]]
    pred = [_record([[0, 0, 10, 10]], [2], [0.9], keypoints=[shifted])]
    assert keypoint_pck(pred, truth, alpha=0.1) == pytest.approx(3 / 8)
    assert keypoint_pck(pred, truth, alpha=0.2) == pytest.approx(4 / 8)
    assert keypoint_pck(pred, truth, alpha=0.2, cyclic=False) == 0.0
    # a detection of the wrong class does not count
    pred[0]["labels"] = np.array([3])
    assert keypoint_pck(pred, truth, alpha=0.2) == 0.0
    circles = [_record([[0, 0, 4, 4]], [1], keypoints=np.zeros((1, 4, 3)))]
    assert np.isnan(keypoint_pck(pred, circles))


def test_keypoint_pck_of_some_classes_only():
    square = [[0, 0, 2], [10, 0, 2], [10, 10, 2], [0, 10, 2]]
    figure = [[45, 41, 2], [49, 44, 2], [48, 49, 2], [45, 46, 2], [42, 49, 2], [41, 44, 2]]
    truth = [
        _record(
            [[0, 0, 10, 10], [40, 40, 50, 50]], [2, 4], keypoints=[square + [[0, 0, 0]] * 2, figure]
        )
    ]
    # the square's corners are right, the figure's joints all 3 px off (alpha 0.2 · 10 = 2 px)
    moved = np.array(figure, float) + [3, 0, 0]
    pred = [
        _record(
            [[0, 0, 10, 10], [40, 40, 50, 50]],
            [2, 4],
            [0.9, 0.8],
            keypoints=[square + [[0, 0, 0]] * 2, moved],
        )
    ]
    assert keypoint_pck(pred, truth, alpha=0.2) == pytest.approx(4 / 10)
    assert keypoint_pck(pred, truth, alpha=0.2, classes=[4]) == 0.0
    assert keypoint_pck(pred, truth, alpha=0.2, classes=[2]) == 1.0
    assert keypoint_pck(pred, truth, alpha=0.4, classes=(4,)) == 1.0
    assert np.isnan(keypoint_pck(pred, truth, classes=[3]))
