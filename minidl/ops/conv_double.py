"""The backward of conv2d and conv_transpose2d written with differentiable ops: what
``create_graph=True`` runs at a convolution node (see minidl/higher_order.py).

It is the three GEMMs of ``conv_gemm.py`` again, on ``unfold`` (im2col) and ``fold``
(col2im), which are linear ops with rules of their own. Per group, with L the positions of
the column view (the output's of a conv2d, the input's of a conv_transpose2d)::

    conv2d            dw = Σ_n dy @ unfold(x)ᵀ     dx = fold(wᵀ @ dy)     db = Σ dy
    conv_transpose2d  dw = Σ_n x @ unfold(dy)ᵀ     dx = w @ unfold(dy)    db = Σ dy

Every step is a recorded op, so these gradients can be differentiated again, to any order.
The algorithm that ran the forward does not matter (all of them compute the same function),
so one rule serves the five conv2d Functions. Why not call conv2d and conv_transpose2d
themselves: each one's gradient needs the other, and their modules would import each other.

This is not the fast path: the graph keeps unfold's columns (KH*KW times the image) where
the first-order backward recomputes them in the work buffer. It runs only under
create_graph.
"""

from __future__ import annotations

from typing import Any

from ..geometry import conv_output_size
from ..tensor import Tensor
from .rearrange_image import fold, unfold

Grads = tuple[Any, Any, Any]  # (dx, dw, db), None where not needed


def conv2d_grads(
    ctx: Any, dy: Tensor, stride: tuple, padding: tuple, dilation: tuple, groups: int
) -> Grads:
    """(dx, dw, db) of y = conv2d(x, w, b) at the node ``ctx`` (``ctx.args`` = (x, w, b, ...))."""
    x, w = ctx.args[:2]
    need_x, need_w, need_b = ctx.needs_input_grad[:3]
    N, C, H, W = x.shape
    C_out, _, KH, KW = w.shape
    G = groups
    window = ((KH, KW), dilation, padding, stride)
    dy4 = dy.reshape(N, G, C_out // G, -1)  # (N, G, C_out/G, L)
    dx = dw = None
    if need_w:
        cols = unfold(x, *window).reshape(N, G, -1, dy4.shape[-1])  # (N, G, C/G*KH*KW, L)
        dw = (dy4 @ cols.mT).sum(dim=0).reshape(w.shape)
    if need_x:
        w3 = w.reshape(G, C_out // G, -1)  # (G, C_out/G, C/G*KH*KW)
        dcols = (w3.mT @ dy4).reshape(N, C * KH * KW, -1)
        dx = fold(dcols, (H, W), *window)
    return dx, dw, dy.sum(dim=(0, 2, 3)) if need_b else None


def conv_transpose2d_grads(
    ctx: Any, dy: Tensor, stride: tuple, padding: tuple, dilation: tuple, groups: int
) -> Grads:
    """(dx, dw, db) of y = conv_transpose2d(x, w, b) at the node ``ctx``."""
    x, w = ctx.args[:2]
    need_x, need_w, need_b = ctx.needs_input_grad[:3]
    N, C_in, H, W = x.shape
    KH, KW = w.shape[2:]
    G = groups
    dx = dw = None
    if need_x or need_w:
        geometry = zip(dy.shape[2:], (KH, KW), stride, padding, dilation)
        CH, CW = (conv_output_size(*g) for g in geometry)
        cols = unfold(dy, (KH, KW), dilation, padding, stride).reshape(N, -1, CH, CW)
        if (CH, CW) != (H, W):
            # output_padding >= stride (allowed when < dilation): trailing rows/columns of
            # dy that no input pixel reached; keep the first H x W, as the backward does
            cols = cols[:, :, :H, :W]
        cols = cols.reshape(N, G, -1, H * W)  # (N, G, C_out/G*KH*KW, H*W)
        if need_w:
            x4 = x.reshape(N, G, C_in // G, H * W)
            dw = (x4 @ cols.mT).sum(dim=0).reshape(w.shape)
        if need_x:
            dx = (w.reshape(G, C_in // G, -1) @ cols).reshape(N, C_in, H, W)
    return dx, dw, dy.sum(dim=(0, 2, 3)) if need_b else None
