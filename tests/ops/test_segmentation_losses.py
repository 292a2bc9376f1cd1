"""The U-Net losses of issue 4: cross_entropy with a per-pixel weight map (the paper's w(x))
and class weights, binary cross-entropy with pos_weight — gradchecked, and equal to PyTorch
(pixel_weight through its definition, since PyTorch has no such argument)."""

from __future__ import annotations

import numpy as np
import pytest

import minidl as md
import minidl.nn.functional as F


@pytest.fixture
def case():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((2, 3, 4, 5))
    target = rng.integers(0, 3, (2, 4, 5))
    target[0, 0, :2] = -100  # ignored pixels
    return logits, target, rng.uniform(0.5, 10, (2, 4, 5)), np.array([0.2, 1.0, 3.0])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_pixel_weight_gradcheck(case, reduction):
    logits, target, w_map, w_class = case
    x = md.tensor(logits, requires_grad=True)
    md.gradcheck(
        lambda x: F.cross_entropy(x, target, w_class, reduction=reduction, pixel_weight=w_map),
        [x],
    )


def test_cross_entropy_pixel_weight_is_a_weighted_mean_of_pixel_losses(case):
    logits, target, w_map, w_class = case
    x = md.tensor(logits)
    plain = F.cross_entropy(x, target, reduction="none").numpy()  # 0 at ignored pixels
    valid = target != -100
    w = np.where(valid, w_class[np.where(valid, target, 0)] * w_map, 0.0)
    got = F.cross_entropy(x, target, w_class, pixel_weight=w_map).item()
    assert got == pytest.approx((w * plain).sum() / w.sum())
    ones = F.cross_entropy(x, target, pixel_weight=np.ones_like(w_map)).item()
    assert ones == pytest.approx(F.cross_entropy(x, target).item())


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_cross_entropy_pixel_weight_equals_torch(torch, case, reduction):
    logits, target, w_map, w_class = case
    x = md.tensor(logits, requires_grad=True)
    ours = F.cross_entropy(x, target, w_class, reduction=reduction, pixel_weight=w_map)
    ours.backward()

    tx = torch.tensor(logits, requires_grad=True)
    tt, tw = torch.tensor(target), torch.tensor(w_class)
    per_pixel = torch.nn.functional.cross_entropy(tx, tt, tw, reduction="none")
    pixel_w = torch.tensor(w_map) * (tt != -100)
    theirs = (per_pixel * torch.tensor(w_map)).sum()
    if reduction == "mean":  # PyTorch's weighted mean divides by the summed weights
        theirs = theirs / (tw[tt.clamp(min=0)] * pixel_w).sum()
    theirs.backward()
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-12)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("pos_weight_shape", [(1,), (5,)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_pos_weight_equals_torch_and_gradchecks(torch, pos_weight_shape, reduction):
    rng = np.random.default_rng(1)
    logits = rng.standard_normal((2, 1, 4, 5)) * 3
    target = rng.integers(0, 2, (2, 1, 4, 5)).astype(np.float64)
    pos_weight = rng.uniform(0.5, 8, pos_weight_shape)
    weight = rng.uniform(0.5, 2, (1, 1, 4, 5))

    x = md.tensor(logits, requires_grad=True)
    ours = F.binary_cross_entropy_with_logits(
        x, target, weight, reduction=reduction, pos_weight=pos_weight
    )
    ours.backward(np.ones(ours.shape))
    tx = torch.tensor(logits, requires_grad=True)
    theirs = torch.nn.functional.binary_cross_entropy_with_logits(
        tx,
        torch.tensor(target),
        torch.tensor(weight),
        reduction=reduction,
        pos_weight=torch.tensor(pos_weight),
    )
    theirs.backward(torch.ones(theirs.shape, dtype=torch.float64))
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-14)

    x = md.tensor(logits, requires_grad=True)
    md.gradcheck(
        lambda x: F.binary_cross_entropy_with_logits(
            x, target, weight, reduction=reduction, pos_weight=pos_weight
        ),
        [x],
    )


def test_pixel_weight_shape_error():
    with pytest.raises(ValueError, match="pixel_weight must have the target's shape"):
        F.cross_entropy(
            md.zeros(1, 2, 3, 3), np.zeros((1, 3, 3), np.int64), pixel_weight=np.ones((3, 3))
        )
