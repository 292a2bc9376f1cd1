"""Augmentation: geometric transforms move image and targets together, determinism, ranges."""

from __future__ import annotations

import numpy as np
import pytest

from minidl.data import (
    BrightnessContrast,
    Compose,
    ElasticDeform,
    GaussianNoise,
    RandomCrop,
    RandomFlip,
    RandomGamma,
    RandomRot90,
)
from minidl.data.geometry import affine_coords, elastic_displacement, warp


def _pair(size: int = 32) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    mask = np.zeros((size, size), np.int64)
    mask[5:15, 8:20] = 1
    mask[20:28, 3:9] = 2
    image = (0.2 + 0.25 * mask + 0.05 * rng.random((size, size))).astype(np.float32)[None]
    return image, mask


@pytest.mark.parametrize("transform", [RandomFlip(), RandomRot90(), ElasticDeform(sigma=4)])
def test_geometric_transforms_move_image_and_mask_together(transform):
    image, mask = _pair()
    for seed in range(4):
        out_image, out_mask = transform(np.random.default_rng(seed), image, mask)
        assert out_image.shape == image.shape and out_image.dtype == np.float32
        assert out_mask.dtype == mask.dtype and set(np.unique(out_mask)) <= {0, 1, 2}
        # The image was built from the mask, so the mask must still explain the image.
        level = np.round((out_image[0] - 0.2) / 0.25)
        assert (level == out_mask).mean() > 0.93


def test_compose_is_deterministic_and_keeps_the_range():
    image, mask = _pair()
    aug = Compose(
        RandomFlip(),
        RandomRot90(),
        ElasticDeform(sigma=10),
        BrightnessContrast(),
        RandomGamma(),
        GaussianNoise(0.05),
    )
    a = aug(np.random.default_rng(3), image, mask)
    b = aug(np.random.default_rng(3), image, mask)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    assert 0 <= a[0].min() and a[0].max() <= 1 and a[0].dtype == np.float32
    assert "ElasticDeform(sigma=10" in repr(aug)


def test_intensity_transforms_leave_targets_alone():
    image, mask = _pair()
    for t in (BrightnessContrast(0.3, 0.5), RandomGamma((0.5, 2.0)), GaussianNoise(0.1)):
        out_image, out_mask = t(np.random.default_rng(0), image, mask)
        assert out_mask is mask
        assert not np.array_equal(out_image, image)


def test_elastic_field_is_smooth_with_the_papers_sigma():
    rng = np.random.default_rng(0)
    fields = np.stack([elastic_displacement((64, 64), rng, sigma=10.0) for _ in range(200)])
    # The 3 x 3 lattice nodes (corners included) carry N(0, 10^2) displacements.
    corners = fields[:, :, [0, 0, -1, -1], [0, -1, 0, -1]]
    assert 8.5 < corners.std() < 11.5
    # Bicubic interpolation through the nodes: the field bends gently between them.
    assert np.abs(np.diff(fields, n=2, axis=-1)).max() < 0.5
    assert np.abs(np.diff(fields, n=2, axis=-2)).max() < 0.5


def test_affine_rotation_is_counter_clockwise():
    image = np.zeros((9, 9), np.float32)
    image[4, 6] = 1  # right of the centre
    out = warp(image, affine_coords((9, 9), angle=90), order=0)
    assert np.argwhere(out).tolist() == [[2, 4]]  # now above it


def test_mismatched_target_is_an_error():
    image, _ = _pair(32)
    with pytest.raises(ValueError, match="spatial size"):
        RandomFlip()(np.random.default_rng(0), image, np.zeros((16, 16)))


def test_random_crop_cuts_the_same_window_from_image_and_targets():
    image, mask = _pair(32)
    seen = set()
    for seed in range(8):
        out_image, out_mask = RandomCrop((16, 24))(np.random.default_rng(seed), image, mask)
        assert out_image.shape == (1, 16, 24) and out_mask.shape == (16, 24)
        assert (np.round((out_image[0] - 0.2) / 0.25) == out_mask).all()
        # Find where the window came from: it must be a verbatim piece of the original.
        hits = [
            (t, left)
            for t in range(32 - 16 + 1)
            for left in range(32 - 24 + 1)
            if np.array_equal(image[:, t : t + 16, left : left + 24], out_image)
        ]
        assert hits
        seen.add(hits[0])
    assert len(seen) > 1  # different seeds, different windows


def test_random_crop_larger_than_the_image_is_an_error():
    image, mask = _pair(16)
    with pytest.raises(ValueError, match="RandomCrop: crop"):
        RandomCrop(20)(np.random.default_rng(0), image, mask)
    with pytest.raises(ValueError, match="RandomCrop: size must be positive"):
        RandomCrop(0)
