"""Lesson 08's exercises: each checker fails what the student starts from and passes the
solution, and every code block in the lesson's text compiles.

The code is read from the notebook itself (its cells are tagged in their metadata; the Winograd
solution is the ``python`` block of a ``<details>`` in the markdown), so these tests check what a
student sees. tests/test_lessons.py runs the whole notebook; this file checks its checkers.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

import minidl as md

NOTEBOOK = Path(__file__).resolve().parent.parent / "lessons" / "08_kernel_ladder.ipynb"
CELLS = nbformat.read(NOTEBOOK, as_version=4).cells
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def tagged(tag: str) -> str:
    """The source of the one cell tagged ``tag``."""
    found = [c.source for c in CELLS if tag in c.metadata.get("tags", [])]
    assert len(found) == 1, f"{NOTEBOOK.name}: {len(found)} cells tagged {tag!r}, expected one"
    return found[0]


def python_blocks(markdown: str) -> list[str]:
    return BLOCK.findall(markdown)


@pytest.fixture(scope="module")
def lesson(tmp_path_factory, request):
    """The names the lesson's setup cell defines, run in quick mode in a scratch directory."""
    monkeypatch = pytest.MonkeyPatch()
    request.addfinalizer(monkeypatch.undo)
    monkeypatch.setenv("MINIDL_QUICK", "1")
    monkeypatch.setenv("MPLBACKEND", "agg")
    monkeypatch.chdir(tmp_path_factory.mktemp("lesson08"))
    namespace: dict = {}
    exec(tagged("setup"), namespace)
    return namespace


def run(source: str, namespace: dict) -> dict:
    namespace = dict(namespace)
    exec(source, namespace)
    return namespace


def test_markdown_code_blocks_compile():
    blocks = [(i, b) for i, c in enumerate(CELLS) if c.cell_type == "markdown"
              for b in python_blocks(c.source)]  # fmt: skip
    assert blocks, "the lesson's solution should be a python block in its markdown"
    for i, block in blocks:
        compile(block, f"{NOTEBOOK.name}, markdown cell {i}", "exec")  # no dedent: as shown


def test_winograd_input_skeleton_fails_and_solution_passes(lesson):
    skeleton = run(tagged("exercise-winograd"), lesson)["my_winograd_input"]
    report = md.kernels.check("winograd_input", skeleton, bench=False, verbose=False)
    assert not report.ok
    assert all(error is not None for _, error in report.cases), "the skeleton fills nothing"

    (solution_source,) = python_blocks(tagged("solution-winograd"))
    solution = run(solution_source, lesson)["my_winograd_input"]
    report = md.kernels.check("winograd_input", solution, bench=False, verbose=False)
    assert report.ok, str(report)


@pytest.mark.slow
def test_max_pool_copy_broken_fails_and_two_pass_passes(lesson):
    """The copy as shipped passes, the ``>=`` tie rule fails, the two-pass version passes
    (with the gradcheck) and agrees with the reference on stride-1 windows of ties, NaN and -inf."""
    names = run(tagged("maxpool-find") + "\n" + tagged("maxpool-copy"), lesson)
    path = str(names["copy_path"])
    assert md.kernels.check("max_pool2d", path, gradcheck=False, bench=False, verbose=False).ok

    names = run(tagged("maxpool-break"), names)
    report = md.kernels.check("max_pool2d", path, gradcheck=False, bench=False, verbose=False)
    assert not report.ok
    assert any(error and error.startswith("indices") for _, error in report.cases)

    names = run(tagged("maxpool-fast"), names)
    report = md.kernels.check("max_pool2d", path, bench=False, verbose=False)
    assert report.ok, str(report)
    mine = md.lab.load_file(path).max_pool2d
    reference = md.kernels.shipped("max_pool2d", "reference")
    rng = np.random.default_rng(1)
    for KH, KW, PH, PW in [(3, 3, 1, 1), (5, 5, 2, 2), (2, 3, 1, 0), (1, 4, 0, 2)]:
        x = rng.integers(0, 3, (2, 3, 9, 10)).astype(np.float32)
        x[rng.random(x.shape) < 0.1] = np.nan
        x[rng.random(x.shape) < 0.2] = -np.inf
        (got, got_at), (want, want_at) = (f(x, KH, KW, 1, 1, PH, PW) for f in (mine, reference))
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(got_at, want_at)
