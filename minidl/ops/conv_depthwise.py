"""conv2d of a depthwise layer (groups == C_in, C_out = M*C_in), any geometry, computed
directly: the loops are ``conv2d_depthwise`` and its two gradients in
``minidl/kernels/depthwise/cpu.py``. Its im2col GEMMs would be C_in products with K = KH*KW,
too thin to pay for building ``cols``.
"""

from __future__ import annotations

from .. import kernels
from ..autograd import Function
from .conv_args import bias_grad
from .conv_double import conv2d_grads


class Conv2dDepthwise(Function):
    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation):
        ctx.save_for_backward(x, w)
        ctx.geometry = (*stride, *padding, *dilation)
        return kernels.get("conv2d_depthwise", x)(x, w, *ctx.geometry, b)

    @staticmethod
    def backward(ctx, dy):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        dx = dw = None
        db = bias_grad(dy, need_b)
        if need_w:
            grad = kernels.get("conv2d_depthwise_weight_grad", dy)
            dw = grad(x, dy, *w.shape[2:], *ctx.geometry)
        if need_x:
            dx = kernels.get("conv2d_depthwise_input_grad", dy)(dy, w, x.shape, *ctx.geometry)
        return dx, dw, db, None, None, None

    @staticmethod
    def vjp(ctx, dy):
        groups = ctx.args[0].shape[1]  # depthwise: one group per input channel
        return (*conv2d_grads(ctx, dy, *ctx.args[3:], groups), None, None, None)
