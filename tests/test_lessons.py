"""Every lesson notebook runs top to bottom in quick mode with no claim FAILed, and none is
committed with outputs.

Each notebook runs through ``minidl lessons``' runner (minidl/lessons/run.py): a fresh kernel of
*this* interpreter (so the minidl under test is the one it imports), a scratch working
directory, ``MINIDL_QUICK=1`` (same code, less data and fewer steps), a time limit per cell.
A failing cell fails the test with the cell's source and traceback; a claim that FAILs fails it
with the claim. ``pytest -m full tests/test_lessons.py`` runs the same in full mode (long; the
note of each session that changes a lesson gives the times).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from figure_checks import add_figure_checks, reported_problems

from minidl.lessons.run import execute

LESSONS = sorted((Path(__file__).resolve().parent.parent / "lessons").glob("*.ipynb"))
CELL_TIMEOUT_S = 300


def run_and_check(path: Path, tmp_path: Path, full: bool) -> None:
    run, notebook = execute(
        path, full=full, workdir=tmp_path, cell_timeout_s=CELL_TIMEOUT_S if not full else 1800,
        prepare=add_figure_checks,  # minidl.viz.geometry: figures that hide or cut off data
    )  # fmt: skip
    print(f"{path.name}: {run.seconds:.1f} s, {len(run.claims)} claims")
    assert not run.error, f"{path.name}:\n{run.error}"
    failed = [f"{c.statement} (measured: {c.measured})" for c in run.claims if c.status == "FAIL"]
    assert not failed, f"{path.name}: claims that FAILed:\n" + "\n".join(failed)
    if not full:
        pretend = [c.statement for c in run.claims if c.status not in ("PASS", "NEEDS FULL MODE")]
        assert not pretend, f"{path.name}: unknown claim statuses {pretend}"
    problems = reported_problems(notebook)
    assert not problems, f"{path.name}: figures that hide or cut off data:\n" + "\n".join(problems)


@pytest.mark.slow
@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_runs_in_quick_mode(path, tmp_path):
    run_and_check(path, tmp_path, full=False)


@pytest.mark.full
@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_runs_in_full_mode_and_its_claims_hold(path, tmp_path):
    run_and_check(path, tmp_path, full=True)


def test_lessons_are_committed_without_outputs():
    assert LESSONS, "no lessons/*.ipynb found"
    dirty = []
    for path in LESSONS:
        notebook = nbformat.read(path, as_version=4)
        for i, cell in enumerate(notebook.cells):
            if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None):
                dirty.append(f"{path.name} cell {i}")
    assert not dirty, (
        "notebooks must be committed without outputs (jupyter nbconvert --clear-output "
        "--inplace lessons/*.ipynb): " + ", ".join(dirty)
    )
