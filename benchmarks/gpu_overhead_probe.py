"""Where minidl's time goes on a GPU when its ops are launch-bound (issue 20's first GPU run:
every small op took about 0.15-0.5 ms against PyTorch's 0.03-0.15 ms, whatever the shape).

    python benchmarks/gpu_overhead_probe.py

1. The host cost of one launch, in microseconds (median of 2000, after warm-up): a numba-cuda
   kernel on CuPy arrays called as ``kernel[grid, block](...)``; the same kernel given numba
   device arrays made once beforehand (no ``__cuda_array_interface__`` to read per call); the
   same on a dispatcher specialised to those argument types (no type matching per call); a
   CuPy ElementwiseKernel doing the same work; and a PyTorch op of the same size.
2. A profile (minidl.profiler) of one U-Net training step (base 16, valid, 188 x 188, batch 4)
   on the GPU: which ops and kernels hold the host time.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def per_call_us(fn, sync, n: int = 2000) -> float:
    for _ in range(50):
        fn()
    sync()
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    sync()
    return statistics.median(times) * 1e6


def launch_overhead() -> None:
    import cupy as cp
    import torch
    from numba import cuda

    @cuda.jit
    def copy3(x, y, out, a, b, c, d, e, f, g, h):
        i = cuda.grid(1)
        if i < out.size:
            out[i] = x[i] + y[i]

    n = 4096
    x, y, out = (cp.ones(n, dtype=cp.float32) for _ in range(3))
    ints = (1, 2, 3, 4, 5, 6, 7, 8)
    sync = cp.cuda.Device().synchronize
    rows = {}
    rows["numba-cuda kernel, CuPy arrays"] = per_call_us(
        lambda: copy3[16, 256](x, y, out, *ints), sync
    )
    dx, dy, dout = (cuda.as_cuda_array(a) for a in (x, y, out))
    rows["numba-cuda kernel, numba device arrays made once"] = per_call_us(
        lambda: copy3[16, 256](dx, dy, dout, *ints), sync
    )
    try:
        special = copy3.specialize(dx, dy, dout, *ints)
        rows["numba-cuda specialised dispatcher, device arrays"] = per_call_us(
            lambda: special[16, 256](dx, dy, dout, *ints), sync
        )
        rows["numba-cuda specialised dispatcher, CuPy arrays"] = per_call_us(
            lambda: special[16, 256](x, y, out, *ints), sync
        )
    except Exception as exc:  # an API that this numba-cuda lacks is reported, not fatal
        print(f"specialize: {type(exc).__name__}: {exc}")
    add = cp.ElementwiseKernel("float32 x, float32 y", "float32 z", "z = x + y", "probe_add")
    rows["CuPy ElementwiseKernel"] = per_call_us(lambda: add(x, y, out), sync)
    rows["CuPy x + y (new output)"] = per_call_us(lambda: x + y, sync)
    tx, ty = torch.ones(n, device="cuda"), torch.ones(n, device="cuda")
    rows["torch.add(out=)"] = per_call_us(lambda: torch.add(tx, ty, out=tx), torch.cuda.synchronize)
    print("host time per launch, microseconds (median of 2000):")
    for name, us in rows.items():
        print(f"  {name:<52} {us:8.1f}")


def unet_profile() -> None:
    import minidl as md
    import minidl.nn.functional as F
    from minidl import optim
    from minidl.models import UNet

    md.manual_seed(0)
    model = UNet(base=16, padding="valid").to("cuda")
    rng = np.random.default_rng(0)
    x = md.tensor(rng.random((4, 1, 188, 188), dtype=np.float32), device="cuda")
    side = model.output_size(188)
    y = md.tensor(rng.integers(0, 2, (4, side, side)), device="cuda")
    opt = optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)

    def step() -> None:
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    import cupy as cp

    for _ in range(3):
        step()
    cp.cuda.Device().synchronize()
    start = time.perf_counter()
    for _ in range(10):
        step()
    cp.cuda.Device().synchronize()
    ms = (time.perf_counter() - start) * 100
    print(f"\nU-Net step base 16 valid 188 x4 on the GPU: {ms:.1f} ms (mean of 10)")
    with md.profiler.profile() as prof:
        step()
        cp.cuda.Device().synchronize()
    print(prof.table(top=30))


if __name__ == "__main__":
    launch_overhead()
    unet_profile()
