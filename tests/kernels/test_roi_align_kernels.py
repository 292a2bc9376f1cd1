"""RoIAlign kernels: reference == torchvision's loops; cpu (and gpu on CuPy) == reference.

Oracles: `torchvision_loops`, a line-by-line float64 transcription of torchvision's CPU kernel
(roi_align_kernel.cpp, whose forward and backward share the bilinear rule), checks the
NumPy reference, which in turn checks the Numba kernel on many boxes: partly outside the
map, tiny, empty, inverted and huge, both `aligned`, fixed and adaptive sampling, several
spatial scales, non-square maps, several images.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl as md
from minidl.kernels.roi_align import cpu, reference


def _bilinear(plane, y, x):
    """torchvision's bilinear_interpolate: (value, [(row, col, weight) ...]) at (y, x)."""
    H, W = plane.shape
    if y < -1.0 or y > H or x < -1.0 or x > W:
        return 0.0, []
    y, x = max(y, 0.0), max(x, 0.0)
    y_low, x_low = int(y), int(x)
    if y_low >= H - 1:
        y_high = y_low = H - 1
        y = float(y_low)
    else:
        y_high = y_low + 1
    if x_low >= W - 1:
        x_high = x_low = W - 1
        x = float(x_low)
    else:
        x_high = x_low + 1
    ly, lx = y - y_low, x - x_low
    hy, hx = 1.0 - ly, 1.0 - lx
    taps = [
        (y_low, x_low, hy * hx),
        (y_low, x_high, hy * lx),
        (y_high, x_low, ly * hx),
        (y_high, x_high, ly * lx),
    ]
    return sum(w * plane[r, c] for r, c, w in taps), taps


def torchvision_loops(x, boxes, PH, PW, scale, sampling_ratio, aligned, grad=None):
    """RoIAlign forward (grad None) or backward (grad (K, C, PH, PW)) as torchvision's loops."""
    N, C, H, W = x.shape
    out = np.zeros((len(boxes), C, PH, PW))
    grad_x = np.zeros(x.shape)
    for k, box in enumerate(boxes):
        b = int(box[0])
        offset = 0.5 if aligned else 0.0
        x1, y1, x2, y2 = (v * scale - offset for v in box[1:])
        roi_w, roi_h = x2 - x1, y2 - y1
        if not aligned:
            roi_w, roi_h = max(roi_w, 1.0), max(roi_h, 1.0)
        bin_h, bin_w = roi_h / PH, roi_w / PW
        grid_h = sampling_ratio if sampling_ratio > 0 else math.ceil(roi_h / PH)
        grid_w = sampling_ratio if sampling_ratio > 0 else math.ceil(roi_w / PW)
        count = max(grid_h * grid_w, 1)
        for c, ph, pw in itertools.product(range(C), range(PH), range(PW)):
            total = 0.0
            for iy, ix in itertools.product(range(grid_h), range(grid_w)):
                y = y1 + ph * bin_h + (iy + 0.5) * bin_h / grid_h
                xx = x1 + pw * bin_w + (ix + 0.5) * bin_w / grid_w
                value, taps = _bilinear(x[b, c], y, xx)
                total += value
                if grad is not None:
                    for r, col, w in taps:
                        grad_x[b, c, r, col] += grad[k, c, ph, pw] * w / count
            out[k, c, ph, pw] = total / count
    return out if grad is None else grad_x


def make_boxes(rng, K, N, H, W, scale):
    """K boxes in image coordinates (feature map × 1/scale), cycling through hard kinds."""
    size = np.array([W, H, W, H]) / scale
    rows = []
    for k in range(K):
        kind = k % 6
        x1, y1 = rng.uniform(0, 1, 2) * size[:2]
        w, h = rng.uniform(0.1, 0.6, 2) * size[:2]
        if kind == 1:  # partly outside the map, on the top-left or bottom-right
            x1, y1 = x1 - size[0] / 2, y1 + size[1] / 3
        elif kind == 2:  # tiny: under one feature pixel
            w, h = rng.uniform(0, 0.9, 2) / scale
        elif kind == 3:  # empty or inverted
            w, h = 0.0, -rng.uniform(0, 2) / scale
        elif kind == 4:  # huge: much bigger than the map
            x1, y1, w, h = -size[0], -size[1] / 2, 3 * size[0], 2.5 * size[1]
        rows.append([rng.integers(0, N), x1, y1, x1 + w, y1 + h])
    return np.array(rows)


