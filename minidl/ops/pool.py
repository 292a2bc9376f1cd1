"""Pooling and unpooling: max-pool with remembered positions, max-unpool, average pool.

Kernels: ``minidl/kernels/pool/{reference,cpu,gpu}.py`` (``max_pool2d``,
``max_pool2d_backward``, ``max_unpool2d``), picked by ``minidl.kernels.get``. Max-pooling's
backward is a scatter that *sums* where overlapping windows remembered one pixel (the exact
adjoint of its gather); unpooling is a scatter that *writes* each value once, as PyTorch's
does, and its backward is the gather ``take``. Average pooling is a sum of KH*KW strided
slices, written with arrays (no kernel).

Every op takes (N, C, H, W) or unbatched (C, H, W) input, like PyTorch's.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from .. import higher_order, kernels
from ..autograd import Function
from ..backend import array_module
from ..geometry import Pair, check_image, end_padding, pair, pool_output_size, window_tap
from ..tensor import Tensor

Geometry = tuple[int, int, int, int, int, int, int, int]  # KH, KW, SH, SW, PH, PW, DH, DW


class MaxPool2dWithIndices(Function):
    @staticmethod
    def forward(ctx, x, geometry, ceil_mode):
        # Dilation and ceil_mode are passed only when used, so that a kernel written to the
        # shorter signature (x, KH, KW, SH, SW, PH, PW) still runs the common case.
        extra = () if geometry[6:] == (1, 1) and not ceil_mode else (*geometry[6:], ceil_mode)
        out, indices = kernels.get("max_pool2d", x)(x, *geometry[:6], *extra)
        ctx.save_for_backward(indices)
        ctx.size = x.shape[2:]
        return out, indices

    @staticmethod
    def backward(ctx, dout, dindices):
        (indices,) = ctx.saved_tensors
        dx = kernels.get("max_pool2d_backward", dout)(dout, indices, *ctx.size)
        return dx, None, None

    @staticmethod
    def vjp(ctx, dout, dindices):
        (indices,) = ctx.saved_tensors
        return scatter_to_maxima(dout, indices, ctx.size), None, None


def scatter_to_maxima(dout: Tensor, indices: Any, size: tuple[int, int]) -> Tensor:
    """Max-pooling's backward as recorded ops: each output's gradient added at its maximum,
    ``indices`` (N, C, OH, OW) holding offsets into the (H, W) plane of ``size``."""
    N, C = dout.shape[:2]
    H, W = size
    zeros = higher_order.constant(array_module(indices).zeros((N, C, H * W), dout.dtype))
    flat = zeros.scatter_add(2, indices.reshape(N, C, -1), dout.reshape(N, C, -1))
    return flat.reshape(N, C, H, W)


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
        # plane, so add each plane's start and read the flattened gradient (one flat np.take
        # beats take_along_axis's broadcast indexing). Values sent to one place all read its
        # gradient, also those the forward overwrote: PyTorch's rule (not an exact adjoint).
        starts = (xp.arange(N * C) * (OH * OW)).reshape(N, C, 1, 1)
        return xp.take(dout.reshape(-1), indices + starts), None, None

    @staticmethod
    def vjp(ctx, dout):
        # the same gather; not `linear`: with repeated indices the forward writes once, so
        # it is not this gather's transpose (take_along_dim's own backward sums, as it must)
        (indices,) = ctx.saved_tensors
        N, C = indices.shape[:2]
        picked = dout.reshape(N, C, -1).take_along_dim(indices.reshape(N, C, -1), 2)
        return picked.reshape(indices.shape), None, None


class AvgPool2d(Function):
    linear = (0,)

    @staticmethod
    def forward(ctx, x, geometry, out_size, divisor):
        xp = array_module(x)
        KH, KW, SH, SW, PH, PW = geometry
        N, C, H, W = x.shape
        OH, OW = out_size
        end_h, end_w = end_padding(H, KH, SH, PH, OH), end_padding(W, KW, SW, PW, OW)
        x_pad = xp.pad(x, ((0, 0), (0, 0), (PH, end_h), (PW, end_w)))
        out = xp.zeros((N, C, OH, OW), dtype=x.dtype)
        for kh in range(KH):
            for kw in range(KW):
                out += x_pad[window_tap(kh, kw, SH, SW, OH, OW)]
        ctx.divisor, ctx.geometry, ctx.padded = divisor, geometry, x_pad.shape
        ctx.size = (H, W)
        return (out / divisor).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, dout):
        xp = array_module(dout)
        KH, KW, SH, SW, PH, PW = ctx.geometry
        (H, W), (OH, OW) = ctx.size, dout.shape[2:]
        share = (dout / ctx.divisor).astype(dout.dtype, copy=False)  # each pixel's share
        dx_pad = xp.zeros(ctx.padded, dtype=dout.dtype)
        for kh in range(KH):
            for kw in range(KW):
                dx_pad[window_tap(kh, kw, SH, SW, OH, OW)] += share
        return dx_pad[:, :, PH : PH + H, PW : PW + W], None, None, None


def _divisor(xp, size, out_size, kernel, stride, padding, count_include_pad) -> Any:
    """Each window's divisor (OH, OW): PyTorch counts the window clipped to the padded input
    (count_include_pad=True) or to the real pixels (False); a ceil_mode window that runs past
    the padding is clipped either way."""
    counts = []
    for n, o, k, s, p in zip(size, out_size, kernel, stride, padding):
        start = xp.arange(o) * s - p
        if count_include_pad:
            counts.append(xp.minimum(start + k, n + p) - start)
        else:
            counts.append(xp.minimum(start + k, n) - xp.maximum(start, 0))
    return counts[0][:, None] * counts[1][None, :]  # (OH, OW)


# ---- argument checks -------------------------------------------------------------------------


def check_pool_input(op: str, x: Any) -> None:
    """(N, C, H, W) or unbatched (C, H, W), floating point."""
    check_image(op, x, unbatched=True)


def batched(x: Tensor, run: Callable[[Tensor], Any]) -> Any:
    """``run`` on (N, C, H, W); an unbatched (C, H, W) input goes in as N = 1 and its outputs
    (a tensor or a tuple of them) come back without that axis, as in PyTorch."""
    if x.ndim == 4:
        return run(x)
    outs = run(x.reshape(1, *x.shape))
    if isinstance(outs, tuple):
        return tuple(o.reshape(*o.shape[1:]) for o in outs)
    return outs.reshape(*outs.shape[1:])


def _pool_args(
    op: str, x: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any, ceil_mode: bool
) -> Geometry:
    """(KH, KW, SH, SW, PH, PW, DH, DW), checked as PyTorch checks them."""
    check_pool_input(op, x)
    kernel = pair(op, "kernel_size", kernel_size, 1, one=True)
    # None (or PyTorch's empty list) means stride = kernel_size
    empty = stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0)
    stride = kernel if empty else pair(op, "stride", stride, 1, one=True)
    padding = pair(op, "padding", padding, 0, one=True)
    dilation = pair(op, "dilation", dilation, 1, one=True)
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(f"{op}: padding {padding} must be at most half the kernel size {kernel}")
    size = tuple(x.shape[-2:])
    out = tuple(map(pool_output_size, size, kernel, stride, padding, dilation, (ceil_mode,) * 2))
    if min(out) <= 0:
        span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
        what = f"kernel {kernel}"
        if span != kernel:
            what += f" with dilation {dilation} spans {span}, which"
        raise ValueError(
            f"{op}: output size {out} is not positive: {what} is larger than the padded input "
            f"{tuple(n + 2 * p for n, p in zip(size, padding))} (input {tuple(x.shape)}, "
            f"padding {padding})"
        )
    return (*kernel, *stride, *padding, *dilation)  # type: ignore[return-value]


def _unpool_size(
    op: str, x: Any, kernel: Pair, stride: Pair, padding: Pair, output_size: Any
) -> Pair:
    """PyTorch's rule: default (H-1)*S - 2P + K; a given size must lie strictly within S of it."""
    H, W = x.shape[-2:]
    default = tuple((n - 1) * s - 2 * p + k for n, k, s, p in zip((H, W), kernel, stride, padding))
    if output_size is None:
        size = default
    else:
        try:
            size = tuple(operator.index(n) for n in output_size)
        except TypeError:
            raise ValueError(
                f"{op}: output_size must be a sequence of ints, got {output_size!r}"
            ) from None
        if len(size) == 4:
            size = size[2:]  # (N, C, H, W) is accepted too
        if len(size) != 2:
            raise ValueError(f"{op}: output_size must have 2 (or 4) entries, got {output_size!r}")
        for d in range(2):
            lo, hi = default[d] - stride[d], default[d] + stride[d]
            if not lo < size[d] < hi:
                raise ValueError(
                    f"{op}: output_size {size} is not within ({lo + 1}..{hi - 1}) along dim "
                    f"{d} for input {tuple(x.shape[-2:])}, kernel {kernel}, stride {stride}, "
                    f"padding {padding}"
                )
    if min(size) <= 0:
        raise ValueError(f"{op}: output size {size} is not positive for input {tuple(x.shape)}")
    return size  # type: ignore[return-value]


