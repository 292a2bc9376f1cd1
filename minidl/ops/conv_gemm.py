"""conv2d as im2col + GEMM: the algorithm that computes every layer (the others are faster
special cases, see ``minidl/kernels/algorithms.py``). Loops: ``minidl/kernels/im2col/``.

The three GEMMs of a conv layer, with ``cols`` = im2col(x) viewed as (C*KH*KW, N*OH*OW)::

    forward   y2d  (C_out, N*OH*OW)   = w2d (C_out, C*KH*KW) @ cols
    weights   dw2d (C_out, C*KH*KW)   = dy2d (C_out, N*OH*OW) @ cols.T
    input     dcols (C*KH*KW, N*OH*OW) = w2d.T @ dy2d,   dx = col2im(dcols)

The batch is folded into each GEMM, and the long dimension N*OH*OW is contiguous. With G
groups, group g's output channels read only its C/G input channels: the rows of ``cols``
and of every operand above split into G blocks (``cols`` is (C, KH, KW, ...), channel
first, so the split is a free view), and each product becomes one batched GEMM of G
matrices, (G, C_out/G, C/G*KH*KW) @ (G, C/G*KH*KW, N*OH*OW). The GEMMs are ``xp.matmul``
(OpenBLAS on the CPU, cuBLAS on the GPU).

``cols`` is big (9x the input for a 3x3 kernel) and only needed inside one call, so it lives
in the reused work buffer (``workspace.py``) and the backward recomputes it instead of
keeping one per layer alive between forward and backward.
"""

from __future__ import annotations

from typing import Any

from .. import gemm, kernels
from ..autograd import Function
from ..backend import array_module
from ..geometry import conv_output_size
from .conv_args import bias_grad
from .conv_double import conv2d_grads
from .workspace import workspace


def im2col(x: Any, geometry: tuple[int, ...]) -> Any:
    """``cols`` (C, KH, KW, N, OH, OW) of ``x`` written into the workspace."""
    KH, KW, SH, SW, PH, PW, DH, DW = geometry
    N, C, H, W = x.shape
    OH, OW = conv_output_size(H, KH, SH, PH, DH), conv_output_size(W, KW, SW, PW, DW)
    out = workspace.get(array_module(x), (C, KH, KW, N, OH, OW), x.dtype)
    return kernels.get("im2col", x)(x, *geometry, out=out)


def gemm_to_cols(a: Any, b: Any, shape: tuple[int, ...]) -> Any:
    """``a @ b`` (2-D, or a batch over groups) written into the workspace, viewed as ``cols``
    of ``shape``."""
    cols = workspace.get(array_module(a), shape, a.dtype)
    gemm.matmul(a, b, out=cols.reshape(*a.shape[:-1], b.shape[-1]))
    return cols


def split(a: Any, groups: int) -> Any:
    """(G*M, K) -> (G, M, K): the rows of each group as one matrix of a batched GEMM, a free
    view. One group keeps the 2-D matrix: an ungrouped layer runs its one GEMM as before."""
    return a if groups == 1 else a.reshape(groups, a.shape[0] // groups, a.shape[1])


def channels_first(x: Any) -> Any:
    """(N, C, H, W) -> (C, N*H*W): the GEMM operand layout. A copy, the size of x."""
    N, C, H, W = x.shape
    return x.transpose(1, 0, 2, 3).reshape(C, N * H * W)


def batch_first(y2d: Any, N: int, H: int, W: int, bias: Any = None) -> Any:
    """(C, N*H*W) -> contiguous (N, C, H, W), adding ``bias`` (C,) in the same pass."""
    xp = array_module(y2d)
    C = y2d.shape[0]
    view = y2d.reshape(C, N, H, W).transpose(1, 0, 2, 3)
    out = view if N == 1 else xp.empty((N, C, H, W), dtype=y2d.dtype)  # N == 1: contiguous
    if bias is not None:
        xp.add(view, bias.reshape(1, C, 1, 1), out=out)
    elif out is not view:
        out[...] = view
    return out


def input_grad(
    dy2d: Any, w: Any, dy_shape: tuple, x_shape: tuple, geometry: tuple, groups: int = 1
) -> Any:
    """dx of a conv: dcols = w2d.T @ dy2d per group (dy2d (C_out, N*OH*OW)), then col2im."""
    C_out, _, KH, KW = w.shape
    N, _, OH, OW = dy_shape
    w_t = split(w.reshape(C_out, -1), groups).swapaxes(-1, -2)  # (G, C/G*KH*KW, C_out/G)
    dcols = gemm_to_cols(w_t, split(dy2d, groups), (x_shape[1], KH, KW, N, OH, OW))
    return kernels.get("col2im", dcols)(dcols, x_shape, *geometry)


class Conv2dIm2col(Function):
    """conv2d as im2col + one GEMM (batched over the groups): the three products above."""

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation, groups):
        C_out, _, KH, KW = w.shape
        C = x.shape[1]
        geometry = (KH, KW, *stride, *padding, *dilation)
        cols = im2col(x, geometry)
        _, _, _, N, OH, OW = cols.shape
        cols2d = cols.reshape(C * KH * KW, -1)  # (C*KH*KW, N*OH*OW)
        y2d = gemm.matmul(split(w.reshape(C_out, -1), groups), split(cols2d, groups))
        y = batch_first(y2d.reshape(C_out, -1), N, OH, OW, b)  # (C_out, N*OH*OW) -> NCHW
        ctx.save_for_backward(x, w)
        ctx.geometry, ctx.groups = geometry, groups
        return y

    @staticmethod
    def backward(ctx, dy):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        xp = array_module(dy)
        G = ctx.groups
        dy2d = channels_first(dy)  # (C_out, N*OH*OW)
        dx = dw = None
        db = bias_grad(dy, need_b)
        if need_w:
            cols = im2col(x, ctx.geometry)  # recomputed: cheaper than keeping it alive
            cols2d = cols.reshape(G * w[0].size, -1)  # (C*KH*KW, N*OH*OW)
            dw = xp.empty(w.shape, dtype=w.dtype)  # its own array: a leaf's .grad keeps it
            dw_view = split(dw.reshape(len(dw), -1), G)
            gemm.matmul(split(dy2d, G), split(cols2d, G).swapaxes(-1, -2), out=dw_view)
        if need_x:
            dx = input_grad(dy2d, w, dy.shape, x.shape, ctx.geometry, G)
        return dx, dw, db, None, None, None, None

    @staticmethod
    def vjp(ctx, dy):
        return (*conv2d_grads(ctx, dy, *ctx.args[3:]), None, None, None, None)
