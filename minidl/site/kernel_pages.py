"""The site's kernel pages: each kernel family's files, as they are, one page per family.

A family is a folder ``minidl/kernels/<family>/`` holding ``reference.py`` (the readable
spec), ``cpu.py`` (Numba), ``gpu.py`` (numba-cuda, where there is one) and the lab's
``spec.py``. The page shows the family's docstring and then each file's source with line
numbers (the lines ``minidl lab list`` points at), so an op's docstring links to the loop
that computes it: docstring, family page, function.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

from .files import write_if_changed

ORDER = ("reference.py", "cpu.py", "gpu.py", "spec.py")
WHAT = {
    "reference.py": "the readable NumPy reference: the spec and the test oracle",
    "cpu.py": "the Numba CPU kernels",
    "gpu.py": "the numba-cuda GPU kernels (launched on CuPy arrays)",
    "spec.py": "the lab's edge cases for these kernels",
}


def families(kernels: Path) -> dict[str, list[Path]]:
    """Each family folder under ``kernels`` (one with a reference.py) and its files in order."""
    found = {}
    for folder in sorted(p for p in kernels.iterdir() if (p / "reference.py").exists()):
        found[folder.name] = [folder / name for name in ORDER if (folder / name).exists()]
    return found


def label(family: str, file: str | None = None) -> str:
    """The reST label of a family's page, or of one of its files on it."""
    return f"kernel-{family}" + (f"-{Path(file).stem}" if file else "")


def linker(kernels: Path):
    """``link(path)``: a ``minidl/kernels/<family>/[file.py]`` path as a reference to its
    page (or to the file on it), or None for a path that is not a family's file."""
    known = families(kernels)

    def link(path: str) -> str | None:
        parts = path.rstrip("/").split("/")  # minidl, kernels, family[, file]
        family = parts[2] if len(parts) > 2 else ""
        if family not in known:
            return None
        file = parts[3] if len(parts) > 3 else None
        if file is not None and all(p.name != file for p in known[family]):
            return None
        return f":ref:`{path} <{label(family, file)}>`"

    return link


def _docstring(path: Path) -> str:
    return ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""


def write(root: Path, kernels: Path) -> list[Path]:
    """Write ``root/<family>.rst`` for every family and ``root/index.rst``; returns them."""
    written = []
    index = ["Kernel source", "=============", ""]
    index += [
        "Every kernel family's files as they are in this checkout. Change one, then check it "
        "with ``minidl lab check NAME`` (see :doc:`/lab`).",
        "",
        ".. toctree::",
        "   :maxdepth: 1",
        "",
    ]
    for family, files in families(kernels).items():
        index.append(f"   {family}")
        page = root / f"{family}.rst"
        title = f"minidl/kernels/{family}/"
        lines = [f".. _{label(family)}:", "", title, "=" * len(title), ""]
        init = kernels / family / "__init__.py"
        summary = _docstring(init) if init.exists() else ""
        if summary:
            lines += ["::", "", *("   " + line for line in summary.splitlines()), ""]
        for file in files:
            rel = os.path.relpath(file, page.parent)
            heading = file.name
            lines += [f".. _{label(family, file.name)}:", "", heading, "-" * len(heading), ""]
            lines += [f"``minidl/kernels/{family}/{file.name}``: {WHAT[file.name]}.", ""]
            lines += [f".. literalinclude:: {rel}", "   :language: python", "   :linenos:", ""]
        write_if_changed(page, "\n".join(lines) + "\n")
        written.append(page)
    page = root / "index.rst"
    write_if_changed(page, "\n".join(index) + "\n")
    written.append(page)
    for old in root.glob("*.rst"):  # a family that is gone
        if old not in written:
            old.unlink()
    return written
