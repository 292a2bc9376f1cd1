"""Region-of-interest pooling: RoIAlign (bilinear, Mask R-CNN) and RoIPool (quantised).

Both cut each box of a feature map into a fixed PH × PW grid of bins, so that boxes of any
size become equal-sized features for the heads of a detector. RoIPool rounds the box and its
bins to whole pixels and takes a max; RoIAlign keeps every coordinate exact and averages
bilinear samples, which is what makes pixel-accurate masks possible (He et al. 2017).

Kernels: ``minidl/kernels/roi_align/{reference,cpu,gpu}.py`` (``roi_align``,
``roi_align_backward``), picked by ``minidl.kernels.get``. RoIPool is written with arrays
here: it exists to be compared with RoIAlign.
"""

from __future__ import annotations

import math
from typing import Any

from .. import backend, higher_order, kernels
from ..autograd import Function
from ..geometry import Pair, check_image, pair
from ..tensor import Tensor


class RoIAlign(Function):
    linear = (0,)  # boxes get no gradient (as in torchvision)

    @staticmethod
    def forward(ctx, x, boxes, PH, PW, spatial_scale, sampling_ratio, aligned):
        ctx.save_for_backward(boxes)
        ctx.x_shape = x.shape
        ctx.config = (PH, PW, spatial_scale, sampling_ratio, aligned)
        return kernels.get("roi_align", x)(x, boxes, *ctx.config)

    @staticmethod
    def backward(ctx, grad):
        (boxes,) = ctx.saved_tensors
        backward = kernels.get("roi_align_backward", grad)
        grad_x = backward(grad, boxes, ctx.x_shape, *ctx.config)
        return grad_x, None, None, None, None, None, None


class RoIPool(Function):
    @staticmethod
    def forward(ctx, x, boxes, PH, PW, spatial_scale):
        out, argmax = _roi_pool_with_argmax(x, boxes, PH, PW, spatial_scale)
        ctx.save_for_backward(boxes, argmax)
        ctx.x_shape = x.shape
        return out

    @staticmethod
    def backward(ctx, grad):
        boxes, argmax = ctx.saved_tensors
        xp = backend.array_module(grad)
        N, C, H, W = ctx.x_shape
        grad_x = xp.zeros(N * C * H * W, dtype=grad.dtype)
        # Flat index of each bin's maximum in x: ((b * C + c) * H * W) + argmax.
        b = xp.asarray(boxes[:, 0]).astype(xp.int64)[:, None, None, None]  # (K, 1, 1, 1)
        c = xp.arange(C)[None, :, None, None]  # (1, C, 1, 1)
        flat = (b * C + c) * (H * W) + argmax  # (K, C, PH, PW)
        won = argmax >= 0  # empty bins (argmax -1) pass nothing back
        backend.scatter_add(grad_x, flat[won], grad[won])
        return grad_x.reshape(N, C, H, W), None, None, None, None

    @staticmethod
    def vjp(ctx, grad):
        # the backward's scatter as recorded ops; an empty bin sends 0 to a valid dummy place
        boxes, argmax = ctx.saved_tensors
        xp = backend.array_module(argmax)
        N, C, H, W = ctx.x_shape
        b = xp.asarray(boxes[:, 0]).astype(xp.int64)[:, None, None, None]  # (K, 1, 1, 1)
        flat = (b * C + xp.arange(C)[None, :, None, None]) * (H * W) + argmax
        won = argmax >= 0
        zeros = higher_order.constant(xp.zeros(N * C * H * W, dtype=grad.dtype))
        sent = grad * higher_order.constant(won.astype(grad.dtype))
        grad_x = zeros.scatter_add(0, xp.where(won, flat, 0).reshape(-1), sent.reshape(-1))
        return grad_x.reshape(N, C, H, W), None, None, None, None


def _round_half_away(v: float) -> int:
    """C's ``round``: halves go away from zero (Python's `round` goes to the even neighbour)."""
    return int(math.copysign(math.floor(abs(v) + 0.5), v))


