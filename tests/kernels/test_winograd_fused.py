"""The fused Winograd convolution (kernels/winograd_fused/): `winograd_conv` and
`winograd_weight_grad` equal the NumPy reference on the lab's edge cases and on drawn
geometries, and conv2d run through them (algorithm="winograd_fused") equals PyTorch forward and
backward; the rule that picks the fused path is tested on its own."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl as md
import minidl.nn.functional as F
from minidl.kernels import algorithms
from minidl.kernels.spec import noncontiguous
from minidl.kernels.winograd import reference as transforms
from minidl.kernels.winograd_fused import cpu as fused
from minidl.kernels.winograd_fused import reference
from minidl.kernels.winograd_fused.spec import SPECS

FUSED = ("winograd_conv", "winograd_weight_grad")


@pytest.mark.parametrize(
    "kernel, case",
    [(k, c) for k in FUSED for c in SPECS[k].cases],
    ids=lambda v: getattr(v, "name", v),
)
def test_fused_equals_reference_on_edge_cases(kernel, case):
    args, kwargs = case.make(np.random.default_rng(0))
    want = getattr(reference, kernel)(*args)
    got = getattr(fused, kernel)(*args, **kwargs)
    assert got.shape == want.shape and got.dtype == want.dtype
    tol = 1e-5 if want.dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * np.abs(want).max())


@given(
    N=st.integers(1, 3),
    C=st.integers(1, 9),
    C_out=st.integers(1, 9),
    H=st.integers(1, 13),
    W=st.integers(1, 13),
    PH=st.integers(0, 2),
    PW=st.integers(0, 2),
    strided=st.booleans(),
    block=st.integers(1, 40),
    seed=st.integers(0, 2**16),
)
def test_fused_equals_reference_on_drawn_geometries(
    N, C, C_out, H, W, PH, PW, strided, block, seed
):
    """Any geometry with an output, any channel counts (register-block remainders) and any
    task size (BLOCK_TILES: one tile row per task up to the whole image)."""
    if H + 2 * PH < 3 or W + 2 * PW < 3:
        return
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, W))
    U = rng.standard_normal((4, 4, C_out, C))
    b = rng.standard_normal(C_out)
    dy = rng.standard_normal((N, C_out, H + 2 * PH - 2, W + 2 * PW - 2))
    saved = fused.BLOCK_TILES
    fused.BLOCK_TILES = block
    try:
        xs, dys = (noncontiguous(x), noncontiguous(dy)) if strided else (x, dy)
        y = fused.winograd_conv(xs, U, PH, PW, b)
        dU = fused.winograd_weight_grad(xs, dys, PH, PW)
    finally:
        fused.BLOCK_TILES = saved
    np.testing.assert_allclose(y, reference.winograd_conv(x, U, PH, PW, b), rtol=1e-12, atol=1e-11)
    want = reference.winograd_weight_grad(x, dy, PH, PW)
    np.testing.assert_allclose(dU, want, rtol=1e-12, atol=1e-11)


@pytest.mark.parametrize(
    "shape, C_out, padding",
    [((2, 3, 7, 10), 5, 0), ((1, 5, 6, 5), 3, (1, 0)), ((2, 4, 9, 8), 7, 1), ((1, 2, 4, 3), 1, 2)],
)
def test_conv2d_fused_matches_torch(shape, C_out, padding):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x0 = rng.standard_normal(shape)
    w0 = rng.standard_normal((C_out, shape[1], 3, 3))
    b0 = rng.standard_normal(C_out)
    x, w, b = (md.tensor(a, requires_grad=True) for a in (x0, w0, b0))
    y = F.conv2d(x, w, b, padding=padding, algorithm="winograd_fused")
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x0, w0, b0))
    yt = torch.nn.functional.conv2d(xt, wt, bt, padding=padding)
    dy = rng.standard_normal(y.shape)
    y.backward(dy)
    yt.backward(torch.tensor(dy))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    for got, want in ((x, xt), (w, wt), (b, bt)):
        np.testing.assert_allclose(got.grad, want.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_conv2d_fused_gradcheck():
    rng = np.random.default_rng(2)
    x = md.tensor(rng.standard_normal((2, 3, 5, 6)), requires_grad=True)
    w = md.tensor(rng.standard_normal((4, 3, 3, 3)), requires_grad=True)
    b = md.tensor(rng.standard_normal(4), requires_grad=True)
    md.gradcheck(
        lambda x, w, b: F.conv2d(x, w, b, padding=(1, 2), algorithm="winograd_fused"), [x, w, b]
    )


def test_fused_float32_error_is_that_of_the_unfused_path():
    """Same transforms, same products, other summation order: float32 error of the same size."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 16, 40, 40))
    w = rng.standard_normal((16, 16, 3, 3))
    exact = reference.winograd_conv(x, transforms.filter_transform(w), 1, 1)
    x32, w32 = x.astype(np.float32), w.astype(np.float32)
    got = fused.winograd_conv(x32, transforms.filter_transform(w32), 1, 1)
    scale = np.abs(exact).max()
    assert got.dtype == np.float32
    assert np.abs(got - exact).max() / scale < 2e-6


def _layer(N, C, H, C_out, padding, gpu=False):
    pads = (padding, padding)
    return algorithms.Layer(N, C, C_out, H, H, (3, 3), (1, 1), pads, (1, 1), 1, 4, gpu)


def test_which_layers_run_fused():
    def pick(*args, **kwargs):
        return algorithms.choose("conv2d", _layer(*args, **kwargs)).name

    assert pick(4, 16, 128, 16, 1) == "winograd_fused"  # V and M: 16 MB
    assert pick(4, 16, 128, 64, 1) == "winograd"  # 80 channels: OpenBLAS's GEMMs
    assert pick(1, 16, 64, 16, 1) == "winograd"  # 1 MB: fits in L2 anyway
    assert pick(4, 16, 128, 16, 3) == "winograd"  # dx would need padding 2 - 3
    assert pick(4, 16, 128, 16, 1, gpu=True) == "im2col"
    with pytest.raises(ValueError, match="cannot compute this layer"):
        algorithms.choose("conv2d", _layer(4, 16, 128, 16, 3), forced="winograd_fused")
