"""The depthwise conv kernels (conv2d_depthwise and its two gradients): cpu equals the NumPy
reference on the lab's edge cases, on both Numba drivers, and both equal PyTorch's grouped
conv2d (forward, dx, dw) on drawn odd, non-square, strided, padded, dilated geometries with
channel multipliers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minidl import config
from minidl.kernels.depthwise import cpu, reference
from minidl.kernels.depthwise.spec import (
    DEPTHWISE_CASES,
    DEPTHWISE_INPUT_GRAD_CASES,
    DEPTHWISE_WEIGHT_GRAD_CASES,
)
from minidl.kernels.spec import noncontiguous

KERNELS = {
    "conv2d_depthwise": DEPTHWISE_CASES,
    "conv2d_depthwise_weight_grad": DEPTHWISE_WEIGHT_GRAD_CASES,
    "conv2d_depthwise_input_grad": DEPTHWISE_INPUT_GRAD_CASES,
}
PAIRS = [(name, case) for name, cases in KERNELS.items() for case in cases]


@pytest.fixture(params=["serial", "parallel"], autouse=True)
def driver(request):
    """Run every test on both compiled forms of each loop (small inputs pick serial)."""
    with config.parallel(request.param):
        yield


@pytest.mark.parametrize("name, case", PAIRS, ids=[f"{n}-{c.name}" for n, c in PAIRS])
def test_cpu_equals_reference_on_edge_cases(name, case):
    args, _ = case.make(np.random.default_rng(0))
    want, got = getattr(reference, name)(*args), getattr(cpu, name)(*args)
    assert got.shape == want.shape and got.dtype == want.dtype
    tol = 1e-5 if want.dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


@st.composite
def geometries(draw):
    """(N, C, M, (KH, KW, SH, SW, PH, PW, DH, DW), (H, W)) with at least one output."""
    N, C, M = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    geometry, size = [], []
    for _ in range(2):  # per axis: kernel, stride, padding, dilation, then a size that fits
        K, S, P, D = (draw(st.integers(lo, hi)) for lo, hi in ((1, 4), (1, 3), (0, 3), (1, 2)))
        smallest = max(1, D * (K - 1) + 1 - 2 * P)
        size.append(draw(st.integers(smallest, smallest + 8)))
        geometry.append((K, S, P, D))
    (KH, SH, PH, DH), (KW, SW, PW, DW) = geometry
    return N, C, M, (KH, KW, SH, SW, PH, PW, DH, DW), tuple(size)


@pytest.mark.parametrize("impl", [cpu, reference], ids=["cpu", "reference"])
@given(geometry=geometries(), strided=st.booleans(), seed=st.integers(0, 2**16))
def test_matches_torch_on_drawn_geometries(impl, geometry, strided, seed, torch):
    N, C, M, (KH, KW, SH, SW, PH, PW, DH, DW), (H, W) = geometry
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal((N, C, H, W)), rng.standard_normal((C * M, 1, KH, KW))
    b = rng.standard_normal(C * M)
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    y = torch.nn.functional.conv2d(xt, wt, torch.tensor(b), (SH, SW), (PH, PW), (DH, DW), C)
    dy = rng.standard_normal(y.shape)
    y.backward(torch.tensor(dy))
    x_in, dy_in = (noncontiguous(x), noncontiguous(dy)) if strided else (x, dy)
    g = (SH, SW, PH, PW, DH, DW)
    np.testing.assert_allclose(impl.conv2d_depthwise(x_in, w, *g, b), y.detach(), atol=1e-12)
    dw = impl.conv2d_depthwise_weight_grad(x_in, dy_in, KH, KW, *g)
    np.testing.assert_allclose(dw, wt.grad.numpy(), rtol=1e-10, atol=1e-11)
    dx = impl.conv2d_depthwise_input_grad(dy_in, w, x.shape, *g)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-10, atol=1e-11)


def test_float32_stays_float32():
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 6)).astype(np.float32)
    w = np.ones((6, 1, 3, 3), np.float32)
    y = cpu.conv2d_depthwise(x, w, 1, 1, 1, 1, 1, 1)
    assert y.dtype == np.float32
    assert cpu.conv2d_depthwise_weight_grad(x, y, 3, 3, 1, 1, 1, 1, 1, 1).dtype == np.float32
    assert cpu.conv2d_depthwise_input_grad(y, w, x.shape, 1, 1, 1, 1, 1, 1).dtype == np.float32
