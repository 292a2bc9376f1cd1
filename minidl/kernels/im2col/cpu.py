"""im2col and col2im as Numba loops on the CPU; same signatures and layout as ``reference.py``.

``cols`` is (C, KH, KW, N, OH, OW) (see ``reference.py`` for why). One *block* of ``cols`` is
the OH x OW outputs of one (c, kh, kw, n): output row oh reads input row oh*SH + kh*DH - PH
of plane (n, c), every SW-th pixel from column kw*DW - PW. So both kernels work a row at a
time: a run of valid columns [lo, hi) and zeros (im2col) or nothing (col2im) around it.

Each loop is one ``prange`` body (``_numba.loop``) compiled twice: parallel, splitting
blocks (im2col) or planes (col2im) over threads, and serial for small inputs, where starting
the threads costs more than it saves (``minidl/kernels/README.md``, "Threads"). col2im splits
planes, not blocks, so that no two threads ever add into the same pixel (no atomics, and
each pixel's sum comes out in the reference's order).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...geometry import conv_output_size as output_size
from .._numba import loop, njit, prange


@njit(cache=True)
def _valid(offset: int, S: int, size: int, n_out: int) -> tuple[int, int]:
    """The outputs o in [lo, hi) whose input index o*S + offset lies in [0, size)."""
    lo = max(0, (-offset + S - 1) // S)  # first o with o*S + offset >= 0
    hi = min(n_out, (size - 1 - offset) // S + 1)  # one past the last o*S + offset < size
    return lo, max(lo, hi)


@njit(cache=True)
def _im2col_block(x, cols, block, SH, SW, PH, PW, DH, DW):
    N, C, H, W = x.shape
    _, KH, KW, _, OH, OW = cols.shape
    n, kw, kh, c = block % N, block // N % KW, block // (N * KW) % KH, block // (N * KW * KH)
    w_off = kw * DW - PW  # output column ow reads input column ow*SW + w_off
    lo, hi = _valid(w_off, SW, W, OW)
    for oh in range(OH):
        row = cols[c, kh, kw, n, oh]
        ih = oh * SH + kh * DH - PH
        if ih < 0 or ih >= H:  # the whole row reads the zero padding
            row[:] = 0
            continue
        row[:lo] = 0
        row[hi:] = 0
        if SW == 1:  # contiguous on both sides: a loop LLVM turns into vector copies
            src, dst = x[n, c, ih, lo + w_off : hi + w_off], row[lo:hi]
            for i in range(hi - lo):
                dst[i] = src[i]
        else:
            x_row = x[n, c, ih]
            for ow in range(lo, hi):
                row[ow] = x_row[ow * SW + w_off]


@njit(cache=True)
def _col2im_plane(cols, x, plane, SH, SW, PH, PW, DH, DW):
    N, C, H, W = x.shape
    _, KH, KW, _, OH, OW = cols.shape
    n, c = plane // C, plane % C
    for kh in range(KH):
        for kw in range(KW):
            w_off = kw * DW - PW
            lo, hi = _valid(w_off, SW, W, OW)
            for oh in range(OH):
                ih = oh * SH + kh * DH - PH
                if ih < 0 or ih >= H:  # read from the padding: dropped
                    continue
                row = cols[c, kh, kw, n, oh]
                if SW == 1:
                    src, dst = row[lo:hi], x[n, c, ih, lo + w_off : hi + w_off]
                    for i in range(hi - lo):
                        dst[i] += src[i]
                else:
                    x_row = x[n, c, ih]
                    for ow in range(lo, hi):
                        x_row[ow * SW + w_off] += row[ow]


@loop
def _im2col(x, cols, SH, SW, PH, PW, DH, DW):
    for block in prange(cols.shape[0] * cols.shape[1] * cols.shape[2] * cols.shape[3]):
        _im2col_block(x, cols, block, SH, SW, PH, PW, DH, DW)


@loop
def _col2im(cols, x, SH, SW, PH, PW, DH, DW):
    for plane in prange(x.shape[0] * x.shape[1]):
        _col2im_plane(cols, x, plane, SH, SW, PH, PW, DH, DW)


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
) -> np.ndarray:
    """Receptive fields of ``x`` (N, C, H, W) as ``cols`` (C, KH, KW, N, OH, OW); see reference."""
    x = np.ascontiguousarray(x)  # one compiled layout; strided input is copied once
    N, C, H, W = x.shape
    shape = (C, KH, KW, N, output_size(H, KH, SH, PH, DH), output_size(W, KW, SW, PW, DW))
    cols = np.empty(shape, dtype=x.dtype) if out is None else out
    _im2col(cols.size, x, cols, SH, SW, PH, PW, DH, DW)
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
) -> np.ndarray:
    """The adjoint of `im2col`: ``cols`` (C, KH, KW, N, OH, OW) summed back into ``x_shape``."""
    cols = np.ascontiguousarray(cols)
    x = np.zeros(tuple(x_shape), dtype=cols.dtype)
    _col2im(cols.size, cols, x, SH, SW, PH, PW, DH, DW)
    return x
