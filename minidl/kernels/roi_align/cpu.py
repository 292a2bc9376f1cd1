"""RoIAlign on the CPU: Numba loops, sample by sample, as in the paper (He et al. 2017).

Same signature and semantics as ``reference.py`` (torchvision's RoIAlign; read its docstring
for the rules). Both passes follow torchvision's CPU kernel. The forward works box by box in
parallel: it tabulates each sample's four pixels and weights once (`sample_table`) and reuses
them for every channel. The backward splits the channels among the threads, so that no two
threads add into the same pixel; each thread tabulates every box once.
Coordinates, weights and sums are float64 whatever the input dtype.
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np

from .._numba import njit, prange  # the shared threading layer, set before kernels compile


@njit(cache=True, inline="always")
def bilinear_weights(y, x, H, W):
    """Torchvision's bilinear sample at (y, x) of an H × W plane.

    Returns the pixel rows (y_low, y_high), columns (x_low, x_high) and the weights of
    (y_low, x_low), (y_low, x_high), (y_high, x_low), (y_high, x_high). A sample outside
    [-1, H] × [-1, W] gets zero weights; inside, it is clamped onto the pixel grid.
    """
    if not (y >= -1.0 and y <= H and x >= -1.0 and x <= W):  # `not`: NaN lands here too
        return 0, 0, 0, 0, 0.0, 0.0, 0.0, 0.0
    y = max(y, 0.0)
    x = max(x, 0.0)
    y_low = int(y)
    x_low = int(x)
    if y_low >= H - 1:
        y_low = H - 1
        y_high = H - 1
        y = float(y_low)
    else:
        y_high = y_low + 1
    if x_low >= W - 1:
        x_low = W - 1
        x_high = W - 1
        x = float(x_low)
    else:
        x_high = x_low + 1
    ly = y - y_low
    lx = x - x_low
    hy = 1.0 - ly
    hx = 1.0 - lx
    return y_low, y_high, x_low, x_high, hy * hx, hy * lx, ly * hx, ly * lx


@njit(cache=True, inline="always")
def roi_geometry(box, PH, PW, spatial_scale, sampling_ratio, aligned):
    """Batch index, top-left corner, bin size and samples per bin of one box row."""
    offset = 0.5 if aligned else 0.0
    x1 = box[1] * spatial_scale - offset
    y1 = box[2] * spatial_scale - offset
    roi_w = box[3] * spatial_scale - offset - x1
    roi_h = box[4] * spatial_scale - offset - y1
    if not aligned:  # legacy behaviour: a degenerate box still covers one pixel
        roi_w = max(roi_w, 1.0)
        roi_h = max(roi_h, 1.0)
    grid_h = sampling_ratio if sampling_ratio > 0 else max(int(math.ceil(roi_h / PH)), 0)
    grid_w = sampling_ratio if sampling_ratio > 0 else max(int(math.ceil(roi_w / PW)), 0)
    return int(box[0]), y1, x1, roi_h / PH, roi_w / PW, grid_h, grid_w


@njit(cache=True)
def sample_table(box, H, W, PH, PW, spatial_scale, sampling_ratio, aligned):
    """Batch index, and for every bin and sample its four flat pixel offsets and weights.

    Shapes (PH, PW, grid_h * grid_w, 4). Computed once per box and shared by its channels,
    as torchvision does: the weights cost more than the four reads they weigh.
    """
    b, y1, x1, bin_h, bin_w, grid_h, grid_w = roi_geometry(
        box, PH, PW, spatial_scale, sampling_ratio, aligned
    )
    pixels = np.empty((PH, PW, grid_h * grid_w, 4), dtype=np.int64)
    weights = np.empty((PH, PW, grid_h * grid_w, 4), dtype=np.float64)
    for ph in range(PH):
        for pw in range(PW):
            for iy in range(grid_h):
                # Same operation order as torchvision, so the coordinates agree to the bit.
                y = y1 + ph * bin_h + (iy + 0.5) * bin_h / grid_h
                for ix in range(grid_w):
                    x = x1 + pw * bin_w + (ix + 0.5) * bin_w / grid_w
                    y0, y1_, x0, x1_, w00, w01, w10, w11 = bilinear_weights(y, x, H, W)
                    s = iy * grid_w + ix
                    pixels[ph, pw, s, 0], weights[ph, pw, s, 0] = y0 * W + x0, w00
                    pixels[ph, pw, s, 1], weights[ph, pw, s, 1] = y0 * W + x1_, w01
                    pixels[ph, pw, s, 2], weights[ph, pw, s, 2] = y1_ * W + x0, w10
                    pixels[ph, pw, s, 3], weights[ph, pw, s, 3] = y1_ * W + x1_, w11
    return b, pixels, weights, max(grid_h * grid_w, 1)


@njit(parallel=True, cache=True)
def _forward(x, boxes, PH, PW, spatial_scale, sampling_ratio, aligned, out):
    N, C, H, W = x.shape
    planes = x.reshape(N, C, H * W)
    for k in prange(boxes.shape[0]):
        b, pixels, weights, count = sample_table(
            boxes[k], H, W, PH, PW, spatial_scale, sampling_ratio, aligned
        )
        for c in range(C):
            plane = planes[b, c]
            for ph in range(PH):
                for pw in range(PW):
                    total = 0.0
                    for s in range(pixels.shape[2]):
                        for corner in range(4):
                            total += weights[ph, pw, s, corner] * plane[pixels[ph, pw, s, corner]]
                    out[k, c, ph, pw] = total / count


@njit(parallel=True, cache=True)
def _backward(grad, boxes, PH, PW, spatial_scale, sampling_ratio, aligned, parts, grad_x):
    N, C, H, W = grad_x.shape
    planes = grad_x.reshape(N, C, H * W)
    # Boxes of one image add into the same pixels, so the parallel loop splits the channels:
    # thread `part` owns channels part, part + parts, ... and tabulates each box once for them.
    for part in prange(parts):
        for k in range(boxes.shape[0]):
            b, pixels, weights, count = sample_table(
                boxes[k], H, W, PH, PW, spatial_scale, sampling_ratio, aligned
            )
            for c in range(part, C, parts):
                plane = planes[b, c]
                for ph in range(PH):
                    for pw in range(PW):
                        g = grad[k, c, ph, pw] / count
                        for s in range(pixels.shape[2]):
                            for corner in range(4):
                                plane[pixels[ph, pw, s, corner]] += g * weights[ph, pw, s, corner]


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
    out = np.empty((boxes.shape[0], x.shape[1], PH, PW), dtype=x.dtype)
    _forward(
        np.ascontiguousarray(x),
        np.ascontiguousarray(boxes, dtype=np.float64),
        PH,
        PW,
        float(spatial_scale),
        int(sampling_ratio),
        bool(aligned),
        out,
    )
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
    grad_x = np.zeros(tuple(x_shape), dtype=np.float64)  # float64 sums, cast once at the end
    parts = max(1, min(numba.get_num_threads(), x_shape[1]))
    _backward(
        np.ascontiguousarray(grad),
        np.ascontiguousarray(boxes, dtype=np.float64),
        PH,
        PW,
        float(spatial_scale),
        int(sampling_ratio),
        bool(aligned),
        parts,
        grad_x,
    )
    return grad_x.astype(grad.dtype, copy=False)
