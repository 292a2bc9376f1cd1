"""The numba-cuda kernels (``minidl/kernels/*/gpu.py``) on a real GPU: ``pytest -m gpu``.

What is already covered elsewhere and also runs under ``-m gpu``: the lab's edge cases for
im2col/col2im/max_pool2d/max_unpool2d (``tests/kernels/test_conv_pool_gpu.py``) and random
boxes for RoIAlign (``tests/kernels/test_roi_align_kernels.py``). Those move NumPy inputs with
``cupy.asarray``, which makes every input contiguous, and they skip without a GPU.

What this file adds:
- `md.kernels.check(name, "gpu")` for every kernel that has a gpu implementation: all lab
  cases (odd, non-square, strided, padded, dilated, ties, NaN, -inf, float32, empty), the
  gradcheck of the ops that use the kernel with the inputs on the GPU, and the speed step
  (an implementation that raises there fails);
- inputs that are non-contiguous *on the device* (strided and reversed CuPy views), which
  the kernels must make contiguous themselves;
- launches larger than one grid (more than 65535 blocks × 256 threads = 16.7M elements), so
  the grid-stride loops of the conv and pool kernels run more than one lap; checked against
  the Numba cpu kernels, float32.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import minidl as md
from minidl import backend, kernels

pytestmark = pytest.mark.gpu

GPU_KERNELS = sorted(name for name, k in kernels.KERNELS.items() if "gpu" in k.modules)


@pytest.fixture(scope="module")
def cp():
    return backend.xp_for("cuda")


@pytest.mark.parametrize("name", GPU_KERNELS)
def test_lab_check_of_the_gpu_kernel_passes(name):
    report = md.kernels.check(name, "gpu", device="cuda")
    assert report.device == "cuda", report.device
    assert report.ok, str(report)


def _gpu(family: str):
    return importlib.import_module(f"minidl.kernels.{family}.gpu")


def _reference(family: str):
    return importlib.import_module(f"minidl.kernels.{family}.reference")


def _view(cp, a: np.ndarray, kind: str):
    """A non-contiguous CuPy view holding the values of ``a`` (any shape, last axis > 1)."""
    dev = cp.asarray(a)
    if kind == "strided":  # every other element of a twice-as-long last axis
        big = cp.zeros((*a.shape[:-1], 2 * a.shape[-1]), a.dtype)
        big[..., ::2] = dev
        view = big[..., ::2]
    elif kind == "reversed":  # negative strides
        view = cp.ascontiguousarray(dev[..., ::-1])[..., ::-1]
    else:  # "transposed": the first axis stored last
        view = cp.moveaxis(cp.ascontiguousarray(cp.moveaxis(dev, 0, -1)), -1, 0)
    assert not view.flags.c_contiguous and np.array_equal(view.get(), a)
    return view


@pytest.mark.parametrize("kind", ["strided", "reversed", "transposed"])
def test_kernels_accept_non_contiguous_device_arrays(cp, kind):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 9, 7))
    geometry = (3, 2, 2, 1, 1, 1, 2, 1)  # KH KW SH SW PH PW DH DW
    cols = _gpu("im2col").im2col(_view(cp, x, kind), *geometry)
    np.testing.assert_array_equal(cols.get(), _reference("im2col").im2col(x, *geometry))
    c = rng.standard_normal(cols.shape)
    got = _gpu("im2col").col2im(_view(cp, c, kind), x.shape, *geometry)
    want = _reference("im2col").col2im(c, x.shape, *geometry)
    np.testing.assert_allclose(got.get(), want, rtol=1e-12, atol=1e-12)

    pool = (3, 2, 2, 1, 1, 1)  # KH KW SH SW PH PW
    out, idx = _gpu("pool").max_pool2d(_view(cp, x, kind), *pool)
    want_out, want_idx = _reference("pool").max_pool2d(x, *pool)
    np.testing.assert_array_equal(idx.get(), want_idx)
    np.testing.assert_array_equal(out.get(), want_out)
    v = rng.standard_normal(want_out.shape)
    got = _gpu("pool").max_unpool2d(_view(cp, v, kind), _view(cp, want_idx, kind), 9, 7)
    want = _reference("pool").max_unpool2d(v, want_idx, 9, 7)
    np.testing.assert_allclose(got.get(), want, rtol=1e-12, atol=1e-12)

    boxes = np.array([[0, 0.5, 1.0, 5.5, 7.0], [1, -1.0, 2.0, 6.0, 4.5], [1, 2.0, 2.0, 2.5, 3.0]])
    cfg = (3, 2, 1.0, 2, True)
    roi = _gpu("roi_align")
    got = roi.roi_align(_view(cp, x, kind), cp.asarray(boxes), *cfg)
    want = _reference("roi_align").roi_align(x, boxes, *cfg)
    np.testing.assert_allclose(got.get(), want, rtol=0, atol=1e-12)
    g = rng.standard_normal(got.shape)
    got = roi.roi_align_backward(_view(cp, g, kind), _view(cp, boxes, kind), x.shape, *cfg)
    want = _reference("roi_align").roi_align_backward(g, boxes, x.shape, *cfg)
    np.testing.assert_allclose(got.get(), want, rtol=0, atol=1e-12)


def _cpu(family: str):
    return importlib.import_module(f"minidl.kernels.{family}.cpu")


def test_launches_larger_than_one_grid(cp):
    """> 65535 blocks of 256 threads: each thread's grid-stride loop runs several laps."""
    rng = np.random.default_rng(0)
    lap = 65535 * 256
    x = rng.standard_normal((4, 16, 258, 258)).astype(np.float32)
    geometry = (3, 3, 1, 1, 1, 1, 1, 1)
    cols = _gpu("im2col").im2col(cp.asarray(x), *geometry)
    assert cols.size > 2 * lap
    np.testing.assert_array_equal(cols.get(), _cpu("im2col").im2col(x, *geometry))
    back = _gpu("im2col").col2im(cols, x.shape, *geometry).get()
    np.testing.assert_allclose(
        back, _cpu("im2col").col2im(cols.get(), x.shape, *geometry), rtol=1e-5, atol=1e-5
    )

    x = rng.standard_normal((8, 32, 260, 260)).astype(np.float32)
    pool = (2, 2, 1, 1, 0, 0)
    out, idx = _gpu("pool").max_pool2d(cp.asarray(x), *pool)
    assert out.size > lap
    want_out, want_idx = _cpu("pool").max_pool2d(x, *pool)
    np.testing.assert_array_equal(idx.get(), want_idx)
    np.testing.assert_array_equal(out.get(), want_out)
    up = _gpu("pool").max_unpool2d(out, idx, 260, 260).get()
    np.testing.assert_allclose(
        up, _cpu("pool").max_unpool2d(want_out, want_idx, 260, 260), rtol=1e-6
    )
