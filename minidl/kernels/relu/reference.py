"""ReLU and its backward, the readable reference: the spec and the test oracle.

PyTorch's rules, which the cpu and gpu kernels follow bit for bit:

- forward: ``0 where x < 0, else x``. NaN stays NaN (NaN < 0 is false) and -0.0 stays -0.0,
  as ``torch.relu`` gives; ``np.maximum(x, 0)`` would turn -0.0 into +0.0;
- backward, from the *output* (so that the input need not be kept): ``0 where out <= 0,
  else grad``. An output of 0 passes no gradient (PyTorch's subgradient at the kink), and a
  NaN output passes the gradient through, as PyTorch's ``threshold_backward`` does.

Both take ``out=`` to write into a given array (for the forward that may be ``x`` itself:
``nn.ReLU(inplace=True)``'s use) and return it.
"""

from __future__ import annotations

from typing import Any

from ... import backend

__all__ = ["relu", "relu_backward"]


def relu(x: Any, *, out: Any = None) -> Any:
    """max(x, 0) with PyTorch's NaN and -0.0: x where x >= 0 or x is NaN, else 0."""
    xp = backend.array_module(x)
    result = xp.where(x < 0, xp.zeros((), x.dtype), x)
    if out is None:
        return result
    out[...] = result
    return out


def relu_backward(grad: Any, out: Any, *, grad_input: Any = None) -> Any:
    """The gradient of relu from its output: grad where out > 0 (or NaN), else 0."""
    xp = backend.array_module(grad)
    result = xp.where(out <= 0, xp.zeros((), grad.dtype), grad)
    if grad_input is None:
        return result
    grad_input[...] = result
    return grad_input
