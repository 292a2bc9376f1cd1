"""max_pool2d (with indices, dilation, ceil_mode), max_unpool2d and avg_pool2d (ceil_mode,
count_include_pad, divisor_override) (minidl/ops/pool.py) and their layers: float64
gradcheck, equality with PyTorch (values, indices with ties, every gradient), unpooling after
overlapping pools, the unpool output_size rules, unbatched input, every kernel
implementation, PyTorch's constructor signatures, and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from op_harness import (
    Inputs,
    OpCase,
    op_tests,
    second_order_tests,
    values,
)

import minidl as md
import minidl.nn as nn
import minidl.nn.functional as F
from minidl import kernels
from minidl.kernels.pool import reference
from minidl.kernels.pool.reference import first_tap, pool_output_size


def _geometry(data: st.DataObject, overlap: bool = True, dilated: bool = False):
    """(x_shape, kernel, stride, padding, dilation, ceil_mode) with padding <= kernel // 2 and
    a real pixel in every window; ``overlap=False`` keeps stride >= kernel and no dilation
    or ceil_mode, so that no two windows share a pixel; ``dilated=False`` keeps dilation 1."""
    N, C = data.draw(st.integers(1, 3), label="N"), data.draw(st.integers(1, 3), label="C")
    ceil = overlap and data.draw(st.booleans(), label="ceil_mode")
    kernel, stride, padding, dilation, size = [], [], [], [], []
    for _ in range(2):
        K = data.draw(st.integers(1, 4), label="K")
        S = data.draw(st.integers(1 if overlap else K, 4 if overlap else K + 2), label="S")
        P = data.draw(st.integers(0, K // 2), label="P")
        D = data.draw(st.integers(1, 3), label="D") if dilated and overlap else 1
        span = D * (K - 1) + 1
        n = data.draw(st.integers(max(1, span - 2 * P), span + 6), label="size")
        # a dilated window can miss every real pixel (-inf out): not a case to differentiate
        starts = np.arange(pool_output_size(n, K, S, P, D, ceil)) * S - P
        assume(bool(np.all(first_tap(starts, D) < n)))
        kernel.append(K), stride.append(S), padding.append(P), dilation.append(D), size.append(n)
    stride_arg = None if stride == kernel and data.draw(st.booleans()) else tuple(stride)
    return (N, C, *size), tuple(kernel), stride_arg, tuple(padding), tuple(dilation), ceil


def _max_pool(domain: str):
    def draw(data: st.DataObject) -> Inputs:
        shape, k, s, p, d, ceil = _geometry(data, dilated=True)
        kwargs = {"k": k, "s": s, "p": p, "d": d, "ceil": ceil}
        return Inputs([values(data, shape, domain)], kwargs)

    return draw


def _avg_pool(data: st.DataObject) -> Inputs:
    shape, k, s, p, _, ceil = _geometry(data)
    cip = data.draw(st.booleans(), label="count_include_pad")
    divisor = data.draw(st.sampled_from([None, 1, 3, -2]), label="divisor_override")
    kwargs = {"k": k, "s": s, "p": p, "ceil": ceil, "cip": cip, "div": divisor}
    return Inputs([values(data, shape)], kwargs)


def _max_unpool(data: st.DataObject) -> Inputs:
    """Values to unpool and the indices of a max-pool of another array, unpooled back to that
    array's size (given as output_size, or left to the default when it is that size). The
    windows do not overlap, so no index repeats (PyTorch leaves repeats undefined)."""
    shape, kernel, stride, padding, _, _ = _geometry(data, overlap=False)
    _, indices = reference.max_pool2d(values(data, shape), *kernel, *stride or kernel, *padding)
    S = stride or kernel
    default = tuple(
        (n - 1) * s - 2 * p + k for n, k, s, p in zip(indices.shape[2:], kernel, S, padding)
    )
    size = data.draw(st.sampled_from([shape, shape[2:]]), label="output_size")
    if default == shape[2:] and data.draw(st.booleans(), label="default size"):
        size = None
    kwargs = {"indices": indices, "k": kernel, "s": stride, "p": padding, "size": size}
    return Inputs([values(data, indices.shape)], kwargs)


def _torch_unpool(T, x, indices, k, s, p, size):
    return T.nn.functional.max_unpool2d(x, T.from_numpy(indices), k, s, p, size)


CASES = [
    OpCase(
        "max_pool2d",  # distinct values: one maximum per window, no kink within eps
        _max_pool("distinct"),
        lambda x, k, s, p, d, ceil: F.max_pool2d(x, k, s, p, d, ceil),
        lambda T, x, k, s, p, d, ceil: T.nn.functional.max_pool2d(x, k, s, p, d, ceil),
    ),
    OpCase(
        "avg_pool2d",
        _avg_pool,
        lambda x, k, s, p, ceil, cip, div: F.avg_pool2d(x, k, s, p, ceil, cip, div),
        lambda T, x, k, s, p, ceil, cip, div: T.nn.functional.avg_pool2d(
            x, k, s, p, ceil, cip, div
        ),
    ),
    OpCase(
        "max_unpool2d",
        _max_unpool,
        lambda x, indices, k, s, p, size: F.max_unpool2d(x, indices, k, s, p, size),
        _torch_unpool,
    ),
]


test_gradcheck, test_matches_torch, test_float32_in_float32_out = op_tests(CASES, 15, 40)


@pytest.mark.parametrize("impl", ["reference", "cpu"])
@settings(max_examples=30)
@given(data=st.data(), ties=st.booleans())
def test_indices_and_gradient_equal_torch_with_ties(impl, data, ties, torch):
    """Values from {0, 1, 2} tie everywhere: the first maximum must win, as in PyTorch, and
    the gradient must go to it (summed where overlapping windows chose the same pixel)."""
    shape, kernel, stride, padding, dilation, ceil = _geometry(data, dilated=True)
    seed = data.draw(st.integers(0, 2**16), label="seed")
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, shape).astype(float) if ties else rng.standard_normal(shape)
    ours = md.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    with kernels.use(max_pool2d=impl, max_pool2d_backward=impl):
        out, indices = F.max_pool2d(ours, kernel, stride, padding, dilation, ceil, True)
        t_out, t_indices = torch.nn.functional.max_pool2d(
            theirs, kernel, stride, padding, dilation, ceil, return_indices=True
        )
        assert indices.dtype == np.int64 and not indices.requires_grad
        np.testing.assert_array_equal(indices.numpy(), t_indices.numpy())
        np.testing.assert_array_equal(out.numpy(), t_out.detach().numpy())
        g = rng.standard_normal(out.shape)
        out.backward(g)
        t_out.backward(torch.tensor(g))
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_return_indices_is_a_thin_wrapper_over_the_primitive():
    x = md.tensor(np.random.default_rng(0).standard_normal((1, 2, 6, 5)))
    out, indices = F.max_pool2d_with_indices(x, 3, 2, 1, 2, True)
    np.testing.assert_array_equal(F.max_pool2d(x, 3, 2, 1, 2, True).numpy(), out.numpy())
    both = F.max_pool2d(x, 3, 2, 1, 2, True, return_indices=True)
    np.testing.assert_array_equal(both[1].numpy(), indices.numpy())


@pytest.mark.parametrize("impl", ["reference", "cpu"])
def test_unpool_after_overlapping_pool_writes_each_value_once_as_torch(impl, torch):
    """Kernel 3, stride 2: the centre pixel of this 5x5 image is every window's maximum. It
    must come back once (PyTorch), not four times (a summing scatter)."""
    x = np.zeros((1, 1, 5, 5))
    x[0, 0, 2, 2] = 9.0
    with kernels.use(max_unpool2d=impl):
        out, indices = F.max_pool2d(md.tensor(x), 3, 2, return_indices=True)
        np.testing.assert_array_equal(indices.numpy(), np.full((1, 1, 2, 2), 12))
        back = F.max_unpool2d(out, indices, 3, 2, output_size=(5, 5))
    t_out, t_indices = torch.nn.functional.max_pool2d(torch.tensor(x), 3, 2, return_indices=True)
    want = torch.nn.functional.max_unpool2d(t_out, t_indices, 3, 2, output_size=(5, 5))
    np.testing.assert_array_equal(back.numpy(), want.numpy())
    np.testing.assert_array_equal(back.numpy(), x)


@settings(max_examples=20)
@given(data=st.data())
def test_unpool_of_an_overlapping_pool_and_its_gradient_equal_torch(data, torch):
    """Overlapping windows repeat indices. Unpooling the pooled values writes each once;
    the gradient is PyTorch's gather: every value sent to a place reads that gradient."""
    shape, kernel, stride, padding, _, _ = _geometry(data)
    S = stride or kernel
    x = values(data, shape, "distinct")
    out, indices = reference.max_pool2d(x, *kernel, *S, *padding)
    ours = md.tensor(out, requires_grad=True)
    theirs = torch.tensor(out, requires_grad=True)
    size = shape[2:]
    assume(
        all(n - s < o < n + s for n, s, o in zip(_default_unpool(out, kernel, S, padding), S, size))
    )
    back = F.max_unpool2d(ours, indices, kernel, stride, padding, size)
    want = torch.nn.functional.max_unpool2d(
        theirs, torch.from_numpy(indices), kernel, stride, padding, size
    )
    np.testing.assert_array_equal(back.numpy(), want.detach().numpy())
    g = np.random.default_rng(0).standard_normal(back.shape)
    back.backward(g)
    want.backward(torch.tensor(g))
    np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())


