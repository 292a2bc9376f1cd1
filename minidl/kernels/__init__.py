"""Hot loops on plain arrays, no autograd: reference (NumPy), cpu (Numba), gpu (numba-cuda).

See ``minidl/kernels/README.md`` for the table op → file → functions → test command.
"""

from typing import Any

from .registry import IMPLS, KERNELS, get, overridden, resolve, shipped, use

__all__ = ["IMPLS", "KERNELS", "check", "get", "overridden", "resolve", "shipped", "use"]


def check(op: str, impl: Any = "cpu", **options: Any) -> Any:
    """Check an implementation of kernel ``op`` against its reference, with a gradcheck of the
    ops using it and its speed against the shipped kernel; see `minidl.lab.check`.

    >>> md.kernels.check("max_pool2d", my_module).ok

    Imported on call: the lab sits above the ops (it runs their gradchecks), and kernels
    must not import upward at import time.
    """
    from ..lab import check as lab_check

    return lab_check(op, impl, **options)
