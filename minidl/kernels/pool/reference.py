"""Max-pooling with indices and max-unpooling in plain array code: the spec for cpu.py, gpu.py.

``max_pool2d`` returns, next to each maximum, where it was: an int64 flat offset ``ih*W + iw``
into the (H, W) plane of the *unpadded* input (PyTorch's convention). The scan order is
row-major over the window; a value replaces the running maximum when it is greater, or when
it is NaN (so NaN propagates, as in PyTorch), which makes the *first* maximum win ties.
Padding counts as -inf: it is never chosen, and a window starts at its first real pixel.

``max_unpool2d`` scatters each value to its remembered offset in a plane of zeros. Values
that land on the same offset are summed (PyTorch leaves that case undefined): that makes it
the exact adjoint of the gather ``out = x.flat[indices]``, so the same kernel is the backward
of max_pool2d.

Reference: PyTorch ``max_pool2d_with_indices`` / ``max_unpool2d`` (aten/src/ATen/native/cpu/
MaxPoolKernel.cpp).
"""

from __future__ import annotations

from typing import Any

from ...backend import array_module, scatter_add


def pool_output_size(size: int, K: int, S: int, P: int) -> int:
    """Output length along one axis: floor((size + 2P - K) / S) + 1 (no dilation, no ceil)."""
    return (size + 2 * P - K) // S + 1


def max_pool2d(x: Any, KH: int, KW: int, SH: int, SW: int, PH: int, PW: int) -> tuple[Any, Any]:
    """Max over each KH x KW window of ``x`` (N, C, H, W), and where it was.

    Returns ``out`` (N, C, OH, OW) with the dtype of ``x`` and ``indices`` (N, C, OH, OW) int64.
    Needs PH <= KH // 2 and PW <= KW // 2, so that every window holds a real pixel.
    """
    xp = array_module(x)
    N, C, H, W = x.shape
    OH, OW = pool_output_size(H, KH, SH, PH), pool_output_size(W, KW, SW, PW)
    x_pad = xp.pad(x, ((0, 0), (0, 0), (PH, PH), (PW, PW)), constant_values=-xp.inf)
    # The flat offset of every padded position (-1 on the padding, which never wins).
    offsets = xp.pad(xp.arange(H * W).reshape(H, W), ((PH, PH), (PW, PW)), constant_values=-1)
    # Start each window at its first real pixel, with a running maximum of -inf.
    first_h = xp.maximum(xp.arange(OH) * SH - PH, 0)  # (OH,)
    first_w = xp.maximum(xp.arange(OW) * SW - PW, 0)  # (OW,)
    indices = xp.broadcast_to(first_h[:, None] * W + first_w[None, :], (N, C, OH, OW))
    out = xp.full((N, C, OH, OW), -xp.inf, dtype=x.dtype)
    # Visit the window offsets in row-major order; all windows advance together.
    for kh in range(KH):
        for kw in range(KW):
            rows = slice(kh, kh + SH * (OH - 1) + 1, SH)
            cols = slice(kw, kw + SW * (OW - 1) + 1, SW)
            value = x_pad[:, :, rows, cols]  # (N, C, OH, OW)
            wins = (value > out) | xp.isnan(value)
            out = xp.where(wins, value, out)
            indices = xp.where(wins, offsets[rows, cols], indices)
    return out, indices.astype(xp.int64)


def max_unpool2d(x: Any, indices: Any, OH: int, OW: int) -> Any:
    """Scatter ``x`` (N, C, H, W) to ``indices`` in zeros of shape (N, C, OH, OW), summing.

    ``indices`` has the shape of ``x`` and holds flat offsets ``oh*OW + ow`` into each
    (OH, OW) plane; every one must lie in [0, OH*OW).
    """
    xp = array_module(x)
    N, C, H, W = x.shape
    if indices.size and (int(indices.min()) < 0 or int(indices.max()) >= OH * OW):
        raise IndexError(f"max_unpool2d: indices must lie in [0, {OH * OW}) for ({OH}, {OW})")
    out = xp.zeros((N, C, OH, OW), dtype=x.dtype)
    plane = xp.arange(N * C)[:, None]  # (N*C, 1): the row of each value's plane
    # Repeated offsets must all add up, hence scatter_add (np.add.at) and not out[...] += x.
    flat = out.reshape(N * C, OH * OW)  # a view: the sums land in out
    scatter_add(flat, (plane, indices.reshape(N * C, H * W)), x.reshape(N * C, H * W))
    return out
