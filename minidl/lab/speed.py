"""How fast is a kernel implementation: GFLOP/s or GB/s on the spec's realistic input, beside
the reference, the pristine shipped kernel (``pristine.py``) and PyTorch where installed.

Each contender is timed best-of-a-few after a warm-up call (which may compile), and the
contenders alternate over three rounds, each keeping its best: a busy machine slows any of
them, the best run is the one it slowed least.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import backend
from ..kernels.registry import shipped
from ..kernels.spec import Args, KernelSpec
from ..numbers import fmt
from . import pristine

ROUNDS = 3
SAME = 1.1  # within 10%: what two runs of one kernel differ by on a busy machine


@dataclass
class Row:
    """One contender: what it is, its best time in seconds (None: not run, and why)."""

    label: str
    seconds: float | None
    note: str = ""


def _time(fn: Callable[[], Any], sync: Callable[[], None]) -> float:
    best, spent = float("inf"), 0.0
    for _ in range(20):
        sync()
        start = time.perf_counter()
        fn()
        sync()
        elapsed = time.perf_counter() - start
        best, spent = min(best, elapsed), spent + elapsed
        if spent > 0.2:
            break
    return best


def work(spec: KernelSpec, args: Args, outputs: Any) -> tuple[float, str]:
    """(amount, unit): the spec's flops, or else the bytes of the arrays in and out."""
    positional, keywords = args
    if spec.flops is not None:
        return spec.flops(positional, keywords), "GFLOP/s"
    outs = outputs if isinstance(outputs, tuple) else (outputs,)
    arrays = [a for a in (*positional, *keywords.values(), *outs) if hasattr(a, "nbytes")]
    return float(sum(a.nbytes for a in arrays)), "GB/s"


def _torch_runner(spec: KernelSpec, args: Args) -> tuple[Callable[[], Any] | None, str]:
    if spec.torch is None:
        return None, "no PyTorch counterpart of this kernel"
    if importlib.util.find_spec("torch") is None:
        return None, "PyTorch is not installed"
    import torch

    positional, keywords = args
    try:
        runner = spec.torch(torch, positional, keywords)
    except ImportError as exc:  # e.g. torchvision, for roi_align
        return None, f"needs {exc.name or exc}"
    return runner, f"PyTorch {torch.__version__.split('+')[0]}"


def measure(spec: KernelSpec, impl: str, fn: Callable, device: str, to_device) -> list[Row]:
    """Rows for: the implementation being checked, the reference, the pristine shipped kernel
    of the device, and PyTorch (CPU only)."""
    host = spec.bench.make(np.random.default_rng(0))
    args = to_device(spec.bench.make(np.random.default_rng(0)), device)
    sync = backend.xp_for("cuda").cuda.Device().synchronize if device == "cuda" else lambda: None
    shipped_impl = "gpu" if device == "cuda" else "cpu"
    contenders: list[tuple[str, Callable[[], Any] | None, str]] = []

    def call(f: Callable) -> Callable[[], Any]:
        return lambda: f(*args[0], **args[1])

    contenders.append((f"yours ({impl})", call(fn), ""))
    reference = shipped(spec.kernel, "reference")
    contenders.append(("reference (NumPy)", call(reference), ""))
    try:
        base, where, same = pristine.load(spec.kernel, shipped_impl)
        label = f"pristine {shipped_impl}, {where}"
        if same and impl == f"impl={shipped_impl!r}":
            contenders.append((label, None, "the same file as yours: edit it to compare"))
        else:
            contenders.append((label, call(base), ""))
    except (pristine.NoPristineCopy, KeyError, ValueError) as exc:
        contenders.append((f"pristine {shipped_impl}", None, str(exc)))
    if device == "cpu":
        runner, label = _torch_runner(spec, host)
        contenders.append((label if runner else "PyTorch", runner, "" if runner else label))
    else:
        contenders.append(("PyTorch", None, "compared on the CPU only"))
    best = {label: float("inf") for label, run, _ in contenders if run is not None}
    for _ in range(ROUNDS):
        for label, run, _ in contenders:
            if run is not None:
                run()  # warm-up: compiles on the first round
                best[label] = min(best[label], _time(run, sync))
    return [Row(label, best.get(label), note) for label, run, note in contenders]


def verdict(ours: float, theirs: float) -> str:
    """ "2.1x faster", "1.4x slower" or "about as fast (within 10%)"."""
    ratio = ours / theirs
    if ratio >= SAME:
        return f"yours is {ratio:.1f}x slower"
    if ratio <= 1 / SAME:
        return f"yours is {1 / ratio:.1f}x faster"
    return "about as fast (within 10%)"


def table(rows: list[Row], amount: float, unit: str, bench_name: str) -> str:
    """The speed lines of a report: time and rate of each contender, and the ratio to yours."""
    scale = 1e-9
    lines = [f"on {bench_name}:"]
    ours = rows[0].seconds
    width = max(len(r.label) for r in rows)
    for i, row in enumerate(rows):
        if row.seconds is None:
            lines.append(f"    {row.label:<{width}}  not timed: {row.note}")
            continue
        rate = amount / row.seconds * scale
        text = f"    {row.label:<{width}}  {fmt(row.seconds * 1e3):>7} ms  {fmt(rate):>7} {unit}"
        if i and ours:
            text += f"   {verdict(ours, row.seconds)}"
        if row.note:
            text += f"   ({row.note})"
        lines.append(text)
    return "\n".join(lines)
