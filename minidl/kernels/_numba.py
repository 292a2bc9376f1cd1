"""The one place where minidl configures Numba; every cpu kernel module imports from here.

Which threading layer runs our ``parallel=True`` kernels (PERFORMANCE-NOTES, trap 1; the
kernels README, "Threads"), measured on 2 cores next to OpenBLAS GEMMs:

- ``omp`` (Numba's default when TBB is missing): its threads keep spinning after a kernel and
  steal a core from the next OpenBLAS GEMM (one went from 7.0 ms to 13.6 ms), and a kernel
  started while OpenBLAS's own threads still spin waited a whole scheduler slice (~8 ms).
  PyTorch loads the same ``libgomp``, so tuning its spinning would tune PyTorch's too.
- ``workqueue``: no spinning, but its threads sleep between kernels and waking them costs
  ~110-150 us per kernel on this VM, so a 2 x 100 us loop took 350 us, slower than serial.
- ``tbb``: ~2 us to start a kernel, 2 x 100 us took 110 us, and no fight with OpenBLAS.

So: ``tbb`` where TBB can be loaded (``pip install tbb``, a dependency on Linux x86-64),
else ``workqueue``. A user who sets ``NUMBA_THREADING_LAYER`` themselves keeps their choice.
It must be decided before the first parallel kernel runs, hence in the module every cpu
kernel imports (``benchmarks/bench_threads.py`` measures the three layers). With
``workqueue``, do not call parallel kernels from several Python threads at once (it is not
thread-safe; Numba aborts with "workqueue threading layer ... concurrent"); ``tbb`` is.
"""

from __future__ import annotations

import ctypes
import os
import sys

import numba

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
if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "tbb" if _TBB else "workqueue"

from numba import njit, prange  # noqa: E402  (after the threading layer is chosen)

# Below this many elements of work a kernel runs its serial driver: starting the threads
# costs more than splitting a small loop over 2 cores saves.
PARALLEL_MIN_WORK = 1 << 18

__all__ = ["PARALLEL_MIN_WORK", "njit", "prange"]
