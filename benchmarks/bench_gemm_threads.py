"""Who should run a matrix product's threads: OpenBLAS, or minidl (`minidl.gemm`)?

    python benchmarks/bench_gemm_threads.py [--repeat 30] [--json]

Two products from a U-Net step, float32: a Winograd batch, 16 x (64, 64) @ (64, 3364), and
an im2col product, (64, 576) @ (576, 13456). Each is timed in a fresh process per way of
running it (OpenBLAS reads its thread count once, when NumPy loads):

    openblas-2   NumPy's matmul, OpenBLAS with 2 threads (as NumPy ships)
    openblas-2-t4  the same with OPENBLAS_THREAD_TIMEOUT=4 (minidl's setting before minidl-2)
    openblas-1   NumPy's matmul, OpenBLAS with 1 thread
    minidl-2     minidl.gemm.matmul: OpenBLAS with 1 thread, the product split over 2 threads
    torch-2      torch.matmul with 2 threads (the peer)

twice: on a quiet machine, and while a second process spins on one core (what a browser,
a notebook server or a second job does to a laptop). Printed: the median and the best of
--repeat calls after 5 warm-up calls, per product and way, and each way's median against
minidl-2's. On a busy machine the median is the figure that matters: a thread that waits for
a core shows in the typical call, not in the luckiest one.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

WAYS = ("openblas-2", "openblas-2-t4", "openblas-1", "minidl-2", "torch-2")
PRODUCTS = {"winograd batch": ((16, 64, 64), (16, 64, 3364)), "im2col": ((64, 576), (576, 13456))}

CHILD = r"""
import json, os, sys, time
way, repeat = sys.argv[1], int(sys.argv[2])
if way == "minidl-2":
    import minidl
    from minidl import gemm
import numpy as np
products = json.loads(sys.argv[3])
times = {}
for name, (sa, sb) in products.items():
    rng = np.random.default_rng(0)
    a = rng.random(sa, dtype=np.float32)
    b = rng.random(sb, dtype=np.float32)
    out = np.empty(np.broadcast_shapes(sa[:-2], sb[:-2]) + (sa[-2], sb[-1]), np.float32)
    if way == "torch-2":
        import torch
        torch.set_num_threads(2)
        ta, tb, to = map(torch.from_numpy, (a, b, out))
        fn = lambda: torch.matmul(ta, tb, out=to)
    elif way == "minidl-2":
        fn = lambda: gemm.matmul(a, b, out=out)
    else:
        fn = lambda: np.matmul(a, b, out=out)
    for _ in range(5):
        fn()
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    runs.sort()
    times[name] = [runs[len(runs) // 2], runs[0]]  # median, best
print(json.dumps(times))
"""


def run_way(way: str, repeat: int) -> dict[str, list[float]]:
    env = {k: v for k, v in os.environ.items() if k not in ("MINIDL_SPLITS_GEMMS",)}
    env.pop("OPENBLAS_THREAD_TIMEOUT", None)
    env["OPENBLAS_NUM_THREADS"] = {"openblas-1": "1"}.get(way, "2")
    if way == "openblas-2-t4":
        env["OPENBLAS_THREAD_TIMEOUT"] = "4"
    if way == "minidl-2":
        env.pop("OPENBLAS_NUM_THREADS")  # minidl sets it, and splits over Numba's 2 threads
        env["NUMBA_NUM_THREADS"] = "2"
    way = way.removesuffix("-t4")
    args = [sys.executable, "-c", CHILD, way, str(repeat), json.dumps(PRODUCTS)]
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(repeat: int, busy: bool) -> dict[str, dict[str, list[float]]]:
    spinner = None
    if busy:  # one core kept busy by a second process for the whole measurement
        spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        return {way: run_way(way, repeat) for way in WAYS}
    finally:
        if spinner is not None:
            spinner.kill()
            spinner.wait()


def print_table(title: str, results: dict[str, dict[str, list[float]]]) -> None:
    print(f"\n{title}: median ms (x minidl-2's median), best ms")
    print(f"{'way':<14}" + "".join(f"{name:>30}" for name in PRODUCTS))
    for way, times in results.items():
        cells = []
        for n in PRODUCTS:
            (median, best), mine = times[n], results["minidl-2"][n][0]
            cells.append(f"{median * 1e3:8.2f} ({median / mine:5.2f}x) {best * 1e3:7.2f}")
        print(f"{way:<14}" + "".join(f"{c:>30}" for c in cells))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--json", action="store_true", help="end with the results as JSON")
    args = parser.parse_args(argv)
    results = {}
    for busy in (False, True):
        title = "one core busy with another process" if busy else "quiet machine"
        results[title] = measure(args.repeat, busy)
        print_table(title, results[title])
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
