"""Numba settings shared by every parallel kernel; import this before defining one.

The ``workqueue`` threading layer, chosen before the first ``parallel=True`` kernel compiles:
Numba's default OpenMP threads keep spinning after a parallel kernel returns and steal a core
from the next OpenBLAS GEMM (one GEMM went from 7.0 ms to 13.6 ms on 2 cores; see
PERFORMANCE-NOTES.md). The library decides this so that users need not set it in their shell.
"""

import numba

numba.config.THREADING_LAYER = "workqueue"
