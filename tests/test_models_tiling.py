"""Overlap-tile inference equals one direct prediction on the whole mirrored image."""

from __future__ import annotations

import numpy as np
import pytest

import minidl as md
from minidl.models import UNet, predict_tiled
from minidl.models.tiling import tile_geometry


@pytest.fixture(scope="module")
def unet():
    md.manual_seed(0)
    return UNet(base=2, depth=2).eval()  # valid sizes 44, 48, 52, ...; output = input - 40


def _direct(model, image, margin):
    """The model on the whole image at once, mirrored by ``margin`` and padded (mirrored)
    at the bottom/right up to a valid size, cropped back to the image."""
    _, H, W = image.shape
    sh = model.valid_input_size(H + 2 * margin)
    sw = model.valid_input_size(W + 2 * margin)
    widths = ((0, 0), (margin, sh - H - margin), (margin, sw - W - margin))
    padded = np.pad(image, widths, mode="reflect")
    with md.no_grad():
        return model(md.tensor(padded[None])).numpy()[0, :, :H, :W]


@pytest.mark.parametrize("shape", [(45, 37), (12, 70), (9, 9)])
def test_tiled_equals_direct_prediction(unet, shape):
    image = np.random.default_rng(1).random((1, *shape)).astype(np.float32)
    tile = 60  # output 20, margin 20; tiles step by 16 (the pooling grid of depth 2: 4)
    out, margin = tile_geometry(unet, tile)
    assert (out, margin) == (20, 20)
    tiled = predict_tiled(unet, image, tile, batch_size=3)
    assert tiled.shape == (2, *shape)
    np.testing.assert_allclose(tiled, _direct(unet, image, margin), atol=1e-5)


def test_batch_of_images_and_tensor_input(unet):
    images = np.random.default_rng(2).random((2, 1, 30, 30)).astype(np.float32)
    both = predict_tiled(unet, md.tensor(images), 48)
    np.testing.assert_allclose(both[1], predict_tiled(unet, images[1], 48), atol=1e-6)


def test_same_padding_model_keeps_a_margin_and_covers_the_image():
    md.manual_seed(0)
    model = UNet(base=2, depth=2, padding="same").eval()
    assert tile_geometry(model, 32) == (24, 4)
    image = np.random.default_rng(3).random((1, 50, 41)).astype(np.float32)
    assert predict_tiled(model, image, 32).shape == (2, 50, 41)


def test_too_small_tile_is_refused():
    md.manual_seed(0)
    with pytest.raises(ValueError, match="use a larger tile"):
        predict_tiled(UNet(base=2, depth=3), np.zeros((1, 20, 20), np.float32), 92)
