"""Classification losses: cross-entropy (= log-softmax + negative log-likelihood), binary
cross-entropy on logits, and the mean squared error."""

from __future__ import annotations

from typing import Any

from .. import backend
from ..autograd import Function
from ..tensor import Tensor
from .elementwise import mul, sub
from .reduce import mean
from .reduce import sum as sum_
from .softmax import log_softmax

REDUCTIONS = ("none", "mean", "sum")


def _check_reduction(op: str, reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _array(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return mean(loss)
    return sum_(loss) if reduction == "sum" else loss


class NLLLoss(Function):
    """loss_i = -w_i · logp[i, t_i]; "mean" divides the sum by Σ_i w_i (as PyTorch).

    ``target`` holds a valid class everywhere (ignored positions have weight 0).
    """

    @staticmethod
    def forward(ctx, logp, target, weight, reduction):
        xp = backend.array_module(logp)
        picked = xp.take_along_axis(logp, target[:, None], axis=1)[:, 0]  # (N, *)
        losses = -weight * picked
        ctx.save_for_backward(target, weight)
        ctx.shape, ctx.reduction = logp.shape, reduction
        if reduction == "none":
            return losses
        total = losses.sum()
        if reduction == "sum":
            return total
        ctx.total_weight = weight.sum()
        return total / ctx.total_weight

    @staticmethod
    def backward(ctx, g):
        target, weight = ctx.saved_tensors
        xp = backend.array_module(weight)
        coef = -weight * g  # (N, *), g broadcasts when it is a scalar
        if ctx.reduction == "mean":
            # all targets ignored: the loss is 0/0 = nan, but nothing was used, so the
            # gradient is 0 (as PyTorch)
            # (an array expression, not an `if`: on the GPU an `if` would wait for the device)
            total = ctx.total_weight
            coef = coef / xp.where(total == 0, 1, total) * (total != 0)
        classes = xp.arange(ctx.shape[1]).reshape((1, -1) + (1,) * (len(ctx.shape) - 2))
        one_hot = classes == target[:, None]  # (N, C, *)
        return one_hot * coef[:, None], None, None, None


def _check_target(op: str, logits: Tensor, target: Any, ignore_index: int) -> None:
    expected = logits.shape[:1] + logits.shape[2:]
    if target.shape != expected:
        raise ValueError(
            f"{op}: target of shape {expected} expected for logits {logits.shape}, "
            f"got {target.shape}"
        )
    if target.dtype.kind not in "iu":
        raise TypeError(f"{op}: target must hold integer class indices, got {target.dtype}")
    if backend.is_cupy_array(target):
        return  # reading `bad.any()` back would stall the GPU every step: see _poison_bad
    classes = logits.shape[1]
    bad = ((target < 0) | (target >= classes)) & (target != ignore_index)
    if bad.any():
        value = int(target[bad].ravel()[0])
        raise ValueError(
            f"{op}: target value {value} is out of range for {classes} classes "
            f"(valid: 0..{classes - 1}, or ignore_index={ignore_index})"
        )


def nll_loss(
    logp: Tensor,
    target: Any,
    weight: Any = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    pixel_weight: Any = None,
) -> Tensor:
    """Negative log-likelihood of ``target`` under log-probabilities ``logp`` (N, C, *)."""
    _check_reduction("nll_loss", reduction)
    if logp.ndim < 2:
        raise ValueError(f"nll_loss: expected (N, C) or (N, C, *) input, got {logp.shape}")
    target = _array(target)
    _check_target("nll_loss", logp, target, ignore_index)
    xp = backend.array_module(logp.data)
    valid = target != ignore_index
    safe = xp.where(valid, target, 0)
    w = valid.astype(logp.dtype)
    if backend.is_cupy_array(target):
        safe, w = _poison_bad(xp, safe, w, logp.shape[1])
    if weight is not None:
        weight = _array(weight)
        if weight.shape != (logp.shape[1],):
            raise ValueError(
                f"nll_loss: weight must have one value per class ({logp.shape[1]},), "
                f"got {weight.shape}"
            )
        w = w * weight.astype(logp.dtype)[safe]
    if pixel_weight is not None:
        pixel_weight = _array(pixel_weight)
        if pixel_weight.shape != target.shape:
            raise ValueError(
                f"nll_loss: pixel_weight must have the target's shape {target.shape}, "
                f"got {pixel_weight.shape}"
            )
        w = w * pixel_weight.astype(logp.dtype)
    return NLLLoss.apply(logp, safe, w, reduction)


def _poison_bad(xp: Any, safe: Any, w: Any, classes: int) -> tuple[Any, Any]:
    """On the GPU, out-of-range targets make the loss NaN instead of raising.

    Raising needs the answer on the host, which stalls the GPU at every step (PyTorch's
    CUDA kernels assert on the device instead). The bad entries are read as class 0 and get
    weight NaN, so the loss and every gradient turn NaN: loud, and without a host sync.
    """
    bad = (safe < 0) | (safe >= classes)
    return xp.where(bad, 0, safe), xp.where(bad, xp.nan, w).astype(w.dtype)


def cross_entropy(
    logits: Tensor,
    target: Any,
    weight: Any = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    pixel_weight: Any = None,
) -> Tensor:
    """Cross-entropy of integer class targets under softmax(logits) over axis 1.

    Shapes: logits (N, C) or (N, C, H, W, ...); target (N,) or (N, H, W, ...) int.
    loss_i = -w_i log softmax(logits_i)[t_i], with w_i = weight[t_i] · pixel_weight_i
    (0 where t_i == ignore_index). "mean" returns Σ w_i loss_i / Σ w_i, as PyTorch does for
    class weights; ``pixel_weight`` (not in PyTorch) is the U-Net paper's per-pixel w(x).
    A target outside 0..C-1 (and not ``ignore_index``) raises a ValueError on the CPU; on the
    GPU it makes the loss NaN instead, so that no step waits for the device to answer.
    Reference: ``torch.nn.functional.cross_entropy``.
    """
    _check_reduction("cross_entropy", reduction)
    if logits.ndim < 2:
        raise ValueError(f"cross_entropy: expected (N, C) or (N, C, *) logits, got {logits.shape}")
    _check_target("cross_entropy", logits, _array(target), ignore_index)
    return nll_loss(log_softmax(logits, 1), target, weight, ignore_index, reduction, pixel_weight)


class BCEWithLogits(Function):
    """l = (1 - t)·x + c·softplus(-x), c = 1 + (pos_weight - 1)·t; dl/dx = (1 - t) - c·σ(-x).

    softplus(-x) = log(1 + e^{-|x|}) + max(-x, 0) never overflows.
    """

    @staticmethod
    def forward(ctx, x, t, weight, pos_weight):
        xp = backend.array_module(x)
        c = 1.0 if pos_weight is None else 1 + (pos_weight - 1) * t
        loss = (1 - t) * x + c * (xp.log1p(xp.exp(-xp.abs(x))) + xp.maximum(-x, 0))
        ctx.save_for_backward(x, t, c, weight)
        return loss if weight is None else loss * weight

    @staticmethod
    def backward(ctx, g):
        x, t, c, weight = ctx.saved_tensors
        xp = backend.array_module(x)
        e = xp.exp(-xp.abs(x))
        sig_neg = xp.where(x >= 0, e / (1 + e), 1 / (1 + e))  # σ(-x), stable
        grad = g * ((1 - t) - c * sig_neg)
        return (grad if weight is None else grad * weight), None, None, None


def binary_cross_entropy_with_logits(
    logits: Tensor,
    target: Any,
    weight: Any = None,
    pos_weight: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """Binary cross-entropy of ``target`` in [0, 1] under sigmoid(logits), computed stably.

    Shapes: logits and target alike (any shape); weight broadcasts to it; pos_weight
    broadcasts along the last axis (one value per class). No gradient flows to ``target``.
    Reference: ``torch.nn.functional.binary_cross_entropy_with_logits``.
    """
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    target = _array(target)
    if target.shape != logits.shape:
        raise ValueError(
            f"binary_cross_entropy_with_logits: target shape {target.shape} must equal "
            f"logits shape {logits.shape}"
        )
    weight, pos_weight = (
        None if w is None else _array(w).astype(logits.dtype) for w in (weight, pos_weight)
    )
    loss = BCEWithLogits.apply(logits, target.astype(logits.dtype), weight, pos_weight)
    return _reduce(loss, reduction)


def mse_loss(a: Tensor, b: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error (a - b)²."""
    _check_reduction("mse_loss", reduction)
    d = sub(a, b)
    return _reduce(mul(d, d), reduction)
