"""Classification losses: cross-entropy (= log-softmax + negative log-likelihood, with class
weights, ignore_index, label smoothing and class-probability targets), and binary
cross-entropy on probabilities and on logits. PyTorch's signatures and numbers.

Where a target is a float Tensor that requires grad (probability targets, binary targets),
the gradient flows to it too, as in PyTorch; class weights, ``pos_weight`` and integer
targets get none (PyTorch refuses to differentiate them).
"""

from __future__ import annotations

from numbers import Real
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function
from ..tensor import Tensor
from .activation import logsigmoid
from .cross_entropy_fused import CrossEntropy
from .elementwise import add, mul, neg, sub
from .loss_args import as_array, legacy_reduction, reduce_loss
from .reduce import sum as sum_
from .shape import reshape, unsqueeze
from .softmax import log_softmax

# ---- negative log-likelihood ---------------------------------------------------------------


class NLLLoss(Function):
    """loss_i = -w_i · logp[i, t_i]; "mean" divides the sum by Σ_i w_i (as PyTorch).

    ``target`` holds a valid class everywhere (ignored positions have weight 0).
    """

    linear = (0,)

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
        with np.errstate(invalid="ignore", divide="ignore"):  # 0/0 = nan: nothing counted
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


def _check_input(op: str, x: Any) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(x).__name__}")
    if x.ndim < 1:
        raise ValueError(f"{op}: expected input of shape (C,), (N, C) or (N, C, *), got {x.shape}")
    if x.dtype.kind not in "fc":
        raise TypeError(f"{op}: input must be a floating tensor, got dtype {x.dtype}")


