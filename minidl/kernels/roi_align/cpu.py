"""RoIAlign on the CPU: Numba loops, sample by sample, as in the paper (He et al. 2017).

Same signature and semantics as ``reference.py`` (torchvision's RoIAlign; read its docstring
for the rules). The forward runs one (box, channel) pair per parallel iteration; the backward
runs one channel per parallel iteration, so that no two threads add into the same pixel.
Coordinates, weights and sums are float64 whatever the input dtype.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit, prange

from .. import _numba  # noqa: F401  (threading layer, before the parallel kernels compile)


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


@njit(parallel=True, cache=True)
def _forward(x, boxes, PH, PW, spatial_scale, sampling_ratio, aligned, out):
    C, H, W = x.shape[1], x.shape[2], x.shape[3]
    for kc in prange(boxes.shape[0] * C):
        k, c = kc // C, kc % C
        b, y1, x1, bin_h, bin_w, grid_h, grid_w = roi_geometry(
            boxes[k], PH, PW, spatial_scale, sampling_ratio, aligned
        )
        count = max(grid_h * grid_w, 1)
        plane = x[b, c]
        for ph in range(PH):
            for pw in range(PW):
                total = 0.0
                for iy in range(grid_h):
                    y = y1 + ph * bin_h + (iy + 0.5) * bin_h / grid_h
                    for ix in range(grid_w):
                        x_ = x1 + pw * bin_w + (ix + 0.5) * bin_w / grid_w
                        y0, y1_, x0, x1_, w00, w01, w10, w11 = bilinear_weights(y, x_, H, W)
                        total += (
                            w00 * plane[y0, x0]
                            + w01 * plane[y0, x1_]
                            + w10 * plane[y1_, x0]
                            + w11 * plane[y1_, x1_]
                        )
                out[k, c, ph, pw] = total / count


@njit(parallel=True, cache=True)
def _backward(grad, boxes, PH, PW, spatial_scale, sampling_ratio, aligned, grad_x):
    C, H, W = grad_x.shape[1], grad_x.shape[2], grad_x.shape[3]
    for c in prange(C):  # a thread owns channel c of every image: no two threads share a pixel
        for k in range(boxes.shape[0]):
            b, y1, x1, bin_h, bin_w, grid_h, grid_w = roi_geometry(
                boxes[k], PH, PW, spatial_scale, sampling_ratio, aligned
            )
            count = max(grid_h * grid_w, 1)
            plane = grad_x[b, c]
            for ph in range(PH):
                for pw in range(PW):
                    g = grad[k, c, ph, pw] / count
                    for iy in range(grid_h):
                        y = y1 + ph * bin_h + (iy + 0.5) * bin_h / grid_h
                        for ix in range(grid_w):
                            x_ = x1 + pw * bin_w + (ix + 0.5) * bin_w / grid_w
                            y0, y1_, x0, x1_, w00, w01, w10, w11 = bilinear_weights(y, x_, H, W)
                            plane[y0, x0] += g * w00
                            plane[y0, x1_] += g * w01
                            plane[y1_, x0] += g * w10
                            plane[y1_, x1_] += g * w11


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
        PH, PW, float(spatial_scale), int(sampling_ratio), bool(aligned), out,
    )  # fmt: skip
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
    _backward(
        np.ascontiguousarray(grad),
        np.ascontiguousarray(boxes, dtype=np.float64),
        PH, PW, float(spatial_scale), int(sampling_ratio), bool(aligned), grad_x,
    )  # fmt: skip
    return grad_x.astype(grad.dtype, copy=False)
