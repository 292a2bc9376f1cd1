"""Depthwise convolution in plain array code: the spec that ``cpu.py`` must match.

A depthwise layer (``groups == C_in``) convolves every input channel with its own M filters
(M = C_out / C_in, the channel multiplier): output channel o reads input channel o // M only,
with weight (C_out, 1, KH, KW). Its im2col GEMMs would be C_in products of K = KH*KW, each
too thin to pay for the copy into ``cols``, so it is computed directly::

    y[n, o, i, j] = bias[o] + sum over (kh, kw) of
                    w[o, 0, kh, kw] * x_pad[n, o // M, i*SH + kh*DH, j*SW + kw*DW]

Any kernel size, stride, padding and dilation. The backward is the same sum read the other
way: dw correlates dy with x per output channel, dx scatters w * dy back onto the input
(and the M outputs of one input channel add up).

Reference: Howard et al., "MobileNets" (2017); ``torch.nn.functional.conv2d`` with groups.
"""

from __future__ import annotations

from typing import Any

from ...backend import array_module
from ...geometry import conv_output_size as output_size

__all__ = [
    "conv2d_depthwise",
    "conv2d_depthwise_input_grad",
    "conv2d_depthwise_weight_grad",
]


def _windows(KH: int, KW: int, SH: int, SW: int, DH: int, DW: int, OH: int, OW: int):
    """For each kernel offset, the (kh, kw) and the strided slices of x_pad it reads."""
    for kh in range(KH):
        for kw in range(KW):
            rows = slice(kh * DH, kh * DH + SH * (OH - 1) + 1, SH)
            cols = slice(kw * DW, kw * DW + SW * (OW - 1) + 1, SW)
            yield kh, kw, (slice(None), slice(None), rows, cols)


def conv2d_depthwise(
    x: Any, w: Any, SH: int, SW: int, PH: int, PW: int, DH: int, DW: int, bias: Any = None
) -> Any:
    """x (N, C, H, W), w (C*M, 1, KH, KW), bias (C*M,) or None -> y (N, C*M, OH, OW)."""
    xp = array_module(x)
    N, C, H, W = x.shape
    C_out, _, KH, KW = w.shape
    OH, OW = output_size(H, KH, SH, PH, DH), output_size(W, KW, SW, PW, DW)
    x_pad = xp.pad(x, ((0, 0), (0, 0), (PH, PH), (PW, PW)))
    x_pad = xp.repeat(x_pad, C_out // C, axis=1)  # (N, C_out, HP, WP): channel o is x's o // M
    y = xp.zeros((N, C_out, OH, OW), dtype=x.dtype)
    for kh, kw, window in _windows(KH, KW, SH, SW, DH, DW, OH, OW):
        y += w[:, 0, kh, kw].reshape(1, C_out, 1, 1) * x_pad[window]
    if bias is not None:
        y += bias.reshape(1, C_out, 1, 1)
    return y


def conv2d_depthwise_weight_grad(
    x: Any, dy: Any, KH: int, KW: int, SH: int, SW: int, PH: int, PW: int, DH: int, DW: int
) -> Any:
    """dw (C*M, 1, KH, KW): dw[o, 0, kh, kw] = sum over (n, i, j) of dy[n, o, i, j] *
    x_pad[n, o // M, i*SH + kh*DH, j*SW + kw*DW]."""
    xp = array_module(x)
    N, C_out, OH, OW = dy.shape
    x_pad = xp.pad(x, ((0, 0), (0, 0), (PH, PH), (PW, PW)))
    x_pad = xp.repeat(x_pad, C_out // x.shape[1], axis=1)
    dw = xp.empty((C_out, 1, KH, KW), dtype=x.dtype)
    for kh, kw, window in _windows(KH, KW, SH, SW, DH, DW, OH, OW):
        dw[:, 0, kh, kw] = (dy * x_pad[window]).sum(axis=(0, 2, 3))
    return dw


def conv2d_depthwise_input_grad(
    dy: Any,
    w: Any,
    x_shape: tuple[int, int, int, int],
    SH: int,
    SW: int,
    PH: int,
    PW: int,
    DH: int,
    DW: int,
) -> Any:
    """dx (x_shape): each dy[n, o, i, j] * w[o, 0, kh, kw] added back onto the pixel of
    x[n, o // M] it was read from; the padding's share is dropped."""
    xp = array_module(dy)
    N, C, H, W = x_shape
    C_out, _, KH, KW = w.shape
    OH, OW = dy.shape[2], dy.shape[3]
    dx_pad = xp.zeros((N, C_out, H + 2 * PH, W + 2 * PW), dtype=dy.dtype)  # one per output
    for kh, kw, window in _windows(KH, KW, SH, SW, DH, DW, OH, OW):
        dx_pad[window] += w[:, 0, kh, kw].reshape(1, C_out, 1, 1) * dy
    # the M outputs of input channel c are channels c*M .. c*M + M-1: add them up
    dx_pad = dx_pad.reshape(N, C, C_out // C, *dx_pad.shape[2:]).sum(axis=2)
    return xp.ascontiguousarray(dx_pad[:, :, PH : PH + H, PW : PW + W])