def _default_unpool(out, kernel, stride, padding):
    return tuple(
        (n - 1) * s - 2 * p + k for n, k, s, p in zip(out.shape[2:], kernel, stride, padding)
    )


def test_unpool_keeps_the_last_of_different_values_sent_to_one_place():
    x = md.tensor(np.array([[[[1.0, 2.0], [4.0, 8.0]]]]), requires_grad=True)
    indices = np.array([[[[3, 3], [0, 3]]]])
    out = F.max_unpool2d(x, indices, 1)  # 1x1 "windows": the output is 2 x 2
    np.testing.assert_array_equal(out.numpy(), [[[[4.0, 0.0], [0.0, 8.0]]]])
    out.backward(np.array([[[[10.0, 20.0], [30.0, 40.0]]]]))
    np.testing.assert_array_equal(x.grad, [[[[40.0, 40.0], [10.0, 40.0]]]])  # a gather


def test_max_pool_backward_still_sums_where_windows_share_a_pixel():
    x = np.zeros((1, 1, 5, 5))
    x[0, 0, 2, 2] = 9.0
    t = md.tensor(x, requires_grad=True)
    F.max_pool2d(t, 3, 2).backward(np.ones((1, 1, 2, 2)))
    assert t.grad[0, 0, 2, 2] == 4.0 and t.grad.sum() == 4.0


