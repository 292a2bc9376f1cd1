"""Depthwise convolution as Numba loops on the CPU; same signatures as ``reference.py``.

Output channel o reads input channel c = o // M only (M: the channel multiplier), so every
output plane is a sum of KH*KW weighted, shifted rows of one input plane. Each kernel works a
row at a time, on the run [lo, hi) of output columns whose input column lies inside the image
(``_valid``, shared with im2col): no padded copy of the input, and with stride 1 both rows
are contiguous, which LLVM turns into vector loops.

Threads split whole planes: (n, o) output planes (forward), output channels (weight
gradient), (n, c) input planes (input gradient: the M outputs of one input channel add into
it from one thread, so no two threads write one pixel). A serial driver runs small inputs,
where starting the threads costs more than it saves.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...geometry import conv_output_size as output_size
from .._numba import loop, njit, prange
from ..im2col.cpu import _valid


@njit(cache=True)
def _column_runs(KW, SW, PW, DW, W, OW):
    """[lo, hi) of `_valid` for each kernel column kw, computed once per plane: the integer
    divisions inside cost more than a short row's loop when done per row."""
    runs = np.empty((KW, 2), dtype=np.int64)
    for kw in range(KW):
        runs[kw, 0], runs[kw, 1] = _valid(kw * DW - PW, SW, W, OW)
    return runs


@njit(cache=True)
def _forward_plane(x, w, bias, y, plane, SH, SW, PH, PW, DH, DW):
    N, C, H, W = x.shape
    C_out, _, KH, KW = w.shape
    OH, OW = y.shape[2], y.shape[3]
    n, o = plane // C_out, plane % C_out
    c = o // (C_out // C)
    runs = _column_runs(KW, SW, PW, DW, W, OW)
    for i in range(OH):
        out = y[n, o, i]
        out[:] = bias[o]
        for kh in range(KH):
            ih = i * SH + kh * DH - PH
            if ih < 0 or ih >= H:  # this kernel row reads the zero padding
                continue
            row = x[n, c, ih]
            for kw in range(KW):
                w_off = kw * DW - PW  # output column j reads input column j*SW + w_off
                lo, hi = runs[kw, 0], runs[kw, 1]
                weight = w[o, 0, kh, kw]
                if SW == 1:
                    src, dst = row[lo + w_off : hi + w_off], out[lo:hi]
                    for j in range(hi - lo):
                        dst[j] += weight * src[j]
                elif SW == 2:  # a constant stride: LLVM vectorises the interleaved loads
                    src, dst = row[2 * lo + w_off :], out[lo:hi]
                    for j in range(hi - lo):
                        dst[j] += weight * src[2 * j]
                else:
                    for j in range(lo, hi):
                        out[j] += weight * row[j * SW + w_off]


@njit(fastmath=True, cache=True)
def _weight_grad_channel(x, dy, dw, o, SH, SW, PH, PW, DH, DW):
    """dw[o]: KH*KW dot products of dy[:, o] rows with the x rows under them (fastmath lets
    LLVM split each dot into vector partial sums, reordering the additions)."""
    N, C, H, W = x.shape
    C_out, _, KH, KW = dw.shape
    OH, OW = dy.shape[2], dy.shape[3]
    c = o // (C_out // C)
    runs = _column_runs(KW, SW, PW, DW, W, OW)
    dw[o] = 0
    zero = dw[o, 0, 0, 0]  # of dy's dtype (a literal 0 times a float32 would be a float64)
    for n in range(N):
        for i in range(OH):
            e = dy[n, o, i]
            for kh in range(KH):
                ih = i * SH + kh * DH - PH
                if ih < 0 or ih >= H:
                    continue
                row = x[n, c, ih]
                for kw in range(KW):
                    w_off = kw * DW - PW
                    lo, hi = runs[kw, 0], runs[kw, 1]
                    total = zero
                    if SW == 1:
                        a, b = e[lo:hi], row[lo + w_off : hi + w_off]
                        for j in range(hi - lo):
                            total += a[j] * b[j]
                    elif SW == 2:
                        a, b = e[lo:hi], row[2 * lo + w_off :]
                        for j in range(hi - lo):
                            total += a[j] * b[2 * j]
                    else:
                        for j in range(lo, hi):
                            total += e[j] * row[j * SW + w_off]
                    dw[o, 0, kh, kw] += total


