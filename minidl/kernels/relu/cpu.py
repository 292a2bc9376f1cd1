"""ReLU forward and backward as parallel Numba loops; same contract as ``reference.py``.

Why a kernel for something NumPy does in one call: ``np.maximum`` runs on one core, and the
activations of a U-Net are tens of MB, so the pass is bound by memory bandwidth, which two
cores share better than one. The loop runs over the flattened array (Numba's parallel loop
gives each thread one contiguous block); the body is a select, ``zero if v < 0 else v``,
which LLVM compiles to vector compare-and-blend instructions rather than a branch per
element, as long as both sides have the array's dtype (an untyped ``0`` made it float64 and
scalar, 8x slower). ``minidl lab check relu`` gives the GB/s beside PyTorch's.

Floating dtypes (float32, float64) run the loops; other dtypes, and arrays a loop cannot
take as one flat run (``out`` not contiguous), fall back to the reference, which is correct
for every dtype.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._numba import loop, prange
from . import reference


@loop
def _relu(x, out):
    zero = x.dtype.type(0)  # typed: an int 0 would make the select float64 and scalar
    for i in prange(x.shape[0]):
        v = x[i]
        out[i] = zero if v < 0 else v


@loop
def _relu_backward(grad, out, grad_input):
    zero = grad.dtype.type(0)
    for i in prange(grad.shape[0]):
        grad_input[i] = zero if out[i] <= 0 else grad[i]


def _flat(a: Any) -> Any:
    """A 1-D view of ``a`` when it is one contiguous run, else None."""
    return a.reshape(-1) if a.flags.c_contiguous else None


def _loop_dtype(*arrays: Any) -> bool:
    dtype = arrays[0].dtype
    return dtype in (np.float32, np.float64) and all(a.dtype == dtype for a in arrays)


def relu(x: Any, *, out: Any = None) -> Any:
    if not _loop_dtype(x) or (out is not None and (out.dtype != x.dtype or _flat(out) is None)):
        return reference.relu(x, out=out)
    if out is None:
        out = np.empty(x.shape, dtype=x.dtype)
    _relu(x.size, np.ascontiguousarray(x).reshape(-1), _flat(out))
    return out


def relu_backward(grad: Any, out: Any, *, grad_input: Any = None) -> Any:
    if out.shape != grad.shape or not _loop_dtype(grad, out):
        return reference.relu_backward(grad, out, grad_input=grad_input)
    if grad_input is None:
        grad_input = np.empty(grad.shape, dtype=grad.dtype)
    elif grad_input.dtype != grad.dtype or _flat(grad_input) is None:
        return reference.relu_backward(grad, out, grad_input=grad_input)
    flat = lambda a: np.ascontiguousarray(a).reshape(-1)  # noqa: E731
    _relu_backward(grad.size, flat(grad), flat(out), _flat(grad_input))
    return grad_input
