"""Margin losses on ±1 labels: ranking pairs (margin_ranking), embeddings of similar and
dissimilar pairs (hinge_embedding, cosine_embedding), logistic (soft_margin), multi-label
logistic (multilabel_soft_margin) and the multi-class hinge (multi_margin, Weston & Watkins).

All composed of primitives, with PyTorch's formulas (so its subgradients at the hinges:
``clamp_min`` passes the gradient at 0, ``multi_margin`` does not).
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..tensor import Tensor
from .activation import logsigmoid
from .elementwise import add, clamp, div, mul, neg, relu, sqrt, sub, where
from .loss_args import as_array, as_tensor, check_input, legacy_reduction, reduce_loss
from .reduce import sum as sum_
from .shape import reshape


def _same_ndim(op: str, **tensors: Any) -> None:
    dims = {k: len(getattr(v, "shape", ())) for k, v in tensors.items()}
    if len(set(dims.values())) > 1:
        listed = ", ".join(f"{k} {tuple(v.shape)}" for k, v in tensors.items())
        raise ValueError(f"{op}: expected the same number of dims, got {listed}")


def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Any,
    margin: float = 0.0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """l = max(0, −y·(x1 − x2) + margin), y = 1 when x1 should rank higher, −1 otherwise.

    Reference: ``torch.nn.functional.margin_ranking_loss``."""
    op = "margin_ranking_loss"
    reduction = legacy_reduction(op, size_average, reduce, reduction)
    check_input(op, input1)
    input2, target = (
        as_tensor(op, "input2", input2, input1),
        as_tensor(op, "target", target, input1),
    )
    _same_ndim(op, input1=input1, input2=input2, target=target)
    loss = clamp(add(mul(neg(target), sub(input1, input2)), float(margin)), min=0.0)
    return reduce_loss(loss, reduction)


def hinge_embedding_loss(
    input: Tensor,
    target: Any,
    margin: float = 1.0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """l = x where y = 1, max(0, margin − x) where y = −1 (x usually a distance).

    Reference: ``torch.nn.functional.hinge_embedding_loss``."""
    op = "hinge_embedding_loss"
    reduction = legacy_reduction(op, size_average, reduce, reduction)
    check_input(op, input)
    y = backend.array_module(input.data).asarray(as_array(target))
    push = where(y != 1, clamp(sub(float(margin), input), min=0.0), 0.0)
    pull = where(y != -1, input, 0.0)
    return reduce_loss(add(push, pull), reduction)


def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Any,
    margin: float = 0.0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """l = 1 − cos(x1, x2) where y = 1, max(0, cos(x1, x2) − margin) where y = −1.

    Shapes: x1, x2 (N, D) or (D,); target (N,) or (). cos uses PyTorch's
    Σ x1·x2 / √((Σ x1² + ε)(Σ x2² + ε)), ε = 1e-12.
    Reference: ``torch.nn.functional.cosine_embedding_loss``."""
    op = "cosine_embedding_loss"
    reduction = legacy_reduction(op, size_average, reduce, reduction)
    check_input(op, input1)
    input2 = as_tensor(op, "input2", input2, input1)
    if input1.shape != input2.shape or input1.ndim not in (1, 2):
        raise ValueError(
            f"{op}: expected input1 and input2 of the same shape (N, D) or (D,), got "
            f"{input1.shape} and {input2.shape}"
        )
    y = backend.array_module(input1.data).asarray(as_array(target))
    if y.shape != input1.shape[:-1]:
        raise ValueError(f"{op}: expected target of shape {input1.shape[:-1]}, got {y.shape}")
    dim = input1.ndim - 1
    eps = 1e-12
    dot = sum_(mul(input1, input2), dim)
    sq1, sq2 = add(sum_(mul(input1, input1), dim), eps), add(sum_(mul(input2, input2), dim), eps)
    cos = div(dot, sqrt(mul(sq1, sq2)))
    pull = where(y == 1, sub(1.0, cos), 0.0)
    push = where(y == -1, clamp(sub(cos, float(margin)), min=0.0), 0.0)
    return reduce_loss(add(pull, push), reduction)


def soft_margin_loss(
    input: Tensor,
    target: Any,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """l = log(1 + e^{−y·x}) = −log σ(y·x), computed stably.

    Reference: ``torch.nn.functional.soft_margin_loss``."""
    op = "soft_margin_loss"
    reduction = legacy_reduction(op, size_average, reduce, reduction)
    check_input(op, input)
    target = as_tensor(op, "target", as_array(target), input)  # no gradient, as PyTorch
    return reduce_loss(neg(logsigmoid(mul(target, input))), reduction)


def multilabel_soft_margin_loss(
    input: Tensor,
    target: Any,
    weight: Any = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Per-sample mean over the C classes of −[y log σ(x) + (1 − y) log σ(−x)] (times weight).

    Shapes: input (N, C) or (C,); target alike, in {0, 1}.
    Reference: ``torch.nn.functional.multilabel_soft_margin_loss``."""
    op = "multilabel_soft_margin_loss"
    reduction = legacy_reduction(op, size_average, reduce, reduction)
    check_input(op, input)
    if input.ndim == 0:
        raise ValueError(f"{op}: expected input of shape (N, C) or (C,), got ()")
    y = as_tensor(op, "target", target, input)
    loss = neg(add(mul(y, logsigmoid(input)), mul(sub(1.0, y), logsigmoid(neg(input)))))
    if weight is not None:
        loss = mul(loss, as_tensor(op, "weight", weight, input))
    classes = input.shape[-1]
    return reduce_loss(mul(sum_(loss, loss.ndim - 1), 1 / classes), reduction)


