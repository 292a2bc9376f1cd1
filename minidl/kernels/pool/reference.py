"""Max-pooling with indices, its backward and max-unpooling in plain array code: the spec for
cpu.py and gpu.py.

``max_pool2d`` returns, next to each maximum, where it was: an int64 flat offset ``ih*W + iw``
into the (H, W) plane of the *unpadded* input (PyTorch's convention). A window of KH x KW
taps, DH x DW apart (dilation), starts at ``(oh*SH - PH, ow*SW - PW)``. The scan is row-major
over the taps; a value replaces the running maximum when it is greater, or when it is NaN (so
NaN propagates, as in PyTorch), which makes the *first* maximum win ties. Padding counts as
-inf: it is never chosen. The running maximum starts at -inf with the offset of the window's
first tap at or after row 0 and column 0 (PyTorch's rule; with dilation a window can hold no
real pixel at all, and then that offset lies outside the plane and the value is -inf).

``ceil_mode`` only changes the number of windows (`pool_output_size`): the extra last window
runs past the padded edge and is clipped to the real pixels like any other.

``max_pool2d_backward`` scatters each gradient to its remembered offset and *sums* where
overlapping windows remembered the same pixel: the exact adjoint of the gather
``out = x.flat[indices]``. ``max_unpool2d`` scatters too but *writes* each value once, as
PyTorch does: where several values are sent to one place, one of them is kept (here the last
in row-major order; PyTorch leaves which one unspecified).

Reference: PyTorch ``max_pool2d_with_indices`` / ``max_unpool2d`` (aten/src/ATen/native/cpu/
MaxPoolKernel.cpp, MaxUnpoolKernel.cpp, and ``pooling_output_shape`` in Pool.h).
"""

from __future__ import annotations

from typing import Any

from ...backend import array_module, scatter_add
from ...geometry import pool_output_size

__all__ = ["max_pool2d", "max_pool2d_backward", "max_unpool2d"]


def first_tap(start: Any, D: int) -> Any:
    """The first position ``start + k*D`` (k >= 0) that is >= 0, for each window start."""
    return start + ((-start).clip(0) + D - 1) // D * D


def max_pool2d(
    x: Any,
    KH: int,
    KW: int,
    SH: int,
    SW: int,
    PH: int,
    PW: int,
    DH: int = 1,
    DW: int = 1,
    ceil_mode: bool = False,
) -> tuple[Any, Any]:
    """Max over each KH x KW window (taps DH x DW apart) of ``x`` (N, C, H, W), and where it was.

    Returns ``out`` (N, C, OH, OW) with the dtype of ``x`` and ``indices`` (N, C, OH, OW) int64,
    OH = pool_output_size(H, KH, SH, PH, DH, ceil_mode). Needs PH <= KH // 2, PW <= KW // 2.
    """
    xp = array_module(x)
    N, C, H, W = x.shape
    OH, OW = (
        pool_output_size(H, KH, SH, PH, DH, ceil_mode),
        pool_output_size(W, KW, SW, PW, DW, ceil_mode),
    )
    # Pad the end far enough for the last window (ceil_mode's may run past the padding).
    end_h = max(0, (OH - 1) * SH + DH * (KH - 1) + 1 - H - PH)
    end_w = max(0, (OW - 1) * SW + DW * (KW - 1) + 1 - W - PW)
    pads = ((PH, end_h), (PW, end_w))
    x_pad = xp.pad(x, ((0, 0), (0, 0), *pads), constant_values=-xp.inf)
    # The flat offset of every padded position (-1 on the padding, which never wins).
    offsets = xp.pad(xp.arange(H * W).reshape(H, W), pads, constant_values=-1)
    first_h = first_tap(xp.arange(OH) * SH - PH, DH)  # (OH,)
    first_w = first_tap(xp.arange(OW) * SW - PW, DW)  # (OW,)
    indices = xp.broadcast_to(first_h[:, None] * W + first_w[None, :], (N, C, OH, OW))
    out = xp.full((N, C, OH, OW), -xp.inf, dtype=x.dtype)
    # Visit the taps in row-major order; all windows advance together.
    for kh in range(KH):
        for kw in range(KW):
            rows = slice(kh * DH, kh * DH + SH * (OH - 1) + 1, SH)
            cols = slice(kw * DW, kw * DW + SW * (OW - 1) + 1, SW)
            value = x_pad[:, :, rows, cols]  # (N, C, OH, OW)
            wins = (value > out) | xp.isnan(value)
            out = xp.where(wins, value, out)
            indices = xp.where(wins, offsets[rows, cols], indices)
    return out, indices.astype(xp.int64)


def max_pool2d_backward(dout: Any, indices: Any, H: int, W: int) -> Any:
    """Scatter ``dout`` (N, C, OH, OW) to ``indices`` in zeros of shape (N, C, H, W), summing.

    Offsets outside [0, H*W) (a dilated window that held no real pixel) receive nothing.
    """
    xp = array_module(dout)
    N, C, OH, OW = dout.shape
    dx = xp.zeros((N * C, H * W), dtype=dout.dtype)
    plane = xp.broadcast_to(xp.arange(N * C)[:, None], (N * C, OH * OW))
    idx, values = indices.reshape(N * C, OH * OW), dout.reshape(N * C, OH * OW)
    real = (idx >= 0) & (idx < H * W)
    # Repeated offsets must all add up, hence scatter_add (np.add.at) and not dx[...] += v.
    scatter_add(dx, (plane[real], idx[real]), values[real])
    return dx.reshape(N, C, H, W)


def max_unpool2d(x: Any, indices: Any, OH: int, OW: int) -> Any:
    """Write ``x`` (N, C, H, W) at ``indices`` in zeros of shape (N, C, OH, OW), once each.

    ``indices`` has the shape of ``x`` and holds flat offsets ``oh*OW + ow`` into each
    (OH, OW) plane; every one must lie in [0, OH*OW). Of several values sent to one offset,
    the last in row-major order is kept.
    """
    xp = array_module(x)
    N, C, H, W = x.shape
    if indices.size and (int(indices.min()) < 0 or int(indices.max()) >= OH * OW):
        raise IndexError(f"max_unpool2d: indices must lie in [0, {OH * OW}) for ({OH}, {OW})")
    # One flat target per value; a plain fancy assignment does not promise which of repeated
    # targets wins, so keep the last sender of each target explicitly: the first occurrence
    # in the reversed order.
    target = (xp.arange(N * C)[:, None] * (OH * OW) + indices.reshape(N * C, H * W)).reshape(-1)
    _, first_reversed = xp.unique(target[::-1], return_index=True)
    last = target.size - 1 - first_reversed
    out = xp.zeros(N * C * OH * OW, dtype=x.dtype)
    out[target[last]] = x.reshape(-1)[last]
    return out.reshape(N, C, OH, OW)