# ---- public functions ------------------------------------------------------------------------


def max_pool2d_with_indices(
    input: Tensor,
    kernel_size: int | Pair,
    stride: int | Pair | None = None,
    padding: int | Pair = 0,
    dilation: int | Pair = 1,
    ceil_mode: bool = False,
    return_indices: bool = True,
) -> tuple[Tensor, Tensor]:
    """Max over each window, and where it was: the primitive behind `max_pool2d`.

    Shapes: input (N, C, H, W) or (C, H, W) -> out and indices (N, C, OH, OW) or (C, OH, OW),
    OH = floor((H + 2*PH - DH*(KH-1) - 1) / SH) + 1 (stride None means stride = kernel_size);
    ``ceil_mode=True`` rounds up instead, keeping only windows that start inside the input
    or its left padding.

    Math: out = max over the window's KH x KW taps, DH x DW apart (dilation); indices =
    ih*W + iw of that maximum, an int64 flat offset into the (H, W) plane of the unpadded
    input. Ties: the first in row-major order wins; NaN propagates; padding counts as -inf
    (padding <= kernel_size // 2). Backward: the gradient goes to the remembered position
    only (a scatter, summing where windows overlap).

    Kernels: ``max_pool2d`` (forward) and ``max_pool2d_backward`` in minidl/kernels/pool/cpu.py
    (gpu.py on CuPy arrays; reference.py is the readable spec).
    Reference: ``torch.nn.functional.max_pool2d_with_indices`` (``return_indices`` is
    accepted for its signature; the indices are always returned).
    """
    op = "max_pool2d"
    geometry = _pool_args(op, input, kernel_size, stride, padding, dilation, bool(ceil_mode))
    return batched(input, lambda x: MaxPool2dWithIndices.apply(x, geometry, bool(ceil_mode)))


