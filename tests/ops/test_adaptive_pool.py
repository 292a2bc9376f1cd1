"""adaptive_avg_pool2d and adaptive_max_pool2d (minidl/ops/adaptive_pool.py) and their
layers: float64 gradcheck, equality with PyTorch (values, indices with ties and NaN, every
gradient) on odd, non-square, up- and downsampling sizes, unbatched input, and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from op_harness import Inputs, OpCase, op_tests, second_order_tests, values

import minidl as md
import minidl.nn as nn
import minidl.nn.functional as F
from minidl.ops.adaptive_pool import windows


def _draw(domain: str):
    def draw(data: st.DataObject) -> Inputs:
        shape = tuple(data.draw(st.integers(1, n), label=a) for n, a in zip((2, 3, 9, 9), "NCHW"))
        one = st.integers(1, 10)
        size = data.draw(one | st.tuples(one | st.none(), one | st.none()), label="output_size")
        return Inputs([values(data, shape, domain)], {"size": size})

    return draw


CASES = [
    OpCase(
        "adaptive_avg_pool2d",
        _draw("normal"),
        lambda x, size: F.adaptive_avg_pool2d(x, size),
        lambda T, x, size: T.nn.functional.adaptive_avg_pool2d(x, size),
    ),
    OpCase(
        "adaptive_max_pool2d",  # distinct values: one maximum per window, no kink within eps
        _draw("distinct"),
        lambda x, size: F.adaptive_max_pool2d(x, size),
        lambda T, x, size: T.nn.functional.adaptive_max_pool2d(x, size),
    ),
]

test_gradcheck, test_matches_torch, test_float32_in_float32_out = op_tests(CASES, 15, 40)


def test_windows_are_pytorchs_floor_and_ceil():
    start, end = windows(10, 4)  # 10/4 = 2.5: windows of 3, overlapping by one
    np.testing.assert_array_equal(start, [0, 2, 5, 7])
    np.testing.assert_array_equal(end, [3, 5, 8, 10])
    start, end = windows(3, 5)  # upsampling: windows of one or two pixels
    np.testing.assert_array_equal(start, [0, 0, 1, 1, 2])
    np.testing.assert_array_equal(end, [1, 2, 2, 3, 3])


@settings(max_examples=25)
@given(data=st.data(), kind=st.sampled_from(["ties", "nan", "-inf"]))
def test_max_indices_with_ties_and_nan_equal_torch(data, kind, torch):
    """The first maximum in row-major order wins ties, the last NaN wins, -inf keeps the
    window's first pixel: what PyTorch's scan gives, although we scan along W then H."""
    shape = tuple(data.draw(st.integers(1, n)) for n in (2, 2, 9, 9))
    size = data.draw(st.tuples(st.integers(1, 6), st.integers(1, 6)), label="output_size")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16), label="seed"))
    x = rng.integers(0, 3, shape).astype(float)
    if kind == "nan":
        x[rng.random(shape) < 0.2] = np.nan
    elif kind == "-inf":
        x[rng.random(shape) < 0.7] = -np.inf
    ours = md.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    out, indices = F.adaptive_max_pool2d(ours, size, return_indices=True)
    t_out, t_indices = torch.nn.functional.adaptive_max_pool2d(theirs, size, return_indices=True)
    np.testing.assert_array_equal(indices.numpy(), t_indices.numpy())
    np.testing.assert_array_equal(out.numpy(), t_out.detach().numpy())  # NaNs compare equal
    g = rng.standard_normal(out.shape)
    out.backward(g)
    t_out.backward(torch.tensor(g))
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12)  # summed overlaps


def test_global_pooling_is_the_mean_and_the_max():
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 5))
    avg = F.adaptive_avg_pool2d(md.tensor(x), 1).numpy()
    np.testing.assert_allclose(avg, x.mean(axis=(2, 3), keepdims=True), rtol=1e-13)
    np.testing.assert_array_equal(
        F.adaptive_max_pool2d(md.tensor(x), (1, 1)).numpy(), x.max(axis=(2, 3), keepdims=True)
    )


def test_unbatched_input_and_layers_equal_torch(torch):
    x = np.random.default_rng(0).standard_normal((3, 7, 6))
    got = nn.AdaptiveAvgPool2d((None, 4))(md.tensor(x))
    want = torch.nn.AdaptiveAvgPool2d((None, 4))(torch.tensor(x))
    assert got.shape == tuple(want.shape) == (3, 7, 4)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-13)
    out, indices = nn.AdaptiveMaxPool2d(3, return_indices=True)(md.tensor(x))
    t_out, t_indices = torch.nn.AdaptiveMaxPool2d(3, return_indices=True)(torch.tensor(x))
    np.testing.assert_array_equal(indices.numpy(), t_indices.numpy())
    np.testing.assert_array_equal(out.numpy(), t_out.numpy())
    assert isinstance(nn.AdaptiveMaxPool2d(3)(md.tensor(x)), md.Tensor)


@pytest.mark.parametrize("op", ["adaptive_avg_pool2d", "adaptive_max_pool2d"])
@pytest.mark.parametrize(
    "size, message",
    [
        (0, r"output_size must be an int or a pair of ints >= 1 .* got 0"),
        ((2, 3, 4), r"output_size must be an int or a pair .* got \(2, 3, 4\)"),
        ("7", r"output_size must be an int or a pair .* got '7'"),
    ],
)
def test_bad_output_size_is_a_value_error_naming_the_op(op, size, message):
    with pytest.raises(ValueError, match=f"{op}: {message}"):
        getattr(F, op)(md.tensor(np.zeros((1, 2, 5, 5))), size)


def test_bad_input_is_a_value_error_naming_the_op():
    with pytest.raises(ValueError, match=r"adaptive_avg_pool2d: expected a 3-D \(C, H, W\) or"):
        F.adaptive_avg_pool2d(md.tensor(np.zeros((5, 5))), 2)
    with pytest.raises(ValueError, match=r"adaptive_max_pool2d: expected a floating-point"):
        F.adaptive_max_pool2d(md.tensor(np.zeros((1, 5, 5), np.int64)), 2)


test_gradgradcheck, test_second_order_matches_torch = second_order_tests(CASES)
