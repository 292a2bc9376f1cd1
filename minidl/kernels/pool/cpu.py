"""Max-pooling with indices and max-unpooling as Numba loops; same contract as ``reference.py``.

Each (n, c) plane is independent: pooling reads one plane and writes one, so threads split
the N*C planes and never write to the same place (small inputs run a serial driver: waking
threads would cost more than it saves). Unpooling's indices point inside the
value's own plane, so it too could split planes without atomics; it is serial (see below).

Why this beats a vectorised pooling: every window is scanned once, in cache, with its maximum
and offset kept in registers; the reference instead makes KH*KW passes over whole arrays.
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
            best = -np.inf
            best_at = h0 * W + w0
            for ih in range(h0, h1):
                for iw in range(w0, w1):
                    value = x_plane[ih, iw]
                    # ">" keeps the first maximum on ties; NaN always wins (PyTorch's rule).
                    if value > best or np.isnan(value):
                        best = value
                        best_at = ih * W + iw
            out_plane[oh, ow] = best
            idx_plane[oh, ow] = best_at


@njit(parallel=True, cache=True)
def _max_pool2d_parallel(x, out, indices, KH, KW, SH, SW, PH, PW):
    for plane in prange(x.shape[0] * x.shape[1]):
        _max_pool2d_plane(x, out, indices, plane, KH, KW, SH, SW, PH, PW)


@njit(cache=True)
def _max_pool2d_serial(x, out, indices, KH, KW, SH, SW, PH, PW):
    for plane in range(x.shape[0] * x.shape[1]):
        _max_pool2d_plane(x, out, indices, plane, KH, KW, SH, SW, PH, PW)


# Serial on purpose: a scatter is one read and one add per value, memory-bound, and it already
# ran faster than PyTorch's; a parallel launch (~0.1 ms with workqueue) would not pay.
@njit(cache=True)
def _max_unpool2d(x, indices, out):
    planes, size = out.shape  # (N*C, OH*OW)
    for plane in range(planes):
        x_row, idx_row, out_row = x[plane], indices[plane], out[plane]
        for j in range(x_row.shape[0]):
            k = idx_row[j]
            if k < 0 or k >= size:  # Numba does not check bounds: an index out of range
                raise IndexError("max_unpool2d: an index lies outside the output plane")
            out_row[k] += x_row[j]  # repeated offsets add up


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
    out = np.zeros((N * C, OH * OW), dtype=x2.dtype)
    _max_unpool2d(x2, idx2, out)
    return out.reshape(N, C, OH, OW)
