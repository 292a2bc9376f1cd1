"""The soft Dice loss: one minus the Dice overlap of predicted probabilities and the truth.

Composed of primitive ops (softmax or sigmoid, products, sums), so its backward comes from
the autograd engine and needs no code here.
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..tensor import Tensor
from .elementwise import add, div, mul, sigmoid, sub
from .reduce import mean
from .reduce import sum as sum_
from .softmax import softmax


def _array(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def _probabilities_and_truth(logits: Tensor, target: Any) -> tuple[Tensor, Any]:
    """(probabilities, one-hot or binary truth), both (N, C, *) and of the logits' dtype."""
    xp = backend.array_module(logits.data)
    target = _array(target)
    if logits.shape[1] == 1:  # binary: sigmoid of one logit per pixel
        if target.shape == logits.shape[:1] + logits.shape[2:]:
            target = target[:, None]
        if target.shape != logits.shape:
            raise ValueError(
                f"dice_loss: binary logits {logits.shape} need a target of shape "
                f"{logits.shape} or {logits.shape[:1] + logits.shape[2:]}, got {target.shape}"
            )
        return sigmoid(logits), target.astype(logits.dtype)
    expected = logits.shape[:1] + logits.shape[2:]
    if target.shape != expected:
        raise ValueError(
            f"dice_loss: target of shape {expected} expected for logits {logits.shape}, "
            f"got {target.shape}"
        )
    if target.dtype.kind not in "iu":
        raise TypeError(f"dice_loss: target must hold integer class indices, got {target.dtype}")
    classes = xp.arange(logits.shape[1]).reshape((1, -1) + (1,) * (logits.ndim - 2))
    one_hot = (target[:, None] == classes).astype(logits.dtype)  # (N, C, *)
    return softmax(logits, 1), one_hot


def dice_loss(
    logits: Tensor,
    target: Any,
    smooth: float = 1.0,
    include_background: bool = True,
    per_image: bool = False,
) -> Tensor:
    """Soft Dice loss, 1 − mean over classes of the soft Dice coefficient.

    Shapes: logits (N, C, *) with C >= 2 and target (N, *) integer classes (softmax over
    axis 1); or logits (N, 1, *) and target (N, 1, *) or (N, *) in [0, 1] (sigmoid).

    With probabilities p and one-hot truth t of class c, summed over pixels (and over the
    batch unless ``per_image``):

        D_c = (2 Σ p·t + s) / (Σ p + Σ t + s),    loss = 1 − mean_c D_c

    ``smooth`` s keeps a class that is absent from both prediction and truth at D_c ≈ 1 (and
    its gradient finite). ``include_background=False`` leaves class 0 out of the mean (it
    needs C >= 2). ``per_image=True`` computes D_c per image and averages over images too;
    pooling over the batch (the default) is steadier when some images hold no foreground.

    Reference: Milletari et al., "V-Net", 2016 (eq. 1, with the common +s smoothing);
    PyTorch has no Dice loss.
    """
    if logits.ndim < 2:
        raise ValueError(f"dice_loss: expected (N, C, *) logits, got {logits.shape}")
    if not include_background and logits.shape[1] < 2:
        raise ValueError("dice_loss: include_background=False needs C >= 2 classes")
    p, t = _probabilities_and_truth(logits, target)
    if not include_background:
        p, t = p[:, 1:], t[:, 1:]
    pixels = tuple(range(2, logits.ndim))
    axes = pixels if per_image else (0, *pixels)
    intersection = sum_(mul(p, t), axes)
    total = add(sum_(p, axes), t.sum(axis=axes))
    dice = div(add(mul(intersection, 2.0), smooth), add(total, smooth))
    return sub(1.0, mean(dice))