def max_pool2d(
    input: Tensor,
    kernel_size: int | Pair,
    stride: int | Pair | None = None,
    padding: int | Pair = 0,
    dilation: int | Pair = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """Max-pooling; ``return_indices=True`` also returns the positions (see
    `max_pool2d_with_indices`, the primitive, for shapes, math and semantics).

    Kernels: ``max_pool2d`` and ``max_pool2d_backward`` in minidl/kernels/pool/cpu.py (gpu.py
    on CuPy arrays; reference.py is the readable spec).
    Reference: ``torch.nn.functional.max_pool2d``.
    """
    out, indices = max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (out, indices) if return_indices else out


def max_unpool2d(
    input: Tensor,
    indices: Tensor | Any,
    kernel_size: int | Pair,
    stride: int | Pair | None = None,
    padding: int | Pair = 0,
    output_size: Any = None,
) -> Tensor:
    """Put each value back at the position max-pooling took it from; zeros elsewhere.

    Shapes: input and indices (N, C, H, W) or (C, H, W) -> (N, C, OH, OW) or (C, OH, OW)
    with, by default, OH = (H-1)*SH - 2*PH + KH; ``output_size`` (2 or 4 entries) may pick
    another size strictly within SH of it (the sizes that pooling maps back to H).

    Math: out.flat[indices[n, c, i, j]] = input[n, c, i, j] within each plane, written once:
    after an overlapping pool a pixel chosen by several windows comes back once, not summed
    (of different values sent to one place the last in row-major order stays; PyTorch
    leaves which one unspecified). Backward: d_input[n, c, i, j] = dout[n, c].flat[indices]
    (every value sent to a place reads its gradient, as in PyTorch).

    Kernel: ``max_unpool2d`` in minidl/kernels/pool/cpu.py (gpu.py on CuPy arrays; reference.py
    is the readable spec).
    Reference: ``torch.nn.functional.max_unpool2d``; Zeiler & Fergus 2014 (switches).
    """
    op = "max_unpool2d"
    check_pool_input(op, input)
    idx = indices.data if isinstance(indices, Tensor) else indices
    if tuple(idx.shape) != tuple(input.shape):
        raise ValueError(
            f"{op}: expected indices of the input's shape {tuple(input.shape)}, got "
            f"{tuple(idx.shape)}"
        )
    if idx.dtype.kind not in "iu":
        raise ValueError(f"{op}: expected integer indices, got {idx.dtype}")
    kernel = pair(op, "kernel_size", kernel_size, 1, one=True)
    empty = stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0)
    stride = kernel if empty else pair(op, "stride", stride, 1, one=True)
    padding = pair(op, "padding", padding, 0, one=True)
    size = _unpool_size(op, input, kernel, stride, padding, output_size)
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= size[0] * size[1]):
        raise ValueError(
            f"{op}: indices must lie in [0, {size[0] * size[1]}) for output size {size}, got "
            f"values in [{int(idx.min())}, {int(idx.max())}]"
        )
    idx4 = idx if idx.ndim == 4 else idx.reshape(1, *idx.shape)
    return batched(input, lambda x: MaxUnpool2d.apply(x, idx4, size))


