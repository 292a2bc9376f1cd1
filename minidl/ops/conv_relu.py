"""relu(conv2d(x, w, b)) as one autograd node: the pair every U-Net level runs twice.

Apart, the two ops cost a fresh array for the ReLU's output and keep two arrays alive until
the backward (the conv's output, which the ReLU needs as its input, and the ReLU's output).
Fused, the ReLU runs in place on the array the conv has just written, and the node keeps
only that array: the backward's mask is ``out > 0`` (``minidl/kernels/relu/``), and in the
backward the masked gradient lives in the reused work buffer, not a new array::

    forward   y = conv(x, w, b);  y = relu(y) in place       saved: x, w (by the conv), y
    backward  g = relu_backward(dy, y)  (work buffer);       dx, dw, db = conv backward(g)

The conv part is whichever of the five conv2d algorithms the table picks (`conv.py`): its
Function's forward and backward run inside this node on a Context of their own. Who uses
it: ``F.conv2d_relu``, and ``nn.Sequential``, which fuses a Conv2d followed by a ReLU when
neither has hooks (``minidl/nn/layers.py``).
"""

from __future__ import annotations

from .. import higher_order, kernels
from ..autograd import Context, Function
from ..backend import array_module
from .workspace import workspace


class ConvReLU(Function):
    """``forward(ctx, x, w, b, conv, conv_args)``: ``conv`` is the algorithm's Function and
    ``conv_args`` the arguments it takes after (x, w, b)."""

    @staticmethod
    def forward(ctx, x, w, b, conv, conv_args):
        inner = Context(conv, ctx.needs_input_grad[:3])
        y = conv.forward(inner, x, w, b, *conv_args)
        kernels.get("relu", y)(y, out=y)
        ctx.inner, ctx.conv, ctx.conv_args = inner, conv, conv_args
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, dy):
        (y,) = ctx.saved_tensors
        # the conv's backward reads g and keeps none of it, so a reused buffer will do
        g = workspace.get(array_module(dy), dy.shape, dy.dtype, slot="relu_grad")
        g = kernels.get("relu_backward", dy)(dy, y, grad_input=g)
        dx, dw, db = ctx.conv.backward(ctx.inner, g)[:3]
        return dx, dw, db, None, None

    @staticmethod
    def vjp(ctx, dy):
        (y,) = ctx.saved_tensors
        inner = ctx.inner
        inner.args = (*ctx.args[:3], *ctx.conv_args)  # what the conv's own vjp reads
        g = dy * higher_order.constant(y > 0)
        return (*ctx.conv.vjp(inner, g)[:3], None, None)
