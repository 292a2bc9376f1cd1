"""Winograd conv2d (fwd+bwd) at three thresholds for its transforms' parallel loops.

    python benchmarks/bench_winograd_threshold.py [--repeat 40] [--rounds 3]

Below ``min_work`` elements each Winograd transform (minidl/kernels/winograd/cpu.py) runs its
serial driver. The script times F.conv2d(..., algorithm="winograd") forward + backward on
U-Net layers (float32, batch 4) with the four transforms' threshold set to 2**21, 2**18 and
2**16 in turn, the best of ``--repeat`` calls, alternated over ``--rounds`` rounds, and prints
ms per layer. The table and its reading are in minidl/kernels/README.md ("Speed against
PyTorch", point 2).
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable, Sequence

import numpy as np

THRESHOLDS = (1 << 21, 1 << 18, 1 << 16)
LAYERS = [  # (N, C_in, C_out, size, padding)
    (4, 32, 32, 24, 1), (4, 16, 16, 48, 1), (4, 64, 64, 12, 1), (4, 32, 64, 60, 0),
    (4, 64, 64, 22, 0), (4, 128, 128, 26, 0), (4, 128, 64, 24, 0), (4, 64, 32, 40, 0),
    (4, 256, 256, 10, 0), (4, 64, 64, 58, 0),
]  # fmt: skip


def best_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()
    best = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best * 1e3


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=40, help="calls per timing (best kept)")
    parser.add_argument("--rounds", type=int, default=3, help="alternations of the thresholds")
    args = parser.parse_args(argv)

    import minidl as md
    import minidl.nn.functional as F
    from minidl.kernels.winograd import cpu

    loops = [cpu._input, cpu._output, cpu._output_adjoint, cpu._input_adjoint]
    rng = np.random.default_rng(0)
    print("ms, Winograd conv2d fwd+bwd, float32, transforms parallel from", end="")
    print("".join(f"  2**{t.bit_length() - 1}" for t in THRESHOLDS))
    for N, C, C_out, size, pad in LAYERS:
        x = md.tensor(rng.standard_normal((N, C, size, size), dtype=np.float32), requires_grad=True)
        w = md.tensor(0.1 * rng.standard_normal((C_out, C, 3, 3), dtype=np.float32),
                      requires_grad=True)  # fmt: skip
        b = md.tensor(np.zeros(C_out, np.float32), requires_grad=True)
        out = size - 2 + 2 * pad
        dy = md.tensor(rng.standard_normal((N, C_out, out, out), dtype=np.float32))

        def step(x=x, w=w, b=b, pad=pad, dy=dy) -> None:
            F.conv2d(x, w, b, padding=pad, algorithm="winograd").backward(dy)

        times = {t: math.inf for t in THRESHOLDS}
        for _ in range(args.rounds):
            for threshold in THRESHOLDS:
                for loop in loops:
                    loop.min_work = threshold
                times[threshold] = min(times[threshold], best_ms(step, args.repeat))
        cells = "".join(f"{times[t]:8.2f}" for t in THRESHOLDS)
        print(f"  {C:>3} -> {C_out:<3} {size:>3}² pad {pad}{cells}", flush=True)
    for loop in loops:
        loop.min_work = cpu.PARALLEL_MIN_WORK
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
