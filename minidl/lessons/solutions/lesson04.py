"""Solutions of lesson 04's exercises (try them first)."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

import minidl as md


def my_output_size(n, depth):
    for _ in range(depth):
        n -= 4
        if n < 2 or n % 2:
            return None
        n //= 2
    n -= 4
    if n < 1:
        return None
    for _ in range(depth):
        n = 2 * n - 4
        if n < 1:
            return None
    return n


def my_border_weight(labels, w0=10.0, sigma=5.0):
    ids = [k for k in np.unique(labels) if k > 0]
    if len(ids) < 2:
        return np.zeros(labels.shape)
    d = np.stack([ndimage.distance_transform_edt(labels != k) for k in ids])  # (K, H, W)
    d.sort(axis=0)
    w = w0 * np.exp(-((d[0] + d[1]) ** 2) / (2 * sigma**2))
    return np.where(labels == 0, w, 0.0)


def my_unet_forward(net, x):
    skips = []
    for level, block in enumerate(net.down):
        x = block(x)
        if level < net.depth:  # the bottom block is the last one, and is not pooled
            skips.append(x)
            x = net.pool(x)
    for up, block, skip in zip(net.up, net.up_convs, reversed(skips)):
        x = up(x)
        h, w = x.shape[2:]
        top, left = (skip.shape[2] - h) // 2, (skip.shape[3] - w) // 2
        cropped = skip[:, :, top : top + h, left : left + w]  # the centre of the encoder's map
        x = block(md.cat([cropped, x], dim=1))
    return net.head(x)
