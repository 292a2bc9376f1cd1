"""Optimizer-update kernels (minidl/kernels/optim_update/): the cpu loops equal the reference
bit for bit on the lab's cases and on drawn sizes and hyper-parameters, in both compiled
forms, updating in place; the reference takes torch.optim's steps; and optim.SGD / Adam run
the kernels, a plugged-in one included."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl as md
from minidl import config
from minidl.kernels.optim_update import cpu, reference
from minidl.kernels.optim_update.spec import SPECS
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
def test_cpu_equals_reference_bit_for_bit_in_place(kernel, case):
    want_args, _ = case.make(np.random.default_rng(0))
    args, _ = case.make(np.random.default_rng(0))
    want = getattr(reference, kernel)(*want_args)
    got = getattr(cpu, kernel)(*args)
    for name, g, w, i in zip(SPECS[kernel].outputs, got, want, SPECS[kernel].updates):
        assert g is args[i], f"{name} was not updated in place"
        assert compare(name, g, w, exact=True) is None


@given(
    size=st.integers(0, 300),
    dtype=st.sampled_from([np.float32, np.float64]),
    momentum=st.sampled_from([0.0, 0.5, 0.9]),
    dampening=st.sampled_from([0.0, 0.25]),
    weight_decay=st.sampled_from([0.0, 0.01]),
    nesterov=st.booleans(),
    first=st.booleans(),
    strided=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_sgd_equals_reference_on_drawn_cases(
    size, dtype, momentum, dampening, weight_decay, nesterov, first, strided, seed
):
    nesterov = nesterov and momentum > 0 and dampening == 0
    rng = np.random.default_rng(seed)
    a = [rng.standard_normal(size).astype(dtype) for _ in range(3)]
    b = [x.copy() for x in a]
    grad = noncontiguous(b[1]) if strided else b[1]
    hyper = (0.1, momentum, dampening, weight_decay, nesterov, first)
    bufs = (None, None) if momentum == 0 else (a[2], b[2])
    want = reference.sgd_update(a[0], a[1], bufs[0], *hyper)
    got = cpu.sgd_update(b[0], grad, bufs[1], *hyper)
    assert compare("param", got[0], want[0], exact=True) is None
    if momentum:
        assert compare("momentum_buffer", got[1], want[1], exact=True) is None
    else:
        assert got[1] is None


@given(
    size=st.integers(0, 300),
    dtype=st.sampled_from([np.float32, np.float64]),
    step=st.integers(1, 50),
    betas=st.sampled_from([(0.9, 0.999), (0.5, 0.9)]),
    weight_decay=st.sampled_from([0.0, 0.1]),
    seed=st.integers(0, 2**16),
)
def test_adam_equals_reference_on_drawn_cases(size, dtype, step, betas, weight_decay, seed):
    rng = np.random.default_rng(seed)
    a = [rng.standard_normal(size).astype(dtype) for _ in range(4)]
    a[3] = np.abs(a[3])
    b = [x.copy() for x in a]
    hyper = (1e-2, *betas, 1e-8, weight_decay, step)
    want = reference.adam_update(*a, *hyper)
    got = cpu.adam_update(*b, *hyper)
    for name, g, w in zip(SPECS["adam_update"].outputs, got, want):
        assert compare(name, g, w, exact=True) is None


SGD_TORCH = [
    dict(lr=0.1),
    dict(lr=0.1, momentum=0.9),
    dict(lr=0.1, momentum=0.9, dampening=0.3),
    dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
]
ADAM_TORCH = [dict(lr=0.01), dict(lr=0.1, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.1)]


def _steps_against_torch(torch, ours, theirs, dtype, steps=4):
    """Four steps of our kernel (through ``ours``) and torch.optim on the same gradients."""
    rng = np.random.default_rng(0)
    start = rng.standard_normal(1000).astype(dtype)
    p, tp = start.copy(), torch.nn.Parameter(torch.from_numpy(start.copy()))
    opt = theirs([tp])
    state: dict = {}
    for step in range(1, steps + 1):
        g = rng.standard_normal(1000).astype(dtype)
        ours(p, g, state, step)
        tp.grad = torch.from_numpy(g.copy())
        opt.step()
    rtol = 1e-6 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(p, tp.detach().numpy(), rtol=rtol, atol=rtol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("hyper", SGD_TORCH, ids=str)
@pytest.mark.parametrize("impl", [reference, cpu], ids=["reference", "cpu"])
def test_sgd_takes_torch_optim_steps(torch, impl, hyper, dtype):
    h = dict(momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False) | hyper

    def ours(p, g, state, step):
        first = "buf" not in state
        if h["momentum"] and first:
            state["buf"] = np.empty_like(p)
        buf = state.get("buf")
        impl.sgd_update(p, g, buf, h["lr"], h["momentum"], h["dampening"],
                        h["weight_decay"], h["nesterov"], first)  # fmt: skip

    _steps_against_torch(torch, ours, lambda ps: torch.optim.SGD(ps, **hyper), dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("hyper", ADAM_TORCH, ids=str)
@pytest.mark.parametrize("impl", [reference, cpu], ids=["reference", "cpu"])
def test_adam_takes_torch_optim_steps(torch, impl, hyper, dtype):
    h = dict(betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0) | hyper

    def ours(p, g, state, step):
        m, v = state.setdefault("m", np.zeros_like(p)), state.setdefault("v", np.zeros_like(p))
        impl.adam_update(p, g, m, v, h["lr"], *h["betas"], h["eps"], h["weight_decay"], step)

    _steps_against_torch(torch, ours, lambda ps: torch.optim.Adam(ps, **hyper), dtype)


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_the_optimizers_run_the_kernels_and_take_a_plugged_in_one(name):
    kernel = {"SGD": "sgd_update", "Adam": "adam_update"}[name]
    make = {
        "SGD": lambda ps: md.optim.SGD(ps, lr=0.1, momentum=0.9),
        "Adam": lambda ps: md.optim.Adam(ps, lr=0.1),
    }[name]
    p = md.tensor(np.ones((4, 5), np.float32), requires_grad=True)
    opt = make([p])
    p.grad = np.full((4, 5), 0.5, np.float32)
    with md.profiler.profile() as prof:
        opt.step()
    assert f"{kernel}:cpu" in {n for e in prof.events for n in e.notes}
    calls = []
    shipped = md.kernels.shipped(kernel, "reference")

    def mine(*args):
        calls.append(args[0].shape)
        return shipped(*args)

    with md.kernels.use(**{kernel: mine}):
        opt.step()
    assert calls == [(4, 5)]


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: md.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
        lambda ps: md.optim.Adam(ps, lr=0.1, weight_decay=0.01),
    ],
    ids=["sgd", "adam"],
)
def test_a_strided_parameter_steps_as_a_contiguous_one(make):
    rng = np.random.default_rng(4)
    start, grads = rng.standard_normal((6, 8)), rng.standard_normal((3, 6, 8))
    strided = md.Tensor(noncontiguous(start), requires_grad=True)  # md.tensor would copy
    assert not strided.data.flags.c_contiguous
    plain = md.tensor(start.copy(), requires_grad=True)
    opts = make([strided]), make([plain])
    for g in grads:
        for p, opt in zip((strided, plain), opts):
            p.grad = g.copy()
            opt.step()
    np.testing.assert_array_equal(strided.numpy(), plain.numpy())
