"""im2col / col2im kernels: the cpu kernel equals the NumPy reference, and col2im is the
adjoint of im2col, on the lab's edge cases and on hypothesis-drawn geometries (odd,
non-square, strided, padded, dilated, non-contiguous)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minidl import config
from minidl.kernels.im2col import cpu, reference
from minidl.kernels.im2col.spec import COL2IM_CASES, IM2COL_CASES
from minidl.kernels.spec import noncontiguous

IMPLS = {"cpu": cpu}


@pytest.fixture(params=["serial", "parallel"], autouse=True)
def driver(request):
    """Run every test on both compiled forms of each loop (small inputs pick serial)."""
    with config.parallel(request.param):
        yield


@st.composite
def geometries(draw, max_side=9):
    """(x_shape, (KH, KW, SH, SW, PH, PW, DH, DW)) with at least one output per axis."""
    N, C = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    geometry, size = [], []
    for _ in range(2):  # per axis: kernel, stride, padding, dilation, then a size that fits
        K, S, P, D = (draw(st.integers(lo, hi)) for lo, hi in ((1, 4), (1, 4), (0, 2), (1, 3)))
        span = D * (K - 1) + 1
        size.append(draw(st.integers(max(1, span - 2 * P), max(1, span - 2 * P) + max_side)))
        geometry.append((K, S, P, D))
    (KH, SH, PH, DH), (KW, SW, PW, DW) = geometry
    return (N, C, *size), (KH, KW, SH, SW, PH, PW, DH, DW)


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("case", IM2COL_CASES, ids=lambda c: c.name)
def test_im2col_equals_reference_on_edge_cases(impl, case):
    args, kwargs = case.make(np.random.default_rng(0))
    want = reference.im2col(*args)
    got = IMPLS[impl].im2col(*args, **kwargs)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)  # copies: bit for bit
    if "out" in kwargs:
        assert got is kwargs["out"]


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("case", COL2IM_CASES, ids=lambda c: c.name)
def test_col2im_equals_reference_on_edge_cases(impl, case):
    args, _ = case.make(np.random.default_rng(0))
    want = reference.col2im(*args)
    got = IMPLS[impl].col2im(*args)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("impl", IMPLS)
@given(geometry=geometries(), strided=st.booleans(), seed=st.integers(0, 2**16))
def test_cpu_equals_reference_on_drawn_geometries(impl, geometry, strided, seed):
    x_shape, g = geometry
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape)
    x_in = noncontiguous(x) if strided else x
    cols = IMPLS[impl].im2col(x_in, *g)
    np.testing.assert_array_equal(cols, reference.im2col(x, *g))
    dcols = rng.standard_normal(cols.shape)
    dcols_in = noncontiguous(dcols) if strided else dcols
    np.testing.assert_allclose(
        IMPLS[impl].col2im(dcols_in, x_shape, *g), reference.col2im(dcols, x_shape, *g), 1e-12
    )


@given(geometry=geometries(), seed=st.integers(0, 2**16))
def test_col2im_is_the_adjoint_of_im2col(geometry, seed):
    """<im2col(x), c> = <x, col2im(c)>: what makes col2im the backward of im2col."""
    x_shape, g = geometry
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape)
    cols = reference.im2col(x, *g)
    c = rng.standard_normal(cols.shape)
    lhs, rhs = np.vdot(cols, c), np.vdot(x, reference.col2im(c, x_shape, *g))
    assert lhs == pytest.approx(rhs, rel=1e-10, abs=1e-10)


def test_im2col_layout_is_documented_one():
    """cols[c, kh, kw, n, oh, ow] = x_padded[n, c, oh*SH + kh*DH, ow*SW + kw*DW]."""
    x = np.arange(2 * 3 * 6 * 7, dtype=np.float64).reshape(2, 3, 6, 7)
    KH, KW, SH, SW, PH, PW, DH, DW = 2, 3, 2, 1, 1, 0, 2, 1
    cols = cpu.im2col(x, KH, KW, SH, SW, PH, PW, DH, DW)
    x_pad = np.pad(x, ((0, 0), (0, 0), (PH, PH), (PW, PW)))
    C, _, _, N, OH, OW = cols.shape
    for c, kh, kw, n, oh, ow in np.ndindex(cols.shape):
        assert cols[c, kh, kw, n, oh, ow] == x_pad[n, c, oh * SH + kh * DH, ow * SW + kw * DW]


def test_float32_stays_float32():
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 6)).astype(np.float32)
    cols = cpu.im2col(x, 3, 3, 1, 1, 1, 1, 1, 1)
    assert cols.dtype == np.float32
    assert cpu.col2im(cols, x.shape, 3, 3, 1, 1, 1, 1, 1, 1).dtype == np.float32