SETTINGS = list(itertools.product((False, True), (-1, 1, 2), (0.25, 0.5, 1.0)))


@pytest.mark.parametrize("aligned, sampling_ratio, scale", SETTINGS)
def test_reference_equals_torchvision_loops(aligned, sampling_ratio, scale):
    rng = np.random.default_rng([int(scale * 8), sampling_ratio + 1, aligned])
    x = rng.standard_normal((2, 2, 5, 7))
    boxes = make_boxes(rng, 6, 2, 5, 7, scale)
    cfg = (3, 2, scale, sampling_ratio, aligned)
    y = reference.roi_align(x, boxes, *cfg)
    np.testing.assert_allclose(y, torchvision_loops(x, boxes, *cfg), rtol=0, atol=1e-12)
    g = rng.standard_normal(y.shape)
    np.testing.assert_allclose(
        reference.roi_align_backward(g, boxes, x.shape, *cfg),
        torchvision_loops(x, boxes, *cfg, grad=g),
        rtol=0,
        atol=1e-12,
    )


@pytest.mark.parametrize("aligned, sampling_ratio, scale", SETTINGS)
@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-12), (np.float32, 2e-6)])
def test_cpu_equals_reference(aligned, sampling_ratio, scale, dtype, tol):
    rng = np.random.default_rng([int(scale * 8), sampling_ratio + 1, aligned])
    x = rng.standard_normal((3, 4, 11, 17)).astype(dtype)
    boxes = make_boxes(rng, 12, 3, 11, 17, scale)
    cfg = (5, 3, scale, sampling_ratio, aligned)
    y = cpu.roi_align(x, boxes, *cfg)
    assert y.dtype == dtype and y.shape == (12, 4, 5, 3)
    np.testing.assert_allclose(y, reference.roi_align(x, boxes, *cfg), rtol=0, atol=tol)
    g = rng.standard_normal(y.shape).astype(dtype)
    grad_x = cpu.roi_align_backward(g, boxes, x.shape, *cfg)
    assert grad_x.dtype == dtype and grad_x.shape == x.shape
    expected = reference.roi_align_backward(g, boxes, x.shape, *cfg)
    np.testing.assert_allclose(grad_x, expected, rtol=0, atol=10 * tol)


@settings(max_examples=30, deadline=None)
@given(
    shape=st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 9), st.integers(1, 9)),
    pooled=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    sampling_ratio=st.integers(-1, 3),
    aligned=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_cpu_equals_reference_on_random_shapes(shape, pooled, sampling_ratio, aligned, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    boxes = make_boxes(rng, 7, shape[0], shape[2], shape[3], 0.5)
    cfg = (*pooled, 0.5, sampling_ratio, aligned)
    y = cpu.roi_align(x, boxes, *cfg)
    np.testing.assert_allclose(y, reference.roi_align(x, boxes, *cfg), rtol=0, atol=1e-12)
    g = rng.standard_normal(y.shape)
    np.testing.assert_allclose(
        cpu.roi_align_backward(g, boxes, x.shape, *cfg),
        reference.roi_align_backward(g, boxes, x.shape, *cfg),
        rtol=0,
        atol=1e-12,
    )


@pytest.mark.parametrize("impl", [reference, cpu], ids=["reference", "cpu"])
def test_no_boxes_and_strided_input(impl):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 8, 6)).transpose(0, 1, 3, 2)  # (2, 3, 6, 8), not C-contiguous
    assert impl.roi_align(x, np.zeros((0, 5)), 2, 2, 1.0, -1, False).shape == (0, 3, 2, 2)
    grad_x = impl.roi_align_backward(
        np.zeros((0, 3, 2, 2)), np.zeros((0, 5)), x.shape, 2, 2, 1.0, -1, False
    )
    assert grad_x.shape == x.shape and not grad_x.any()
    boxes = np.array([[1, 0.5, 1.0, 7.0, 5.5]])
    expected = torchvision_loops(np.ascontiguousarray(x), boxes, 3, 2, 1.0, 2, True)
    np.testing.assert_allclose(impl.roi_align(x, boxes, 3, 2, 1.0, 2, True), expected, atol=1e-12)


