"""`md.cuda.is_available()` and the reason behind its answer."""

from __future__ import annotations

from . import backend


def is_available() -> bool:
    """True when CuPy, a CUDA driver, a device and numba-cuda are all usable."""
    return backend.gpu_status()[0]


def why() -> str:
    """One sentence saying why the GPU is or is not usable."""
    return backend.gpu_status()[1]
