"""F.roi_align and F.roi_pool: gradients, analytic cases, the adjoint identity, bad input.

Analytic oracles: a constant map pools to the constant (times the share of samples inside
the map); bilinear interpolation is exact for a linear map a·x + b·y + c, and the samples of
a bin are symmetric about its centre, so each bin equals the map at its centre; ``aligned``
moves that centre by exactly half a pixel. RoIPool is checked against a transcription of
torchvision's loops. torch itself has no RoIAlign (torchvision is not a test dependency).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import minidl as md
from minidl import kernels
from minidl.ops.roi import roi_align, roi_pool

IMPLS = ["reference", "cpu"]


def _x(shape, seed=0, dtype=np.float64):
    return md.tensor(np.random.default_rng(seed).standard_normal(shape).astype(dtype), True)


BOXES = np.array(
    [
        [0, 1.0, 0.5, 6.5, 4.0],
        [1, -2.0, 3.0, 4.0, 9.5],  # partly outside
        [1, 2.2, 2.7, 2.5, 3.1],  # smaller than a pixel
        [0, -4.0, -3.0, 12.0, 11.0],  # bigger than the map
    ]
)


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("aligned, sampling_ratio", list(itertools.product((False, True), (-1, 2))))
def test_roi_align_gradcheck(impl, aligned, sampling_ratio):
    # roi_align is linear in x, so every input is kink-free; the boxes get no gradient.
    x = _x((2, 2, 6, 7))
    with kernels.use(roi_align=impl, roi_align_backward=impl):
        md.gradcheck(lambda x: roi_align(x, BOXES, (3, 2), 0.75, sampling_ratio, aligned), [x])


def test_roi_pool_gradcheck():
    # Distinct values (a shuffled grid, 0.1 apart) keep each bin's maximum unique.
    values = np.random.default_rng(1).permutation(2 * 2 * 6 * 7) * 0.1
    x = md.tensor(values.reshape(2, 2, 6, 7), requires_grad=True)
    md.gradcheck(lambda x: roi_pool(x, BOXES, (3, 2), 0.75), [x])


def _check_second_derivatives(fn, x):
    """gradgradcheck, and the differentiable backward (create_graph=True) gives the plain
    backward's gradient: gradgradcheck alone only checks that it is differentiated
    consistently, and torch has no RoIAlign to compare with."""
    g = md.tensor(np.random.default_rng(4).standard_normal(fn(x).shape), requires_grad=True)
    (plain,) = md.autograd.grad(fn(x), [x], g)
    (recorded,) = md.autograd.grad(fn(x), [x], g, create_graph=True)
    assert recorded.requires_grad  # a graph back to g
    np.testing.assert_allclose(recorded.numpy(), plain.numpy(), rtol=1e-12, atol=1e-12)
    assert md.gradgradcheck(fn, [x])


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("aligned, sampling_ratio", [(False, -1), (True, 2)])
def test_roi_align_second_derivatives(impl, aligned, sampling_ratio):
    # linear in x: 0 w.r.t. x, and w.r.t. the cotangent the transpose of the backward (the op)
    x = _x((2, 2, 6, 7))
    with kernels.use(roi_align=impl, roi_align_backward=impl):
        _check_second_derivatives(
            lambda x: roi_align(x, BOXES, (3, 2), 0.75, sampling_ratio, aligned), x
        )


def test_roi_pool_second_derivatives():
    values = np.random.default_rng(1).permutation(2 * 2 * 6 * 7) * 0.1  # unique maxima
    x = md.tensor(values.reshape(2, 2, 6, 7), requires_grad=True)
    _check_second_derivatives(lambda x: roi_pool(x, BOXES, (3, 2), 0.75), x)


@pytest.mark.parametrize("impl", IMPLS)
def test_constant_map_gives_the_constant_scaled_by_the_share_of_samples_inside(impl):
    x = md.tensor(np.full((1, 2, 6, 8), 2.5), requires_grad=True)
    inside = np.array([[0, 0.0, 0.0, 8.0, 6.0], [0, 1.3, 0.2, 3.9, 5.1], [0, -0.9, -0.5, 7.9, 6.0]])
    with kernels.use(roi_align=impl):
        y = roi_align(x, inside, (3, 4), 1.0, -1, False)
        np.testing.assert_allclose(y.data, 2.5, rtol=0, atol=1e-14)
        # One bin, x from 4 to 20 with 4 samples at 6, 10, 14, 18: only x = 6 is on the map.
        half_out = np.array([[0, 4.0, 1.0, 20.0, 3.0]])
        y = roi_align(x, half_out, (1, 1), 1.0, 4, False)
        np.testing.assert_allclose(y.data, 2.5 / 4, rtol=0, atol=1e-14)


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("aligned", [False, True])
@pytest.mark.parametrize("scale, sampling_ratio", [(1.0, -1), (0.5, 2), (0.25, 3)])
def test_linear_map_gives_its_value_at_each_bin_centre(impl, aligned, scale, sampling_ratio):
    H, W, a, b, c = 9, 12, 0.7, -1.3, 0.4
    rows, cols = np.mgrid[0:H, 0:W]
    x = md.tensor((a * cols + b * rows + c)[None, None].astype(np.float64))
    # Boxes whose samples stay within [0, H - 1] x [0, W - 1] (no clamping) after scaling.
    boxes = np.array([[0, 1.2, 0.9, 9.7, 7.1], [0, 2.0, 1.5, 10.5, 6.0]]) / scale
    PH, PW = 3, 4
    with kernels.use(roi_align=impl):
        y = roi_align(x, boxes, (PH, PW), scale, sampling_ratio, aligned).data[:, 0]
    offset = 0.5 if aligned else 0.0
    for k, (_, x1, y1, x2, y2) in enumerate(boxes * scale):
        cy = y1 - offset + (np.arange(PH)[:, None] + 0.5) * (y2 - y1) / PH
        cx = x1 - offset + (np.arange(PW)[None, :] + 0.5) * (x2 - x1) / PW
        np.testing.assert_allclose(y[k], a * cx + b * cy + c, rtol=0, atol=1e-12)


def test_aligned_shifts_by_half_a_pixel():
    rows, cols = np.mgrid[0:10, 0:10]
    x = md.tensor((3.0 * cols + 5.0 * rows)[None, None])
    boxes = np.array([[0, 2.0, 2.0, 7.0, 8.0]])
    plain = roi_align(x, boxes, 2, 1.0, 2, aligned=False).data
    shifted = roi_align(x, boxes, 2, 1.0, 2, aligned=True).data
    np.testing.assert_allclose(plain - shifted, 0.5 * 3.0 + 0.5 * 5.0, rtol=0, atol=1e-12)


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("aligned, sampling_ratio", list(itertools.product((False, True), (-1, 1))))
def test_adjoint_identity(impl, aligned, sampling_ratio):
    """<roi_align(x), g> = <x, roi_align_backward(g)>, the backward through the op."""
    x = _x((2, 3, 7, 5), seed=2)
    g = np.random.default_rng(3).standard_normal((len(BOXES), 3, 2, 3))
    with kernels.use(roi_align=impl, roi_align_backward=impl):
        y = roi_align(x, BOXES, (2, 3), 0.5, sampling_ratio, aligned)
        y.backward(g)
    assert float((y.data * g).sum()) == pytest.approx(float((x.data * x.grad).sum()), rel=1e-12)


def test_float32_in_float32_out_and_no_boxes():
    x = _x((1, 2, 5, 5), dtype=np.float32)
    y = roi_align(x, BOXES[:1].astype(np.float32), 2)
    assert y.dtype == np.float32 and y.shape == (1, 2, 2, 2)
    y.backward(np.ones(y.shape, dtype=np.float32))
    assert x.grad.dtype == np.float32
    for op in (roi_align, roi_pool):
        x = _x((1, 2, 5, 5))
        y = op(x, np.zeros((0, 5)), (2, 3))
        assert y.shape == (0, 2, 2, 3)
        y.backward(np.zeros(y.shape))
        assert x.grad.shape == x.shape and not x.grad.any()


def _c_round(v):
    return math.floor(v + 0.5) if v >= 0 else -math.floor(-v + 0.5)


def torchvision_roi_pool(x, boxes, PH, PW, scale):
    """torchvision's roi_pool_forward_kernel_impl, loop for loop (max and argmax)."""
    N, C, H, W = x.shape
    out, arg = np.zeros((len(boxes), C, PH, PW)), np.full((len(boxes), C, PH, PW), -1)
    for k, box in enumerate(boxes):
        b = int(box[0])
        x1, y1, x2, y2 = (_c_round(v * scale) for v in box[1:])
        bin_h, bin_w = max(y2 - y1 + 1, 1) / PH, max(x2 - x1 + 1, 1) / PW
        for ph, pw, c in itertools.product(range(PH), range(PW), range(C)):
            h0 = min(max(math.floor(ph * bin_h) + y1, 0), H)
            h1 = min(max(math.ceil((ph + 1) * bin_h) + y1, 0), H)
            w0 = min(max(math.floor(pw * bin_w) + x1, 0), W)
            w1 = min(max(math.ceil((pw + 1) * bin_w) + x1, 0), W)
            best = 0.0 if (h1 <= h0 or w1 <= w0) else -np.inf
            for h, w in itertools.product(range(h0, h1), range(w0, w1)):
                if x[b, c, h, w] > best:
                    best, arg[k, c, ph, pw] = x[b, c, h, w], h * W + w
            out[k, c, ph, pw] = best
    return out, arg


