"""The profiler: where a training step's time goes, op by op.

    with md.profiler.profile() as prof:
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    print(prof.table())                      # the top ops by self time
    prof.export_chrome_trace("step.json")    # open in https://ui.perfetto.dev (offline file)

While a ``profile`` block is open, minidl records a timed range for every op's forward (each
`Function.apply`), every node's backward, every module call, ``backward()`` itself and every
optimizer ``step()``. Ranges nest (a module holds its ops), so each has a total time and a
self time (the total less its children's): the self times add up to the block's time, less
the Python between top-level ranges. Each op's range also says which kernels it called (as
``name:impl``, e.g. ``max_pool2d:cpu``) and, for conv2d, which algorithm ran.

Off, each of those places tests one module attribute. This module imports nothing from
minidl, so that the kernels (the bottom layer) can report to it.
"""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

current: Profile | None = None  # the innermost open profile block, or None


@dataclass
class Event:
    """One timed range: an op's forward or backward, a module call, backward(), a step()."""

    name: str
    kind: str  # "forward", "backward", "module", "engine", "optimizer"
    start_ns: int
    shapes: str = ""
    depth: int = 0
    end_ns: int = 0
    child_ns: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def total_ns(self) -> int:
        return self.end_ns - self.start_ns

    @property
    def self_ns(self) -> int:
        return self.total_ns - self.child_ns


def shapes_of(arrays: Any) -> str:
    """ "(4, 1, 188, 188), (16, 1, 3, 3)": the shapes of the arrays among ``arrays``."""
    return ", ".join(str(tuple(a.shape)) for a in arrays if hasattr(a, "shape"))


class Profile:
    """A ``with`` block that records `Event`s; see the module's text."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._stack: list[Event] = []
        self._pending: list[str] = []
        self._outer: Profile | None = None
        self.start_ns = self.end_ns = 0

    def __enter__(self) -> Profile:
        global current
        self._outer, current = current, self
        self.start_ns = time.perf_counter_ns()
        return self

    def __exit__(self, *exc: object) -> None:
        global current
        self.end_ns = time.perf_counter_ns()
        while self._stack:  # an exception left ranges open: close them at the exit
            self.end(self._stack[-1])
        current = self._outer

    # ---- recording (called by autograd, nn.Module, optim, kernels) -----------------------
    def begin(self, name: str, kind: str, shapes: str = "") -> Event:
        event = Event(name, kind, time.perf_counter_ns(), shapes, len(self._stack))
        if self._pending:
            event.notes, self._pending = self._pending, []
        self._stack.append(event)
        self.events.append(event)
        return event

    def end(self, event: Event) -> None:
        event.end_ns = time.perf_counter_ns()
        while self._stack and self._stack.pop() is not event:
            pass
        if self._stack:
            self._stack[-1].child_ns += event.total_ns

    def note(self, text: str, upcoming: bool = False) -> None:
        """Attach ``text`` to the innermost open range (or, ``upcoming``, to the next one)."""
        if upcoming or not self._stack:
            self._pending.append(text)
        elif text not in self._stack[-1].notes:
            self._stack[-1].notes.append(text)

    # ---- reading -------------------------------------------------------------------------
    @property
    def wall_ns(self) -> int:
        """The time from entering the block to leaving it (to now, while it is open)."""
        return (self.end_ns or time.perf_counter_ns()) - self.start_ns

    @property
    def total_ns(self) -> int:
        """The time inside recorded ranges: the sum of the top-level ranges."""
        return sum(e.total_ns for e in self.events if e.depth == 0)

    def summary(self) -> list[dict[str, Any]]:
        """One row per (kind, name): calls, total and self milliseconds, shapes, notes."""
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        shapes: dict[tuple[str, str], set] = defaultdict(set)
        for e in self.events:
            key = (e.kind, e.name)
            row = rows.setdefault(key, {"name": e.name, "kind": e.kind, "calls": 0,
                                        "total_ms": 0.0, "self_ms": 0.0, "notes": []})  # fmt: skip
            row["calls"] += 1
            row["total_ms"] += e.total_ns / 1e6
            row["self_ms"] += e.self_ns / 1e6
            row["notes"] += [n for n in e.notes if n not in row["notes"]]
            if e.shapes and len(shapes[key]) < 3:
                shapes[key].add(e.shapes)
        for key, row in rows.items():
            row["shapes"] = "; ".join(sorted(shapes[key]))
        return sorted(rows.values(), key=lambda r: -r["self_ms"])

    def table(self, top: int = 15, sort_by: str = "self_ms") -> str:
        """The ``top`` rows of `summary` by ``sort_by`` ("self_ms", "total_ms" or "calls")."""
        if sort_by not in ("self_ms", "total_ms", "calls"):
            raise ValueError(
                f"profile.table: sort_by must be 'self_ms', 'total_ms' or 'calls', got {sort_by!r}"
            )
        rows = sorted(self.summary(), key=lambda r: -r[sort_by])[:top]
        wall = self.wall_ns / 1e6
        lines = [f"{'op':<28}{'kind':<10}{'calls':>6}{'self ms':>10}{'self %':>8}"
                 f"{'total ms':>10}  kernels / algorithm; shapes"]  # fmt: skip
        for r in rows:
            share = 100 * r["self_ms"] / wall if wall else 0.0
            extra = ", ".join(r["notes"]) + ("; " if r["notes"] and r["shapes"] else "")
            extra += r["shapes"][:60]
            head = f"{r['name'][:27]:<28}{r['kind']:<10}{r['calls']:>6}"
            times = f"{r['self_ms']:>10.2f}{share:>7.1f}%{r['total_ms']:>10.2f}"
            lines.append(f"{head}{times}  {extra}")
        outside = wall - self.total_ns / 1e6
        lines.append(f"wall time {wall:.1f} ms; in recorded ranges {self.total_ns / 1e6:.1f} ms; "
                     f"outside them (Python between calls) {outside:.1f} ms")  # fmt: skip
        return "\n".join(lines)

    def export_chrome_trace(self, path: str | os.PathLike) -> Path:
        """Write the ranges as a Chrome trace (JSON): open it in Perfetto or chrome://tracing."""
        trace = [
            {
                "name": e.name,
                "cat": e.kind,
                "ph": "X",
                "ts": (e.start_ns - self.start_ns) / 1e3,
                "dur": e.total_ns / 1e3,
                "pid": os.getpid(),
                "tid": 0,
                "args": {"shapes": e.shapes, "notes": ", ".join(e.notes)},
            }
            for e in self.events
        ]
        path = Path(path)
        path.write_text(json.dumps({"traceEvents": trace, "displayTimeUnit": "ms"}))
        return path


def profile() -> Profile:
    """A profiling block: ``with md.profiler.profile() as prof: ...`` (see the module's text).
    Reference: ``torch.profiler.profile`` (minidl records CPU wall time only)."""
    return Profile()