def _check_target(op: str, logits: Tensor, target: Any, ignore_index: int) -> None:
    expected = logits.shape[:1] + logits.shape[2:]
    if target.shape != expected:
        raise ValueError(
            f"{op}: target of shape {expected} expected for input {logits.shape}, "
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


def _class_weight(op: str, weight: Any, classes: int, dtype: Any) -> Any:
    weight = as_array(weight)
    if weight.shape != (classes,):
        raise ValueError(
            f"{op}: weight must have one value per class ({classes},), got {weight.shape}"
        )
    return weight.astype(dtype, copy=False)


def _position_weights(
    op: str, logp: Tensor, target: Any, weight: Any, ignore_index: int, pixel_weight: Any
) -> tuple[Any, Any, Any]:
    """(target with ignored positions read as class 0, w_i = weight[t_i]·pixel_weight_i·valid_i,
    m_i = pixel_weight_i·valid_i), each of the target's shape."""
    xp = backend.array_module(logp.data)
    valid = target != ignore_index
    safe = xp.where(valid, target, 0)
    m = valid.astype(logp.dtype)
    if backend.is_cupy_array(target):
        safe, m = _poison_bad(xp, safe, m, logp.shape[1])
    if pixel_weight is not None:
        pixel_weight = as_array(pixel_weight)
        if pixel_weight.shape != target.shape:
            raise ValueError(
                f"{op}: pixel_weight must have the target's shape {target.shape}, "
                f"got {pixel_weight.shape}"
            )
        m = m * pixel_weight.astype(logp.dtype)
    w = m if weight is None else m * weight[safe]
    return safe, w, m


def _poison_bad(xp: Any, safe: Any, w: Any, classes: int) -> tuple[Any, Any]:
    """On the GPU, out-of-range targets make the loss NaN instead of raising.

    Raising needs the answer on the host, which stalls the GPU at every step (PyTorch's
    CUDA kernels assert on the device instead). The bad entries are read as class 0 and get
    weight NaN, so the loss and every gradient turn NaN: loud, and without a host sync.
    """
    bad = (safe < 0) | (safe >= classes)
    return xp.where(bad, 0, safe), xp.where(bad, xp.nan, w).astype(w.dtype)


def _unbatched(x: Any) -> Any:
    """A (C,) input or a () target seen as a batch of one."""
    if x is None:
        return None
    return unsqueeze(x, 0) if isinstance(x, Tensor) else as_array(x)[None]


def nll_loss(
    input: Tensor,
    target: Any,
    weight: Any = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
    *,
    pixel_weight: Any = None,
) -> Tensor:
    """Negative log-likelihood of class ``target`` under log-probabilities ``input``.

    Shapes: input (C,), (N, C) or (N, C, *); target (), (N,) or (N, *) int.
    loss_i = -w_i·input[i, t_i] with w_i = weight[t_i]·pixel_weight_i (0 where t_i ==
    ignore_index); "mean" is Σ_i loss_i / Σ_i w_i. ``pixel_weight`` is minidl's (the U-Net
    paper's per-pixel w(x)). Reference: ``torch.nn.functional.nll_loss``.
    """
    op = "nll_loss"
    reduction = legacy_reduction(op, size_average, reduce, reduction)
    _check_input(op, input)
    target = as_array(target)
    if input.ndim == 1:
        loss = nll_loss(
            unsqueeze(input, 0), _unbatched(target), weight, None, ignore_index, None,
            reduction, pixel_weight=_unbatched(pixel_weight),
        )  # fmt: skip
        return reshape(loss, ()) if reduction == "none" else loss
    _check_target(op, input, target, ignore_index)
    if weight is not None:
        weight = _class_weight(op, weight, input.shape[1], input.dtype)
    safe, w, _ = _position_weights(op, input, target, weight, ignore_index, pixel_weight)
    return NLLLoss.apply(input, safe, w, reduction)


# ---- cross-entropy -------------------------------------------------------------------------


def _check_smoothing(op: str, label_smoothing: Any) -> float:
    ok = isinstance(label_smoothing, Real) and not isinstance(label_smoothing, bool)
    if not ok or not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be in [0, 1], got {label_smoothing!r}")
    return float(label_smoothing)


def _is_probabilities(input: Tensor, target: Any) -> bool:
    """PyTorch's rule: a floating target of the input's own shape holds class probabilities."""
    return target.shape == input.shape and target.dtype.kind == "f"


def cross_entropy(
    input: Tensor,
    target: Any,
    weight: Any = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
    *,
    pixel_weight: Any = None,
) -> Tensor:
    """Cross-entropy between softmax(input) over dim 1 and the target.

    Shapes: input (C,), (N, C) or (N, C, *); target either class indices (), (N,) or (N, *)
    int, or class probabilities of the input's shape (float).

    Class indices: loss_i = -w_i log softmax(x_i)[t_i], w_i = weight[t_i]·pixel_weight_i (0
    where t_i == ignore_index); "mean" is Σ loss_i / Σ w_i. With label smoothing ε the target
    is the mixture (1 - ε)·onehot(t) + ε/C, i.e. loss_i gains ε/C · Σ_c weight_c·(-log p_ic)
    (times pixel_weight_i), averaged with the same Σ w_i.
    Class probabilities y (smoothed to (1 - ε)y + ε/C): loss_i = -Σ_c weight_c y_ic log p_ic
    (times pixel_weight_i); "mean" divides by the number of positions, as PyTorch.

    ``pixel_weight`` (keyword only, not in PyTorch) is the U-Net paper's per-pixel w(x).
    A target outside 0..C-1 (and not ``ignore_index``) raises a ValueError on the CPU; on the
    GPU it makes the loss NaN instead, so that no step waits for the device to answer.

    Class indices without label smoothing run as one node (``CrossEntropy`` in
    minidl/ops/cross_entropy_fused.py): forward ``cross_entropy_forward``, backward
    ``cross_entropy_backward`` in minidl/kernels/cross_entropy/cpu.py (gpu.py on CuPy
    arrays). The other cases compose log_softmax and NLL.
    Reference: ``torch.nn.functional.cross_entropy``.
    """
    op = "cross_entropy"
    reduction = legacy_reduction(op, size_average, reduce, reduction)
    _check_input(op, input)
    eps = _check_smoothing(op, label_smoothing)
    if input.ndim == 1:
        loss = cross_entropy(
            unsqueeze(input, 0), _unbatched(target), weight, None, ignore_index, None,
            reduction, eps, pixel_weight=_unbatched(pixel_weight),
        )  # fmt: skip
        return reshape(loss, ()) if reduction == "none" else loss
    classes = input.shape[1]
    if weight is not None:
        weight = _class_weight(op, weight, classes, input.dtype)
    if _is_probabilities(input, as_array(target)):
        return _cross_entropy_probabilities(input, target, weight, reduction, eps, pixel_weight)
    target = as_array(target)
    _check_target(op, input, target, ignore_index)
    safe, w, m = _position_weights(op, input, target, weight, ignore_index, pixel_weight)
    if eps == 0 and classes > 0:
        return CrossEntropy.apply(input, safe, w, reduction)
    logp = log_softmax(input, 1)
    nll = NLLLoss.apply(logp, safe, w, reduction)
    if eps == 0:
        return nll
    class_sum = sum_(logp if weight is None else mul(logp, _along_dim1(weight, input.ndim)), 1)
    smooth = mul(neg(class_sum), m)  # (N, *): Σ_c weight_c·(-log p_ic), 0 where ignored
    if reduction == "mean":
        smooth = mul(sum_(smooth), 1 / w.sum())
    elif reduction == "sum":
        smooth = sum_(smooth)
    return add(mul(nll, 1 - eps), mul(smooth, eps / classes))


def _along_dim1(weight: Any, ndim: int) -> Any:
    """(C,) → (1, C, 1, ..., 1), to broadcast over (N, C, *)."""
    return weight.reshape((1, -1) + (1,) * (ndim - 2))


def _cross_entropy_probabilities(
    input: Tensor, target: Any, weight: Any, reduction: str, eps: float, pixel_weight: Any
) -> Tensor:
    y = target if isinstance(target, Tensor) else Tensor(target.astype(input.dtype, copy=False))
    if eps:
        y = add(mul(y, 1 - eps), eps / input.shape[1])
    if weight is not None:
        y = mul(y, _along_dim1(weight, input.ndim))
    loss = neg(sum_(mul(log_softmax(input, 1), y), 1))  # (N, *)
    if pixel_weight is not None:
        pixel_weight = as_array(pixel_weight)
        if pixel_weight.shape != loss.shape:
            raise ValueError(
                f"cross_entropy: pixel_weight must have the shape {loss.shape} of the "
                f"positions, got {pixel_weight.shape}"
            )
        loss = mul(loss, pixel_weight.astype(input.dtype))
    return reduce_loss(loss, reduction)


# ---- binary cross-entropy ------------------------------------------------------------------


def _binary_target(op: str, input: Any, target: Any) -> Any:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if input.dtype.kind not in "fc":
        raise TypeError(f"{op}: input must be a floating tensor, got dtype {input.dtype}")
    if tuple(as_array(target).shape) != input.shape:
        raise ValueError(
            f"{op}: target size {tuple(as_array(target).shape)} must be the same as input "
            f"size {input.shape}"
        )
    if isinstance(target, Tensor):
        return target
    xp = backend.array_module(input.data)
    return Tensor(xp.asarray(target).astype(input.dtype, copy=False))  # no gradient


def _broadcast_weight(op: str, name: str, weight: Any, input: Tensor) -> Any:
    """An array (no gradient, as PyTorch) that broadcasts to the input's shape."""
    if weight is None:
        return None
    weight = backend.array_module(input.data).asarray(as_array(weight))
    try:
        fits = np.broadcast_shapes(weight.shape, input.shape) == input.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"{op}: {name} of shape {weight.shape} does not broadcast to the input {input.shape}"
        )
    return weight.astype(input.dtype, copy=False)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Any,
    weight: Any = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    pos_weight: Any = None,
) -> Tensor:
    """Binary cross-entropy of ``target`` in [0, 1] under sigmoid(input), computed stably.

    Shapes: input and target alike (any shape); weight broadcasts to them; pos_weight
    broadcasts along the last dim (one value per class).
    l = w·[(1 − t)·x − c·log σ(x)], c = 1 + (pos_weight − 1)·t, with log σ from the stable
    `logsigmoid`. Composed of primitives, so the gradient reaches ``target`` (when it is a
    Tensor that requires grad) as in PyTorch: ∂l/∂t = w·[−x − (pos_weight − 1)·log σ(x)].
    Reference: ``torch.nn.functional.binary_cross_entropy_with_logits``.
    """
    op = "binary_cross_entropy_with_logits"
    reduction = legacy_reduction(op, size_average, reduce, reduction)
    t = _binary_target(op, input, target)
    weight = _broadcast_weight(op, "weight", weight, input)
    pos_weight = _broadcast_weight(op, "pos_weight", pos_weight, input)
    log_sig = logsigmoid(input)
    c = 1.0 if pos_weight is None else add(mul(t, pos_weight - 1), 1.0)
    loss = sub(mul(sub(1.0, t), input), mul(c, log_sig))
    if weight is not None:
        loss = mul(loss, weight)
    return reduce_loss(loss, reduction)


