"""The Mask R-CNN demo's helpers (the full demo is too slow for the test suite)."""

from __future__ import annotations

import numpy as np

from minidl.data.shapes import masks_to_boxes
from minidl.demos.maskrcnn import DEFAULT, QUICK, coins_scene


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
