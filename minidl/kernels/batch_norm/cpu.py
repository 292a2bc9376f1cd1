"""Batch normalisation as Numba loops; same signatures and results as ``reference.py``.

Why kernels: in array code each formula is its own pass over the activations, with a fresh
temporary each time (x - mean, its square, x̂, dy·x̂, ...), one core each. Here the
statistics take two passes over x, the normalisation one, and the backward two (the sums,
then dx), spread over the threads by channel (sums) or by (image, channel) plane.

The sums run in float64 whatever x's dtype, in helpers compiled with ``reassoc`` (LLVM may
reorder the additions), which is what lets a sum use vector instructions; so float32
statistics are a little more exact than the reference's, not bit for bit the same.
Floating dtypes run the loops; others (float16) fall back to the reference.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._numba import loop, njit, prange
from . import reference

SUMS = {"reassoc"}  # the fast-math flag a vectorised sum needs, and no other


@njit(cache=True, fastmath=SUMS)
def _sum(row):
    s = 0.0
    for j in range(row.shape[0]):
        s += row[j]
    return s


@njit(cache=True, fastmath=SUMS)
def _squared_deviations(row, mean):
    s = 0.0
    for j in range(row.shape[0]):
        d = row[j] - mean
        s += d * d
    return s


@njit(cache=True, fastmath=SUMS)
def _grad_sums(dy, x, mean):
    """(Σ dy, Σ dy·(x - mean)) over one row."""
    s = 0.0
    t = 0.0
    for j in range(dy.shape[0]):
        g = dy[j]
        s += g
        t += g * (x[j] - mean)
    return s, t


@loop
def _stats(x, mean, var):
    N, C, S = x.shape
    m = N * S
    for c in prange(C):
        s = 0.0
        for n in range(N):
            s += _sum(x[n, c])
        mu = s / m
        q = 0.0
        for n in range(N):
            q += _squared_deviations(x[n, c], mu)
        mean[c] = mu
        var[c] = q / m


@loop
def _apply(x, mean, inv_std, weight, bias, y):
    N, C, S = x.shape
    for plane in prange(N * C):
        n, c = plane // C, plane % C
        mu, k, w, b = mean[c], inv_std[c], weight[c], bias[c]
        row, out = x[n, c], y[n, c]
        for j in range(S):
            out[j] = (row[j] - mu) * k * w + b


@loop
def _backward_sums(dy, x, mean, sum_dy, sum_dy_xc):
    N, C, S = x.shape
    for c in prange(C):
        s = 0.0
        t = 0.0
        for n in range(N):
            a, b = _grad_sums(dy[n, c], x[n, c], mean[c])
            s += a
            t += b
        sum_dy[c] = s
        sum_dy_xc[c] = t


@loop
def _backward_dx(dy, x, mean, inv_std, weight, sum_dy, sum_dy_xhat, training, dx):
    N, C, S = x.shape
    m = N * S
    one = dy.dtype.type(1)
    for plane in prange(N * C):
        n, c = plane // C, plane % C
        k = dy.dtype.type(weight[c] * inv_std[c])
        g, xr, out = dy[n, c], x[n, c], dx[n, c]
        if training:
            a = dy.dtype.type(sum_dy[c] / m)
            b = dy.dtype.type(sum_dy_xhat[c] / m)
            mu, s = mean[c], inv_std[c]
            for j in range(S):
                out[j] = k * (g[j] - a - (xr[j] - mu) * s * b)
        else:
            for j in range(S):
                out[j] = k * g[j] * one


def _loop_dtype(*arrays: Any) -> bool:
    dtype = arrays[0].dtype
    return dtype in (np.float32, np.float64) and all(a.dtype == dtype for a in arrays)


def _planes(a: Any) -> Any:
    """``a`` (N, C, *) as a C-contiguous (N, C, S) array (a copy only if it is strided)."""
    return np.ascontiguousarray(a).reshape(a.shape[0], a.shape[1], -1)


def _vector(v: Any, C: int, fill: float, dtype: Any) -> Any:
    return np.full(C, fill, dtype) if v is None else np.ascontiguousarray(v, dtype=dtype)


def batch_norm_stats(x: Any) -> tuple[Any, Any]:
    if not _loop_dtype(x) or x.ndim < 2 or x.size == 0:
        return reference.batch_norm_stats(x)
    C = x.shape[1]
    mean, var = np.empty(C), np.empty(C)
    _stats(2 * x.size, _planes(x), mean, var)
    return mean.astype(x.dtype), var.astype(x.dtype)


def batch_norm_apply(x: Any, mean: Any, inv_std: Any, weight: Any = None, bias: Any = None) -> Any:
    if not _loop_dtype(x) or x.ndim < 2:
        return reference.batch_norm_apply(x, mean, inv_std, weight, bias)
    C, dtype = x.shape[1], x.dtype
    x3 = _planes(x)  # a copy when x is strided: made once
    y = np.empty(x.shape, dtype=dtype)
    _apply(
        x.size, x3, _vector(mean, C, 0, dtype), _vector(inv_std, C, 1, dtype),
        _vector(weight, C, 1, dtype), _vector(bias, C, 0, dtype), y.reshape(x3.shape),
    )  # fmt: skip
    return y


def batch_norm_backward(
    dy: Any, x: Any, mean: Any, inv_std: Any, weight: Any, training: bool
) -> tuple[Any, Any, Any]:
    if not _loop_dtype(dy, x) or x.ndim < 2 or dy.shape != x.shape or x.size == 0:
        return reference.batch_norm_backward(dy, x, mean, inv_std, weight, training)
    C, dtype = x.shape[1], dy.dtype
    dy3, x3 = _planes(dy), _planes(x)
    mean64, inv_std64 = np.asarray(mean, np.float64), np.asarray(inv_std, np.float64)
    sum_dy, sum_dy_xc = np.empty(C), np.empty(C)
    _backward_sums(2 * x.size, dy3, x3, mean64, sum_dy, sum_dy_xc)
    sum_dy_xhat = sum_dy_xc * inv_std64  # Σ dy·x̂
    dx = np.empty(x.shape, dtype=dtype)
    _backward_dx(
        2 * x.size, dy3, x3, _vector(mean, C, 0, dtype), _vector(inv_std, C, 1, dtype),
        _vector(weight, C, 1, np.float64), sum_dy, sum_dy_xhat, bool(training),
        dx.reshape(x3.shape),
    )  # fmt: skip
    return dx, sum_dy_xhat.astype(dtype), sum_dy.astype(dtype)
