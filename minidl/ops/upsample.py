"""Fixed (not learned) upsampling: nearest-neighbour interpolation and bed of nails.

No kernel: both are index arithmetic on arrays, written here. Their learned counterpart is
`conv_transpose2d` (minidl/ops/conv.py); max-unpooling (minidl/ops/pool.py) is the one that
remembers where values came from.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd import Function
from ..backend import array_module
from ..tensor import Tensor
from .conv import Pair, check_image, pair


def _nearest_sources(in_size: int, out_size: int, scale_factor: float | None) -> np.ndarray:
    """For each output row, the input row it copies: PyTorch's ``nearest`` rule, exactly.

    src = min(floor(dst * scale), in_size - 1) with scale = 1/scale_factor when a factor was
    given, else in_size/out_size, computed in float32 as PyTorch does (so that rounding picks
    the same rows for factors like 1/3).
    """
    if scale_factor is not None and scale_factor > 0:
        scale = np.float32(1.0 / scale_factor)
    else:
        scale = np.float32(in_size) / np.float32(out_size)
    dst = np.arange(out_size, dtype=np.float32)
    return np.minimum(np.floor(dst * scale).astype(np.int64), in_size - 1)


class NearestUpsample(Function):
    @staticmethod
    def forward(ctx, x, rows, cols):
        # rows, cols: host (NumPy) int64 arrays, the source row of each output row/column.
        xp = array_module(x)
        (H, W), OH, OW = x.shape[2:], len(rows), len(cols)
        # Each output row copies an input row; with an integer factor s and OH = s*H, input
        # row i is copied by rows s*i .. s*i+s-1, and the backward is a reshape-sum.
        sh, sw = OH // H, OW // W
        ctx.factors = (sh, sw)
        ctx.regular = (
            OH == sh * H
            and OW == sw * W
            and np.array_equal(rows, np.arange(OH) // max(sh, 1))
            and np.array_equal(cols, np.arange(OW) // max(sw, 1))
        )
        ctx.rows, ctx.cols, ctx.size = xp.asarray(rows), xp.asarray(cols), (H, W)
        return x[:, :, ctx.rows][:, :, :, ctx.cols]  # (N, C, OH, OW)

    @staticmethod
    def backward(ctx, dout):
        xp = array_module(dout)
        (H, W), (N, C) = ctx.size, dout.shape[:2]
        # Each input pixel receives the sum of the gradients of the outputs that copied it.
        if ctx.regular:
            sh, sw = ctx.factors
            return dout.reshape(N, C, H, sh, W, sw).sum(axis=(3, 5)), None, None
        pick_rows = (ctx.rows[:, None] == xp.arange(H)).astype(dout.dtype)  # (OH, H) one-hot
        pick_cols = (ctx.cols[:, None] == xp.arange(W)).astype(dout.dtype)  # (OW, W) one-hot
        return pick_rows.T @ dout @ pick_cols, None, None


class BedOfNails(Function):
    @staticmethod
    def forward(ctx, x, scale):
        xp = array_module(x)
        N, C, H, W = x.shape
        out = xp.zeros((N, C, H * scale[0], W * scale[1]), dtype=x.dtype)
        out[:, :, :: scale[0], :: scale[1]] = x  # top-left of each block
        ctx.scale = scale
        return out

    @staticmethod
    def backward(ctx, dout):
        return dout[:, :, :: ctx.scale[0], :: ctx.scale[1]], None


def interpolate(
    x: Tensor,
    size: int | Pair | None = None,
    scale_factor: float | tuple[float, float] | None = None,
    mode: str = "nearest",
) -> Tensor:
    """Resize by nearest-neighbour interpolation (``mode="nearest"``, the only mode here).

    Shapes: x (N, C, H, W) -> (N, C, OH, OW) with (OH, OW) = ``size``, or
    OH = floor(H * scale_factor) (give exactly one of the two).

    Math: out[n, c, i, j] = x[n, c, src(i), src(j)], src(i) = min(floor(i * H/OH'), H-1)
    where H/OH' is 1/scale_factor when a factor is given (PyTorch's rule, in float32).
    Backward: each input pixel gets the sum of the gradients of its copies.

    Kernel: none; index arithmetic in minidl/ops/upsample.py.
    Reference: ``torch.nn.functional.interpolate(mode="nearest")``.
    """
    op = "interpolate"
    check_image(op, x)
    if mode != "nearest":
        raise ValueError(f"{op}: only mode='nearest' is implemented, got {mode!r}")
    if (size is None) == (scale_factor is None):
        raise ValueError(
            f"{op}: give exactly one of size and scale_factor, got {size=}, {scale_factor=}"
        )
    H, W = x.shape[2:]
    if size is not None:
        out_size = pair(op, "size", size, 1)
        factors: tuple[Any, Any] = (None, None)
    else:
        one = np.isscalar(scale_factor)
        factors = (scale_factor, scale_factor) if one else tuple(scale_factor)  # type: ignore
        if len(factors) != 2 or not all(f > 0 for f in factors):
            raise ValueError(f"{op}: scale_factor must be > 0 (or a pair), got {scale_factor!r}")
        out_size = (math.floor(H * factors[0]), math.floor(W * factors[1]))
        if min(out_size) <= 0:
            raise ValueError(
                f"{op}: output size {out_size} is not positive for input {tuple(x.shape)} "
                f"and scale_factor {scale_factor!r}"
            )
    rows = _nearest_sources(H, out_size[0], factors[0])
    cols = _nearest_sources(W, out_size[1], factors[1])
    return NearestUpsample.apply(x, rows, cols)


def bed_of_nails(x: Tensor, scale_factor: int | Pair = 2) -> Tensor:
    """Upsample by putting each value at the top-left of its s x s block, zeros elsewhere.

    Shapes: x (N, C, H, W) -> (N, C, H*sh, W*sw).

    Math: out[n, c, i*sh, j*sw] = x[n, c, i, j], 0 elsewhere. Backward: dx = dout[..., ::sh, ::sw].
    The zero-insertion step of a stride-s transpose convolution; compare max-unpooling, which
    puts each value where it came from instead of always at the top-left.

    Kernel: none; a strided assignment in minidl/ops/upsample.py.
    Reference: Noh et al., "Learning Deconvolution Network for Semantic Segmentation" (2015).
    """
    check_image("bed_of_nails", x)
    return BedOfNails.apply(x, pair("bed_of_nails", "scale_factor", scale_factor, 1))
