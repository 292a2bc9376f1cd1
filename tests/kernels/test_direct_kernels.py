"""The direct 3x3 conv kernels (conv2d_direct and its weight gradient): cpu equals the NumPy
reference on the lab's edge cases, and both equal PyTorch on drawn geometries."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minidl import config
from minidl.kernels.direct import cpu, reference
from minidl.kernels.direct.spec import DIRECT_CASES, DIRECT_GRAD_CASES
from minidl.kernels.spec import noncontiguous


@pytest.fixture(params=["serial", "parallel"], autouse=True)
def driver(request):
    """Run every test on both compiled forms of each loop (small inputs pick serial)."""
    with config.parallel(request.param):
        yield


@pytest.mark.parametrize("case", DIRECT_CASES, ids=lambda c: c.name)
def test_conv2d_direct_equals_reference_on_edge_cases(case):
    args, _ = case.make(np.random.default_rng(0))
    want, got = reference.conv2d_direct(*args), cpu.conv2d_direct(*args)
    assert got.shape == want.shape and got.dtype == want.dtype
    tol = 1e-5 if want.dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


@pytest.mark.parametrize("case", DIRECT_GRAD_CASES, ids=lambda c: c.name)
def test_conv2d_direct_weight_grad_equals_reference_on_edge_cases(case):
    args, _ = case.make(np.random.default_rng(0))
    for got, want in zip(
        cpu.conv2d_direct_weight_grad(*args), reference.conv2d_direct_weight_grad(*args)
    ):
        assert got.shape == want.shape and got.dtype == want.dtype
        tol = 1e-4 if want.dtype == np.float32 else 1e-11
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


@given(
    N=st.integers(1, 3),
    C=st.integers(1, 3),
    C_out=st.integers(1, 4),
    pad=st.tuples(st.integers(0, 3), st.integers(0, 3)),
    size=st.tuples(st.integers(1, 11), st.integers(1, 11)),
    strided=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_conv2d_direct_matches_torch_on_drawn_geometries(
    N, C, C_out, pad, size, strided, seed, torch
):
    H, W = (max(s, 3 - 2 * p) for s, p in zip(size, pad))  # at least one output pixel
    rng = np.random.default_rng(seed)
    x, w, b = rng.standard_normal((N, C, H, W)), rng.standard_normal((C_out, C, 3, 3)), None
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    y = torch.nn.functional.conv2d(xt, wt, padding=pad)
    dy = rng.standard_normal(y.shape)
    y.backward(torch.tensor(dy))
    x_in = noncontiguous(x) if strided else x
    np.testing.assert_allclose(cpu.conv2d_direct(x_in, w, *pad, b), y.detach().numpy(), atol=1e-12)
    dw, db = cpu.conv2d_direct_weight_grad(x_in, dy, 3, 3, *pad)
    np.testing.assert_allclose(dw, wt.grad.numpy(), rtol=1e-10, atol=1e-11)
    np.testing.assert_allclose(db, dy.sum(axis=(0, 2, 3)), rtol=1e-10, atol=1e-11)


def test_conv2d_direct_cpu_refuses_other_kernel_sizes():
    """Its loops read a 3x3 window: a larger kernel would read past the rows it was given."""
    x, w = np.zeros((1, 1, 6, 6)), np.zeros((2, 1, 5, 5))
    with pytest.raises(ValueError, match=r"conv2d_direct \(cpu\): only 3x3 kernels, got \(5, 5\)"):
        cpu.conv2d_direct(x, w, 0, 0)
    with pytest.raises(ValueError, match="only 3x3 kernels"):
        cpu.conv2d_direct_weight_grad(x, np.zeros((1, 2, 2, 2)), 5, 5, 0, 0)
