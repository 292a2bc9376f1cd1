"""Classification losses (minidl/ops/loss.py): cross-entropy on (C,), (N, C) and (N, C, H, W)
with class weights, ignore_index, label smoothing, probability targets and every reduction;
NLL; binary cross-entropy on probabilities and on logits (gradient to the target too); the
legacy size_average/reduce pair; pixel weights by hand."""

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


def _classification(data: st.DataObject, smoothing: bool = True) -> Inputs:
    """Logits (N, C, *spatial) or (C,), int targets, maybe class weights, maybe ignored
    positions (at least one stays valid, or "mean" would be 0/0 in both libraries), maybe
    label smoothing."""
    n, c = data.draw(st.integers(1, 4), label="N"), data.draw(st.integers(2, 4), label="C")
    unbatched = data.draw(st.booleans(), label="unbatched")
    spatial = () if unbatched else tuple(data.draw(st.lists(st.integers(1, 3), max_size=2)))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    target = rng.integers(0, c, () if unbatched else (n, *spatial))
    kwargs = {"target": target, "reduction": data.draw(st.sampled_from(REDUCTIONS))}
    if data.draw(st.booleans(), label="weighted"):
        kwargs["weight"] = rng.uniform(0.2, 2.0, c)
    if not unbatched and data.draw(st.booleans(), label="some ignored"):
        ignore = data.draw(st.sampled_from([-100, 0, 255]), label="ignore_index")
        ignored = rng.random(target.shape) < 0.4
        target[ignored] = ignore
        if target.flat[0] == ignore:  # ignore_index 0 is also a class
            target.flat[0] = 1
        kwargs["ignore_index"] = ignore
    if smoothing:
        kwargs["label_smoothing"] = data.draw(st.sampled_from([0.0, 0.1, 0.35]))
    shape = (c,) if unbatched else (n, c, *spatial)
    return Inputs([values(data, shape)], kwargs)


def _probabilities(data: st.DataObject) -> Inputs:
    """Logits and a probability target of the same shape (both get gradients)."""
    n, c = data.draw(st.integers(1, 4), label="N"), data.draw(st.integers(2, 4), label="C")
    spatial = tuple(data.draw(st.lists(st.integers(1, 3), max_size=1), label="spatial"))
    shape = data.draw(st.sampled_from([(c,), (n, c, *spatial)]), label="shape")
    p = np.exp(values(data, shape))
    kwargs = {
        "reduction": data.draw(st.sampled_from(REDUCTIONS)),
        "label_smoothing": data.draw(st.sampled_from([0.0, 0.2])),
    }
    if data.draw(st.booleans(), label="weighted"):
        kwargs["weight"] = np.random.default_rng(0).uniform(0.2, 2.0, c)
    return Inputs(
        [values(data, shape), p / p.sum(axis=0 if len(shape) == 1 else 1, keepdims=True)], kwargs
    )


def _torch_kwargs(T, kwargs):
    return {k: T.as_tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}


def _binary_targets(data: st.DataObject) -> Inputs:
    """Logits (or probabilities, through a sigmoid) and a target in [0, 1], both with
    gradients; maybe a weight that broadcasts and a per-class pos_weight."""
    shape = data.draw(st.sampled_from([(), (3,), (2, 3), (2, 1, 3)]), label="shape")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    kwargs = {"reduction": data.draw(st.sampled_from(REDUCTIONS))}
    if data.draw(st.booleans(), label="weighted"):
        kwargs["weight"] = rng.uniform(0.2, 2.0, shape[-1:])
    if data.draw(st.booleans(), label="pos_weight"):
        kwargs["pos_weight"] = rng.uniform(0.2, 3.0, shape[-1:])
    return Inputs([3 * values(data, shape), rng.random(shape)], kwargs)


CASES = [
    OpCase(
        "cross_entropy",
        _classification,
        lambda x, **kw: F.cross_entropy(x, **kw),
        lambda T, x, **kw: T.nn.functional.cross_entropy(x, **_torch_kwargs(T, kw)),
    ),
    OpCase(
        "cross_entropy_probabilities",
        _probabilities,
        lambda x, p, **kw: F.cross_entropy(x, p, **kw),
        lambda T, x, p, **kw: T.nn.functional.cross_entropy(x, p, **_torch_kwargs(T, kw)),
    ),
    OpCase(
        "nll_loss",
        lambda data: _classification(data, smoothing=False),
        lambda x, **kw: F.nll_loss(F.log_softmax(x, -1 if x.ndim == 1 else 1), **kw),
        lambda T, x, **kw: T.nn.functional.nll_loss(
            T.log_softmax(x, -1 if x.ndim == 1 else 1), **_torch_kwargs(T, kw)
        ),
    ),
    OpCase(
        "binary_cross_entropy_with_logits",
        _binary_targets,
        lambda x, t, **kw: F.binary_cross_entropy_with_logits(x, t, **kw),
        lambda T, x, t, **kw: T.nn.functional.binary_cross_entropy_with_logits(
            x, t, **_torch_kwargs(T, kw)
        ),
    ),
    OpCase(
        "binary_cross_entropy",
        _binary_targets,
        lambda x, t, pos_weight=None, **kw: F.binary_cross_entropy(F.sigmoid(x), t, **kw),
        lambda T, x, t, pos_weight=None, **kw: T.nn.functional.binary_cross_entropy(
            T.sigmoid(x), t, **_torch_kwargs(T, kw)
        ),
    ),
]


