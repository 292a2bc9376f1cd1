"""conv2d and conv_transpose2d (minidl/ops/conv.py) and the Conv2d/ConvTranspose2d layers:
float64 gradcheck and equality with PyTorch (forward and every gradient) on drawn geometries
with groups (1, 2, depthwise with channel multipliers), the adjoint identity, every kernel
implementation and algorithm, padding modes, the work buffer, and bad input."""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from op_harness import (
    Inputs,
    OpCase,
    check_against_torch,
    op_tests,
    second_order_tests,
    values,
)

import minidl as md
import minidl.nn as nn
import minidl.nn.functional as F
from minidl import kernels
from minidl.kernels import algorithms

# PyTorch warns that its own 'same' padding may copy the input; that is its business here.
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")

# ---- drawing geometries ---------------------------------------------------------------------


GROUPINGS = ("1", "2", "depthwise")


def _channels(data: st.DataObject, kinds: tuple[str, ...] = GROUPINGS) -> tuple[int, int, int]:
    """(C_in, C_out, groups): ungrouped, 2 groups, or depthwise with a channel multiplier."""
    kind = data.draw(st.sampled_from(kinds), label="groups")
    if kind == "1":
        return data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)), 1
    if kind == "2":
        return 2 * data.draw(st.integers(1, 2)), 2 * data.draw(st.integers(1, 2)), 2
    C = data.draw(st.integers(2, 3), label="C")
    return C, C * data.draw(st.integers(1, 2), label="multiplier"), C


