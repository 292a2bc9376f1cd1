"""SGD and Adam updates on the GPU: numba-cuda kernels on CuPy arrays.

Same contract as ``reference.py``. One grid-stride loop per kernel over the flattened
arrays (neighbouring threads touch neighbouring elements), each element read and written
once, the scalars in the arrays' dtype as in ``cpu.py``. Under ``NUMBA_ENABLE_CUDASIM=1`` the
kernels run on NumPy arrays, which is how the tests check them without a GPU.
"""

from __future__ import annotations

import math
from typing import Any

from numba import cuda

from ... import backend
from . import reference

THREADS = 128  # threads per block
MAX_BLOCKS = 1024  # enough to fill a GPU; the grid-stride loop covers the rest


@cuda.jit
def _sgd(param, grad, lr, weight_decay):
    start, step = cuda.grid(1), cuda.gridsize(1)
    for i in range(start, param.shape[0], step):
        g = grad[i]
        if weight_decay != 0:
            g = g + weight_decay * param[i]
        param[i] = param[i] - lr * g


@cuda.jit
def _sgd_momentum(param, grad, buf, lr, momentum, keep, weight_decay, nesterov, first_step):
    start, step = cuda.grid(1), cuda.gridsize(1)
    for i in range(start, param.shape[0], step):
        g = grad[i]
        if weight_decay != 0:
            g = g + weight_decay * param[i]
        b = g if first_step else buf[i] * momentum + keep * g
        buf[i] = b
        d = g + momentum * b if nesterov else b
        param[i] = param[i] - lr * d


@cuda.jit
def _adam(param, grad, m, v, lr, c1, beta2, c2, eps, weight_decay, bias2_sqrt):
    start, step = cuda.grid(1), cuda.gridsize(1)
    for i in range(start, param.shape[0], step):
        g = grad[i]
        if weight_decay != 0:
            g = g + weight_decay * param[i]
        mi = m[i] + c1 * (g - m[i])
        vi = v[i] * beta2 + c2 * g * g
        m[i] = mi
        v[i] = vi
        param[i] = param[i] - lr * mi / (math.sqrt(vi) / bias2_sqrt + eps)


def _launch(kernel: Any, n: int, *args: Any) -> None:
    if n:
        kernel[min((n + THREADS - 1) // THREADS, MAX_BLOCKS), THREADS](*args)


def sgd_update(
    param: Any,
    grad: Any,
    momentum_buffer: Any,
    lr: float,
    momentum: float,
    dampening: float,
    weight_decay: float,
    nesterov: bool,
    first_step: bool,
) -> tuple[Any, Any]:
    buf = momentum_buffer
    arrays = (grad,) if buf is None else (grad, buf)
    if grad.shape != param.shape or not reference.loops_can_run(param, *arrays):
        return reference.sgd_update(
            param, grad, buf, lr, momentum, dampening, weight_decay, nesterov, first_step
        )
    xp, t = backend.array_module(param), param.dtype.type
    g = xp.ascontiguousarray(grad).reshape(-1)
    if buf is None:
        _launch(_sgd, param.size, param.reshape(-1), g, t(lr), t(weight_decay))
    else:
        scalars = t(lr), t(momentum), t(1 - dampening), t(weight_decay)
        flat = param.reshape(-1), g, buf.reshape(-1)
        _launch(_sgd_momentum, param.size, *flat, *scalars, nesterov, first_step)
    return param, buf


def adam_update(
    param: Any,
    grad: Any,
    exp_avg: Any,
    exp_avg_sq: Any,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    step: int,
) -> tuple[Any, Any, Any]:
    if grad.shape != param.shape or not reference.loops_can_run(param, grad, exp_avg, exp_avg_sq):
        return reference.adam_update(
            param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, weight_decay, step
        )
    xp, t = backend.array_module(param), param.dtype.type
    g = xp.ascontiguousarray(grad).reshape(-1)
    flat = param.reshape(-1), g, exp_avg.reshape(-1), exp_avg_sq.reshape(-1)
    step_size, bias2_sqrt = lr / (1 - beta1**step), math.sqrt(1 - beta2**step)
    scalars = t(step_size), t(1 - beta1), t(beta2), t(1 - beta2), t(eps), t(weight_decay)
    _launch(_adam, param.size, *flat, *scalars, t(bias2_sqrt))
    return param, exp_avg, exp_avg_sq
