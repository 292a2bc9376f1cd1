"""im2col and col2im in plain array code: the spec that ``cpu.py`` and ``gpu.py`` must match.

A convolution becomes one matrix product once every receptive field of the input is laid out
as a column. ``im2col`` does that copy; ``col2im`` is its adjoint (it adds every column back
onto the pixels it was read from), used by the backward of conv2d and the forward of
conv_transpose2d.

Layout of ``cols`` (shared by all implementations)::

    cols[c, kh, kw, n, oh, ow] = x_padded[n, c, oh*SH + kh*DH, ow*SW + kw*DW]
    cols.shape == (C, KH, KW, N, OH, OW)      # x_padded: zeros around x, PH rows, PW columns

Why this order: ``cols.reshape(C*KH*KW, N*OH*OW)`` is a free view, and it is the right operand
of a single GEMM for the whole batch, ``y2d (C_out, N*OH*OW) = w2d (C_out, C*KH*KW) @ cols``,
whose long dimension N*OH*OW is the contiguous one (one long GEMM instead of N short
ones). Keeping the six axes, instead of handing over the 2-D matrix, lets ``col2im`` read
OH and OW from ``cols`` itself.

Reference: Chellapilla et al., "High Performance Convolutional Neural Networks for Document
Processing" (2006); Caffe's ``im2col_cpu``.
"""

from __future__ import annotations

from typing import Any

from ...backend import array_module
from ...geometry import conv_output_size as output_size

__all__ = ["col2im", "im2col"]


def im2col(
    x: Any,
    KH: int,
    KW: int,
    SH: int,
    SW: int,
    PH: int,
    PW: int,
    DH: int,
    DW: int,
    *,
    out: Any = None,
) -> Any:
    """Receptive fields of ``x`` (N, C, H, W) as ``cols`` (C, KH, KW, N, OH, OW).

    ``out``, when given, is a C-contiguous array of that shape and dtype to write into (the
    conv op passes a reused work buffer, ``minidl/ops/workspace.py``); it is returned.
    """
    xp = array_module(x)
    N, C, H, W = x.shape
    OH, OW = output_size(H, KH, SH, PH, DH), output_size(W, KW, SW, PW, DW)
    x_pad = xp.pad(x, ((0, 0), (0, 0), (PH, PH), (PW, PW)))
    cols = xp.empty((C, KH, KW, N, OH, OW), dtype=x.dtype) if out is None else out
    # One strided slice per kernel offset: all receptive fields' (kh, kw) pixel at once.
    for kh in range(KH):
        for kw in range(KW):
            h0, w0 = kh * DH, kw * DW
            patch = x_pad[:, :, h0 : h0 + SH * (OH - 1) + 1 : SH, w0 : w0 + SW * (OW - 1) + 1 : SW]
            cols[:, kh, kw] = patch.transpose(1, 0, 2, 3)  # (N, C, OH, OW) -> (C, N, OH, OW)
    return cols


def col2im(
    cols: Any,
    x_shape: tuple[int, int, int, int],
    KH: int,
    KW: int,
    SH: int,
    SW: int,
    PH: int,
    PW: int,
    DH: int,
    DW: int,
) -> Any:
    """The adjoint of `im2col`: add each entry of ``cols`` onto the pixel of ``x`` it came from.

    ``cols`` is (C, KH, KW, N, OH, OW); the result has ``x_shape`` (N, C, H, W). Entries that
    came from the zero padding are dropped. OH and OW are taken from ``cols``, so they may
    exceed what ``x_shape`` alone implies (conv_transpose2d with output_padding >= stride):
    those extra columns read past the padded input, and are dropped too.
    """
    xp = array_module(cols)
    N, C, H, W = x_shape
    OH, OW = cols.shape[4], cols.shape[5]
    # Big enough for every slice below, even when OH, OW exceed the conv's own output size.
    HP = max(H + 2 * PH, SH * (OH - 1) + DH * (KH - 1) + 1)
    WP = max(W + 2 * PW, SW * (OW - 1) + DW * (KW - 1) + 1)
    x_pad = xp.zeros((N, C, HP, WP), dtype=cols.dtype)
    # Loop over the KH*KW kernel offsets adding strided slices: overlapping receptive fields
    # add up, and no two entries of one slice land on the same pixel (so no np.add.at).
    for kh in range(KH):
        for kw in range(KW):
            h0, w0 = kh * DH, kw * DW
            x_pad[:, :, h0 : h0 + SH * (OH - 1) + 1 : SH, w0 : w0 + SW * (OW - 1) + 1 : SW] += cols[
                :, kh, kw
            ].transpose(1, 0, 2, 3)  # (C, N, OH, OW) -> (N, C, OH, OW)
    return xp.ascontiguousarray(x_pad[:, :, PH : PH + H, PW : PW + W])
