"""Winograd F(2x2, 3x3) convolution in one Numba kernel: transform, 16 products, transform.

`../winograd/cpu.py` transforms the whole batch, hands V (4x an activation) to OpenBLAS for
the 16 GEMMs, and transforms M back. On layers with few channels and big images that is slow
in two ways (kernels README, "Why conv2d sits at 1.5"): V and M do not fit in any cache, so each
transform is a pass through memory; and every hand-off between Numba's threads and
OpenBLAS's costs a core's worth of spinning. Here one Numba task does everything for a few
tile rows of one image, so its V and M (16 x channels x ~256 tiles) stay in the core's L2,
and one thread pool runs it all::

    for each (image n, block of tile rows), in parallel:
        V = B^T d B of its tiles              (16, C, T)      T = rows x TW tiles
        M[k] = U[k] @ V[k], k = 0..15         (16, C_out, T)  `_matmul`
        y rows = A^T m A of its tiles, + bias

The products are plain loops (`_matmul`): LLVM vectorises the innermost loop over tiles with
the CPU's widest vectors, which OpenBLAS, pinned to its Haswell kernels here, does not.
The backward needs no other transforms: dx of a 3x3 stride-1 correlation is the same kind
of correlation of dy with the flipped, transposed filters (padding 2 - P), and
`winograd_weight_grad` sums dU[k] = dM[k] @ V[k]^T over the blocks, each block into its own
slot (no atomics), the slots added at the end.

The 1-D row and column passes of the transforms are `../winograd/cpu.py`'s (inlined); only the
blocking differs. Signatures and results equal ``reference.py``'s `winograd_conv` and
`winograd_weight_grad`.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

from .._numba import njit, prange
from ..winograd.cpu import a_columns, a_rows, at_columns, at_rows, b_columns, bt_rows
from ..winograd.reference import tiles

BLOCK_TILES = 256  # tiles per task, at least: shorter rows leave the vector loops mostly tails
MIN_TASKS_PER_THREAD = 2  # below this, tasks get smaller (down to one tile row)
# Reassociation lets LLVM vectorise the dot products of `_matmul_nt_add`; "contract" fuses
# multiply-adds. No flag that assumes the absence of NaN or infinity: those must propagate.
FAST = {"reassoc", "contract"}


@njit(cache=True)
def _input_rows(x, n, th0, rows, TW, PH, PW, V):
    """V (16, C, rows * TW): B^T d B of tile rows th0 .. th0 + rows - 1 of image n."""
    _, C, H, W = x.shape
    L = 2 * TW + 2
    d = np.zeros((2 * rows + 2, L), x.dtype)  # the padded input rows these tiles read
    t = np.empty((4, L), x.dtype)
    for c in range(C):
        for i in range(2 * rows + 2):
            r = 2 * th0 - PH + i
            if 0 <= r < H:
                d[i, PW : PW + W] = x[n, c, r]  # the padding columns stay zero
            else:
                d[i] = 0
        for row in range(rows):
            bt_rows(d[2 * row], d[2 * row + 1], d[2 * row + 2], d[2 * row + 3], t)
            tile = slice(row * TW, (row + 1) * TW)
            for a in range(4):
                b_columns(
                    t[a],
                    V[4 * a, c, tile],
                    V[4 * a + 1, c, tile],
                    V[4 * a + 2, c, tile],
                    V[4 * a + 3, c, tile],
                )


@njit(cache=True)
def _output_rows(M, y, bias, n, th0, rows, TW):
    """y rows 2 th0 .. of image n = A^T m A of the tiles in M (16, C_out, rows * TW), + bias."""
    C_out = y.shape[1]
    s = np.empty((4, 2 * TW), M.dtype)
    for o in range(C_out):
        for row in range(rows):
            tile = slice(row * TW, (row + 1) * TW)
            for a in range(4):
                a_columns(
                    M[4 * a, o, tile],
                    M[4 * a + 1, o, tile],
                    M[4 * a + 2, o, tile],
                    M[4 * a + 3, o, tile],
                    s[a],
                )
            at_rows(s, y[n, o], 2 * (th0 + row), bias[o])


@njit(cache=True)
def _output_adjoint_rows(dy, n, th0, rows, TW, dM):
    """dM (16, C_out, rows * TW) = A e A^T of the 2x2 tiles e of dy in those tile rows."""
    _, C_out, OH, OW = dy.shape
    e = np.zeros((2, 2 * TW), dy.dtype)  # two rows of dy, zeros past the edge
    r = np.empty((4, 2 * TW), dy.dtype)
    for o in range(C_out):
        for row in range(rows):
            i = 2 * (th0 + row)
            e[0, :OW] = dy[n, o, i]
            if i + 1 < OH:
                e[1, :OW] = dy[n, o, i + 1]
            else:
                e[1] = 0
            a_rows(e[0], e[1], r)
            tile = slice(row * TW, (row + 1) * TW)
            for a in range(4):
                at_columns(
                    r[a],
                    dM[4 * a, o, tile],
                    dM[4 * a + 1, o, tile],
                    dM[4 * a + 2, o, tile],
                    dM[4 * a + 3, o, tile],
                )


@njit(fastmath=FAST, cache=True)
def _matmul(A, B, out):
    """out (K, T) = A (K, C) @ B (C, T).

    A 4 x 4 block of A at a time, in 16 scalars (registers): each element of B loaded feeds
    four multiply-adds, and each load and store of out serves sixteen. The innermost loop
    runs along T (contiguous), which LLVM vectorises. Rows past the last multiple of 4 (of
    out, then of B) go one at a time.
    """
    K, C = A.shape
    T = B.shape[1]
    out[:] = 0
    for k in range(0, K - 3, 4):
        o0, o1, o2, o3 = out[k], out[k + 1], out[k + 2], out[k + 3]
        for c in range(0, C - 3, 4):
            b0, b1, b2, b3 = B[c], B[c + 1], B[c + 2], B[c + 3]
            a00, a01, a02, a03 = A[k, c], A[k, c + 1], A[k, c + 2], A[k, c + 3]
            a10, a11, a12, a13 = A[k + 1, c], A[k + 1, c + 1], A[k + 1, c + 2], A[k + 1, c + 3]
            a20, a21, a22, a23 = A[k + 2, c], A[k + 2, c + 1], A[k + 2, c + 2], A[k + 2, c + 3]
            a30, a31, a32, a33 = A[k + 3, c], A[k + 3, c + 1], A[k + 3, c + 2], A[k + 3, c + 3]
            for t in range(T):
                x0, x1, x2, x3 = b0[t], b1[t], b2[t], b3[t]
                o0[t] += a00 * x0 + a01 * x1 + a02 * x2 + a03 * x3
                o1[t] += a10 * x0 + a11 * x1 + a12 * x2 + a13 * x3
                o2[t] += a20 * x0 + a21 * x1 + a22 * x2 + a23 * x3
                o3[t] += a30 * x0 + a31 * x1 + a32 * x2 + a33 * x3
        for c in range(C - C % 4, C):
            b = B[c]
            a0, a1, a2, a3 = A[k, c], A[k + 1, c], A[k + 2, c], A[k + 3, c]
            for t in range(T):
                o0[t] += a0 * b[t]
                o1[t] += a1 * b[t]
                o2[t] += a2 * b[t]
                o3[t] += a3 * b[t]
    for k in range(K - K % 4, K):
        o = out[k]
        for c in range(C):
            a, b = A[k, c], B[c]
            for t in range(T):
                o[t] += a * b[t]


@njit(fastmath=FAST, cache=True)
def _matmul_nt_add(A, B, out):
    """out (K, C) += A (K, T) @ B (C, T)^T: dot products along T, eight at a time (four rows
    of A by two of B, so each loaded element serves two or four of them). Rows past the last
    multiple of 4 of A, and the last row of an odd B, go one dot product at a time."""
    K, C = out.shape
    T = A.shape[1]
    zero = np.zeros(1, out.dtype)[0]
    for k in range(0, K - 3, 4):
        a0, a1, a2, a3 = A[k], A[k + 1], A[k + 2], A[k + 3]
        for c in range(0, C - 1, 2):
            b0, b1 = B[c], B[c + 1]
            s00 = s01 = s10 = s11 = s20 = s21 = s30 = s31 = zero
            for t in range(T):
                s00 += a0[t] * b0[t]
                s01 += a0[t] * b1[t]
                s10 += a1[t] * b0[t]
                s11 += a1[t] * b1[t]
                s20 += a2[t] * b0[t]
                s21 += a2[t] * b1[t]
                s30 += a3[t] * b0[t]
                s31 += a3[t] * b1[t]
            out[k, c] += s00
            out[k, c + 1] += s01
            out[k + 1, c] += s10
            out[k + 1, c + 1] += s11
            out[k + 2, c] += s20
            out[k + 2, c + 1] += s21
            out[k + 3, c] += s30
            out[k + 3, c + 1] += s31
    for k in range(K):
        first_c = C - C % 2 if k < K - K % 4 else 0  # what the blocks above did not cover
        for c in range(first_c, C):
            s = zero
            for t in range(T):
                s += A[k, t] * B[c, t]
            out[k, c] += s


@njit(cache=True)
def _task(task, blocks, rows_per_task, TH):
    """(image n, first tile row, tile rows) of one task; a task is one block of one image."""
    th0 = (task % blocks) * rows_per_task
    return task // blocks, th0, min(rows_per_task, TH - th0)


@njit(parallel=True, cache=True)
def _conv(x, U, bias, y, PH, PW, rows_per_task):
    N, C = x.shape[:2]
    C_out = U.shape[1]
    TH, TW = (y.shape[2] + 1) // 2, (y.shape[3] + 1) // 2
    blocks = (TH + rows_per_task - 1) // rows_per_task
    for task in prange(N * blocks):
        n, th0, rows = _task(task, blocks, rows_per_task, TH)
        V = np.empty((16, C, rows * TW), x.dtype)
        M = np.empty((16, C_out, rows * TW), x.dtype)
        _input_rows(x, n, th0, rows, TW, PH, PW, V)
        for k in range(16):
            _matmul(U[k], V[k], M[k])
        _output_rows(M, y, bias, n, th0, rows, TW)


@njit(parallel=True, cache=True)
def _weight_grad(x, dy, PH, PW, rows_per_task, parts):
    N = x.shape[0]
    C_out, C = parts.shape[2], parts.shape[3]
    TH, TW = (dy.shape[2] + 1) // 2, (dy.shape[3] + 1) // 2
    blocks = (TH + rows_per_task - 1) // rows_per_task
    for task in prange(N * blocks):
        n, th0, rows = _task(task, blocks, rows_per_task, TH)
        V = np.empty((16, C, rows * TW), x.dtype)
        dM = np.empty((16, C_out, rows * TW), x.dtype)
        _input_rows(x, n, th0, rows, TW, PH, PW, V)
        _output_adjoint_rows(dy, n, th0, rows, TW, dM)
        for k in range(16):
            _matmul_nt_add(dM[k], V[k], parts[task, k])


def _rows_per_task(N: int, TH: int, TW: int) -> int:
    """Tile rows per task: BLOCK_TILES tiles or more, unless that leaves a thread idle."""
    rows = -(-BLOCK_TILES // TW)
    enough = N * TH // (MIN_TASKS_PER_THREAD * numba.get_num_threads())
    return max(1, min(rows, enough))


def winograd_conv(x: Any, U: Any, PH: int, PW: int, bias: Any = None) -> np.ndarray:
    """y (N, C_out, OH, OW): the 3x3 stride-1 correlation of x, from U = filter_transform(w)
    (4, 4, C_out, C), + bias; see reference."""
    x = np.ascontiguousarray(x)
    N, C, H, W = x.shape
    C_out = U.shape[2]
    U = np.ascontiguousarray(U.reshape(16, C_out, C), dtype=x.dtype)
    OH, OW = H + 2 * PH - 2, W + 2 * PW - 2
    y = np.empty((N, C_out, OH, OW), dtype=x.dtype)
    bias = np.zeros(C_out, x.dtype) if bias is None else np.ascontiguousarray(bias, x.dtype)
    TH, TW = tiles(OH, OW)
    _conv(x, U, bias, y, PH, PW, _rows_per_task(N, TH, TW))
    return y


def winograd_weight_grad(x: Any, dy: Any, PH: int, PW: int) -> np.ndarray:
    """dU (4, 4, C_out, C) = sum over tiles of dM[a, b] @ V[a, b]^T; see reference."""
    x, dy = np.ascontiguousarray(x), np.ascontiguousarray(dy, dtype=x.dtype)
    N, C = x.shape[:2]
    C_out = dy.shape[1]
    TH, TW = tiles(*dy.shape[2:])
    rows = _rows_per_task(N, TH, TW)
    parts = np.zeros((N * -(-TH // rows), 16, C_out, C), dtype=x.dtype)
    _weight_grad(x, dy, PH, PW, rows, parts)
    return parts.sum(axis=0).reshape(4, 4, C_out, C)
