"""Rearranging images between space and channels (pixel shuffle), and im2col as a
differentiable op (``unfold``) with its adjoint (``fold``), on minidl's im2col kernels."""

from __future__ import annotations

from typing import Any

from .. import backend, kernels
from ..autograd import Function
from ..geometry import pair
from ..tensor import Tensor


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C·r², H, W) → (*, C, H·r, W·r): each group of r² channels becomes an r x r block.

    Reference: ``torch.nn.functional.pixel_shuffle``; Shi et al. (2016)."""
    r = upscale_factor
    *lead, C, H, W = input.shape
    if C % (r * r):
        raise ValueError(
            f"pixel_shuffle: channels {C} must be divisible by upscale_factor² = {r * r}"
        )
    n = len(lead)
    x = input.reshape(*lead, C // (r * r), r, r, H, W)
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)  # (*, C, H, r, W, r)
    return x.reshape(*lead, C // (r * r), H * r, W * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """The inverse of `pixel_shuffle`: (*, C, H·r, W·r) → (*, C·r², H, W).

    Reference: ``torch.nn.functional.pixel_unshuffle``."""
    r = downscale_factor
    *lead, C, H, W = input.shape
    if H % r or W % r:
        raise ValueError(f"pixel_unshuffle: H and W ({H}, {W}) must be divisible by {r}")
    n = len(lead)
    x = input.reshape(*lead, C, H // r, r, W // r, r)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)  # (*, C, r, r, H/r, W/r)
    return x.reshape(*lead, C * r * r, H // r, W // r)


def _geometry(op: str, kernel_size: Any, dilation: Any, padding: Any, stride: Any) -> tuple:
    KH, KW = pair(op, "kernel_size", kernel_size, 1)
    DH, DW = pair(op, "dilation", dilation, 1)
    PH, PW = pair(op, "padding", padding, 0)
    SH, SW = pair(op, "stride", stride, 1)
    return KH, KW, SH, SW, PH, PW, DH, DW


def _out(n: int, k: int, s: int, p: int, d: int) -> int:
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


class Unfold(Function):
    """cols[n, (c, i, j), (oh, ow)] = x[n, c, oh·SH - PH + i·DH, ow·SW - PW + j·DW]; the
    backward adds every column back where it was read (col2im)."""

    linear = (0,)

    @staticmethod
    def forward(ctx, x, geometry):
        KH, KW, SH, SW, PH, PW, DH, DW = geometry
        N, C, H, W = x.shape
        OH, OW = _out(H, KH, SH, PH, DH), _out(W, KW, SW, PW, DW)
        xp = backend.array_module(x)
        cols = kernels.get("im2col", x)(x, KH, KW, SH, SW, PH, PW, DH, DW)
        ctx.geometry, ctx.shape = geometry, x.shape
        # (C, KH, KW, N, OH, OW) -> (N, C·KH·KW, OH·OW), PyTorch's layout
        return xp.ascontiguousarray(cols.reshape(C * KH * KW, N, OH * OW).transpose(1, 0, 2))

    @staticmethod
    def backward(ctx, g):
        return _col2im(g, ctx.shape, ctx.geometry), None


def _col2im(g: Any, shape: tuple, geometry: tuple) -> Any:
    KH, KW, SH, SW, PH, PW, DH, DW = geometry
    N, C, H, W = shape
    OH, OW = _out(H, KH, SH, PH, DH), _out(W, KW, SW, PW, DW)
    xp = backend.array_module(g)
    cols = xp.ascontiguousarray(g.transpose(1, 0, 2)).reshape(C, KH, KW, N, OH, OW)
    return kernels.get("col2im", g)(cols, shape, KH, KW, SH, SW, PH, PW, DH, DW)


class Fold(Function):
    """The adjoint of `Unfold`: columns summed back into an image."""

    linear = (0,)

    @staticmethod
    def forward(ctx, cols, shape, geometry):
        ctx.geometry, ctx.shape = geometry, shape
        return _col2im(cols, shape, geometry)

    @staticmethod
    def backward(ctx, g):
        return Unfold.forward(ctx, g, ctx.geometry), None, None


def unfold(
    input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1
) -> Tensor:
    """im2col: every KH x KW patch as a column. (N, C, H, W) → (N, C·KH·KW, L), L the
    number of patch positions.  Kernel: minidl/kernels/im2col/.

    Reference: ``torch.nn.functional.unfold``."""
    geometry = _geometry("unfold", kernel_size, dilation, padding, stride)
    unbatched = input.ndim == 3
    x = input.unsqueeze(0) if unbatched else input
    if x.ndim != 4:
        raise ValueError(f"unfold: expected (N, C, H, W) or (C, H, W), got {input.shape}")
    KH, KW, SH, SW, PH, PW, DH, DW = geometry
    if _out(x.shape[2], KH, SH, PH, DH) <= 0 or _out(x.shape[3], KW, SW, PW, DW) <= 0:
        raise ValueError(
            f"unfold: kernel {(KH, KW)} with dilation {(DH, DW)} does not fit "
            f"the padded input {tuple(x.shape[2:])}"
        )
    out = Unfold.apply(x, geometry)
    return out.squeeze(0) if unbatched else out


def fold(
    input: Tensor,
    output_size: Any,
    kernel_size: Any,
    dilation: Any = 1,
    padding: Any = 0,
    stride: Any = 1,
) -> Tensor:
    """col2im, the adjoint of `unfold`: (N, C·KH·KW, L) columns summed into (N, C, H, W).

    Reference: ``torch.nn.functional.fold``."""
    geometry = _geometry("fold", kernel_size, dilation, padding, stride)
    H, W = pair("fold", "output_size", output_size, 1)
    KH, KW, SH, SW, PH, PW, DH, DW = geometry
    unbatched = input.ndim == 2
    cols = input.unsqueeze(0) if unbatched else input
    N, CK, L = cols.shape
    if CK % (KH * KW) or L != _out(H, KH, SH, PH, DH) * _out(W, KW, SW, PW, DW):
        raise ValueError(
            f"fold: input {tuple(input.shape)} does not fit output_size {(H, W)} with kernel "
            f"{(KH, KW)}, stride {(SH, SW)}, padding {(PH, PW)}, dilation {(DH, DW)}"
        )
    out = Fold.apply(cols, (N, CK // (KH * KW), H, W), geometry)
    return out.squeeze(0) if unbatched else out
