"""Softmax and log-softmax (minidl/ops/softmax.py): any axis, stable for large inputs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import strategies as st
from op_harness import (
    Inputs,
    OpCase,
    op_tests,
    shapes,
)

import minidl as md


def _along_a_dim(data: st.DataObject) -> Inputs:
    shape = data.draw(shapes(min_dims=1), label="shape")
    dim = data.draw(st.integers(-len(shape), len(shape) - 1), label="dim")
    # a spread wider than a standard normal, so that some rows are nearly one-hot
    x = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1))).normal(0, 3, shape)
    return Inputs([x], {"dim": dim})


CASES = [
    OpCase("softmax", _along_a_dim, md.ops.softmax, lambda T, a, dim: T.softmax(a, dim)),
    OpCase(
        "log_softmax", _along_a_dim, md.ops.log_softmax, lambda T, a, dim: T.log_softmax(a, dim)
    ),
]


test_gradcheck, test_matches_torch, test_float32_in_float32_out = op_tests(CASES, None, 15)


def test_huge_logits_neither_overflow_nor_lose_the_answer():
    x = md.tensor(np.array([[1000.0, 1001.0, -1000.0]], np.float32), requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        logp = x.log_softmax(1)
        p = x.softmax(1)
        (logp[:, 0] + p[:, 1]).sum().backward()
    np.testing.assert_allclose(logp.numpy(), [[-1.3132616, -0.3132617, -2001.3132]], rtol=1e-6)
    np.testing.assert_allclose(p.numpy().sum(), 1.0, rtol=1e-6)
    assert np.isfinite(x.grad).all()


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_dim_out_of_range_names_op(op):
    with pytest.raises(ValueError, match=rf"{op}: dim 2 is out of range for shape \(2, 3\)"):
        getattr(md.ops, op)(md.ones(2, 3), 2)
