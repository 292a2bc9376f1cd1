"""`check`: is a kernel implementation right, do the ops still differentiate, how fast is it?

    >>> import minidl as md
    >>> report = md.kernels.check("max_pool2d", my_module)   # or "cpu", "gpu", a function
    >>> report.ok

Three parts, each printed as it finishes:
1. correctness: every edge case of the kernel's spec, compared with the NumPy reference
   (shape, dtype, values; inputs must come back unmodified);
2. gradcheck: the ops that call this kernel, run with the implementation swapped in
   (``minidl.kernels.use``), against float64 finite differences;
3. speed: the implementation against the shipped kernel of the same device, on a realistic
   input ("2.1x slower than the shipped cpu kernel"). How fast is not part of ``ok``, but an
   implementation that raises here fails, as in step 1. Not measured for an implementation
   that failed step 1 or 2, nor under the CUDA simulator, where timing means nothing.
"""

from __future__ import annotations

import argparse
import importlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import backend, kernels
from ..numbers import fmt
from .spec import Args, Case, KernelSpec, compare

# One specs module per kernel family; add yours here (see spec.py).
FAMILIES = (
    "minidl.lab.specs_conv",
    "minidl.lab.specs_winograd",
    "minidl.lab.specs_pool",
    "minidl.lab.specs_roi",
)


def specs() -> dict[str, KernelSpec]:
    """Every kernel the lab can check, by name."""
    table: dict[str, KernelSpec] = {}
    for family in FAMILIES:
        table.update(importlib.import_module(family).SPECS)
    return table


@dataclass
class Report:
    """The outcome of `check`; ``print(report)`` shows it, ``report.ok`` sums it up."""

    kernel: str
    impl: str
    device: str
    cases: list[tuple[str, str | None]] = field(default_factory=list)  # (name, error or None)
    gradcheck: str | None = "skipped"  # None when it passed, else why not
    ops: str = ""
    timing: str = "not run"
    timing_error: str | None = None  # what the implementation raised in the speed step

    @property
    def ok(self) -> bool:
        gradcheck_ok = self.gradcheck in (None, "skipped")
        cases_ok = all(err is None for _, err in self.cases)
        return cases_ok and gradcheck_ok and self.timing_error is None

    def __str__(self) -> str:
        n_bad = sum(err is not None for _, err in self.cases)
        lines = [f"kernels.check({self.kernel!r}, {self.impl}) on {self.device}"]
        n_ok = len(self.cases) - n_bad
        lines.append(f"  correctness against the reference: {n_ok}/{len(self.cases)} cases")
        for name, err in self.cases:
            lines.append(f"    {'ok  ' if err is None else 'FAIL'}  {name}")
            if err is not None:
                lines.extend(f"          {line}" for line in err.splitlines())
        verdict = "ok" if self.gradcheck is None else self.gradcheck
        if self.gradcheck not in (None, "skipped"):
            verdict = "FAIL\n      " + self.gradcheck.replace("\n", "\n      ")
        lines.append(f"  gradcheck of {self.ops} using it: {verdict}")
        speed = f"FAIL\n      {self.timing_error}" if self.timing_error else self.timing
        lines.append(f"  speed: {speed}")
        lines.append(f"  => {'PASS' if self.ok else 'FAIL'}")
        return "\n".join(lines)


def _describe(impl: Any) -> str:
    if isinstance(impl, str):
        return f"impl={impl!r}"
    module = getattr(impl, "__module__", None) or getattr(impl, "__name__", "?")
    return f"impl={getattr(impl, '__name__', type(impl).__name__)} from {module}"


def _on_device(args: Args, device: str) -> Args:
    """Move the arrays among the arguments to ``device`` (CuPy for "cuda")."""
    if device == "cpu":
        return args

    def move(a: Any) -> Any:
        return backend.to_device(a, device) if isinstance(a, np.ndarray) else a

    positional, keywords = args
    return tuple(map(move, positional)), {k: move(v) for k, v in keywords.items()}


def _outputs(result: Any) -> tuple[np.ndarray, ...]:
    outs = result if isinstance(result, tuple) else (result,)
    return tuple(backend.to_numpy(o) for o in outs)


def _check_case(spec: KernelSpec, fn: Callable, case: Case, device: str) -> str | None:
    reference = kernels.shipped(spec.kernel, "reference")
    args, kwargs = case.make(np.random.default_rng(0))
    want = _outputs(reference(*args, **kwargs))
    pristine, _ = case.make(np.random.default_rng(0))
    args, kwargs = _on_device(case.make(np.random.default_rng(0)), device)
    try:
        result = fn(*args, **kwargs)
        got = _outputs(result)
    except Exception as exc:  # a student's kernel may fail in any way: report it
        return f"raised {type(exc).__name__}: {exc}"
    if len(got) != len(want):
        return f"returned {len(got)} outputs, expected {len(want)} ({', '.join(spec.outputs)})"
    errors = [compare(*z) for z in zip(spec.outputs, got, want, spec.exact)]
    if "out" in kwargs and result is not kwargs["out"]:
        errors.append(
            "ignored out=: returned a new array instead of writing into out and returning it "
            "(the op passes a reused work buffer as out; a kernel that allocates its own "
            "array makes every call pay for a fresh one)"
        )
    for i, (before, after) in enumerate(zip(pristine, args)):
        if isinstance(before, np.ndarray):
            if not np.array_equal(before, backend.to_numpy(after), equal_nan=True):
                errors.append(f"modified its input argument {i}")
    errors = [e for e in errors if e]
    return "\n".join(errors) or None