def test_roi_pool_equals_torchvision_loops_and_sends_gradient_to_each_maximum():
    rng = np.random.default_rng(4)
    x = md.tensor(rng.standard_normal((2, 3, 7, 9)), requires_grad=True)
    # Halves round away from zero (2.5 -> 3, -2.5 -> -3); the last box lies off the map.
    boxes = np.vstack([BOXES, [[1, 2.5, -2.5, 5.5, 3.49], [0, 20.0, 20.0, 30.0, 30.0]]])
    y = roi_pool(x, boxes, (3, 2), 1.0)
    expected, argmax = torchvision_roi_pool(x.data, boxes, 3, 2, 1.0)
    np.testing.assert_array_equal(y.data, expected)
    g = rng.standard_normal(y.shape)
    y.backward(g)
    grad = np.zeros((2, 3, 7 * 9))
    for k, c, ph, pw in itertools.product(*map(range, y.shape)):
        if argmax[k, c, ph, pw] >= 0:
            grad[int(boxes[k, 0]), c, argmax[k, c, ph, pw]] += g[k, c, ph, pw]
    np.testing.assert_allclose(x.grad, grad.reshape(x.shape), rtol=0, atol=1e-14)
    assert not y.data[-1].any()  # empty bins are 0


def test_roi_pool_quantises_where_roi_align_does_not():
    """A box edge moved by less than half a pixel changes RoIAlign, not RoIPool."""
    rows, cols = np.mgrid[0:8, 0:8]
    x = md.tensor((cols + 0.0)[None, None])
    a, b = np.array([[0, 1.0, 1.0, 5.0, 5.0]]), np.array([[0, 1.3, 1.0, 5.3, 5.0]])
    assert np.array_equal(roi_pool(x, a, 2).data, roi_pool(x, b, 2).data)
    shift = roi_align(x, b, 2, aligned=True).data - roi_align(x, a, 2, aligned=True).data
    np.testing.assert_allclose(shift, 0.3, atol=1e-12)


