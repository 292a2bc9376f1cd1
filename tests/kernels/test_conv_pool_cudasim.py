"""im2col/col2im and max_pool2d/max_pool2d_backward/max_unpool2d gpu kernels == reference,
on numba-cuda's CPU simulator: ``pytest -m cudasim``.

The simulator is switched on by the `gpu` fixture (and by tests/conftest.py for
``-m cudasim``) rather than at import, so that collecting this file in an ordinary run leaves
numba-cuda alone. Shapes are the lab's edge cases: a few hundred to ~2,000 threads a launch.
"""

from __future__ import annotations

import numpy as np
import pytest
from simulator import load_on_simulator

from minidl.kernels.im2col import reference as conv_reference
from minidl.kernels.im2col.spec import COL2IM_CASES, IM2COL_CASES
from minidl.kernels.pool import reference as pool_reference
from minidl.kernels.pool.spec import MAX_POOL_BACKWARD_CASES, MAX_POOL_CASES, MAX_UNPOOL_CASES

pytestmark = pytest.mark.cudasim


@pytest.fixture(scope="module")
def gpu():
    return load_on_simulator("minidl.kernels.im2col.gpu", "minidl.kernels.pool.gpu")


@pytest.mark.parametrize("case", IM2COL_CASES, ids=lambda c: c.name)
def test_im2col(gpu, case):
    args, kwargs = case.make(np.random.default_rng(0))
    got = gpu[0].im2col(*args, **kwargs)
    np.testing.assert_array_equal(got, conv_reference.im2col(*args))
    assert got.dtype == args[0].dtype


@pytest.mark.parametrize("case", COL2IM_CASES, ids=lambda c: c.name)
def test_col2im(gpu, case):
    args, _ = case.make(np.random.default_rng(0))
    got = gpu[0].col2im(*args)
    want = conv_reference.col2im(*args)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", MAX_POOL_CASES, ids=lambda c: c.name)
def test_max_pool2d(gpu, case):
    args, _ = case.make(np.random.default_rng(0))
    out, idx = gpu[1].max_pool2d(*args)
    want_out, want_idx = pool_reference.max_pool2d(*args)
    assert out.dtype == want_out.dtype and idx.dtype == np.int64
    np.testing.assert_array_equal(idx, want_idx)
    np.testing.assert_array_equal(out, want_out)


@pytest.mark.parametrize("case", MAX_POOL_BACKWARD_CASES, ids=lambda c: c.name)
def test_max_pool2d_backward(gpu, case):
    args, _ = case.make(np.random.default_rng(0))
    got = gpu[1].max_pool2d_backward(*args)  # atomics: repeated indices add up in any order
    want = pool_reference.max_pool2d_backward(*args)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", MAX_UNPOOL_CASES, ids=lambda c: c.name)
def test_max_unpool2d(gpu, case):
    args, _ = case.make(np.random.default_rng(0))
    got = gpu[1].max_unpool2d(*args)  # atomic max of the sender: the last value stays
    want = pool_reference.max_unpool2d(*args)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


def test_empty_inputs_launch_nothing(gpu):
    im2col, pool = gpu
    assert im2col.im2col(np.zeros((0, 2, 4, 4)), 3, 3, 1, 1, 0, 0, 1, 1).shape == (2, 3, 3, 0, 2, 2)
    assert pool.max_pool2d(np.zeros((0, 2, 4, 4)), 2, 2, 2, 2, 0, 0)[0].shape == (0, 2, 2, 2)
    empty = np.zeros((0, 2, 2, 2)), np.zeros((0, 2, 2, 2), int), 4, 4
    assert pool.max_pool2d_backward(*empty).shape == (0, 2, 4, 4)
    assert pool.max_unpool2d(np.zeros((0, 2, 2, 2)), np.zeros((0, 2, 2, 2), int), 4, 4).shape == (
        0,
        2,
        4,
        4,
    )
