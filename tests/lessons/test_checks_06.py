"""Lesson 06's checkers catch the usual mistakes, not only the empty skeleton."""

from __future__ import annotations

import numpy as np

from minidl.lessons.checks.lesson06 import (
    check_bilinear,
    check_box_iou,
    check_match_anchors,
    check_nms,
)
from minidl.lessons.solutions import lesson06 as solution


def test_solutions_pass():
    assert check_box_iou(solution.my_box_iou).ok
    assert check_nms(solution.my_nms).ok
    assert check_match_anchors(solution.my_match_anchors).ok
    assert check_bilinear(solution.my_bilinear, solution.my_roi_align).ok


def test_iou_with_plus_one_widths_fails():
    def plus_one(a, b):
        return solution.my_box_iou(a + [0, 0, 1, 1], b + [0, 0, 1, 1])

    result = check_box_iou(plus_one)
    assert not result.ok and "case 1 of" in result.failure


def test_iou_without_clipping_fails_on_disjoint_boxes():
    def unclipped(a, b):
        tl = np.maximum(a[:, None, :2], b[None, :, :2])
        br = np.minimum(a[:, None, 2:], b[None, :, 2:])
        inter = (br - tl).prod(-1)
        area = lambda r: (r[:, 2] - r[:, 0]) * (r[:, 3] - r[:, 1])  # noqa: E731
        return inter / (area(a)[:, None] + area(b)[None] - inter)

    result = check_box_iou(unclipped)
    assert not result.ok and "disjoint" in result.failure


def test_nms_comparing_with_suppressed_boxes_fails_on_the_chain():
    def eager(rows, scores, t):
        order = np.argsort(-scores, kind="stable")
        iou = solution.my_box_iou(rows[order], rows[order])
        removed = np.zeros(len(order), bool)
        for i in range(len(order)):
            removed |= (iou[i] > t) & (np.arange(len(order)) > i)  # also from removed boxes
        return order[~removed].astype(np.int64)

    result = check_nms(eager)
    assert not result.ok and "chain" in result.failure


def test_nms_with_an_unstable_sort_or_a_loose_threshold_fails():
    loose = check_nms(lambda b, s, t: solution.my_nms(b, s, t - 1e-9))
    assert not loose.ok and "exactly at the threshold" in loose.failure


def test_matching_that_lets_each_object_claim_one_anchor_only_fails_on_ties():
    def first_best_only(iou, high, low):
        N, G = iou.shape
        if G == 0:
            return np.full(N, -1, np.int64)
        best = iou.max(1)
        out = np.where(best >= high, iou.argmax(1), np.where(best < low, -1, -2))
        claimed = iou.argmax(0)[iou.max(0) > 0]  # argmax: only the first of tied anchors
        out[claimed] = iou.argmax(1)[claimed]
        return out.astype(np.int64)

    result = check_match_anchors(first_best_only)
    assert not result.ok and "tie" in result.failure


def test_bilinear_without_the_border_rules_fails():
    def no_rules(y, x, H, W):
        y0, x0 = int(np.floor(y)), int(np.floor(x))
        ly, lx = y - y0, x - x0
        return y0, y0 + 1, x0, x0 + 1, (1 - ly) * (1 - lx), (1 - ly) * lx, ly * (1 - lx), ly * lx

    result = check_bilinear(no_rules)
    assert not result.ok and "[-1, 0)" in result.failure
