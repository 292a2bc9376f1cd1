"""The one module that reads minidl's environment variables, and the switches they set.

Every other module asks here, so that what changes behaviour is in one place to read::

    MINIDL_KERNELS=reference|cpu|gpu   every kernel runs that implementation (kernels/registry.py)
    NUMBA_ENABLE_CUDASIM=1             numba-cuda kernels run on Numba's CPU simulator
    NUMBA_THREADING_LAYER=...          the Numba threading layer (else kernels/_numba.py picks)
    MINIDL_QUICK=1                     demos and lessons run their quick mode
    MINIDL_PARALLEL=auto|serial|parallel   which compiled form of each Numba loop runs
    XDG_CACHE_HOME                     where the lab keeps pristine kernel copies (~/.cache)
    MINIDL_CLAIMS_LOG=PATH             lessons' measured claims are appended to PATH (JSON lines)
    MINIDL_MALLOC=keep|system          whether glibc keeps freed memory for reuse (freed_memory.py)

Each is read when asked, not at import, so that a test or a notebook can change it.
``parallel`` is also a context manager: ``with md.config.parallel("serial"): ...``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

IMPLS = ("reference", "cpu", "gpu")
PARALLEL_MODES = ("auto", "serial", "parallel")
MALLOC_MODES = ("keep", "system")
_parallel_stack: list[str] = []


def forced_impl() -> str | None:
    """The kernel implementation ``MINIDL_KERNELS`` forces on every kernel, or None."""
    value = os.environ.get("MINIDL_KERNELS", "").strip()
    if not value:
        return None
    if value not in IMPLS:
        raise ValueError(f"MINIDL_KERNELS: expected one of {IMPLS}, got {value!r}")
    return value


def cuda_simulator() -> bool:
    """Whether numba-cuda runs its CPU simulator (``NUMBA_ENABLE_CUDASIM=1``)."""
    return os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"


def user_threading_layer() -> str | None:
    """The Numba threading layer the user chose (``NUMBA_THREADING_LAYER``), or None."""
    return os.environ.get("NUMBA_THREADING_LAYER")


def quick() -> bool:
    """Whether ``MINIDL_QUICK=1`` asks demos and lessons for their quick run."""
    return os.environ.get("MINIDL_QUICK") == "1"


def claims_log() -> str | None:
    """The file a lesson appends its claims to (``MINIDL_CLAIMS_LOG``), or None."""
    return os.environ.get("MINIDL_CLAIMS_LOG") or None


def malloc_mode() -> str:
    """``MINIDL_MALLOC``: "keep" (the default: glibc keeps freed memory) or "system"."""
    value = os.environ.get("MINIDL_MALLOC", "keep").strip() or "keep"
    if value not in MALLOC_MODES:
        raise ValueError(f"MINIDL_MALLOC must be one of {MALLOC_MODES}, got {value!r}")
    return value


def cache_dir() -> Path:
    """minidl's cache folder: ``$XDG_CACHE_HOME/minidl``, by default ``~/.cache/minidl``."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "minidl"


def parallel_mode() -> str:
    """Which compiled form of a Numba loop runs: "auto" (parallel above a size), "serial" or
    "parallel". The innermost ``parallel(...)`` block wins, then ``MINIDL_PARALLEL``."""
    if _parallel_stack:
        return _parallel_stack[-1]
    value = os.environ.get("MINIDL_PARALLEL", "auto").strip() or "auto"
    if value not in PARALLEL_MODES:
        raise ValueError(f"MINIDL_PARALLEL: expected one of {PARALLEL_MODES}, got {value!r}")
    return value


@contextlib.contextmanager
def parallel(mode: str) -> Iterator[None]:
    """Run every Numba loop serial or parallel inside the block (see `parallel_mode`).

    >>> with md.config.parallel("serial"):
    ...     y = F.max_pool2d(x, 2)   # one thread, whatever the size
    """
    if mode not in PARALLEL_MODES:
        raise ValueError(f"config.parallel: expected one of {PARALLEL_MODES}, got {mode!r}")
    _parallel_stack.append(mode)
    try:
        yield
    finally:
        _parallel_stack.pop()


def environment(**changes: str) -> dict[str, str]:
    """This process's environment with ``changes``, for a child process."""
    return {**os.environ, **changes}


def summary() -> dict[str, str]:
    """The variables above that are set, for ``minidl info``."""
    names = ("MINIDL_KERNELS", "MINIDL_QUICK", "MINIDL_PARALLEL", "MINIDL_MALLOC")
    names += ("NUMBA_ENABLE_CUDASIM",)
    names += ("NUMBA_THREADING_LAYER", "OMP_NUM_THREADS")
    if os.environ.get("MINIDL_SPLITS_GEMMS") != "1":  # else minidl set it (blas_threads.py)
        names += ("OPENBLAS_NUM_THREADS",)
    return {name: os.environ[name] for name in names if name in os.environ}