def avg_pool2d(
    input: Tensor,
    kernel_size: int | Pair,
    stride: int | Pair | None = None,
    padding: int | Pair = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Mean over each window.

    Shapes: input (N, C, H, W) or (C, H, W) -> (N, C, OH, OW) or (C, OH, OW),
    OH = floor((H + 2*PH - KH) / SH) + 1, rounded up with ``ceil_mode`` (as in max_pool2d).

    Math: out = (sum of the window over the zero-padded input) / divisor, where the divisor
    is ``divisor_override`` when given, else the window's size clipped to the padded input
    (KH*KW except for a ceil_mode window past the edge), or, with
    ``count_include_pad=False``, the number of real (unpadded) pixels in the window.
    Backward: each pixel of a window receives dout / divisor (summed over its windows).

    Kernel: none; a sum of KH*KW strided slices in minidl/ops/pool.py.
    Reference: ``torch.nn.functional.avg_pool2d`` (aten/src/ATen/native/cpu/AvgPoolKernel.cpp).
    """
    op = "avg_pool2d"
    geometry = _pool_args(op, input, kernel_size, stride, padding, 1, bool(ceil_mode))[:6]
    if divisor_override is not None:
        try:
            nonzero = operator.index(divisor_override) != 0
        except TypeError:
            nonzero = False
        if not nonzero:
            raise ValueError(
                f"{op}: divisor_override must be a non-zero int or None, got {divisor_override!r}"
            )
    H, W = input.shape[-2:]
    KH, KW, SH, SW, PH, PW = geometry
    out_size = (
        pool_output_size(H, KH, SH, PH, 1, bool(ceil_mode)),
        pool_output_size(W, KW, SW, PW, 1, bool(ceil_mode)),
    )
    xp = array_module(input.data if isinstance(input, Tensor) else input)
    if divisor_override is not None:
        divisor: Any = operator.index(divisor_override)
    else:
        divisor = _divisor(
            xp, (H, W), out_size, (KH, KW), (SH, SW), (PH, PW), bool(count_include_pad)
        ).astype(input.dtype)  # an int64 divisor would turn float32 sums into float64
    return batched(input, lambda x: AvgPool2d.apply(x, geometry, out_size, divisor))
