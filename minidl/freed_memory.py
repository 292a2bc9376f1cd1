"""Keep freed memory in the process, so that each training step reuses the last one's pages.

glibc's malloc hands every allocation above its mmap threshold (32 MiB at most) straight from
the operating system and gives it back on free. A training step allocates the same large
arrays every time (activations, gradients), so without this each of them starts as untouched
pages that fault in, and are zeroed by the kernel, on their first write; timings of big
layers turn bimodal (benchmarks/README.md, "Fresh large buffers").

So on import, minidl asks glibc (``mallopt``) to serve every allocation from its heap
(``M_MMAP_MAX = 0``) and never to trim the heap (``M_TRIM_THRESHOLD`` at its largest): freed
pages stay mapped, and the next step's arrays reuse them. It is what starting Python with
``MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=...`` does, set from inside the process. The cost:
the process keeps its peak memory until it exits, as PyTorch's GPU caching allocator does.

Left as the system has it when ``MINIDL_MALLOC=system``, when the user set either glibc
variable, and where the C library is not glibc (macOS, musl): ``describe()`` says which.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

from . import config

M_TRIM_THRESHOLD = -1  # glibc's malloc.h
M_MMAP_MAX = -4
LARGEST_TRIM_THRESHOLD = 2**31 - 1  # mallopt takes an int
GLIBC_VARIABLES = ("MALLOC_MMAP_MAX_", "MALLOC_TRIM_THRESHOLD_")

_state = "not yet set"


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed memory for reuse (see the module docstring); True if it does."""
    global _state
    if config.malloc_mode() == "system":
        _state = "the system's (MINIDL_MALLOC=system)"
        return False
    user_set = [name for name in GLIBC_VARIABLES if name in os.environ]
    if user_set:
        _state = f"the system's, as set by {', '.join(user_set)}"
        return False
    mallopt = _glibc_mallopt()
    if mallopt is None:
        _state = "the system's (not glibc)"
        return False
    if not (mallopt(M_MMAP_MAX, 0) and mallopt(M_TRIM_THRESHOLD, LARGEST_TRIM_THRESHOLD)):
        _state = "the system's (glibc refused mallopt)"
        return False
    _state = "freed memory is kept for reuse (MINIDL_MALLOC=system turns this off)"
    return True


def _glibc_mallopt():
    """glibc's ``mallopt``, or None where the C library is another one."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    if not hasattr(libc, "gnu_get_libc_version"):  # only glibc has it
        return None
    mallopt = libc.mallopt
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return mallopt


def describe() -> str:
    """One line for ``minidl info``."""
    return _state


keep_freed_memory()  # on import: minidl/__init__.py imports this module
