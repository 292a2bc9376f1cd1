"""Transpose convolution: the adjoint of conv2d in x, as GEMMs (batched over the groups)
around col2im. Loops: ``minidl/kernels/im2col/`` (col2im forward, im2col backward).

It is conv2d's three products in another order (``conv_gemm.py``): its forward is the
input-gradient of a convolution, and its backward is a convolution plus a weight correlation.
"""

from __future__ import annotations

from .. import gemm, kernels
from ..autograd import Function
from ..backend import array_module
from ..geometry import Pair, pair, transpose_output_size
from ..tensor import Tensor
from .conv_args import bias_grad, checked
from .conv_double import conv_transpose2d_grads
from .conv_gemm import batch_first, channels_first, gemm_to_cols, im2col, split


class ConvTranspose2d(Function):
    """conv_transpose2d: GEMMs (batched over the groups) around col2im; kernels/im2col/."""

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, output_padding, dilation, groups):
        N, C_in, H, W = x.shape
        _, C_out_g, KH, KW = w.shape
        C_out = C_out_g * groups
        geometry = (KH, KW, *stride, *padding, *dilation)
        OH, OW = transpose_output_size((H, W), (KH, KW), stride, padding, output_padding, dilation)
        w_t = split(w.reshape(C_in, -1), groups).swapaxes(-1, -2)  # (G, C_out/G*KH*KW, C_in/G)
        cols = gemm_to_cols(w_t, split(channels_first(x), groups), (C_out, KH, KW, N, H, W))
        y = kernels.get("col2im", cols)(cols, (N, C_out, OH, OW), *geometry)
        if b is not None:
            y += b.reshape(1, C_out, 1, 1)
        ctx.save_for_backward(x, w)
        ctx.geometry, ctx.groups = geometry, groups
        return y

    @staticmethod
    def backward(ctx, dy):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        xp = array_module(dy)
        G = ctx.groups
        N, C_in, H, W = x.shape
        w2d = w.reshape(C_in, -1)  # (C_in, C_out/G*KH*KW)
        # With output_padding >= stride (allowed when < dilation) im2col(dy) has extra
        # trailing rows/columns that no input pixel produced: keep the first H x W.
        cols = im2col(dy, ctx.geometry)[..., :H, :W]
        cols2d = cols.reshape(G * w2d.shape[1], N * H * W)  # a copy only in that rare case
        dx = dw = None
        db = bias_grad(dy, need_b)
        if need_w:
            dw = xp.empty(w.shape, dtype=w.dtype)  # its own array, not a view
            x2d = split(channels_first(x), G)  # (G, C_in/G, N*H*W)
            gemm.matmul(x2d, split(cols2d, G).swapaxes(-1, -2), out=split(dw.reshape(C_in, -1), G))
        if need_x:
            dx2d = gemm.matmul(split(w2d, G), split(cols2d, G)).reshape(C_in, -1)
            dx = batch_first(dx2d, N, H, W)
        return dx, dw, db, None, None, None, None, None

    @staticmethod
    def vjp(ctx, dy):
        stride, padding, _, dilation, groups = ctx.args[3:]  # output_padding: in dy's size
        grads = conv_transpose2d_grads(ctx, dy, stride, padding, dilation, groups)
        return (*grads, None, None, None, None, None)


def conv_transpose2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | Pair = 1,
    padding: int | Pair = 0,
    output_padding: int | Pair = 0,
    groups: int = 1,
    dilation: int | Pair = 1,
) -> Tensor:
    """Transpose convolution (the adjoint of `conv2d` in x), like ``torch.conv_transpose2d``.

    Note PyTorch's argument order: ``groups`` comes before ``dilation``.

    Shapes:
        input (N, C_in, H, W) or unbatched (C_in, H, W), weight (C_in, C_out/groups, KH, KW),
        bias (C_out,) -> (N, C_out, OH, OW) (or (C_out, OH, OW)),
        OH = (H-1)*SH - 2*PH + DH*(KH-1) + output_padding_H + 1, and likewise OW.

    Math: each input pixel x[n, c, i, j] adds x[n, c, i, j] * w[c, :, kh, kw] at output
    position (i*SH - PH + kh*DH, j*SW - PW + kw*DW) of the C_out/groups output channels of
    its group: zero insertion between the input pixels, then a convolution with the flipped
    kernel. ``output_padding`` (< stride or < dilation) picks among the output sizes that a
    stride-S convolution maps back to H.

    Kernels: ``col2im`` (forward) and ``im2col`` (backward) in minidl/kernels/im2col/cpu.py
    (gpu.py on CuPy arrays), + GEMMs batched over the groups.
    Reference: ``torch.nn.functional.conv_transpose2d``; Dumoulin & Visin, "A guide to
    convolution arithmetic for deep learning" (2016).
    """
    op = "conv_transpose2d"
    x, was_batched, groups = checked(op, input, weight, bias, groups, transposed=True)
    stride, dilation = pair(op, "stride", stride, 1), pair(op, "dilation", dilation, 1)
    padding = pair(op, "padding", padding, 0)
    output_padding = pair(op, "output_padding", output_padding, 0)
    for op_, s, d in zip(output_padding, stride, dilation):
        if op_ >= s and op_ >= d:
            raise ValueError(
                f"{op}: output_padding {output_padding} must be smaller than the stride "
                f"{stride} or the dilation {dilation} along each axis"
            )
    kernel = tuple(weight.shape[2:])
    out = transpose_output_size(x.shape[2:], kernel, stride, padding, output_padding, dilation)
    if min(out) <= 0:
        raise ValueError(
            f"{op}: output size {out} is not positive for input {tuple(x.shape)}, kernel "
            f"{kernel}, stride {stride}, padding {padding}, dilation {dilation}"
        )
    y = ConvTranspose2d.apply(x, weight, bias, stride, padding, output_padding, dilation, groups)
    return y if was_batched else y.reshape(*y.shape[1:])
