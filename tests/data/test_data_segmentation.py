"""Brain-tumour slices, the threshold baseline, touching cells and the U-Net weight map."""

from __future__ import annotations

import numpy as np
import pytest

from minidl.data import (
    best_threshold,
    brain_tumor_slices,
    mri_slice,
    threshold_baseline_dice,
    touching_cells,
    unet_weight_map,
)


def test_mri_slice_is_the_real_brain():
    mri = mri_slice()
    assert mri.shape == (256, 256) and mri.dtype == np.float32
    assert mri.max() == 1 and (mri == 0).mean() > 0.3  # black air around the head
    assert 0.3 < mri[60:120, 80:160].mean() < 0.9  # tissue where the brain is


def test_tumor_slices_shapes_ranges_and_determinism():
    a = brain_tumor_slices(12, size=64, seed=3)
    b = brain_tumor_slices(12, size=64, seed=3)
    assert a.images.shape == (12, 1, 64, 64) and a.images.dtype == np.float32
    assert a.masks.shape == (12, 64, 64) and a.masks.dtype == np.int64
    assert 0 <= a.images.min() and a.images.max() <= 1
    assert set(np.unique(a.masks)) <= {0, 1}
    np.testing.assert_array_equal(a.images, b.images)
    np.testing.assert_array_equal(a.masks, b.masks)
    assert not np.array_equal(a.images, brain_tumor_slices(12, size=64, seed=4).images)


@pytest.mark.parametrize("size", [96, 188, 252])
def test_tumor_slices_other_sizes(size):
    data = brain_tumor_slices(2, size=size, seed=0)
    assert data.images.shape == (2, 1, size, size) and data.masks.shape == (2, size, size)


def test_some_slices_have_no_tumour_and_tumours_vary_in_size():
    masks = brain_tumor_slices(60, size=64, seed=0).masks
    areas = masks.sum(axis=(1, 2))
    assert 0.05 < (areas == 0).mean() < 0.35
    present = areas[areas > 0]
    assert present.max() > 3 * present.min()


def test_global_threshold_cannot_solve_the_tumours():
    train = brain_tumor_slices(80, size=128, seed=0)
    test = brain_tumor_slices(40, size=128, seed=1)
    dice = threshold_baseline_dice(train, test)
    assert 0.1 < dice < 0.6
    # The chosen threshold is the best one on the training set.
    best = best_threshold(*train)
    assert best.dice >= threshold_baseline_dice(train, train) - 1e-9


def test_threshold_baseline_solves_an_easy_case():
    masks = np.zeros((4, 32, 32), np.int64)
    masks[:, 8:20, 10:22] = 1
    images = (0.2 + 0.6 * masks).astype(np.float32)[:, None]
    assert threshold_baseline_dice((images, masks), (images, masks)) > 0.9
    assert best_threshold(1 - images, masks).above is False


def test_touching_cells():
    data = touching_cells(3, size=64, seed=0)
    assert data.images.shape == (3, 1, 64, 64) and data.images.dtype == np.float32
    assert data.labels.dtype == np.int32 and data.masks.dtype == np.int64
    np.testing.assert_array_equal(data.masks, data.labels > 0)
    for image, labels in zip(data.images[:, 0], data.labels, strict=True):
        assert labels.max() >= 8  # many cells
        assert image[labels == 0].mean() < image[labels > 0].mean() - 0.15  # dark membranes
        # Cells touch: most cells have a different cell within 4 px (across a thin membrane).
        from scipy import ndimage

        near = [
            np.setdiff1d(labels[ndimage.binary_dilation(labels == k, iterations=4)], [0, k]).size
            for k in range(1, labels.max() + 1)
        ]
        assert np.mean(np.array(near) > 0) > 0.9
    np.testing.assert_array_equal(touching_cells(3, size=64, seed=0).images, data.images)


def test_weight_map_peaks_in_the_gap_between_two_cells():
    labels = np.zeros((40, 60), np.int32)
    labels[10:30, 5:28] = 1
    labels[10:30, 31:55] = 2  # a 3-pixel gap at columns 28..30
    w = unet_weight_map(labels, w0=10, sigma=5)
    assert w.shape == labels.shape and w.dtype == np.float32
    gap, outside = w[20, 29], w[20, 1]
    # Centre of the gap: d1 = d2 = 2, so the border term is 10 * exp(-16 / 50).
    n_bg = (labels == 0).sum()
    w_bg = labels.size / (2 * n_bg)
    assert gap == pytest.approx(w_bg + 10 * np.exp(-(16) / 50), rel=1e-5)
    assert gap == w.max() and gap > outside + 5
    # Cell pixels carry only the class weight; the mean class weight is 1.
    w_fg = labels.size / (2 * (labels > 0).sum())
    np.testing.assert_allclose(w[labels > 0], w_fg, rtol=1e-6)
    np.testing.assert_allclose(np.where(labels > 0, w_fg, w_bg).mean(), 1.0, rtol=1e-6)


def test_weight_map_with_one_cell_and_batches():
    labels = np.zeros((2, 20, 20), np.int32)
    labels[:, 5:15, 5:15] = 1
    w = unet_weight_map(labels)
    assert w.shape == (2, 20, 20)
    assert len(np.unique(np.round(w, 5))) == 2  # class weights only: no second cell
    with pytest.raises(ValueError, match="integer"):
        unet_weight_map(labels.astype(np.float32))
