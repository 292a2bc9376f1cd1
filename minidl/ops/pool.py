"""Pooling and unpooling: max-pool with remembered positions, max-unpool, average pool.

Kernels: ``minidl/kernels/pool/{reference,cpu,gpu}.py`` (``max_pool2d``, ``max_unpool2d``),
picked by ``minidl.kernels.get``. ``max_unpool2d`` sums values that land on one position, so
it is the exact adjoint of max-pooling's gather and serves as its backward; the backward of
unpooling is that gather (``take_along_axis``). Average pooling is a sum of KH*KW strided
slices, written with arrays (no kernel).
"""

from __future__ import annotations

from typing import Any

from .. import kernels
from ..autograd import Function
from ..backend import array_module
from ..kernels.pool.reference import pool_output_size
from ..tensor import Tensor
from .conv import Pair, check_image, pair


class MaxPool2dWithIndices(Function):
    @staticmethod
    def forward(ctx, x, kernel, stride, padding):
        out, indices = kernels.get("max_pool2d", x)(x, *kernel, *stride, *padding)
        ctx.save_for_backward(indices)
        ctx.size = x.shape[2:]
        return out, indices

    @staticmethod
    def backward(ctx, dout, dindices):
        (indices,) = ctx.saved_tensors
        dx = kernels.get("max_unpool2d", dout)(dout, indices, *ctx.size)
        return dx, None, None, None


class MaxUnpool2d(Function):
    @staticmethod
    def forward(ctx, x, indices, size):
        ctx.save_for_backward(indices)
        return kernels.get("max_unpool2d", x)(x, indices, *size)

    @staticmethod
    def backward(ctx, dout):
        (indices,) = ctx.saved_tensors
        xp = array_module(dout)
        N, C, OH, OW = dout.shape
        # Gather each value's gradient from where it was sent: indices are offsets within a
        # plane, so add each plane's start and read the flattened gradient (np.take is ~2.5x
        # faster than take_along_axis here).
        starts = (xp.arange(N * C) * (OH * OW)).reshape(N, C, 1, 1)
        return xp.take(dout.reshape(-1), indices + starts), None, None


class AvgPool2d(Function):
    @staticmethod
    def forward(ctx, x, kernel, stride, padding, count_include_pad):
        xp = array_module(x)
        (KH, KW), (SH, SW), (PH, PW) = kernel, stride, padding
        N, C, H, W = x.shape
        OH, OW = pool_output_size(H, KH, SH, PH), pool_output_size(W, KW, SW, PW)
        x_pad = xp.pad(x, ((0, 0), (0, 0), (PH, PH), (PW, PW)))
        out = xp.zeros((N, C, OH, OW), dtype=x.dtype)
        for kh in range(KH):
            for kw in range(KW):
                out += x_pad[_window(kh, kw, SH, SW, OH, OW)]
        divisor = _divisor(xp, (H, W), (OH, OW), kernel, stride, padding, count_include_pad)
        ctx.divisor, ctx.geometry, ctx.size = divisor, (KH, KW, SH, SW, PH, PW), (H, W)
        return (out / divisor).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, dout):
        xp = array_module(dout)
        KH, KW, SH, SW, PH, PW = ctx.geometry
        (H, W), (N, C, OH, OW) = ctx.size, dout.shape
        share = (dout / ctx.divisor).astype(dout.dtype, copy=False)  # each pixel's share
        dx_pad = xp.zeros((N, C, H + 2 * PH, W + 2 * PW), dtype=dout.dtype)
        for kh in range(KH):
            for kw in range(KW):
                dx_pad[_window(kh, kw, SH, SW, OH, OW)] += share
        return dx_pad[:, :, PH : PH + H, PW : PW + W], None, None, None, None


def _window(kh: int, kw: int, SH: int, SW: int, OH: int, OW: int) -> tuple[slice, ...]:
    """Index of pixel (kh, kw) of every window at once, in the padded input (N, C, ., .)."""
    rows = slice(kh, kh + SH * (OH - 1) + 1, SH)
    cols = slice(kw, kw + SW * (OW - 1) + 1, SW)
    return (slice(None), slice(None), rows, cols)


