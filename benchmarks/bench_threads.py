"""What Numba's threading layer costs minidl's parallel kernels, next to OpenBLAS's threads.

    python benchmarks/bench_threads.py [--layers tbb omp workqueue]

`minidl/kernels/_numba.py` picks the layer (``tbb`` where it loads, else ``workqueue``); this
script measures why. Each layer runs in its own process (Numba fixes the layer at the first
parallel kernel), with ``NUMBA_THREADING_LAYER`` set, and prints, in microseconds (medians):

- ``empty``: starting a parallel kernel whose two iterations do nothing;
- ``2 x work``: a parallel kernel of two iterations of ~100 us each (ideal: ~100 us on two
  cores; the serial loop is printed next to it);
- ``after pause`` / ``after GEMM``: the same kernel 0.2 s after the last call (threads gone to
  sleep), and right after a 768^2 OpenBLAS GEMM (whose threads may still be spinning);
- ``GEMM`` / ``GEMM after kernel``: that GEMM alone, and right after the parallel kernel
  (whose threads may still be spinning).

A layer that cannot be loaded on this machine is reported as such.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

CHILD = """
import json, time
import numpy as np
import minidl.kernels._numba  # the library's setup: loads a pip-installed TBB by path
import numba
from numba import njit, prange

@njit(parallel=True)
def empty(a):
    for i in prange(a.shape[0]):
        a[i] += 1.0

@njit(inline="always")
def square_roots(x, n):  # ~100 us for n = 50000
    s = 0.0
    for j in range(n):
        s += np.sqrt(j + x)
    return s

@njit(parallel=True)
def work(a, n):
    for i in prange(a.shape[0]):
        a[i] = square_roots(a[i], n)

@njit
def work_serial(a, n):
    for i in range(a.shape[0]):
        a[i] = square_roots(a[i], n)

a = np.zeros(2)
A = np.random.default_rng(0).random((768, 768), dtype=np.float32)
empty(a); work(a, 10); work_serial(a, 10); A @ A
time.sleep(0.5)  # past the spinning of OpenBLAS's threads after that GEMM

def us(fn):
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1e6

N = 50000  # ~100 us of square roots per iteration
out = {"layer": numba.threading_layer()}
out["empty"] = float(np.median([us(lambda: empty(a)) for _ in range(300)]))
out["2 x work"] = float(np.median([us(lambda: work(a, N)) for _ in range(100)]))
out["serial"] = float(np.median([us(lambda: work_serial(a, N)) for _ in range(50)]))
rows = {"after pause": [], "after GEMM": [], "GEMM": [], "GEMM after kernel": []}
for _ in range(15):
    time.sleep(0.2); rows["after pause"].append(us(lambda: work(a, N)))
    time.sleep(0.2); A @ A; rows["after GEMM"].append(us(lambda: work(a, N)))
    time.sleep(0.2); rows["GEMM"].append(us(lambda: A @ A))
    time.sleep(0.2); work(a, N); rows["GEMM after kernel"].append(us(lambda: A @ A))
out.update({k: float(np.median(v)) for k, v in rows.items()})
print(json.dumps(out))
"""
COLUMNS = ["empty", "2 x work", "serial", "after pause", "after GEMM", "GEMM", "GEMM after kernel"]


def measure(layer: str) -> dict | str:
    """The child's medians for one layer, or why it could not run."""
    env = {**os.environ, "NUMBA_THREADING_LAYER": layer}
    done = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=300
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return f"not available here ({last[:90]})"
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--layers", nargs="+", default=["tbb", "omp", "workqueue"])
    args = parser.parse_args(argv)
    print("Numba parallel kernels on 2 threads, medians in us (see the docstring for each column)")
    print(f"{'layer':<11}" + "".join(f"{c:>19}" for c in COLUMNS))
    for layer in args.layers:
        row = measure(layer)
        if isinstance(row, str):
            print(f"{layer:<11}{row}")
        else:
            print(f"{layer:<11}" + "".join(f"{row[c]:>19.0f}" for c in COLUMNS), flush=True)


if __name__ == "__main__":
    main()
