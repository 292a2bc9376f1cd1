"""The Mask R-CNN demo's helpers (the full demo is too slow for the test suite)."""

from __future__ import annotations

import numpy as np

from minidl.data.shapes import CLASS_NAMES, FIGURE, JOINTS, masks_to_boxes, shapes_scenes
from minidl.demos.maskrcnn import (
    DEFAULT,
    KEYPOINTS_PER_CLASS,
    QUICK,
    coins_scene,
    figure_pairs,
    plot_skeletons,
)


def test_coins_scene_is_scaled_consistently():
    coins = coins_scene(0.4)
    assert coins.image.shape == (3, 121, 154) and coins.image.dtype == np.float32
    K = len(coins.labels)
    assert coins.masks.shape == (K, 121, 154) and K >= 20
    # boxes scaled from the full-size recipe agree with the scaled masks to a pixel or so
    np.testing.assert_allclose(coins.boxes, masks_to_boxes(coins.masks), atol=1.5)
    widths = coins.boxes[:, 2] - coins.boxes[:, 0]
    assert 12 <= widths.min() and widths.max() <= 28  # about the training shapes' sizes


def test_quick_is_a_smaller_run_of_the_same_thing():
    assert QUICK.steps < DEFAULT.steps and QUICK.train_scenes < DEFAULT.train_scenes
    assert (QUICK.size, QUICK.batch_size) == (DEFAULT.size, DEFAULT.batch_size)


def _perfect(scenes):
    """Predictions equal to the truth (score 1), with each figure's joints rotated by 2."""
    found = []
    for s in scenes:
        kp = s.keypoints.copy()
        figures = s.labels == FIGURE
        kp[figures] = np.roll(kp[figures], 2, axis=1)
        found.append(
            {
                "boxes": s.boxes,
                "labels": s.labels,
                "scores": np.ones(len(s.labels)),
                "keypoints": kp,
            }
        )
    return found


def test_figure_pairs_undo_a_cyclic_relabelling_of_the_joints():
    scenes = shapes_scenes(12, 64, seed=3, figures=True)
    pairs = figure_pairs(_perfect(scenes), scenes)
    assert len(pairs) == sum(int((s.labels == FIGURE).sum()) for s in scenes) > 0
    for _, _, truth, pred in pairs:
        np.testing.assert_array_equal(pred, truth)
        assert len(truth) == len(JOINTS)
    fig = plot_skeletons(_perfect(scenes), scenes, count=3)
    assert len(fig.axes) == min(3, len(pairs))
    assert "6/6 joints" in fig.axes[0].get_title()


def test_the_model_has_one_keypoint_map_per_joint():
    assert len(KEYPOINTS_PER_CLASS) == len(CLASS_NAMES)
    assert KEYPOINTS_PER_CLASS[FIGURE] == len(JOINTS) == max(KEYPOINTS_PER_CLASS)
