"""Cross-entropy forward and backward on the GPU: numba-cuda kernels on CuPy arrays.

Same contract as ``reference.py``. The logits are seen as (N, C, S). The forward runs one
thread per position (n, s), looping over the classes: for a fixed class, neighbouring
threads read neighbouring positions (coalesced, in NCHW logits). The backward runs one
thread per element of dx. Both are grid-stride loops, so a fixed grid covers any size.
Under ``NUMBA_ENABLE_CUDASIM=1`` the kernels run on NumPy arrays, one Python thread per GPU
thread, which is how the tests check them without a GPU.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import cuda

from ... import backend
from . import reference

THREADS = 128  # threads per block
MAX_BLOCKS = 1024  # enough to fill a GPU; the grid-stride loop covers the rest


@cuda.jit
def _forward(x, target, w, loss, softmax):
    N, C, S = x.shape
    start, step = cuda.grid(1), cuda.gridsize(1)
    for i in range(start, N * S, step):
        n, s = i // S, i % S
        m = x[n, 0, s]
        for c in range(1, C):
            v = x[n, c, s]
            m = v if v > m or v != v else m  # NaN wins, as in the reference's max
        total = math.exp(x[n, 0, s] - m)
        softmax[n, 0, s] = total
        for c in range(1, C):
            e = math.exp(x[n, c, s] - m)
            softmax[n, c, s] = e
            total += e
        for c in range(C):
            softmax[n, c, s] /= total
        loss[n, s] = w[n, s] * (math.log(total) - (x[n, target[n, s], s] - m))


@cuda.jit
def _backward(softmax, target, coef, dx, one):
    N, C, S = softmax.shape
    start, step = cuda.grid(1), cuda.gridsize(1)
    for i in range(start, N * C * S, step):
        n, c, s = i // (C * S), (i // S) % C, i % S
        p = softmax[n, c, s]
        dx[n, c, s] = coef[n, s] * (p - one if target[n, s] == c else p)  # one: a typed 1


def _launch(kernel: Any, n: int, *args: Any) -> None:
    if n:
        kernel[min((n + THREADS - 1) // THREADS, MAX_BLOCKS), THREADS](*args)


def _loop_dtype(*arrays: Any) -> bool:
    dtype = arrays[0].dtype
    return dtype in (np.float32, np.float64) and all(a.dtype == dtype for a in arrays)


def _as_3d(xp: Any, x: Any) -> Any:
    """x (N, C, *) as a contiguous (N, C, S)."""
    return xp.ascontiguousarray(x).reshape(x.shape[0], x.shape[1], math.prod(x.shape[2:]))


def _positions(xp: Any, a: Any, dtype: Any = None) -> Any:
    """An (N, *) array as a contiguous (N, S)."""
    return xp.ascontiguousarray(a, dtype=dtype).reshape(a.shape[0], math.prod(a.shape[1:]))


def cross_entropy_forward(x: Any, target: Any, w: Any) -> tuple[Any, Any]:
    if not _loop_dtype(x, w) or x.shape[1] == 0:
        return reference.cross_entropy_forward(x, target, w)
    xp = backend.array_module(x)
    x3 = _as_3d(xp, x)
    N, _, S = x3.shape
    loss, softmax = xp.empty((N, S), x.dtype), xp.empty(x3.shape, x.dtype)
    t, w2 = _positions(xp, target, np.int64), _positions(xp, w)
    _launch(_forward, N * S, x3, t, w2, loss, softmax)
    return loss.reshape(x.shape[:1] + x.shape[2:]), softmax.reshape(x.shape)


def cross_entropy_backward(softmax: Any, target: Any, coef: Any) -> Any:
    if not _loop_dtype(softmax, coef):
        return reference.cross_entropy_backward(softmax, target, coef)
    xp = backend.array_module(softmax)
    p = _as_3d(xp, softmax)
    dx = xp.empty(p.shape, p.dtype)
    t, c = _positions(xp, target, np.int64), _positions(xp, coef)
    _launch(_backward, p.size, p, t, c, dx, p.dtype.type(1))
    return dx.reshape(softmax.shape)