def _time(fn: Callable, args: Args, device: str) -> float:
    """Best of a few runs, in seconds (after one warm-up call, which may compile)."""
    positional, keywords = args
    sync = backend.xp_for("cuda").cuda.Device().synchronize if device == "cuda" else lambda: None
    fn(*positional, **keywords)
    best, spent = float("inf"), 0.0
    for _ in range(20):
        sync()
        start = time.perf_counter()
        fn(*positional, **keywords)
        sync()
        elapsed = time.perf_counter() - start
        best, spent = min(best, elapsed), spent + elapsed
        if spent > 0.2:
            break
    return best


def _speed(spec: KernelSpec, op: str, fn: Callable, device: str) -> tuple[str, str | None]:
    """(the speed line, None) or, when the implementation raised, (what it raised, the same)."""
    shipped_impl = "gpu" if device == "cuda" else "cpu"
    args = _on_device(spec.bench.make(np.random.default_rng(0)), device)
    shipped = kernels.shipped(op, shipped_impl)
    ours = theirs = float("inf")
    for _ in range(3):  # alternate, keeping each one's best: a busy machine slows either
        try:
            ours = min(ours, _time(fn, args, device))
        except Exception as exc:  # as in the correctness step: report it, do not crash
            error = f"raised {type(exc).__name__}: {exc} (on {spec.bench.name})"
            return error, error
        theirs = min(theirs, _time(shipped, args, device))
    ratio = ours / theirs
    if ratio >= 1.1:  # within 10%: what two runs of one kernel differ by on a busy machine
        verdict = f"{ratio:.1f}x slower than"
    elif ratio <= 1 / 1.1:
        verdict = f"{1 / ratio:.1f}x faster than"
    else:
        verdict = "about as fast as (within 10%)"
    line = (
        f"{verdict} the shipped {shipped_impl} kernel: {fmt(ours * 1e3)} ms against "
        f"{fmt(theirs * 1e3)} ms on {spec.bench.name}"
    )
    return line, None


def _default_device(impl: Any) -> str:
    if impl == "gpu" and backend.gpu_status()[0]:
        return "cuda"
    return "cpu"  # under NUMBA_ENABLE_CUDASIM=1 the gpu kernels run on NumPy arrays


def check(
    op: str,
    impl: Any = "cpu",
    *,
    device: str | None = None,
    gradcheck: bool = True,
    bench: bool = True,
    verbose: bool = True,
) -> Report:
    """Check an implementation of kernel ``op`` (e.g. "max_pool2d", "im2col").

    ``impl`` is "reference" | "cpu" | "gpu", a module that defines a function named ``op``,
    or the function itself. ``device`` ("cpu" or "cuda") is where its inputs live; by
    default "cuda" for impl="gpu" when a GPU is usable, else "cpu". Prints the report when
    ``verbose`` and returns it (see `Report`).
    """
    table = specs()
    if op not in table:
        raise ValueError(f"kernels.check: no lab spec for {op!r}; known: {sorted(table)}")
    spec = table[op]
    fn = kernels.resolve(op, impl)
    device = device or _default_device(impl)
    where = device
    if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        where += " (numba-cuda kernels on the CUDA simulator)"
    report = Report(op, _describe(impl), where, ops=spec.ops)
    for case in spec.cases:
        report.cases.append((case.name, _check_case(spec, fn, case, device)))
    if gradcheck:
        try:
            with kernels.use(**{op: fn}):
                spec.gradcheck(device)
            report.gradcheck = None
        except Exception as exc:  # GradcheckError, or the kernel failing inside the op
            report.gradcheck = f"{type(exc).__name__}: {exc}"
    right = all(err is None for _, err in report.cases) and report.gradcheck in (None, "skipped")
    if bench and not right:  # the speed of a wrong answer means nothing
        report.timing = "not measured: it must be right first (see the failures above)"
    elif bench and os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        report.timing = "skipped (CUDA simulator: timings mean nothing)"
    elif bench:
        report.timing, report.timing_error = _speed(spec, op, fn, device)
    if verbose:
        print(report, flush=True)
    return report


def check_all(argv: list[str] | None = None) -> int:
    """``minidl check [--impl NAME ...] [--kernel NAME ...] [--no-bench]``: 0 when all pass.

    By default every kernel's cpu implementation, plus its gpu one when a GPU is usable or
    ``NUMBA_ENABLE_CUDASIM=1`` is set.
    """
    parser = argparse.ArgumentParser(prog="minidl check", description=check_all.__doc__)
    parser.add_argument("--impl", action="append", choices=kernels.IMPLS, help="repeatable")
    parser.add_argument("--kernel", action="append", help="repeatable; default: all")
    parser.add_argument("--no-bench", action="store_true", help="skip the timings")
    args = parser.parse_args(argv)
    impls = args.impl or ["cpu"]
    simulated = os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"
    if not args.impl and (backend.gpu_status()[0] or simulated):
        impls.append("gpu")
    names = args.kernel or sorted(specs())
    failed = []
    for name in names:
        for impl in impls:
            if impl not in kernels.KERNELS[name]:  # e.g. no gpu kernel: the op uses another
                print(f"{name}: no {impl} implementation, skipped\n")
                continue
            if not check(name, impl, bench=not args.no_bench).ok:
                failed.append(f"{name} ({impl})")
            print()
    total = sum(impl in kernels.KERNELS[name] for name in names for impl in impls)
    summary = f"minidl check: {total - len(failed)}/{total} passed"
    print(summary + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0
