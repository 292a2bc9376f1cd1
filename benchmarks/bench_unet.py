"""One U-Net training step (forward, backward, SGD) in minidl and in PyTorch (CPU, float32).

    python benchmarks/bench_unet.py [--quick] [--repeat 5] [--pairs 5] [--configs ...]
                                    [--skip-subprocesses] [--json]
    minidl bench unet [same options]

The network is the paper's (`minidl.models.UNet`: 3x3 convs + ReLU, 2x2 max-pool, 2x2
up-convs, crop and concatenate, 1x1 head), with ``base`` 16 and 64 channels in its first
level; inputs: valid padding at 188 and 252 (batch 4) and 572 (batch 1), and same padding at
128 (batch 4). PyTorch runs the same network with the same weights (checked once: the
outputs agree). The loss is the cross-entropy against a fixed random mask. Every ratio is
minidl's time (or memory) divided by PyTorch's: under 1, minidl is the faster (or smaller).

The step is measured three ways, each printed as a table with one row per configuration:

1. both libraries in this process, alternated step by step: one warm-up step each, then the
   best of ``--repeat`` steps (half as many, at least 2, at input 572), and the geometric
   mean of the ratios over the rows;
2. the headline: each library alone in a fresh process, one process after another, in
   ``--pairs`` pairs (minidl, then PyTorch). A process builds the model and the batch of
   one configuration, warms up on a small input (imports, compiled kernels), takes one step
   whose peak memory it reports (peak resident set size above the resident size before the
   step, Linux: ``/proc/self/clear_refs`` and VmHWM; activations, gradients, work buffers,
   optimizer state), and then times the best of ``--repeat`` more steps (fewer at 572, as
   in 1). Printed: each library's median time and peak memory over its runs; the ratio,
   which is the median over the pairs of (minidl time / PyTorch time of the same pair), and
   its spread (the lowest and highest pair ratio); the geometric mean of the row ratios; and
   the targets: every base-16 row <= 1.3, geometric mean <= 1.2, peak memory <= 1.3 on
   every row;
3. table 2 again with ``MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=100000000000`` (glibc keeps
   freed memory instead of returning it to the OS, so no big buffer starts as fresh pages;
   benchmarks/README.md, "Fresh large buffers") for both libraries.

minidl itself asks glibc to keep freed memory when it is imported (``minidl/freed_memory.py``),
so in table 2 its process has that setting, as a user's has; the PyTorch process, which
imports minidl only to build the weights, runs with ``MINIDL_MALLOC=system``, as a PyTorch
user's process would. In table 1 both share minidl's setting.

It ends with the three geometric means side by side. ``--skip-subprocesses`` prints table 1
only; ``--json`` ends with the rows as JSON (table 1's times, and, per row, tables 2 and 3
with every run's time and memory).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence

import numpy as np

Config = tuple[int, str, int, int]  # (base, padding, input size, batch)
CONFIGS: list[Config] = [
    (16, "valid", 188, 4), (16, "valid", 252, 4), (16, "valid", 572, 1), (16, "same", 128, 4),
    (64, "valid", 188, 4), (64, "valid", 252, 4), (64, "valid", 572, 1), (64, "same", 128, 4),
]  # fmt: skip
LIBS = ("minidl", "torch")
TUNED_MALLOC = {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": "100000000000"}
# Targets of the headline (table 2): each base-16 row's ratio, the geometric mean of the
# rows' ratios, and each row's peak-memory ratio.
TARGETS = {"base-16 row": 1.3, "geometric mean": 1.2, "peak memory": 1.3}


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


def _problem(base: int, padding: str, size: int, batch: int):
    """minidl's model, an input batch (N, 1, size, size) and a target mask (N, out, out)."""
    import minidl as md
    from minidl.models import UNet

    md.manual_seed(0)
    model = UNet(base=base, padding=padding)
    rng = np.random.default_rng(0)
    x = rng.random((batch, 1, size, size), dtype=np.float32)
    out = model.output_size(size)
    return model, x, rng.integers(0, 2, (batch, out, out))


def _minidl_step(model, x: np.ndarray, y: np.ndarray) -> Callable[[], None]:
    import minidl as md
    import minidl.nn.functional as F
    from minidl import optim

    md_x = md.tensor(x)
    opt = optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)

    def step() -> None:
        opt.zero_grad()
        F.cross_entropy(model(md_x), y).backward()
        opt.step()

    return step


