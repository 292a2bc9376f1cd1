"""Batch normalisation in array code, the readable reference: the spec and the test oracle.

x is (N, C, *): each channel c is normalised over its m = N·(spatial size) values.

- ``batch_norm_stats(x)``: the batch's per-channel mean and biased variance (two passes:
  the mean first, then the mean squared deviation, which keeps the digits that
  E[x²] - E[x]² would cancel);
- ``batch_norm_apply(x, mean, inv_std, weight, bias)``: y = (x - mean)·inv_std·weight + bias,
  weight and bias optional (None: 1 and 0);
- ``batch_norm_backward(dy, x, mean, inv_std, weight, training)``: (dx, dweight, dbias) with
  x̂ = (x - mean)·inv_std, dweight = Σ dy·x̂, dbias = Σ dy and, when the statistics were the
  batch's own (``training``), dx = weight·inv_std·(dy - Σdy/m - x̂·Σ(dy·x̂)/m); with running
  statistics, which are constants, dx = weight·inv_std·dy.

On the GPU (no gpu.py in this family) this file runs on CuPy arrays.
"""

from __future__ import annotations

from typing import Any

from ... import backend

__all__ = ["batch_norm_stats", "batch_norm_apply", "batch_norm_backward"]


def _axes_and_shape(x: Any) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The axes to reduce (all but the channels) and a per-channel vector's broadcast shape."""
    return (0, *range(2, x.ndim)), (1, -1) + (1,) * (x.ndim - 2)


def batch_norm_stats(x: Any) -> tuple[Any, Any]:
    """(mean, var), each (C,) in x's dtype: the biased variance, as normalisation uses."""
    axes, shape = _axes_and_shape(x)
    mean = x.mean(axis=axes)
    var = ((x - mean.reshape(shape)) ** 2).mean(axis=axes)
    return mean, var


def batch_norm_apply(x: Any, mean: Any, inv_std: Any, weight: Any = None, bias: Any = None) -> Any:
    """y = (x - mean)·inv_std·weight + bias per channel, a fresh array in x's dtype."""
    _, shape = _axes_and_shape(x)
    y = (x - mean.reshape(shape)) * inv_std.reshape(shape)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y.astype(x.dtype, copy=False)


def batch_norm_backward(
    dy: Any, x: Any, mean: Any, inv_std: Any, weight: Any, training: bool
) -> tuple[Any, Any, Any]:
    """(dx, dweight, dbias): see the module docstring."""
    xp = backend.array_module(dy)
    axes, shape = _axes_and_shape(x)
    x_hat = (x - mean.reshape(shape)) * inv_std.reshape(shape)
    dweight = (dy * x_hat).sum(axis=axes)
    dbias = dy.sum(axis=axes)
    dx_hat = dy if weight is None else dy * weight.reshape(shape)
    if training:
        centred = dx_hat - dx_hat.mean(axis=axes, keepdims=True)
        dx = (centred - x_hat * (dx_hat * x_hat).mean(axis=axes, keepdims=True)) * inv_std.reshape(
            shape
        )
    else:
        dx = dx_hat * inv_std.reshape(shape)
    return xp.asarray(dx, dtype=dy.dtype), dweight.astype(dy.dtype), dbias.astype(dy.dtype)
