"""im2col and col2im as numba-cuda kernels on CuPy arrays; same signatures as ``reference.py``.

One GPU thread per output element, in a grid-stride loop (a thread moves on by the whole
grid's size, so any launch size covers any array):

- ``im2col``: one thread per entry of ``cols`` (C, KH, KW, N, OH, OW). Consecutive threads
  write consecutive entries (coalesced stores); padding entries get 0.
- ``col2im``: one thread per *input* pixel, which gathers the few entries of ``cols`` that were
  read from it (Caffe's ``col2im_gpu``). Each thread owns its sum, so there are no atomics, and
  the result is deterministic. Pixel (ih, iw) was read by kernel offset kh at output row oh when
  oh*SH + kh*DH == ih + PH, i.e. when (ih + PH - kh*DH) is a multiple of SH.

Under ``NUMBA_ENABLE_CUDASIM=1`` the same kernels run on NumPy arrays, one Python thread per
GPU thread, which is how CI checks them without a GPU (keep those launches small).
"""

from __future__ import annotations

from typing import Any

from numba import cuda

from ...backend import array_module
from ...geometry import conv_output_size as output_size

THREADS = 256  # threads per block: a multiple of the 32-thread warp


def _blocks(n: int) -> int:
    return max(1, min((n + THREADS - 1) // THREADS, 65535))


@cuda.jit
def _im2col_kernel(x, cols, SH, SW, PH, PW, DH, DW):
    N, C, H, W = x.shape
    _, KH, KW, _, OH, OW = cols.shape
    i = cuda.grid(1)
    while i < cols.size:
        # i -> (c, kh, kw, n, oh, ow), last axis fastest
        ow = i % OW
        oh = (i // OW) % OH
        n = (i // (OW * OH)) % N
        kw = (i // (OW * OH * N)) % KW
        kh = (i // (OW * OH * N * KW)) % KH
        c = i // (OW * OH * N * KW * KH)
        ih = oh * SH - PH + kh * DH
        iw = ow * SW - PW + kw * DW
        if 0 <= ih < H and 0 <= iw < W:
            cols[c, kh, kw, n, oh, ow] = x[n, c, ih, iw]
        else:
            cols[c, kh, kw, n, oh, ow] = 0
        i += cuda.gridsize(1)


@cuda.jit
def _col2im_kernel(cols, x, SH, SW, PH, PW, DH, DW):
    N, C, H, W = x.shape
    _, KH, KW, _, OH, OW = cols.shape
    i = cuda.grid(1)
    while i < x.size:
        # i -> (n, c, ih, iw), last axis fastest
        iw = i % W
        ih = (i // W) % H
        c = (i // (W * H)) % C
        n = i // (W * H * C)
        total = x[n, c, ih, iw]  # a zero of x's dtype (x starts as zeros)
        for kh in range(KH):
            h = ih + PH - kh * DH  # = oh * SH when this offset read pixel ih
            if h >= 0 and h % SH == 0 and h // SH < OH:
                for kw in range(KW):
                    w = iw + PW - kw * DW
                    if w >= 0 and w % SW == 0 and w // SW < OW:
                        total += cols[c, kh, kw, n, h // SH, w // SW]
        x[n, c, ih, iw] = total
        i += cuda.gridsize(1)


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
    """Receptive fields of ``x`` (N, C, H, W) as ``cols`` (C, KH, KW, N, OH, OW); see reference."""
    xp = array_module(x)
    x = xp.ascontiguousarray(x)
    N, C, H, W = x.shape
    shape = (C, KH, KW, N, output_size(H, KH, SH, PH, DH), output_size(W, KW, SW, PW, DW))
    cols = xp.empty(shape, dtype=x.dtype) if out is None else out
    if cols.size:
        _im2col_kernel[_blocks(cols.size), THREADS](x, cols, SH, SW, PH, PW, DH, DW)
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
    """The adjoint of `im2col`: ``cols`` (C, KH, KW, N, OH, OW) summed back into ``x_shape``."""
    xp = array_module(cols)
    cols = xp.ascontiguousarray(cols)
    x = xp.zeros(tuple(x_shape), dtype=cols.dtype)
    if x.size:
        _col2im_kernel[_blocks(x.size), THREADS](cols, x, SH, SW, PH, PW, DH, DW)
    return x
