"""Reductions (minidl/ops/reduce.py): sum, mean, max, min over any axes, and argmax."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import strategies as st
from op_harness import (
    Inputs,
    OpCase,
    draw_axis,
    op_tests,
    second_order_tests,
    shapes,
    values,
)

import minidl as md


def reduction(domain: str = "normal"):
    def draw(data: st.DataObject) -> Inputs:
        shape = data.draw(shapes(), label="shape")
        axis = draw_axis(data, len(shape))
        keepdims = data.draw(st.booleans(), label="keepdims")
        return Inputs([values(data, shape, domain)], {"axis": axis, "keepdims": keepdims})

    return draw


def _dim(a, axis):
    """PyTorch's spelling of "every axis" is the full tuple (dim=() would mean the same)."""
    return tuple(range(a.ndim)) if axis is None else axis


CASES = [
    OpCase(
        "sum",
        reduction(),
        lambda a, axis, keepdims: a.sum(axis, keepdims),
        lambda T, a, axis, keepdims: T.sum(a, _dim(a, axis), keepdim=keepdims),
    ),
    OpCase(
        "mean",
        reduction(),
        lambda a, axis, keepdims: md.mean(a, axis, keepdims),
        lambda T, a, axis, keepdims: T.mean(a, _dim(a, axis), keepdim=keepdims),
    ),
    OpCase(
        "amax",
        reduction("distinct"),
        lambda a, axis, keepdims: a.amax(_dim(a, axis), keepdims),
        lambda T, a, axis, keepdims: T.amax(a, _dim(a, axis), keepdim=keepdims),
    ),
    OpCase(
        "amin",
        reduction("distinct"),
        lambda a, axis, keepdims: md.amin(a, axis=axis, keepdims=keepdims),
        lambda T, a, axis, keepdims: T.amin(a, _dim(a, axis), keepdim=keepdims),
    ),
]


test_gradcheck, test_matches_torch, test_float32_in_float32_out = op_tests(CASES, None, 15)


@pytest.mark.parametrize("name", ["amax", "amin"])
def test_tied_extremes_share_the_gradient_like_torch(name, torch):
    x = np.array([[1.0, 3.0, 3.0], [-2.0, -2.0, 0.5]])
    a = md.tensor(x, requires_grad=True)
    b = torch.tensor(x, requires_grad=True)
    ours = getattr(md, name)
    (ours(a, 1) * md.tensor(np.array([1.0, 2.0]))).sum().backward()
    (getattr(torch, name)(b, 1) * torch.tensor([1.0, 2.0], dtype=torch.float64)).sum().backward()
    np.testing.assert_array_equal(a.grad, b.grad.numpy())


def test_argmax_is_the_first_maximum_and_has_no_gradient(torch):
    x = np.array([[1.0, 3.0, 3.0], [5.0, -2.0, 5.0]])
    t = md.tensor(x, requires_grad=True)
    for axis in (None, 0, 1):
        got = t.argmax(axis)
        want = torch.argmax(torch.tensor(x), dim=axis)
        np.testing.assert_array_equal(got.numpy(), want.numpy())
        assert got.dtype == np.int64 and not got.requires_grad


def test_mean_of_keepdims_tuple_axes_divides_by_the_reduced_count():
    x = md.tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    y = x.mean((0, 2), keepdims=True)
    assert y.shape == (1, 3, 1)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, np.full((2, 3, 4), 1 / 8))


@pytest.mark.parametrize("op", ["sum", "mean", "max", "min", "amax", "argmax", "var"])
def test_dim_out_of_range_names_op(op):
    # IndexError, as PyTorch raises for a dim out of range
    with pytest.raises(IndexError, match=f"{op}: dim 3 is out of range for a tensor with 2 dims"):
        getattr(md, op)(md.ones(2, 3), 3)


def test_max_of_empty_tensor_is_an_error():
    with pytest.raises(IndexError, match=r"amax: cannot reduce over an empty dim .* \(0, 3\)"):
        md.max(md.zeros(0, 3))
    with pytest.raises(IndexError, match="max: cannot reduce dim 0 of size 0"):
        md.max(md.zeros(0, 3), 0)


test_gradgradcheck, test_second_order_matches_torch = second_order_tests(CASES)