test_gradcheck, test_matches_torch, test_float32_in_float32_out = op_tests(CASES, 15, 25)


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
    kw = dict(ignore_index=-1, reduction=reduction, pixel_weight=pixel_weight)
    loss = F.cross_entropy(x, target, weight, **kw)

    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    valid = target != -1
    picked = np.take_along_axis(logp, np.where(valid, target, 0)[:, None], 1)[:, 0]
    w = valid * weight[np.where(valid, target, 0)] * pixel_weight
    expected = {"none": -w * picked, "sum": (-w * picked).sum()}
    expected["mean"] = expected["sum"] / w.sum()
    np.testing.assert_allclose(loss.numpy(), expected[reduction], rtol=1e-12)
    assert md.gradcheck(lambda t: F.cross_entropy(t, target, weight, **kw), [x])


def test_pixel_weight_with_label_smoothing_is_the_smoothed_target_weighted_per_pixel():
    """With smoothing ε the per-pixel loss is -Σ_c q_c weight_c log p_c ·pixel_weight, with
    q = (1-ε)onehot + ε/C on the class weight of the target... checked against ones: a
    pixel_weight of ones gives PyTorch's smoothed loss exactly."""
    rng = np.random.default_rng(2)
    x = md.tensor(rng.standard_normal((3, 4, 2)), requires_grad=True)
    t = rng.integers(0, 4, (3, 2))
    w = rng.uniform(0.5, 2, 4)
    ones = F.cross_entropy(x, t, w, label_smoothing=0.2, pixel_weight=np.ones((3, 2)))
    plain = F.cross_entropy(x, t, w, label_smoothing=0.2)
    assert ones.item() == pytest.approx(plain.item(), rel=1e-12)
    pw = rng.uniform(0.5, 2, (3, 2))
    kw = dict(label_smoothing=0.2, pixel_weight=pw, reduction="none")
    per = F.cross_entropy(x, t, w, **kw).numpy()
    np.testing.assert_allclose(
        per, F.cross_entropy(x, t, w, label_smoothing=0.2, reduction="none").numpy() * pw
    )
    assert md.gradcheck(lambda a: F.cross_entropy(a, t, w, **kw), [x])


def test_ignored_positions_get_no_gradient():
    x = md.tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)
    F.cross_entropy(x, np.array([1, -100, 2]), label_smoothing=0.1).backward()
    assert not x.grad[1].any() and x.grad[0].any() and x.grad[2].any()


def test_all_positions_ignored_is_nan_with_zero_gradient_as_torch(torch):
    x = md.tensor(np.ones((2, 3)), requires_grad=True)
    loss = F.cross_entropy(x, np.array([-100, -100]))
    want = torch.nn.functional.cross_entropy(torch.ones(2, 3), torch.tensor([-100, -100]))
    assert np.isnan(loss.item()) and torch.isnan(want)
    loss.backward()
    assert not x.grad.any()


