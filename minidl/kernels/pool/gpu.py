"""Max-pooling with indices, its backward and max-unpooling as numba-cuda kernels on CuPy
arrays.

Same contract as ``reference.py``. One thread per output element of ``max_pool2d`` (it scans
its window in the same row-major order as the reference, so ties and NaNs resolve the same
way), and one thread per value to scatter. Two values may be sent to the same place
(overlapping windows remember the same pixel), so the backward adds with
``cuda.atomic.add``: the sum is then right whatever order the threads run in. Unpooling
writes instead, and plain racing writes would keep whichever thread came last; to keep the
last value in row-major order, as the reference does, each target first takes the largest
sender position with ``cuda.atomic.max``, then a second pass copies that sender's value.

Under ``NUMBA_ENABLE_CUDASIM=1`` the same kernels run on NumPy arrays (keep launches small).
"""

from __future__ import annotations

import math
from typing import Any

from numba import cuda

from ...backend import array_module
from ...geometry import pool_output_size

THREADS = 256  # threads per block: a multiple of the 32-thread warp


def _blocks(n: int) -> int:
    return max(1, min((n + THREADS - 1) // THREADS, 65535))


@cuda.jit
def _max_pool2d_kernel(x, out, indices, KH, KW, SH, SW, PH, PW, DH, DW):
    N, C, H, W = x.shape
    OH, OW = out.shape[2], out.shape[3]
    i = cuda.grid(1)
    while i < out.size:
        # i -> (n, c, oh, ow), last axis fastest
        ow = i % OW
        oh = (i // OW) % OH
        c = (i // (OW * OH)) % C
        n = i // (OW * OH * C)
        h0, w0 = oh * SH - PH, ow * SW - PW
        h1, w1 = min(h0 + (KH - 1) * DH + 1, H), min(w0 + (KW - 1) * DW + 1, W)
        # padding is -inf: start at the first tap on or after row 0 and column 0
        h0 += (max(-h0, 0) + DH - 1) // DH * DH
        w0 += (max(-w0, 0) + DW - 1) // DW * DW
        best = -math.inf
        best_at = h0 * W + w0
        for ih in range(h0, h1, DH):
            for iw in range(w0, w1, DW):
                value = x[n, c, ih, iw]
                if value > best or math.isnan(value):  # first maximum wins; NaN propagates
                    best = value
                    best_at = ih * W + iw
        out[n, c, oh, ow] = best
        indices[n, c, oh, ow] = best_at
        i += cuda.gridsize(1)


@cuda.jit
def _scatter_add_kernel(x, indices, out):
    planes, size = out.shape  # (N*C, H*W)
    i = cuda.grid(1)
    while i < x.size:
        plane, j = i // x.shape[1], i % x.shape[1]
        k = indices[plane, j]
        if 0 <= k < size:  # outside: a dilated window without a real pixel, nothing to send
            cuda.atomic.add(out, (plane, k), x[plane, j])
        i += cuda.gridsize(1)


@cuda.jit
def _last_sender_kernel(indices, sender):
    planes, size = sender.shape  # (N*C, OH*OW), -1 where nothing is sent
    i = cuda.grid(1)
    while i < indices.size:
        plane, j = i // indices.shape[1], i % indices.shape[1]
        k = indices[plane, j]
        if 0 <= k < size:  # a kernel cannot raise: the op checks the range beforehand
            cuda.atomic.max(sender, (plane, k), j)
        i += cuda.gridsize(1)


@cuda.jit
def _copy_from_sender_kernel(x, sender, out):
    i = cuda.grid(1)
    while i < out.size:
        plane, k = i // out.shape[1], i % out.shape[1]
        j = sender[plane, k]
        if j >= 0:  # a branch, not a select: x[plane, -1] must never be read
            out[plane, k] = x[plane, j]
        else:
            out[plane, k] = 0
        i += cuda.gridsize(1)


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
    xp = array_module(x)
    x = xp.ascontiguousarray(x)
    N, C, H, W = x.shape
    OH = pool_output_size(H, KH, SH, PH, DH, ceil_mode)
    OW = pool_output_size(W, KW, SW, PW, DW, ceil_mode)
    out = xp.empty((N, C, OH, OW), dtype=x.dtype)
    indices = xp.empty((N, C, OH, OW), dtype=xp.int64)
    if out.size:
        geometry = (KH, KW, SH, SW, PH, PW, DH, DW)
        _max_pool2d_kernel[_blocks(out.size), THREADS](x, out, indices, *geometry)
    return out, indices


def _planes(x: Any, indices: Any) -> tuple[Any, Any]:
    """``x`` and ``indices`` (N, C, h, w) as contiguous (N*C, h*w): one row per plane."""
    xp = array_module(x)
    N, C, h, w = x.shape
    x2 = xp.ascontiguousarray(x).reshape(N * C, h * w)
    return x2, xp.ascontiguousarray(indices, dtype=xp.int64).reshape(N * C, h * w)


def max_pool2d_backward(dout: Any, indices: Any, H: int, W: int) -> Any:
    """Scatter ``dout`` (N, C, OH, OW) to ``indices`` in zeros (N, C, H, W), summing repeats."""
    xp = array_module(dout)
    N, C = dout.shape[:2]
    d2, idx2 = _planes(dout, indices)
    dx = xp.zeros((N, C, H, W), dtype=d2.dtype)  # returned as is: not a view
    if d2.size:
        _scatter_add_kernel[_blocks(d2.size), THREADS](d2, idx2, dx.reshape(N * C, H * W))
    return dx


def max_unpool2d(x: Any, indices: Any, OH: int, OW: int) -> Any:
    """Write ``x`` (N, C, H, W) at ``indices`` in zeros (N, C, OH, OW), the last repeat kept."""
    xp = array_module(x)
    N, C = x.shape[:2]
    x2, idx2 = _planes(x, indices)
    out = xp.empty((N, C, OH, OW), dtype=x2.dtype)  # returned as is: not a view
    if out.size:
        sender = xp.full((N * C, OH * OW), -1, dtype=xp.int64)
        if x2.size:
            _last_sender_kernel[_blocks(x2.size), THREADS](idx2, sender)
        flat = out.reshape(N * C, OH * OW)
        _copy_from_sender_kernel[_blocks(out.size), THREADS](x2, sender, flat)
    return out