def _divisor(xp, size, out_size, kernel, stride, padding, count_include_pad) -> Any:
    """KH*KW, or (count_include_pad=False) the number of real pixels in each window."""
    if count_include_pad:
        return kernel[0] * kernel[1]
    counts = []
    for n, o, k, s, p in zip(size, out_size, kernel, stride, padding):
        start = xp.arange(o) * s - p
        counts.append(xp.minimum(start + k, n) - xp.maximum(start, 0))
    return counts[0][:, None] * counts[1][None, :]  # (OH, OW)


# ---- argument checks -------------------------------------------------------------------------


def _pool_args(op: str, x: Any, kernel_size: Any, stride: Any, padding: Any) -> tuple[Pair, ...]:
    """Normalised (kernel, stride, padding), checked as PyTorch checks them."""
    check_image(op, x)
    kernel = pair(op, "kernel_size", kernel_size, 1)
    stride = kernel if stride is None else pair(op, "stride", stride, 1)  # None: = kernel
    padding = pair(op, "padding", padding, 0)
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(f"{op}: padding {padding} must be at most half the kernel size {kernel}")
    out = tuple(map(pool_output_size, x.shape[2:], kernel, stride, padding))
    if min(out) <= 0:
        raise ValueError(
            f"{op}: output size {out} is not positive: kernel {kernel} is larger than the "
            f"padded input {tuple(n + 2 * p for n, p in zip(x.shape[2:], padding))} "
            f"(input {tuple(x.shape)}, padding {padding})"
        )
    return kernel, stride, padding


def _unpool_size(
    op: str, x: Any, kernel: Pair, stride: Pair, padding: Pair, output_size: Any
) -> Pair:
    """PyTorch's rule: default (H-1)*S - 2P + K; a given size must lie strictly within S of it."""
    H, W = x.shape[2:]
    default = tuple((n - 1) * s - 2 * p + k for n, k, s, p in zip((H, W), kernel, stride, padding))
    if output_size is None:
        size = default
    else:
        size = tuple(int(n) for n in output_size)
        if len(size) == 4:
            size = size[2:]  # (N, C, H, W) is accepted too
        if len(size) != 2:
            raise ValueError(f"{op}: output_size must have 2 (or 4) entries, got {output_size!r}")
        for d in range(2):
            lo, hi = default[d] - stride[d], default[d] + stride[d]
            if not lo < size[d] < hi:
                raise ValueError(
                    f"{op}: output_size {size} is not within ({lo + 1}..{hi - 1}) along dim "
                    f"{d} for input {tuple(x.shape[2:])}, kernel {kernel}, stride {stride}, "
                    f"padding {padding}"
                )
    if min(size) <= 0:
        raise ValueError(f"{op}: output size {size} is not positive for input {tuple(x.shape)}")
    return size  # type: ignore[return-value]


# ---- public functions ------------------------------------------------------------------------


def max_pool2d_with_indices(
    x: Tensor, kernel_size: int | Pair, stride: int | Pair | None = None, padding: int | Pair = 0
) -> tuple[Tensor, Tensor]:
    """Max over each window, and where it was: the primitive behind `max_pool2d`.

    Shapes: x (N, C, H, W) -> out and indices (N, C, OH, OW),
    OH = floor((H + 2*PH - KH) / SH) + 1 (stride None means stride = kernel_size).

    Math: out = max over the window; indices = ih*W + iw of that maximum, an int64 flat
    offset into the (H, W) plane of the unpadded input. Ties: the first in row-major order
    wins; NaN propagates; padding counts as -inf (padding <= kernel_size // 2). Backward:
    the gradient goes to the remembered position only (a scatter, summing where windows
    overlap), i.e. `max_unpool2d` of the gradient.

    Kernel: minidl/kernels/pool/ (max_pool2d forward, max_unpool2d backward).
    Reference: ``torch.nn.functional.max_pool2d(..., return_indices=True)``.
    """
    kernel, stride, padding = _pool_args("max_pool2d", x, kernel_size, stride, padding)
    return MaxPool2dWithIndices.apply(x, kernel, stride, padding)


