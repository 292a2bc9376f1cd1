"""Cross-entropy forward and backward as parallel Numba loops; same contract as
``reference.py``.

Why a kernel: log_softmax followed by NLL walks the logits five times and keeps a
log-probability array as large as them (and the backward builds a one-hot array and a
softmax); here the forward reads the logits twice (the max, then the sum of exps) and writes
three (N, *) arrays, and the backward reads them once and writes dx once.

The logits are seen as (N, C, S), S the positions of one image (1 for (N, C) input). A task
is a block of up to `BLOCK` positions of one image: its loops run over c outside and the
positions inside, so that each inner loop reads one contiguous run of a channel (the layout
of NCHW logits), and the per-position running max and sum live in the output arrays.
The max propagates NaN (as NumPy's), so a NaN logit gives NaN where the reference does.
float32 and float64 run the loops; other dtypes fall back to the reference.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._numba import loop, prange
from . import reference

BLOCK = 1024  # positions per task: a few KB of each channel, many tasks for 2 cores


@loop
def _forward(x, target, w, loss, x_max, log_sum, block):
    N, C, S = x.shape
    blocks = (S + block - 1) // block
    for k in prange(N * blocks):
        n, s0 = k // blocks, (k % blocks) * block
        s1 = min(s0 + block, S)
        for s in range(s0, s1):
            x_max[n, s] = x[n, 0, s]
        for c in range(1, C):
            for s in range(s0, s1):
                v, m = x[n, c, s], x_max[n, s]
                x_max[n, s] = v if v > m or v != v else m  # NaN wins, as in np.max
        for s in range(s0, s1):
            log_sum[n, s] = 0
        for c in range(C):
            for s in range(s0, s1):
                log_sum[n, s] += np.exp(x[n, c, s] - x_max[n, s])
        for s in range(s0, s1):
            log_sum[n, s] = np.log(log_sum[n, s])
            picked = x[n, target[n, s], s] - x_max[n, s]
            loss[n, s] = w[n, s] * (log_sum[n, s] - picked)


@loop
def _backward(x, target, x_max, log_sum, coef, dx, block):
    N, C, S = x.shape
    one = x.dtype.type(1)  # typed: an int 1 would make the subtraction float64
    blocks = (S + block - 1) // block
    for k in prange(N * blocks):
        n, s0 = k // blocks, (k % blocks) * block
        s1 = min(s0 + block, S)
        for c in range(C):
            for s in range(s0, s1):
                p = np.exp(x[n, c, s] - x_max[n, s] - log_sum[n, s])
                hit = target[n, s] == c
                dx[n, c, s] = coef[n, s] * (p - one if hit else p)


def _loop_dtype(*arrays: Any) -> bool:
    dtype = arrays[0].dtype
    return dtype in (np.float32, np.float64) and all(a.dtype == dtype for a in arrays)


def _as_3d(x: Any) -> Any:
    """x (N, C, *) as a contiguous (N, C, S)."""
    N, C = x.shape[:2]
    return np.ascontiguousarray(x).reshape(N, C, math.prod(x.shape[2:]))


def _positions(a: Any, dtype: Any = None) -> Any:
    """An (N, *) array as a contiguous (N, S)."""
    return np.ascontiguousarray(a, dtype=dtype).reshape(a.shape[0], math.prod(a.shape[1:]))


def cross_entropy_forward(x: Any, target: Any, w: Any) -> tuple[Any, Any, Any]:
    if not _loop_dtype(x, w) or x.shape[1] == 0:
        return reference.cross_entropy_forward(x, target, w)
    x3 = _as_3d(x)
    N, _, S = x3.shape
    loss, x_max, log_sum = (np.empty((N, S), x.dtype) for _ in range(3))
    t = _positions(target, np.int64)
    _forward(x.size, x3, t, _positions(w), loss, x_max, log_sum, BLOCK)
    shape = x.shape[:1] + x.shape[2:]
    return loss.reshape(shape), x_max.reshape(shape), log_sum.reshape(shape)


def cross_entropy_backward(x: Any, target: Any, x_max: Any, log_sum: Any, coef: Any) -> Any:
    if not _loop_dtype(x, x_max, log_sum, coef):
        return reference.cross_entropy_backward(x, target, x_max, log_sum, coef)
    x3 = _as_3d(x)
    dx = np.empty(x3.shape, x.dtype)
    pos = [_positions(a) for a in (x_max, log_sum, coef)]
    _backward(x.size, x3, _positions(target, np.int64), *pos, dx, BLOCK)
    return dx.reshape(x.shape)
