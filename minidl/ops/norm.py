"""Batch normalisation with a hand-written backward (the textbook derivation).

The passes over the activations are the kernels of ``minidl/kernels/batch_norm/``
(statistics, normalisation, backward); this file keeps the running statistics and the
autograd around them.
"""

from __future__ import annotations

from typing import Any

from .. import kernels
from ..autograd import Function
from ..backend import array_module
from ..tensor import Tensor


class BatchNorm(Function):
    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, training, momentum, eps):
        xp = array_module(x)
        axes = (0, *range(2, x.ndim))  # every axis but the channels
        shape = (1, -1) + (1,) * (x.ndim - 2)  # a per-channel vector, broadcastable to x
        if training:
            mean, var = kernels.get("batch_norm_stats", x)(x)  # var biased, as used here
            if running_mean is not None:
                m = x.size // x.shape[1]  # values per channel
                running_mean *= 1 - momentum
                running_mean += momentum * mean
                running_var *= 1 - momentum
                running_var += momentum * var * (m / (m - 1))  # unbiased in the running stat
        else:
            # copies: a later training step updates the running stats in place
            mean, var = running_mean.copy(), running_var.copy()
        inv_std = 1 / xp.sqrt(var + eps)
        y = kernels.get("batch_norm_apply", x)(x, mean, inv_std, weight, bias)
        ctx.save_for_backward(x, mean, inv_std, weight)
        ctx.training, ctx.axes, ctx.shape = training, axes, shape
        return y.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, dy):
        x, mean, inv_std, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        backward = kernels.get("batch_norm_backward", dy)
        dx, dw, db = backward(dy, x, mean, inv_std, weight, ctx.training)
        return (
            dx if need_x else None, dw if need_w else None, db if need_b else None,
            None, None, None, None, None,
        )  # fmt: skip

    @staticmethod
    def composite(ctx, x, weight, bias, running_mean, running_var, training, momentum, eps):
        # the forward with recorded ops; the running statistics were updated once, by the
        # forward itself, and are constants here
        from .elementwise import sqrt

        axes, shape = ctx.axes, ctx.shape
        if training:
            mean = x.mean(dim=axes, keepdim=True)
            var = ((x - mean) ** 2).mean(dim=axes, keepdim=True)
            x_hat = (x - mean) / sqrt(var + eps)
        else:
            x_hat = (x - ctx.saved_tensors[1].reshape(shape)) * ctx.saved_tensors[2].reshape(shape)
        y = x_hat if weight is None else x_hat * weight.reshape(shape)
        return y if bias is None else y + bias.reshape(shape)


def _array(t: Any) -> Any:
    return t.data if isinstance(t, Tensor) else t


def batch_norm(
    input: Tensor,
    running_mean: Tensor | Any | None,
    running_var: Tensor | Any | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel to zero mean and unit variance, then scale and shift.

    Shapes: x (N, C, *) -> same; running_mean, running_var, weight, bias (C,).

    Math: y = (x - mean) / sqrt(var + eps) * weight + bias, with mean and the biased var over
    (N, *) of the batch when ``training`` (and then, in place, running = (1 - momentum) *
    running + momentum * batch statistic, the variance unbiased), else the running ones.
    Backward (training): dx = (dx̂ - mean(dx̂) - x̂ * mean(dx̂ * x̂)) / sqrt(var + eps),
    dx̂ = dy * weight, dweight = sum(dy * x̂), dbias = sum(dy).

    Kernels: ``batch_norm_stats``, ``batch_norm_apply`` (forward) and ``batch_norm_backward``
    in minidl/kernels/batch_norm/cpu.py (on the GPU, the array code of its reference.py).
    Reference: ``torch.nn.functional.batch_norm``; Ioffe & Szegedy, "Batch Normalization"
    (2015).
    """
    op, x = "batch_norm", input
    if len(x.shape) < 2:
        raise ValueError(f"{op}: expected input (N, C, *) with >= 2 dims, got {tuple(x.shape)}")
    C = x.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):  # fmt: skip
        if t is not None and tuple(t.shape) != (C,):
            raise ValueError(f"{op}: expected {name} of shape ({C},), got {tuple(t.shape)}")
    if (running_mean is None) != (running_var is None):
        raise ValueError(f"{op}: give both running_mean and running_var, or neither")
    if not training and running_mean is None:
        raise ValueError(f"{op}: running_mean and running_var are needed when not training")
    if x.numel() == 0:  # an empty batch: nothing to normalise, no statistics to update
        return x * 1.0
    if training and x.numel() // max(C, 1) <= 1:
        raise ValueError(
            f"{op}: expected more than 1 value per channel when training, got input "
            f"{tuple(x.shape)}"
        )
    rm, rv = _array(running_mean), _array(running_var)
    return BatchNorm.apply(x, weight, bias, rm, rv, bool(training), float(momentum), float(eps))