def _torch_step(peer, x: np.ndarray, y: np.ndarray) -> Callable[[], None]:
    import torch

    t_x, t_y = torch.from_numpy(x), torch.from_numpy(y)
    opt = torch.optim.SGD(peer.parameters(), lr=1e-3, momentum=0.9)

    def step() -> None:
        opt.zero_grad()
        torch.nn.functional.cross_entropy(peer(t_x), t_y).backward()
        opt.step()

    return step


def make_steps(
    base: int, padding: str, size: int, batch: int, check: bool = False
) -> tuple[Callable[[], None], Callable[[], None]]:
    """(minidl step, torch step) closures for one configuration, on the same weights."""
    import torch

    import minidl as md

    model, x, y = _problem(base, padding, size, batch)
    peer = torch_unet(model)
    if check:
        with md.no_grad(), torch.no_grad():
            got, want = model(md.tensor(x)).numpy(), peer(torch.from_numpy(x)).numpy()
            np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-4)
    return _minidl_step(model, x, y), _torch_step(peer, x, y)


def make_step(lib: str, base: int, padding: str, size: int, batch: int) -> Callable[[], None]:
    """The step of one library ("minidl" or "torch") alone: a minidl process never imports
    torch, and a torch process runs no minidl kernel (it builds minidl's model for the
    weights)."""
    if lib not in LIBS:
        raise ValueError(f"make_step: lib is one of {LIBS}, got {lib!r}")
    model, x, y = _problem(base, padding, size, batch)
    return _minidl_step(model, x, y) if lib == "minidl" else _torch_step(torch_unet(model), x, y)


