"""Shapes scenes and coins: masks, boxes, labels and keypoints agree with each other."""

from __future__ import annotations

import numpy as np
import pytest

from minidl.data import DataLoader, coins_instances, masks_to_boxes, shapes_scenes
from minidl.data.shapes import FIGURE, JOINTS, SKELETON
from minidl.models.maskrcnn.training import hflip


@pytest.fixture(scope="module")
def scenes():
    return shapes_scenes(60, size=64, channels=3, seed=0)


def test_scene_arrays(scenes):
    for s in scenes:
        K = len(s.labels)
        assert 1 <= K <= 6
        assert s.image.shape == (3, 64, 64) and s.image.dtype == np.float32
        assert 0 <= s.image.min() and s.image.max() <= 1
        assert s.masks.shape == (K, 64, 64) and s.masks.dtype == bool
        assert s.boxes.shape == (K, 4) and s.boxes.dtype == np.float32
        assert s.labels.dtype == np.int64 and set(s.labels) <= {1, 2, 3}
        assert s.keypoints.shape == (K, 4, 3) and s.keypoints.dtype == np.float32


def test_masks_are_visible_disjoint_and_not_tiny(scenes):
    for s in scenes:
        assert s.masks.sum(axis=0).max() <= 1  # a pixel belongs to one visible instance
        assert s.masks.sum(axis=(1, 2)).min() >= 12


def test_boxes_are_tight_around_the_masks(scenes):
    for s in scenes:
        for mask, (x1, y1, x2, y2) in zip(s.masks, s.boxes.astype(int), strict=True):
            rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
            assert (x1, y1, x2, y2) == (cols[0], rows[0], cols[-1] + 1, rows[-1] + 1)
            assert mask[y1:y2, x1:x2].sum() == mask.sum()


def test_keypoints_follow_the_classes(scenes):
    counts = {1: 0, 2: 4, 3: 3}
    for s in scenes:
        for label, kp in zip(s.labels, s.keypoints, strict=True):
            real = kp[:, 2] > 0
            assert real.sum() == counts[label] and real[: counts[label]].all()
            assert (kp[~real] == 0).all()
            assert (kp[real, :2] >= 0).all() and (kp[real, :2] <= 64).all()
            assert set(kp[real, 2]) <= {1, 2}


def test_visible_keypoints_lie_on_their_own_visible_mask(scenes):
    hits, total = 0, 0
    for s in scenes:
        for mask, kp in zip(s.masks, s.keypoints, strict=True):
            for x, y, _ in kp[kp[:, 2] == 2]:
                r, c = int(np.clip(y, 0, 63)), int(np.clip(x, 0, 63))
                near = mask[max(r - 1, 0) : r + 2, max(c - 1, 0) : c + 2]
                hits, total = hits + near.any(), total + 1
    assert total > 50 and hits / total > 0.97  # a vertex pixel may just miss a thin tip


def test_classes_and_counts_vary(scenes):
    labels = np.concatenate([s.labels for s in scenes])
    assert set(labels) == {1, 2, 3}
    assert len({len(s.labels) for s in scenes}) >= 5


def test_determinism_grayscale_and_loader():
    a = shapes_scenes(3, size=48, channels=1, seed=2)
    b = shapes_scenes(3, size=48, channels=1, seed=2)
    for x, y in zip(a, b, strict=True):
        for u, v in zip(x, y, strict=True):
            np.testing.assert_array_equal(u, v)
    assert a[0].image.shape == (1, 48, 48)
    image, masks, boxes, labels, keypoints = next(iter(DataLoader(a, batch_size=1)))
    assert image.shape == (1, 1, 48, 48) and labels.dtype == np.int64
    with pytest.raises(ValueError, match="channels"):
        shapes_scenes(1, channels=2)


def test_masks_to_boxes_convention():
    m = np.zeros((1, 5, 6), bool)
    m[0, 1:3, 2:5] = True
    np.testing.assert_array_equal(masks_to_boxes(m), [[2, 1, 5, 3]])
    with pytest.raises(ValueError, match="at least one pixel"):
        masks_to_boxes(np.zeros((1, 4, 4), bool))


def test_coins_instances():
    coins = coins_instances()
    K = len(coins.labels)
    assert coins.image.shape == (1, 303, 384) and coins.image.dtype == np.float32
    assert 20 <= K <= 26  # the photograph shows 24 coins
    assert coins.masks.sum(axis=0).max() == 1
    areas = coins.masks.sum(axis=(1, 2))
    assert areas.min() > 500
    # A coin is round: its mask fills most of its box (pi / 4 for a disc).
    w, h = coins.boxes[:, 2] - coins.boxes[:, 0], coins.boxes[:, 3] - coins.boxes[:, 1]
    assert np.median(areas / (w * h)) > 0.7
    assert coins_instances(channels=3).image.shape == (3, 303, 384)


@pytest.fixture(scope="module")
def figure_scenes():
    return shapes_scenes(60, size=64, seed=1, figures=True)


def test_figures_are_opt_in_and_leave_the_old_scenes_alone(scenes, figure_scenes):
    again = shapes_scenes(60, size=64, channels=3, seed=0, figures=False)
    for x, y in zip(scenes, again, strict=True):
        np.testing.assert_array_equal(x.image, y.image)
    labels = np.concatenate([s.labels for s in figure_scenes])
    assert set(labels) == {1, 2, 3, FIGURE}
    assert all(s.keypoints.shape == (len(s.labels), len(JOINTS), 3) for s in figure_scenes)


def test_a_figure_has_six_joints_on_its_mask_joined_by_its_bones(figure_scenes):
    found = hits = bones = 0
    for s in figure_scenes:
        for mask, label, kp in zip(s.masks, s.labels, s.keypoints, strict=True):
            real = kp[:, 2] > 0
            if label != FIGURE:
                assert real.sum() == {1: 0, 2: 4, 3: 3}[label] and not real[4:].any()
                continue
            found += 1
            assert real.all() and set(kp[:, 2]) <= {1, 2}
            # the right hand and foot lie right of the neck and hip, the left ones left
            x = dict(zip(JOINTS, kp[:, 0], strict=True))
            assert x["right hand"] > x["neck"] > x["left hand"]
            assert x["right foot"] > x["hip"] > x["left foot"]
            # the middle of a bone whose ends are visible is on the figure's mask (unless
            # a later shape happens to cover just the middle)
            for i, j in SKELETON:
                if kp[i, 2] == 2 and kp[j, 2] == 2:
                    cx, cy = (kp[i, :2] + kp[j, :2]) / 2
                    r, c = int(np.clip(cy, 0, 63)), int(np.clip(cx, 0, 63))
                    hits += mask[max(r - 1, 0) : r + 2, max(c - 1, 0) : c + 2].any()
                    bones += 1
    assert found >= 10 and bones > 50 and hits / bones > 0.95


def test_a_mirrored_figure_lists_its_joints_up_to_a_cyclic_shift(figure_scenes):
    s = next(s for s in figure_scenes if FIGURE in s.labels)
    k = int(np.flatnonzero(s.labels == FIGURE)[0])
    mirrored = hflip(s).keypoints[k]
    # slot k of the mirrored list holds what mirroring puts there: the other side's joint
    expected = s.keypoints[k][[0, 5, 4, 3, 2, 1]]
    expected[:, 0] = 64 - expected[:, 0]
    np.testing.assert_allclose(np.roll(mirrored, 1, axis=0), expected)
