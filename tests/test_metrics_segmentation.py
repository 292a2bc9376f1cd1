"""Segmentation metrics on hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from minidl import metrics as M

PRED = np.array([[0, 1, 1], [0, 0, 2]])
TRUE = np.array([[0, 1, 0], [0, 1, 2]])
# class 0: tp 2, fp 1 (pixel 4), fn 1 (pixel 2); class 1: tp 1, fp 1, fn 1; class 2: tp 1


def test_confusion_matrix_rows_are_truth():
    m = M.confusion_matrix(PRED, TRUE, 3)
    np.testing.assert_array_equal(m, [[2, 1, 0], [1, 1, 0], [0, 0, 1]])


def test_dice_and_iou_per_class():
    np.testing.assert_allclose(M.dice_per_class(PRED, TRUE, 3), [4 / 6, 2 / 4, 1.0])
    np.testing.assert_allclose(M.iou_per_class(PRED, TRUE, 3), [2 / 4, 1 / 3, 1.0])
    assert M.mean_dice(PRED, TRUE, 3) == pytest.approx((4 / 6 + 0.5 + 1) / 3)
    assert M.mean_iou(PRED, TRUE, 3, include_background=False) == pytest.approx((1 / 3 + 1) / 2)


def test_single_class_dice_iou_and_accuracy():
    assert M.dice(PRED, TRUE, cls=1) == pytest.approx(0.5)
    assert M.iou(PRED, TRUE, cls=1) == pytest.approx(1 / 3)
    assert M.pixel_accuracy(PRED, TRUE) == pytest.approx(4 / 6)


def test_absent_class_is_nan_per_class_and_perfect_for_single_class():
    zeros = np.zeros((2, 2), np.int64)
    assert math.isnan(M.dice_per_class(zeros, zeros, 2)[1])
    assert M.mean_dice(zeros, zeros, 2) == 1.0
    assert M.dice(zeros, zeros) == 1.0 and M.iou(zeros, zeros) == 1.0


def test_ignore_index_leaves_pixels_out():
    t = TRUE.copy()
    t[0, 2] = 255  # the one false positive of class 1
    assert M.dice(PRED[t != 255], t[t != 255]) == pytest.approx(
        M.dice_per_class(PRED, t, 3, ignore_index=255)[1]
    )
    assert M.pixel_accuracy(PRED, t, ignore_index=255) == pytest.approx(4 / 5)


def test_scores_become_labels_by_argmax_or_sign():
    scores = np.eye(3)[PRED].transpose(2, 0, 1)[None]  # (1, 3, 2, 3) one-hot scores
    assert M.pixel_accuracy(scores, TRUE[None]) == pytest.approx(4 / 6)
    logit = np.where(PRED == 1, 2.0, -2.0)[None, None]  # (1, 1, 2, 3)
    assert M.dice(logit, (TRUE == 1)[None].astype(np.int64)) == pytest.approx(0.5)


def test_dice_equals_two_iou_over_one_plus_iou():
    rng = np.random.default_rng(0)
    p, t = rng.integers(0, 2, (2, 16, 16)), rng.integers(0, 2, (2, 16, 16))
    d, j = M.dice(p, t), M.iou(p, t)
    assert d == pytest.approx(2 * j / (1 + j))


def test_errors():
    with pytest.raises(ValueError, match="differ in shape"):
        M.confusion_matrix(PRED, TRUE[:, :2], 3)
    with pytest.raises(ValueError, match="outside 0..1"):
        M.confusion_matrix(PRED, TRUE, 2)
