"""Who runs a matrix product's threads, OpenBLAS or minidl: decided before NumPy loads.

OpenBLAS (NumPy's BLAS) reads its settings once, when NumPy loads it, so this module is the
first that ``minidl/__init__.py`` imports. Two settings, each kept when the user set it:

- ``OPENBLAS_NUM_THREADS=1``: OpenBLAS runs one thread and `minidl.gemm` splits each large
  product over minidl's threads instead (as many as Numba's). OpenBLAS's threads wait for
  one another at the end of every GEMM, and on a machine where other programs hold the cores
  that wait can make a step several times slower (benchmarks/README.md, "GEMMs on a busy
  machine"). A user who sets ``OPENBLAS_NUM_THREADS`` keeps OpenBLAS's threads, and
  `minidl.gemm` then splits nothing.
- ``OPENBLAS_THREAD_TIMEOUT=4``: where OpenBLAS does run several threads, they sleep as soon
  as a GEMM ends instead of spinning for about a tenth of a second. Spinning threads take a
  core from the Numba kernel that runs next (benchmarks/README.md, "OpenBLAS's spinning
  threads").

Both are environment variables that OpenBLAS reads when NumPy loads it, so they act when
minidl is imported before NumPy, or are set in the shell. When NumPy came first (a notebook
that imports matplotlib, then minidl), the thread count is set through threadpoolctl
instead; the timeout cannot be, and is not needed with one thread.
"""

from __future__ import annotations

import os
import sys

QUIET_TIMEOUT = "4"
# Set beside OPENBLAS_NUM_THREADS=1 so that a child process (a lesson's kernel, a benchmark's
# subprocess), which inherits both, knows the 1 was minidl's and not the user's.
MARK = "MINIDL_SPLITS_GEMMS"
_minidl_splits = False  # whether minidl splits the products in this process


def quiet_idle_threads() -> bool:
    """Set ``OPENBLAS_THREAD_TIMEOUT`` if NumPy is not loaded yet; True if the setting is in
    force (ours or the user's), False if NumPy was imported first without it."""
    if "OPENBLAS_THREAD_TIMEOUT" in os.environ:
        return True
    if "numpy" in sys.modules:
        return False
    os.environ["OPENBLAS_THREAD_TIMEOUT"] = QUIET_TIMEOUT
    return True


def one_blas_thread() -> bool:
    """Set ``OPENBLAS_NUM_THREADS=1`` if NumPy is not loaded yet and the user set no thread
    count for OpenBLAS; True if minidl now splits the products itself."""
    global _minidl_splits
    if os.environ.get(MARK) == "1" and os.environ.get("OPENBLAS_NUM_THREADS") == "1":
        _minidl_splits = True  # inherited from a minidl parent, set before NumPy loaded
    elif "OPENBLAS_NUM_THREADS" not in os.environ:
        if "numpy" in sys.modules and not _limit_loaded_blas():
            return False
        os.environ["OPENBLAS_NUM_THREADS"] = "1"  # read by NumPy when it loads, and by children
        os.environ[MARK] = "1"
        _minidl_splits = True
    return _minidl_splits


def _limit_loaded_blas() -> bool:
    """One thread for a BLAS that NumPy has already loaded (a notebook that imported
    matplotlib or NumPy before minidl): threadpoolctl finds the library and sets it."""
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1, user_api="blas")
    except Exception:  # no threadpoolctl, or a BLAS it cannot drive: OpenBLAS keeps its threads
        return False
    return True


def minidl_splits() -> bool:
    """Whether `minidl.gemm` splits the products in this process (OpenBLAS runs one thread)."""
    return _minidl_splits


def gemm_threads() -> int:
    """Into how many parts `minidl.gemm` splits a large product: Numba's thread count when
    minidl runs the threads, else 1 (OpenBLAS runs its own)."""
    if not _minidl_splits:
        return 1
    import numba

    return int(numba.get_num_threads())


def describe() -> str:
    """One line for ``minidl info``: who runs the threads of a matrix product."""
    if _minidl_splits:
        return f"minidl splits each large product over {gemm_threads()} threads (OpenBLAS: 1)"
    told = os.environ.get("OPENBLAS_NUM_THREADS")
    if told is not None:
        return f"OpenBLAS runs them (OPENBLAS_NUM_THREADS={told}, set before minidl)"
    return "OpenBLAS runs them (NumPy was imported before minidl)"


quiet_idle_threads()  # on import: minidl/__init__.py imports this module before NumPy
one_blas_thread()
