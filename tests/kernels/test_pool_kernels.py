"""max_pool2d / max_pool2d_backward / max_unpool2d kernels: cpu == reference (ties, NaN,
-inf, padding, dilation, ceil_mode, odd, strided, non-contiguous), the reference == PyTorch's
values and indices, the backward sums repeats and is the adjoint of the gather, unpooling
writes once, and the lab rejects kernels that ignore the new options."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl as md
from minidl import config
from minidl.kernels.pool import cpu, reference
from minidl.kernels.pool.spec import MAX_POOL_BACKWARD_CASES, MAX_POOL_CASES, MAX_UNPOOL_CASES
from minidl.kernels.spec import noncontiguous

IMPLS = {"cpu": cpu}


@pytest.fixture(params=["serial", "parallel"], autouse=True)
def driver(request):
    """Run every test on both compiled forms of each loop (small inputs pick serial)."""
    with config.parallel(request.param):
        yield


@st.composite
def geometries(draw, max_side=9):
    """(x_shape, (KH, KW, SH, SW, PH, PW, DH, DW, ceil_mode)) with padding <= kernel // 2 and
    an output (a dilated window may miss every real pixel: the kernels must agree there too)."""
    N, C = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    ceil = draw(st.booleans())
    per_axis = []
    for _ in range(2):
        K, S, D = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 3))
        P = draw(st.integers(0, K // 2))
        span = D * (K - 1) + 1
        per_axis.append((K, S, P, D, draw(st.integers(max(1, span - 2 * P), span + max_side))))
    (KH, SH, PH, DH, H), (KW, SW, PW, DW, W) = per_axis
    return (N, C, H, W), (KH, KW, SH, SW, PH, PW, DH, DW, ceil)


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("case", MAX_POOL_CASES, ids=lambda c: c.name)
def test_max_pool_equals_reference_on_edge_cases(impl, case):
    args, _ = case.make(np.random.default_rng(0))
    want_out, want_idx = reference.max_pool2d(*args)
    out, idx = IMPLS[impl].max_pool2d(*args)
    assert out.dtype == want_out.dtype and idx.dtype == np.int64
    np.testing.assert_array_equal(out, want_out)  # NaNs compare equal here
    np.testing.assert_array_equal(idx, want_idx)


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("case", MAX_POOL_BACKWARD_CASES, ids=lambda c: c.name)
def test_max_pool_backward_equals_reference_on_edge_cases(impl, case):
    args, _ = case.make(np.random.default_rng(0))
    want = reference.max_pool2d_backward(*args)
    got = IMPLS[impl].max_pool2d_backward(*args)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("case", MAX_UNPOOL_CASES, ids=lambda c: c.name)
def test_max_unpool_equals_reference_on_edge_cases(impl, case):
    args, _ = case.make(np.random.default_rng(0))
    want = reference.max_unpool2d(*args)
    got = IMPLS[impl].max_unpool2d(*args)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)  # copies: bit for bit


@pytest.mark.parametrize("impl", IMPLS)
@given(geometry=geometries(), ties=st.booleans(), strided=st.booleans(), seed=st.integers(0, 99))
def test_cpu_equals_reference_on_drawn_geometries(impl, geometry, ties, strided, seed):
    x_shape, g = geometry
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, x_shape).astype(float) if ties else rng.standard_normal(x_shape)
    out, idx = IMPLS[impl].max_pool2d(noncontiguous(x) if strided else x, *g)
    want_out, want_idx = reference.max_pool2d(x, *g)
    np.testing.assert_array_equal(idx, want_idx)
    np.testing.assert_array_equal(out, want_out)
    values = rng.standard_normal(out.shape)
    np.testing.assert_allclose(
        IMPLS[impl].max_pool2d_backward(values, idx, *x_shape[2:]),
        reference.max_pool2d_backward(values, idx, *x_shape[2:]),
        rtol=1e-12,
    )
    inside = (idx < x_shape[2] * x_shape[3]).all()  # unpooling needs offsets in the plane
    if inside:
        np.testing.assert_array_equal(
            IMPLS[impl].max_unpool2d(values, idx, *x_shape[2:]),
            reference.max_unpool2d(values, idx, *x_shape[2:]),
        )


@given(geometry=geometries(), ties=st.booleans(), seed=st.integers(0, 99))
def test_reference_indices_equal_torch(geometry, ties, seed, torch):
    x_shape, (KH, KW, SH, SW, PH, PW, DH, DW, ceil) = geometry
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, x_shape).astype(float) if ties else rng.standard_normal(x_shape)
    out, idx = reference.max_pool2d(x, KH, KW, SH, SW, PH, PW, DH, DW, ceil)
    t_out, t_idx = torch.nn.functional.max_pool2d(
        torch.tensor(x), (KH, KW), (SH, SW), (PH, PW), (DH, DW), ceil, return_indices=True
    )
    np.testing.assert_array_equal(idx, t_idx.numpy())
    np.testing.assert_array_equal(out, t_out.numpy())


def test_nan_and_minus_inf_follow_torch(torch):
    x = np.array([[[[1.0, np.nan, 3.0], [np.nan, -np.inf, 2.0], [-np.inf, -np.inf, 0.0]]]])
    for impl in (reference, cpu):
        out, idx = impl.max_pool2d(x, 2, 2, 1, 1, 1, 1)
        t_out, t_idx = torch.nn.functional.max_pool2d(torch.tensor(x), 2, 1, 1, return_indices=True)
        np.testing.assert_array_equal(idx, t_idx.numpy())
        np.testing.assert_array_equal(out, t_out.numpy())


@pytest.mark.parametrize("impl", [reference, cpu], ids=["reference", "cpu"])
def test_backward_sums_repeated_indices_and_unpool_keeps_the_last(impl):
    x = np.array([[[[1.0, 2.0], [4.0, 8.0]]]])
    indices = np.array([[[[3, 3], [0, 3]]]])
    np.testing.assert_array_equal(
        impl.max_pool2d_backward(x, indices, 2, 2), [[[[4.0, 0.0], [0.0, 11.0]]]]
    )
    np.testing.assert_array_equal(impl.max_unpool2d(x, indices, 2, 2), [[[[4.0, 0.0], [0.0, 8.0]]]])


@pytest.mark.parametrize("impl", [reference, cpu], ids=["reference", "cpu"])
def test_a_window_without_a_real_pixel_is_minus_inf_at_torchs_offset(impl, torch):
    """2x2 input, kernel 2 dilated 3, padding 1: the taps at -1 and 2 both miss the input."""
    x = np.arange(4.0).reshape(1, 1, 2, 2)
    out, idx = impl.max_pool2d(x, 2, 2, 1, 1, 1, 1, 3, 3, False)
    t_out, t_idx = torch.nn.functional.max_pool2d(torch.tensor(x), 2, 1, 1, 3, return_indices=True)
    np.testing.assert_array_equal(out, t_out.numpy())
    np.testing.assert_array_equal(idx, t_idx.numpy())
    assert out[0, 0, 0, 0] == -np.inf and idx[0, 0, 0, 0] == 6  # outside the 4-pixel plane
    np.testing.assert_array_equal(impl.max_pool2d_backward(np.ones((1, 1, 1, 1)), idx, 2, 2), 0)


@pytest.mark.parametrize("impl", [reference, cpu], ids=["reference", "cpu"])
@pytest.mark.parametrize("bad", [-1, 12])
def test_unpool_rejects_indices_outside_the_plane(impl, bad):
    indices = np.zeros((1, 1, 2, 2), np.int64)
    indices[0, 0, 1, 0] = bad
    with pytest.raises(IndexError, match="max_unpool2d"):
        impl.max_unpool2d(np.ones((1, 1, 2, 2)), indices, 3, 4)


@given(geometry=geometries(), seed=st.integers(0, 99))
def test_unpool_is_the_adjoint_of_the_gather(geometry, seed):
    """<x.flat[idx], v> = <x, unpool(v, idx)>: what makes unpooling max-pool's backward."""
    x_shape, g = geometry
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape)
    out, idx = cpu.max_pool2d(x, *g)
    N, C, H, W = x_shape
    real = idx < H * W  # a dilated window may miss the input: -inf, and nothing to send back
    v = rng.standard_normal(out.shape) * real
    flat = np.concatenate([x.reshape(N, C, -1), np.full((N, C, 1), -np.inf)], axis=2)
    gathered = np.take_along_axis(flat, np.minimum(idx, H * W).reshape(N, C, -1), 2)
    np.testing.assert_array_equal(gathered.reshape(out.shape), out)
    lhs = np.vdot(np.where(real, gathered.reshape(out.shape), 0), v)
    rhs = np.vdot(x, cpu.max_pool2d_backward(v, idx, H, W))
    assert lhs == pytest.approx(rhs, rel=1e-10, abs=1e-10)


