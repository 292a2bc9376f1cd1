"""Solutions of lesson 06's exercises (try them first)."""

from __future__ import annotations

import numpy as np

from minidl.kernels.roi_align.reference import roi_geometry


def my_box_iou(a, b):
    # corners of every pairwise intersection, by broadcasting (N, 1, 2) against (1, M, 2)
    top_left = np.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = np.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = np.clip(bottom_right - top_left, 0, None)  # disjoint boxes: no negative sides
    inter = wh[..., 0] * wh[..., 1]
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    with np.errstate(invalid="ignore", divide="ignore"):  # two empty boxes: 0 / 0 = NaN
        return inter / (area_a[:, None] + area_b[None, :] - inter)


def my_nms(rows, scores, iou_threshold):
    order = np.argsort(-scores, kind="stable")  # best first; ties keep the lower index
    keep = []
    for i in order:
        # compare with the boxes kept so far only: a suppressed box suppresses nothing
        if not keep or (my_box_iou(rows[i : i + 1], rows[keep])[0] <= iou_threshold).all():
            keep.append(i)
    return np.array(keep, dtype=np.int64)


def my_match_anchors(iou, high, low):
    N, G = iou.shape
    if G == 0:
        return np.full(N, -1, dtype=np.int64)
    best = iou.max(axis=1)
    matched = iou.argmax(axis=1)
    matched = np.where(best >= high, matched, -2)  # between the thresholds: ignored
    matched = np.where(best < low, -1, matched)  # below low: background
    # every object claims the anchors that overlap it best (ties too), if it touches any
    best_per_object = iou.max(axis=0)
    claimed = ((iou == best_per_object) & (best_per_object > 0)).any(axis=1)
    return np.where(claimed, iou.argmax(axis=1), matched).astype(np.int64)


def my_bilinear(y, x, H, W):
    if not (-1.0 <= y <= H and -1.0 <= x <= W):  # rule 1: outside reads nothing
        return 0, 0, 0, 0, 0.0, 0.0, 0.0, 0.0
    y, x = max(y, 0.0), max(x, 0.0)  # rule 2
    y0, x0 = int(y), int(x)  # the floor, since y, x >= 0
    if y0 >= H - 1:  # rule 3
        y0 = y1 = H - 1
        y = float(y0)
    else:
        y1 = y0 + 1
    if x0 >= W - 1:
        x0 = x1 = W - 1
        x = float(x0)
    else:
        x1 = x0 + 1
    ly, lx = y - y0, x - x0
    hy, hx = 1.0 - ly, 1.0 - lx
    return y0, y1, x0, x1, hy * hx, hy * lx, ly * hx, ly * lx


def my_roi_align(x, boxes, PH, PW, spatial_scale, sampling_ratio, aligned):
    # The loops given in the exercise cell (boxes, bins, samples), vectorised over channels.
    N, C, H, W = x.shape
    out = np.zeros((len(boxes), C, PH, PW), dtype=x.dtype)
    for k, box in enumerate(boxes):
        b, top, left, bin_h, bin_w, grid_h, grid_w = roi_geometry(
            box, PH, PW, spatial_scale, sampling_ratio, aligned
        )
        for ph in range(PH):
            for pw in range(PW):
                total = np.zeros(C)
                for iy in range(grid_h):
                    y = top + ph * bin_h + (iy + 0.5) * bin_h / grid_h
                    for ix in range(grid_w):
                        xx = left + pw * bin_w + (ix + 0.5) * bin_w / grid_w
                        y0, y1, x0, x1, w00, w01, w10, w11 = my_bilinear(y, xx, H, W)
                        total += (
                            w00 * x[b, :, y0, x0]
                            + w01 * x[b, :, y0, x1]
                            + w10 * x[b, :, y1, x0]
                            + w11 * x[b, :, y1, x1]
                        )
                out[k, :, ph, pw] = total / max(grid_h * grid_w, 1)
    return out
