"""Winograd F(2x2, 3x3) transforms as Numba loops; same signatures and layouts as ``reference.py``.

Each (n, c) plane is independent, so threads split the planes (small inputs run a serial
driver). A plane is first copied into a zero-padded scratch plane (which fits in L2), so the
loops never test for the border. Each transform is then done in two 1-D passes, as the
matrices factor: along the rows for a whole tile row at once (long, contiguous loops that
LLVM vectorises), then along the columns tile by tile. For B^T d B::

    t = B^T d:   t0 = d0 - d2,  t1 = d1 + d2,  t2 = d2 - d1,  t3 = d1 - d3   (di: row i)
    v = t B:     the same four combinations of the columns of t

The adjoints (`winograd_output_adjoint`, `winograd_input_adjoint`) are the same passes
with the transposed matrices; the input adjoint adds overlapping tiles into its scratch plane
(no two threads share a plane, so no atomics).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import blas_threads
from .._numba import loop, njit, prange
from .reference import tiles

# Below this many elements a transform runs its serial driver. Where OpenBLAS runs its own
# threads (the user set OPENBLAS_NUM_THREADS), each transform follows a GEMM whose worker
# thread keeps spinning on the other core for a while, so a parallel transform's second half
# would run on a shared core: there the threshold is higher. Where minidl splits the products
# itself, no thread spins, and even the small layers of a U-Net gain from both cores. The
# measurements behind both are in minidl/kernels/README.md ("Speed against PyTorch", point 2).
PARALLEL_MIN_WORK = 1 << 16 if blas_threads.minidl_splits() else 1 << 21


# The 1-D passes each transform is made of, shared with winograd_fused/cpu.py (which applies
# them to a block of tile rows instead of a whole plane). Arguments are contiguous 1-D rows.
# Inlined into their callers, so that LLVM vectorises across a pass and its caller's loop.


@njit(inline="always", cache=True)
def bt_rows(d0, d1, d2, d3, t):
    """t = B^T d along the rows: t[0..3] from four input rows d0..d3."""
    for j in range(t.shape[1]):
        t[0, j] = d0[j] - d2[j]
        t[1, j] = d1[j] + d2[j]
        t[2, j] = d2[j] - d1[j]
        t[3, j] = d1[j] - d3[j]


@njit(inline="always", cache=True)
def b_columns(ta, v0, v1, v2, v3):
    """v = t B along the columns of each tile (tiles start every 2 columns of ta)."""
    for tw in range(v0.shape[0]):
        j = 2 * tw
        v0[tw] = ta[j] - ta[j + 2]
        v1[tw] = ta[j + 1] + ta[j + 2]
        v2[tw] = ta[j + 2] - ta[j + 1]
        v3[tw] = ta[j + 1] - ta[j + 3]


@njit(inline="always", cache=True)
def a_columns(m0, m1, m2, m3, sa):
    """s = m A along the columns of each tile: 2 outputs per tile."""
    for tw in range(m0.shape[0]):
        sa[2 * tw] = m0[tw] + m1[tw] + m2[tw]
        sa[2 * tw + 1] = m1[tw] - m2[tw] - m3[tw]


@njit(inline="always", cache=True)
def at_rows(s, plane, i, b):
    """Rows i and i + 1 of an output plane = A^T s + b, cropped to the plane."""
    OH, OW = plane.shape
    s0, s1, s2, s3 = s[0], s[1], s[2], s[3]
    top = plane[i]
    for j in range(OW):
        top[j] = s0[j] + s1[j] + s2[j] + b
    if i + 1 < OH:  # the last tile row of an odd OH has one real row
        bottom = plane[i + 1]
        for j in range(OW):
            bottom[j] = s1[j] - s2[j] - s3[j] + b


@njit(inline="always", cache=True)
def a_rows(e0, e1, r):
    """r = A e along the rows: r[0..3] from two rows e0, e1 of dy."""
    for j in range(r.shape[1]):
        r[0, j] = e0[j]
        r[1, j] = e0[j] + e1[j]
        r[2, j] = e0[j] - e1[j]
        r[3, j] = -e1[j]


@njit(inline="always", cache=True)
def at_columns(ra, m0, m1, m2, m3):
    """dM = r A^T along the columns of each tile."""
    for tw in range(m0.shape[0]):
        m0[tw] = ra[2 * tw]
        m1[tw] = ra[2 * tw] + ra[2 * tw + 1]
        m2[tw] = ra[2 * tw] - ra[2 * tw + 1]
        m3[tw] = -ra[2 * tw + 1]


@njit(cache=True)
def _input_plane(x, V, plane, PH, PW):
    N, C, H, W = x.shape
    TH, TW = V.shape[4], V.shape[5]
    n, c = plane // C, plane % C
    d = np.zeros((2 * TH + 2, 2 * TW + 2), x.dtype)  # the padded plane
    d[PH : PH + H, PW : PW + W] = x[n, c]
    t = np.empty((4, 2 * TW + 2), x.dtype)
    for th in range(TH):
        bt_rows(d[2 * th], d[2 * th + 1], d[2 * th + 2], d[2 * th + 3], t)
        for a in range(4):
            Va = V[a]
            b_columns(t[a], Va[0, c, n, th], Va[1, c, n, th], Va[2, c, n, th], Va[3, c, n, th])


@njit(cache=True)
def _output_plane(M, y, bias, plane):
    N, C_out, OH, OW = y.shape
    TH, TW = M.shape[4], M.shape[5]
    n, o = plane // C_out, plane % C_out
    s = np.empty((4, 2 * TW), M.dtype)
    for th in range(TH):
        for a in range(4):
            Ma = M[a]
            a_columns(Ma[0, o, n, th], Ma[1, o, n, th], Ma[2, o, n, th], Ma[3, o, n, th], s[a])
        at_rows(s, y[n, o], 2 * th, bias[o])


@njit(cache=True)
def _output_adjoint_plane(dy, dM, plane):
    N, C_out, OH, OW = dy.shape
    TH, TW = dM.shape[4], dM.shape[5]
    n, o = plane // C_out, plane % C_out
    e = np.zeros((2 * TH, 2 * TW), dy.dtype)  # dy, zeros past the edge
    e[:OH, :OW] = dy[n, o]
    r = np.empty((4, 2 * TW), dy.dtype)
    for th in range(TH):
        a_rows(e[2 * th], e[2 * th + 1], r)
        for a in range(4):
            Ma = dM[a]
            at_columns(r[a], Ma[0, o, n, th], Ma[1, o, n, th], Ma[2, o, n, th], Ma[3, o, n, th])


@njit(cache=True)
def _input_adjoint_plane(dV, dx, plane, PH, PW):
    N, C, H, W = dx.shape
    TH, TW = dV.shape[4], dV.shape[5]
    n, c = plane // C, plane % C
    d = np.zeros((2 * TH + 2, 2 * TW + 2), dV.dtype)  # the padded plane, summed into
    r = np.empty((4, 2 * TW + 2), dV.dtype)
    for th in range(TH):
        for a in range(4):  # r = v B^T, along the columns of each tile
            ra, Va = r[a], dV[a]
            v0, v1, v2, v3 = Va[0, c, n, th], Va[1, c, n, th], Va[2, c, n, th], Va[3, c, n, th]
            # Neighbouring tiles overlap by 2 columns: columns 2 tw and 2 tw + 1 are tile tw's
            # first two plus tile tw - 1's last two, computed in one pass that only reads v
            # (adding into ra tile by tile would carry a dependency that LLVM cannot vectorise).
            ra[0] = v0[0]
            ra[1] = v1[0] - v2[0] + v3[0]
            for tw in range(1, TW):
                ra[2 * tw] = v0[tw] + v1[tw - 1] + v2[tw - 1] - v0[tw - 1]
                ra[2 * tw + 1] = v1[tw] - v2[tw] + v3[tw] - v3[tw - 1]
            ra[2 * TW] = v1[TW - 1] + v2[TW - 1] - v0[TW - 1]
            ra[2 * TW + 1] = -v3[TW - 1]
        d0, d1, d2, d3 = d[2 * th], d[2 * th + 1], d[2 * th + 2], d[2 * th + 3]
        for j in range(2 * TW + 2):  # d += B r, along the rows (overlapping by 2 too)
            d0[j] += r[0, j]
            d1[j] += r[1, j] - r[2, j] + r[3, j]
            d2[j] += r[1, j] + r[2, j] - r[0, j]
            d3[j] -= r[3, j]
    dx[n, c] = d[PH : PH + H, PW : PW + W]


@loop(min_work=PARALLEL_MIN_WORK)
def _input(x, V, PH, PW):
    for plane in prange(x.shape[0] * x.shape[1]):
        _input_plane(x, V, plane, PH, PW)


@loop(min_work=PARALLEL_MIN_WORK)
def _output(M, y, bias):
    for plane in prange(y.shape[0] * y.shape[1]):
        _output_plane(M, y, bias, plane)


@loop(min_work=PARALLEL_MIN_WORK)
def _output_adjoint(dy, dM):
    for plane in prange(dy.shape[0] * dy.shape[1]):
        _output_adjoint_plane(dy, dM, plane)


@loop(min_work=PARALLEL_MIN_WORK)
def _input_adjoint(dV, dx, PH, PW):
    for plane in prange(dx.shape[0] * dx.shape[1]):
        _input_adjoint_plane(dV, dx, plane, PH, PW)


def winograd_input(x: Any, PH: int, PW: int, *, out: Any = None) -> np.ndarray:
    """V (4, 4, C, N, TH, TW) = B^T d B of every 4x4 input tile of padded x; see reference."""
    x = np.ascontiguousarray(x)  # one compiled layout; strided input is copied once
    N, C, H, W = x.shape
    TH, TW = tiles(H + 2 * PH - 2, W + 2 * PW - 2)
    V = np.empty((4, 4, C, N, TH, TW), dtype=x.dtype) if out is None else out
    _input(V.size, x, V, PH, PW)
    return V


def winograd_output(M: Any, OH: int, OW: int, bias: Any = None, *, out: Any = None) -> np.ndarray:
    """y (N, C_out, OH, OW) = A^T m A of every tile of M, + bias (into ``out``); see reference."""
    M = np.ascontiguousarray(M)
    _, _, C_out, N, TH, TW = M.shape
    y = np.empty((N, C_out, OH, OW), dtype=M.dtype) if out is None else out
    bias = np.zeros(C_out, M.dtype) if bias is None else np.ascontiguousarray(bias)
    _output(M.size, M, y, bias)
    return y


def winograd_output_adjoint(dy: Any, *, out: Any = None) -> np.ndarray:
    """dM (4, 4, C_out, N, TH, TW) = A e A^T of every 2x2 tile of dy; see reference."""
    dy = np.ascontiguousarray(dy)
    N, C_out, OH, OW = dy.shape
    TH, TW = tiles(OH, OW)
    dM = np.empty((4, 4, C_out, N, TH, TW), dtype=dy.dtype) if out is None else out
    _output_adjoint(dM.size, dy, dM)
    return dM


def winograd_input_adjoint(
    dV: Any, x_shape: tuple[int, int, int, int], PH: int, PW: int, *, out: Any = None
) -> np.ndarray:
    """dx (x_shape): the tiles B dv B^T of dV added back where they were read (into ``out``);
    see reference."""
    dV = np.ascontiguousarray(dV)
    dx = np.empty(tuple(x_shape), dtype=dV.dtype) if out is None else out
    _input_adjoint(dV.size, dV, dx, PH, PW)
    return dx
