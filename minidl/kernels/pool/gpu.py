"""Max-pooling with indices and max-unpooling as numba-cuda kernels on CuPy arrays.

Same contract as ``reference.py``. One thread per output element of ``max_pool2d`` (it scans
its window in the same row-major order as the reference, so ties and NaNs resolve the same
way), and one thread per input value of ``max_unpool2d``. Two values may be sent to the same
place (overlapping windows remember the same pixel), so unpooling adds with
``cuda.atomic.add``: the sum is then right whatever order the threads run in.

Under ``NUMBA_ENABLE_CUDASIM=1`` the same kernels run on NumPy arrays (keep launches small).
"""

from __future__ import annotations

import math
from typing import Any

from numba import cuda

from ...backend import array_module
from .reference import pool_output_size

THREADS = 256  # threads per block: a multiple of the 32-thread warp


def _blocks(n: int) -> int:
    return max(1, min((n + THREADS - 1) // THREADS, 65535))


@cuda.jit
def _max_pool2d_kernel(x, out, indices, KH, KW, SH, SW, PH, PW):
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
        h1, w1 = min(h0 + KH, H), min(w0 + KW, W)
        h0, w0 = max(h0, 0), max(w0, 0)  # padding is -inf: start at the first real pixel
        best = -math.inf
        best_at = h0 * W + w0
        for ih in range(h0, h1):
            for iw in range(w0, w1):
                value = x[n, c, ih, iw]
                if value > best or math.isnan(value):  # first maximum wins; NaN propagates
                    best = value
                    best_at = ih * W + iw
        out[n, c, oh, ow] = best
        indices[n, c, oh, ow] = best_at
        i += cuda.gridsize(1)


@cuda.jit
def _max_unpool2d_kernel(x, indices, out):
    planes, size = out.shape  # (N*C, OH*OW)
    i = cuda.grid(1)
    while i < x.size:
        plane, j = i // x.shape[1], i % x.shape[1]
        k = indices[plane, j]
        if 0 <= k < size:  # a kernel cannot raise: the op checks the range beforehand
            cuda.atomic.add(out, (plane, k), x[plane, j])
        i += cuda.gridsize(1)


def max_pool2d(x: Any, KH: int, KW: int, SH: int, SW: int, PH: int, PW: int) -> tuple[Any, Any]:
    """Max over each window of ``x`` (N, C, H, W) and its int64 flat offset; see reference."""
    xp = array_module(x)
    x = xp.ascontiguousarray(x)
    N, C, H, W = x.shape
    OH, OW = pool_output_size(H, KH, SH, PH), pool_output_size(W, KW, SW, PW)
    out = xp.empty((N, C, OH, OW), dtype=x.dtype)
    indices = xp.empty((N, C, OH, OW), dtype=xp.int64)
    if out.size:
        _max_pool2d_kernel[_blocks(out.size), THREADS](x, out, indices, KH, KW, SH, SW, PH, PW)
    return out, indices


def max_unpool2d(x: Any, indices: Any, OH: int, OW: int) -> Any:
    """Scatter ``x`` (N, C, H, W) to ``indices`` in zeros (N, C, OH, OW), summing repeats."""
    xp = array_module(x)
    N, C, H, W = x.shape
    x2 = xp.ascontiguousarray(x).reshape(N * C, H * W)  # one row per plane
    idx2 = xp.ascontiguousarray(indices, dtype=xp.int64).reshape(N * C, H * W)
    out = xp.zeros((N, C, OH, OW), dtype=x2.dtype)  # returned as is: not a view
    if x2.size:
        _max_unpool2d_kernel[_blocks(x2.size), THREADS](x2, idx2, out.reshape(N * C, OH * OW))
    return out
