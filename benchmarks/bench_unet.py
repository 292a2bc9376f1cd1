"""One U-Net training step (forward, backward, SGD) in minidl and in PyTorch (CPU, float32).

    python benchmarks/bench_unet.py [--quick] [--repeat 5] [--skip-subprocesses] [--json]
    minidl bench unet [same options]

The network is the paper's (`minidl.models.UNet`: 3x3 convs + ReLU, 2x2 max-pool, 2x2
up-convs, crop and concatenate, 1x1 head), with ``base`` 16 and 64 channels in its first
level; inputs: valid padding at 188 and 252 (batch 4) and 572 (batch 1), and same padding at
128 (batch 4). PyTorch runs the same network with the same weights (checked once: the
outputs agree). The loss is the cross-entropy against a fixed random mask.

What it prints:
1. per configuration, the best-of-``--repeat`` time of one step in each library (interleaved
   in one process after a warm-up step, the machine being shared), their ratio
   minidl / torch, and the geometric mean of the ratios (target <= 1.5);
2. the peak memory of one step in each library: a fresh process per library and
   configuration builds the model and the batch, warms up on a small input (imports, compiled
   kernels), resets its peak resident set size (Linux: ``/proc/self/clear_refs``) and reports
   how far the peak rises above the resident size during one step (activations, gradients,
   work buffers, optimizer state);
3. the same time table in a process started with ``MALLOC_MMAP_MAX_=0
   MALLOC_TRIM_THRESHOLD_=100000000000`` (glibc keeps freed memory instead of returning it to
   the OS, so no big buffer starts as fresh pages; benchmarks/README.md, "Fresh large
   buffers").
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence

import numpy as np

# (base, padding, input size, batch)
CONFIGS = [
    (16, "valid", 188, 4), (16, "valid", 252, 4), (16, "valid", 572, 1), (16, "same", 128, 4),
    (64, "valid", 188, 4), (64, "valid", 252, 4), (64, "valid", 572, 1), (64, "same", 128, 4),
]  # fmt: skip
TUNED_MALLOC = {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": "100000000000"}
TARGET = 1.5


def torch_unet(md_model):
    """The same network in PyTorch, with the same parameter names and values."""
    import torch
    from torch import nn

    def double_conv(c_in: int, c_out: int, pad: int) -> nn.Sequential:
        return nn.Sequential(
            nn.Conv2d(c_in, c_out, 3, padding=pad), nn.ReLU(),
            nn.Conv2d(c_out, c_out, 3, padding=pad), nn.ReLU(),
        )  # fmt: skip

    class TorchUNet(nn.Module):
        def __init__(self, base: int, depth: int, padding: str) -> None:
            super().__init__()
            pad = 1 if padding == "same" else 0
            widths = [base * 2**k for k in range(depth + 1)]
            self.depth = depth
            self.down = nn.ModuleList(double_conv(a, b, pad) for a, b in zip([1, *widths], widths))
            self.up = nn.ModuleList(
                nn.ConvTranspose2d(c, c // 2, 2, stride=2) for c in reversed(widths[1:])
            )
            self.up_convs = nn.ModuleList(double_conv(c, c // 2, pad) for c in reversed(widths[1:]))
            self.head = nn.Conv2d(base, 2, 1)

        def forward(self, x):
            skips = []
            for level, block in enumerate(self.down):
                x = block(x)
                if level < self.depth:
                    skips.append(x)
                    x = torch.nn.functional.max_pool2d(x, 2)
            for up, block, skip in zip(self.up, self.up_convs, reversed(skips)):
                x = up(x)
                top = (skip.shape[2] - x.shape[2]) // 2
                left = (skip.shape[3] - x.shape[3]) // 2
                skip = skip[:, :, top : top + x.shape[2], left : left + x.shape[3]]
                x = block(torch.cat([skip, x], 1))
            return self.head(x)

    model = TorchUNet(md_model.base, md_model.depth, md_model.padding)
    state = {k: torch.from_numpy(np.array(v)) for k, v in md_model.state_dict().items()}
    model.load_state_dict(state)
    return model


def make_steps(base: int, padding: str, size: int, batch: int, check: bool = False):
    """(minidl step, torch step) closures for one configuration."""
    import torch

    import minidl as md
    import minidl.nn.functional as F
    from minidl import optim
    from minidl.models import UNet

    md.manual_seed(0)
    model = UNet(base=base, padding=padding)
    peer = torch_unet(model)
    rng = np.random.default_rng(0)
    x = rng.random((batch, 1, size, size), dtype=np.float32)
    out = model.output_size(size)
    y = rng.integers(0, 2, (batch, out, out))
    md_x, t_x, t_y = md.tensor(x), torch.from_numpy(x), torch.from_numpy(y)
    md_opt = optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    t_opt = torch.optim.SGD(peer.parameters(), lr=1e-3, momentum=0.9)
    if check:
        with md.no_grad(), torch.no_grad():
            np.testing.assert_allclose(model(md_x).numpy(), peer(t_x).numpy(), rtol=1e-3, atol=1e-4)

    def md_step() -> None:
        md_opt.zero_grad()
        F.cross_entropy(model(md_x), y).backward()
        md_opt.step()

    def torch_step() -> None:
        t_opt.zero_grad()
        torch.nn.functional.cross_entropy(peer(t_x), t_y).backward()
        t_opt.step()

    return md_step, torch_step


def best_of(fns: Sequence[Callable[[], object]], repeat: int) -> list[float]:
    """Seconds per call of each function: one warm-up, then the best of ``repeat``
    interleaved runs (the minimum is the least noisy estimate on a shared machine)."""
    for fn in fns:
        fn()
    best = [math.inf] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def measure(configs: Sequence[tuple], repeat: int) -> list[dict]:
    rows = []
    print(f"{'base':>4} {'padding':<7}{'input':>6}{'batch':>6}{'minidl ms':>11}{'torch ms':>10}"
          f"{'ratio':>7}")  # fmt: skip
    for k, (base, padding, size, batch) in enumerate(configs):
        md_step, torch_step = make_steps(base, padding, size, batch, check=(k == 0))
        times = best_of([md_step, torch_step], repeat if size < 500 else max(2, repeat // 2))
        rows.append({"config": [base, padding, size, batch], "minidl": times[0],
                     "torch": times[1]})  # fmt: skip
        print(f"{base:>4} {padding:<7}{size:>6}{batch:>6}{times[0] * 1e3:>11.0f}"
              f"{times[1] * 1e3:>10.0f}{times[0] / times[1]:>7.2f}", flush=True)  # fmt: skip
    return rows


def geomean(rows: list[dict]) -> float:
    return float(np.exp(np.mean([np.log(r["minidl"] / r["torch"]) for r in rows])))


PEAK_MEMORY = """
import json, sys
sys.path.insert(0, {here!r})
from bench_unet import make_steps


