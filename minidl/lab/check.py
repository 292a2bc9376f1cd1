"""`check`: is a kernel implementation right, do the ops still differentiate, how fast is it?

    >>> import minidl as md
    >>> report = md.kernels.check("max_pool2d", "cpu")   # or "gpu", a module, a function,
    >>> report.ok                                        # or "path/to/my_kernel.py"

Three parts, each printed as it finishes:
1. correctness: every edge case of the kernel's spec (``minidl/kernels/<family>/spec.py``),
   compared with the NumPy reference (shape, dtype, values; inputs must come back
   unmodified); a mismatch shows where, and the values around it, expected against got;
2. gradcheck: the ops that call this kernel, run with the implementation swapped in
   (``minidl.kernels.use``), against float64 finite differences;
3. speed (``speed.py``): GFLOP/s or GB/s, against the reference, the pristine shipped kernel
   (``pristine.py``) and PyTorch. How fast is not part of ``ok``, but an implementation that
   raises there fails, as in step 1. Not measured for an implementation that failed step 1
   or 2, nor under the CUDA simulator, where timing means nothing.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from .. import backend, config, kernels
from ..kernels.spec import Args, Case, KernelSpec, compare
from ..kernels.table import specs
from . import speed


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
    speed: list[speed.Row] = field(default_factory=list)

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
        if self.timing_error:
            lines.append(f"  speed: FAIL\n      {self.timing_error}")
        elif self.speed:
            lines.append(f"  speed {self.timing}")
        else:
            lines.append(f"  speed: {self.timing}")
        lines.append(f"  => {'PASS' if self.ok else 'FAIL'}")
        return "\n".join(lines)


def load_file(path: str | Path) -> ModuleType:
    """A student's kernel file, imported as a module of its own (it needs no package)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"kernels.check: no file {str(path)!r}")
    spec = importlib.util.spec_from_file_location(f"minidl_lab_user_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _resolve(op: str, impl: Any) -> tuple[Callable, str]:
    """(the function to check, how the report names it)."""
    if isinstance(impl, (str, Path)) and str(impl) not in kernels.IMPLS:
        module = load_file(impl)
        return kernels.resolve(op, module), f"{op} from {impl}"
    if isinstance(impl, str):
        return kernels.resolve(op, impl), f"impl={impl!r}"
    fn = kernels.resolve(op, impl)
    module = getattr(fn, "__module__", None) or getattr(impl, "__name__", "?")
    return fn, f"impl={getattr(fn, '__name__', type(fn).__name__)} from {module}"


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
    pristine_args, _ = case.make(np.random.default_rng(0))
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
    outs = result if isinstance(result, tuple) else (result,)
    if any(out is not args[i] for out, i in zip(outs, spec.updates)):
        errors.append("returned new arrays: it must update its arguments in place and return them")
    for i, (before, after) in enumerate(zip(pristine_args, args)):
        if isinstance(before, np.ndarray) and i not in spec.updates:
            if not np.array_equal(before, backend.to_numpy(after), equal_nan=True):
                errors.append(f"modified its input argument {i}")
    errors = [e for e in errors if e]
    return "\n".join(errors) or None


def _speed(spec: KernelSpec, impl: str, fn: Callable, device: str, report: Report) -> None:
    try:
        rows = speed.measure(spec, impl, fn, device, _on_device)
    except Exception as exc:  # as in the correctness step: report it, do not crash
        report.timing_error = f"raised {type(exc).__name__}: {exc} (on {spec.bench.name})"
        return
    args = spec.bench.make(np.random.default_rng(0))
    outputs = kernels.shipped(spec.kernel, "reference")(*args[0], **args[1])
    amount, unit = speed.work(spec, args, outputs)
    report.speed = rows
    report.timing = speed.table(rows, amount, unit, spec.bench.name)


def default_device(impl: Any) -> str:
    """ "cuda" for impl="gpu" when a GPU is usable, else "cpu" (under the CUDA simulator the
    gpu kernels run on NumPy arrays)."""
    if impl == "gpu" and backend.gpu_status()[0]:
        return "cuda"
    return "cpu"


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
    the function itself, or the path of a Python file that defines it. ``device`` ("cpu" or
    "cuda") is where its inputs live; by default "cuda" for impl="gpu" when a GPU is usable,
    else "cpu". Prints the report when ``verbose`` and returns it (see `Report`).
    """
    table = specs()
    if op not in table:
        raise ValueError(f"kernels.check: no lab spec for {op!r}; known: {sorted(table)}")
    spec = table[op]
    if impl == "gpu" and not backend.gpu_status()[0] and not config.cuda_simulator():
        raise ValueError(
            "kernels.check: impl='gpu' needs a GPU or the CUDA simulator; "
            f"{backend.gpu_status()[1]}. Run `minidl lab check {op} --impl gpu`, which "
            "uses the simulator when there is no GPU, or set NUMBA_ENABLE_CUDASIM=1 before "
            "starting Python"
        )
    fn, described = _resolve(op, impl)
    device = device or default_device(impl)
    where = device
    if config.cuda_simulator():
        where += " (numba-cuda kernels on the CUDA simulator: correctness only)"
    report = Report(op, described, where, ops=spec.ops)
    for case in spec.cases:
        report.cases.append((case.name, _check_case(spec, fn, case, device)))
    if gradcheck:
        import minidl as md  # the gradcheck runs the ops, the layer above the kernels

        try:
            with kernels.use(**{op: fn}):
                spec.gradcheck(md, device)
            report.gradcheck = None
        except Exception as exc:  # GradcheckError, or the kernel failing inside the op
            report.gradcheck = f"{type(exc).__name__}: {exc}"
    right = all(err is None for _, err in report.cases) and report.gradcheck in (None, "skipped")
    if bench and not right:  # the speed of a wrong answer means nothing
        report.timing = "not measured: it must be right first (see the failures above)"
    elif bench and config.cuda_simulator():
        report.timing = "not measured (CUDA simulator: timings mean nothing)"
    elif bench:
        _speed(spec, described, fn, device, report)
    if verbose:
        print(report, flush=True)
    return report
