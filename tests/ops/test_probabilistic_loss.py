"""KL divergence, Poisson and Gaussian NLL (minidl/ops/probabilistic_loss.py) against PyTorch
(forward and every gradient: input, target, var), gradcheck, PyTorch's edge rules (0·log 0,
the var clamp, batchmean), errors."""

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


def _kl(data: st.DataObject) -> Inputs:
    shape = data.draw(st.sampled_from([(), (4,), (2, 3)]), label="shape")
    log_target = data.draw(st.booleans(), label="log_target")
    target = values(data, shape) if log_target else values(data, shape, "positive")
    kw = {"reduction": data.draw(st.sampled_from([*REDUCTIONS, "batchmean"])),
          "log_target": log_target}  # fmt: skip
    return Inputs([values(data, shape), target], kw)


def _poisson(data: st.DataObject) -> Inputs:
    shape = data.draw(st.sampled_from([(), (4,), (2, 3)]), label="shape")
    log_input = data.draw(st.booleans(), label="log_input")
    x = values(data, shape) if log_input else values(data, shape, "positive")
    # counts above 1 too, where full=True adds Stirling's term (and its gradient)
    kw = {"log_input": log_input, "full": data.draw(st.booleans(), label="full")}
    kw["reduction"] = data.draw(st.sampled_from(REDUCTIONS))
    return Inputs([x, 2 * values(data, shape, "positive")], kw)


def _gaussian(data: st.DataObject) -> Inputs:
    shape = data.draw(st.sampled_from([(4,), (2, 3)]), label="shape")
    var_shape = data.draw(st.sampled_from([shape, shape[:-1], (*shape[:-1], 1)]), label="var")
    kw = {"full": data.draw(st.booleans()), "reduction": data.draw(st.sampled_from(REDUCTIONS))}
    arrays = [values(data, shape), values(data, shape), values(data, var_shape, "positive")]
    return Inputs(arrays, kw)


def _case(name: str, draw) -> OpCase:
    def theirs(T, *ts, **kw):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # kl_div's warning about reduction="mean"
            return getattr(T.nn.functional, name)(*ts, **kw)

    return OpCase(name, draw, lambda *ts, **kw: getattr(F, name)(*ts, **kw), theirs)


CASES = [
    _case("kl_div", _kl),
    _case("poisson_nll_loss", _poisson),
    _case("gaussian_nll_loss", _gaussian),
]

test_gradcheck, test_matches_torch, test_float32_in_float32_out = op_tests(CASES, 10, 20, 3)


def test_kl_div_zero_target_counts_nothing_and_its_gradients_match_torch(torch):
    x, t = np.array([-1.0, -2.0, -0.5]), np.array([0.0, 0.3, 0.7])
    ours = [md.tensor(x, requires_grad=True), md.tensor(t, requires_grad=True)]
    theirs = [torch.tensor(x, requires_grad=True), torch.tensor(t, requires_grad=True)]
    out = F.kl_div(*ours, reduction="sum")
    want = torch.nn.functional.kl_div(*theirs, reduction="sum")
    np.testing.assert_allclose(out.item(), want.item(), rtol=1e-12)
    out.backward()
    want.backward()
    for m, w in zip(ours, theirs):
        np.testing.assert_allclose(m.grad, w.grad.numpy(), rtol=1e-12)
    assert np.isnan(ours[1].grad[0])  # PyTorch's 0/0 at t = 0


def test_gaussian_var_clamp_changes_the_value_only_as_torch(torch):
    x, t, v = np.array([0.5, -1.0]), np.array([0.0, 0.2]), np.array([1e-9, 2.0])
    ours = md.tensor(v, requires_grad=True)
    theirs = torch.tensor(v, requires_grad=True)
    out = F.gaussian_nll_loss(md.tensor(x), t, ours, eps=1e-6)
    want = torch.nn.functional.gaussian_nll_loss(torch.tensor(x), torch.tensor(t), theirs)
    np.testing.assert_allclose(out.item(), want.item(), rtol=1e-12)
    out.backward()
    want.backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12)
    scalar = F.gaussian_nll_loss(md.tensor(x), t, 0.5)
    want = torch.nn.functional.gaussian_nll_loss(torch.tensor(x), torch.tensor(t), 0.5)
    np.testing.assert_allclose(scalar.item(), want.item(), rtol=1e-12)


def test_modules_take_torch_constructor_arguments(torch):
    rng = np.random.default_rng(0)
    x, t = rng.standard_normal((3, 4)), rng.uniform(0.1, 3, (3, 4))
    T = torch.tensor
    checks = [
        (nn.KLDivLoss(reduction="batchmean")(md.tensor(x), t),
         torch.nn.KLDivLoss(reduction="batchmean")(T(x), T(t))),
        (nn.KLDivLoss(reduction="sum", log_target=True)(md.tensor(x), x),
         torch.nn.KLDivLoss(reduction="sum", log_target=True)(T(x), T(x))),
        (nn.PoissonNLLLoss(full=True)(md.tensor(x), t),
         torch.nn.PoissonNLLLoss(full=True)(T(x), T(t))),
        (nn.GaussianNLLLoss(eps=1e-3)(md.tensor(x), t, t),
         torch.nn.GaussianNLLLoss(eps=1e-3)(T(x), T(t), T(t))),
    ]  # fmt: skip
    for ours, want in checks:
        np.testing.assert_allclose(ours.numpy(), want.numpy(), rtol=1e-12)


def test_bad_arguments_name_the_op_the_argument_and_the_value():
    x = md.ones(2, 3)
    with pytest.raises(ValueError, match=r"kl_div: reduction must be one of .* got 'avg'"):
        F.kl_div(x, x, reduction="avg")
    with pytest.raises(ValueError, match="gaussian_nll_loss: var has negative entry"):
        F.gaussian_nll_loss(x, x, -np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"gaussian_nll_loss: var of shape \(3, 3\) does not"):
        F.gaussian_nll_loss(x, x, np.ones((3, 3)))


test_gradgradcheck, test_second_order_matches_torch = second_order_tests(CASES)