def status(field):  # kB values of /proc/self/status (Linux)
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))


lib, config = sys.argv[1], json.loads(sys.argv[2])
warm = make_steps(config[0], config[1], 188 if config[1] == "valid" else 32, 1)
warm[0 if lib == "minidl" else 1]()  # imports, compiled kernels, on a small input
step = make_steps(*config)[0 if lib == "minidl" else 1]
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak (VmHWM) to the current resident size
before = status("VmRSS")
step()
print(json.dumps({{"extra_mb": (status("VmHWM") - before) / 1024}}))
"""


def peak_memory(config: Sequence) -> dict[str, float]:
    here = os.path.dirname(os.path.abspath(__file__))
    code = PEAK_MEMORY.format(here=here)
    out = {}
    for lib in ("minidl", "torch"):
        done = subprocess.run(
            [sys.executable, "-c", code, lib, json.dumps(list(config))],
            capture_output=True,
            text=True,
            check=True,
        )
        out[lib] = json.loads(done.stdout.strip().splitlines()[-1])["extra_mb"]
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="base 16 only, 3 repeats")
    parser.add_argument("--repeat", type=int, default=5, help="runs per timing (best kept)")
    parser.add_argument("--skip-subprocesses", action="store_true", help="only the time table")
    parser.add_argument("--json", action="store_true", help="end with the rows as JSON")
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("bench unet: PyTorch is not installed; it is the peer this benchmark compares to.")
        return 2
    import minidl  # noqa: F401  (the threading layer is set before any kernel runs)

    configs = CONFIGS[:4] if args.quick else CONFIGS
    repeat = 3 if args.quick else args.repeat
    print(f"U-Net training step, minidl vs torch {torch.__version__}, float32, "
          f"{torch.get_num_threads()} threads, best of {repeat} interleaved runs; "
          "ratio = minidl / torch")  # fmt: skip
    rows = measure(configs, repeat)
    print(f"geometric mean of the ratios: {geomean(rows):.2f} (target <= {TARGET})")
    if args.json:
        print(json.dumps(rows))
    if args.skip_subprocesses:
        return 0

    print("\npeak memory of one step (peak RSS above the RSS before it, fresh warmed-up process):")
    print(f"{'base':>4} {'padding':<7}{'input':>6}{'batch':>6}{'minidl MB':>11}{'torch MB':>10}"
          f"{'ratio':>7}")  # fmt: skip
    for base, padding, size, batch in configs:
        mem = peak_memory((base, padding, size, batch))
        print(f"{base:>4} {padding:<7}{size:>6}{batch:>6}{mem['minidl']:>11.0f}"
              f"{mem['torch']:>10.0f}{mem['minidl'] / max(mem['torch'], 1):>7.2f}", flush=True)  # fmt: skip  # noqa: E501

    settings = " ".join(f"{k}={v}" for k, v in TUNED_MALLOC.items())
    print(f"\nthe same steps with {settings}:")
    done = subprocess.run(
        [sys.executable, os.path.abspath(__file__), *(argv or []), "--skip-subprocesses"],
        env={**os.environ, **TUNED_MALLOC},
        capture_output=True,
        text=True,
        check=True,
    )
    print("\n".join(done.stdout.strip().splitlines()[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