@pytest.mark.parametrize("op", [roi_align, roi_pool])
def test_bad_input_raises_value_error_naming_the_op(op):
    name = op.__name__
    x = _x((2, 3, 5, 5))
    cases = [
        (_x((3, 5, 5)), BOXES, 2, "expected a 4-D input"),
        (x, BOXES[:, 1:], 2, r"expected boxes of shape \(K, 5\).*got \(4, 4\)"),
        (x, np.array([[2, 0, 0, 1, 1.0]]), 2, r"batch indices in \[0, 1\].*got values in"),
        (x, np.array([[-1, 0, 0, 1, 1.0]]), 2, "batch indices"),
        (x, BOXES, 0, "output_size must be an int or a pair of ints >= 1, got 0"),
        (x, BOXES, (2, -1), "output_size"),
    ]
    for inp, boxes, size, message in cases:
        with pytest.raises(ValueError, match=f"^{name}: .*{message}"):
            op(inp, boxes, size)
    with pytest.raises(ValueError, match=f"^{name}: expected a positive spatial_scale"):
        op(x, BOXES, 2, spatial_scale=0.0)


@pytest.mark.gpu
@pytest.mark.parametrize("op", [roi_align, roi_pool])
def test_on_cuda_equals_cpu(op):
    if not md.cuda.is_available():
        pytest.fail(f"pytest -m gpu needs a usable CUDA GPU: {md.cuda.why()}")
    x_cpu = _x((2, 3, 7, 6), seed=5)
    x_gpu = md.tensor(x_cpu.data, requires_grad=True, device="cuda")
    g = np.random.default_rng(6).standard_normal((len(BOXES), 3, 3, 2))
    y_cpu = op(x_cpu, BOXES, (3, 2), 0.5)
    y_gpu = op(x_gpu, md.backend.to_device(BOXES, "cuda"), (3, 2), 0.5)
    np.testing.assert_allclose(y_gpu.numpy(), y_cpu.data, rtol=0, atol=1e-12)
    y_cpu.backward(g)
    y_gpu.backward(md.backend.to_device(g, "cuda"))
    np.testing.assert_allclose(md.backend.to_numpy(x_gpu.grad), x_cpu.grad, rtol=0, atol=1e-12)
