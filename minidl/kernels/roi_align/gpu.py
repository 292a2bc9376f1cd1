"""RoIAlign on the GPU: numba-cuda kernels launched on CuPy arrays (He et al. 2017).

Same signature and semantics as ``reference.py`` (torchvision's RoIAlign; read its docstring
for the rules). Forward: one thread per output element (k, c, ph, pw). Backward: one thread
per element of the incoming gradient, which adds its share into the (at most four) pixels of
each of its samples with ``cuda.atomic.add``, because many bins and boxes read one pixel.
Coordinates and weights are float64, as in the other two implementations.

Under ``NUMBA_ENABLE_CUDASIM=1`` the same kernels run on NumPy arrays on the CPU (slowly:
one Python thread per GPU thread), which is how the tests check them without a GPU.
"""

from __future__ import annotations

import math
from typing import Any

from numba import cuda

from ... import backend

THREADS = 128  # threads per block


@cuda.jit(device=True)
def bilinear_weights(y, x, H, W):
    """Torchvision's bilinear sample at (y, x): see `cpu.bilinear_weights`, line for line."""
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


@cuda.jit(device=True)
def roi_geometry(boxes, k, PH, PW, spatial_scale, sampling_ratio, aligned):
    """Batch index, top-left corner, bin size and samples per bin of box k."""
    offset = 0.5 if aligned else 0.0
    x1 = boxes[k, 1] * spatial_scale - offset
    y1 = boxes[k, 2] * spatial_scale - offset
    roi_w = boxes[k, 3] * spatial_scale - offset - x1
    roi_h = boxes[k, 4] * spatial_scale - offset - y1
    if not aligned:  # legacy behaviour: a degenerate box still covers one pixel
        roi_w = max(roi_w, 1.0)
        roi_h = max(roi_h, 1.0)
    grid_h = sampling_ratio if sampling_ratio > 0 else max(int(math.ceil(roi_h / PH)), 0)
    grid_w = sampling_ratio if sampling_ratio > 0 else max(int(math.ceil(roi_w / PW)), 0)
    return int(boxes[k, 0]), y1, x1, roi_h / PH, roi_w / PW, grid_h, grid_w


@cuda.jit
def _forward(x, boxes, PH, PW, spatial_scale, sampling_ratio, aligned, out):
    i = cuda.grid(1)
    K, C = out.shape[0], out.shape[1]
    if i >= K * C * PH * PW:
        return
    pw, ph, c, k = i % PW, (i // PW) % PH, (i // (PW * PH)) % C, i // (PW * PH * C)
    b, y1, x1, bin_h, bin_w, grid_h, grid_w = roi_geometry(
        boxes, k, PH, PW, spatial_scale, sampling_ratio, aligned
    )
    H, W = x.shape[2], x.shape[3]
    total = 0.0
    for iy in range(grid_h):
        y = y1 + ph * bin_h + (iy + 0.5) * bin_h / grid_h
        for ix in range(grid_w):
            x_ = x1 + pw * bin_w + (ix + 0.5) * bin_w / grid_w
            y0, y1_, x0, x1_, w00, w01, w10, w11 = bilinear_weights(y, x_, H, W)
            total += (
                w00 * x[b, c, y0, x0]
                + w01 * x[b, c, y0, x1_]
                + w10 * x[b, c, y1_, x0]
                + w11 * x[b, c, y1_, x1_]
            )
    out[k, c, ph, pw] = total / max(grid_h * grid_w, 1)


@cuda.jit
def _backward(grad, boxes, PH, PW, spatial_scale, sampling_ratio, aligned, grad_x):
    i = cuda.grid(1)
    K, C = grad.shape[0], grad.shape[1]
    if i >= K * C * PH * PW:
        return
    pw, ph, c, k = i % PW, (i // PW) % PH, (i // (PW * PH)) % C, i // (PW * PH * C)
    b, y1, x1, bin_h, bin_w, grid_h, grid_w = roi_geometry(
        boxes, k, PH, PW, spatial_scale, sampling_ratio, aligned
    )
    H, W = grad_x.shape[2], grad_x.shape[3]
    g = grad[k, c, ph, pw] / max(grid_h * grid_w, 1)
    for iy in range(grid_h):
        y = y1 + ph * bin_h + (iy + 0.5) * bin_h / grid_h
        for ix in range(grid_w):
            x_ = x1 + pw * bin_w + (ix + 0.5) * bin_w / grid_w
            y0, y1_, x0, x1_, w00, w01, w10, w11 = bilinear_weights(y, x_, H, W)
            if w00 != 0.0 or w01 != 0.0 or w10 != 0.0 or w11 != 0.0:  # skip samples outside
                cuda.atomic.add(grad_x, (b, c, y0, x0), g * w00)
                cuda.atomic.add(grad_x, (b, c, y0, x1_), g * w01)
                cuda.atomic.add(grad_x, (b, c, y1_, x0), g * w10)
                cuda.atomic.add(grad_x, (b, c, y1_, x1_), g * w11)


def _launch(kernel, n: int, *args: Any) -> None:
    if n > 0:  # a grid of zero blocks is an error in CUDA
        kernel[(n + THREADS - 1) // THREADS, THREADS](*args)


def roi_align(
    x: Any,
    boxes: Any,
    PH: int,
    PW: int,
    spatial_scale: float,
    sampling_ratio: int,
    aligned: bool,
) -> Any:
    """x (N, C, H, W), boxes (K, 5) → (K, C, PH, PW), in x's dtype (CuPy arrays)."""
    xp = backend.array_module(x)
    out = xp.empty((boxes.shape[0], x.shape[1], PH, PW), dtype=x.dtype)
    boxes = xp.ascontiguousarray(boxes, dtype=xp.float64)
    args = (PH, PW, float(spatial_scale), int(sampling_ratio), bool(aligned))
    _launch(_forward, out.size, xp.ascontiguousarray(x), boxes, *args, out)
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
    # Atomic adds in grad's own dtype: float64 atomics are slow on consumer GPUs.
    grad_x = xp.zeros(tuple(x_shape), dtype=grad.dtype)
    boxes = xp.ascontiguousarray(boxes, dtype=xp.float64)
    args = (PH, PW, float(spatial_scale), int(sampling_ratio), bool(aligned))
    _launch(_backward, grad.size, xp.ascontiguousarray(grad), boxes, *args, grad_x)
    return grad_x
