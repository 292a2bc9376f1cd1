"""The kernels as a student looks them up: ``print(md.kernels.table())`` (``minidl lab list``).

Each row: the kernel, the file and line of each implementation, how many edge cases its lab
spec has, and the ops that call it. The specs are the ``spec.py`` of each family folder.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from .registry import FOLDER, IMPLS, KERNELS
from .spec import KernelSpec


def specs() -> dict[str, KernelSpec]:
    """Every kernel's lab spec, by kernel name, from the ``spec.py`` of each family folder."""
    table: dict[str, KernelSpec] = {}
    for family in sorted({k.family for k in KERNELS.values()}):
        if (FOLDER / family / "spec.py").is_file():
            table.update(importlib.import_module(f"minidl.kernels.{family}.spec").SPECS)
    missing = sorted(set(KERNELS) - set(table))
    if missing:
        raise ValueError(f"kernels: no lab spec for {missing}; add it to their spec.py")
    return table


@dataclass
class KernelTable:
    rows: list[tuple[str, str, str, str]]  # kernel, files, cases, ops

    def __repr__(self) -> str:
        widths = [max(len(row[i]) for row in self.rows) for i in range(2)]
        lines = []
        for name, files, cases, ops in self.rows:
            lines.append(f"{name:<{widths[0]}}  {files:<{widths[1]}}  {cases}; ops: {ops}")
        return "\n".join(lines)


def table() -> KernelTable:
    """Every kernel: its implementations (file:line), its spec's cases, the ops calling it."""
    spec_of = specs()
    rows = []
    for name, kernel in sorted(KERNELS.items(), key=lambda item: (item[1].family, item[0])):
        files = f"{kernel.family}/" + " ".join(
            f"{impl}.py:{kernel.lines[impl]}" for impl in IMPLS if impl in kernel.modules
        )
        spec = spec_of[name]
        rows.append((name, files, f"{len(spec.cases)} cases", spec.ops))
    return KernelTable(rows)
