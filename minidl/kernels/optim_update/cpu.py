"""SGD and Adam updates as one Numba pass per parameter; same contract as ``reference.py``.

Why a kernel: the NumPy reference walks the parameter's arrays several times (SGD with
momentum: 3 passes and a temporary; Adam: about 8 and 4 temporaries), each pass bound by
memory bandwidth. Here each element is read once, updated in registers and written once, and
the loop is split over the cores above `PARALLEL_MIN_WORK` elements (the U-Net's largest
weights, 589 824 floats, run parallel; its biases serial).

The scalars are cast to the arrays' dtype before the loop, so that a float32 step is
computed in float32 with the reference's order of operations: the results equal the
reference's bit for bit (tested). Arrays a loop cannot take as one flat run (a strided
parameter or buffer), dtypes other than float32 and float64, and a gradient of another
dtype fall back to the reference, which is right for all of them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._numba import loop, prange
from . import reference


@loop
def _sgd(param, grad, lr, weight_decay):
    for i in prange(param.shape[0]):
        g = grad[i]
        if weight_decay != 0:  # skipped at 0, as in the reference: 0·inf would be NaN
            g = g + weight_decay * param[i]
        param[i] = param[i] - lr * g


@loop
def _sgd_momentum(param, grad, buf, lr, momentum, keep, weight_decay, nesterov, first_step):
    for i in prange(param.shape[0]):
        g = grad[i]
        if weight_decay != 0:
            g = g + weight_decay * param[i]
        b = g if first_step else buf[i] * momentum + keep * g  # keep = 1 - dampening
        buf[i] = b
        d = g + momentum * b if nesterov else b
        param[i] = param[i] - lr * d


@loop
def _adam(param, grad, m, v, lr, c1, beta2, c2, eps, weight_decay, bias2_sqrt):
    for i in prange(param.shape[0]):
        g = grad[i]
        if weight_decay != 0:
            g = g + weight_decay * param[i]
        mi = m[i] + c1 * (g - m[i])  # c1 = 1 - beta1: torch's lerp_
        vi = v[i] * beta2 + c2 * g * g  # c2 = 1 - beta2
        m[i], v[i] = mi, vi
        denom = np.sqrt(vi) / bias2_sqrt + eps
        param[i] = param[i] - lr * mi / denom  # lr here is lr / (1 - beta1^t)


def _flat(a: Any) -> Any:
    """A 1-D view of ``a`` when it is one contiguous run, else None."""
    return a.reshape(-1) if a.flags.c_contiguous else None


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
    t = param.dtype.type  # the scalars in the arrays' dtype, as NumPy applies them
    g = np.ascontiguousarray(grad).reshape(-1)
    if buf is None:
        _sgd(param.size, _flat(param), g, t(lr), t(weight_decay))
    else:
        scalars = t(lr), t(momentum), t(1 - dampening), t(weight_decay)
        _sgd_momentum(param.size, _flat(param), g, _flat(buf), *scalars, nesterov, first_step)
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
    t = param.dtype.type
    flat = [_flat(a) for a in (param, exp_avg, exp_avg_sq)]
    g = np.ascontiguousarray(grad).reshape(-1)
    step_size, bias2_sqrt = lr / (1 - beta1**step), math.sqrt(1 - beta2**step)
    scalars = t(step_size), t(1 - beta1), t(beta2), t(1 - beta2), t(eps), t(weight_decay)
    _adam(param.size, flat[0], g, flat[1], flat[2], *scalars, t(bias2_sqrt))
    return param, exp_avg, exp_avg_sq
