"""What the learner's debugging tools cost on one U-Net training step (float32, CPU).

    python benchmarks/bench_learner_tools.py [--repeat 5] [--size 188] [--batch 2] [--json]

The step is bench_unet.py's (UNet base 16, valid convs, cross-entropy, SGD with momentum).
Variants, timed interleaved in one process (best of ``--repeat`` each, after a warm-up):

* ``plain``: no tool on;
* ``anomaly``: inside ``md.autograd.detect_anomaly()`` (every op records its creation site and
  scans its outputs; every backward scans its gradients);
* ``forward hooks``: a forward hook on every module that records its output's mean and std
  (what the U-Net lesson plots);
* ``backward hooks``: a full backward hook on every Conv2d that records the gradient norms.

It prints each variant's time and its ratio to ``plain``. The first-order path without any
tool is compared with an older commit by running bench_unet.py from both trees (README).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--size", type=int, default=188, help="input size (valid U-Net)")
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="also print the rows as JSON")
    args = parser.parse_args(argv)

    import minidl as md
    import minidl.nn.functional as F
    from minidl import nn, optim
    from minidl.models import UNet

    md.manual_seed(0)
    model = UNet(base=16, padding="valid")
    rng = np.random.default_rng(0)
    x = md.tensor(rng.random((args.batch, 1, args.size, args.size), dtype=np.float32))
    out = model.output_size(args.size)
    y = rng.integers(0, 2, (args.batch, out, out))
    opt = optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    stats: list[tuple[float, float]] = []

    def step() -> None:
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    def with_anomaly() -> None:
        with md.autograd.detect_anomaly():
            step()

    def record(module, args_, output):
        if isinstance(output, md.Tensor):
            stats.append((float(output.data.mean()), float(output.data.std())))

    def norms(module, grad_input, grad_output):
        stats.append(tuple(float(np.linalg.norm(g.data)) for g in grad_output if g is not None))

    def hooked(kind):
        def run() -> None:
            if kind == "forward":
                handles = [m.register_forward_hook(record) for m in model.modules()]
            else:
                handles = [m.register_full_backward_hook(norms) for m in model.modules()
                           if isinstance(m, nn.Conv2d)]  # fmt: skip
            try:
                step()
            finally:
                for h in handles:
                    h.remove()
                stats.clear()

        return run

    variants = {"plain": step, "anomaly": with_anomaly, "forward hooks": hooked("forward"),
                "backward hooks": hooked("backward")}  # fmt: skip
    for fn in variants.values():
        fn()  # warm-up: compiled kernels, buffers
    best = dict.fromkeys(variants, math.inf)
    for _ in range(args.repeat):
        for name, fn in variants.items():
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    print(f"U-Net base 16, valid, input {args.size}, batch {args.batch}: best of {args.repeat}")
    print(f"{'variant':<16}{'ms':>8}{'vs plain':>10}")
    for name, seconds in best.items():
        print(f"{name:<16}{seconds * 1e3:>8.1f}{seconds / best['plain']:>10.2f}")
    if args.json:
        print(json.dumps({name: seconds for name, seconds in best.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
