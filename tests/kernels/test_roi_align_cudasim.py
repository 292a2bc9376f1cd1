"""RoIAlign gpu kernels == reference, on numba-cuda's CPU simulator: ``pytest -m cudasim``.

Cases: the lab's edge cases (``minidl/kernels/roi_align/spec.py``) and random boxes. The
simulator is switched on by the `gpu` fixture (and by tests/conftest.py for ``-m cudasim``)
rather than at import, so that collecting this file in an ordinary run leaves numba-cuda
alone; it must happen before ``numba.cuda`` is first imported, hence a pytest process of its
own. Launches stay at a few hundred threads: the simulator runs one Python thread per GPU
thread.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from simulator import load_on_simulator

from minidl.kernels.roi_align import reference
from minidl.kernels.roi_align.spec import ROI_ALIGN_BACKWARD_CASES, ROI_ALIGN_CASES

pytestmark = pytest.mark.cudasim


@pytest.fixture(scope="module")
def gpu():
    (gpu,) = load_on_simulator("minidl.kernels.roi_align.gpu")
    return gpu


@pytest.mark.parametrize("case", ROI_ALIGN_CASES, ids=lambda c: c.name)
def test_roi_align_lab_cases(gpu, case):
    args, _ = case.make(np.random.default_rng(0))
    got = gpu.roi_align(*args)
    assert got.dtype == args[0].dtype
    tol = 2e-6 if got.dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, reference.roi_align(*args), rtol=0, atol=tol)


@pytest.mark.parametrize("case", ROI_ALIGN_BACKWARD_CASES, ids=lambda c: c.name)
def test_roi_align_backward_lab_cases(gpu, case):
    args, _ = case.make(np.random.default_rng(0))
    got = gpu.roi_align_backward(*args)
    assert got.dtype == args[0].dtype
    tol = 1e-5 if got.dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, reference.roi_align_backward(*args), rtol=0, atol=tol)


def _boxes(rng, K, N, H, W, scale):
    """Inside, partly outside, tiny, inverted and huge boxes, in image coordinates."""
    x1, y1 = rng.uniform(-1, W - 1, K), rng.uniform(-1, H - 1, K)
    w, h = rng.uniform(0.2, 0.8, K) * W, rng.uniform(0.2, 0.8, K) * H
    w[2::5], h[2::5] = 0.3, 0.6  # tiny
    w[3::5], h[3::5] = 0.0, -1.0  # empty and inverted
    x1[4::5], y1[4::5], w[4::5], h[4::5] = -W, -H, 3 * W, 3 * H  # huge
    rows = np.column_stack([rng.integers(0, N, K), x1, y1, x1 + w, y1 + h])
    rows[:, 1:] /= scale
    return rows


@pytest.mark.parametrize(
    "aligned, sampling_ratio, scale", list(itertools.product((False, True), (-1, 2), (0.5, 1.0)))
)
def test_gpu_equals_reference_on_the_simulator(gpu, aligned, sampling_ratio, scale):
    rng = np.random.default_rng([sampling_ratio + 1, int(aligned), int(4 * scale)])
    x = rng.standard_normal((2, 2, 5, 7))
    boxes = _boxes(rng, 5, 2, 5, 7, scale)
    cfg = (3, 2, scale, sampling_ratio, aligned)  # 5 boxes × 2 channels × 3 × 2 = 60 threads
    y = gpu.roi_align(x, boxes, *cfg)
    np.testing.assert_allclose(y, reference.roi_align(x, boxes, *cfg), rtol=0, atol=1e-12)
    g = rng.standard_normal(y.shape)
    np.testing.assert_allclose(
        gpu.roi_align_backward(g, boxes, x.shape, *cfg),
        reference.roi_align_backward(g, boxes, x.shape, *cfg),
        rtol=0,
        atol=1e-12,
    )


def test_gpu_float32_empty_and_strided_on_the_simulator(gpu):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1, 3, 6, 4)).astype(np.float32).transpose(0, 1, 3, 2)
    boxes = np.array([[0, 0.5, 0.5, 5.0, 3.0], [0, -2.0, 1.0, 2.0, 9.0]])
    y = gpu.roi_align(x, boxes, 2, 3, 1.0, -1, True)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, reference.roi_align(x, boxes, 2, 3, 1.0, -1, True), atol=2e-6)
    g = rng.standard_normal(y.shape).astype(np.float32)
    grad_x = gpu.roi_align_backward(g, boxes, x.shape, 2, 3, 1.0, -1, True)
    assert grad_x.dtype == np.float32
    expected = reference.roi_align_backward(g, boxes, x.shape, 2, 3, 1.0, -1, True)
    np.testing.assert_allclose(grad_x, expected, atol=1e-5)
    # No boxes: nothing is launched (a grid of zero blocks would be an error).
    assert gpu.roi_align(x, np.zeros((0, 5)), 2, 3, 1.0, -1, True).shape == (0, 3, 2, 3)
    assert not gpu.roi_align_backward(
        np.zeros((0, 3, 2, 3)), np.zeros((0, 5)), x.shape, 2, 3, 1.0, -1, True
    ).any()
