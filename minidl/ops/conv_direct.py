"""conv2d of an input with few channels, 3x3, stride 1, computed directly: the loops are
``conv2d_direct`` and ``conv2d_direct_weight_grad`` in ``minidl/kernels/direct/cpu.py``.

For a 1-channel image ``cols`` is small but its GEMM is thin (K = 9) and memory-bound; a loop
over the kernel offsets on the input itself does the same arithmetic without it. dw and db
come from one pass over dy; dx, rarely needed (the image needs no gradient), takes the im2col
route (`conv_gemm.input_grad`).
"""

from __future__ import annotations

from .. import kernels
from ..autograd import Function
from .conv_double import conv2d_grads
from .conv_gemm import channels_first, input_grad


class Conv2dDirect(Function):
    @staticmethod
    def forward(ctx, x, w, b, padding):
        ctx.save_for_backward(x, w)
        ctx.padding = padding
        return kernels.get("conv2d_direct", x)(x, w, *padding, b)

    @staticmethod
    def backward(ctx, dy):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        dx = dw = db = None
        if need_w or need_b:
            grad = kernels.get("conv2d_direct_weight_grad", dy)
            dw, db = grad(x, dy, *w.shape[2:], *ctx.padding)
        if need_x:
            geometry = (*w.shape[2:], 1, 1, *ctx.padding, 1, 1)
            dx = input_grad(channels_first(dy), w, dy.shape, x.shape, geometry)
        return dx, dw if need_w else None, db if need_b else None, None

    @staticmethod
    def vjp(ctx, dy):
        return (*conv2d_grads(ctx, dy, (1, 1), ctx.padding, (1, 1), 1), None)
