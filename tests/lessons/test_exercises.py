"""Every lesson's exercises: the skeleton a student starts from fails its checker, and the
solution in ``minidl/lessons/solutions/`` passes it.

The code comes from the notebook itself, so these tests check what a student sees:

* cells tagged ``setup`` run first (imports and helpers; they must be cheap);
* a cell tagged ``exercise`` defines the skeleton (functions or classes that a student fills
  in) and ends with the checker's call, e.g. ``check_sum_to_shape(my_sum_to_shape)``;
* the lesson's solution module defines the same names. The test runs the cell (the checker
  must answer FAIL), puts the solution's objects in place of the skeleton's, and calls the
  checker again (it must answer PASS).

Lesson 08's exercises use the kernel lab and are tested in tests/test_lesson08.py.
"""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

from minidl.lessons import Result
from minidl.lessons.solutions import modules

ALL = sorted((Path(__file__).resolve().parents[2] / "lessons").glob("[0-9][0-9]_*.ipynb"))
LESSONS = [p for p in ALL if not p.stem.startswith("08")]  # 08: tests/test_lesson08.py
MIN_EXERCISES = 2


def tagged(notebook, tag: str) -> list[tuple[int, str]]:
    return [(i, c.source) for i, c in enumerate(notebook.cells)
            if c.cell_type == "code" and tag in c.metadata.get("tags", [])]  # fmt: skip


def exercises() -> list[tuple[Path, int]]:
    found = []
    for path in LESSONS:
        notebook = nbformat.read(path, as_version=4)
        found += [(path, i) for i, _ in tagged(notebook, "exercise")]
    return found


def defined_names(tree: ast.Module) -> list[str]:
    names = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.append(node.name)
    return names


@pytest.fixture(scope="module")
def setups(tmp_path_factory, request):
    """Each lesson's setup namespace, run once in quick mode in a scratch directory."""
    monkeypatch = pytest.MonkeyPatch()
    request.addfinalizer(monkeypatch.undo)
    monkeypatch.setenv("MINIDL_QUICK", "1")
    monkeypatch.setenv("MPLBACKEND", "agg")
    monkeypatch.chdir(tmp_path_factory.mktemp("exercises"))
    cache: dict[Path, dict] = {}

    def setup(path: Path) -> dict:
        if path not in cache:
            namespace: dict = {"__name__": "__lesson__"}
            notebook = nbformat.read(path, as_version=4)
            for i, source in tagged(notebook, "setup"):
                exec(compile(source, f"{path.name}, cell {i}", "exec"), namespace)
            cache[path] = namespace
        return dict(cache[path])

    return setup


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_has_exercises_and_a_setup(path):
    notebook = nbformat.read(path, as_version=4)
    assert tagged(notebook, "setup"), f"{path.name}: no code cell tagged 'setup'"
    found = tagged(notebook, "exercise")
    assert len(found) >= MIN_EXERCISES, (
        f"{path.name}: {len(found)} cells tagged 'exercise', expected at least {MIN_EXERCISES}"
    )


def test_solution_names_are_unique():
    seen: dict[str, str] = {}
    for lesson, module in modules().items():
        for name in vars(module):
            if name.startswith("my_"):
                assert name not in seen, f"{name}: a solution in lessons {seen[name]}, {lesson}"
                seen[name] = lesson


@pytest.mark.parametrize(
    "path, cell", exercises(), ids=[f"{p.stem[:2]}-cell{i}" for p, i in exercises()]
)
def test_skeleton_fails_and_solution_passes(path, cell, setups):
    notebook = nbformat.read(path, as_version=4)
    source = notebook.cells[cell].source
    where = f"{path.name}, cell {cell}"
    tree = ast.parse(source)
    last = tree.body[-1] if tree.body else None
    assert isinstance(last, ast.Expr) and isinstance(last.value, ast.Call), (
        f"{where}: an exercise cell ends with its checker's call, so the notebook shows the answer"
    )
    names = defined_names(tree)
    assert names, f"{where}: the exercise cell defines no function or class for the student"
    namespace = setups(path)
    body = ast.Module(body=tree.body[:-1], type_ignores=[])
    exec(compile(body, where, "exec"), namespace)
    call = compile(ast.Expression(last.value), where, "eval")

    skeleton = eval(call, namespace)
    assert isinstance(skeleton, Result), f"{where}: the checker returned {type(skeleton)}"
    assert not skeleton.ok, f"{where}: the unfilled skeleton passes its checker: {skeleton!r}"

    lesson = path.stem[:2]
    solution = modules().get(lesson)
    assert solution is not None, f"no minidl/lessons/solutions/lesson{lesson}.py"
    missing = [n for n in names if not hasattr(solution, n)]
    assert not missing, f"{where}: the solution module lesson{lesson}.py lacks {missing}"
    namespace.update({n: getattr(solution, n) for n in names})
    solved = eval(call, namespace)
    assert solved.ok, f"{where}: the solution fails its checker:\n{solved!r}"
