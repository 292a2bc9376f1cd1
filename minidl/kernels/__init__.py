"""Hot loops on plain arrays, no autograd: reference (NumPy), cpu (Numba), gpu (numba-cuda).

See ``minidl/kernels/README.md`` for the table op → file → functions → test command.
"""

from .registry import IMPLS, KERNELS, get, resolve, shipped, use

__all__ = ["IMPLS", "KERNELS", "get", "resolve", "shipped", "use"]
