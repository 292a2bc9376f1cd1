"""`minidl.viz.geometry` inside the tests: on each figure a lesson cell leaves open (two cells
added around the notebook while tests/test_lessons.py executes it), and on each picture a
demo saves (`checking_savefig`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import nbformat
from matplotlib.figure import Figure

from minidl.viz.geometry import figure_problems

WATCH = "from minidl.viz.geometry import watch_figures\n_figure_problems = watch_figures()"
REPORT = "import json\nprint(json.dumps(_figure_problems))"


def add_figure_checks(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook with a first cell that starts checking figures and a last that reports."""
    notebook.cells.insert(0, nbformat.v4.new_code_cell(WATCH))
    notebook.cells.append(nbformat.v4.new_code_cell(REPORT))
    return notebook


def reported_problems(notebook: nbformat.NotebookNode) -> list[str]:
    """What the last cell printed, after `add_figure_checks` and execution.

    The cell numbers in it count code cells of the lesson itself, from 1 (the first added
    cell is cell 1 of the kernel, so a lesson's code cell N runs as N + 1).
    """
    printed = "".join(o.get("text", "") for o in notebook.cells[-1].outputs)
    problems = json.loads(printed)
    return [_renumber(p) for p in problems]


def _renumber(problem: str) -> str:
    head, _, rest = problem.partition(",")
    if head.startswith("cell ") and head[5:].isdigit():
        return f"code cell {int(head[5:]) - 1},{rest}"
    return problem


@contextmanager
def checking_savefig(problems: list[str], saved: list[str]) -> Iterator[None]:
    """While active, every ``Figure.savefig`` first appends the figure's problems (as
    "NAME.png: ...") to ``problems`` and its file name to ``saved``."""
    original = Figure.savefig

    def savefig(fig: Figure, fname, *args, **kwargs):
        name = Path(str(fname)).name
        tight = kwargs.get("bbox_inches") == "tight"
        problems.extend(f"{name}: {p}" for p in figure_problems(fig, tight=tight))
        saved.append(name)
        return original(fig, fname, *args, **kwargs)

    Figure.savefig = savefig
    try:
        yield
    finally:
        Figure.savefig = original
