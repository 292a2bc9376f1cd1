"""Array backends: NumPy on the CPU, CuPy on the GPU.

Everything above this module writes device-generic code with ``xp = array_module(x)``.
CuPy is imported here only, and lazily, so that ``import minidl`` works on machines
without a GPU and never pays CuPy's import time when it is not used.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import numpy as np

from . import config

DEVICES = ("cpu", "cuda")

_cupy: ModuleType | None = None
_cupy_error: str | None = None


def _import_cupy() -> ModuleType | None:
    """Import CuPy once; remember why it failed so `gpu_status` can say it."""
    global _cupy, _cupy_error
    if _cupy is None and _cupy_error is None:
        try:
            _cupy = importlib.import_module("cupy")
        except Exception as exc:  # ImportError, or a CUDA library that fails to load
            _cupy_error = f"CuPy is not importable ({type(exc).__name__}: {exc})"
    return _cupy


def gpu_status() -> tuple[bool, str]:
    """Whether `device="cuda"` can work here, and a sentence that says why (not)."""
    if config.cuda_simulator():
        return False, "NUMBA_ENABLE_CUDASIM=1: numba-cuda kernels run on the CPU simulator"
    cp = _import_cupy()
    if cp is None:
        return False, f"{_cupy_error}; install the extra: pip install 'minidl[gpu]'"
    try:
        count = cp.cuda.runtime.getDeviceCount()
    except Exception as exc:
        return False, f"CuPy is installed but no CUDA driver/device answers ({exc})"
    if count == 0:
        return False, "CuPy is installed but there is no CUDA device"
    try:
        importlib.import_module("numba.cuda")
    except Exception as exc:
        return False, f"numba-cuda is not importable ({exc}); pip install numba-cuda"
    try:
        # what numba-cuda loads when it compiles its first kernel: done here, so that a broken
        # pairing says so now rather than inside the first op
        importlib.import_module("numba.cuda.np.arrayobj")
    except Exception as exc:
        return False, _numba_cuda_cannot_compile(exc)
    return True, f"{count} CUDA device(s) visible to CuPy"


def _numba_cuda_cannot_compile(exc: Exception) -> str:
    said = (
        f"numba-cuda cannot compile kernels with NumPy {np.__version__} "
        f"({type(exc).__name__}: {exc})"
    )
    if "row_stack" in str(exc):
        # numba-cuda 0.30.4 (the newest on 2026-12-04) registers np.row_stack, gone in NumPy 2.5
        return f"{said}: this numba-cuda needs NumPy < 2.5; pip install 'numpy<2.5'"
    return said


def is_cupy_array(x: Any) -> bool:
    return _cupy is not None and isinstance(x, _cupy.ndarray)


def array_module(x: Any) -> ModuleType:
    """`numpy` or `cupy`, whichever owns the array ``x`` (NumPy for anything else)."""
    return _cupy if is_cupy_array(x) else np


def device_of(x: Any) -> str:
    return "cuda" if is_cupy_array(x) else "cpu"


def check_device(device: str) -> str:
    if device not in DEVICES:
        raise ValueError(f"device: expected one of {DEVICES}, got {device!r}")
    return device


def xp_for(device: str) -> ModuleType:
    """The array module that holds arrays on ``device``."""
    if check_device(device) == "cpu":
        return np
    ok, why = gpu_status()
    if not ok:
        raise RuntimeError(f"device 'cuda' is not usable: {why}")
    return _cupy  # type: ignore[return-value]


def to_device(x: Any, device: str) -> Any:
    """Move an array to ``device`` (a no-op when it is already there)."""
    if device_of(x) == check_device(device):
        return x
    if device == "cpu":
        return x.get()
    return xp_for("cuda").asarray(x)


# DLDeviceType codes of the DLPack header (dlpack.h)
DLPACK_CPU, DLPACK_CUDA, DLPACK_CUDA_HOST = 1, 2, 3


def is_foreign_array(x: Any) -> bool:
    """Another library's array that DLPack can hand over (a PyTorch tensor, a JAX array)."""
    foreign = not isinstance(x, np.ndarray) and not is_cupy_array(x)
    return foreign and hasattr(x, "__dlpack__") and hasattr(x, "__dlpack_device__")


def from_dlpack(x: Any) -> Any:
    """The NumPy or CuPy array on the memory of ``x`` (anything with ``__dlpack__``)."""
    device_type, _ = x.__dlpack_device__()
    if int(device_type) in (DLPACK_CPU, DLPACK_CUDA_HOST):
        return np.from_dlpack(x)
    if int(device_type) == DLPACK_CUDA:
        return xp_for("cuda").from_dlpack(x)
    raise ValueError(
        f"from_dlpack: unsupported DLPack device type {int(device_type)} (minidl has CPU = "
        f"{DLPACK_CPU} and CUDA = {DLPACK_CUDA})"
    )


def to_numpy(x: Any) -> np.ndarray:
    return x.get() if is_cupy_array(x) else np.asarray(x)


def scatter_add(target: Any, index: Any, values: Any) -> None:
    """``target[index] += values`` where repeated indices all add up (unbuffered)."""
    if is_cupy_array(target):
        import cupyx  # only reached when CuPy is already in use

        cupyx.scatter_add(target, index, values)
    else:
        np.add.at(target, index, values)
