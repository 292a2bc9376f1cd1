"""Regression losses (minidl/ops/regression_loss.py): mse, l1, smooth_l1 and huber against
PyTorch (forward, and the gradient of input and target), with weights, broadcasting, 0-d and
empty inputs; gradcheck away from the kinks; errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import strategies as st
from op_harness import Inputs, OpCase, op_tests, second_order_tests, values

import minidl as md
import minidl.nn as nn
import minidl.nn.functional as F

REDUCTIONS = ["none", "mean", "sum"]


def _pair(weighted: bool):
    """input and target of one shape (values off the kinks of |d| at 0, ±0.5, ±1: the
    difference is off_grid), maybe an elementwise weight."""

    def draw(data: st.DataObject) -> Inputs:
        shape = data.draw(st.sampled_from([(), (4,), (2, 3), (2, 1, 3)]), label="shape")
        target = values(data, shape)
        diff = values(data, shape, "off_grid")
        kwargs = {"reduction": data.draw(st.sampled_from(REDUCTIONS))}
        if weighted and data.draw(st.booleans(), label="weighted"):
            kwargs["weight"] = np.random.default_rng(0).uniform(0.2, 2.0, shape)
        return Inputs([target + diff, target], kwargs)

    return draw


def _torch_kwargs(T, kwargs):
    return {k: T.as_tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}


def _case(name: str, weighted: bool, **fixed) -> OpCase:
    return OpCase(
        name if not fixed else f"{name}{fixed}",
        _pair(weighted),
        lambda a, b, **kw: getattr(F, name)(a, b, **kw, **fixed),
        lambda T, a, b, **kw: getattr(T.nn.functional, name)(a, b, **_torch_kwargs(T, kw), **fixed),
    )


CASES = [
    _case("mse_loss", True),
    _case("l1_loss", True),
    _case("smooth_l1_loss", False),
    _case("smooth_l1_loss", False, beta=0.5),
    _case("smooth_l1_loss", False, beta=0.0),
    _case("huber_loss", True),
    _case("huber_loss", True, delta=0.5),
]

test_gradcheck, test_matches_torch, test_float32_in_float32_out = op_tests(CASES, 10, 20, 3)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_broadcast_and_empty_targets_match_torch(torch, name, reduction):
    rng = np.random.default_rng(0)
    for a_shape, b_shape in [((3, 4), (4,)), ((0, 2), (0, 2))]:
        a, b = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
        ours = [md.tensor(a, requires_grad=True), md.tensor(b, requires_grad=True)]
        theirs = [torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # both warn about the broadcast
            out = getattr(F, name)(*ours, reduction=reduction)
            want = getattr(torch.nn.functional, name)(*theirs, reduction=reduction)
        np.testing.assert_allclose(out.numpy(), want.detach().numpy(), rtol=1e-12)
        if a.size:
            out.backward(np.ones(out.shape))
            want.backward(torch.ones(want.shape, dtype=torch.float64))
            for m, t in zip(ours, theirs):
                np.testing.assert_allclose(m.grad, t.grad.numpy(), rtol=1e-12)


def test_a_target_of_another_shape_warns_as_torch():
    with pytest.warns(UserWarning, match=r"mse_loss: using a target size \(3,\)"):
        F.mse_loss(md.ones(2, 3), np.ones(3))


def test_modules_take_torch_constructor_arguments(torch):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    pairs = [
        (nn.MSELoss(reduction="sum"), torch.nn.MSELoss(reduction="sum")),
        (nn.L1Loss(), torch.nn.L1Loss()),
        (nn.SmoothL1Loss(beta=0.3), torch.nn.SmoothL1Loss(beta=0.3)),
        (nn.HuberLoss("none", 0.4), torch.nn.HuberLoss("none", 0.4)),
    ]
    for ours, theirs in pairs:
        np.testing.assert_allclose(
            ours(md.tensor(a), b).numpy(), theirs(torch.tensor(a), torch.tensor(b)).numpy()
        )
    with pytest.warns(DeprecationWarning, match="L1Loss: size_average and reduce"):
        assert nn.L1Loss(reduce=False).reduction == "none"


def test_bad_arguments_name_the_op_the_argument_and_the_value():
    x = md.ones(2, 3)
    with pytest.raises(ValueError, match="smooth_l1_loss: beta must be >= 0, got -1"):
        F.smooth_l1_loss(x, x, beta=-1)
    with pytest.raises(ValueError, match="huber_loss: delta must be > 0, got 0"):
        F.huber_loss(x, x, delta=0)
    with pytest.raises(ValueError, match=r"mse_loss: weight must have the input's shape"):
        F.mse_loss(x, x, weight=np.ones(3))
    with pytest.raises(ValueError, match=r"l1_loss: reduction must be one of .* got 'avg'"):
        F.l1_loss(x, x, reduction="avg")
    with pytest.raises(ValueError, match=r"mse_loss: target of shape \(4,\) does not broadcast"):
        F.mse_loss(x, np.ones(4))
    with pytest.raises(TypeError, match="mse_loss: target must hold numbers, got dtype <U1"):
        F.mse_loss(x, np.array(["a"]))


test_gradgradcheck, test_second_order_matches_torch = second_order_tests(CASES)
