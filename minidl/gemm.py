"""Matrix products on the CPU, split over minidl's own threads.

NumPy's BLAS (OpenBLAS) parallelises each GEMM with its own threads, and they wait for one
another at the end of every call. While other programs hold the cores (a browser, the
notebook server, a second job), a thread that is not running holds everyone up, at every
one of the many GEMMs of a training step: benchmarks/README.md, "GEMMs on a busy machine",
has the measurements. So, unless told otherwise (see `blas_threads`), OpenBLAS runs one
thread and this module splits each large product into one part per thread:

    a batch (B, M, K) @ (B, K, N)   the B products are shared out
    one product (M, K) @ (K, N)     the N columns are shared out (the rows when N is small)

Each part is an ordinary one-thread GEMM on views of the operands, written into its slice
of ``out``; the calling thread runs the first part itself. Nothing is copied, and a part
that waits for a busy core delays only itself. CuPy arrays go straight to ``cupy.matmul``.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from . import blas_threads, config
from .backend import array_module

MIN_WORK = 1 << 21  # multiply-adds below which one thread is quicker than a hand-off
_pool: ThreadPoolExecutor | None = None
_pool_size = 0


def threads() -> int:
    """How many parts a large product is split into (1: BLAS parallelises, or serial mode)."""
    if config.parallel_mode() == "serial":
        return 1
    return blas_threads.gemm_threads()


def _executor(n: int) -> ThreadPoolExecutor:
    """The worker threads for parts 2..n (the caller runs part 1), made once per size."""
    global _pool, _pool_size
    if _pool is None or _pool_size < n - 1:
        _pool = ThreadPoolExecutor(max_workers=n - 1, thread_name_prefix="minidl-gemm")
        _pool_size = n - 1
    return _pool


def _bounds(length: int, parts: int) -> list[tuple[int, int]]:
    cuts = [length * k // parts for k in range(parts + 1)]
    return [(lo, hi) for lo, hi in zip(cuts, cuts[1:]) if hi > lo]


def _parts(a: np.ndarray, b: np.ndarray, out: np.ndarray, n: int) -> list[tuple[Any, Any, Any]]:
    """(a part, b part, out part) triples that together make ``out = a @ b``."""
    if out.ndim >= 3 and out.shape[0] >= n:  # share the batch
        lead = out.shape[0]

        def cut(x: np.ndarray, lo: int, hi: int) -> np.ndarray:
            # an operand with fewer batch axes, or a batch axis of 1, is broadcast: kept whole
            return x[lo:hi] if x.ndim == out.ndim and x.shape[0] == lead else x

        return [(cut(a, lo, hi), cut(b, lo, hi), out[lo:hi]) for lo, hi in _bounds(lead, n)]
    if out.shape[-1] >= 64 * n:  # share the columns
        return [(a, b[..., lo:hi], out[..., lo:hi]) for lo, hi in _bounds(out.shape[-1], n)]
    rows = out.shape[-2]  # share the rows
    return [(a[..., lo:hi, :], b, out[..., lo:hi, :]) for lo, hi in _bounds(rows, n)]


def matmul(a: Any, b: Any, out: Any = None) -> Any:
    """``a @ b`` (NumPy's broadcasting rules), into ``out`` when given; see the module."""
    if array_module(a) is not np or array_module(b) is not np:
        xp = array_module(b) if array_module(a) is np else array_module(a)
        return xp.matmul(a, b) if out is None else xp.matmul(a, b, out=out)
    n = threads()
    if n == 1 or a.ndim < 2 or b.ndim < 2 or a.shape[-1] != b.shape[-2]:
        # (a mismatch gets NumPy's own error)
        return np.matmul(a, b) if out is None else np.matmul(a, b, out=out)
    shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (a.shape[-2], b.shape[-1])
    if out is None:
        out = np.empty(shape, dtype=np.result_type(a, b))
    if math.prod(shape) * a.shape[-1] < MIN_WORK:
        return np.matmul(a, b, out=out)
    first, *rest = _parts(a, b, out, n)
    pool = _executor(n)
    pending = [pool.submit(np.matmul, x, y, out=o) for x, y, o in rest]
    try:
        np.matmul(*first[:2], out=first[2])
    finally:
        for p in pending:  # every part has finished writing before ``out`` is handed back
            p.result()
    return out
