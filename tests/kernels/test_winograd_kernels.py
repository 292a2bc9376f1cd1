"""Winograd F(2x2, 3x3) kernels: the cpu kernels equal the NumPy reference on the lab's edge
cases and on hypothesis-drawn geometries (odd, non-square, padded, non-contiguous); each
adjoint is the transpose of its transform; and transform -> 16 GEMMs -> transform is a 3x3
convolution (float64: equal to PyTorch's; float32: its error measured against float64)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minidl import config
from minidl.kernels.im2col import reference as im2col_reference
from minidl.kernels.spec import noncontiguous
from minidl.kernels.winograd import cpu, reference
from minidl.kernels.winograd.spec import SPECS

IMPLS = {"cpu": cpu}
KERNELS = sorted(SPECS)


@pytest.fixture(params=["serial", "parallel"], autouse=True)
def driver(request):
    """Run every test on both compiled forms of each loop (small inputs pick serial)."""
    with config.parallel(request.param):
        yield


def _cases():
    return [(k, c) for k in KERNELS for c in SPECS[k].cases]


@pytest.mark.parametrize("kernel, case", _cases(), ids=lambda v: getattr(v, "name", v))
def test_cpu_equals_reference_on_edge_cases(kernel, case):
    args, kwargs = case.make(np.random.default_rng(0))
    want = getattr(reference, kernel)(*args)
    got = getattr(cpu, kernel)(*args, **kwargs)
    assert got.shape == want.shape and got.dtype == want.dtype
    tol = 1e-5 if want.dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
    if "out" in kwargs:
        assert got is kwargs["out"]


@st.composite
def geometries(draw):
    """(x_shape, (PH, PW)) of a 3x3 stride-1 convolution with at least one output pixel."""
    N, C = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    PH, PW = draw(st.integers(0, 3)), draw(st.integers(0, 3))
    H = draw(st.integers(max(1, 3 - 2 * PH), 12))
    W = draw(st.integers(max(1, 3 - 2 * PW), 12))
    return (N, C, H, W), (PH, PW)


def _conv(x, w, PH, PW, impl=reference):
    """y = conv2d(x, w) through the transforms and the 16 GEMMs, as minidl/ops/conv.py does."""
    C_out, C = w.shape[:2]
    V = impl.winograd_input(x, PH, PW)
    U = reference.filter_transform(w)
    M = np.matmul(U.reshape(16, C_out, C), V.reshape(16, C, -1)).reshape(4, 4, C_out, *V.shape[3:])
    return impl.winograd_output(M, x.shape[2] + 2 * PH - 2, x.shape[3] + 2 * PW - 2)


@given(
    geometry=geometries(),
    C_out=st.integers(1, 3),
    strided=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_cpu_equals_reference_on_drawn_geometries(geometry, C_out, strided, seed):
    x_shape, (PH, PW) = geometry
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape)
    V = cpu.winograd_input(noncontiguous(x) if strided else x, PH, PW)
    np.testing.assert_allclose(V, reference.winograd_input(x, PH, PW), atol=1e-12)
    dV = rng.standard_normal(V.shape)
    np.testing.assert_allclose(
        cpu.winograd_input_adjoint(dV, x_shape, PH, PW),
        reference.winograd_input_adjoint(dV, x_shape, PH, PW),
        atol=1e-12,
    )
    M = rng.standard_normal((4, 4, C_out, *V.shape[3:]))
    OH, OW = x_shape[2] + 2 * PH - 2, x_shape[3] + 2 * PW - 2
    b = rng.standard_normal(C_out)
    y = cpu.winograd_output(M, OH, OW, b)
    np.testing.assert_allclose(y, reference.winograd_output(M, OH, OW, b), atol=1e-12)
    dy = rng.standard_normal(y.shape)
    dy_in = noncontiguous(dy) if strided else dy
    np.testing.assert_allclose(
        cpu.winograd_output_adjoint(dy_in), reference.winograd_output_adjoint(dy), atol=1e-12
    )


@given(geometry=geometries(), seed=st.integers(0, 2**16))
def test_adjoints_are_the_transposes(geometry, seed):
    """<T(a), b> = <a, T^*(b)> for the input, output and filter transforms: what makes the
    backward of the Winograd convolution right."""
    x_shape, (PH, PW) = geometry
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape)
    V = reference.winograd_input(x, PH, PW)
    dV = rng.standard_normal(V.shape)
    lhs, rhs = np.vdot(V, dV), np.vdot(x, reference.winograd_input_adjoint(dV, x_shape, PH, PW))
    assert lhs == pytest.approx(rhs, rel=1e-10, abs=1e-10)
    M = rng.standard_normal((4, 4, 2, *V.shape[3:]))
    y = reference.winograd_output(M, x_shape[2] + 2 * PH - 2, x_shape[3] + 2 * PW - 2)
    dy = rng.standard_normal(y.shape)
    lhs, rhs = np.vdot(y, dy), np.vdot(M, reference.winograd_output_adjoint(dy))
    assert lhs == pytest.approx(rhs, rel=1e-10, abs=1e-10)
    w, dU = rng.standard_normal((2, x_shape[1], 3, 3)), rng.standard_normal((4, 4, 2, x_shape[1]))
    lhs = np.vdot(reference.filter_transform(w), dU)
    assert lhs == pytest.approx(np.vdot(w, reference.filter_transform_adjoint(dU)), rel=1e-10)


@pytest.mark.parametrize("impl", [reference, cpu], ids=["reference", "cpu"])
@given(geometry=geometries(), seed=st.integers(0, 2**16))
def test_the_transforms_and_gemms_are_a_convolution(impl, geometry, seed, torch):
    x_shape, (PH, PW) = geometry
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal(x_shape), rng.standard_normal((3, x_shape[1], 3, 3))
    want = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), padding=(PH, PW))
    np.testing.assert_allclose(_conv(x, w, PH, PW, impl), want.numpy(), rtol=1e-10, atol=1e-12)


def test_float32_error_is_measured_and_small():
    """Winograd adds and subtracts tile values before multiplying, so float32 may round a
    little more than a direct sum. F(2x2, 3x3) only uses 0, +-1 and +-1/2: on this
    64-channel layer its largest error, relative to the largest output, was 3.1e-7 against
    im2col + GEMM's 5.3e-7 (float32, against float64); the bound leaves room for other BLAS
    builds. (F(4x4, 3x3), with its 1/24, 8 and 5, measured 6e-6 on a similar layer.)"""
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 64, 20, 20)), rng.standard_normal((64, 64, 3, 3)) / 24
    exact = _conv(x, w, 1, 1)  # float64
    x32, w32 = x.astype(np.float32), w.astype(np.float32)
    winograd = _conv(x32, w32, 1, 1, cpu)
    cols = im2col_reference.im2col(x32, 3, 3, 1, 1, 1, 1, 1, 1).reshape(64 * 9, -1)
    gemm = (w32.reshape(64, -1) @ cols).reshape(64, 2, 20, 20).transpose(1, 0, 2, 3)
    scale = np.abs(exact).max()
    err_winograd = np.abs(winograd - exact).max() / scale
    err_gemm = np.abs(gemm - exact).max() / scale
    assert winograd.dtype == np.float32
    assert err_winograd < 4 * err_gemm + 1e-7, (err_winograd, err_gemm)
