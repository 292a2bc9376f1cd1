"""F.dice_loss: hand cases, gradients, and its relation to the Dice metric."""

from __future__ import annotations

import numpy as np
import pytest

import minidl as md
import minidl.nn.functional as F
from minidl.metrics import dice


def _logits(rng, shape):
    return md.tensor(rng.standard_normal(shape), requires_grad=True)  # float64


def test_perfect_confident_prediction_gives_nearly_zero_loss():
    target = np.array([[[0, 1], [1, 1]]])
    logits = np.where(target[:, None] == np.arange(2)[None, :, None, None], 20.0, -20.0)
    loss = F.dice_loss(md.tensor(logits), target)
    assert loss.item() == pytest.approx(0.0, abs=1e-6)


def test_hand_computed_binary_case():
    # sigmoid(0) = 0.5 everywhere on 4 pixels, 1 of them foreground, smooth 1:
    # D = (2·0.5 + 1) / (2 + 1 + 1) = 0.5
    loss = F.dice_loss(md.zeros(1, 1, 2, 2), np.array([[[0, 0], [0, 1]]]))
    assert loss.item() == pytest.approx(0.5)


def test_binary_target_with_or_without_channel_axis():
    rng = np.random.default_rng(0)
    x = md.tensor(rng.standard_normal((2, 1, 3, 3)))
    t = rng.integers(0, 2, (2, 3, 3))
    assert F.dice_loss(x, t).item() == pytest.approx(F.dice_loss(x, t[:, None]).item())


def test_absent_class_counts_as_perfect_with_smoothing():
    logits = np.zeros((1, 2, 2, 2))
    logits[:, 0] = 30.0  # confidently background
    loss = F.dice_loss(md.tensor(logits), np.zeros((1, 2, 2), np.int64))
    assert loss.item() == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("include_background", [True, False])
@pytest.mark.parametrize("per_image", [True, False])
def test_gradcheck_multiclass(include_background, per_image):
    rng = np.random.default_rng(1)
    x = _logits(rng, (2, 3, 4, 5))
    t = rng.integers(0, 3, (2, 4, 5))
    md.gradcheck(lambda x: F.dice_loss(x, t, 1.0, include_background, per_image), [x])
    md.gradgradcheck(lambda x: F.dice_loss(x, t, 1.0, include_background, per_image), [x])


def test_gradcheck_binary_with_soft_targets():
    rng = np.random.default_rng(2)
    x = _logits(rng, (2, 1, 4, 4))
    t = rng.random((2, 1, 4, 4))
    md.gradcheck(lambda x: F.dice_loss(x, t, smooth=0.5), [x])
    md.gradgradcheck(lambda x: F.dice_loss(x, t, smooth=0.5), [x])


def test_hard_dice_of_confident_logits_matches_the_metric():
    rng = np.random.default_rng(3)
    t = rng.integers(0, 2, (3, 8, 8))
    pred = rng.integers(0, 2, (3, 8, 8))
    logits = np.where(pred[:, None] == np.arange(2)[None, :, None, None], 40.0, -40.0)
    loss = F.dice_loss(md.tensor(logits), t, smooth=0.0, include_background=False)
    assert 1 - loss.item() == pytest.approx(dice(pred, t))


def test_errors_name_the_op():
    with pytest.raises(ValueError, match="dice_loss: target of shape"):
        F.dice_loss(md.zeros(1, 2, 3, 3), np.zeros((1, 4, 4), np.int64))
    with pytest.raises(TypeError, match="dice_loss: target must hold integer"):
        F.dice_loss(md.zeros(1, 2, 3, 3), np.zeros((1, 3, 3)))
    with pytest.raises(ValueError, match="include_background"):
        F.dice_loss(md.zeros(1, 1, 3, 3), np.zeros((1, 3, 3)), include_background=False)
