"""Adaptive pooling: pool to a given output size, whatever the input size.

Output row i pools input rows start(i) = floor(i*H/OH) to end(i) = ceil((i+1)*H/OH)
(exclusive), so the windows cover the input, differ in size by at most one, and overlap
when OH does not divide H. Columns alike.

- Average: a separable linear map (minidl/ops/separable.py) with A_H[i, h] = 1/(end-start)
  on the window, so out = A_H @ x @ A_Wᵀ and the backward uses the transposes.
- Max: separable too, because a maximum over a rectangle is the maximum over its rows of
  the maxima along each row. One pass along W keeps each row's maximum and its column, one
  pass along H picks the row: OH + OW vectorised steps. The first maximum in row-major order
  wins ties and the last NaN wins, as in PyTorch's scan. Its backward is max-pooling's: the
  summing scatter (kernel ``max_pool2d_backward``), as windows may share a pixel.

Reference: ``torch.nn.functional.adaptive_avg_pool2d`` / ``adaptive_max_pool2d``
(aten/src/ATen/native/AdaptivePooling.h: ``start_index``, ``end_index``).
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from .. import kernels
from ..autograd import Function
from ..backend import array_module
from ..tensor import Tensor
from .pool import batched, check_pool_input, scatter_to_maxima
from .separable import separable


def windows(n: int, o: int) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) of each of the ``o`` adaptive windows over ``n`` positions."""
    i = np.arange(o)
    return (i * n) // o, -(-(i + 1) * n // o)  # floor and ceil


def area_weights(n: int, o: int) -> np.ndarray:
    """(o, n): row i averages positions start(i) .. end(i)-1."""
    start, end = windows(n, o)
    pos = np.arange(n)
    inside = (pos >= start[:, None]) & (pos < end[:, None])
    return inside / (end - start)[:, None]


def _max_along(v: Any, axis: int) -> tuple[Any, Any]:
    """Maximum of ``v`` along ``axis`` and its position: the first maximum, or the last NaN."""
    xp = array_module(v)
    nan = xp.isnan(v)
    last_nan = v.shape[axis] - 1 - xp.argmax(xp.flip(nan, axis), axis=axis)
    at = xp.where(nan.any(axis=axis), last_nan, xp.argmax(v, axis=axis))
    value = xp.take_along_axis(v, xp.expand_dims(at, axis), axis)
    return xp.squeeze(value, axis), at


class AdaptiveMaxPool2d(Function):
    @staticmethod
    def forward(ctx, x, out_size):
        xp = array_module(x)
        N, C, H, W = x.shape
        OH, OW = out_size
        # Along W: each row's maximum over each column window, and that column.
        row_max = xp.empty((N, C, H, OW), dtype=x.dtype)
        col = xp.empty((N, C, H, OW), dtype=xp.int64)
        for j, (t, u) in enumerate(zip(*windows(W, OW))):
            row_max[..., j], at = _max_along(x[..., t:u], axis=3)
            col[..., j] = t + at
        # Along H: the best of those rows; its column comes with it.
        out = xp.empty((N, C, OH, OW), dtype=x.dtype)
        indices = xp.empty((N, C, OH, OW), dtype=xp.int64)
        for i, (s, e) in enumerate(zip(*windows(H, OH))):
            out[:, :, i], at = _max_along(row_max[:, :, s:e], axis=2)  # at: (N, C, OW)
            best_col = xp.take_along_axis(col[:, :, s:e], at[:, :, None], 2)[:, :, 0]
            indices[:, :, i] = (s + at) * W + best_col
        ctx.save_for_backward(indices)
        ctx.size = (H, W)
        return out, indices

    @staticmethod
    def backward(ctx, dout, dindices):
        (indices,) = ctx.saved_tensors
        return kernels.get("max_pool2d_backward", dout)(dout, indices, *ctx.size), None

    @staticmethod
    def vjp(ctx, dout, dindices):
        (indices,) = ctx.saved_tensors
        return scatter_to_maxima(dout, indices, ctx.size), None


def _output_size(op: str, x: Any, output_size: Any) -> tuple[int, int]:
    """An int, or a pair whose None entries keep that input size (PyTorch's rule)."""
    H, W = x.shape[-2:]
    many = isinstance(output_size, (tuple, list))
    pair = tuple(output_size) if many else (output_size, output_size)
    try:
        size = tuple(n if o is None else operator.index(o) for o, n in zip(pair, (H, W)))
    except TypeError:
        size = ()
    if len(pair) != 2 or len(size) != 2 or min(size) < 1:
        raise ValueError(
            f"{op}: output_size must be an int or a pair of ints >= 1 (None keeps that "
            f"input size), got {output_size!r}"
        )
    if min(H, W) < 1:
        raise ValueError(f"{op}: expected a non-empty (H, W), got input {tuple(x.shape)}")
    return size  # type: ignore[return-value]


def adaptive_avg_pool2d(input: Tensor, output_size: int | tuple[int | None, int | None]) -> Tensor:
    """Average over adaptive windows, to output size (OH, OW).

    Shapes: input (N, C, H, W) or (C, H, W) -> (N, C, OH, OW) or (C, OH, OW); an int
    ``output_size`` means (OH, OH), a None entry keeps that input size.

    Math: out[n, c, i, j] = mean of input[n, c, start(i):end(i), start(j):end(j)] with
    start(i) = floor(i*H/OH), end(i) = ceil((i+1)*H/OH); i.e. out = A_H @ x @ A_Wᵀ.
    Backward: dx = A_Hᵀ @ dout @ A_W.

    Kernel: none; matmuls with host-built window matrices (minidl/ops/separable.py).
    Reference: ``torch.nn.functional.adaptive_avg_pool2d``.
    """
    op = "adaptive_avg_pool2d"
    check_pool_input(op, input)
    (OH, OW), (H, W) = _output_size(op, input, output_size), input.shape[-2:]
    matrices = (area_weights(H, OH), area_weights(W, OW))
    return batched(input, lambda x: separable(x, matrices))


def adaptive_max_pool2d(
    input: Tensor,
    output_size: int | tuple[int | None, int | None],
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """Maximum over adaptive windows (see `adaptive_avg_pool2d` for the windows and shapes);
    ``return_indices=True`` also returns where each maximum was.

    Math: out = max of the window; indices = ih*W + iw of that maximum, an int64 flat offset
    into the (H, W) plane (the first maximum in row-major order wins ties; NaN propagates).
    Backward: the gradient goes to the remembered position, summed where windows overlap.

    Kernel: none forward (OH + OW vectorised steps in minidl/ops/adaptive_pool.py); the
    backward is ``max_pool2d_backward`` in minidl/kernels/pool/cpu.py (gpu.py on CuPy arrays).
    Reference: ``torch.nn.functional.adaptive_max_pool2d``.
    """
    op = "adaptive_max_pool2d"
    check_pool_input(op, input)
    size = _output_size(op, input, output_size)
    out, indices = batched(input, lambda x: AdaptiveMaxPool2d.apply(x, size))
    return (out, indices) if return_indices else out