def max_pool2d(
    x: Tensor,
    kernel_size: int | Pair,
    stride: int | Pair | None = None,
    padding: int | Pair = 0,
    *,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """Max-pooling; ``return_indices=True`` also returns the positions (see
    `max_pool2d_with_indices`, the primitive, for shapes, math and semantics).

    Kernel: minidl/kernels/pool/ (max_pool2d, max_unpool2d).
    Reference: ``torch.nn.functional.max_pool2d``.
    """
    out, indices = max_pool2d_with_indices(x, kernel_size, stride, padding)
    return (out, indices) if return_indices else out


def max_unpool2d(
    x: Tensor,
    indices: Tensor | Any,
    kernel_size: int | Pair,
    stride: int | Pair | None = None,
    padding: int | Pair = 0,
    output_size: Any = None,
) -> Tensor:
    """Put each value back at the position max-pooling took it from; zeros elsewhere.

    Shapes: x and indices (N, C, H, W) -> (N, C, OH, OW) with, by default,
    OH = (H-1)*SH - 2*PH + KH; ``output_size`` (2 or 4 entries) may pick another size
    strictly within SH of it (the sizes that pooling maps back to H).

    Math: out.flat[indices[n, c, i, j]] += x[n, c, i, j] within each plane (PyTorch leaves
    repeated indices undefined; here they add up, the exact adjoint of max-pooling's gather).
    Backward: dx[n, c, i, j] = dout[n, c].flat[indices[n, c, i, j]].

    Kernel: minidl/kernels/pool/ (max_unpool2d).
    Reference: ``torch.nn.functional.max_unpool2d``; Zeiler & Fergus 2014 (switches).
    """
    op = "max_unpool2d"
    check_image(op, x)
    idx = indices.data if isinstance(indices, Tensor) else indices
    if tuple(idx.shape) != tuple(x.shape):
        raise ValueError(
            f"{op}: expected indices of the input's shape {tuple(x.shape)}, got {tuple(idx.shape)}"
        )
    if idx.dtype.kind not in "iu":
        raise ValueError(f"{op}: expected integer indices, got {idx.dtype}")
    kernel = pair(op, "kernel_size", kernel_size, 1)
    stride = kernel if stride is None else pair(op, "stride", stride, 1)
    padding = pair(op, "padding", padding, 0)
    size = _unpool_size(op, x, kernel, stride, padding, output_size)
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= size[0] * size[1]):
        raise ValueError(
            f"{op}: indices must lie in [0, {size[0] * size[1]}) for output size {size}, got "
            f"values in [{int(idx.min())}, {int(idx.max())}]"
        )
    return MaxUnpool2d.apply(x, idx, size)


def avg_pool2d(
    x: Tensor,
    kernel_size: int | Pair,
    stride: int | Pair | None = None,
    padding: int | Pair = 0,
    *,
    count_include_pad: bool = True,
) -> Tensor:
    """Mean over each window.

    Shapes: x (N, C, H, W) -> (N, C, OH, OW), OH = floor((H + 2*PH - KH) / SH) + 1.

    Math: out = (sum of the window over the zero-padded input) / KH*KW, or, with
    ``count_include_pad=False``, / the number of real (unpadded) pixels in the window.
    Backward: each pixel of a window receives dout / divisor (summed over its windows).

    Kernel: none; a sum of KH*KW strided slices in minidl/ops/pool.py.
    Reference: ``torch.nn.functional.avg_pool2d`` (ceil_mode=False).
    """
    kernel, stride, padding = _pool_args("avg_pool2d", x, kernel_size, stride, padding)
    return AvgPool2d.apply(x, kernel, stride, padding, bool(count_include_pad))
