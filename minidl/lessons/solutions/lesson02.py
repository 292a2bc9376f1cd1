"""Solutions of lesson 02's exercises (try them first)."""

from __future__ import annotations

import numpy as np

import minidl as md
import minidl.nn.functional as F


def my_max_pool2d(x, K, S, P):
    N, C, H, W = x.shape
    OH, OW = (H + 2 * P - K) // S + 1, (W + 2 * P - K) // S + 1
    x_pad = np.pad(x, ((0, 0), (0, 0), (P, P), (P, P)), constant_values=-np.inf)
    real = np.pad(np.ones((H, W), bool), P)  # False on the padding
    best = np.full((N, C, OH, OW), -np.inf, dtype=x.dtype)
    indices = np.full((N, C, OH, OW), -1, dtype=np.int64)  # -1: no real pixel seen yet
    rows, cols = np.indices((OH, OW))
    for kh in range(K):  # the taps in row-major order, all windows at once
        for kw in range(K):
            r, c = rows * S + kh, cols * S + kw  # (OH, OW): this tap of every window, padded
            value = x_pad[:, :, r, c]
            # PyTorch's rule: a greater value or a NaN replaces the best (so ties keep the
            # first maximum); the first real pixel of a window is taken whatever it is, so
            # that an all -inf window points at a real pixel, never at the padding
            take = (value > best) | np.isnan(value) | ((indices < 0) & real[r, c])
            best = np.where(take, value, best)
            indices = np.where(take, (r - P) * W + (c - P), indices)  # in the unpadded plane
    return best, indices


def my_conv_transpose2d(y, w, stride, padding, output_padding, dilation):
    N, C_in, H, W = y.shape
    KH, KW = w.shape[2:]
    # 1. stride - 1 zeros between neighbouring pixels (a bed of nails without the last zeros)
    z = np.zeros((N, C_in, (H - 1) * stride + 1, (W - 1) * stride + 1), dtype=y.dtype)
    z[:, :, ::stride, ::stride] = y
    # 2. pad by dilation * (K - 1) - padding (negative: crop), output_padding bottom and right
    top, left = dilation * (KH - 1) - padding, dilation * (KW - 1) - padding
    z = F.pad(md.tensor(z), (left, left + output_padding, top, top + output_padding))
    # 3. a stride-1 convolution with the kernel rotated by 180 degrees, channel axes swapped
    w_conv = np.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))  # (C_out, C_in, ..)
    return F.conv2d(z, md.tensor(w_conv), dilation=dilation).numpy()


def my_max_unpool2d(x, indices, OH, OW):
    N, C, H, W = x.shape
    values = x.reshape(N * C, H * W)  # one row per (n, c) plane
    # one flat target per value: plane r, offset k -> r * OH * OW + k
    target = (np.arange(N * C)[:, None] * (OH * OW) + indices.reshape(N * C, H * W)).ravel()
    # the last value sent to each target: the largest row-major position among its senders
    # (a plain out[target] = values writes too, but NumPy does not promise which repeat wins)
    sender = np.full(N * C * OH * OW, -1)
    np.maximum.at(sender, target, np.arange(target.size))
    out = np.zeros(N * C * OH * OW, dtype=x.dtype)
    hit = sender >= 0
    out[hit] = values.ravel()[sender[hit]]
    return out.reshape(N, C, OH, OW)
