"""The lesson-03 models: the encoder–decoder with four upsamplings, the sliding window."""

from __future__ import annotations

import numpy as np
import pytest

import minidl as md
from minidl.models import EncoderDecoder, SlidingWindowClassifier
from minidl.models.fcn import UPSAMPLING, sample_patches, sliding_patches


@pytest.mark.parametrize("upsampling", UPSAMPLING)
def test_encoder_decoder_keeps_the_size_and_trains(upsampling):
    md.manual_seed(0)
    model = EncoderDecoder(base=4, depth=2, upsampling=upsampling)
    x = md.rand(2, 1, 16, 12)
    y = model(x)
    assert y.shape == (2, 2, 16, 12)
    y.sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_encoder_decoder_rejects_sizes_off_the_grid():
    with pytest.raises(ValueError, match="divisible by 2\\^depth = 8"):
        EncoderDecoder(depth=3)(md.zeros(1, 1, 20, 16))
    with pytest.raises(ValueError, match="upsampling must be one of"):
        EncoderDecoder(upsampling="bilinear")


def test_sliding_patches_are_the_windows_around_each_pixel():
    image = np.arange(2 * 5 * 6, dtype=np.float32).reshape(2, 5, 6)
    padded = np.pad(image, ((0, 0), (1, 1), (1, 1)), mode="reflect")
    windows = sliding_patches(padded, 3)
    assert windows.shape == (30, 2, 3, 3)
    np.testing.assert_array_equal(windows[1 * 6 + 2], image[:, 0:3, 1:4])  # pixel (1, 2)


def test_sliding_window_prediction_is_the_classifier_at_every_pixel():
    md.manual_seed(0)
    model = SlidingWindowClassifier(patch=13, width=4).eval()
    images = np.random.default_rng(0).random((1, 1, 7, 9)).astype(np.float32)
    scores = model.predict(images, batch_size=10)
    assert scores.shape == (1, 2, 7, 9)
    padded = np.pad(images, ((0, 0), (0, 0), (6, 6), (6, 6)), mode="reflect")
    with md.no_grad():
        one = model(md.tensor(padded[:, :, 3:16, 4:17])).numpy()[0]  # pixel (3, 4)
    np.testing.assert_allclose(scores[0, :, 3, 4], one, rtol=1e-5, atol=1e-6)


def test_sample_patches_balances_the_centre_labels():
    rng = np.random.default_rng(0)
    images = rng.random((3, 1, 20, 20)).astype(np.float32)
    masks = np.zeros((3, 20, 20), np.int64)
    masks[1, 5:8, 5:8] = 1
    patches, labels = sample_patches(images, masks, 11, 40, rng)
    assert patches.shape == (40, 1, 11, 11) and labels.sum() >= 20


def test_prior_shift_moves_scores_from_the_patch_prior_to_the_image_prior():
    from minidl.models.fcn import prior_shift

    shift = prior_shift(np.array([0, 1, 0, 1]), np.array([[0, 0, 0, 1]]))
    np.testing.assert_allclose(shift, [np.log(0.75 / 0.5), np.log(0.25 / 0.5)])
    md.manual_seed(0)
    model = SlidingWindowClassifier(patch=11, width=2).eval()
    images = np.random.default_rng(0).random((1, 1, 4, 4)).astype(np.float32)
    np.testing.assert_allclose(
        model.predict(images, shift=shift) - model.predict(images),
        np.broadcast_to(shift.reshape(1, 2, 1, 1), (1, 2, 4, 4)),
        atol=1e-6,
    )