def _conv2d(data: st.DataObject, kinds: tuple[str, ...] = GROUPINGS) -> Inputs:
    N = data.draw(st.integers(1, 3), label="N")
    C_in, C_out, groups = _channels(data, kinds)
    mode = data.draw(st.sampled_from(["pair", "int", "same", "valid"]), label="padding")
    P_int = data.draw(st.integers(0, 2), label="int padding")
    geometry = []
    for _ in range(2):  # per axis: kernel, stride, padding, dilation, size
        K, S, D = (data.draw(st.integers(1, n)) for n in (3, 4, 3))
        P = {"pair": data.draw(st.integers(0, 2)), "int": P_int}.get(mode, 0)
        # at least one output: the (padded) size must hold the dilated kernel; 'same' pads
        # D*(K-1) in total, so any size will do
        smallest = 1 if mode == "same" else max(1, D * (K - 1) + 1 - 2 * P)
        size = data.draw(st.integers(smallest, smallest + 5), label="size")
        geometry.append((K, S, P, D, size))
    (KH, SH, PH, DH, H), (KW, SW, PW, DW, W) = geometry
    padding = {"pair": (PH, PW), "int": P_int}.get(mode, mode)
    stride = 1 if mode == "same" else (SH, SW)  # PyTorch allows 'same' for stride 1 only
    arrays = [values(data, (N, C_in, H, W)), values(data, (C_out, C_in // groups, KH, KW))]
    if data.draw(st.booleans(), label="bias"):
        arrays.append(values(data, (C_out,)))
    kwargs = {"stride": stride, "padding": padding, "dilation": (DH, DW), "groups": groups}
    return Inputs(arrays, kwargs)


def _conv_transpose2d(data: st.DataObject) -> Inputs:
    N = data.draw(st.integers(1, 3), label="N")
    C_out, C_in, groups = _channels(data)  # the adjoint of a conv C_in -> C_out
    geometry, size, output_padding = [], [], []
    for _ in range(2):
        K, S, P, D = (data.draw(st.integers(lo, hi)) for lo, hi in ((1, 3), (1, 4), (0, 2), (1, 3)))
        op = data.draw(st.integers(0, max(S, D) - 1), label="output_padding")  # < S or < D
        # the output (n-1)*S - 2P + D*(K-1) + op + 1 must be positive
        smallest = max(1, -(-(2 * P - D * (K - 1) - op) // S) + 1)
        size.append(data.draw(st.integers(smallest, smallest + 4), label="size"))
        geometry.append((K, S, P, D))
        output_padding.append(op)
    (KH, SH, PH, DH), (KW, SW, PW, DW) = geometry
    arrays = [values(data, (N, C_in, *size)), values(data, (C_in, C_out // groups, KH, KW))]
    if data.draw(st.booleans(), label="bias"):
        arrays.append(values(data, (C_out,)))
    kwargs = {"stride": (SH, SW), "padding": (PH, PW), "dilation": (DH, DW), "groups": groups}
    return Inputs(arrays, {**kwargs, "output_padding": tuple(output_padding)})


def _bias(b):
    return b[0] if b else None


CASES = [
    OpCase(
        "conv2d",
        _conv2d,
        lambda x, w, *b, **kw: F.conv2d(x, w, _bias(b), **kw),
        lambda T, x, w, *b, **kw: T.nn.functional.conv2d(x, w, _bias(b), **kw),
    ),
    OpCase(
        "conv_transpose2d",
        _conv_transpose2d,
        lambda x, w, *b, **kw: F.conv_transpose2d(x, w, _bias(b), **kw),
        lambda T, x, w, *b, **kw: T.nn.functional.conv_transpose2d(x, w, _bias(b), **kw),
    ),
]


test_gradcheck, test_matches_torch, test_float32_in_float32_out = op_tests(CASES, 10, 40)


CONV_KERNELS = ("im2col", "col2im", "conv2d_direct", "conv2d_direct_weight_grad")
DEPTHWISE_KERNELS = tuple(k for k in kernels.KERNELS if k.startswith("conv2d_depthwise"))
WINOGRAD_KERNELS = tuple(k for k in kernels.KERNELS if k.startswith("winograd_"))


@pytest.mark.parametrize("impl", ["reference", "cpu"])
@pytest.mark.parametrize("case", CASES, ids=str)
@settings(max_examples=8)
@given(data=st.data())
def test_every_kernel_implementation_matches_torch(case, impl, data, torch):
    with kernels.use(**dict.fromkeys(CONV_KERNELS + WINOGRAD_KERNELS + DEPTHWISE_KERNELS, impl)):
        check_against_torch(case, data, torch)


# ---- the three ways conv2d computes a 3x3, stride-1 layer ---------------------------------


def _pick(C, kernel, stride, dilation, groups=1, gpu=False, C_out=4, N=1, H=8):
    layer = algorithms.Layer(N, C, C_out, H, H, kernel, stride, (1, 1), dilation, groups, 8, gpu)
    return algorithms.choose("conv2d", layer).name


def test_conv2d_picks_its_algorithm_by_the_documented_rule():
    one = (1, 1)
    assert _pick(1, (3, 3), one, one) == "direct"  # an image: 1-2 channels
    assert _pick(2, (3, 3), one, one) == "direct"
    assert _pick(3, (3, 3), one, one) == "winograd"
    assert _pick(3, (3, 3), (2, 2), one) == "im2col"  # strided
    assert _pick(3, (3, 3), one, (2, 2)) == "im2col"  # dilated
    assert _pick(3, (5, 5), one, one) == "im2col"
    assert _pick(1, (1, 1), one, one) == "im2col"
    assert _pick(3, (3, 3), one, one, gpu=True) == "im2col"  # only im2col has gpu kernels
    # groups: depthwise (groups == C_in) runs its own kernel at any geometry, else im2col
    assert _pick(3, (3, 3), one, one, 3) == "depthwise"
    assert _pick(3, (5, 2), (2, 1), (1, 3), 3) == "depthwise"
    assert _pick(4, (3, 3), one, one, 2) == "im2col"  # 2 channels per group
    assert _pick(1, (3, 3), one, one, 1) == "direct"  # 1 channel, groups 1: an image
    # few channels on a big image: fused Winograd
    assert _pick(16, (3, 3), one, one, C_out=16, N=4, H=128) == "winograd_fused"


def test_the_algorithm_can_be_forced_and_other_kernels_leave_the_choice_alone():
    rng = np.random.default_rng(0)
    x, w = (
        md.tensor(rng.standard_normal((1, 3, 6, 7))),
        md.tensor(rng.standard_normal((2, 3, 3, 3))),
    )
    want = F.conv2d(x, w, algorithm="im2col").numpy()
    calls = []
    shipped = kernels.shipped("im2col", "cpu")

    def counting_im2col(*args, **kwargs):
        calls.append(1)
        return shipped(*args, **kwargs)

    with kernels.use(im2col=counting_im2col):  # a kernel alone does not change the algorithm
        np.testing.assert_allclose(F.conv2d(x, w).numpy(), want, rtol=1e-12)
        assert not calls
        with kernels.use(conv2d="im2col"):  # ... naming the algorithm does
            np.testing.assert_allclose(F.conv2d(x, w).numpy(), want, rtol=1e-12)
        assert calls
    for name in ("direct", "winograd", "winograd_fused"):
        np.testing.assert_allclose(F.conv2d(x, w, algorithm=name).numpy(), want, rtol=1e-10)


def test_a_forced_algorithm_that_cannot_compute_the_layer_is_a_value_error():
    x, w = md.zeros(1, 3, 6, 7), md.zeros(2, 3, 3, 3)
    with pytest.raises(ValueError, match=r"conv2d: algorithm='winograd' computes .* cannot"):
        F.conv2d(x, w, stride=2, algorithm="winograd")
    with pytest.raises(ValueError, match=r"conv2d: unknown algorithm 'fft'; expected one of"):
        F.conv2d(x, w, algorithm="fft")
    with pytest.raises(ValueError, match="unknown algorithm"):
        with kernels.use(conv2d="fft"):
            pass


def test_the_algorithm_table_prints_every_algorithm_and_its_files():
    text = repr(kernels.algorithms.table())
    for a in algorithms.CONV2D:
        assert a.name in text and a.op_file in text
        path = a.kernels.split(":")[0].replace("{cpu,gpu}", "cpu")
        assert (Path(md.__file__).parent.parent / path).is_file(), path


def _three_by_three(data: st.DataObject) -> tuple[list[np.ndarray], object]:
    N, C_in, C_out = (data.draw(st.integers(1, 3), label=n) for n in ("N", "C_in", "C_out"))
    padding = data.draw(
        st.one_of(
            st.integers(0, 3), st.tuples(st.integers(0, 3), st.integers(0, 3)), st.just("same")
        )
    )
    pads = (1, 1) if padding == "same" else np.broadcast_to(padding, 2)
    H, W = (data.draw(st.integers(max(1, 3 - 2 * p), 11)) for p in pads)
    shapes = [(N, C_in, H, W), (C_out, C_in, 3, 3), (C_out,)]
    return [values(data, s) for s in shapes], padding


@settings(max_examples=30)
@given(data=st.data())
def test_direct_winograd_and_im2col_agree_with_torch(data, torch):
    """float64: each of the three algorithms gives PyTorch's output and gradients."""
    arrays, padding = _three_by_three(data)
    want = torch.nn.functional.conv2d(*(torch.tensor(a) for a in arrays), padding=padding)
    dy = values(data, tuple(want.shape))
    pads = (1, 1) if padding == "same" else tuple(int(p) for p in np.broadcast_to(padding, 2))
    ways = {
        **{
            name: lambda x, w, b, name=name: F.conv2d(x, w, b, padding=padding, algorithm=name)
            for name in ("direct", "winograd", "winograd_fused", "im2col")
            if name != "winograd_fused" or max(pads) <= 2  # its dx needs padding 2 - P
        },
        "F.conv2d": lambda x, w, b: F.conv2d(x, w, b, padding=padding),
    }
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    torch.nn.functional.conv2d(*theirs, padding=padding).backward(torch.tensor(dy))
    for name, conv in ways.items():
        ours = [md.tensor(a, requires_grad=True) for a in arrays]
        y = conv(*ours)
        np.testing.assert_allclose(y.numpy(), want.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)
        y.backward(dy)
        for a, t in zip(ours, theirs):
            np.testing.assert_allclose(a.grad, t.grad.numpy(), rtol=1e-10, atol=1e-11, err_msg=name)


@settings(max_examples=20)
@given(data=st.data())
def test_depthwise_and_grouped_im2col_agree_with_torch(data, torch):
    """float64: a depthwise layer through its own kernels (cpu and reference) and through the
    grouped im2col GEMM gives PyTorch's output and gradients."""
    inputs = _conv2d(data, kinds=("depthwise",))
    arrays, kw = inputs.arrays, inputs.kwargs
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    want = torch.nn.functional.conv2d(*theirs[:2], _bias(theirs[2:]), **kw)
    dy = values(data, tuple(want.shape))
    want.backward(torch.tensor(dy))
    ways = {
        "depthwise cpu": {},
        "depthwise reference": dict.fromkeys(DEPTHWISE_KERNELS, "reference"),
        "im2col": {"im2col": "cpu"},
    }
    for name, use in ways.items():
        ours = [md.tensor(a, requires_grad=True) for a in arrays]
        with kernels.use(**use):
            y = F.conv2d(ours[0], ours[1], _bias(ours[2:]), **kw)
            y.backward(dy)
        np.testing.assert_allclose(y.numpy(), want.detach(), rtol=1e-10, atol=1e-12, err_msg=name)
        for a, t in zip(ours, theirs):
            np.testing.assert_allclose(a.grad, t.grad.numpy(), rtol=1e-10, atol=1e-11, err_msg=name)


def test_float32_winograd_is_as_accurate_as_im2col(torch):
    """float32 output and gradients of a 64-channel layer against float64 PyTorch: the largest
    error relative to the largest value, Winograd F(2x2, 3x3) against im2col + GEMM (measured
    2.6-7.3e-7 against 1.5-6.0e-7 on the README's layers; PyTorch's own: 2.6e-7-2.1e-6)."""
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((2, 64, 20, 20)), rng.standard_normal((64, 64, 3, 3)) / 24]
    dy = rng.standard_normal((2, 64, 20, 20))
    exact = [torch.tensor(a, requires_grad=True) for a in arrays]
    y = torch.nn.functional.conv2d(*exact, padding=1)
    y.backward(torch.tensor(dy))
    want = [y.detach().numpy()] + [t.grad.numpy() for t in exact]
    errors = {}
    for name, use in (("winograd", {}), ("im2col", {"im2col": "cpu"})):
        ours = [md.tensor(a.astype(np.float32), requires_grad=True) for a in arrays]
        with kernels.use(**use):
            out = F.conv2d(*ours, padding=1)
            out.backward(dy.astype(np.float32))
        got = [out.numpy()] + [t.grad for t in ours]
        assert all(g.dtype == np.float32 for g in got)
        errors[name] = [np.abs(g - e).max() / np.abs(e).max() for g, e in zip(got, want)]
    for ours, gemm in zip(errors["winograd"], errors["im2col"]):
        assert ours < 3 * gemm + 3e-7, errors


@pytest.mark.parametrize("padding", [(1, 0), (0, 0), (2, 1)])
@pytest.mark.parametrize("chunk_bytes", [1, 6000, 30000])
def test_winograd_in_chunks_is_the_same_convolution(chunk_bytes, padding, monkeypatch):
    """V and M made for one tile row (1 byte), two tile rows (6000 bytes) or two images
    (30000 bytes) at a time: the same output and gradients, float64, as the whole batch;
    the blocks of rows next to the padding, inside it and past an odd edge included."""
    from minidl.ops import conv_winograd

    rng = np.random.default_rng(1)
    x_shape = (5, 3, 9 - 2 * padding[0] + 2, 8)  # 9 output rows, 5 tile rows, whatever P
    arrays = [rng.standard_normal(x_shape), rng.standard_normal((4, 3, 3, 3)), rng.random(4)]
    dy = rng.standard_normal((5, 4, 9, 6 + 2 * padding[1]))

    def run() -> list[np.ndarray]:
        ours = [md.tensor(a, requires_grad=True) for a in arrays]
        out = F.conv2d(*ours, padding=padding, algorithm="winograd")
        out.backward(dy)
        return [out.numpy()] + [t.grad for t in ours]

    whole = run()
    monkeypatch.setattr(conv_winograd, "CHUNK_BYTES", chunk_bytes)
    TW = (6 + 2 * padding[1] + 1) // 2
    pieces = conv_winograd.chunks(5, 5, TW, 7, 8)  # N, TH, TW, C + C_out, float64
    covered = [(n, t) for c in pieces for n in range(c.n0, c.n1) for t in range(c.th0, c.th1)]
    assert sorted(covered) == [(n, t) for n in range(5) for t in range(5)]  # each tile once
    assert len(pieces) > 1
    for got, want in zip(run(), whole):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@settings(max_examples=30)
@given(data=st.data())
def test_conv_transpose2d_is_the_adjoint_of_conv2d(data):
    """<conv2d(x, w), y> = <x, conv_transpose2d(y, w)>, the output_padding picking x's size."""
    inputs = _conv2d(data)
    x, w = inputs.arrays[:2]
    kw = inputs.kwargs
    if kw["padding"] == "same":
        return  # 'same' may pad asymmetrically, which conv_transpose2d cannot express
    y_shape = F.conv2d(md.tensor(x), md.tensor(w), **kw).shape
    y = values(data, y_shape)
    stride, dilation = np.broadcast_to(kw["stride"], 2), np.broadcast_to(kw["dilation"], 2)
    padding = (0, 0) if kw["padding"] == "valid" else np.broadcast_to(kw["padding"], 2)
    k = w.shape[2:]
    extra = tuple(
        int((n + 2 * p - d * (k_ - 1) - 1) % s)
        for n, p, d, k_, s in zip(x.shape[2:], padding, dilation, k, stride)
    )
    xt = F.conv_transpose2d(  # PyTorch's order: groups, then dilation
        md.tensor(y), md.tensor(w), None, tuple(stride), tuple(padding), extra, kw["groups"],
        tuple(dilation),
    )  # fmt: skip
    assert xt.shape == x.shape
    lhs = np.vdot(F.conv2d(md.tensor(x), md.tensor(w), **kw).numpy(), y)
    assert lhs == pytest.approx(np.vdot(x, xt.numpy()), rel=1e-10, abs=1e-10)


def test_the_work_buffer_is_safe_across_layers_in_one_graph(torch):
    """Every conv call borrows the same work buffer: several convs of one shape in a graph,
    run forward before any backward, must still each get their own gradient."""
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((2, 3, 8, 7)), rng.standard_normal((2, 3, 8, 7))]
    arrays += [rng.standard_normal((4, 3, 3, 3)), rng.standard_normal((3, 4, 3, 3))]
    ours = [md.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    for conv, (a, b, w, v) in ((F.conv2d, ours), (torch.nn.functional.conv2d, theirs)):
        y = conv(conv(a, w, padding=1) + conv(b, w, padding=1), v, padding=1)
        (y * y).sum().backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-10, atol=1e-10)


# ---- layers ---------------------------------------------------------------------------------


def test_conv2d_layer_matches_torch_with_copied_weights(torch):
    ours = nn.Conv2d(3, 5, (3, 2), stride=(2, 1), padding=1, dilation=(1, 2))
    theirs = torch.nn.Conv2d(3, 5, (3, 2), stride=(2, 1), padding=1, dilation=(1, 2))
    assert ours.weight.shape == tuple(theirs.weight.shape)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, 3, 9, 8)).astype(np.float32)
    np.testing.assert_allclose(
        ours(md.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(), atol=1e-5
    )


def test_layers_start_like_torch():
    """kaiming_uniform(a=sqrt(5)): weight and bias within ±1/sqrt(fan_in), fan_in from dim 1."""
    md.manual_seed(0)
    conv = nn.Conv2d(4, 6, 3)
    bound = 1 / np.sqrt(4 * 9)
    assert 0.9 * bound < np.abs(conv.weight.data).max() <= bound
    assert np.abs(conv.bias.data).max() <= bound
    up = nn.ConvTranspose2d(4, 6, 2, stride=2)
    assert up.weight.shape == (4, 6, 2, 2) and np.abs(up.weight.data).max() <= 1 / np.sqrt(6 * 4)
    assert conv.weight.dtype == np.float32 and nn.Conv2d(2, 2, 1, bias=False).bias is None


def test_conv_transpose2d_layer_output_size(torch):
    up = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    theirs = torch.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    up.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((1, 2, 4, 5)).astype(np.float32)
    for size in [(7, 9), (8, 10), (1, 2, 8, 9)]:
        got = up(md.tensor(x), output_size=size)
        want = theirs(torch.tensor(x), output_size=size)
        np.testing.assert_allclose(got.numpy(), want.detach().numpy(), atol=1e-5)
    with pytest.raises(ValueError, match=r"ConvTranspose2d: output_size \(9, 9\) is not within"):
        up(md.tensor(x), output_size=(9, 9))


@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding", [1, (2, 0), "same", "valid"], ids=str)
def test_conv2d_layer_padding_modes_and_groups_match_torch(padding_mode, padding, torch):
    """Non-zero modes pad with F.pad first (an even kernel with 'same' puts the extra column
    on the right), then convolve with padding 0: output and every gradient as PyTorch's."""
    kwargs = {"padding": padding, "groups": 2, "padding_mode": padding_mode, "dilation": (1, 2)}
    ours, theirs = nn.Conv2d(4, 6, (3, 2), **kwargs), torch.nn.Conv2d(4, 6, (3, 2), **kwargs)
    ours.double(), theirs.double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(0).standard_normal((2, 4, 5, 7))
    xo, xt = md.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo, yt = ours(xo), theirs(xt)
    np.testing.assert_allclose(yo.numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    (yo * yo).sum().backward()
    (yt * yt).sum().backward()
    np.testing.assert_allclose(xo.grad, xt.grad.numpy(), rtol=1e-10, atol=1e-11)
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(getattr(ours, name).grad, p.grad.numpy(), rtol=1e-10, atol=1e-10)


def test_conv_layers_take_torchs_arguments_in_torchs_order(torch):
    for ours, theirs in (
        (nn.Conv2d, torch.nn.Conv2d),
        (nn.ConvTranspose2d, torch.nn.ConvTranspose2d),
    ):
        names = list(inspect.signature(ours.__init__).parameters)
        assert names == list(inspect.signature(theirs.__init__).parameters)
    # positional, as PyTorch: ..., output_padding, groups, bias, dilation
    up, their_up = (
        nn.ConvTranspose2d(4, 6, 3, 2, 1, 1, 2, False, 2),
        torch.nn.ConvTranspose2d(4, 6, 3, 2, 1, 1, 2, False, 2),
    )
    assert up.weight.shape == tuple(their_up.weight.shape) == (4, 3, 3, 3)
    assert repr(up) == repr(their_up) and up.bias is None
    up.double(), their_up.double()
    up.load_state_dict({k: v.detach().numpy() for k, v in their_up.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((1, 4, 3, 5))
    np.testing.assert_allclose(
        up(md.tensor(x)).numpy(), their_up(torch.tensor(x)).detach().numpy(), atol=1e-12
    )
    conv = nn.Conv2d(4, 8, 3, 1, 1, 1, 4, dtype=md.float64)
    assert conv.weight.shape == (8, 1, 3, 3) and conv.weight.dtype == np.float64


def test_functional_signatures_are_torchs():
    """PyTorch's parameters in PyTorch's order; minidl adds only the keyword-only algorithm."""
    params = inspect.signature(F.conv2d).parameters.values()
    assert [p.name for p in params if p.kind is not p.KEYWORD_ONLY] == [
        "input", "weight", "bias", "stride", "padding", "dilation", "groups",
    ]  # fmt: skip
    assert [p.name for p in params if p.kind is p.KEYWORD_ONLY] == ["algorithm"]
    assert list(inspect.signature(F.conv_transpose2d).parameters) == [
        "input", "weight", "bias", "stride", "padding", "output_padding", "groups", "dilation",
    ]  # fmt: skip


def test_grouped_layers_start_like_torch():
    """fan_in = in_channels/groups*KH*KW for Conv2d, out_channels/groups*KH*KW for the
    transpose (weight.shape[1] times the kernel, PyTorch's convention)."""
    md.manual_seed(0)
    conv = nn.Conv2d(8, 4, 3, groups=4)
    bound = 1 / np.sqrt(2 * 9)
    assert conv.weight.shape == (4, 2, 3, 3)
    assert 0.8 * bound < np.abs(conv.weight.data).max() <= bound
    up = nn.ConvTranspose2d(4, 8, 3, groups=2)
    assert up.weight.shape == (4, 4, 3, 3) and np.abs(up.weight.data).max() <= 1 / np.sqrt(4 * 9)


@pytest.mark.parametrize("op", ["conv2d", "conv_transpose2d"])
def test_unbatched_input_gives_an_unbatched_output_like_torch(op, torch):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((4, 6, 5)), rng.standard_normal((4, 2, 3, 3))
    ours, theirs = md.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y = getattr(F, op)(ours, md.tensor(w), None, 2, 1, groups=2) if op == "conv2d" else None
    if op == "conv2d":
        want = torch.nn.functional.conv2d(theirs, torch.tensor(w), None, 2, 1, groups=2)
    else:
        y = F.conv_transpose2d(ours, md.tensor(w), None, 2, 1, 1, groups=2)
        want = torch.nn.functional.conv_transpose2d(theirs, torch.tensor(w), None, 2, 1, 1, 2)
    assert y.shape == tuple(want.shape) and y.ndim == 3
    np.testing.assert_allclose(y.numpy(), want.detach().numpy(), atol=1e-12)
    y.sum().backward()
    want.sum().backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), atol=1e-12)


LAYER_BAD = [
    # (layer, arguments, keyword arguments, message)
    ("Conv2d", (4, 6, 3), {"groups": 3}, r"Conv2d: in_channels=4 must be divisible by groups=3"),
    ("Conv2d", (4, 6, 3), {"groups": 4}, r"Conv2d: out_channels=6 must be divisible by groups=4"),
    ("Conv2d", (4, 6, 3), {"groups": 0}, r"Conv2d: groups must be a positive int, got 0"),
    ("Conv2d", (4, 6, 3), {"padding": "full"}, r"Conv2d: padding must be .* got 'full'"),
    ("Conv2d", (4, 6, 3), {"padding": "same", "stride": 2}, r"'same' needs stride 1, got"),
    ("Conv2d", (4, 6, 3), {"padding_mode": "edge"}, r"Conv2d: padding_mode must be one of"),
    (
        "ConvTranspose2d",
        (4, 6, 3),
        {"padding_mode": "reflect"},
        r"ConvTranspose2d: padding_mode must be 'zeros' .* got 'reflect'",
    ),
    ("ConvTranspose2d", (4, 6, 3), {"groups": 4}, r"out_channels=6 must be divisible by groups=4"),
]


@pytest.mark.parametrize("layer, args, kwargs, message", LAYER_BAD)
def test_bad_layer_arguments_are_value_errors_torch_also_raises(layer, args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        getattr(nn, layer)(*args, **kwargs)


@pytest.mark.parametrize("layer, args, kwargs, message", LAYER_BAD)
def test_torch_refuses_the_same_layer_arguments(layer, args, kwargs, message, torch):
    with pytest.raises((ValueError, RuntimeError)):
        getattr(torch.nn, layer)(*args, **kwargs)


# ---- bad input ------------------------------------------------------------------------------


BAD = [
    # (op, input shape, weight shape, keyword arguments, expected message)
    (
        "conv2d",
        (8, 8),
        (4, 3, 3, 3),
        {},
        r"conv2d: expected a 3-D \(C, H, W\) or 4-D \(N, C, H, W\) input, got shape \(8, 8\)",
    ),
    (
        "conv2d",
        (2, 4, 32, 32),
        (8, 3, 3, 3),
        {},
        r"conv2d: expected input with 3 channels \(weight is \(8, 3, 3, 3\)\), got \(2, 4, 32, 3",
    ),
    (
        "conv2d",
        (1, 1, 2, 2),
        (1, 1, 3, 3),
        {},
        r"kernel \(3, 3\) .* larger than the padded input \(2, 2\)",
    ),
    (
        "conv2d",
        (1, 1, 5, 5),
        (1, 1, 3, 3),
        {"stride": 2, "padding": "same"},
        r"'same' needs stride 1",
    ),
    ("conv2d", (1, 1, 5, 5), (1, 1, 3, 3), {"padding": "full"}, r"conv2d: padding must be"),
    ("conv2d", (1, 1, 5, 5), (1, 1, 3, 3), {"stride": 0}, r"conv2d: stride must be .* >= 1, got 0"),
    (
        "conv2d",
        (1, 1, 5, 5),
        (1, 1, 3),
        {},
        r"conv2d: expected a 4-D weight \(C_out, C_in/groups, KH, KW\)",
    ),
    ("conv2d", (1, 4, 5, 5), (4, 2, 3, 3), {"groups": 0}, r"conv2d: groups must be a positive"),
    (
        "conv2d",
        (1, 4, 5, 5),
        (4, 3, 3, 3),
        {"groups": 2},
        r"conv2d: expected input with 6 channels \(weight is \(4, 3, 3, 3\), groups=2\), got",
    ),
    (
        "conv2d",
        (1, 4, 5, 5),
        (3, 2, 3, 3),
        {"groups": 2},
        r"conv2d: groups=2 must divide the weight's dim 0 \(3 output channels\)",
    ),
    (
        "conv_transpose2d",
        (1, 2, 4, 4),
        (3, 2, 3, 3),
        {},
        r"conv_transpose2d: expected input with 3 channels",
    ),
    (
        "conv_transpose2d",
        (1, 3, 4, 4),
        (3, 2, 3, 3),
        {"groups": 2},
        r"conv_transpose2d: groups=2 must divide the weight's dim 0 \(3 input channels\)",
    ),
    (
        "conv_transpose2d",
        (1, 2, 4, 4),
        (2, 2, 3, 3),
        {"stride": 2, "output_padding": 2},
        r"output_padding \(2, 2\) must be smaller than the stride \(2, 2\) or the dilation",
    ),
    (
        "conv_transpose2d",
        (1, 2, 1, 1),
        (2, 2, 1, 1),
        {"padding": 1},
        r"output size \(-1, -1\) is not positive",
    ),
]


@pytest.mark.parametrize("op, x_shape, w_shape, kwargs, message", BAD)
def test_bad_input_is_a_value_error_naming_the_op(op, x_shape, w_shape, kwargs, message):
    x, w = md.tensor(np.zeros(x_shape)), md.tensor(np.zeros(w_shape))
    with pytest.raises(ValueError, match=message):
        getattr(F, op)(x, w, **kwargs)


@pytest.mark.parametrize("op, x_shape, w_shape, kwargs, message", BAD)
def test_torch_refuses_the_same_input(op, x_shape, w_shape, kwargs, message, torch):
    """Each BAD case is one PyTorch refuses too (our conditions are PyTorch's)."""
    x, w = torch.zeros(x_shape, dtype=torch.float64), torch.zeros(w_shape, dtype=torch.float64)
    with pytest.raises((RuntimeError, ValueError)):
        getattr(torch.nn.functional, op)(x, w, **kwargs)


def test_grouped_bias_of_a_transpose_conv_has_groups_times_the_weights_channels():
    x, w = md.tensor(np.zeros((1, 4, 3, 3))), md.tensor(np.zeros((4, 3, 2, 2)))
    assert F.conv_transpose2d(x, w, md.tensor(np.zeros(6)), groups=2).shape == (1, 6, 4, 4)
    with pytest.raises(ValueError, match=r"expected bias of shape \(6,\) .* groups=2, got \(3,\)"):
        F.conv_transpose2d(x, w, md.tensor(np.zeros(3)), groups=2)


def test_bias_and_dtype_mismatches_are_value_errors():
    x, w = md.tensor(np.zeros((1, 1, 5, 5))), md.tensor(np.zeros((2, 1, 3, 3)))
    with pytest.raises(ValueError, match=r"conv2d: expected bias of shape \(2,\) .* got \(3,\)"):
        F.conv2d(x, w, md.tensor(np.zeros(3)))
    with pytest.raises(ValueError, match=r"conv2d: weight is float32 but input is float64"):
        F.conv2d(x, md.tensor(np.zeros((2, 1, 3, 3), np.float32)))


test_gradgradcheck, test_second_order_matches_torch = second_order_tests(CASES)
