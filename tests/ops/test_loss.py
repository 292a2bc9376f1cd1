"""Losses (minidl/ops/loss.py): cross-entropy on (N, C) and (N, C, H, W) with class weights,
ignore_index and every reduction; NLL, BCE-with-logits, MSE; pixel weights by hand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import strategies as st
from op_harness import (
    Inputs,
    OpCase,
    op_tests,
    values,
)

import minidl as md
import minidl.nn.functional as F

REDUCTIONS = ["none", "mean", "sum"]


def _classification(data: st.DataObject) -> Inputs:
    """Logits (N, C, *spatial), int targets, maybe class weights, maybe ignored positions (at
    least one position stays valid, or "mean" would be 0/0 in both libraries)."""
    n, c = data.draw(st.integers(1, 4), label="N"), data.draw(st.integers(2, 4), label="C")
    spatial = tuple(data.draw(st.lists(st.integers(1, 3), max_size=2), label="spatial"))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    target = rng.integers(0, c, (n, *spatial))
    kwargs = {"target": target, "reduction": data.draw(st.sampled_from(REDUCTIONS))}
    if data.draw(st.booleans(), label="weighted"):
        kwargs["weight"] = rng.uniform(0.2, 2.0, c)
    if data.draw(st.booleans(), label="some ignored"):
        ignore = data.draw(st.sampled_from([-100, 0, 255]), label="ignore_index")
        ignored = rng.random(target.shape) < 0.4
        target[ignored] = ignore
        if target.flat[0] == ignore:  # ignore_index 0 is also a class
            target.flat[0] = 1
        kwargs["ignore_index"] = ignore
    return Inputs([values(data, (n, c, *spatial))], kwargs)


def _torch_kwargs(T, kwargs):
    return {k: T.as_tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}


def _binary_targets(data: st.DataObject) -> Inputs:
    n, c = data.draw(st.integers(1, 4), label="N"), data.draw(st.integers(1, 4), label="C")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    kwargs = {"target": rng.random((n, c)), "reduction": data.draw(st.sampled_from(REDUCTIONS))}
    if data.draw(st.booleans(), label="weighted"):
        kwargs["weight"] = rng.uniform(0.2, 2.0, (n, 1))
    if data.draw(st.booleans(), label="pos_weight"):
        kwargs["pos_weight"] = rng.uniform(0.2, 3.0, c)
    return Inputs([3 * values(data, (n, c))], kwargs)


def _regression(data: st.DataObject) -> Inputs:
    n = data.draw(st.integers(1, 5), label="N")
    reduction = data.draw(st.sampled_from(REDUCTIONS))
    return Inputs([values(data, (n, 3)), values(data, (n, 3))], {"reduction": reduction})


CASES = [
    OpCase(
        "cross_entropy",
        _classification,
        lambda x, **kw: F.cross_entropy(x, **kw),
        lambda T, x, **kw: T.nn.functional.cross_entropy(x, **_torch_kwargs(T, kw)),
    ),
    OpCase(
        "nll_loss",
        _classification,
        lambda x, **kw: F.nll_loss(F.log_softmax(x, 1), **kw),
        lambda T, x, **kw: T.nn.functional.nll_loss(T.log_softmax(x, 1), **_torch_kwargs(T, kw)),
    ),
    OpCase(
        "bce_with_logits",
        _binary_targets,
        lambda x, **kw: F.binary_cross_entropy_with_logits(x, **kw),
        lambda T, x, **kw: T.nn.functional.binary_cross_entropy_with_logits(
            x, **_torch_kwargs(T, kw)
        ),
    ),
    OpCase(
        "mse_loss",
        _regression,
        lambda a, b, reduction: F.mse_loss(a, b, reduction),
        lambda T, a, b, reduction: T.nn.functional.mse_loss(a, b, reduction=reduction),
    ),
]


test_gradcheck, test_matches_torch, test_float32_in_float32_out = op_tests(CASES, None, 25)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_pixel_weight_matches_a_hand_computation(reduction):
    """loss_i = -w_i log p_i[t_i], w_i = weight[t_i] · pixel_weight_i (0 where ignored);
    "mean" is Σ w_i loss_i / Σ w_i."""
    rng = np.random.default_rng(1)
    logits = rng.standard_normal((2, 3, 4, 5))
    target = rng.integers(0, 3, (2, 4, 5))
    target[0, 0, :2] = -1
    weight, pixel_weight = np.array([0.5, 1.0, 2.0]), rng.uniform(0.5, 3.0, (2, 4, 5))
    x = md.tensor(logits, requires_grad=True)
    loss = F.cross_entropy(x, target, weight, -1, reduction, pixel_weight)

    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    valid = target != -1
    picked = np.take_along_axis(logp, np.where(valid, target, 0)[:, None], 1)[:, 0]
    w = valid * weight[np.where(valid, target, 0)] * pixel_weight
    expected = {"none": -w * picked, "sum": (-w * picked).sum()}
    expected["mean"] = expected["sum"] / w.sum()
    np.testing.assert_allclose(loss.numpy(), expected[reduction], rtol=1e-12)
    assert md.gradcheck(
        lambda t: F.cross_entropy(t, target, weight, -1, reduction, pixel_weight), [x]
    )


def test_ignored_positions_get_no_gradient():
    x = md.tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)
    F.cross_entropy(x, np.array([1, -100, 2])).backward()
    assert not x.grad[1].any() and x.grad[0].any() and x.grad[2].any()


def test_loss_modules_call_the_functions():
    x = md.tensor(np.random.default_rng(0).standard_normal((3, 4)))
    t = np.array([0, 3, 1])
    assert md.nn.CrossEntropyLoss()(x, t).item() == F.cross_entropy(x, t).item()
    y = np.ones((3, 4)) * 0.5
    assert md.nn.BCEWithLogitsLoss()(x, y).item() == F.binary_cross_entropy_with_logits(x, y).item()
    assert md.nn.MSELoss(reduction="sum")(x, y).item() == F.mse_loss(x, y, "sum").item()


# ---- bad input ----------------------------------------------------------------------------------


def test_target_class_out_of_range_names_the_value():
    with pytest.raises(
        ValueError,
        match=r"cross_entropy: target value 5 is out of range for 3 classes \(valid: 0..2",
    ):
        F.cross_entropy(md.zeros(2, 3), np.array([0, 5]))
    with pytest.raises(ValueError, match="cross_entropy: target value -1 is out of range"):
        F.cross_entropy(md.zeros(2, 3, 4, 4), -np.ones((2, 4, 4), np.int64))


def test_target_with_a_wrong_shape_or_dtype_is_rejected():
    with pytest.raises(
        ValueError, match=r"cross_entropy: target of shape \(2, 4, 4\) expected .* got \(2, 4\)"
    ):
        F.cross_entropy(md.zeros(2, 3, 4, 4), np.zeros((2, 4), np.int64))
    with pytest.raises(TypeError, match="cross_entropy: target must hold integer class indices"):
        F.cross_entropy(md.zeros(2, 3), np.array([0.0, 1.0]))
    with pytest.raises(
        ValueError, match=r"cross_entropy: expected \(N, C\) or \(N, C, \*\) logits"
    ):
        F.cross_entropy(md.zeros(3), np.array([0]))


def test_bad_weight_and_reduction_are_rejected():
    x, t = md.zeros(2, 3), np.array([0, 1])
    with pytest.raises(ValueError, match=r"nll_loss: weight must have one value per class \(3,\)"):
        F.cross_entropy(x, t, weight=np.ones(4))
    with pytest.raises(ValueError, match=r"nll_loss: pixel_weight must have the target's shape"):
        F.cross_entropy(x, t, pixel_weight=np.ones(3))
    with pytest.raises(ValueError, match="cross_entropy: reduction must be one of"):
        F.cross_entropy(x, t, reduction="avg")
    with pytest.raises(ValueError, match="binary_cross_entropy_with_logits: target shape"):
        F.binary_cross_entropy_with_logits(x, np.zeros((3, 2)))


def test_gpu_marks_out_of_range_targets_with_nan_instead_of_raising():
    """The GPU path's replacement for the host-side check, run here on NumPy arrays."""
    from minidl.ops.loss import _poison_bad

    safe = np.array([0, 2, 3, -1, 1])
    w = np.ones(5, np.float32)
    safe2, w2 = _poison_bad(np, safe, w, classes=3)
    np.testing.assert_array_equal(safe2, [0, 2, 0, 0, 1])
    assert w2.dtype == np.float32
    np.testing.assert_array_equal(np.isnan(w2), [False, False, True, True, False])
