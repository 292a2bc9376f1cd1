"""The one place where minidl configures Numba; every cpu kernel module imports from here.

Why a threading layer is chosen here (PERFORMANCE-NOTES, trap 1): after a ``parallel=True``
kernel, the default OpenMP threads keep spinning for a while and steal a core from the next
OpenBLAS GEMM (a conv GEMM went from 7.0 ms to 13.6 ms on 2 cores). Numba's ``workqueue``
layer has no spinning pool, so kernels and GEMMs take turns cleanly. It must be set before the
first parallel kernel runs, hence in the module every cpu kernel imports. A user who sets
``NUMBA_THREADING_LAYER`` themselves keeps their choice.

The price: ``workqueue`` is not thread-safe, so do not call parallel kernels from several
Python threads at once (Numba then aborts with "workqueue threading layer ... concurrent").
"""

from __future__ import annotations

import os

import numba

if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "workqueue"

from numba import njit, prange  # noqa: E402  (after the threading layer is chosen)

# Below this many elements of work a kernel runs its serial driver: waking the workqueue
# threads costs ~30-70 us a call, more than splitting a small loop over 2 cores saves.
PARALLEL_MIN_WORK = 1 << 18

__all__ = ["PARALLEL_MIN_WORK", "njit", "prange"]