def multi_margin_loss(
    input: Tensor,
    target: Any,
    p: int = 1,
    margin: float = 1.0,
    weight: Any = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """l_n = Σ_{i ≠ y_n} max(0, margin − x_n[y_n] + x_n[i])^p / C, times weight[y_n].

    Shapes: input (N, C), (C,) or (); target (N,), (1,) or () int class indices.
    Reference: ``torch.nn.functional.multi_margin_loss``."""
    op = "multi_margin_loss"
    reduction = legacy_reduction(op, size_average, reduce, reduction)
    check_input(op, input)
    if p not in (1, 2):
        raise ValueError(f"{op}: only p == 1 and p == 2 are supported, got {p!r}")
    if input.ndim > 2 or 0 in input.shape:
        raise ValueError(f"{op}: expected non-empty input (N, C), (C,) or (), got {input.shape}")
    xp = backend.array_module(input.data)
    t = xp.asarray(as_array(target))
    frames = input.shape[0] if input.ndim == 2 else 1
    if t.ndim > 1 or t.size != frames or t.dtype.kind not in "iu":
        raise ValueError(
            f"{op}: expected an integer target of {frames} value(s) for input {input.shape}, "
            f"got shape {t.shape} and dtype {t.dtype}"
        )
    scores = reshape(input, (frames, input.shape[-1] if input.ndim else 1))  # (N, C)
    out_shape = (frames,) if t.ndim else ()
    t = t.reshape(frames)
    classes = scores.shape[1]
    if not backend.is_cupy_array(t) and ((t < 0) | (t >= classes)).any():
        raise ValueError(f"{op}: target values must be in 0..{classes - 1}, got {t.ravel()}")
    is_target = xp.arange(classes) == t[:, None]  # (N, C) one-hot
    picked = sum_(mul(scores, is_target.astype(input.dtype)), 1, True)  # x[y], (N, 1)
    h = relu(add(sub(scores, picked), float(margin)))  # relu: no gradient at the hinge
    h = mul(h, h) if p == 2 else h
    h = mul(h, (~is_target).astype(input.dtype))  # the target class itself is left out
    if weight is not None:
        w = xp.asarray(as_array(weight)).astype(input.dtype)
        if w.shape != (classes,):
            raise ValueError(f"{op}: weight must have shape ({classes},), got {w.shape}")
        h = mul(h, w[t][:, None])
    loss = reshape(mul(sum_(h, 1), 1 / classes), out_shape)
    return reduce_loss(loss, reduction)