class BinaryCrossEntropy(Function):
    """l = −w·[t·max(log x, −100) + (1 − t)·max(log(1 − x), −100)] (PyTorch's clamp keeps
    l finite at x = 0 or 1);
    ∂l/∂x = w·(x − t) / max(x(1 − x), 1e-12),  ∂l/∂t = w·log((1 − x)/x)."""

    @staticmethod
    def forward(ctx, x, t, w):
        xp = backend.array_module(x)
        with np.errstate(divide="ignore"):  # log 0 = -inf is clamped (CuPy never warns)
            log_x = xp.maximum(xp.log(x), -100)
            log_1mx = xp.maximum(xp.log1p(-x), -100)
        loss = (t - 1) * log_1mx - t * log_x
        ctx.save_for_backward(x, t, w)
        return loss if w is None else loss * w

    @staticmethod
    def backward(ctx, g):
        x, t, w = ctx.saved_tensors
        xp = backend.array_module(x)
        g = g if w is None else g * w
        gx = g * (x - t) / xp.maximum(x * (1 - x), 1e-12) if ctx.needs_input_grad[0] else None
        with np.errstate(divide="ignore"):  # ±inf at x = 0 or 1, as PyTorch's
            gt = -g * xp.log(x / (1 - x)) if ctx.needs_input_grad[1] else None
        return gx, gt, None

    @staticmethod
    def composite(ctx, x, t, w):
        from .elementwise import clamp, log
        from .pointwise import log1p

        loss = (t - 1) * clamp(log1p(-x), min=-100) - t * clamp(log(x), min=-100)
        return loss if w is None else loss * w


def binary_cross_entropy(
    input: Tensor,
    target: Any,
    weight: Any = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Binary cross-entropy of ``target`` under probabilities ``input`` in [0, 1].

    Shapes: input and target alike; weight broadcasts to them. Each log is clamped at −100,
    as in PyTorch (so a confident wrong answer costs 100, not inf). Prefer
    `binary_cross_entropy_with_logits` on logits: it is exact where σ(x) rounds to 0 or 1.
    Reference: ``torch.nn.functional.binary_cross_entropy``.
    """
    op = "binary_cross_entropy"
    reduction = legacy_reduction(op, size_average, reduce, reduction)
    t = _binary_target(op, input, target)
    if not backend.is_cupy_array(input.data):  # on the GPU the check would wait for the device
        x = input.data
        if x.size and not ((x >= 0) & (x <= 1)).all():
            bad = x[~((x >= 0) & (x <= 1))].ravel()[0]
            raise ValueError(f"{op}: all elements of input should be between 0 and 1, got {bad}")
    weight = _broadcast_weight(op, "weight", weight, input)
    return reduce_loss(BinaryCrossEntropy.apply(input, t, weight), reduction)
