"""How long OpenBLAS's idle threads spin after a matrix product: decided before NumPy loads.

After each GEMM, OpenBLAS (NumPy's BLAS) keeps its worker threads spinning for a while
(its default, ``OPENBLAS_THREAD_TIMEOUT`` 28, is 2**28 cycles, about a tenth of a second),
ready for the next GEMM. On a 2-core machine those spinning threads take a core from the
Numba kernel that runs next: a U-Net step alternates GEMMs and Numba loops, and its
Winograd kernels ran at half speed right after a GEMM. A timeout of 4 (2**4 cycles) puts the
threads to sleep at once; GEMMs are no slower for it (benchmarks/README.md, "OpenBLAS's
spinning threads").

OpenBLAS reads the variable once, when NumPy loads it, so this works only when minidl is
imported before NumPy (``import minidl`` first, as the CLI, the demos and the lessons do), or
when the variable is set in the shell. A value the user set is kept.
"""

from __future__ import annotations

import os
import sys

QUIET_TIMEOUT = "4"


def quiet_idle_threads() -> bool:
    """Set ``OPENBLAS_THREAD_TIMEOUT`` if NumPy is not loaded yet; True if the setting is in
    force (ours or the user's), False if NumPy was imported first without it."""
    if "OPENBLAS_THREAD_TIMEOUT" in os.environ:
        return True
    if "numpy" in sys.modules:
        return False
    os.environ["OPENBLAS_THREAD_TIMEOUT"] = QUIET_TIMEOUT
    return True


quiet_idle_threads()  # on import: minidl/__init__.py imports this module before NumPy