@njit(cache=True)
def _input_grad_plane(dy, w, dx, plane, SH, SW, PH, PW, DH, DW):
    N, C, H, W = dx.shape
    C_out, _, KH, KW = w.shape
    OH, OW = dy.shape[2], dy.shape[3]
    M = C_out // C
    n, c = plane // C, plane % C
    runs = _column_runs(KW, SW, PW, DW, W, OW)
    for o in range(c * M, c * M + M):
        for i in range(OH):
            e = dy[n, o, i]
            for kh in range(KH):
                ih = i * SH + kh * DH - PH
                if ih < 0 or ih >= H:  # read from the padding: dropped
                    continue
                row = dx[n, c, ih]
                for kw in range(KW):
                    w_off = kw * DW - PW
                    lo, hi = runs[kw, 0], runs[kw, 1]
                    weight = w[o, 0, kh, kw]
                    if SW == 1:
                        src, dst = e[lo:hi], row[lo + w_off : hi + w_off]
                        for j in range(hi - lo):
                            dst[j] += weight * src[j]
                    elif SW == 2:
                        src, dst = e[lo:hi], row[2 * lo + w_off :]
                        for j in range(hi - lo):
                            dst[2 * j] += weight * src[j]
                    else:
                        for j in range(lo, hi):
                            row[j * SW + w_off] += weight * e[j]


@loop
def _forward(x, w, bias, y, SH, SW, PH, PW, DH, DW):
    for plane in prange(y.shape[0] * y.shape[1]):
        _forward_plane(x, w, bias, y, plane, SH, SW, PH, PW, DH, DW)


@loop
def _weight_grad(x, dy, dw, SH, SW, PH, PW, DH, DW):
    for o in prange(dw.shape[0]):
        _weight_grad_channel(x, dy, dw, o, SH, SW, PH, PW, DH, DW)


@loop
def _input_grad(dy, w, dx, SH, SW, PH, PW, DH, DW):
    for plane in prange(dx.shape[0] * dx.shape[1]):
        _input_grad_plane(dy, w, dx, plane, SH, SW, PH, PW, DH, DW)


def conv2d_depthwise(
    x: Any, w: Any, SH: int, SW: int, PH: int, PW: int, DH: int, DW: int, bias: Any = None
) -> np.ndarray:
    """x (N, C, H, W), w (C*M, 1, KH, KW) -> y (N, C*M, OH, OW); see reference."""
    x, w = np.ascontiguousarray(x), np.ascontiguousarray(w)  # one compiled layout
    N, C, H, W = x.shape
    C_out, _, KH, KW = w.shape
    OH, OW = output_size(H, KH, SH, PH, DH), output_size(W, KW, SW, PW, DW)
    y = np.empty((N, C_out, OH, OW), dtype=x.dtype)
    bias = np.zeros(C_out, x.dtype) if bias is None else np.ascontiguousarray(bias)
    _forward(y.size * KH * KW, x, w, bias, y, SH, SW, PH, PW, DH, DW)
    return y


def conv2d_depthwise_weight_grad(
    x: Any, dy: Any, KH: int, KW: int, SH: int, SW: int, PH: int, PW: int, DH: int, DW: int
) -> np.ndarray:
    """dw (C*M, 1, KH, KW) of `conv2d_depthwise`; see reference."""
    x, dy = np.ascontiguousarray(x), np.ascontiguousarray(dy)
    dw = np.empty((dy.shape[1], 1, KH, KW), dtype=x.dtype)
    _weight_grad(dy.size * KH * KW, x, dy, dw, SH, SW, PH, PW, DH, DW)
    return dw


def conv2d_depthwise_input_grad(
    dy: Any,
    w: Any,
    x_shape: tuple[int, int, int, int],
    SH: int,
    SW: int,
    PH: int,
    PW: int,
    DH: int,
    DW: int,
) -> np.ndarray:
    """dx (x_shape) of `conv2d_depthwise`; see reference."""
    dy, w = np.ascontiguousarray(dy), np.ascontiguousarray(w)
    dx = np.zeros(tuple(x_shape), dtype=dy.dtype)
    KH, KW = w.shape[2], w.shape[3]
    _input_grad(dy.size * KH * KW, dy, w, dx, SH, SW, PH, PW, DH, DW)
    return dx
