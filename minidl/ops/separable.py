"""Separable linear resampling: one small matrix per spatial axis.

Bilinear, bicubic, area interpolation and adaptive average pooling all map an image by a
linear map that factors over the axes: each output row mixes input rows with weights that
depend only on the row numbers, and the same holds for columns. So, with one matrix
A_d (out_d, in_d) per spatial axis d,

    out = x ×_H A_H ×_W A_W        (for (N, C, H, W): out = A_H @ x @ A_Wᵀ)

and the backward is the same product with the transposes, dx = A_Hᵀ @ dout @ A_W. The
matrices are built on the host by the op that knows the weights (minidl/ops/upsample.py,
interpolate_weights.py, adaptive_pool.py) and applied here with matmuls (BLAS on the CPU,
cuBLAS on the GPU). They are dense: (out_d, in_d) with a handful of non-zeros per row, which
is cheap next to the image for the factors of 2-4 that networks use.

Where this differs from PyTorch: an inf or NaN in the input spreads along its whole row and
column of the output (0 * inf = NaN inside the matmul), while PyTorch's kernels, which sum
only each output's taps, keep it local. Finite inputs give PyTorch's values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..autograd import Function
from ..backend import array_module
from ..tensor import Tensor


def along_axis(A: Any, x: Any, axis: int) -> Any:
    """Apply ``A`` (O, I) to axis ``axis`` of ``x`` (..., I, ...) -> (..., O, ...)."""
    if axis == x.ndim - 1:
        return x @ A.T  # one big GEMM over all leading axes
    shape = x.shape
    rest = int(np.prod(shape[axis + 1 :]))  # spelled out: -1 is ambiguous for an empty x
    y = A @ x.reshape(*shape[: axis + 1], rest)  # (..., I, rest) -> (..., O, rest)
    return y.reshape(*shape[:axis], A.shape[0], *shape[axis + 1 :])


class Separable(Function):
    linear = (0,)  # the matrices are constants (host arrays), not arguments to differentiate

    @staticmethod
    def forward(ctx, x, matrices):
        # matrices: host (NumPy) arrays, one per spatial axis (axes 2, 3, ...).
        xp = array_module(x)
        ctx.matrices = [xp.asarray(A, dtype=x.dtype) for A in matrices]
        for d, A in enumerate(ctx.matrices):
            x = along_axis(A, x, 2 + d)
        return x

    @staticmethod
    def backward(ctx, dout):
        for d, A in enumerate(ctx.matrices):
            dout = along_axis(A.T, dout, 2 + d)
        return dout, None


def separable(x: Tensor, matrices: Sequence[np.ndarray]) -> Tensor:
    """``x`` (N, C, *S) with spatial axis d mapped by ``matrices[d]`` (O_d, S_d)."""
    return Separable.apply(x, list(matrices))
