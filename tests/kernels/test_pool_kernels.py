"""max_pool2d / max_unpool2d kernels: cpu == reference (ties, NaN, -inf, padding, odd,
strided, non-contiguous), the reference == PyTorch's indices, unpooling sums repeats and
is the adjoint of the gather."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minidl.kernels.pool import cpu, reference
from minidl.lab.spec import noncontiguous
from minidl.lab.specs_pool import MAX_POOL_CASES, MAX_UNPOOL_CASES

IMPLS = {"cpu": cpu}


@pytest.fixture(params=["serial", "parallel"], autouse=True)
def driver(request, monkeypatch):
    """Run every test on both Numba drivers (the size threshold otherwise picks serial here)."""
    threshold = 0 if request.param == "parallel" else 2**62
    monkeypatch.setattr(cpu, "PARALLEL_MIN_WORK", threshold)


@st.composite
def geometries(draw, max_side=9):
    """(x_shape, (KH, KW, SH, SW, PH, PW)) with padding <= kernel // 2 and an output."""
    N, C = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    per_axis = []
    for _ in range(2):
        K, S = draw(st.integers(1, 4)), draw(st.integers(1, 4))
        P = draw(st.integers(0, K // 2))
        per_axis.append((K, S, P, draw(st.integers(max(1, K - 2 * P), K + max_side))))
    (KH, SH, PH, H), (KW, SW, PW, W) = per_axis
    return (N, C, H, W), (KH, KW, SH, SW, PH, PW)


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
@pytest.mark.parametrize("case", MAX_UNPOOL_CASES, ids=lambda c: c.name)
def test_max_unpool_equals_reference_on_edge_cases(impl, case):
    args, _ = case.make(np.random.default_rng(0))
    want = reference.max_unpool2d(*args)
    got = IMPLS[impl].max_unpool2d(*args)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


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
        IMPLS[impl].max_unpool2d(values, idx, *x_shape[2:]),
        reference.max_unpool2d(values, idx, *x_shape[2:]),
        rtol=1e-12,
    )


@given(geometry=geometries(), ties=st.booleans(), seed=st.integers(0, 99))
def test_reference_indices_equal_torch(geometry, ties, seed, torch):
    x_shape, (KH, KW, SH, SW, PH, PW) = geometry
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, x_shape).astype(float) if ties else rng.standard_normal(x_shape)
    out, idx = reference.max_pool2d(x, KH, KW, SH, SW, PH, PW)
    t_out, t_idx = torch.nn.functional.max_pool2d(
        torch.tensor(x), (KH, KW), (SH, SW), (PH, PW), return_indices=True
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
def test_unpool_sums_repeated_indices(impl):
    x = np.array([[[[1.0, 2.0], [4.0, 8.0]]]])
    indices = np.array([[[[3, 3], [0, 3]]]])
    out = impl.max_unpool2d(x, indices, 2, 2)
    np.testing.assert_array_equal(out, [[[[4.0, 0.0], [0.0, 11.0]]]])


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
    v = rng.standard_normal(out.shape)
    N, C = x_shape[:2]
    gathered = np.take_along_axis(x.reshape(N, C, -1), idx.reshape(N, C, -1), 2)
    np.testing.assert_array_equal(gathered.reshape(out.shape), out)
    lhs, rhs = np.vdot(gathered, v), np.vdot(x, cpu.max_unpool2d(v, idx, *x_shape[2:]))
    assert lhs == pytest.approx(rhs, rel=1e-10, abs=1e-10)
