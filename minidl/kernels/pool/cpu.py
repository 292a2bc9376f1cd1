"""Max-pooling with indices, its backward and max-unpooling as Numba loops; same contract as
``reference.py``.

Each (n, c) plane is independent: pooling reads one plane and writes one, so threads split
the N*C planes (``prange``) and never write to the same place; each loop is compiled serial
and parallel from one body (``_numba.loop``), and small inputs run serial: waking threads
would cost more than it saves. The scatters' indices point inside the value's own plane, so
they split planes too, without atomics. ``max_pool2d`` picks one of three loops.

Why this beats a vectorised pooling: every window is scanned once, in cache, with its maximum
and position kept in registers; the reference instead makes KH*KW passes over whole arrays.
The comparison is written branch-free (``take = v > best or v is NaN``, then two selects),
which LLVM compiles to vector blends instead of jumps. The 2x2, stride-2, unpadded windows of
U-Net-style networks get their own loop with the four pixels written out, which needs no
clipped window extents and keeps the inner loop free of bounds arithmetic. Dilated
windows get a third loop, so that the other two keep their unit-step inner loops. ceil_mode
needs no loop of its own: its extra last window is clipped like a padded one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...geometry import pool_output_size
from .._numba import loop, njit, prange


@loop
def _windows(x, out, indices, KH, KW, SH, SW, PH, PW):
    """Any window, stride and padding: each window clipped to the real pixels."""
    N, C, H, W = x.shape
    OH, OW = out.shape[2], out.shape[3]
    for plane in prange(N * C):
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
                        # ">" keeps the first maximum on ties; NaN always wins (PyTorch's).
                        take = (value > best) | (value != value)
                        best = value if take else best
                        best_at = ih * W + iw if take else best_at
                out_plane[oh, ow] = best
                idx_plane[oh, ow] = best_at


@loop
def _dilated_windows(x, out, indices, KH, KW, SH, SW, PH, PW, DH, DW):
    """The same rule for taps DH x DW apart: only the taps on real pixels are visited."""
    N, C, H, W = x.shape
    OH, OW = out.shape[2], out.shape[3]
    for plane in prange(N * C):
        n, c = plane // C, plane % C
        x_plane, out_plane, idx_plane = x[n, c], out[n, c], indices[n, c]
        for oh in range(OH):
            h0 = oh * SH - PH
            h_end = min(h0 + (KH - 1) * DH + 1, H)
            h0 += (max(-h0, 0) + DH - 1) // DH * DH  # the first tap at or after row 0
            for ow in range(OW):
                w0 = ow * SW - PW
                w_end = min(w0 + (KW - 1) * DW + 1, W)
                w0 += (max(-w0, 0) + DW - 1) // DW * DW
                # A window may hold no real pixel: then -inf and this offset (PyTorch's rule).
                best, best_at = -np.inf, h0 * W + w0
                for ih in range(h0, h_end, DH):
                    for iw in range(w0, w_end, DW):
                        value = x_plane[ih, iw]
                        take = (value > best) | (value != value)
                        best = value if take else best
                        best_at = ih * W + iw if take else best_at
                out_plane[oh, ow] = best
                idx_plane[oh, ow] = best_at


@loop
def _windows_2x2(x, out, indices):
    """The same rule for 2x2 windows, stride 2, no padding: all four pixels are real."""
    N, C, H, W = x.shape
    OH, OW = out.shape[2], out.shape[3]
    for plane in prange(N * C):
        n, c = plane // C, plane % C
        for oh in range(OH):
            top, bottom = x[n, c, 2 * oh], x[n, c, 2 * oh + 1]
            out_row, idx_row = out[n, c, oh], indices[n, c, oh]
            for ow in range(OW):
                # the window's pixels in scan order, with their offsets from its top-left one
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
def _scatter_plane(x, indices, out, plane, add) -> int:
    """Zero one output plane and scatter its values into it, adding (``add``) or writing;
    returns how many indices fell outside the plane (they are skipped)."""
    x_row, idx_row, out_row = x[plane], indices[plane], out[plane]
    out_row[:] = 0  # here rather than np.zeros: the plane is zeroed while it is in cache
    bad = 0
    for j in range(x_row.shape[0]):
        k = idx_row[j]
        if k < 0 or k >= out_row.shape[0]:  # Numba does not check bounds
            bad += 1
        elif add:
            out_row[k] += x_row[j]  # repeated offsets add up
        else:
            out_row[k] = x_row[j]  # the last of repeated offsets stays
    return bad


@loop
def _scatter_planes(x, indices, out, bad, add):
    for plane in prange(out.shape[0]):
        bad[plane] = _scatter_plane(x, indices, out, plane, add)


def max_pool2d(
    x: Any,
    KH: int,
    KW: int,
    SH: int,
    SW: int,
    PH: int,
    PW: int,
    DH: int = 1,
    DW: int = 1,
    ceil_mode: bool = False,
) -> tuple[Any, Any]:
    """Max over each window of ``x`` (N, C, H, W) and its int64 flat offset; see reference."""
    x = np.ascontiguousarray(x)  # one compiled layout; strided input is copied once
    N, C, H, W = x.shape
    OH = pool_output_size(H, KH, SH, PH, DH, ceil_mode)
    OW = pool_output_size(W, KW, SW, PW, DW, ceil_mode)
    out = np.empty((N, C, OH, OW), dtype=x.dtype)
    indices = np.empty((N, C, OH, OW), dtype=np.int64)
    # A ceil_mode window past the edge (2*OH > H) would read outside: the general loop clips.
    whole = 2 * OH <= H and 2 * OW <= W
    if DH != 1 or DW != 1:
        _dilated_windows(x.size, x, out, indices, KH, KW, SH, SW, PH, PW, DH, DW)
    elif (KH, KW, SH, SW, PH, PW) == (2, 2, 2, 2, 0, 0) and whole:
        _windows_2x2(x.size, x, out, indices)
    else:
        _windows(x.size, x, out, indices, KH, KW, SH, SW, PH, PW)
    return out, indices


def _scatter(x: Any, indices: Any, OH: int, OW: int, add: bool) -> tuple[np.ndarray, int]:
    N, C, H, W = x.shape
    x2 = np.ascontiguousarray(x).reshape(N * C, H * W)  # one row per plane
    idx2 = np.ascontiguousarray(indices, dtype=np.int64).reshape(N * C, H * W)
    out = np.empty((N, C, OH, OW), dtype=x2.dtype)  # returned as is: not a view
    bad = np.zeros(N * C, dtype=np.int64)  # per plane: a kernel cannot raise from a thread
    _scatter_planes(out.size, x2, idx2, out.reshape(N * C, OH * OW), bad, add)
    return out, int(bad.sum())


def max_pool2d_backward(dout: Any, indices: Any, H: int, W: int) -> np.ndarray:
    """Scatter ``dout`` (N, C, OH, OW) to ``indices`` in zeros (N, C, H, W), summing repeats;
    offsets outside the plane (a dilated window without a real pixel) receive nothing."""
    return _scatter(dout, indices, H, W, add=True)[0]


def max_unpool2d(x: Any, indices: Any, OH: int, OW: int) -> np.ndarray:
    """Write ``x`` (N, C, H, W) at ``indices`` in zeros (N, C, OH, OW), the last repeat kept."""
    out, bad = _scatter(x, indices, OH, OW, add=False)
    if bad:
        raise IndexError(f"max_unpool2d: {bad} indices lie outside [0, {OH * OW})")
    return out
