"""RoIAlign, the readable reference: the spec and the test oracle (He et al. 2017; torchvision).

A box is cut into PH × PW bins; each bin's value is the average of grid_h × grid_w bilinear
samples taken at regular points inside it. Torchvision's details, which this file fixes:

- boxes are rows ``[batch_index, x1, y1, x2, y2]`` in image coordinates, scaled by
  ``spatial_scale``; ``aligned=True`` shifts them by -0.5 so that a pixel's centre sits at
  integer + 0.5 (Detectron2); ``aligned=False`` instead forces the box to be at least 1 × 1;
- ``sampling_ratio <= 0`` means an adaptive grid, ``ceil(box_size / bins)`` samples per bin
  along each axis (0 for an empty aligned box, whose output is then 0);
- a sample outside [-1, H] × [-1, W] counts 0; one inside but off the pixel grid is clamped
  to the border pixel.

Bilinear interpolation is separable, w(y, x) = w(y) · w(x), and all the samples of a bin
lie on one grid, so for one box the whole operation is a product of three matrices:

    out[c] = Ay @ x[b, c] @ Ax.T / count        Ay (PH, H), Ax (PW, W)

where ``Ay[ph, h]`` adds up the 1-D linear weights that bin row ``ph``'s samples put on pixel
row ``h``. That makes the backward the transpose, ``grad_x[b, c] += Ay.T @ g[c] @ Ax / count``.
The Numba and CUDA kernels compute the same sums sample by sample, as the paper describes.
Coordinates and weights are float64 here and in the kernels, whatever the input dtype.
"""

from __future__ import annotations

import math
from typing import Any

from ... import backend

__all__ = ["roi_align", "roi_align_backward"]


def roi_geometry(
    box: Any, PH: int, PW: int, spatial_scale: float, sampling_ratio: int, aligned: bool
) -> tuple[int, float, float, float, float, int, int]:
    """Batch index, top-left corner, bin size and samples per bin of one box row (host floats)."""
    offset = 0.5 if aligned else 0.0
    x1, y1, x2, y2 = (float(v) * spatial_scale - offset for v in box[1:5])
    roi_h, roi_w = y2 - y1, x2 - x1
    if not aligned:  # legacy behaviour: a degenerate box still covers one pixel
        roi_h, roi_w = max(roi_h, 1.0), max(roi_w, 1.0)
    bin_h, bin_w = roi_h / PH, roi_w / PW
    grid_h = sampling_ratio if sampling_ratio > 0 else max(math.ceil(roi_h / PH), 0)
    grid_w = sampling_ratio if sampling_ratio > 0 else max(math.ceil(roi_w / PW), 0)
    return int(float(box[0])), y1, x1, bin_h, bin_w, grid_h, grid_w


def linear_weights(coord: Any, size: int) -> tuple[Any, Any, Any, Any]:
    """1-D half of torchvision's bilinear sampling, for an array of coordinates on an axis.

    Returns ``(low, high, w_low, w_high)``: the two pixel indices each coordinate reads and
    their weights. Coordinates outside [-1, size] get weight 0; those in [-1, 0] read pixel 0,
    those at or past ``size - 1`` read pixel ``size - 1`` only.
    """
    xp = backend.array_module(coord)
    inside = (coord >= -1.0) & (coord <= size)  # False for NaN as well
    c = xp.where(inside, xp.clip(coord, 0.0, size), 0.0)
    low = c.astype(xp.int64)  # c >= 0, so truncation is the floor
    at_edge = low >= size - 1
    low = xp.where(at_edge, size - 1, low)
    high = xp.where(at_edge, size - 1, low + 1)
    frac = xp.where(at_edge, 0.0, c - low)
    return low, high, (1.0 - frac) * inside, frac * inside


def axis_matrix(start: float, bin_size: float, grid: int, bins: int, size: int, xp: Any) -> Any:
    """(bins, size) matrix: the summed linear weights of each bin's samples on each pixel."""
    p = xp.arange(bins, dtype=xp.float64)[:, None]
    i = xp.arange(grid, dtype=xp.float64)[None, :]
    # Same operation order as torchvision, so that the coordinates agree to the last bit.
    coord = start + p * bin_size + (i + 0.5) * bin_size / grid  # (bins, grid)
    low, high, w_low, w_high = linear_weights(coord, size)
    rows = xp.broadcast_to(xp.arange(bins)[:, None], coord.shape)
    A = xp.zeros((bins, size), dtype=xp.float64)
    backend.scatter_add(A, (rows, low), w_low)
    backend.scatter_add(A, (rows, high), w_high)
    return A


def _box_matrices(box, x_shape, PH, PW, spatial_scale, sampling_ratio, aligned, xp):
    """Batch index, Ay (PH, H), Ax (PW, W) and the sample count of one box."""
    H, W = x_shape[2], x_shape[3]
    b, y1, x1, bin_h, bin_w, grid_h, grid_w = roi_geometry(
        box, PH, PW, spatial_scale, sampling_ratio, aligned
    )
    Ay = axis_matrix(y1, bin_h, grid_h, PH, H, xp)
    Ax = axis_matrix(x1, bin_w, grid_w, PW, W, xp)
    return b, Ay, Ax, max(grid_h * grid_w, 1)


def roi_align(
    x: Any,
    boxes: Any,
    PH: int,
    PW: int,
    spatial_scale: float,
    sampling_ratio: int,
    aligned: bool,
) -> Any:
    """x (N, C, H, W), boxes (K, 5) → (K, C, PH, PW), in x's dtype."""
    xp = backend.array_module(x)
    out = xp.zeros((boxes.shape[0], x.shape[1], PH, PW), dtype=x.dtype)
    # Boxes are read on the host (K × 5 numbers) to lay out each box's matrices.
    for k, box in enumerate(backend.to_numpy(boxes)):
        b, Ay, Ax, count = _box_matrices(
            box, x.shape, PH, PW, spatial_scale, sampling_ratio, aligned, xp
        )
        out[k] = Ay @ x[b] @ Ax.T / count  # (PH, H) @ (C, H, W) @ (W, PW) -> (C, PH, PW)
    return out


def roi_align_backward(
    grad: Any,
    boxes: Any,
    x_shape: tuple[int, int, int, int],
    PH: int,
    PW: int,
    spatial_scale: float,
    sampling_ratio: int,
    aligned: bool,
) -> Any:
    """grad (K, C, PH, PW) → grad_x (N, C, H, W), in grad's dtype: the adjoint of `roi_align`."""
    xp = backend.array_module(grad)
    grad_x = xp.zeros(x_shape, dtype=xp.float64)
    for k, box in enumerate(backend.to_numpy(boxes)):
        b, Ay, Ax, count = _box_matrices(
            box, x_shape, PH, PW, spatial_scale, sampling_ratio, aligned, xp
        )
        grad_x[b] += Ay.T @ grad[k] @ Ax / count  # (H, PH) @ (C, PH, PW) @ (PW, W)
    return grad_x.astype(grad.dtype, copy=False)
