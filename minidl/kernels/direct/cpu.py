"""The direct 3x3 convolution as Numba loops on the CPU; same signatures as ``reference.py``.

For an image (1-2 input channels) ``cols`` is cheap to build but the GEMM on it is thin
(K = C*3*3 = 9 for a grayscale image) and memory-bound; computing each output row as the
9 weighted shifted input rows, channel by channel, is faster and needs no ``cols`` at all.
``conv2d`` sends these kernels 3x3, stride-1, dilation-1 layers with 1-2 input channels.

Two drivers per kernel: a ``prange`` one over (n, o) planes (forward) or output channels
(weight gradient), and a serial one for small inputs, where starting the threads costs more
than it saves.
"""

from __future__ import annotations

import numpy as np

from .._numba import loop, njit, prange


@njit(cache=True)
def _direct_plane(x_pad, w, bias, y, plane):
    """y[n, o] for a 3x3 kernel, a row at a time: each output value is the bias plus the 9
    weighted pixels under it, in each of the C channels. One expression for the 9 terms:
    each output row is written once per channel (not once per kernel offset), and the
    loop over j is contiguous, so LLVM vectorises it."""
    C_out, C = w.shape[0], w.shape[1]
    OH, OW = y.shape[2], y.shape[3]
    n, o = plane // C_out, plane % C_out
    for i in range(OH):
        out = y[n, o, i]
        out[:] = bias[o]
        for c in range(C):
            r0, r1, r2 = x_pad[n, c, i], x_pad[n, c, i + 1], x_pad[n, c, i + 2]
            (a0, a1, a2), (b0, b1, b2), (c0, c1, c2) = w[o, c, 0], w[o, c, 1], w[o, c, 2]
            for j in range(OW):
                out[j] += (
                    a0 * r0[j] + a1 * r0[j + 1] + a2 * r0[j + 2]
                    + b0 * r1[j] + b1 * r1[j + 1] + b2 * r1[j + 2]
                    + c0 * r2[j] + c1 * r2[j + 1] + c2 * r2[j + 2]
                )  # fmt: skip


@njit(fastmath=True, cache=True)
def _direct_weight_grad_out(x_pad, dy, dw, db, o):
    """dw[o] and db[o] for a 3x3 kernel: for each row of dy[:, o] and each channel, 9 dot
    products with the shifted rows of x_pad under it, in one pass (fastmath lets LLVM
    split each dot into vector partial sums, reordering the additions)."""
    N, C_out, OH, OW = dy.shape
    C = dw.shape[1]
    dw[o] = 0
    db[o] = 0
    zero = db[o]  # of dy's dtype (a literal 0 times a float32 would be a float64)
    for n in range(N):
        for i in range(OH):
            e, total = dy[n, o, i], zero
            for j in range(OW):
                total += e[j]
            db[o] += total
            for c in range(C):
                r0, r1, r2 = x_pad[n, c, i], x_pad[n, c, i + 1], x_pad[n, c, i + 2]
                a0 = a1 = a2 = b0 = b1 = b2 = c0 = c1 = c2 = zero
                for j in range(OW):
                    a0 += e[j] * r0[j]
                    a1 += e[j] * r0[j + 1]
                    a2 += e[j] * r0[j + 2]
                    b0 += e[j] * r1[j]
                    b1 += e[j] * r1[j + 1]
                    b2 += e[j] * r1[j + 2]
                    c0 += e[j] * r2[j]
                    c1 += e[j] * r2[j + 1]
                    c2 += e[j] * r2[j + 2]
                k = dw[o, c]
                k[0, 0], k[0, 1], k[0, 2] = k[0, 0] + a0, k[0, 1] + a1, k[0, 2] + a2
                k[1, 0], k[1, 1], k[1, 2] = k[1, 0] + b0, k[1, 1] + b1, k[1, 2] + b2
                k[2, 0], k[2, 1], k[2, 2] = k[2, 0] + c0, k[2, 1] + c1, k[2, 2] + c2


@loop
def _direct(x_pad, w, bias, y):
    for plane in prange(y.shape[0] * y.shape[1]):
        _direct_plane(x_pad, w, bias, y, plane)


@loop
def _direct_weight_grad(x_pad, dy, dw, db):
    for o in prange(dy.shape[1]):
        _direct_weight_grad_out(x_pad, dy, dw, db, o)


def _check_3x3(shape: tuple) -> None:
    # The loops below read 3 rows and 3 columns: a larger kernel would read out of bounds.
    if tuple(shape[-2:]) != (3, 3):
        raise ValueError(f"conv2d_direct (cpu): only 3x3 kernels, got {tuple(shape[-2:])}")


def _padded(x: np.ndarray, PH: int, PW: int) -> np.ndarray:
    """x with PH, PW zeros around (cheap: few channels); slicing into np.zeros, which does
    less than np.pad's general machinery."""
    N, C, H, W = x.shape
    if PH == PW == 0:
        return np.ascontiguousarray(x)
    x_pad = np.zeros((N, C, H + 2 * PH, W + 2 * PW), dtype=x.dtype)
    x_pad[:, :, PH : PH + H, PW : PW + W] = x
    return x_pad


def conv2d_direct(
    x: np.ndarray, w: np.ndarray, PH: int, PW: int, bias: np.ndarray | None = None
) -> np.ndarray:
    """Stride-1 conv2d without ``cols``, parallel over (n, o) planes; see reference."""
    _check_3x3(w.shape)
    x_pad = _padded(x, PH, PW)
    C_out, _, KH, KW = w.shape
    N, _, HP, WP = x_pad.shape
    y = np.empty((N, C_out, HP - KH + 1, WP - KW + 1), dtype=x.dtype)
    bias = np.zeros(C_out, x.dtype) if bias is None else np.ascontiguousarray(bias)
    _direct(y.size, x_pad, np.ascontiguousarray(w), bias, y)
    return y


def conv2d_direct_weight_grad(
    x: np.ndarray, dy: np.ndarray, KH: int, KW: int, PH: int, PW: int
) -> tuple[np.ndarray, np.ndarray]:
    """(dw, db) of `conv2d_direct`, parallel over output channels; see reference."""
    _check_3x3((KH, KW))
    x_pad = _padded(x, PH, PW)
    dw = np.empty((dy.shape[1], x.shape[1], KH, KW), dtype=x.dtype)
    db = np.empty(dy.shape[1], dtype=x.dtype)
    _direct_weight_grad(dy.size, x_pad, np.ascontiguousarray(dy), dw, db)
    return dw, db
