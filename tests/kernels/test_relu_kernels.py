"""ReLU kernels (minidl/kernels/relu/): the cpu loops equal the reference bit for bit on the
lab's cases and on drawn shapes and layouts, in both compiled forms; the reference follows
PyTorch's NaN, -0.0 and kink rules; and the op F.relu runs them."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl as md
from minidl import config
from minidl.kernels.relu import cpu, reference
from minidl.kernels.relu.spec import SPECIAL, SPECS
from minidl.kernels.spec import compare, noncontiguous


@pytest.fixture(params=["serial", "parallel"], autouse=True)
def driver(request):
    with config.parallel(request.param):
        yield


@pytest.mark.parametrize(
    "kernel, case",
    [(k, c) for k in sorted(SPECS) for c in SPECS[k].cases],
    ids=lambda v: getattr(v, "name", v),
)
def test_cpu_equals_reference_bit_for_bit(kernel, case):
    args, kwargs = case.make(np.random.default_rng(0))
    want = getattr(reference, kernel)(*args)
    got = getattr(cpu, kernel)(*args, **kwargs)
    assert compare(kernel, got, want, exact=True) is None
    for given_out in kwargs.values():
        assert got is given_out


@given(
    shape=st.lists(st.integers(0, 9), min_size=0, max_size=4).map(tuple),
    dtype=st.sampled_from([np.float32, np.float64]),
    strided=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_cpu_equals_reference_on_drawn_shapes(shape, dtype, strided, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    if x.size:
        x.reshape(-1)[:: max(1, x.size // 5)] = rng.choice(
            SPECIAL, len(x.reshape(-1)[:: max(1, x.size // 5)])
        )
    view = noncontiguous(x) if strided and x.ndim else x
    out = cpu.relu(view)
    assert compare("relu", out, reference.relu(x), exact=True) is None
    grad = rng.standard_normal(shape).astype(dtype)
    gview = noncontiguous(grad) if strided and grad.ndim else grad
    got = cpu.relu_backward(gview, out)
    assert compare("relu_backward", got, reference.relu_backward(grad, out), exact=True) is None


def test_reference_follows_pytorch(torch):
    x = SPECIAL.copy()
    want = torch.relu(torch.from_numpy(x)).numpy()
    got = reference.relu(x)
    assert compare("relu", got, want, exact=True) is None
    assert np.signbit(got[1])  # -0.0 stays -0.0, as torch.relu gives
    tx = torch.from_numpy(x).requires_grad_()
    torch.relu(tx).backward(torch.ones_like(tx))
    g = reference.relu_backward(np.ones_like(x), got)
    assert compare("relu_backward", g, tx.grad.numpy(), exact=True) is None


def test_in_place_forward_writes_into_its_input():
    x = np.random.default_rng(1).standard_normal((4, 16, 70, 70)).astype(np.float32)
    want = reference.relu(x)
    assert cpu.relu(x, out=x) is x
    np.testing.assert_array_equal(x, want)


def test_the_op_runs_the_kernels(torch):
    x = np.random.default_rng(2).standard_normal((2, 3, 4, 5)).astype(np.float32)
    x.reshape(-1)[:3] = [np.nan, -0.0, 0.0]
    t = md.tensor(x, requires_grad=True)
    with md.profiler.profile() as prof:
        y = md.nn.functional.relu(t)
        y.backward(md.ones_like(y))
    notes = {n for e in prof.events for n in e.notes}
    assert {"relu:cpu", "relu_backward:cpu"} <= notes
    tx = torch.from_numpy(x).requires_grad_()
    ty = torch.relu(tx)
    ty.backward(torch.ones_like(ty))
    assert compare("relu", y.numpy(), ty.detach().numpy(), exact=True) is None
    assert compare("relu grad", np.asarray(t.grad), tx.grad.numpy(), exact=True) is None
