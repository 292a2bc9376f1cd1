"""One optimizer step on one parameter, in place: the readable reference, spec and oracle.

PyTorch's formulas (``torch/optim/sgd.py`` and ``adam.py``, the single-tensor path), with
g = grad + λ·param when the weight decay λ is not 0:

- SGD: the momentum buffer b becomes g at the first step (no dampening), then
  b ← μ·b + (1 − dampening)·g; the step is d = g + μ·b with Nesterov, else b;
  param ← param − lr·d. Without a buffer (momentum 0) d = g.
- Adam, step t = 1, 2, ...: m ← m + (1 − β1)·(g − m) (torch's ``lerp_``), v ← β2·v +
  (1 − β2)·g·g, denom = sqrt(v) / sqrt(1 − β2ᵗ) + ε, param ← param − lr/(1 − β1ᵗ) · m / denom.

The scalars act in the arrays' dtype (NumPy's rule for Python floats), so a float32 step is
computed in float32 throughout, as PyTorch does. Each kernel returns the arrays it updated.
The optimizers call them once per parameter (``minidl/optim/sgd.py``, ``adam.py``).
"""

from __future__ import annotations

import math
from typing import Any

from ... import backend

__all__ = ["sgd_update", "adam_update"]


def _decayed(grad: Any, param: Any, weight_decay: float) -> Any:
    """g = grad + λ·param (L2 weight decay, added to the gradient as PyTorch does)."""
    return grad + weight_decay * param if weight_decay else grad


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
    """SGD step: updates ``param`` and ``momentum_buffer`` (None when momentum is 0) in
    place and returns both. At ``first_step`` the buffer's old contents are not read."""
    g = _decayed(grad, param, weight_decay)
    buf = momentum_buffer
    if buf is not None:
        if first_step:
            buf[...] = g
        else:
            buf *= momentum
            buf += (1 - dampening) * g
        g = g + momentum * buf if nesterov else buf
    param -= lr * g
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
    """Adam step ``step`` (1 at the first): updates ``param`` and the moments ``exp_avg``
    (m) and ``exp_avg_sq`` (v) in place and returns the three."""
    xp = backend.array_module(param)
    g = _decayed(grad, param, weight_decay)
    exp_avg += (1 - beta1) * (g - exp_avg)
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * g * g
    step_size = lr / (1 - beta1**step)
    denom = xp.sqrt(exp_avg_sq) / math.sqrt(1 - beta2**step) + eps
    param -= step_size * exp_avg / denom
    return param, exp_avg, exp_avg_sq


def loops_can_run(param: Any, grad: Any, *buffers: Any) -> bool:
    """Whether the cpu and gpu loops take these arrays (else they run this reference):
    float32 or float64, one dtype, and ``param`` and the buffers contiguous (``grad`` may be
    strided; the loops read a contiguous copy)."""
    dtype = param.dtype
    if dtype.name not in ("float32", "float64") or any(a.dtype != dtype for a in (grad, *buffers)):
        return False
    return param.flags.c_contiguous and all(a.flags.c_contiguous for a in buffers)
