"""minidl.boxes: hand-computed cases and brute-force oracles (plain Python loops)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from minidl.boxes import (
    DELTA_CLIP,
    batched_nms,
    box_iou,
    clip_boxes,
    decode_boxes,
    encode_boxes,
    make_anchors,
    nms,
    remove_small_boxes,
)


def random_boxes(rng, n, size=100.0):
    xy = rng.uniform(0, size, (n, 2))
    return np.hstack([xy, xy + rng.uniform(1, size / 2, (n, 2))])


def iou_loops(a, b):
    """IoU of two boxes, written out."""
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def nms_loops(boxes, scores, threshold):
    """Greedy NMS, written out: best first, drop the boxes that overlap a kept one too much."""
    order = sorted(range(len(boxes)), key=lambda i: (-scores[i], i))
    keep = []
    for i in order:
        if all(iou_loops(boxes[i], boxes[j]) <= threshold for j in keep):
            keep.append(i)
    return keep


def test_box_iou_hand_cases_and_brute_force():
    a = np.array([[0, 0, 2, 2], [0, 0, 4, 4], [0, 0, 2, 2.0]])
    b = np.array([[1, 0, 3, 2], [1, 1, 3, 3], [2, 0, 4, 2.0]])
    expected = [[1 / 3, 1 / 7, 0.0], [4 / 16, 4 / 16, 4 / 16], [1 / 3, 1 / 7, 0.0]]
    np.testing.assert_allclose(box_iou(a, b), expected, rtol=1e-15)
    np.testing.assert_allclose(box_iou(a, a).diagonal(), 1.0)
    rng = np.random.default_rng(0)
    a, b = random_boxes(rng, 7), random_boxes(rng, 5)
    brute = [[iou_loops(p, q) for q in b] for p in a]
    np.testing.assert_allclose(box_iou(a, b), brute, rtol=1e-12)
    assert box_iou(a, b).shape == (7, 5) and box_iou(a[:0], b).shape == (0, 5)


def test_encode_hand_case_and_weights():
    anchor, gt = np.array([[0, 0, 10, 10.0]]), np.array([[5, 5, 15, 25.0]])
    # Anchor: centre (5, 5), 10 × 10. Ground truth: centre (10, 15), 10 × 20.
    np.testing.assert_allclose(encode_boxes(anchor, gt), [[0.5, 1.0, 0.0, math.log(2)]])
    deltas = encode_boxes(anchor, gt, weights=(10, 10, 5, 5))
    np.testing.assert_allclose(deltas, [[5.0, 10.0, 0.0, 5 * math.log(2)]])
    np.testing.assert_allclose(decode_boxes(deltas, anchor, weights=(10, 10, 5, 5)), gt)


def test_decode_inverts_encode_and_clamps_the_size():
    rng = np.random.default_rng(1)
    anchors, gt = random_boxes(rng, 50), random_boxes(rng, 50)
    weights = (10.0, 10.0, 5.0, 5.0)
    deltas = encode_boxes(anchors, gt, weights)
    np.testing.assert_allclose(decode_boxes(deltas, anchors, weights), gt, rtol=1e-12)
    # Per-class deltas (N, K, 4) against boxes (N, 1, 4).
    per_class = np.stack([deltas, np.zeros_like(deltas)], axis=1)
    decoded = decode_boxes(per_class, anchors[:, None, :], weights)
    np.testing.assert_allclose(decoded[:, 0], gt, rtol=1e-12)
    np.testing.assert_allclose(decoded[:, 1], anchors, rtol=1e-12)
    # A huge dw is clamped: the width grows by exp(DELTA_CLIP) = 62.5, not by exp(100).
    grown = decode_boxes(np.array([[0, 0, 100.0, -100.0]]), np.array([[0, 0, 2, 2.0]]))
    assert grown[0, 2] - grown[0, 0] == pytest.approx(2 * math.exp(DELTA_CLIP)) == 125.0
    assert grown[0, 3] - grown[0, 1] == pytest.approx(2 * math.exp(-100.0))


def test_nms_hand_case_ties_and_strict_threshold():
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [20, 20, 30, 30], [0, 0, 10, 10.0]])
    scores = np.array([0.9, 0.8, 0.7, 0.9])
    # Box 1 overlaps box 0 with IoU 90/110; box 3 is box 0 with the same score (index wins).
    keep = nms(boxes, scores, 0.5)
    assert keep.dtype == np.int64 and keep.tolist() == [0, 2]
    assert nms(boxes, scores, 90 / 110).tolist() == [0, 1, 2]  # IoU == threshold is kept
    assert nms(boxes[:0], scores[:0], 0.5).tolist() == []


@pytest.mark.parametrize("threshold", [0.2, 0.5, 0.8])
def test_nms_equals_brute_force(threshold):
    rng = np.random.default_rng(int(10 * threshold))
    boxes = random_boxes(rng, 300)
    # torchvision's test trick: the last box has IoU just above the threshold with the first.
    boxes[-1] = boxes[0]
    boxes[-1, 2] += (boxes[0, 2] - boxes[0, 0]) * (1 - threshold) / (threshold + 1e-5)
    scores = rng.uniform(size=300)
    keep = nms(boxes, scores, threshold)
    assert keep.tolist() == nms_loops(boxes, scores, threshold)
    assert np.all(np.diff(scores[keep]) <= 0)


def test_batched_nms_suppresses_within_groups_only():
    rng = np.random.default_rng(3)
    boxes, scores = random_boxes(rng, 120), rng.uniform(size=120)
    groups = rng.integers(0, 3, 120)
    keep = batched_nms(boxes, scores, groups, 0.4)
    expected = []
    for g in range(3):
        members = np.nonzero(groups == g)[0]
        expected += [int(members[i]) for i in nms_loops(boxes[members], scores[members], 0.4)]
    assert sorted(keep.tolist()) == sorted(expected)
    assert np.all(np.diff(scores[keep]) <= 0)
    same = np.array([[0, 0, 10, 10], [0, 0, 10, 10.0]])
    assert batched_nms(same, np.array([0.5, 0.6]), np.array([0, 1]), 0.5).tolist() == [1, 0]


def test_nms_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"nms: expected boxes \(N, 4\) and scores \(N,\)"):
        nms(np.zeros((3, 4)), np.zeros(4), 0.5)
    with pytest.raises(ValueError, match="batched_nms: expected groups of shape"):
        batched_nms(np.zeros((3, 4)), np.zeros(3), np.zeros(2), 0.5)


def test_make_anchors_order_sizes_and_ratios():
    anchors = make_anchors((2, 3), 8, sizes=(16, 32), aspect_ratios=(0.5, 1.0, 2.0))
    assert anchors.shape == (2 * 3 * 6, 4) and anchors.dtype == np.float32
    grid = anchors.reshape(2, 3, 3, 2, 4).astype(np.float64)  # (H, W, ratio, size, 4)
    for i, j, r, s in itertools.product(range(2), range(3), range(3), range(2)):
        x1, y1, x2, y2 = grid[i, j, r, s]
        assert ((x1 + x2) / 2, (y1 + y2) / 2) == pytest.approx(((j + 0.5) * 8, (i + 0.5) * 8))
        assert (x2 - x1) * (y2 - y1) == pytest.approx((16, 32)[s] ** 2, rel=1e-6)
        assert (y2 - y1) / (x2 - x1) == pytest.approx((0.5, 1.0, 2.0)[r], rel=1e-6)
    half_w, half_h = 16 / math.sqrt(0.5) / 2, 16 * math.sqrt(0.5) / 2  # ratio 0.5, size 16
    np.testing.assert_allclose(anchors[0], [4 - half_w, 4 - half_h, 4 + half_w, 4 + half_h])


def test_make_anchors_torchvision_grid_and_strides():
    # offset 0 puts the centres on (j * stride_w, i * stride_h), torchvision's grid.
    anchors = make_anchors((3, 2), (8, 4), sizes=(4,), aspect_ratios=(1.0,), offset=0.0)
    centres = (anchors[:, :2] + anchors[:, 2:]) / 2
    np.testing.assert_array_equal(centres, [[0, 0], [4, 0], [0, 8], [4, 8], [0, 16], [4, 16]])
    np.testing.assert_array_equal(anchors[0], [-2, -2, 2, 2])


def test_clip_and_remove_small_boxes():
    boxes = np.array([[-5, -1, 20, 9], [2, 3, 4, 3.5], [1, 1, 8, 6.0]])
    np.testing.assert_array_equal(
        clip_boxes(boxes, (8, 10)), [[0, 0, 10, 8], [2, 3, 4, 3.5], [1, 1, 8, 6]]
    )
    assert remove_small_boxes(boxes, 1.0).tolist() == [0, 2]
    assert remove_small_boxes(boxes, 0.5).tolist() == [0, 1, 2]
    assert remove_small_boxes(boxes, 0.5).dtype == np.int64
