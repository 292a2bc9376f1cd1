"""Solutions of lesson 01's exercises (try them first)."""

from __future__ import annotations

import numpy as np


def my_im2col(x, KH, KW, SH, SW, PH, PW, DH, DW, *, out=None):
    N, C, H, W = x.shape
    OH = (H + 2 * PH - DH * (KH - 1) - 1) // SH + 1
    OW = (W + 2 * PW - DW * (KW - 1) - 1) // SW + 1
    x_pad = np.pad(x, ((0, 0), (0, 0), (PH, PH), (PW, PW)))
    cols = np.empty((C, KH, KW, N, OH, OW), dtype=x.dtype) if out is None else out
    for oh in range(OH):
        for ow in range(OW):
            h, w = oh * SH, ow * SW
            # the window of output (oh, ow): KH rows DH apart, KW columns DW apart
            window = x_pad[:, :, h : h + DH * (KH - 1) + 1 : DH, w : w + DW * (KW - 1) + 1 : DW]
            cols[:, :, :, :, oh, ow] = window.transpose(1, 2, 3, 0)  # (N,C,KH,KW) -> (C,KH,KW,N)
    return cols


def my_col2im(cols, x_shape, KH, KW, SH, SW, PH, PW, DH, DW):
    N, C, H, W = x_shape
    OH, OW = cols.shape[4], cols.shape[5]
    # big enough for every window, also when OH, OW exceed the conv's own output size
    HP = max(H + 2 * PH, SH * (OH - 1) + DH * (KH - 1) + 1)
    WP = max(W + 2 * PW, SW * (OW - 1) + DW * (KW - 1) + 1)
    x_pad = np.zeros((N, C, HP, WP), dtype=cols.dtype)
    for oh in range(OH):
        for ow in range(OW):
            h, w = oh * SH, ow * SW
            # add (not assign): overlapping windows share pixels
            x_pad[:, :, h : h + DH * (KH - 1) + 1 : DH, w : w + DW * (KW - 1) + 1 : DW] += cols[
                :, :, :, :, oh, ow
            ].transpose(3, 0, 1, 2)
    return np.ascontiguousarray(x_pad[:, :, PH : PH + H, PW : PW + W])


def my_conv2d_backward(x, w, dy, stride, padding):
    N, C, H, W = x.shape
    O, _, KH, KW = w.shape
    _, _, OH, OW = dy.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    for kh in range(KH):
        for kw in range(KW):
            # the input pixels that tap (kh, kw) of every output position reads
            rows = slice(kh, kh + stride * (OH - 1) + 1, stride)
            cols = slice(kw, kw + stride * (OW - 1) + 1, stride)
            patch = x_pad[:, :, rows, cols]  # (N, C, OH, OW)
            dw[:, :, kh, kw] = np.einsum("noij,ncij->oc", dy, patch)
            dx_pad[:, :, rows, cols] += np.einsum("noij,oc->ncij", dy, w[:, :, kh, kw])
    dx = dx_pad[:, :, padding : padding + H, padding : padding + W]
    db = dy.sum(axis=(0, 2, 3))
    return dx, dw, db
