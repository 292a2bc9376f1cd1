"""The gpu kernels on CuPy arrays (a real CUDA GPU): ``pytest -m gpu``.

Same edge cases as the simulator tests, then the ops end to end: conv2d, conv_transpose2d,
max_pool2d/max_unpool2d forward and gradients on "cuda" equal the same ops on "cpu".
Fails where no GPU is usable (the reason is in the message): `-m gpu` asks for the GPU.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from minidl import backend
from minidl.kernels.im2col import reference as conv_reference
from minidl.kernels.im2col.spec import COL2IM_CASES, IM2COL_CASES
from minidl.kernels.pool import reference as pool_reference
from minidl.kernels.pool.spec import MAX_POOL_CASES, MAX_UNPOOL_CASES

pytestmark = pytest.mark.gpu


@pytest.fixture(scope="module")
def gpu():
    ok, why = backend.gpu_status()
    if not ok:
        pytest.fail(f"pytest -m gpu needs a usable CUDA GPU: {why}")
    return (
        importlib.import_module("minidl.kernels.im2col.gpu"),
        importlib.import_module("minidl.kernels.pool.gpu"),
    )


def _cuda(args):
    return [backend.to_device(a, "cuda") if isinstance(a, np.ndarray) else a for a in args]


@pytest.mark.parametrize("case", IM2COL_CASES, ids=lambda c: c.name)
def test_im2col(gpu, case):
    args, kwargs = case.make(np.random.default_rng(0))
    kwargs = {k: backend.to_device(v, "cuda") for k, v in kwargs.items()}
    got = gpu[0].im2col(*_cuda(args), **kwargs)
    assert backend.is_cupy_array(got)
    np.testing.assert_array_equal(backend.to_numpy(got), conv_reference.im2col(*args))


@pytest.mark.parametrize("case", COL2IM_CASES, ids=lambda c: c.name)
def test_col2im(gpu, case):
    args, _ = case.make(np.random.default_rng(0))
    got = backend.to_numpy(gpu[0].col2im(*_cuda(args)))
    np.testing.assert_allclose(got, conv_reference.col2im(*args), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", MAX_POOL_CASES, ids=lambda c: c.name)
def test_max_pool2d(gpu, case):
    args, _ = case.make(np.random.default_rng(0))
    out, idx = gpu[1].max_pool2d(*_cuda(args))
    want_out, want_idx = pool_reference.max_pool2d(*args)
    np.testing.assert_array_equal(backend.to_numpy(idx), want_idx)
    np.testing.assert_array_equal(backend.to_numpy(out), want_out)


@pytest.mark.parametrize("case", MAX_UNPOOL_CASES, ids=lambda c: c.name)
def test_max_unpool2d(gpu, case):
    args, _ = case.make(np.random.default_rng(0))
    got = backend.to_numpy(gpu[1].max_unpool2d(*_cuda(args)))
    np.testing.assert_allclose(got, pool_reference.max_unpool2d(*args), rtol=1e-12, atol=1e-12)


OPS = {
    "conv2d": (
        lambda F, x, w: F.conv2d(x, w, None, (2, 1), (1, 2), (1, 2)),
        [(2, 3, 9, 8), (4, 3, 3, 2)],
    ),
    "conv_transpose2d": (
        lambda F, x, w: F.conv_transpose2d(x, w, None, (2, 3), (1, 0), (1, 2), dilation=(1, 2)),
        [(2, 3, 5, 4), (3, 2, 3, 2)],
    ),
    "grouped conv2d": (
        lambda F, x, w: F.conv2d(x, w, None, (2, 1), 1, (1, 2), groups=2),
        [(2, 4, 9, 8), (6, 2, 3, 2)],
    ),
    "depthwise conv2d (cpu: its own kernels; cuda: batched GEMMs)": (
        lambda F, x, w: F.conv2d(x, w, None, 1, 1, groups=3),
        [(2, 3, 7, 6), (6, 1, 3, 3)],
    ),
    "grouped conv_transpose2d": (
        lambda F, x, w: F.conv_transpose2d(x, w, None, 2, 1, 1, groups=2),
        [(2, 4, 5, 4), (4, 3, 3, 3)],
    ),
    "max_pool2d then max_unpool2d": (
        lambda F, x: F.max_unpool2d(
            *F.max_pool2d(x, 3, 2, 1, return_indices=True), 3, 2, 1, output_size=x.shape[-2:]
        ),
        [(2, 3, 9, 8)],
    ),
}


@pytest.mark.parametrize("name", OPS)
def test_ops_on_cuda_equal_ops_on_cpu(gpu, name):
    import minidl as md
    import minidl.nn.functional as F

    fn, shapes = OPS[name]
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in shapes]
    results = {}
    for device in ("cpu", "cuda"):
        ts = [md.tensor(a, requires_grad=True, device=device) for a in arrays]
        y = fn(F, *ts)
        y.backward(backend.to_device(np.ones(y.shape), device))
        results[device] = [y.numpy()] + [backend.to_numpy(t.grad) for t in ts]
    for got, want in zip(results["cuda"], results["cpu"]):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
