"""The one place where minidl configures Numba; every cpu kernel module imports from here.

Which threading layer runs our ``parallel=True`` loops, decided before the first one runs:

- ``tbb`` where TBB can be loaded (``pip install tbb``, a dependency on Linux x86-64): it
  starts a loop in microseconds and does not fight OpenBLAS for the cores;
- else ``workqueue``: no spinning threads, but slower to wake; do not call parallel loops
  from several Python threads at once with it (it is not thread-safe, Numba aborts);
- not ``omp`` (Numba's default without TBB): its threads keep spinning after a loop and take
  a core from the OpenBLAS GEMM that follows.

A user who sets ``NUMBA_THREADING_LAYER`` keeps their choice. The measurements behind this
are in ``minidl/kernels/README.md`` ("Threads") and ``benchmarks/bench_threads.py``.

Each loop is written once and compiled serial and parallel from the same body (`loop`).
"""

from __future__ import annotations

import ctypes
import os
import sys
import types
from collections.abc import Callable
from typing import Any

import numba

from .. import config

TBB_MIN_INTERFACE = 12060  # TBB 2021.6, the oldest Numba's tbb layer accepts
LIBTBB = {"linux": "libtbb.so.12", "darwin": "libtbb.12.dylib", "win32": "tbb12.dll"}


def _load_tbb() -> bool:
    """Whether TBB is loadable for Numba. pip puts ``libtbb.so.12`` in ``<prefix>/lib``, where
    the dynamic loader of a venv does not look, so it is loaded from there by path first."""
    name = LIBTBB.get(sys.platform, LIBTBB["linux"])
    candidates = [os.path.join(prefix, "lib", name) for prefix in (sys.prefix, sys.base_prefix)]
    for path in [*filter(os.path.exists, candidates), name]:
        try:
            libtbb = ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
            if libtbb.TBB_runtime_interface_version() < TBB_MIN_INTERFACE:
                return False
            from numba.np.ufunc import tbbpool  # noqa: F401  (fails if it cannot link TBB)

            return True
        except (OSError, AttributeError, ImportError):
            continue
    return False


_TBB = _load_tbb()  # also when the user names a layer: their "tbb" needs the library too
if config.user_threading_layer() is None:
    numba.config.THREADING_LAYER = "tbb" if _TBB else "workqueue"

from numba import njit, prange  # noqa: E402  (after the threading layer is chosen)

# Below this many elements of work a loop runs serial: starting the threads costs more than
# splitting a small loop over 2 cores saves.
PARALLEL_MIN_WORK = 1 << 18


class Loop:
    """One loop body (a Python function whose outer loop is ``prange``), compiled twice.

    ``serial`` is ``njit(body)``, where ``prange`` is ``range``; ``parallel`` is
    ``njit(parallel=True)(body)``, where its iterations are split over the threads.
    ``loop(work, *args)`` runs the parallel form when ``work`` (elements touched) reaches
    ``min_work``, the serial one below; ``minidl.config.parallel("serial")`` forces one.
    """

    def __init__(self, body: Callable[..., Any], min_work: int) -> None:
        self.body, self.min_work = body, min_work
        self.serial = numba.njit(cache=True)(_renamed(body, "serial"))
        self.parallel = numba.njit(parallel=True, cache=True)(_renamed(body, "parallel"))
        self.__doc__, self.__name__ = body.__doc__, body.__name__

    def __call__(self, work: int, *args: Any) -> Any:
        mode = config.parallel_mode()
        if mode == "auto":
            mode = "parallel" if work >= self.min_work else "serial"
        return (self.parallel if mode == "parallel" else self.serial)(*args)


def _renamed(body: Callable[..., Any], form: str) -> Callable[..., Any]:
    """A copy of ``body`` under its own qualified name: Numba's on-disk cache keys on it (not
    on the compile options), so the two forms need two names to keep two cache entries."""
    copy = types.FunctionType(
        body.__code__,
        body.__globals__,
        f"{body.__name__}_{form}",
        body.__defaults__,
        body.__closure__,
    )
    copy.__qualname__ = f"{body.__qualname__}_{form}"
    copy.__module__ = body.__module__
    return copy


def loop(body: Callable[..., Any] | None = None, *, min_work: int = PARALLEL_MIN_WORK) -> Any:
    """Decorator: compile ``body`` serial and parallel from the one source (see `Loop`).

    >>> @loop
    ... def _scale(x, out, a):
    ...     for i in prange(x.shape[0]):
    ...         out[i] = a * x[i]
    >>> _scale(x.size, x, out, 2.0)
    """
    if body is None:
        return lambda f: Loop(f, min_work)
    return Loop(body, min_work)


__all__ = ["PARALLEL_MIN_WORK", "Loop", "loop", "njit", "prange"]
