"""Elementwise ops (minidl/ops/elementwise.py): gradcheck, PyTorch, float32, edge cases."""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import strategies as st
from op_harness import (
    Inputs,
    OpCase,
    binary,
    op_tests,
    second_order_tests,
    unary,
    values,
)

import minidl as md


def _where_inputs(data: st.DataObject) -> Inputs:
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_side=4)).input_shapes
    cond = values(data, shapes[0]) > 0
    return Inputs([values(data, shapes[1]), values(data, shapes[2])], {"cond": cond})


CASES = [
    OpCase("add", binary(), lambda a, b: a + b, lambda T, a, b: a + b),
    OpCase("sub", binary(), lambda a, b: a - b, lambda T, a, b: a - b),
    OpCase("mul", binary(), lambda a, b: a * b, lambda T, a, b: a * b),
    OpCase("div", binary("normal", "off_grid"), lambda a, b: a / b, lambda T, a, b: a / b),
    OpCase("radd", unary(), lambda a: 2.5 + a, lambda T, a: 2.5 + a),
    OpCase("rsub", unary(), lambda a: 2.5 - a, lambda T, a: 2.5 - a),
    OpCase("rmul", unary(), lambda a: 2.5 * a, lambda T, a: 2.5 * a),
    OpCase("rdiv", unary("off_grid"), lambda a: 2.5 / a, lambda T, a: 2.5 / a),
    OpCase("neg", unary(), lambda a: -a, lambda T, a: -a),
    OpCase("pow_int", unary(), lambda a: a**3, lambda T, a: a**3),
    OpCase("pow_float", unary("positive"), lambda a: a**-1.5, lambda T, a: a**-1.5),
    OpCase("pow_tensor", binary("positive"), lambda a, b: a**b, lambda T, a, b: a**b),
    OpCase("rpow", unary(), lambda a: 1.7**a, lambda T, a: 1.7**a),
    OpCase("exp", unary(), md.exp, lambda T, a: T.exp(a)),
    OpCase("log", unary("positive"), md.log, lambda T, a: T.log(a)),
    OpCase("sqrt", unary("positive"), md.sqrt, lambda T, a: T.sqrt(a)),
    OpCase("abs", unary("off_grid"), md.abs, lambda T, a: T.abs(a)),
    OpCase("relu", unary("off_grid"), md.ops.relu, lambda T, a: T.relu(a)),
    OpCase("sigmoid", unary(), md.ops.sigmoid, lambda T, a: T.sigmoid(a)),
    OpCase("tanh", unary(), md.tanh, lambda T, a: T.tanh(a)),
    OpCase(
        "maximum",
        binary("off_grid", "near_grid"),
        md.maximum,
        lambda T, a, b: T.maximum(a, b),
    ),
    OpCase(
        "minimum",
        binary("near_grid", "off_grid"),
        md.minimum,
        lambda T, a, b: T.minimum(a, b),
    ),
    OpCase(
        "clamp",
        unary("off_grid"),
        lambda a: md.clamp(a, -0.5, 1.0),
        lambda T, a: T.clamp(a, -0.5, 1.0),
    ),
    OpCase("clamp_min", unary("off_grid"), lambda a: a.clamp(min=0.5), lambda T, a: a.clamp(0.5)),
    OpCase(
        "clamp_max", unary("off_grid"), lambda a: a.clamp(max=-1.0), lambda T, a: a.clamp(max=-1.0)
    ),
    OpCase(
        "where",
        _where_inputs,
        lambda a, b, cond: md.where(cond, a, b),
        lambda T, a, b, cond: T.where(T.as_tensor(cond), a, b),
    ),
]


test_gradcheck, test_matches_torch, test_float32_in_float32_out = op_tests(CASES, None, 10)


# ---- at the kinks: the subgradient PyTorch picks ----------------------------------------------

KINKS = [
    ("relu", lambda x: md.ops.relu(x), lambda T, x: T.relu(x)),
    ("abs", lambda x: md.abs(x), lambda T, x: T.abs(x)),
    ("clamp", lambda x: md.clamp(x, -1.0, 1.0), lambda T, x: T.clamp(x, -1.0, 1.0)),
    ("maximum", lambda x: md.maximum(x, x.detach() * 0), lambda T, x: T.maximum(x, x.detach() * 0)),
    ("maximum_tie", lambda x: md.maximum(x, x), lambda T, x: T.maximum(x, x)),
    ("minimum_tie", lambda x: md.minimum(x, 2 * x), lambda T, x: T.minimum(x, 2 * x)),
]


@pytest.mark.parametrize("name, ours, theirs", KINKS, ids=[k[0] for k in KINKS])
def test_subgradient_at_kinks_matches_torch(name, ours, theirs, torch):
    x = np.array([-1.0, 0.0, 1.0, 0.5])
    a = md.tensor(x, requires_grad=True)
    b = torch.tensor(x, requires_grad=True)
    ours(a).sum().backward()
    theirs(torch, b).sum().backward()
    np.testing.assert_array_equal(a.grad, b.grad.numpy())


def test_sigmoid_is_stable_for_large_inputs():
    x = md.tensor(np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0]), requires_grad=True)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        y = md.ops.sigmoid(x)
        y.sum().backward()
    np.testing.assert_allclose(y.numpy(), [0.0, 4.248354e-18, 0.5, 1.0, 1.0], rtol=1e-6)
    assert np.isfinite(x.grad).all()


def test_scalar_and_array_operands_get_no_gradient():
    x = md.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x * np.array([3.0, 4.0]) + 1
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])


# ---- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "pow", "maximum", "minimum"])
def test_shape_mismatch_names_op_and_shapes(op):
    with pytest.raises(ValueError, match=rf"{op}: shapes \(2, 3\) and \(4,\) cannot be broadcast"):
        getattr(md.ops, op)(md.ones(2, 3), md.ones(4))


def test_binary_op_needs_a_tensor():
    with pytest.raises(TypeError, match="add: expected at least one Tensor, got float, int"):
        md.ops.add(1.0, 2)


def test_where_rejects_non_bool_condition_and_bad_shapes():
    with pytest.raises(TypeError, match="where: condition must be a bool tensor, got float64"):
        md.where(np.zeros(3), md.ones(3), md.ones(3))
    with pytest.raises(ValueError, match=r"where: shapes \(3,\) and \(4,\) cannot be broadcast"):
        md.where(np.ones(1, bool), md.ones(3), md.ones(4))


def test_clamp_needs_a_bound():
    with pytest.raises(ValueError, match="clamp: give at least one of min and max"):
        md.clamp(md.ones(3))


test_gradgradcheck, test_second_order_matches_torch = second_order_tests(CASES)
