"""im2col and col2im as Numba loops on the CPU; same signatures and layout as ``reference.py``.

``cols`` is (C, KH, KW, N, OH, OW) (see ``reference.py`` for why). One *block* of ``cols`` is
the OH x OW outputs of one (c, kh, kw, n): output row oh reads input row oh*SH + kh*DH - PH
of plane (n, c), every SW-th pixel from column kw*DW - PW. So both kernels work a row at a
time: a run of valid columns [lo, hi) and zeros (im2col) or nothing (col2im) around it.

Two drivers per kernel run the same block function: a ``prange`` one, which splits blocks
(im2col) or planes (col2im) over threads, and a serial one for small inputs, where starting
the threads (~30-70 us with the workqueue layer) costs more than it saves. col2im splits
planes, not blocks, so that no two threads ever add into the same pixel (no atomics, and
each pixel's sum comes out in the reference's order).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._numba import PARALLEL_MIN_WORK, njit, prange
from .reference import output_size


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


@njit(parallel=True, cache=True)
def _im2col_parallel(x, cols, SH, SW, PH, PW, DH, DW):
    for block in prange(cols.shape[0] * cols.shape[1] * cols.shape[2] * cols.shape[3]):
        _im2col_block(x, cols, block, SH, SW, PH, PW, DH, DW)


@njit(cache=True)
def _im2col_serial(x, cols, SH, SW, PH, PW, DH, DW):
    for block in range(cols.shape[0] * cols.shape[1] * cols.shape[2] * cols.shape[3]):
        _im2col_block(x, cols, block, SH, SW, PH, PW, DH, DW)


@njit(parallel=True, cache=True)
def _col2im_parallel(cols, x, SH, SW, PH, PW, DH, DW):
    for plane in prange(x.shape[0] * x.shape[1]):
        _col2im_plane(cols, x, plane, SH, SW, PH, PW, DH, DW)


@njit(cache=True)
def _col2im_serial(cols, x, SH, SW, PH, PW, DH, DW):
    for plane in range(x.shape[0] * x.shape[1]):
        _col2im_plane(cols, x, plane, SH, SW, PH, PW, DH, DW)


@njit(cache=True)
def _direct_plane(x_pad, w, bias, y, plane):
    """y[n, o] for a 3x3 kernel, a row at a time: each output value is the bias plus the 9
    weighted pixels under it, in each of the C channels. One expression for the 9 terms:
    each output row is written once per channel (not once per kernel offset), and the
    loop over j is contiguous, so LLVM vectorises it."""
    C_out, C = w.shape[0], w.shape[1]
    OH, OW = y.shape[2], y.shape[3]
    n, o = plane // C_out, plane % C_out
    for i in range(OH):
        out = y[n, o, i]
        out[:] = bias[o]
        for c in range(C):
            r0, r1, r2 = x_pad[n, c, i], x_pad[n, c, i + 1], x_pad[n, c, i + 2]
            (a0, a1, a2), (b0, b1, b2), (c0, c1, c2) = w[o, c, 0], w[o, c, 1], w[o, c, 2]
            for j in range(OW):
                out[j] += (
                    a0 * r0[j] + a1 * r0[j + 1] + a2 * r0[j + 2]
                    + b0 * r1[j] + b1 * r1[j + 1] + b2 * r1[j + 2]
                    + c0 * r2[j] + c1 * r2[j + 1] + c2 * r2[j + 2]
                )  # fmt: skip


@njit(fastmath=True, cache=True)
def _direct_weight_grad_out(x_pad, dy, dw, db, o):
    """dw[o] and db[o] for a 3x3 kernel: for each row of dy[:, o] and each channel, 9 dot
    products with the shifted rows of x_pad under it, in one pass (fastmath lets LLVM
    split each dot into vector partial sums, reordering the additions)."""
    N, C_out, OH, OW = dy.shape
    C = dw.shape[1]
    dw[o] = 0
    db[o] = 0
    zero = db[o]  # of dy's dtype (a literal 0 times a float32 would be a float64)
    for n in range(N):
        for i in range(OH):
            e, total = dy[n, o, i], zero
            for j in range(OW):
                total += e[j]
            db[o] += total
            for c in range(C):
                r0, r1, r2 = x_pad[n, c, i], x_pad[n, c, i + 1], x_pad[n, c, i + 2]
                a0 = a1 = a2 = b0 = b1 = b2 = c0 = c1 = c2 = zero
                for j in range(OW):
                    a0 += e[j] * r0[j]
                    a1 += e[j] * r0[j + 1]
                    a2 += e[j] * r0[j + 2]
                    b0 += e[j] * r1[j]
                    b1 += e[j] * r1[j + 1]
                    b2 += e[j] * r1[j + 2]
                    c0 += e[j] * r2[j]
                    c1 += e[j] * r2[j + 1]
                    c2 += e[j] * r2[j + 2]
                k = dw[o, c]
                k[0, 0], k[0, 1], k[0, 2] = k[0, 0] + a0, k[0, 1] + a1, k[0, 2] + a2
                k[1, 0], k[1, 1], k[1, 2] = k[1, 0] + b0, k[1, 1] + b1, k[1, 2] + b2
                k[2, 0], k[2, 1], k[2, 2] = k[2, 0] + c0, k[2, 1] + c1, k[2, 2] + c2


@njit(parallel=True, cache=True)
def _direct_parallel(x_pad, w, bias, y):
    for plane in prange(y.shape[0] * y.shape[1]):
        _direct_plane(x_pad, w, bias, y, plane)


@njit(cache=True)
def _direct_serial(x_pad, w, bias, y):
    for plane in range(y.shape[0] * y.shape[1]):
        _direct_plane(x_pad, w, bias, y, plane)


@njit(parallel=True, cache=True)
def _direct_weight_grad_parallel(x_pad, dy, dw, db):
    for o in prange(dy.shape[1]):
        _direct_weight_grad_out(x_pad, dy, dw, db, o)


@njit(cache=True)
def _direct_weight_grad_serial(x_pad, dy, dw, db):
    for o in range(dy.shape[1]):
        _direct_weight_grad_out(x_pad, dy, dw, db, o)


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
    run = _im2col_parallel if cols.size >= PARALLEL_MIN_WORK else _im2col_serial
    run(x, cols, SH, SW, PH, PW, DH, DW)
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
    run = _col2im_parallel if cols.size >= PARALLEL_MIN_WORK else _col2im_serial
    run(cols, x, SH, SW, PH, PW, DH, DW)
    return x


def _check_3x3(shape: tuple) -> None:
    # The loops below read 3 rows and 3 columns: a larger kernel would read out of bounds.
    if tuple(shape[-2:]) != (3, 3):
        raise ValueError(f"conv2d_direct (cpu): only 3x3 kernels, got {tuple(shape[-2:])}")


def _padded(x: np.ndarray, PH: int, PW: int) -> np.ndarray:
    """x with PH, PW zeros around (cheap: few channels); np.pad took ~0.1 ms more."""
    N, C, H, W = x.shape
    if PH == PW == 0:
        return np.ascontiguousarray(x)
    x_pad = np.zeros((N, C, H + 2 * PH, W + 2 * PW), dtype=x.dtype)
    x_pad[:, :, PH : PH + H, PW : PW + W] = x
    return x_pad


def conv2d_direct(x: Any, w: Any, PH: int, PW: int, bias: Any = None) -> np.ndarray:
    """Stride-1 conv2d without ``cols``, parallel over (n, o) planes; see reference."""
    _check_3x3(w.shape)
    x_pad = _padded(x, PH, PW)
    C_out, _, KH, KW = w.shape
    N, _, HP, WP = x_pad.shape
    y = np.empty((N, C_out, HP - KH + 1, WP - KW + 1), dtype=x.dtype)
    bias = np.zeros(C_out, x.dtype) if bias is None else np.ascontiguousarray(bias)
    run = _direct_parallel if y.size >= PARALLEL_MIN_WORK else _direct_serial
    run(x_pad, np.ascontiguousarray(w), bias, y)
    return y


def conv2d_direct_weight_grad(
    x: Any, dy: Any, KH: int, KW: int, PH: int, PW: int
) -> tuple[np.ndarray, np.ndarray]:
    """(dw, db) of `conv2d_direct`, parallel over output channels; see reference."""
    _check_3x3((KH, KW))
    x_pad = _padded(x, PH, PW)
    dw = np.empty((dy.shape[1], x.shape[1], KH, KW), dtype=x.dtype)
    db = np.empty(dy.shape[1], dtype=x.dtype)
    run = (
        _direct_weight_grad_parallel if dy.size >= PARALLEL_MIN_WORK else _direct_weight_grad_serial
    )
    run(x_pad, np.ascontiguousarray(dy), dw, db)
    return dw, db