def _roi_pool_with_argmax(x: Any, boxes: Any, PH: int, PW: int, spatial_scale: float):
    """Torchvision's RoIPool forward: (K, C, PH, PW) maxima and their flat offsets in (H, W)."""
    xp = backend.array_module(x)
    N, C, H, W = x.shape
    K = boxes.shape[0]
    out = xp.zeros((K, C, PH, PW), dtype=x.dtype)
    argmax = xp.full((K, C, PH, PW), -1, dtype=xp.int64)
    for k, box in enumerate(backend.to_numpy(boxes).astype(float)):  # K × 5 numbers, on host
        b = int(box[0])
        x1, y1, x2, y2 = (_round_half_away(v * spatial_scale) for v in box[1:5])
        bin_h = max(y2 - y1 + 1, 1) / PH  # the box includes its end pixel; at least 1 × 1
        bin_w = max(x2 - x1 + 1, 1) / PW
        for ph in range(PH):
            h0 = min(max(y1 + math.floor(ph * bin_h), 0), H)
            h1 = min(max(y1 + math.ceil((ph + 1) * bin_h), 0), H)
            for pw in range(PW):
                w0 = min(max(x1 + math.floor(pw * bin_w), 0), W)
                w1 = min(max(x1 + math.ceil((pw + 1) * bin_w), 0), W)
                if h1 <= h0 or w1 <= w0:
                    continue  # an empty bin (outside the map) is 0 and has no argmax
                window = x[b, :, h0:h1, w0:w1].reshape(C, -1)  # (C, bin pixels)
                i = xp.argmax(window, axis=1)  # the first maximum wins ties
                out[k, :, ph, pw] = xp.take_along_axis(window, i[:, None], axis=1)[:, 0]
                argmax[k, :, ph, pw] = (h0 + i // (w1 - w0)) * W + w0 + i % (w1 - w0)
    return out, argmax


def _check_roi_args(
    op: str, x: Any, boxes: Any, output_size: Any, spatial_scale: float
) -> tuple[Any, Pair]:
    """Boxes as a float64 array on x's device, and the output size; ValueError otherwise."""
    check_image(op, x)
    data = boxes.data if isinstance(boxes, Tensor) else boxes
    if not hasattr(data, "shape"):
        raise ValueError(f"{op}: expected boxes as an array or Tensor (K, 5), got {type(boxes)}")
    if backend.device_of(data) != backend.device_of(x.data):
        raise ValueError(
            f"{op}: boxes are on {backend.device_of(data)} but the input is on "
            f"{backend.device_of(x.data)}; move one of them"
        )
    if len(data.shape) != 2 or data.shape[1] != 5:
        raise ValueError(
            f"{op}: expected boxes of shape (K, 5), rows [batch_index, x1, y1, x2, y2], "
            f"got {tuple(data.shape)}"
        )
    if data.dtype.kind not in "iuf":
        raise ValueError(f"{op}: expected numeric boxes, got {data.dtype}")
    xp = backend.array_module(data)
    data = data.astype(xp.float64)
    if data.shape[0]:
        index = data[:, 0]
        lo, hi = float(index.min()), float(index.max())  # NaN makes both comparisons fail
        if not (lo > -1 and hi < x.shape[0]):
            raise ValueError(
                f"{op}: expected batch indices in [0, {x.shape[0] - 1}] for an input of "
                f"{x.shape[0]} image(s), got values in [{lo}, {hi}]"
            )
    if not (isinstance(spatial_scale, (int, float)) and 0 < spatial_scale < math.inf):
        raise ValueError(f"{op}: expected a positive spatial_scale, got {spatial_scale!r}")
    return data, pair(op, "output_size", output_size, 1)


def roi_align(
    x: Tensor,
    boxes: Tensor | Any,
    output_size: int | Pair,
    spatial_scale: float = 1.0,
    sampling_ratio: int = -1,
    aligned: bool = False,
) -> Tensor:
    """RoIAlign: average of bilinear samples in each of PH × PW bins of each box.

    Shapes: x (N, C, H, W), boxes (K, 5) rows ``[batch_index, x1, y1, x2, y2]`` in image
    coordinates → (K, C, PH, PW), ``output_size`` = PH or (PH, PW).

    Math: with s = spatial_scale and o = 0.5 if ``aligned`` else 0, box k covers
    [s·x1 − o, s·x2 − o] × [s·y1 − o, s·y2 − o] of image ``batch_index`` (without ``aligned``
    it is widened to at least 1 × 1). Bin (ph, pw) is sampled on a grid_h × grid_w grid at
    y = y1' + (ph + (iy + ½)/grid_h)·bin_h (likewise x); grid = sampling_ratio, or
    ceil(box size / bins) when sampling_ratio <= 0. Each sample is bilinear in the four
    pixels around it; samples outside [−1, H] × [−1, W] count 0, those within a pixel of the
    border are clamped onto it. out = mean of the samples. The output is linear in x, and the
    backward is its transpose: each sample sends grad/count · its four weights to its pixels.
    No gradient flows to ``boxes`` (as in torchvision).

    Kernel: minidl/kernels/roi_align/{reference,cpu,gpu}.py (roi_align, roi_align_backward).
    Reference: He et al. 2017, "Mask R-CNN"; ``torchvision.ops.roi_align`` (same semantics;
    coordinates are computed in float64 here, also for float32 input).
    """
    op = "roi_align"
    box_data, (PH, PW) = _check_roi_args(op, x, boxes, output_size, spatial_scale)
    if not isinstance(sampling_ratio, int) or isinstance(sampling_ratio, bool):
        raise ValueError(f"{op}: expected an int sampling_ratio, got {sampling_ratio!r}")
    args = (PH, PW, float(spatial_scale), sampling_ratio, bool(aligned))
    return RoIAlign.apply(x, box_data, *args)


def roi_pool(
    x: Tensor, boxes: Tensor | Any, output_size: int | Pair, spatial_scale: float = 1.0
) -> Tensor:
    """RoIPool (Fast R-CNN): the box and its bins rounded to whole pixels, a max per bin.

    Shapes: x (N, C, H, W), boxes (K, 5) rows ``[batch_index, x1, y1, x2, y2]`` → (K, C, PH, PW).

    Math: x1' = round(s·x1) etc. (halves away from zero); the box spans the pixels
    x1'..x2' inclusive (at least one), bin_w = (x2' − x1' + 1)/PW; bin pw spans pixels
    [x1' + floor(pw·bin_w), x1' + ceil((pw + 1)·bin_w)) clipped to the map (likewise y).
    out = max over the bin, 0 for an empty bin. Backward: the gradient goes to the bin's
    maximum (the first one on ties); bins that share a maximum add up.

    Kernel: none; Python loops over boxes and bins in minidl/ops/roi.py (it exists for the
    comparison with RoIAlign, which is what the models use).
    Reference: Girshick 2015, "Fast R-CNN"; ``torchvision.ops.roi_pool``.
    """
    box_data, (PH, PW) = _check_roi_args("roi_pool", x, boxes, output_size, spatial_scale)
    return RoIPool.apply(x, box_data, PH, PW, float(spatial_scale))
