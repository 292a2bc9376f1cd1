"""The direct convolution in plain array code: the spec that ``cpu.py`` must match.

y[n, o] = bias[o] + sum over (c, kh, kw) of w[o, c, kh, kw] * x_pad[n, c, kh:, kw:], one
shifted copy of the input per kernel offset, with stride 1 and dilation 1 and no ``cols``.
"""

from __future__ import annotations

from typing import Any

from ...backend import array_module

__all__ = ["conv2d_direct", "conv2d_direct_weight_grad"]


def conv2d_direct(x: Any, w: Any, PH: int, PW: int, bias: Any = None) -> Any:
    """conv2d with stride 1 and dilation 1 computed directly, without ``cols``.

    y[n, o] = bias[o] + sum over (c, kh, kw) of w[o, c, kh, kw] * x_pad[n, c, kh:, kw:]
    (each window of x_pad cut to OH x OW): one shifted copy of the input per kernel offset.
    For few input channels ``cols`` is cheap to build but the GEMM on it is thin and
    memory-bound (K = C*KH*KW = 9 for a grayscale image); the cpu kernel (3x3 kernels
    only, the only size conv2d sends it) is then faster.
    x (N, C, H, W), w (C_out, C, KH, KW), bias (C_out,) or None -> y (N, C_out, OH, OW).
    """
    xp = array_module(x)
    C_out, C, KH, KW = w.shape
    N, _, H, W = x.shape
    OH, OW = H + 2 * PH - KH + 1, W + 2 * PW - KW + 1
    x_pad = xp.pad(x, ((0, 0), (0, 0), (PH, PH), (PW, PW)))
    y = xp.zeros((N, C_out, OH, OW), dtype=x.dtype)
    for kh in range(KH):
        for kw in range(KW):
            window = x_pad[:, :, kh : kh + OH, kw : kw + OW]  # (N, C, OH, OW), shifted
            y += xp.einsum("oc,ncij->noij", w[:, :, kh, kw], window)
    if bias is not None:
        y += bias.reshape(1, C_out, 1, 1)
    return y


def conv2d_direct_weight_grad(
    x: Any, dy: Any, KH: int, KW: int, PH: int, PW: int
) -> tuple[Any, Any]:
    """(dw, db) of `conv2d_direct`: dw[o, c, kh, kw] = sum over (n, i, j) of dy[n, o, i, j] *
    x_pad[n, c, i + kh, j + kw], and db[o] = the sum of dy[:, o]."""
    xp = array_module(x)
    OH, OW = dy.shape[2], dy.shape[3]
    x_pad = xp.pad(x, ((0, 0), (0, 0), (PH, PH), (PW, PW)))
    dw = xp.empty((dy.shape[1], x.shape[1], KH, KW), dtype=x.dtype)
    for kh in range(KH):
        for kw in range(KW):
            window = x_pad[:, :, kh : kh + OH, kw : kw + OW]
            dw[:, :, kh, kw] = xp.einsum("noij,ncij->oc", dy, window)
    return dw, dy.sum(axis=(0, 2, 3))
