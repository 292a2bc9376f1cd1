"""Time the RoIAlign kernels: Numba cpu against the NumPy reference, forward and backward.

    python benchmarks/bench_roi_align.py [--rois 128] [--channels 64] [--size 32] [--repeat 20]

A Mask R-CNN-like shape: K boxes on one 2-image batch of C × S × S feature maps (stride 4 of a
small input, spatial_scale 0.25), pooled to 7 × 7 (box head) and 14 × 14 (mask head) with
sampling_ratio 2 and aligned=True, float32. torchvision is not installed here, so there is
no PyTorch column; `minidl bench` adds one where it is.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence

import numpy as np

from minidl.kernels.roi_align import cpu, reference


def _median_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()  # compile / warm up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def make_case(K: int, C: int, S: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Feature maps (2, C, S, S) and K boxes in image pixels (4 S × 4 S), some near the border."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, C, S, S)).astype(np.float32)
    size = 4 * S
    wh = rng.uniform(4, size / 2, (K, 2))
    xy = rng.uniform(-4, size - 4, (K, 2)) - wh / 2
    boxes = np.column_stack([rng.integers(0, 2, K), xy, xy + wh]).astype(np.float32)
    return x, boxes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rois", type=int, default=128)
    parser.add_argument("--channels", type=int, default=64)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)

    x, boxes = make_case(args.rois, args.channels, args.size)
    print(f"roi_align: x {x.shape} float32, {args.rois} boxes, spatial_scale 0.25, "
          "sampling_ratio 2, aligned=True; median of", args.repeat, "runs")  # fmt: skip
    print("torchvision is not installed here: no PyTorch column (compare with `minidl bench`).")
    print(f"{'output':>8} {'pass':>9} {'reference ms':>13} {'cpu ms':>9} {'speed-up':>9}")
    for P in (7, 14):
        cfg = (P, P, 0.25, 2, True)
        grad = np.random.default_rng(1).standard_normal((args.rois, args.channels, P, P))
        grad = grad.astype(np.float32)
        passes = {
            "forward": lambda m, cfg=cfg: m.roi_align(x, boxes, *cfg),
            "backward": lambda m, cfg=cfg, g=grad: m.roi_align_backward(g, boxes, x.shape, *cfg),
        }
        for name, run in passes.items():
            ref_ms = _median_ms(lambda run=run: run(reference), max(3, args.repeat // 4))
            cpu_ms = _median_ms(lambda run=run: run(cpu), args.repeat)
            print(f"{P:>4}x{P:<3} {name:>9} {ref_ms:13.2f} {cpu_ms:9.2f} {ref_ms / cpu_ms:8.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
