"""The checkers of lessons 03 and 04 catch the usual mistakes.

tests/lessons/test_exercises.py checks that the skeletons fail and the solutions pass; here
the solutions are broken on purpose, one mistake at a time.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

import minidl as md
import minidl.nn as nn
from minidl.lessons.checks import lesson03, lesson04
from minidl.lessons.solutions import lesson03 as solved03
from minidl.lessons.solutions import lesson04 as solved04


def test_fc_to_conv_channels_last_reshape_fails():
    def channels_last(fc, channels, side):  # reads the flattened map as (side, side, channels)
        conv = nn.Conv2d(channels, fc.out_features, side)
        w = fc.weight.data.reshape(fc.out_features, side, side, channels)
        conv.weight.data[...] = w.transpose(0, 3, 1, 2)
        conv.bias.data[...] = fc.bias.data
        return conv

    assert lesson03.check_fc_to_conv(solved03.my_fc_to_conv).ok
    assert not lesson03.check_fc_to_conv(channels_last).ok


def test_fc_to_conv_without_bias_fails():
    def no_bias(fc, channels, side):
        conv = solved03.my_fc_to_conv(fc, channels, side)
        conv.bias.data[...] = 0.0
        return conv

    assert "bias" in lesson03.check_fc_to_conv(no_bias).failure


def test_dense_patch_classifier_equals_the_windows():
    md.manual_seed(0)
    model = lesson03.PatchClassifier(7, width=4).eval()
    image = np.random.default_rng(0).random((1, 1, 11, 14)).astype(np.float32)
    with md.no_grad():
        dense = model.dense(md.tensor(image)).numpy()[0]
    by_window = lesson03.window_scores(model, image, 7, batch_size=5)
    np.testing.assert_allclose(dense, by_window, rtol=0, atol=1e-5)


def test_receptive_field_without_the_jump_fails():
    def no_jump(layers):
        return 1 + sum(2 if kind == "conv" else 1 for kind in layers)

    assert not lesson03.check_receptive_field(no_jump).ok


def top_left_crop(net, x):
    skips = []
    for level, block in enumerate(net.down):
        x = block(x)
        if level < net.depth:
            skips.append(x)
            x = net.pool(x)
    for up, block, skip in zip(net.up, net.up_convs, reversed(skips)):
        x = up(x)
        h, w = x.shape[2:]
        x = block(md.cat([skip[:, :, :h, :w], x], dim=1))
    return net.head(x)


def test_unet_forward_mistakes():
    def upsampled_first(net, x):
        real_cat = md.cat

        def swapped(tensors, dim=0):
            return real_cat(tensors[::-1], dim=dim)

        md.cat = swapped
        try:
            return solved04.my_unet_forward(net, x)
        finally:
            md.cat = real_cat

    result = lesson04.check_unet_forward(top_left_crop)
    assert not result.ok and "centre-crop" in result.failure
    assert not lesson04.check_unet_forward(upsampled_first).ok
    assert not lesson04.check_unet_forward(lambda net, x: net(x)).ok  # the shortcut is refused


@pytest.mark.parametrize("mistake", ["nearest twice", "on cells too"])
def test_border_weight_mistakes(mistake):
    def wrong(labels, w0=10.0, sigma=5.0):
        ids = [k for k in np.unique(labels) if k > 0]
        if len(ids) < 2:
            return np.zeros(labels.shape)
        d = np.sort(np.stack([ndimage.distance_transform_edt(labels != k) for k in ids]), axis=0)
        gap = 2 * d[0] if mistake == "nearest twice" else d[0] + d[1]
        w = w0 * np.exp(-(gap**2) / (2 * sigma**2))
        return w if mistake == "on cells too" else np.where(labels == 0, w, 0.0)

    assert lesson04.check_border_weight(solved04.my_border_weight).ok
    assert not lesson04.check_border_weight(wrong).ok
