"""Cross-entropy forward and backward as parallel Numba loops; same contract as
``reference.py``.

Why a kernel: log_softmax followed by NLL walks the logits five times, and its backward
builds a one-hot array and recomputes a softmax; here the forward reads the logits twice
and writes the softmax once, and the backward reads the softmax once and writes dx once.

The logits are seen as (N, C, S), S the positions of one image (1 for (N, C) input); a task
is a block of up to `BLOCK` positions of one image. Its loops run over the classes outside
and the positions inside, so that each inner loop is one contiguous run of a channel plane
(NCHW logits) and the per-position max and sum are arrays that the loop vectorises over.
exp is a scalar call here (Numba vectorises it only with Intel's SVML): it is most of the
forward's time, which is why the backward takes the softmax from the forward instead of
recomputing it.
The max propagates NaN (as NumPy's), so a NaN logit gives NaN where the reference does.
float32 and float64 run the loops; other dtypes fall back to the reference.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._numba import loop, prange
from . import reference

BLOCK = 1024  # positions per task: many tasks for 2 cores, each a few KB per channel


@loop
def _forward(x, target, w, loss, softmax, total, block):
    N, C, S = x.shape
    blocks = (S + block - 1) // block
    for k in prange(N * blocks):
        n, s0 = k // blocks, (k % blocks) * block
        s1 = min(s0 + block, S)
        m = loss[n]  # the running max lives in the loss row until the loss is written
        for s in range(s0, s1):
            m[s] = x[n, 0, s]
        for c in range(1, C):
            for s in range(s0, s1):
                v = x[n, c, s]
                m[s] = v if v > m[s] or v != v else m[s]  # NaN wins, as in np.max
        for s in range(s0, s1):
            total[n, s] = 0
        for c in range(C):
            for s in range(s0, s1):
                e = np.exp(x[n, c, s] - m[s])
                softmax[n, c, s] = e
                total[n, s] += e
        for c in range(C):
            for s in range(s0, s1):
                softmax[n, c, s] /= total[n, s]
        for s in range(s0, s1):
            picked = x[n, target[n, s], s] - m[s]
            loss[n, s] = w[n, s] * (np.log(total[n, s]) - picked)


@loop
def _backward(softmax, target, coef, dx, block):
    N, C, S = softmax.shape
    one = softmax.dtype.type(1)  # typed: an int 1 would make the subtraction float64
    blocks = (S + block - 1) // block
    for k in prange(N * blocks):
        n, s0 = k // blocks, (k % blocks) * block
        for c in range(C):
            for s in range(s0, min(s0 + block, S)):
                p = softmax[n, c, s]
                dx[n, c, s] = coef[n, s] * (p - one if target[n, s] == c else p)


def _loop_dtype(*arrays: Any) -> bool:
    dtype = arrays[0].dtype
    return dtype in (np.float32, np.float64) and all(a.dtype == dtype for a in arrays)


def _as_3d(x: Any) -> Any:
    """x (N, C, *) as a contiguous (N, C, S)."""
    return np.ascontiguousarray(x).reshape(x.shape[0], x.shape[1], math.prod(x.shape[2:]))


def _positions(a: Any, dtype: Any = None) -> Any:
    """An (N, *) array as a contiguous (N, S)."""
    return np.ascontiguousarray(a, dtype=dtype).reshape(a.shape[0], math.prod(a.shape[1:]))


def cross_entropy_forward(x: Any, target: Any, w: Any) -> tuple[Any, Any]:
    if not _loop_dtype(x, w) or x.shape[1] == 0:
        return reference.cross_entropy_forward(x, target, w)
    x3 = _as_3d(x)
    loss, total = (np.empty((x3.shape[0], x3.shape[2]), x.dtype) for _ in range(2))
    softmax = np.empty(x3.shape, x.dtype)
    t, w2 = _positions(target, np.int64), _positions(w)
    _forward(x.size, x3, t, w2, loss, softmax, total, BLOCK)
    return loss.reshape(x.shape[:1] + x.shape[2:]), softmax.reshape(x.shape)


def cross_entropy_backward(softmax: Any, target: Any, coef: Any) -> Any:
    if not _loop_dtype(softmax, coef):
        return reference.cross_entropy_backward(softmax, target, coef)
    p = _as_3d(softmax)
    dx = np.empty(p.shape, p.dtype)
    _backward(p.size, p, _positions(target, np.int64), _positions(coef), dx, BLOCK)
    return dx.reshape(softmax.shape)
