"""ReLU forward and backward on the GPU: numba-cuda kernels on CuPy arrays.

Same contract as ``reference.py``. One grid-stride loop per kernel over the flattened
arrays: each thread handles elements i, i + gridsize, ..., so that neighbouring threads read
neighbouring addresses (coalesced) and a fixed grid covers any size. Under
``NUMBA_ENABLE_CUDASIM=1`` the kernels run on NumPy arrays, one Python thread per GPU
thread, which is how the tests check them without a GPU.
"""

from __future__ import annotations

from typing import Any

from numba import cuda

from ... import backend
from . import reference

THREADS = 128  # threads per block
MAX_BLOCKS = 1024  # enough to fill a GPU; the grid-stride loop covers the rest


@cuda.jit
def _relu(x, out):
    start, step = cuda.grid(1), cuda.gridsize(1)
    for i in range(start, x.shape[0], step):
        v = x[i]
        out[i] = 0 if v < 0 else v


@cuda.jit
def _relu_backward(grad, out, grad_input):
    start, step = cuda.grid(1), cuda.gridsize(1)
    for i in range(start, grad.shape[0], step):
        grad_input[i] = 0 if out[i] <= 0 else grad[i]


def _launch(kernel: Any, n: int, *args: Any) -> None:
    if n:
        kernel[min((n + THREADS - 1) // THREADS, MAX_BLOCKS), THREADS](*args)


def _floating(*arrays: Any) -> bool:
    return arrays[0].dtype.kind == "f" and all(a.dtype == arrays[0].dtype for a in arrays)


def relu(x: Any, *, out: Any = None) -> Any:
    xp = backend.array_module(x)
    if not _floating(x) or (out is not None and not (out.flags.c_contiguous and _floating(x, out))):
        return reference.relu(x, out=out)
    if out is None:
        out = xp.empty(x.shape, dtype=x.dtype)
    _launch(_relu, x.size, xp.ascontiguousarray(x).reshape(-1), out.reshape(-1))
    return out


def relu_backward(grad: Any, out: Any, *, grad_input: Any = None) -> Any:
    xp = backend.array_module(grad)
    if out.shape != grad.shape or not _floating(grad, out):
        return reference.relu_backward(grad, out, grad_input=grad_input)
    if grad_input is None:
        grad_input = xp.empty(grad.shape, dtype=grad.dtype)
    elif not (grad_input.flags.c_contiguous and _floating(grad, grad_input)):
        return reference.relu_backward(grad, out, grad_input=grad_input)
    flat = lambda a: xp.ascontiguousarray(a).reshape(-1)  # noqa: E731
    _launch(_relu_backward, grad.size, flat(grad), flat(out), grad_input.reshape(-1))
    return grad_input
