"""minidl.gemm.matmul: a product split over threads equals NumPy's, on every way of
splitting (batch, columns, rows), with broadcasting, ``out=`` and strided views."""

from __future__ import annotations

import numpy as np
import pytest

import minidl as md
from minidl import gemm

CASES = {
    "batch split": ((16, 64, 64), (16, 64, 3364)),
    "columns split": ((64, 576), (576, 13456)),
    "rows split (few columns)": ((3000, 500), (500, 40)),
    "a broadcast over b's batch": ((64, 70), (5, 70, 900)),
    "batch of 1 broadcast": ((1, 64, 700), (5, 700, 900)),
    "two batch axes": ((4, 3, 64, 700), (700, 900)),
    "odd sizes": ((3, 97, 1031), (3, 1031, 1013)),
    "small (not split)": ((7, 9), (9, 5)),
    "vector": ((700,), (700, 900)),
}


@pytest.fixture
def two_parts(monkeypatch):
    """Split into two parts whatever the machine or environment says."""
    monkeypatch.setattr(gemm.blas_threads, "gemm_threads", lambda: 2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", CASES)
def test_matmul_equals_numpy(two_parts, name, dtype):
    rng = np.random.default_rng(0)
    sa, sb = CASES[name]
    a, b = rng.standard_normal(sa).astype(dtype), rng.standard_normal(sb).astype(dtype)
    got, want = gemm.matmul(a, b), np.matmul(a, b)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_each_way_of_splitting_is_taken(two_parts):
    a, b = np.ones((16, 64, 64)), np.ones((16, 64, 3364))
    out = np.empty((16, 64, 3364))
    assert [p[2].shape for p in gemm._parts(a, b, out, 2)] == [(8, 64, 3364)] * 2
    out = np.empty((64, 13456))
    parts = gemm._parts(np.ones((64, 576)), np.ones((576, 13456)), out, 2)
    assert [p[2].shape for p in parts] == [(64, 6728)] * 2
    out = np.empty((3000, 40))
    parts = gemm._parts(np.ones((3000, 500)), np.ones((500, 40)), out, 2)
    assert [p[2].shape for p in parts] == [(1500, 40)] * 2


def test_out_and_strided_views(two_parts):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((900, 64)).T  # (64, 900), Fortran-ordered view
    b = rng.standard_normal((3000, 900)).T  # (900, 3000)
    out = np.full((3000, 64), np.nan).T  # a strided output
    assert gemm.matmul(a, b, out=out) is out
    np.testing.assert_allclose(out, a @ b, rtol=1e-12)


def test_integers_are_exact(two_parts):
    rng = np.random.default_rng(2)
    a, b = rng.integers(-9, 9, (300, 400)), rng.integers(-9, 9, (400, 700))
    np.testing.assert_array_equal(gemm.matmul(a, b), a @ b)


def test_serial_mode_and_one_thread_split_nothing(monkeypatch):
    monkeypatch.setattr(gemm.blas_threads, "gemm_threads", lambda: 2)
    with md.config.parallel("serial"):
        assert gemm.threads() == 1
    monkeypatch.setattr(gemm.blas_threads, "gemm_threads", lambda: 1)
    assert gemm.threads() == 1

    def no_pool(n):
        raise AssertionError("one thread: nothing goes to the pool")

    monkeypatch.setattr(gemm, "_executor", no_pool)
    a, b = np.ones((64, 576)), np.ones((576, 13456))
    np.testing.assert_array_equal(gemm.matmul(a, b), a @ b)


def test_an_error_in_a_part_reaches_the_caller(two_parts):
    with pytest.raises(ValueError):
        gemm.matmul(np.ones((64, 576)), np.ones((575, 13456)))
