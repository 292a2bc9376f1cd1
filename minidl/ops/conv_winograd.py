"""conv2d of a 3x3 kernel, stride 1, dilation 1, by Winograd F(2x2, 3x3) (Lavin & Gray 2016),
two ways: transforms around 16 GEMMs (``minidl/kernels/winograd/cpu.py``), or the whole
convolution fused in one kernel for few channels (``minidl/kernels/winograd_fused/cpu.py``).

With V = winograd_input(x) (4x4 input tiles, transformed), U = G w G^T, and k = (a, b)
one of the 16 entries of a transformed tile (T tiles in the batch)::

    forward   M[k]  (C_out, T) = U[k] (C_out, C) @ V[k] (C, T),  y = winograd_output(M)
    weights   dU[k] (C_out, C) = dM[k] @ V[k].T,                 dw = G^T dU G
    input     dV[k] (C, T)     = U[k].T @ dM[k],                 dx = input adjoint of dV

where dM = winograd_output_adjoint(dy): the backward runs the forward's transforms
transposed. Like ``cols``, V lives in the workspace and is recomputed in the backward, and
V and M are made for a chunk of images at a time, so that they stay small (`CHUNK_BYTES`).
"""

from __future__ import annotations

from typing import Any

from .. import gemm, kernels
from ..autograd import Function
from ..backend import array_module
from ..kernels.winograd.reference import filter_transform, filter_transform_adjoint, tiles
from .conv_args import bias_grad
from .conv_double import conv2d_grads
from .workspace import workspace

# V and M of one chunk of images at most this big (unless one image alone is bigger): a wide
# layer's transformed tiles are 4x its input and output, and kept whole they were most of a
# base-64 U-Net step's memory; smaller chunks would make each GEMM thinner.
CHUNK_BYTES = 32 << 20


def image_chunks(N: int, channels: int, tiles_per_image: int, itemsize: int) -> list:
    """(first, end) images of each chunk whose V and M (16 values per tile of ``channels``
    = C_in + C_out channels) take at most `CHUNK_BYTES`, and at least one image."""
    per_image = 16 * channels * tiles_per_image * itemsize
    step = max(1, CHUNK_BYTES // max(per_image, 1))
    return [(n, min(N, n + step)) for n in range(0, N, step)]


def _winograd_input(x: Any, padding: tuple[int, int]) -> Any:
    """V (4, 4, C, N, TH, TW) of ``x`` written into the workspace."""
    N, C, H, W = x.shape
    TH, TW = tiles(H + 2 * padding[0] - 2, W + 2 * padding[1] - 2)
    out = workspace.get(array_module(x), (4, 4, C, N, TH, TW), x.dtype, slot="V")
    return kernels.get("winograd_input", x)(x, *padding, out=out)


class Conv2dWinograd(Function):
    """The transforms (Numba) around 16 GEMMs (OpenBLAS / cuBLAS), a chunk of images at a
    time when V and M of the whole batch would pass `CHUNK_BYTES`."""

    @staticmethod
    def forward(ctx, x, w, b, padding):
        xp = array_module(x)
        N, C, H, W = x.shape
        C_out = w.shape[0]
        ctx.save_for_backward(x, w)
        ctx.padding = padding
        U = filter_transform(w).reshape(16, C_out, C)
        OH, OW = H + 2 * padding[0] - 2, W + 2 * padding[1] - 2
        TH, TW = tiles(OH, OW)
        y = xp.empty((N, C_out, OH, OW), dtype=x.dtype)
        for n0, n1 in image_chunks(N, C + C_out, TH * TW, x.dtype.itemsize):
            V = _winograd_input(x[n0:n1], padding)
            M = workspace.get(xp, (4, 4, C_out, n1 - n0, TH, TW), x.dtype, slot="M")
            gemm.matmul(U, V.reshape(16, C, -1), out=M.reshape(16, C_out, -1))
            kernels.get("winograd_output", M)(M, OH, OW, b, out=y[n0:n1])
        return y

    @staticmethod
    def backward(ctx, dy):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        xp = array_module(dy)
        N, C = x.shape[:2]
        C_out = w.shape[0]
        TH, TW = tiles(*dy.shape[2:])
        dx = xp.empty(x.shape, dtype=dy.dtype) if need_x else None
        dU = None
        db = bias_grad(dy, need_b)
        # U is recomputed (one small GEMM): kept, it would be 16/9 of the weights alive
        # from the forward to the backward, a second copy of the model
        U = filter_transform(w).reshape(16, C_out, C) if need_x else None
        for n0, n1 in image_chunks(N, C + C_out, TH * TW, dy.dtype.itemsize):
            dM = workspace.get(xp, (4, 4, C_out, n1 - n0, TH, TW), dy.dtype, "M")
            dM = kernels.get("winograd_output_adjoint", dy)(dy[n0:n1], out=dM)
            dM3 = dM.reshape(16, C_out, -1)  # (16, C_out, T)
            if need_w:
                V = _winograd_input(x[n0:n1], ctx.padding)  # recomputed: cheaper than keeping it
                # small (C_out x C) outputs with a long sum: OpenBLAS is as good as a loop here
                part = gemm.matmul(dM3, V.reshape(16, C, -1).transpose(0, 2, 1))
                dU = part if dU is None else xp.add(dU, part, out=dU)  # (16, C_out, C)
            if need_x:
                dV = workspace.get(xp, (4, 4, C, n1 - n0, TH, TW), dy.dtype, slot="V")
                gemm.matmul(U.transpose(0, 2, 1), dM3, out=dV.reshape(16, C, -1))
                adjoint = kernels.get("winograd_input_adjoint", dV)
                adjoint(dV, dx[n0:n1].shape, *ctx.padding, out=dx[n0:n1])
        dw = filter_transform_adjoint(dU.reshape(4, 4, C_out, C)) if need_w else None
        return dx, dw, db, None

    @staticmethod
    def vjp(ctx, dy):
        return (*conv2d_grads(ctx, dy, (1, 1), ctx.padding, (1, 1), 1), None)


class Conv2dWinogradFused(Function):
    """One kernel per convolution: each block of tile rows is transformed, multiplied and
    transformed back while it is in the core's cache (padding <= 2, see the backward)::

        dx = correlation of dy, padded by 2 - P, with w flipped in space and C_out <-> C_in
        dw = G^T dU G,  dU = winograd_weight_grad(x, dy): sum over tiles of dM[k] @ V[k]^T
    """

    @staticmethod
    def forward(ctx, x, w, b, padding):
        ctx.save_for_backward(x, w)
        ctx.padding = padding
        return kernels.get("winograd_conv", x)(x, filter_transform(w), *padding, b)

    @staticmethod
    def backward(ctx, dy):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        PH, PW = ctx.padding
        dx = dw = None
        db = bias_grad(dy, need_b)
        if need_w:
            dU = kernels.get("winograd_weight_grad", dy)(x, dy, PH, PW)
            dw = filter_transform_adjoint(dU)
        if need_x:
            w_adjoint = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)  # (C_in, C_out, 3, 3)
            conv = kernels.get("winograd_conv", dy)
            dx = conv(dy, filter_transform(w_adjoint), 2 - PH, 2 - PW)
        return dx, dw, db, None

    @staticmethod
    def vjp(ctx, dy):
        return (*conv2d_grads(ctx, dy, (1, 1), ctx.padding, (1, 1), 1), None)
