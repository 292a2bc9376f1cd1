"""Winograd F(2x2, 3x3) transforms in plain array code: the spec for ``cpu.py`` and ``gpu.py``.

A 3x3, stride-1 correlation computes each 2x2 block of outputs from a 4x4 tile of the padded
input. Winograd's minimal filtering algorithm does that with 16 multiplications instead of
36 (Lavin & Gray 2016)::

    y_tile (2x2) = A^T [ (G g G^T) * (B^T d B) ] A          * is elementwise

d is the 4x4 input tile, g the 3x3 filter. Summed over input channels c, the 16 products
``(G g G^T)[a, b] * (B^T d B)[a, b]`` become 16 independent matrix products, one per (a, b):
``M[a, b] (C_out, tiles) = U[a, b] (C_out, C_in) @ V[a, b] (C_in, tiles)``. That is how
conv2d uses it; the transforms below are the parts around those GEMMs.

Layouts (shared by all implementations)::

    V[a, b, c, n, th, tw] = (B^T d B)[a, b],  d = x_pad[n, c, 2th : 2th+4, 2tw : 2tw+4]
    M[a, b, o, n, th, tw]: its (a, b) entry of the tile at (th, tw)     (a GEMM's output)
    U[a, b, o, c] = (G w[o, c] G^T)[a, b]
    y[n, o, 2th + i, 2tw + j] = (A^T M[:, :, o, n, th, tw] A)[i, j]

x_pad has PH rows of zeros above x and zeros below it (as many as the last tile needs), PW
columns likewise. TH = ceil(OH / 2) tiles cover the OH = H + 2PH - 2 output rows; the last
tile's extra row, when OH is odd, is cropped. ``V.reshape(4, 4, C, N*TH*TW)`` is the GEMM
operand for the whole batch, like im2col's ``cols``.

The backward runs the same algorithm transposed (each transform is linear, so its adjoint is
its transpose): dM = A dy_tile A^T (`winograd_output_adjoint`), dV[a, b] = U[a, b]^T @ dM[a, b],
dx = the 4x4 tiles B dV B^T added back where they were read (`winograd_input_adjoint`, like
col2im: neighbouring tiles overlap by 2), and dU[a, b] = dM[a, b] @ V[a, b]^T, dw = G^T dU G.

Float32 rounding: the transforms add and subtract up to 4x4 values, so the result differs
from a direct sum by a few units in the last place more than im2col's; see the README.

Reference: Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR 2016.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...backend import array_module

__all__ = [
    "winograd_input",
    "winograd_input_adjoint",
    "winograd_output",
    "winograd_output_adjoint",
]

BT = np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]])  # input transform
G = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]])  # filter transform
AT = np.array([[1, 1, 1, 0], [0, 1, -1, -1]])  # output transform
GG = np.kron(G, G)  # (16, 9): GG[4a + b, 3i + j] = G[a, i] G[b, j]; see filter_transform


def tiles(OH: int, OW: int) -> tuple[int, int]:
    """(TH, TW): how many 2x2 output tiles cover an OH x OW output."""
    return (OH + 1) // 2, (OW + 1) // 2


def _m(matrix: np.ndarray, like: Any) -> Any:
    return array_module(like).asarray(matrix, dtype=like.dtype)


def filter_transform(w: Any) -> Any:
    """U (4, 4, C_out, C_in) = G g G^T of every 3x3 filter g of w (C_out, C_in, 3, 3).

    As one GEMM: U[a, b] = sum_ij G[a, i] G[b, j] g[i, j], so kron(G, G) (16, 9) times every
    filter flattened to 9 values (one BLAS call, where a 6-index einsum loops in NumPy).
    """
    C_out, C_in = w.shape[:2]
    U = _m(GG, w) @ w.reshape(C_out * C_in, 9).T  # (16, C_out*C_in)
    return U.reshape(4, 4, C_out, C_in)


def filter_transform_adjoint(dU: Any) -> Any:
    """dw (C_out, C_in, 3, 3) = G^T dU G: the transpose of `filter_transform`, a fresh array."""
    xp = array_module(dU)
    C_out, C_in = dU.shape[2:]
    dw = xp.empty((C_out, C_in, 3, 3), dtype=dU.dtype)
    xp.matmul(dU.reshape(16, -1).T, _m(GG, dU), out=dw.reshape(-1, 9))
    return dw


def _padded(x: Any, PH: int, PW: int, TH: int, TW: int) -> Any:
    """x with PH, PW zeros before and enough after for 2T + 2 rows and columns."""
    N, C, H, W = x.shape
    below, right = 2 * TH + 2 - H - PH, 2 * TW + 2 - W - PW  # >= PH, PW
    return array_module(x).pad(x, ((0, 0), (0, 0), (PH, below), (PW, right)))


def winograd_input(x: Any, PH: int, PW: int, *, out: Any = None) -> Any:
    """V (4, 4, C, N, TH, TW) = B^T d B of every 4x4 input tile (stride 2) of padded x.

    ``out``, when given, is a C-contiguous array of that shape and dtype to write into (the
    conv op passes a reused work buffer); it is returned.
    """
    xp = array_module(x)
    N, C, H, W = x.shape
    TH, TW = tiles(H + 2 * PH - 2, W + 2 * PW - 2)
    x_pad = _padded(x, PH, PW, TH, TW)
    # d[n, c, th, tw, i, j] = x_pad[n, c, 2th + i, 2tw + j]: a strided view, no copy
    n, c, h, w = x_pad.strides
    d = xp.lib.stride_tricks.as_strided(x_pad, (N, C, TH, TW, 4, 4), (n, c, 2 * h, 2 * w, h, w))
    V = xp.empty((4, 4, C, N, TH, TW), dtype=x.dtype) if out is None else out
    V[...] = xp.einsum("ai,ncstij,bj->abcnst", _m(BT, x), d, _m(BT, x))
    return V


def winograd_output(M: Any, OH: int, OW: int, bias: Any = None, *, out: Any = None) -> Any:
    """y (N, C_out, OH, OW) = A^T m A of every tile m of M (4, 4, C_out, N, TH, TW), + bias;
    written into ``out`` (C-contiguous, that shape) when given, and returned."""
    xp = array_module(M)
    _, _, C_out, N, TH, TW = M.shape
    y = xp.einsum("ai,ijonst,bj->nosatb", _m(AT, M), M, _m(AT, M))  # (N, C_out, TH, 2, TW, 2)
    y = y.reshape(N, C_out, 2 * TH, 2 * TW)[:, :, :OH, :OW]
    if bias is not None:
        y = y + bias.reshape(1, C_out, 1, 1)
    if out is None:
        return xp.ascontiguousarray(y)
    out[...] = y
    return out


def winograd_output_adjoint(dy: Any, *, out: Any = None) -> Any:
    """dM (4, 4, C_out, N, TH, TW) = A e A^T of every 2x2 tile e of dy (N, C_out, OH, OW)
    (zeros past the edge): the transpose of `winograd_output` without its bias."""
    xp = array_module(dy)
    N, C_out, OH, OW = dy.shape
    TH, TW = tiles(OH, OW)
    e = xp.zeros((N, C_out, 2 * TH, 2 * TW), dtype=dy.dtype)
    e[:, :, :OH, :OW] = dy
    e = e.reshape(N, C_out, TH, 2, TW, 2)  # (n, o, th, i, tw, j)
    dM = xp.empty((4, 4, C_out, N, TH, TW), dtype=dy.dtype) if out is None else out
    dM[...] = xp.einsum("ia,nositj,jb->abonst", _m(AT, dy), e, _m(AT, dy))
    return dM


def winograd_input_adjoint(
    dV: Any, x_shape: tuple[int, int, int, int], PH: int, PW: int, *, out: Any = None
) -> Any:
    """dx (x_shape) = the 4x4 tiles B dv B^T of dV (4, 4, C, N, TH, TW), each added onto the
    padded-input pixels its tile was read from, padding dropped: the transpose of
    `winograd_input`. Written into ``out`` (C-contiguous, x_shape) when given, and returned."""
    xp = array_module(dV)
    N, C, H, W = x_shape
    TH, TW = dV.shape[4], dV.shape[5]
    d = xp.einsum("ai,abcnst,bj->ncstij", _m(BT, dV), dV, _m(BT, dV))  # (N, C, TH, TW, 4, 4)
    x_pad = xp.zeros((N, C, 2 * TH + 2, 2 * TW + 2), dtype=dV.dtype)
    # Tiles overlap by 2 rows and columns: add the 16 (i, j) offsets as strided slices.
    for i in range(4):
        for j in range(4):
            x_pad[:, :, i : i + 2 * TH : 2, j : j + 2 * TW : 2] += d[..., i, j]
    if out is None:
        return xp.ascontiguousarray(x_pad[:, :, PH : PH + H, PW : PW + W])
    out[...] = x_pad[:, :, PH : PH + H, PW : PW + W]
    return out
