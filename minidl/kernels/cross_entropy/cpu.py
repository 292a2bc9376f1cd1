"""Cross-entropy forward and backward as parallel Numba loops around NumPy's exp and log;
same contract as ``reference.py``.

Why a kernel: log_softmax followed by NLL walks the logits five times, and its backward
builds a one-hot array and recomputes a softmax; here the backward reads the softmax once
and writes dx once.

Why the forward is three passes: without Intel's SVML, Numba calls exp and log one element
at a time, several times slower than NumPy's vectorised ones, and the forward would be all
exp. So a Numba pass writes x − max into the softmax array, NumPy's exp runs on it in place,
and a second Numba pass sums and normalises; NumPy takes the one log per position.

The logits are seen as (N, C, S), S the positions of one image (1 for (N, C) input); a task
is a block of up to `BLOCK` positions of one image. With many positions per image the loops
run over the classes outside and the positions inside, so that each inner loop is one
contiguous run of a channel plane and the per-position max and sum are elementwise across
it; Numba indexes faster from per-task views whose loops start at 0 (no negative index to
wrap). With few (classification rows) the classes are the contiguous run, and each
position's max and sum run along them in 8 independent accumulators: a float reduction does
not vectorise without fastmath, and one accumulator would be a chain of dependent steps.

A NaN logit makes its position's sum NaN, so its loss and softmax are NaN as in the
reference, whichever value the max took. float32 and float64 run the loops; other dtypes
fall back to the reference.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._numba import loop, njit, prange
from . import reference

BLOCK = 1024  # positions per task: many tasks for 2 cores, each a few KB per channel
FEW_POSITIONS = 16  # below this many per image the classes are the inner loop


@njit(cache=True)
def _max_over_classes(x, n, s):
    """max over c of x[n, c, s], in 8 running maxima."""
    C = x.shape[1]
    a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = x[n, 0, s]
    for c in range(0, C - 7, 8):
        v0, v1, v2, v3 = x[n, c, s], x[n, c + 1, s], x[n, c + 2, s], x[n, c + 3, s]
        v4, v5, v6, v7 = x[n, c + 4, s], x[n, c + 5, s], x[n, c + 6, s], x[n, c + 7, s]
        a0, a1 = (v0 if v0 > a0 else a0), (v1 if v1 > a1 else a1)
        a2, a3 = (v2 if v2 > a2 else a2), (v3 if v3 > a3 else a3)
        a4, a5 = (v4 if v4 > a4 else a4), (v5 if v5 > a5 else a5)
        a6, a7 = (v6 if v6 > a6 else a6), (v7 if v7 > a7 else a7)
    for c in range(C - C % 8, C):
        a0 = x[n, c, s] if x[n, c, s] > a0 else a0
    return max(max(max(a0, a1), max(a2, a3)), max(max(a4, a5), max(a6, a7)))


@njit(cache=True)
def _sum_over_classes(e, n, s):
    """Σ over c of e[n, c, s], in 8 running sums."""
    C = e.shape[1]
    a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = e.dtype.type(0)
    for c in range(0, C - 7, 8):
        a0, a1 = a0 + e[n, c, s], a1 + e[n, c + 1, s]
        a2, a3 = a2 + e[n, c + 2, s], a3 + e[n, c + 3, s]
        a4, a5 = a4 + e[n, c + 4, s], a5 + e[n, c + 5, s]
        a6, a7 = a6 + e[n, c + 6, s], a7 + e[n, c + 7, s]
    for c in range(C - C % 8, C):
        a0 += e[n, c, s]
    return ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))


@loop
def _shift(x, target, m, work, picked, block):
    """work (N, C, S) = x − m and picked (N, S) = x_t − m, m (N, S) the max over classes."""
    N, C, S = x.shape
    blocks = (S + block - 1) // block
    for k in prange(N * blocks):
        n, s0 = k // blocks, (k % blocks) * block
        s1 = min(s0 + block, S)
        if S < FEW_POSITIONS:
            for s in range(S):
                v = _max_over_classes(x, n, s)
                for c in range(C):
                    work[n, c, s] = x[n, c, s] - v
                m[n, s] = v
        else:
            mb = m[n, s0:s1]
            mb[:] = x[n, 0, s0:s1]
            for c in range(1, C):
                np.maximum(mb, x[n, c, s0:s1], mb)
            for c in range(C):
                np.subtract(x[n, c, s0:s1], mb, work[n, c, s0:s1])
        mb, tb, pb = m[n, s0:s1], target[n, s0:s1], picked[n, s0:s1]
        for i in range(s1 - s0):
            pb[i] = x[n, tb[i], s0 + i] - mb[i]


@loop
def _normalise(e, total, block):
    """total (N, S) = Σ_c e, and e (N, C, S) /= total in place."""
    N, C, S = e.shape
    blocks = (S + block - 1) // block
    for k in prange(N * blocks):
        n, s0 = k // blocks, (k % blocks) * block
        if S < FEW_POSITIONS:
            for s in range(S):
                t = _sum_over_classes(e, n, s)
                r = 1 / t  # t >= 1 (the max's own term is exp 0) or NaN
                for c in range(C):
                    e[n, c, s] *= r
                total[n, s] = t
        else:
            tb = total[n, s0 : min(s0 + block, S)]
            tb[:] = e[n, 0, s0 : s0 + tb.size]
            for c in range(1, C):
                tb += e[n, c, s0 : s0 + tb.size]
            for c in range(C):
                eb = e[n, c, s0 : s0 + tb.size]
                eb /= tb


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
    t = _positions(target, np.int64)
    _shift(x.size, x3, t, total, softmax, loss, BLOCK)  # total holds the max until summed
    np.exp(softmax, out=softmax)
    _normalise(x.size, softmax, total, BLOCK)
    np.log(total, out=total)
    np.subtract(total, loss, out=loss)  # log Σ e − (x_t − max)
    np.multiply(loss, _positions(w), out=loss)
    return loss.reshape(x.shape[:1] + x.shape[2:]), softmax.reshape(x.shape)


def cross_entropy_backward(softmax: Any, target: Any, coef: Any) -> Any:
    if not _loop_dtype(softmax, coef):
        return reference.cross_entropy_backward(softmax, target, coef)
    p = _as_3d(softmax)
    dx = np.empty(p.shape, p.dtype)
    _backward(p.size, p, _positions(target, np.int64), _positions(coef), dx, BLOCK)
    return dx.reshape(softmax.shape)
