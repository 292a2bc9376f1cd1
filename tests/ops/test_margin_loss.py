"""Margin losses (minidl/ops/margin_loss.py) against PyTorch (forward and every gradient,
the target's too where it is a float Tensor), gradcheck away from the hinges, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import strategies as st
from op_harness import Inputs, OpCase, op_tests, second_order_tests, values

import minidl as md
import minidl.nn as nn
import minidl.nn.functional as F

REDUCTIONS = ["none", "mean", "sum"]


def _signs(data: st.DataObject, shape: tuple[int, ...]) -> np.ndarray:
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="sign seed"))
    return rng.choice([-1.0, 1.0], shape)


def _ranking(data: st.DataObject) -> Inputs:
    shape = data.draw(st.sampled_from([(), (5,)]), label="shape")
    x2 = values(data, shape)
    diff = values(data, shape, "off_grid")  # −y·diff + margin stays off 0 for margin 0.5
    kw = {"margin": 0.5, "reduction": data.draw(st.sampled_from(REDUCTIONS))}
    return Inputs([x2 + diff, x2, _signs(data, shape)], kw)


def _hinge(data: st.DataObject) -> Inputs:
    shape = data.draw(st.sampled_from([(), (5,), (2, 3)]), label="shape")
    kw = {"target": _signs(data, shape), "margin": 1.0}
    kw["reduction"] = data.draw(st.sampled_from(REDUCTIONS))
    return Inputs([values(data, shape, "off_grid")], kw)


def _cosine(data: st.DataObject) -> Inputs:
    n = data.draw(st.sampled_from([None, 4]), label="N")
    shape, tshape = ((3,), ()) if n is None else ((n, 3), (n,))
    kw = {"target": _signs(data, tshape), "margin": -0.9}  # cos − margin > 0: off the hinge
    kw["reduction"] = data.draw(st.sampled_from(REDUCTIONS))
    return Inputs([values(data, shape), values(data, shape)], kw)


def _soft_margin(data: st.DataObject) -> Inputs:
    shape = data.draw(st.sampled_from([(), (5,), (2, 3)]), label="shape")
    kw = {"reduction": data.draw(st.sampled_from(REDUCTIONS)), "target": values(data, shape)}
    return Inputs([3 * values(data, shape)], kw)  # PyTorch gives the target no gradient


def _multilabel(data: st.DataObject) -> Inputs:
    shape = data.draw(st.sampled_from([(4,), (3, 4)]), label="shape")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    kw = {"reduction": data.draw(st.sampled_from(REDUCTIONS))}
    arrays = [3 * values(data, shape), rng.integers(0, 2, shape).astype(float)]
    if data.draw(st.booleans(), label="weighted"):
        arrays.append(rng.uniform(0.5, 2, shape[-1:]))  # a float Tensor: it gets a gradient
    return Inputs(arrays, kw)


def _multi_margin(data: st.DataObject) -> Inputs:
    n = data.draw(st.sampled_from([None, 4]), label="N")
    c = 3
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    shape, target = ((c,), rng.integers(0, c, ())) if n is None else ((n, c), rng.integers(0, c, n))
    kw = {"target": target, "p": data.draw(st.sampled_from([1, 2]), label="p"), "margin": 0.75}
    kw["reduction"] = data.draw(st.sampled_from(REDUCTIONS))
    if data.draw(st.booleans(), label="weighted"):
        kw["weight"] = rng.uniform(0.5, 2, c)
    # spaced scores: every margin − x[y] + x[i] is at least 0.05 from the hinge
    x = 0.4 * rng.permutation(np.prod(shape)).reshape(shape) + rng.uniform(0, 0.02, shape)
    return Inputs([x], kw)


def _torch_kwargs(T, kwargs):
    return {k: T.as_tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}


def _case(name: str, draw) -> OpCase:
    return OpCase(
        name,
        draw,
        lambda *ts, **kw: getattr(F, name)(*ts, **kw),
        lambda T, *ts, **kw: getattr(T.nn.functional, name)(*ts, **_torch_kwargs(T, kw)),
    )


CASES = [
    _case("margin_ranking_loss", _ranking),
    _case("hinge_embedding_loss", _hinge),
    _case("cosine_embedding_loss", _cosine),
    _case("soft_margin_loss", _soft_margin),
    _case("multilabel_soft_margin_loss", _multilabel),
    _case("multi_margin_loss", _multi_margin),
]

test_gradcheck, test_matches_torch, test_float32_in_float32_out = op_tests(CASES, 10, 20, 3)


def test_modules_take_torch_constructor_arguments(torch):
    rng = np.random.default_rng(0)
    x1, x2 = rng.standard_normal((2, 4, 3))
    y = np.array([1.0, -1.0, -1.0, 1.0])
    t = torch.tensor
    checks = [
        (nn.MarginRankingLoss(0.3)(md.tensor(x1[:, 0]), x2[:, 0], y),
         torch.nn.MarginRankingLoss(0.3)(t(x1[:, 0]), t(x2[:, 0]), t(y))),
        (nn.HingeEmbeddingLoss(margin=2.0, reduction="sum")(md.tensor(x1), np.sign(x2)),
         torch.nn.HingeEmbeddingLoss(margin=2.0, reduction="sum")(t(x1), t(np.sign(x2)))),
        (nn.CosineEmbeddingLoss(0.1)(md.tensor(x1), x2, y),
         torch.nn.CosineEmbeddingLoss(0.1)(t(x1), t(x2), t(y))),
        (nn.SoftMarginLoss()(md.tensor(x1), np.sign(x2)),
         torch.nn.SoftMarginLoss()(t(x1), t(np.sign(x2)))),
        (nn.MultiLabelSoftMarginLoss(weight=np.ones(3))(md.tensor(x1), x2 > 0),
         torch.nn.MultiLabelSoftMarginLoss(weight=t(np.ones(3)))(t(x1), t(x2 > 0).double())),
        (nn.MultiMarginLoss(p=2, margin=0.5)(md.tensor(x1), np.array([0, 2, 1, 1])),
         torch.nn.MultiMarginLoss(p=2, margin=0.5)(t(x1), t(np.array([0, 2, 1, 1])))),
    ]  # fmt: skip
    for ours, want in checks:
        np.testing.assert_allclose(ours.numpy(), want.numpy(), rtol=1e-12)


def test_bad_arguments_name_the_op_the_argument_and_the_value():
    x = md.ones(2, 3)
    with pytest.raises(ValueError, match="multi_margin_loss: only p == 1 and p == 2 .* got 3"):
        F.multi_margin_loss(x, np.array([0, 1]), p=3)
    with pytest.raises(ValueError, match=r"multi_margin_loss: target values must be in 0..2"):
        F.multi_margin_loss(x, np.array([0, 3]))
    with pytest.raises(ValueError, match=r"multi_margin_loss: expected an integer target of 2"):
        F.multi_margin_loss(x, np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"cosine_embedding_loss: expected target of shape"):
        F.cosine_embedding_loss(x, x, np.ones(3))
    with pytest.raises(ValueError, match=r"margin_ranking_loss: expected the same number of dims"):
        F.margin_ranking_loss(x, x, np.ones(3))
    with pytest.raises(ValueError, match="MultiMarginLoss: only p == 1 and p == 2"):
        nn.MultiMarginLoss(p=0)


test_gradgradcheck, test_second_order_matches_torch = second_order_tests(
    CASES,
    no_torch_oracle={
        "multi_margin_loss": "PyTorch 2.13: derivative for multi_margin_loss_backward is "
        "not implemented"
    },
)