def test_bilinear_weights_inside_and_at_the_borders():
    H, W = 4, 5
    # Inside: the four neighbours, weights (1 - ly)(1 - lx), (1 - ly) lx, ly (1 - lx), ly lx.
    assert cpu.bilinear_weights(1.25, 2.5, H, W) == (1, 2, 2, 3, 0.375, 0.375, 0.125, 0.125)
    # In [-1, 0]: clamped onto row/column 0.
    assert cpu.bilinear_weights(-0.5, -1.0, H, W) == (0, 1, 0, 1, 1.0, 0.0, 0.0, 0.0)
    # In [H - 1, H]: the last row only, and y == H itself still counts; likewise for x.
    assert cpu.bilinear_weights(3.5, 4.0, H, W) == (3, 3, 4, 4, 1.0, 0.0, 0.0, 0.0)
    assert cpu.bilinear_weights(4.0, 1.5, H, W) == (3, 3, 1, 2, 0.5, 0.5, 0.0, 0.0)
    assert cpu.bilinear_weights(2.0, 5.0, H, W) == (2, 3, 4, 4, 1.0, 0.0, 0.0, 0.0)
    # Outside [-1, H] x [-1, W], and NaN: nothing.
    for y, x in [(4.0 + 1e-9, 2.0), (-1.0 - 1e-9, 2.0), (2.0, 5.0 + 1e-9), (math.nan, 1.0)]:
        assert cpu.bilinear_weights(y, x, H, W)[4:] == (0.0, 0.0, 0.0, 0.0)


def test_bilinear_weights_are_the_product_of_the_reference_linear_weights():
    H, W = 3, 6
    coords = np.array([-1.5, -1.0, -0.3, 0.0, 0.7, 1.0, 2.2, 2.9, 3.0, 3.1, 5.0, 5.5, 6.0, 6.01])
    ly, hy, wly, why = reference.linear_weights(coords, H)
    lx, hx, wlx, whx = reference.linear_weights(coords, W)
    for i, j in itertools.product(range(len(coords)), repeat=2):
        got = cpu.bilinear_weights(coords[i], coords[j], H, W)
        weights = (wly[i] * wlx[j], wly[i] * whx[j], why[i] * wlx[j], why[i] * whx[j])
        assert got[4:] == pytest.approx(weights, abs=1e-15)
        if any(weights):
            assert got[:4] == (ly[i], hy[i], lx[j], hx[j])


@pytest.mark.gpu
@pytest.mark.parametrize("aligned, sampling_ratio, scale", SETTINGS[::4])
def test_gpu_equals_reference_on_cupy(aligned, sampling_ratio, scale):
    if not md.cuda.is_available():
        pytest.fail(f"pytest -m gpu needs a usable CUDA GPU: {md.cuda.why()}")
    import cupy as cp

    from minidl.kernels.roi_align import gpu

    rng = np.random.default_rng(1)
    for dtype, tol in [(np.float64, 1e-12), (np.float32, 2e-6)]:
        x = rng.standard_normal((3, 4, 11, 17)).astype(dtype)
        boxes = make_boxes(rng, 12, 3, 11, 17, scale)
        g = rng.standard_normal((12, 4, 5, 3)).astype(dtype)
        cfg = (5, 3, scale, sampling_ratio, aligned)
        y = gpu.roi_align(cp.asarray(x), cp.asarray(boxes), *cfg)
        assert isinstance(y, cp.ndarray) and y.dtype == dtype
        np.testing.assert_allclose(y.get(), reference.roi_align(x, boxes, *cfg), atol=tol)
        grad_x = gpu.roi_align_backward(cp.asarray(g), cp.asarray(boxes), x.shape, *cfg)
        expected = reference.roi_align_backward(g, boxes, x.shape, *cfg)
        np.testing.assert_allclose(grad_x.get(), expected, atol=10 * tol)
