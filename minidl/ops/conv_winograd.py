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

from dataclasses import dataclass
from typing import Any

from .. import gemm, kernels
from ..autograd import Function
from ..backend import array_module
from ..kernels.winograd.reference import filter_transform, filter_transform_adjoint, tiles
from .conv_args import bias_grad
from .conv_double import conv2d_grads
from .workspace import workspace

# V and M of one chunk at most this big: a wide layer's transformed tiles are 4x its input and
# output, and kept whole they were most of a base-64 U-Net step's memory. A chunk is some
# images, or, where one image alone is bigger, some tile rows of one image; smaller chunks
# would make each GEMM thinner.
CHUNK_BYTES = 32 << 20


@dataclass(frozen=True)
class Chunk:
    """Images n0 .. n1 - 1, tile rows th0 .. th1 - 1 of them."""

    n0: int
    n1: int
    th0: int
    th1: int


def chunks(N: int, TH: int, TW: int, channels: int, itemsize: int) -> list[Chunk]:
    """The chunks whose V and M (16 values per tile of ``channels`` = C_in + C_out channels)
    take at most `CHUNK_BYTES`: whole images while one fits, else blocks of tile rows."""
    per_row = 16 * channels * TW * itemsize
    if per_row * TH <= CHUNK_BYTES:
        step = max(1, CHUNK_BYTES // (per_row * TH))
        return [Chunk(n, min(N, n + step), 0, TH) for n in range(0, N, step)]
    rows = max(1, CHUNK_BYTES // per_row)
    return [Chunk(n, n + 1, t, min(TH, t + rows)) for n in range(N) for t in range(0, TH, rows)]


def _row_range(H: int, chunk: Chunk, PH: int) -> tuple[int, int, int, int]:
    """(first, end, r0, r1): the input rows first .. end - 1 that the chunk's tiles read (in
    x's rows, the padding ones outside 0 .. H - 1), and r0 .. r1 - 1, those inside."""
    first, end = 2 * chunk.th0 - PH, 2 * chunk.th1 + 2 - PH
    return first, end, max(first, 0), min(end, H)


def _rows_of(x: Any, chunk: Chunk, PH: int) -> Any:
    """The input rows the chunk's tiles read, padding rows included (zeros)."""
    first, end, r0, r1 = _row_range(x.shape[2], chunk, PH)
    part = x[chunk.n0 : chunk.n1, :, r0:r1]
    if (first, end) == (r0, r1):
        return part
    slab = array_module(x).zeros((*part.shape[:2], end - first, x.shape[3]), x.dtype)
    slab[:, :, r0 - first : r1 - first] = part
    return slab


def _winograd_input(x: Any, padding: tuple[int, int]) -> Any:
    """V (4, 4, C, N, TH, TW) of ``x`` written into the workspace."""
    N, C, H, W = x.shape
    TH, TW = tiles(H + 2 * padding[0] - 2, W + 2 * padding[1] - 2)
    out = workspace.get(array_module(x), (4, 4, C, N, TH, TW), x.dtype, slot="V")
    return kernels.get("winograd_input", x)(x, *padding, out=out)


def _chunk_input(x: Any, chunk: Chunk, TH: int, padding: tuple[int, int]) -> Any:
    """V of the chunk's tiles: of whole images with the padding, or of a slab of rows."""
    if (chunk.th0, chunk.th1) == (0, TH):
        return _winograd_input(x[chunk.n0 : chunk.n1], padding)
    return _winograd_input(_rows_of(x, chunk, padding[0]), (0, padding[1]))


class Conv2dWinograd(Function):
    """The transforms (Numba) around 16 GEMMs (OpenBLAS / cuBLAS), a chunk at a time when V
    and M of the whole batch would pass `CHUNK_BYTES` (`chunks`)."""

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
        output = kernels.get("winograd_output", x)
        for c in chunks(N, TH, TW, C + C_out, x.dtype.itemsize):
            V = _chunk_input(x, c, TH, padding)
            M = workspace.get(xp, (4, 4, C_out, *V.shape[3:]), x.dtype, slot="M")
            gemm.matmul(U, V.reshape(16, C, -1), out=M.reshape(16, C_out, -1))
            if (c.th0, c.th1) == (0, TH):
                output(M, OH, OW, b, out=y[c.n0 : c.n1])
            else:  # rows 2 th0 .. of the output, the last block cropped to OH
                o0, o1 = 2 * c.th0, min(2 * c.th1, OH)
                y[c.n0 : c.n1, :, o0:o1] = output(M, o1 - o0, OW, b)
        return y

    @staticmethod
    def backward(ctx, dy):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        xp = array_module(dy)
        N, C, H, W = x.shape
        C_out = w.shape[0]
        OH, OW = dy.shape[2:]
        TH, TW = tiles(OH, OW)
        PH, PW = ctx.padding
        pieces = chunks(N, TH, TW, C + C_out, dy.dtype.itemsize)
        by_rows = any((c.th0, c.th1) != (0, TH) for c in pieces)
        # blocks of rows overlap by 2 input rows, so their dx is added into zeros
        dx = (xp.zeros if by_rows else xp.empty)(x.shape, dtype=dy.dtype) if need_x else None
        dU = None
        db = bias_grad(dy, need_b)
        # U is recomputed (one small GEMM): kept, it would be 16/9 of the weights alive
        # from the forward to the backward, a second copy of the model
        U = filter_transform(w).reshape(16, C_out, C) if need_x else None
        output_adjoint = kernels.get("winograd_output_adjoint", dy)
        adjoint = kernels.get("winograd_input_adjoint", dy)
        for c in pieces:
            o0, o1 = 2 * c.th0, min(2 * c.th1, OH)
            rows = c.th1 - c.th0
            dM = workspace.get(xp, (4, 4, C_out, c.n1 - c.n0, rows, TW), dy.dtype, "M")
            dM = output_adjoint(dy[c.n0 : c.n1, :, o0:o1], out=dM)
            dM3 = dM.reshape(16, C_out, -1)  # (16, C_out, T)
            if need_w:
                V = _chunk_input(x, c, TH, ctx.padding)  # recomputed: cheaper than keeping it
                # small (C_out x C) outputs with a long sum: OpenBLAS is as good as a loop here
                part = gemm.matmul(dM3, V.reshape(16, C, -1).transpose(0, 2, 1))
                dU = part if dU is None else xp.add(dU, part, out=dU)  # (16, C_out, C)
            if need_x:
                dV = workspace.get(xp, (4, 4, C, c.n1 - c.n0, rows, TW), dy.dtype, slot="V")
                gemm.matmul(U.transpose(0, 2, 1), dM3, out=dV.reshape(16, C, -1))
                if not by_rows:
                    adjoint(dV, dx[c.n0 : c.n1].shape, PH, PW, out=dx[c.n0 : c.n1])
                    continue
                first, end, r0, r1 = _row_range(H, c, PH)
                d_rows = adjoint(dV, (c.n1 - c.n0, C, end - first, W), 0, PW)
                dx[c.n0 : c.n1, :, r0:r1] += d_rows[:, :, r0 - first : r1 - first]
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
