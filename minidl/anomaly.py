"""Anomaly mode: stop at the first op whose forward or backward makes a NaN or an Inf.

    with md.autograd.detect_anomaly():
        loss = model(x).log().mean()     # AnomalyError: Log forward produced -Inf ...
        loss.backward()                  #   created at train.py:12: loss = model(x).log()...

Inside the block every op records where it was created (the first frame outside minidl: a
file and line, or a notebook cell and line) and checks its outputs, and every backward checks
the gradients it returns. The op blamed is the first that turns finite inputs into non-finite
outputs; an op whose inputs already hold a NaN or an Inf passed them on and is not blamed (so
``-inf`` masks pass through). A backward anomaly also names where its forward op was created.

Off, it costs one flag test per op. On, each op walks the stack and scans its outputs; the
slowdown of a U-Net training step is measured by ``python benchmarks/bench_learner_tools.py``
(benchmarks/README.md has the figures).
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any

from . import backend

enabled = False
_PACKAGE = str(Path(__file__).resolve().parent)


class AnomalyError(RuntimeError):
    """A NaN or an Inf appeared in an op's output or gradient while anomaly mode was on."""


def is_anomaly_enabled() -> bool:
    return enabled


class set_detect_anomaly(contextlib.ContextDecorator):
    """Switch anomaly mode on or off now (``md.autograd.set_detect_anomaly(True)``); used in a
    ``with`` block or as a decorator, the previous mode comes back at its end. Reference:
    ``torch.autograd.set_detect_anomaly``."""

    def __init__(self, mode: bool) -> None:
        global enabled
        if not isinstance(mode, bool):
            raise TypeError(f"set_detect_anomaly: expected True or False, got {mode!r}")
        self.previous = enabled
        enabled = mode

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        global enabled
        enabled = self.previous


class detect_anomaly(contextlib.ContextDecorator):
    """Anomaly mode inside a ``with`` block or a decorated function (see the module's text).
    Reference: ``torch.autograd.detect_anomaly``."""

    def __enter__(self) -> None:
        global enabled
        self.previous, enabled = enabled, True

    def __exit__(self, *exc: object) -> None:
        global enabled
        enabled = self.previous


def creation_site() -> tuple[str, int, str]:
    """(file, line, function) of the innermost frame outside the minidl package."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
    if frame is None:
        return ("<minidl>", 0, "")
    return (frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name)


def describe_site(site: tuple[str, int, str] | None) -> str:
    """ "train.py:12 in step: loss = ..." or "notebook cell In[7], line 3: ..."."""
    if site is None:
        return "before anomaly mode was switched on (run the forward inside detect_anomaly too)"
    filename, line, function = site
    import linecache

    source = linecache.getline(filename, line).strip()
    cell = _notebook_cell(filename)
    where = f"notebook cell In[{cell}], line {line}" if cell is not None else f"{filename}:{line}"
    if cell is None and function not in ("<module>", ""):
        where += f" in {function}"
    return f"{where}: {source}" if source else where


def _notebook_cell(filename: str) -> int | None:
    """The execution count of the IPython cell compiled under ``filename``, if it is one."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    names = getattr(getattr(shell, "compile", None), "_filename_map", None)
    return names.get(filename) if isinstance(names, dict) else None


def _bad(array: Any) -> str | None:
    """ "NaN", "Inf" or "NaN and Inf" when a float array holds them, else None."""
    if array is None or getattr(array, "dtype", None) is None or array.dtype.kind not in "fc":
        return None
    xp = backend.array_module(array)
    if bool(xp.isfinite(array).all()):
        return None
    nan, inf = bool(xp.isnan(array).any()), bool(xp.isinf(array).any())
    return " and ".join(w for w, has in (("NaN", nan), ("Inf", inf)) if has)


def _shapes(arrays: Any) -> str:
    return ", ".join(
        f"{tuple(a.shape)} {a.dtype}" if hasattr(a, "shape") else type(a).__name__ for a in arrays
    )


def check_forward(op: str, inputs: list, outputs: tuple, site: tuple) -> None:
    """Raise `AnomalyError` if ``outputs`` hold NaN/Inf that finite ``inputs`` did not."""
    found = [(i, what) for i, o in enumerate(outputs) if (what := _bad(o))]
    if not found or any(_bad(a) for a in inputs):
        return
    i, what = found[0]
    raise AnomalyError(
        f"anomaly: {op} forward produced {what} in its output {i} (shape "
        f"{tuple(outputs[i].shape)}) from finite inputs ({_shapes(inputs)})\n"
        f"  created at {describe_site(site)}"
    )


def check_backward(node: Any, received: list, returned: tuple) -> None:
    """Raise `AnomalyError` if a backward turned finite gradients into NaN/Inf ones."""
    found = [(i, what) for i, g in enumerate(returned) if (what := _bad(g))]
    if not found or any(_bad(g) for g in received):
        return
    i, what = found[0]
    op = node.fn.__name__
    raise AnomalyError(
        f"anomaly: {op}Backward produced {what} in the gradient of its input {i} (shape "
        f"{tuple(returned[i].shape)}) from finite output gradients ({_shapes(received)})\n"
        f"  the forward {op} was created at {describe_site(node.__dict__.get('created_at'))}"
    )
