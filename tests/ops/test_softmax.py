"""Softmax, log-softmax and softmin (minidl/ops/softmax.py): any dim, 0-d and empty inputs,
PyTorch's implicit dim and dtype=, stable for large inputs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import strategies as st
from op_harness import (
    Inputs,
    OpCase,
    op_tests,
    second_order_tests,
    shapes,
)

import minidl as md
import minidl.nn as nn
import minidl.nn.functional as F


def _along_a_dim(data: st.DataObject) -> Inputs:
    shape = data.draw(shapes(min_dims=0), label="shape")
    dim = data.draw(st.integers(-max(len(shape), 1), max(len(shape), 1) - 1), label="dim")
    # a spread wider than a standard normal, so that some rows are nearly one-hot
    x = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1))).normal(0, 3, shape)
    return Inputs([x], {"dim": dim})


CASES = [
    OpCase("softmax", _along_a_dim, md.ops.softmax, lambda T, a, dim: T.softmax(a, dim)),
    OpCase(
        "log_softmax", _along_a_dim, md.ops.log_softmax, lambda T, a, dim: T.log_softmax(a, dim)
    ),
    OpCase("softmin", _along_a_dim, F.softmin, lambda T, a, dim: T.nn.functional.softmin(a, dim)),
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


OPS = ["softmax", "log_softmax", "softmin"]


@pytest.mark.parametrize("op", OPS)
def test_dim_out_of_range_names_op(op):
    with pytest.raises(IndexError, match=rf"{op}: dim 2 is out of range for shape \(2, 3\)"):
        getattr(F, op)(md.ones(2, 3), 2)
    with pytest.raises(TypeError, match=rf"{op}: dim must be an int, got 'x'"):
        getattr(F, op)(md.ones(2, 3), "x")


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize(("shape", "dim"), [((0,), 0), ((2, 0, 3), 1), ((2, 0, 3), 2), ((), 0)])
def test_empty_and_zero_dim_inputs_match_torch(torch, op, shape, dim):
    x = np.random.default_rng(0).standard_normal(shape)
    ours, theirs = md.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out = getattr(F, op)(ours, dim)
    want = getattr(torch.nn.functional, op)(theirs, dim)
    assert out.shape == tuple(want.shape)
    np.testing.assert_allclose(out.numpy(), want.detach().numpy(), rtol=1e-12)
    out.backward(np.ones(out.shape))
    want.backward(torch.ones(want.shape, dtype=torch.float64))
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("ndim", [0, 1, 2, 3, 4])
def test_implicit_dim_follows_torch_and_warns(torch, op, ndim):
    x = np.random.default_rng(1).standard_normal((2, 3, 4, 5)[:ndim])
    with pytest.warns(UserWarning, match=f"Implicit dimension choice for {op}"):
        out = getattr(F, op)(md.tensor(x))
    with pytest.warns(UserWarning):
        want = getattr(torch.nn.functional, op)(torch.tensor(x))
    np.testing.assert_allclose(out.numpy(), want.numpy(), rtol=1e-12)


@pytest.mark.parametrize("op", OPS)
def test_dtype_casts_first_as_torch(torch, op):
    x = np.random.default_rng(2).standard_normal((3, 4)).astype(np.float32)
    ours = md.tensor(x, requires_grad=True)
    out = getattr(F, op)(ours, 1, dtype=np.float64)
    want = getattr(torch.nn.functional, op)(torch.tensor(x), 1, dtype=torch.float64)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), want.numpy(), rtol=1e-12)
    out.sum().backward()
    assert ours.grad.dtype == np.float32
    with pytest.raises(TypeError, match=f"{op}: input must be a floating tensor"):
        getattr(F, op)(md.tensor(np.arange(3)), 0)


def test_modules_take_torch_arguments(torch):
    x = np.random.default_rng(3).standard_normal((2, 3, 4, 5))
    pairs = [
        (nn.Softmax(1), torch.nn.Softmax(1)),
        (nn.LogSoftmax(dim=-1), torch.nn.LogSoftmax(-1)),
        (nn.Softmin(2), torch.nn.Softmin(2)),
        (nn.Softmax2d(), torch.nn.Softmax2d()),
    ]
    for ours, theirs in pairs:
        np.testing.assert_allclose(
            ours(md.tensor(x)).numpy(), theirs(torch.tensor(x)).numpy(), rtol=1e-12
        )
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)"
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        nn.Softmax()(md.tensor(x))
    with pytest.raises(ValueError, match="Softmax2d: expected input of shape"):
        nn.Softmax2d()(md.ones(2, 3))


test_gradgradcheck, test_second_order_matches_torch = second_order_tests(CASES)