@pytest.mark.parametrize(
    "call",
    [
        lambda F, x: F.max_pool2d(x, 3, 2, 1, 2, True),
        lambda F, x: F.max_pool2d(x, 2, return_indices=True)[1],
        lambda F, x: F.avg_pool2d(x, 3, 2, 1, True, False, None),
        lambda F, x: F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2),
    ],
    ids=["max_pool2d", "indices", "avg_pool2d", "max_unpool2d"],
)
def test_unbatched_input_equals_torch(call, torch):
    x = np.random.default_rng(0).standard_normal((3, 7, 6))
    got, want = call(F, md.tensor(x)), call(torch.nn.functional, torch.tensor(x))
    assert got.shape == tuple(want.shape)
    np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_avg_pool_divisor_rules_with_ceil_mode(torch):
    """A ceil_mode window past the padded edge is clipped for the divisor."""
    x = np.arange(1.0, 26.0).reshape(1, 1, 5, 5)
    for cip in (True, False):
        got = F.avg_pool2d(md.tensor(x), 2, 2, 0, True, cip).numpy()
        want = torch.nn.functional.avg_pool2d(torch.tensor(x), 2, 2, 0, True, cip).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-14)
        assert got[0, 0, 2, 2] == 25.0  # the lone last pixel, divided by 1


