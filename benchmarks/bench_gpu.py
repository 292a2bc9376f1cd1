"""minidl on CuPy + numba-cuda against PyTorch CUDA, in one process on the same GPU.

    python benchmarks/bench_gpu.py [--quick] [--repeat 20] [--warmup 3] [--ops LIST]
                                   [--tf32] [--json] [--out PATH] [--device cuda|cpu]
    minidl bench gpu [same options]

Ops, float32, each forward and forward+backward: conv2d and conv_transpose2d on the U-Net
layer shapes of ``bench_conv.py`` (batch 4), max_pool2d with indices and max_unpool2d
(2×2, stride 2), roi_align on Mask R-CNN-like shapes (torchvision's ``roi_align`` as the
peer, when torchvision is installed); then one U-Net training step (forward, cross-entropy,
backward, SGD with momentum) of the paper's network (``bench_unet.py``): base 16 with valid
convs on 188 × 188 (batch 4) and same convs on 128 × 128 (batch 4), base 64 on 572 × 572
(batch 1); the same weights in both libraries, whose outputs are checked to agree first.

Timing: every call is bracketed by a device-wide synchronisation (``cudaDeviceSynchronize``
through CuPy or PyTorch) and measured with the host clock, so a time includes the Python and
launch overhead that a user pays, not only the kernels. After ``--warmup`` calls (numba-cuda
and CuPy compile their kernels, cuDNN picks its algorithms), ``--repeat`` timed calls per
library, alternating between the two libraries; the table shows medians, the JSON best and
median. ratio = minidl / torch (lower is better).

TF32 is off in both libraries by default (PyTorch enables it for cuDNN convolutions, CuPy
does not use it): both compute in full float32. ``--tf32`` turns it on in both
(``CUPY_TF32=1``, torch's ``allow_tf32`` flags).

``--device cpu`` runs the same code on the CPU (NumPy/Numba against PyTorch CPU): a smoke test
of this script for machines without a GPU, whose timings mean nothing.

Targets (issue 8), on the geometric means of the forward+backward ratios: conv2d <= 2,
U-Net step <= 2, max_pool2d and max_unpool2d <= 1.2.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # bench_conv, bench_unet

TARGETS = {"conv2d": 2.0, "unet_step": 2.0, "max_pool2d": 1.2, "max_unpool2d": 1.2}
OPS = ("conv2d", "conv_transpose2d", "max_pool2d", "max_unpool2d", "roi_align", "unet_step")
UNET_CONFIGS = [(16, "valid", 188, 4), (16, "same", 128, 4), (64, "valid", 572, 1)]
ROI_CASES = [(128, 64, 32), (512, 256, 64)]  # (boxes K, channels C, feature map side S)
BATCH = 4


class Timer:
    """Synchronised host-clock timings of the two libraries on one GPU."""

    def __init__(self, warmup: int, repeat: int, device: str = "cuda") -> None:
        import torch

        from minidl import backend

        if device == "cuda":
            cp = backend.xp_for("cuda")
            self.sync = {
                "minidl": cp.cuda.runtime.deviceSynchronize,
                "torch": torch.cuda.synchronize,
            }
        else:  # the --device cpu smoke test: nothing to wait for
            self.sync = {"minidl": lambda: None, "torch": lambda: None}
        self.warmup, self.repeat, self.device = warmup, repeat, device

    def pair(self, fns: dict[str, Callable[[], Any]], repeat: int | None = None) -> dict:
        """{"minidl": (best, median), "torch": (best, median)} in seconds, calls alternating."""
        times: dict[str, list[float]] = {lib: [] for lib in fns}
        for lib, fn in fns.items():
            for _ in range(self.warmup):
                fn()
            self.sync[lib]()
        for _ in range(repeat or self.repeat):
            for lib, fn in fns.items():
                self.sync[lib]()
                start = time.perf_counter()
                fn()
                self.sync[lib]()
                times[lib].append(time.perf_counter() - start)
        return {lib: (min(t), float(np.median(t))) for lib, t in times.items()}


def _call(lib: str, op: Callable, inputs: list, grad: Any) -> Callable[[], Any]:
    """``op(*inputs)``, under no_grad when ``grad`` is None, else followed by its backward."""
    import torch

    import minidl as md

    def run() -> Any:
        for t in inputs:
            t.grad = None
        if grad is None:
            with torch.no_grad() if lib == "torch" else md.no_grad():
                return op(*inputs)
        out = op(*inputs)
        out = out[0] if isinstance(out, tuple) else out
        out.backward(grad)
        return out

    return run


def _layer(kind: str, shape: tuple, rng: np.random.Generator, device: str) -> tuple:
    """(md op, md inputs, torch op, torch inputs, output shape) of one layer on ``device``."""
    from bench_conv import _pair_of_layers

    return _pair_of_layers(kind, shape, BATCH, rng, device)


def _roi_layer(case: tuple, output: int, rng: np.random.Generator, device: str) -> tuple | None:
    """RoIAlign of ``case`` (K, C, S) pooled to ``output`` squared; None without torchvision."""
    try:
        from torchvision.ops import roi_align as tv_roi_align
    except ImportError:
        return None
    import torch
    from bench_roi_align import make_case

    import minidl as md
    import minidl.nn.functional as F

    K, C, S = case
    x, boxes = make_case(K, C, S, seed=int(rng.integers(2**31)))
    cfg = {"spatial_scale": 0.25, "sampling_ratio": 2, "aligned": True}
    md_boxes = md.backend.to_device(boxes, device)
    t_boxes = torch.from_numpy(boxes).to(device)
    md_op = partial(F.roi_align, boxes=md_boxes, output_size=output, **cfg)
    t_op = partial(tv_roi_align, boxes=t_boxes, output_size=output, **cfg)
    md_in = [md.tensor(x, requires_grad=True, device=device)]
    t_in = [torch.tensor(x, requires_grad=True, device=device)]
    return md_op, md_in, t_op, t_in, (K, C, output, output)


def measure_ops(kinds: Sequence[str], quick: bool, timer: Timer) -> list[dict]:
    """One row per layer: forward and forward+backward timings of both libraries."""
    import torch
    from bench_conv import CONV_SHAPES, POOL_SHAPES, TRANSPOSE_SHAPES

    from minidl import backend

    tables = {
        "conv2d": CONV_SHAPES,
        "conv_transpose2d": TRANSPOSE_SHAPES,
        "max_pool2d": POOL_SHAPES,
        "max_unpool2d": POOL_SHAPES,
        "roi_align": [(case, out) for case in ROI_CASES for out in (7, 14)],
    }
    rng = np.random.default_rng(0)
    rows = []
    print(f"{'op':<17} {'shape':<22}{'fwd ms md / torch':>20}{'ratio':>7}"
          f"{'fwd+bwd ms md / torch':>24}{'ratio':>7}")  # fmt: skip
    for kind in kinds:
        shapes = tables[kind][:2] if quick else tables[kind]
        for shape in shapes:
            if kind == "roi_align":
                layer = _roi_layer(*shape, rng, timer.device)
                if layer is None:
                    print("roi_align: torchvision is not installed, no peer to compare with")
                    break
            else:
                layer = _layer(kind, shape, rng, timer.device)
            md_op, md_in, t_op, t_in, out_shape = layer
            grad = rng.standard_normal(out_shape).astype(np.float32)
            md_grad = backend.to_device(grad, timer.device)
            t_grad = torch.from_numpy(grad).to(timer.device)
            fwd = timer.pair(
                {
                    "minidl": _call("md", md_op, md_in, None),
                    "torch": _call("torch", t_op, t_in, None),
                }
            )
            both = timer.pair(
                {
                    "minidl": _call("md", md_op, md_in, md_grad),
                    "torch": _call("torch", t_op, t_in, t_grad),
                }
            )
            row = {"op": kind, "shape": shape, "fwd": fwd, "fwd_bwd": both}
            rows.append(row)
            print(f"{kind:<17} {str(shape):<22}{_cells(fwd, 20)}{_cells(both, 24)}", flush=True)
    return rows


def _cells(t: dict, width: int) -> str:
    md_ms, torch_ms = t["minidl"][1] * 1e3, t["torch"][1] * 1e3
    pair = f"{md_ms:.3f} / {torch_ms:.3f}"
    return f"{pair:>{width}}{md_ms / torch_ms:>7.2f}"


def _unet_steps(base: int, padding: str, size: int, batch: int, device: str) -> tuple:
    """(minidl step, torch step, max |output difference|) of one U-Net configuration."""
    import torch
    from bench_unet import torch_unet

    import minidl as md
    import minidl.nn.functional as F
    from minidl import optim
    from minidl.models import UNet

    md.manual_seed(0)
    model = UNet(base=base, padding=padding)
    peer = torch_unet(model).to(device)  # built from the host weights, then moved
    model.to(device)
    rng = np.random.default_rng(0)
    x = rng.random((batch, 1, size, size), dtype=np.float32)
    y = rng.integers(0, 2, (batch, model.output_size(size), model.output_size(size)))
    md_x, md_y = md.tensor(x, device=device), md.tensor(y, device=device)
    t_x, t_y = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
    with md.no_grad(), torch.no_grad():
        diff = float(np.abs(model(md_x).numpy() - peer(t_x).cpu().numpy()).max())
    md_opt = optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    t_opt = torch.optim.SGD(peer.parameters(), lr=1e-3, momentum=0.9)

    def md_step() -> None:
        md_opt.zero_grad()
        F.cross_entropy(model(md_x), md_y).backward()
        md_opt.step()

    def torch_step() -> None:
        t_opt.zero_grad()
        torch.nn.functional.cross_entropy(peer(t_x), t_y).backward()
        t_opt.step()

    return md_step, torch_step, diff


def measure_unet(configs: Sequence[tuple], timer: Timer) -> list[dict]:
    """One U-Net training step per configuration, the same network and weights in both."""
    rows = []
    for base, padding, size, batch in configs:
        md_step, torch_step, diff = _unet_steps(base, padding, size, batch, timer.device)
        times = timer.pair({"minidl": md_step, "torch": torch_step}, max(3, timer.repeat // 2))
        rows.append({"op": "unet_step", "shape": [base, padding, size, batch], "fwd_bwd": times,
                     "max_abs_output_diff": diff})  # fmt: skip
        md_ms, t_ms = times["minidl"][1] * 1e3, times["torch"][1] * 1e3
        label, cells = f"base {base} {padding} {size} x{batch}", f"{md_ms:.1f} / {t_ms:.1f}"
        print(f"{'unet_step':<17} {label:<22}{'':>27}{cells:>24}{md_ms / t_ms:>7.2f}"
              f"   (outputs differ by {diff:.1e} at most)", flush=True)  # fmt: skip
    return rows


def geomeans(rows: Sequence[dict]) -> dict[str, dict[str, float]]:
    """Per op: geometric means of the median ratios, forward and forward+backward."""
    out: dict[str, dict[str, float]] = {}
    for op in dict.fromkeys(r["op"] for r in rows):
        means = {}
        for part in ("fwd", "fwd_bwd"):
            ratios = [
                r[part]["minidl"][1] / r[part]["torch"][1]
                for r in rows
                if r["op"] == op and part in r
            ]
            if ratios:
                means[part] = float(math.exp(np.mean(np.log(ratios))))
        out[op] = means
    return out


def _version(module: str) -> str:
    try:
        return __import__(module).__version__
    except Exception as exc:  # a missing or broken package is reported, not fatal
        return f"not available ({type(exc).__name__})"


def describe_gpu(tf32: bool) -> dict[str, Any]:
    """The GPU and the versions of everything that runs on it."""
    import torch

    import minidl
    from minidl import backend

    cp = backend.xp_for("cuda")
    props = cp.cuda.runtime.getDeviceProperties(0)
    _, total = cp.cuda.runtime.memGetInfo()
    info = {
        "gpu": props["name"].decode(),
        "compute_capability": f"{props['major']}.{props['minor']}",
        "memory_gib": round(total / 2**30, 1),
        "cuda_driver": cp.cuda.runtime.driverGetVersion(),
        "cuda_runtime_cupy": cp.cuda.runtime.runtimeGetVersion(),
        "minidl": minidl.__version__,
        "cupy": cp.__version__,
        "numba": _version("numba"),
        "numba_cuda": _version("numba_cuda"),
        "torch": torch.__version__,
        "torch_cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version(),
        "torchvision": _version("torchvision"),
        "tf32": tf32,
        "cudnn_benchmark": torch.backends.cudnn.benchmark,
        # numba-cuda synchronises on a CuPy array's stream at each kernel launch unless 0
        "numba_cuda_array_interface_sync": os.environ.get("NUMBA_CUDA_ARRAY_INTERFACE_SYNC", "1"),
    }
    return info


def _set_tf32(on: bool) -> None:
    """TF32 in both libraries or in neither; CuPy reads CUPY_TF32 when it is imported."""
    import torch

    os.environ["CUPY_TF32"] = "1" if on else "0"
    torch.backends.cudnn.allow_tf32 = on
    torch.backends.cuda.matmul.allow_tf32 = on


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 shapes per op, small U-Nets only")
    parser.add_argument("--repeat", type=int, default=20, help="timed calls per library")
    parser.add_argument("--warmup", type=int, default=3, help="untimed calls first")
    parser.add_argument("--ops", default=",".join(OPS), help=f"comma-separated, from {OPS}")
    parser.add_argument("--tf32", action="store_true", help="allow TF32 in both libraries")
    parser.add_argument("--json", action="store_true", help="end with everything as JSON")
    parser.add_argument("--out", default=None, help="also write the JSON to this file")
    parser.add_argument(
        "--device",
        default="cuda",
        choices=("cuda", "cpu"),
        help="cpu: a smoke test of this script on a machine without a GPU (timings meaningless)",
    )
    args = parser.parse_args(argv)
    kinds = [k for k in args.ops.split(",") if k]
    unknown = sorted(set(kinds) - set(OPS))
    if unknown:
        parser.error(f"--ops: unknown {unknown}; known: {list(OPS)}")

    os.environ["CUPY_TF32"] = "1" if args.tf32 else "0"  # before CuPy is imported
    from minidl import backend

    ok, why = backend.gpu_status()
    if args.device == "cuda" and not ok:
        print(f"bench gpu: needs a CUDA GPU that minidl can use, and there is none here: {why}.",
              file=sys.stderr)  # fmt: skip
        return 2
    try:
        import torch
    except ImportError:
        print("bench gpu: PyTorch is not installed; it is the peer this benchmark compares to.",
              file=sys.stderr)  # fmt: skip
        return 2
    if args.device == "cuda" and not torch.cuda.is_available():
        print("bench gpu: this PyTorch build cannot use the GPU (torch.cuda.is_available() is "
              "False); it is the peer this benchmark compares to.", file=sys.stderr)  # fmt: skip
        return 2
    _set_tf32(args.tf32)

    if args.device == "cuda":
        info = describe_gpu(args.tf32)
        print(f"GPU: {info['gpu']} (compute capability {info['compute_capability']}, "
              f"{info['memory_gib']} GiB); CUDA driver {info['cuda_driver']}, "
              f"CuPy runtime {info['cuda_runtime_cupy']}")  # fmt: skip
        print(f"minidl {info['minidl']} on CuPy {info['cupy']} + numba {info['numba']} / "
              f"numba-cuda {info['numba_cuda']}  vs  torch {info['torch']} (CUDA "
              f"{info['torch_cuda']}, cuDNN {info['cudnn']}), "
              f"torchvision {info['torchvision']}")  # fmt: skip
        print(f"NUMBA_CUDA_ARRAY_INTERFACE_SYNC={info['numba_cuda_array_interface_sync']} (1: "
              "numba-cuda waits for the CuPy stream at every kernel launch)")  # fmt: skip
    else:
        info = {"device": "cpu", "note": "smoke test of the script; the timings mean nothing"}
        print("--device cpu: a smoke test of this script on the CPU; the timings mean nothing")
    tf32 = "on" if args.tf32 else "off"
    print(f"float32, TF32 {tf32} in both; median of {args.repeat} synchronised calls after "
          f"{args.warmup} warm-up calls; ratio = minidl / torch\n")  # fmt: skip

    timer = Timer(args.warmup, args.repeat, args.device)
    rows = measure_ops([k for k in kinds if k != "unet_step"], args.quick, timer)
    if "unet_step" in kinds:
        rows += measure_unet(UNET_CONFIGS[:2] if args.quick else UNET_CONFIGS, timer)

    means = geomeans(rows)
    print("\ngeometric means of the ratios (minidl / torch):")
    for op, m in means.items():
        parts = "   ".join(f"{part} {value:5.2f}" for part, value in m.items())
        target = TARGETS.get(op)
        verdict = ""
        if target is not None and "fwd_bwd" in m:
            verdict = (
                f"   target fwd+bwd <= {target}: {'met' if m['fwd_bwd'] <= target else 'MISSED'}"
            )
        print(f"  {op:<17} {parts}{verdict}")
    result = {"info": info, "rows": rows, "geomeans": means, "targets": TARGETS}
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1)
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
