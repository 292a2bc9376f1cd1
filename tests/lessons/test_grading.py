"""The lessons' framework: checkers answer with the first failing case, claims never pass in
quick mode what needs full mode, and the runner fails a notebook whose claim FAILs."""

from __future__ import annotations

import nbformat
import numpy as np
import pytest
from IPython.core.formatters import DisplayFormatter

from minidl.lessons import Case, claim, grade, show_solution
from minidl.lessons.claims import read_log
from minidl.lessons.run import LessonRun, execute, find

CASES = [
    Case("(2, 3) onto (3,)", lambda f: f(np.ones((2, 3)), (3,)), np.full(3, 2.0), hint="sum"),
    Case("(4, 1) onto (1,)", lambda f: f(np.ones((4, 1)), (1,)), lambda: np.full(1, 4.0)),
]


def test_grade_passes_a_right_answer_and_counts_cases():
    result = grade("sum_to_shape", lambda g, s: g.reshape(-1, *s).sum(0), CASES)
    assert result.ok and result.cases == 2 and repr(result) == "PASS  sum_to_shape: 2 cases"


def test_grade_stops_at_the_first_failing_case_with_expected_got_and_hint():
    def wrong(g, shape):
        return g if g.shape[0] == 4 else g.sum(0) + np.array([0.0, 0.0, 1.0])

    result = grade("sum_to_shape", wrong, CASES)
    assert not result.ok and not result.passed
    text = repr(result)
    assert "case 1 of 2: (2, 3) onto (3,)" in text and "index (2,)" in text
    assert "expected 2, got 3" in text and "hint: sum" in text


def test_grade_says_not_written_yet_and_reports_other_errors():
    def skeleton(g, shape):
        raise NotImplementedError

    assert "not written yet" in repr(grade("x", skeleton, CASES))
    assert "raised ZeroDivisionError" in repr(grade("x", lambda g, s: 1 / 0, CASES))
    shapes = repr(grade("x", lambda g, s: g, CASES))
    assert "expected shape (3,), got shape (2, 3)" in shapes


def test_integer_answers_are_compared_exactly_and_custom_checks_replace_compare():
    exact = [Case("indices", lambda f: f(), np.array([1, 2, 3]))]
    assert not grade("x", lambda: np.array([1, 2, 4]), exact).ok
    custom = [Case("even", lambda f: f(), check=lambda got: None if got % 2 == 0 else "odd")]
    assert grade("x", lambda: 4, custom).ok and "odd" in repr(grade("x", lambda: 3, custom))


def test_claims_print_record_and_never_pass_quick_what_needs_full(tmp_path, monkeypatch, capsys):
    log = tmp_path / "claims.jsonl"
    monkeypatch.setenv("MINIDL_CLAIMS_LOG", str(log))
    monkeypatch.setenv("MINIDL_QUICK", "1")
    assert claim("two is less than three", 2 < 3, "2 < 3").status == "PASS"
    assert claim("one is more than two", np.bool_(1 > 2)).status == "FAIL"
    assert claim("needs the whole data", True, needs_full=True).status == "NEEDS FULL MODE"
    monkeypatch.delenv("MINIDL_QUICK")
    assert claim("needs the whole data", False, needs_full=True).status == "FAIL"
    assert [c.status for c in read_log(str(log))] == ["PASS", "FAIL", "NEEDS FULL MODE", "FAIL"]
    assert "PASS  two is less than three (measured: 2 < 3)" in capsys.readouterr().out
    with pytest.raises(TypeError, match="claim"):
        claim("", True)


def test_show_solution_names_the_known_solutions_when_asked_for_an_unknown_one():
    with pytest.raises(ValueError, match="no solution named 'my_nothing'"):
        show_solution("my_nothing")


def test_find_picks_lessons_by_number_and_rejects_unknown_ones():
    assert [p.stem[:2] for p in find(["00", "03"])] == ["00", "03"]
    with pytest.raises(ValueError, match="no lesson '99'"):
        find(["99"])


@pytest.mark.slow
def test_the_runner_fails_a_notebook_whose_claim_fails(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("from minidl import config\nfrom minidl.lessons import claim"),
        nbformat.v4.new_code_cell("claim('quick mode is on', config.quick())"),
        nbformat.v4.new_code_cell("claim('one equals two', 1 == 2, '1 vs 2')"),
    ]
    path = tmp_path / "99_claims.ipynb"
    nbformat.write(notebook, path)
    run, _ = execute(path, full=False, workdir=tmp_path)
    assert isinstance(run, LessonRun) and not run.error
    assert [c.status for c in run.claims] == ["PASS", "FAIL"] and not run.ok
    run, _ = execute(path, full=True, workdir=tmp_path)
    assert [c.status for c in run.claims] == ["FAIL", "FAIL"]


def test_minidl_lessons_lists_the_exercises_and_rejects_unknown_lessons(capsys):
    from minidl.lessons.run import main

    assert main(["--list"]) == 0
    out = capsys.readouterr().out
    assert "00_autograd:" in out and "my_backward" in out
    with pytest.raises(SystemExit):
        main(["99"])
    assert "no lesson '99'" in capsys.readouterr().err


def test_a_cell_ending_in_claim_shows_the_verdict_once(capsys):
    record = claim("two is even", 2 % 2 == 0, "2 % 2 = 0")
    shown, _ = DisplayFormatter().format(record)  # a cell's last value, displayed
    assert capsys.readouterr().out.count("two is even") == 1
    assert shown == {}, f"the record is displayed a second time: {shown}"