@pytest.mark.parametrize("size", [(5, 5), (6, 7), (7, 7), (1, 3, 7, 5)])
def test_unpool_output_size_within_the_stride_of_the_default(size, torch):
    """Input 3 x 3, kernel 2, stride 2: the default is 6; any size strictly within (4..8)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 3, 3, 3))
    indices = np.stack([rng.permutation(25)[:9] for _ in range(3)]).reshape(1, 3, 3, 3)
    got = F.max_unpool2d(md.tensor(x), indices, 2, output_size=size)
    want = torch.nn.functional.max_unpool2d(
        torch.tensor(x), torch.from_numpy(indices), 2, output_size=size
    )
    np.testing.assert_array_equal(got.numpy(), want.numpy())


# ---- layers ---------------------------------------------------------------------------------


def test_layers_take_torchs_positional_arguments(torch):
    x = np.random.default_rng(0).standard_normal((2, 3, 9, 8))
    pairs = [
        (nn.MaxPool2d(3, 2, 1, 2, False, True), torch.nn.MaxPool2d(3, 2, 1, 2, False, True)),
        (nn.AvgPool2d(3, 2, 1, True, False, 2), torch.nn.AvgPool2d(3, 2, 1, True, False, 2)),
    ]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours(md.tensor(x)).numpy(), theirs(torch.tensor(x)).numpy())
    out, indices = nn.MaxPool2d(3, 2, 1, return_indices=True)(md.tensor(x))
    t_out, t_indices = torch.nn.MaxPool2d(3, 2, 1, return_indices=True)(torch.tensor(x))
    np.testing.assert_array_equal(indices.numpy(), t_indices.numpy())
    back = nn.MaxUnpool2d(3, 2, 1)(out, indices, x.shape)
    np.testing.assert_array_equal(
        back.numpy(), torch.nn.MaxUnpool2d(3, 2, 1)(t_out, t_indices, x.shape).numpy()
    )
    assert nn.MaxPool2d(2).stride == 2 and nn.AvgPool2d((2, 3)).stride == (2, 3)


def test_pool_and_unpool_layers_make_a_round_trip():
    x = md.tensor(np.random.default_rng(0).standard_normal((2, 3, 7, 9)))
    pool, unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
    out, indices = pool(x)
    back = unpool(out, indices, output_size=x.shape)
    assert back.shape == x.shape
    kept = back.numpy() != 0  # the maxima are back where they were, zeros elsewhere
    np.testing.assert_array_equal(back.numpy()[kept], x.numpy()[kept])
    assert kept.sum() == out.numel()
    assert isinstance(nn.MaxPool2d(2)(x), md.Tensor)
    np.testing.assert_array_equal(
        nn.AvgPool2d(3, 2, 1)(x).numpy(), F.avg_pool2d(x, 3, 2, 1).numpy()
    )


# ---- bad input ------------------------------------------------------------------------------

BAD = [
    # (call, expected message)
    (
        lambda x: F.max_pool2d(x[0, 0], 2),
        r"max_pool2d: expected a 3-D \(C, H, W\) or 4-D \(N, C, H, W\) input, got shape \(5, 5\)",
    ),
    (
        lambda x: F.max_pool2d(x, 3, 1, 2),
        r"max_pool2d: padding \(2, 2\) must be at most half the kernel",
    ),
    (
        lambda x: F.max_pool2d(x, 7),
        r"max_pool2d: output size \(0, 0\) is not positive: kernel \(7, 7\) is larger",
    ),
    (lambda x: F.max_pool2d(x, 0), r"max_pool2d: kernel_size must be an int or a pair"),
    (lambda x: F.avg_pool2d(x, 2, padding=2), r"avg_pool2d: padding \(2, 2\) must be at most half"),
    (lambda x: F.max_pool2d(x, 2, dilation=0), r"max_pool2d: dilation must be an int or a pair"),
    (
        lambda x: F.max_pool2d(x, 3, dilation=3),
        r"max_pool2d: output size \(0, 0\) is not positive: kernel \(3, 3\) with dilation "
        r"\(3, 3\) spans \(7, 7\), which is larger than the padded input \(5, 5\)",
    ),
    (lambda x: F.max_pool2d(x, (2, 2, 2)), r"max_pool2d: kernel_size must be an int or a pair"),
    (lambda x: F.avg_pool2d(x, 2, divisor_override=0), r"avg_pool2d: divisor_override must be"),
    (lambda x: F.avg_pool2d(x, 2, stride="2"), r"avg_pool2d: stride must be an int or a pair"),
    (
        lambda x: F.max_unpool2d(x, np.zeros((1, 3, 5, 4), np.int64), 2),
        r"max_unpool2d: expected indices of the input's shape \(1, 3, 5, 5\), got \(1, 3, 5, 4\)",
    ),
    (
        lambda x: F.max_unpool2d(x, np.full((1, 3, 5, 5), 100), 2),
        r"max_unpool2d: indices must lie in \[0, 100\) for output size \(10, 10\)",
    ),
    (
        lambda x: F.max_unpool2d(x, np.zeros((1, 3, 5, 5), np.int64), 2, output_size=(12, 10)),
        r"max_unpool2d: output_size \(12, 10\) is not within \(9..11\) along dim 0",
    ),
    (
        lambda x: F.max_unpool2d(x, np.zeros((1, 3, 5, 5), np.float32), 2),
        r"max_unpool2d: expected integer indices, got float32",
    ),
]


@pytest.mark.parametrize("call, message", BAD)
def test_bad_input_is_a_value_error_naming_the_op(call, message):
    with pytest.raises(ValueError, match=message):
        call(md.tensor(np.zeros((1, 3, 5, 5))))


test_gradgradcheck, test_second_order_matches_torch = second_order_tests(CASES)