def best_of(fns: Sequence[Callable[[], object]], repeat: int, warm_up: bool = True) -> list[float]:
    """Seconds per call of each function: one warm-up, then the best of ``repeat``
    interleaved runs (the minimum is the least noisy estimate on a shared machine)."""
    if warm_up:
        for fn in fns:
            fn()
    best = [math.inf] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def repeats_for(size: int, repeat: int) -> int:
    """Fewer timed steps at input 572: one step there takes seconds."""
    return repeat if size < 500 else max(2, repeat // 2)


def pair_ratios(minidl: Sequence[float], torch: Sequence[float]) -> list[float]:
    """minidl / torch of each pair: the i-th run of each library."""
    if len(minidl) != len(torch) or not minidl:
        raise ValueError(
            f"pair_ratios: expected as many minidl runs as torch runs, at least one; "
            f"got {len(minidl)} and {len(torch)}"
        )
    return [m / t for m, t in zip(minidl, torch)]


def summarize_pairs(minidl: Sequence[float], torch: Sequence[float]) -> dict[str, float]:
    """The median of the pair ratios (one slow moment moves it less than a mean or a best)
    and their spread, the lowest and the highest."""
    ratios = pair_ratios(minidl, torch)
    return {"ratio": statistics.median(ratios), "low": min(ratios), "high": max(ratios)}


def geomean(ratios: Sequence[float]) -> float:
    """Geometric mean: a row twice as slow and one twice as fast average to 1."""
    if not ratios or min(ratios) <= 0:
        raise ValueError(f"geomean: expected positive ratios, got {list(ratios)}")
    return math.exp(sum(math.log(r) for r in ratios) / len(ratios))


def target_lines(rows: Sequence[dict]) -> list[str]:
    """Table 2's rows (``config``, ``ratio``, ``memory_ratio``) against TARGETS, one line each."""

    def line(name: str, value: float, row: dict | None = None) -> str:
        verdict = "met" if value <= TARGETS[name] else "missed"
        where = "; worst row: " + " ".join(str(c) for c in row["config"]) if row else ""
        return f"{name:<16}{value:5.2f}  (target <= {TARGETS[name]}: {verdict}{where})"

    lines = []
    base16 = [r for r in rows if r["config"][0] == 16]
    if base16:
        worst = max(base16, key=lambda r: r["ratio"])
        lines.append(line("base-16 row", worst["ratio"], worst))
    lines.append(line("geometric mean", geomean([r["ratio"] for r in rows])))
    worst = max(rows, key=lambda r: r["memory_ratio"])
    lines.append(line("peak memory", worst["memory_ratio"], worst))
    return lines


CONFIG_HEAD = f"{'base':>4} {'padding':<7}{'input':>6}{'batch':>6}"


def config_cells(config: Sequence) -> str:
    base, padding, size, batch = config
    return f"{base:>4} {padding:<7}{size:>6}{batch:>6}"


def measure_together(configs: Sequence[Config], repeat: int) -> list[dict]:
    """Table 1: both libraries in this process, alternated step by step."""
    rows = []
    print(f"{CONFIG_HEAD}{'minidl ms':>11}{'torch ms':>10}{'ratio':>7}")
    for k, (base, padding, size, batch) in enumerate(configs):
        md_step, torch_step = make_steps(base, padding, size, batch, check=(k == 0))
        times = best_of([md_step, torch_step], repeats_for(size, repeat))
        rows.append({"config": [base, padding, size, batch], "minidl": times[0],
                     "torch": times[1]})  # fmt: skip
        print(f"{config_cells(rows[-1]['config'])}{times[0] * 1e3:>11.0f}"
              f"{times[1] * 1e3:>10.0f}{times[0] / times[1]:>7.2f}", flush=True)  # fmt: skip
    return rows


ALONE = """
import json, sys
sys.path.insert(0, {here!r})
from bench_unet import best_of, make_step


def status(field):  # kB values of /proc/self/status (Linux)
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))


lib, config, repeat = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
make_step(lib, config[0], config[1], 188 if config[1] == "valid" else 32, 1)()  # imports, kernels
step = make_step(lib, *config)
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak (VmHWM) to the current resident size
before = status("VmRSS")
step()  # the warm-up step of the timing, and the step whose memory is measured
extra_mb = (status("VmHWM") - before) / 1024
seconds = best_of([step], repeat, warm_up=False)[0]
print(json.dumps({{"seconds": seconds, "extra_mb": extra_mb}}))
"""


def run_alone(lib: str, config: Sequence, repeat: int, env: dict[str, str]) -> dict[str, float]:
    """One fresh process of one library: its best step time (s) and peak extra memory (MB)."""
    here = os.path.dirname(os.path.abspath(__file__))
    own = {"MINIDL_MALLOC": "system"} if lib == "torch" else {}  # PyTorch as its users have it
    done = subprocess.run(
        [sys.executable, "-c", ALONE.format(here=here), lib, json.dumps(list(config)), str(repeat)],
        env={**os.environ, **own, **env},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"bench unet: the {lib} process for {list(config)} exited with {done.returncode}:\n"
            f"{done.stderr[-2000:]}"
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_alone(
    configs: Sequence[Config], repeat: int, pairs: int, env: dict[str, str]
) -> list[dict]:
    """Tables 2 and 3: each library alone in its own process, ``pairs`` pairs per row, the
    processes one after another (in parallel they would share the two cores)."""
    rows = []
    print(f"{CONFIG_HEAD}{'minidl ms':>11}{'torch ms':>10}{'ratio':>7}{'spread':>12}"
          f"{'minidl MB':>11}{'torch MB':>10}{'ratio':>7}")  # fmt: skip
    for config in configs:
        runs: dict[str, list[dict]] = {lib: [] for lib in LIBS}
        for _ in range(pairs):
            for lib in LIBS:  # minidl, then torch: A B A B
                runs[lib].append(run_alone(lib, config, repeats_for(config[2], repeat), env))
        seconds = {lib: [r["seconds"] for r in runs[lib]] for lib in LIBS}
        mb = {lib: [r["extra_mb"] for r in runs[lib]] for lib in LIBS}
        summary = summarize_pairs(seconds["minidl"], seconds["torch"])
        mem = {lib: statistics.median(mb[lib]) for lib in LIBS}
        row = {
            "config": list(config),
            "minidl_s": seconds["minidl"],
            "torch_s": seconds["torch"],
            "pair_ratios": pair_ratios(seconds["minidl"], seconds["torch"]),
            "ratio": summary["ratio"],
            "spread": [summary["low"], summary["high"]],
            "minidl_mb": mb["minidl"],
            "torch_mb": mb["torch"],
            "memory_ratio": mem["minidl"] / max(mem["torch"], 1),  # 1 MB floor: no 0 division
        }
        rows.append(row)
        ms = {lib: statistics.median(seconds[lib]) * 1e3 for lib in LIBS}
        spread = f"{summary['low']:.2f}-{summary['high']:.2f}"
        print(f"{config_cells(config)}{ms['minidl']:>11.0f}{ms['torch']:>10.0f}"
              f"{summary['ratio']:>7.2f}{spread:>12}{mem['minidl']:>11.0f}{mem['torch']:>10.0f}"
              f"{row['memory_ratio']:>7.2f}", flush=True)  # fmt: skip
    return rows


def alone_tables(
    rows: list[dict], configs: Sequence[Config], repeat: int, pairs: int, fewer: str
) -> dict[str, float]:
    """Print tables 2 and 3, add them to table 1's ``rows``, return their geometric means."""
    settings = " ".join(f"{k}={v}" for k, v in TUNED_MALLOC.items())
    tables = [
        ("alone", "2. each alone (headline)", {}, "2. headline: each library alone"),
        ("alone_tuned_malloc", "3. each alone, malloc settings", TUNED_MALLOC,
         f"3. each library alone, in processes started with {settings}"),
    ]  # fmt: skip
    means = {}
    for key, name, env, title in tables:
        print(f"\n{title}\n   {pairs} pairs of fresh processes (minidl, then torch), one after "
              f"another; a process: a warm-up step,\n   whose peak memory is MB, then best of "
              f"{repeat} steps{fewer}; ms, MB: median over the runs;\n   ratio: median over the "
              "pairs; spread: lowest-highest pair ratio")  # fmt: skip
        alone = measure_alone(configs, repeat, pairs, env)
        for row, result in zip(rows, alone):
            row[key] = result
        means[name] = geomean([r["ratio"] for r in alone])
        print(f"geometric mean of the ratios: {means[name]:.2f}")
        if key == "alone":
            print("targets:\n" + "\n".join("  " + line for line in target_lines(alone)))
    return means


def parse_config(text: str) -> Config:
    """'16:valid:188:4' -> (16, 'valid', 188, 4), for --configs."""
    parts = text.split(":")
    if (
        len(parts) != 4
        or parts[1] not in ("valid", "same")
        or not all(p.isdigit() for p in (parts[0], parts[2], parts[3]))
    ):
        raise argparse.ArgumentTypeError(
            f"expected BASE:PADDING:SIZE:BATCH with PADDING valid or same, such as "
            f"16:valid:188:4; got {text!r}"
        )
    return int(parts[0]), parts[1], int(parts[2]), int(parts[3])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="base 16 only, 3 repeats")
    parser.add_argument("--repeat", type=int, default=5, help="timed steps per run (best kept)")
    parser.add_argument("--pairs", type=int, default=5, help="pairs of processes per row")
    parser.add_argument(
        "--configs", type=parse_config, nargs="+", metavar="BASE:PADDING:SIZE:BATCH",
        help="these rows instead of the built-in ones, e.g. 16:valid:188:4 64:same:128:4",
    )  # fmt: skip
    parser.add_argument("--skip-subprocesses", action="store_true", help="only table 1")
    parser.add_argument("--json", action="store_true", help="end with the rows as JSON")
    args = parser.parse_args(argv)
    if args.pairs < 1 or args.repeat < 1:
        parser.error(f"--pairs and --repeat are at least 1, got {args.pairs} and {args.repeat}")
    try:
        import torch
    except ImportError:
        print("bench unet: PyTorch is not installed; it is the peer this benchmark compares to.")
        return 2
    import minidl  # noqa: F401  (the threading layer is set before any kernel runs)

    configs = args.configs or (CONFIGS[:4] if args.quick else CONFIGS)
    repeat = 3 if args.quick else args.repeat
    fewer = " (fewer at input 572)" if any(c[2] >= 500 for c in configs) else ""
    print(f"U-Net training step, minidl vs torch {torch.__version__}, float32, "
          f"{torch.get_num_threads()} threads")  # fmt: skip
    print("ratio = minidl / torch, of the times (ms) or of the peak memory (MB); under 1: "
          "minidl is the faster (smaller)")  # fmt: skip
    print(f"\n1. both libraries in this process, alternated; best of {repeat} steps{fewer} "
          "after a warm-up step")  # fmt: skip
    rows = measure_together(configs, repeat)
    means = {"1. both in one process": geomean([r["minidl"] / r["torch"] for r in rows])}
    print(f"geometric mean of the ratios: {means['1. both in one process']:.2f}")
    if not args.skip_subprocesses:
        means |= alone_tables(rows, configs, repeat, args.pairs, fewer)
        print("\ngeometric means of the ratios, the three ways:")
        for name, value in means.items():
            target = f"   (target <= {TARGETS['geometric mean']})" if "headline" in name else ""
            print(f"  {name:<32}{value:5.2f}{target}")
    if args.json:
        print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
