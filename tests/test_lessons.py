"""Every lesson notebook runs top to bottom in quick mode, and none is committed with outputs.

Each notebook runs in a fresh kernel of *this* interpreter (so the minidl under test is the
one it imports), in a temporary working directory, with ``MINIDL_QUICK=1`` (same code, less
data and fewer steps) and a time limit per cell. A failing cell fails the test with the
cell's source and traceback.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import nbclient
import nbformat
import pytest
from figure_checks import add_figure_checks, reported_problems

LESSONS = sorted((Path(__file__).resolve().parent.parent / "lessons").glob("*.ipynb"))
CELL_TIMEOUT_S = 300
KERNEL = "minidl-tests"


@pytest.fixture(scope="module")
def kernel_of_this_interpreter(tmp_path_factory):
    """A kernelspec that starts ``sys.executable`` (not whichever "python3" Jupyter finds)."""
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "minidl tests", "language": "python"})
    )
    return root


@pytest.mark.slow
@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_runs_in_quick_mode(path, kernel_of_this_interpreter, tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_PATH", str(kernel_of_this_interpreter))
    monkeypatch.setenv("MINIDL_QUICK", "1")
    monkeypatch.setenv("MPLBACKEND", "agg")
    notebook = add_figure_checks(nbformat.read(path, as_version=4))  # minidl.viz.geometry
    client = nbclient.NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name=KERNEL,
        resources={"metadata": {"path": str(tmp_path)}},  # the kernel's working directory
    )
    start = time.perf_counter()
    client.execute()
    print(f"{path.name}: {time.perf_counter() - start:.1f} s")
    problems = reported_problems(notebook)
    assert not problems, f"{path.name}: figures that hide or cut off data:\n" + "\n".join(problems)


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
