"""Higher derivatives of conv2d and conv_transpose2d (minidl/ops/conv_double.py): float64
gradgradcheck on geometries with every option at once, a third-order check, and each of the
five conv2d algorithms' second derivatives against PyTorch's."""

from __future__ import annotations

import numpy as np
import pytest

import minidl as md
import minidl.nn.functional as F
from minidl.ops.conv_depthwise import Conv2dDepthwise
from minidl.ops.conv_direct import Conv2dDirect
from minidl.ops.conv_gemm import Conv2dIm2col
from minidl.ops.conv_winograd import Conv2dWinograd, Conv2dWinogradFused


def _tensors(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [md.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]


def _check_second_derivatives(fn, inputs):
    """gradgradcheck, and the differentiable backward (create_graph=True) gives the plain
    backward's gradients: gradgradcheck alone only checks that it is differentiated
    consistently, not that it is the right first derivative."""
    out = fn(*inputs)
    v = md.tensor(np.random.default_rng(9).standard_normal(out.shape))
    plain = md.autograd.grad(out, inputs, v, retain_graph=True)
    recorded = md.autograd.grad(out, inputs, v, create_graph=True)
    for k, (a, b) in enumerate(zip(recorded, plain)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-12, err_msg=str(k))
    assert md.gradgradcheck(fn, inputs)


def test_conv2d_second_derivatives_with_stride_padding_dilation_and_groups():
    # odd, non-square sizes whose last row and column no window reaches (stride 2)
    x, w, b = _tensors((2, 4, 9, 8), (6, 2, 3, 2), (6,))
    kw = {"stride": 2, "padding": 1, "dilation": 2, "groups": 2}
    _check_second_derivatives(lambda x, w, b: F.conv2d(x, w, b, **kw), [x, w, b])


@pytest.mark.parametrize(
    "stride, dilation, output_padding",
    [((2, 3), (1, 2), (1, 2)), ((1, 2), (2, 1), (1, 0))],  # the second: output_padding >= stride
)
def test_conv_transpose2d_second_derivatives_with_output_padding(stride, dilation, output_padding):
    x, w, b = _tensors((2, 4, 3, 5), (4, 3, 2, 3), (6,))
    kw = {"stride": stride, "padding": (1, 0), "output_padding": output_padding}
    kw |= {"groups": 2, "dilation": dilation}
    _check_second_derivatives(lambda x, w, b: F.conv_transpose2d(x, w, b, **kw), [x, w, b])


def test_conv2d_third_derivatives():
    """gradgradcheck of a first derivative taken with create_graph=True checks the third."""
    x, w = _tensors((1, 4, 5, 6), (4, 2, 3, 2))
    kw = {"stride": (2, 1), "padding": 1, "groups": 2}
    v = md.tensor(np.random.default_rng(1).standard_normal((1, 4, 3, 7)))

    def first_derivative(x, w):
        y = F.conv2d(x, w, **kw)
        return md.autograd.grad(y, [x, w], v, create_graph=True)

    assert md.gradgradcheck(first_derivative, [x, w])


ALGORITHMS = {
    "im2col": Conv2dIm2col,
    "direct": Conv2dDirect,
    "winograd": Conv2dWinograd,
    "winograd_fused": Conv2dWinogradFused,
    "depthwise": Conv2dDepthwise,
}


def _second_derivatives(lib, out, inputs, v, us):
    """The gradients of <∇<out, v>, u> w.r.t. ``inputs`` and v (zeros where unused)."""
    v = lib.tensor(v, requires_grad=True)
    firsts = lib.autograd.grad(out, inputs, v, create_graph=True)
    total = sum((f * lib.tensor(u)).sum() for f, u in zip(firsts, us))
    seconds = lib.autograd.grad(total, [*inputs, v], allow_unused=True)
    return [
        np.zeros(tuple(t.shape)) if s is None else np.asarray(s.detach().numpy())
        for s, t in zip(seconds, [*inputs, v])
    ]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_every_conv2d_algorithm_has_torchs_second_derivatives(algorithm, torch):
    groups = 2 if algorithm == "depthwise" else 1
    C = 2 if algorithm in ("direct", "depthwise") else 3
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in ((2, C, 7, 6), (4, C // groups, 3, 3), (4,))]
    ours = [md.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    y = F.conv2d(*ours, padding=1, groups=groups, algorithm=algorithm)
    assert y._ctx.fn is ALGORITHMS[algorithm]
    want = torch.nn.functional.conv2d(*theirs, padding=1, groups=groups)
    v = rng.standard_normal(y.shape)
    us = [rng.standard_normal(a.shape) for a in arrays]
    got = _second_derivatives(md, y, ours, v, us)
    expected = _second_derivatives(torch, want, theirs, v, us)
    for k, (a, b) in enumerate(zip(got, expected)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-11, err_msg=f"gradient {k}")