def test_empty_batch_matches_torch(torch):
    for reduction in REDUCTIONS:
        x = md.tensor(np.zeros((0, 3)), requires_grad=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            loss = F.cross_entropy(x, np.zeros(0, np.int64), reduction=reduction)
        want = torch.nn.functional.cross_entropy(
            torch.zeros(0, 3), torch.zeros(0, dtype=torch.long), reduction=reduction
        )
        assert loss.shape == tuple(want.shape)
        np.testing.assert_array_equal(loss.numpy(), want.numpy())


def test_legacy_size_average_and_reduce_map_to_reduction_as_torch(torch):
    x = np.random.default_rng(3).standard_normal((4, 3))
    t = np.array([0, 2, 1, 1])
    for size_average, reduce in [(None, False), (False, None), (True, True), (False, True)]:
        with pytest.warns(DeprecationWarning, match="cross_entropy: size_average and reduce"):
            ours = F.cross_entropy(md.tensor(x), t, None, size_average, -100, reduce)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = torch.nn.functional.cross_entropy(
                torch.tensor(x), torch.tensor(t), None, size_average, -100, reduce
            )
        np.testing.assert_allclose(ours.numpy(), want.numpy(), rtol=1e-12)


def test_bce_clamps_its_logs_at_minus_100_as_torch(torch):
    p = np.array([0.0, 1.0, 0.0, 1.0, 0.5])
    t = np.array([0.0, 1.0, 1.0, 0.0, 0.3])
    ours = F.binary_cross_entropy(md.tensor(p, requires_grad=True), t, reduction="none")
    want = torch.nn.functional.binary_cross_entropy(
        torch.tensor(p), torch.tensor(t), reduction="none"
    )
    np.testing.assert_allclose(ours.numpy(), want.numpy())
    assert ours.numpy()[2] == 100.0


def test_bce_with_logits_is_stable_for_huge_logits():
    x = md.tensor(np.array([800.0, -800.0, 30.0]), requires_grad=True)
    t = md.tensor(np.array([0.25, 0.5, 1.0]), requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss = F.binary_cross_entropy_with_logits(x, t, reduction="sum", pos_weight=np.ones(3))
        loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(x.grad).all() and np.isfinite(t.grad).all()
    np.testing.assert_allclose(t.grad, [-800.0, 800.0, -30.0])  # ∂l/∂t = −x with pos_weight 1


def test_loss_modules_take_torch_constructor_arguments(torch):
    rng = np.random.default_rng(0)
    x, t = rng.standard_normal((5, 4)), rng.integers(0, 4, 5)
    w = rng.uniform(0.5, 2, 4)
    cases = [
        ("CrossEntropyLoss", dict(weight=w, ignore_index=1, label_smoothing=0.1), t),
        ("CrossEntropyLoss", dict(reduction="sum"), t),
        ("NLLLoss", dict(weight=w, reduction="none"), t),
        ("BCEWithLogitsLoss", dict(weight=w, pos_weight=w[::-1].copy()), rng.random((5, 4))),
        ("BCELoss", dict(weight=w, reduction="sum"), rng.random((5, 4))),
    ]
    for name, kwargs, target in cases:
        inp = 1 / (1 + np.exp(-x)) if name == "BCELoss" else x
        if name == "NLLLoss":
            inp = x - np.log(np.exp(x).sum(1, keepdims=True))
        ours = getattr(nn, name)(**kwargs)(md.tensor(inp), target)
        tkw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
        want = getattr(torch.nn, name)(**tkw)(torch.tensor(inp), torch.tensor(target))
        np.testing.assert_allclose(ours.numpy(), want.numpy(), rtol=1e-12, err_msg=name)
    assert "weight" in nn.CrossEntropyLoss(weight=w).state_dict()
    ce = nn.CrossEntropyLoss()
    x32 = md.tensor(x.astype(np.float32))
    assert ce(x32, t, pixel_weight=np.ones(5)).item() == pytest.approx(ce(x32, t).item())


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
    with pytest.raises(ValueError, match=r"cross_entropy: expected input of shape \(C,\)"):
        F.cross_entropy(md.zeros(()), np.array(0))


def test_bad_weight_reduction_and_smoothing_are_rejected():
    x, t = md.zeros(2, 3), np.array([0, 1])
    with pytest.raises(
        ValueError, match=r"cross_entropy: weight must have one value per class \(3,\)"
    ):
        F.cross_entropy(x, t, weight=np.ones(4))
    with pytest.raises(ValueError, match=r"pixel_weight must have the target's shape"):
        F.cross_entropy(x, t, pixel_weight=np.ones(3))
    with pytest.raises(ValueError, match="cross_entropy: reduction must be one of .* 'avg'"):
        F.cross_entropy(x, t, reduction="avg")
    with pytest.raises(ValueError, match=r"cross_entropy: label_smoothing must be in \[0, 1\]"):
        F.cross_entropy(x, t, label_smoothing=1.5)
    with pytest.raises(
        ValueError, match=r"binary_cross_entropy_with_logits: target size \(3, 2\) must be"
    ):
        F.binary_cross_entropy_with_logits(x, np.zeros((3, 2)))
    with pytest.raises(ValueError, match="binary_cross_entropy_with_logits: pos_weight of shape"):
        F.binary_cross_entropy_with_logits(x, np.zeros((2, 3)), pos_weight=np.ones(2))
    with pytest.raises(ValueError, match="binary_cross_entropy: all elements of input should"):
        F.binary_cross_entropy(md.tensor([0.5, 1.5]), np.zeros(2))


def test_gpu_marks_out_of_range_targets_with_nan_instead_of_raising():
    """The GPU path's replacement for the host-side check, run here on NumPy arrays."""
    from minidl.ops.loss import _poison_bad

    safe = np.array([0, 2, 3, -1, 1])
    w = np.ones(5, np.float32)
    safe2, w2 = _poison_bad(np, safe, w, classes=3)
    np.testing.assert_array_equal(safe2, [0, 2, 0, 0, 1])
    assert w2.dtype == np.float32
    np.testing.assert_array_equal(np.isnan(w2), [False, False, True, True, False])


test_gradgradcheck, test_second_order_matches_torch = second_order_tests(CASES)
