"""DLPack: hand a tensor to PyTorch, JAX, CuPy or NumPy, or take one from them, without a copy.

DLPack is the standard struct that array libraries pass each other (a pointer, a shape, strides,
a dtype and a device), so both sides see the same memory::

    t = md.from_dlpack(torch_tensor)      # minidl tensor on the same memory
    u = torch.from_dlpack(md_tensor)      # and back: md_tensor.__dlpack__ is called
    md.as_tensor(torch_tensor)            # shares too, as torch.as_tensor does
    md.tensor(torch_tensor)               # a copy, as torch.tensor always copies

A write through either side is seen by the other. The gradient is not shared: only the values.
PyTorch refuses to export a tensor that requires grad; call ``.detach()`` first, as PyTorch says.
"""

from __future__ import annotations

from typing import Any

from . import backend
from .tensor import Tensor


def from_dlpack(ext_tensor: Any) -> Tensor:
    """A minidl tensor sharing memory with ``ext_tensor`` (any object with ``__dlpack__``:
    a PyTorch tensor, a JAX or CuPy array, a NumPy array). Reference: ``torch.from_dlpack``.

    >>> t = md.from_dlpack(torch.arange(3.0))
    >>> t.data[0] = 7.0              # the torch tensor now starts with 7 too
    """
    if isinstance(ext_tensor, Tensor):
        return ext_tensor
    if not hasattr(ext_tensor, "__dlpack__") or not hasattr(ext_tensor, "__dlpack_device__"):
        raise TypeError(
            f"from_dlpack: expected an object with __dlpack__ and __dlpack_device__ (a PyTorch "
            f"tensor, a JAX/CuPy/NumPy array), got {type(ext_tensor).__name__}"
        )
    return Tensor(backend.from_dlpack(ext_tensor))
