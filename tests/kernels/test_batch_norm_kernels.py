"""Batch-norm kernels (minidl/kernels/batch_norm/): the cpu loops agree with the reference on
the lab's cases and on drawn shapes, in both compiled forms; the reference agrees with
PyTorch; F.batch_norm runs the kernels."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl as md
import minidl.nn.functional as F
from minidl import config, profiler
from minidl.kernels.batch_norm import cpu, reference
from minidl.kernels.batch_norm.spec import SPECS
from minidl.kernels.spec import compare, noncontiguous


@pytest.fixture(params=["serial", "parallel"], autouse=True)
def driver(request):
    with config.parallel(request.param):
        yield


def _tuple(v):
    return v if isinstance(v, tuple) else (v,)


@pytest.mark.parametrize(
    "kernel, case",
    [(k, c) for k in sorted(SPECS) for c in SPECS[k].cases],
    ids=lambda v: getattr(v, "name", v),
)
def test_cpu_agrees_with_the_reference(kernel, case):
    args, kwargs = case.make(np.random.default_rng(0))
    want = _tuple(getattr(reference, kernel)(*args))
    got = _tuple(getattr(cpu, kernel)(*args, **kwargs))
    assert len(got) == len(want)
    for name, g, w in zip(SPECS[kernel].outputs, got, want):
        assert g.dtype == w.dtype, name
        assert compare(f"{kernel} {name}", g, w, exact=False) is None


@settings(max_examples=40, deadline=None)
@given(
    shape=st.lists(st.integers(1, 7), min_size=2, max_size=5).map(tuple),
    dtype=st.sampled_from([np.float32, np.float64]),
    strided=st.booleans(),
    training=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_cpu_agrees_with_the_reference_on_drawn_shapes(shape, dtype, strided, training, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    view = noncontiguous(x) if strided else x
    C = shape[1]
    mean, var = cpu.batch_norm_stats(view)
    for g, w in zip((mean, var), reference.batch_norm_stats(x)):
        assert compare("batch_norm_stats", g, w, exact=False) is None
    inv_std = (1 / np.sqrt(var + 1e-5)).astype(dtype)
    w, b = rng.standard_normal(C).astype(dtype), rng.standard_normal(C).astype(dtype)
    got = cpu.batch_norm_apply(view, mean, inv_std, w, b)
    assert compare("batch_norm_apply", got, reference.batch_norm_apply(x, mean, inv_std, w, b),
                   exact=False) is None  # fmt: skip
    dy = rng.standard_normal(shape).astype(dtype)
    got = cpu.batch_norm_backward(dy, view, mean, inv_std, w, training)
    want = reference.batch_norm_backward(dy, x, mean, inv_std, w, training)
    for g, e in zip(got, want):
        # float32 sums of a few hundred terms: the float64 accumulation differs in the last bits
        tol = 2e-4 if dtype == np.float32 else 1e-9
        np.testing.assert_allclose(g, e, rtol=tol, atol=tol)


def test_the_reference_follows_pytorch(torch):
    rng = np.random.default_rng(3)
    x, dy = rng.standard_normal((3, 4, 5, 6)), rng.standard_normal((3, 4, 5, 6))
    w, b = rng.standard_normal(4), rng.standard_normal(4)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    torch.nn.functional.batch_norm(tx, None, None, tw, tb, training=True).backward(torch.tensor(dy))
    mean, var = reference.batch_norm_stats(x)
    inv_std = 1 / np.sqrt(var + 1e-5)
    y = reference.batch_norm_apply(x, mean, inv_std, w, b)
    ty = torch.nn.functional.batch_norm(torch.tensor(x), None, None, torch.tensor(w),
                                        torch.tensor(b), training=True)  # fmt: skip
    np.testing.assert_allclose(y, ty.numpy(), rtol=1e-10, atol=1e-12)
    dx, dw, db = reference.batch_norm_backward(dy, x, mean, inv_std, w, True)
    for got, want in ((dx, tx.grad), (dw, tw.grad), (db, tb.grad)):
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-9, atol=1e-10)


def test_the_op_runs_the_kernels():
    x = md.tensor(np.random.default_rng(0).standard_normal((2, 3, 4, 4)), requires_grad=True)
    with profiler.profile() as prof:
        F.batch_norm(x, None, None, training=True).sum().backward()
    notes = " ".join(note for row in prof.summary() for note in row["notes"])
    for kernel in SPECS:
        assert f"{kernel}:cpu" in notes, notes
