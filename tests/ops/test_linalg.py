"""Matrix multiplication (minidl/ops/linalg.py): vectors, matrices, batches that broadcast."""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import pytest
from hypothesis import strategies as st
from op_harness import (
    Inputs,
    OpCase,
    op_tests,
    second_order_tests,
    values,
)

import minidl as md


def _matmul(data: st.DataObject) -> Inputs:
    """(..., m, k) @ (..., k, n) with batch dims that broadcast; either side may be a vector."""
    m, k, n = (data.draw(st.integers(1, 4), label=name) for name in "mkn")
    batch = data.draw(
        hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3), label="batch"
    ).input_shapes
    a = (k,) if data.draw(st.booleans(), label="a is a vector") else (*batch[0], m, k)
    b = (k,) if data.draw(st.booleans(), label="b is a vector") else (*batch[1], k, n)
    return Inputs([values(data, a), values(data, b)])


CASES = [
    OpCase("matmul", _matmul, lambda a, b: a @ b, lambda T, a, b: a @ b),
    OpCase("matmul_fn", _matmul, md.matmul, lambda T, a, b: T.matmul(a, b)),
]


test_gradcheck, test_matches_torch, test_float32_in_float32_out = op_tests(CASES, None, 20)


@pytest.mark.parametrize(
    "a, b, message",
    [
        ((2, 3), (4, 5), r"matmul: cannot multiply \(2, 3\) by \(4, 5\): inner dimensions 3 and 4"),
        ((3,), (4,), r"matmul: cannot multiply \(3,\) by \(4,\)"),
        ((2, 2, 3), (3, 3, 4), r"matmul: batch dimensions of \(2, 2, 3\) and \(3, 3, 4\)"),
        ((), (3,), r"matmul: scalars are not matrices, got shapes \(\) and \(3,\)"),
    ],
)
def test_shape_mismatch_names_op_and_shapes(a, b, message):
    with pytest.raises(ValueError, match=message):
        md.zeros(*a) @ md.zeros(*b)


test_gradgradcheck, test_second_order_matches_torch = second_order_tests(CASES)