# ---- the lab catches kernels that ignore the new options -------------------------------------


def _ignores_dilation(x, KH, KW, SH, SW, PH, PW, DH=1, DW=1, ceil_mode=False):
    return reference.max_pool2d(x, KH, KW, SH, SW, PH, PW, 1, 1, ceil_mode)


def _ignores_ceil_mode(x, KH, KW, SH, SW, PH, PW, DH=1, DW=1, ceil_mode=False):
    return reference.max_pool2d(x, KH, KW, SH, SW, PH, PW, DH, DW, False)


def _old_signature(x, KH, KW, SH, SW, PH, PW):
    return reference.max_pool2d(x, KH, KW, SH, SW, PH, PW)


@pytest.mark.parametrize("wrong", [_ignores_dilation, _ignores_ceil_mode, _old_signature])
def test_the_lab_rejects_a_max_pool_that_ignores_dilation_or_ceil_mode(wrong):
    report = md.kernels.check("max_pool2d", wrong, bench=False, gradcheck=False, verbose=False)
    assert not report.ok
    failed = [name for name, err in report.cases if err is not None]
    assert failed and all("dilat" in name or "ceil_mode" in name for name in failed), failed


def test_the_lab_rejects_a_summing_unpool_and_a_writing_backward():
    summing = md.kernels.check(
        "max_unpool2d", reference.max_pool2d_backward, bench=False, gradcheck=False, verbose=False
    )
    assert not summing.ok
    writing = md.kernels.check(
        "max_pool2d_backward", reference.max_unpool2d, bench=False, gradcheck=False, verbose=False
    )
    assert not writing.ok
