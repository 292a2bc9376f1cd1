"""What an exercise's checker does: run the student's code on cases, answer at once.

A checker is a function of the student's function(s). It builds its cases (inputs and the
expected answer, usually from the library's own op), runs them in order and stops at the first
one that fails. Its `Result` shows itself as the last line of a notebook cell::

    check_sum_to_shape(my_sum_to_shape)
    # PASS  sum_to_shape: 6 cases
    # FAIL  sum_to_shape, case 2 of 6: grad (2, 3) onto shape (3,)
    #       expected shape (3,): [2. 2. 2.]
    #       got      shape (2, 3): [[1. 1. 1.] [1. 1. 1.]]
    #       hint: a broadcast dimension is summed over, not dropped

Writing a checker::

    def check_sum_to_shape(fn):
        cases = [Case("grad (2, 3) onto shape (3,)", lambda f: f(np.ones((2, 3)), (3,)),
                      expected=np.full(3, 2.0), hint="...")]
        return grade("sum_to_shape", fn, cases)

``expected`` may be a callable of no arguments, computed only when the case runs.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Case:
    """One input of an exercise: ``run(student_fn)`` gives the answer compared with ``expected``.

    ``check`` replaces the comparison when an answer is not one array (it returns None when the
    answer is right, else what is wrong). ``rtol``/``atol`` are for float arrays.
    """

    name: str
    run: Callable[[Any], Any]
    expected: Any = None
    hint: str = ""
    rtol: float = 1e-5
    atol: float = 1e-6
    check: Callable[[Any], str | None] | None = None


@dataclass
class Result:
    """What a checker answers: ``ok``, and the first failure's description (or "")."""

    exercise: str
    ok: bool
    cases: int
    failure: str = ""
    passed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        if self.ok:
            return f"PASS  {self.exercise}: {self.cases} cases"
        return f"FAIL  {self.exercise}, {self.failure}"


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray | np.generic) or hasattr(value, "numpy"):
        array = np.asarray(value.numpy() if hasattr(value, "numpy") else value)
        text = np.array2string(array, precision=4, threshold=12, edgeitems=2)
        return f"shape {array.shape}, {array.dtype}: {' '.join(text.split())}"
    text = repr(value)
    return text if len(text) < 200 else text[:197] + "..."


def _as_arrays(value: Any) -> list[np.ndarray] | None:
    if isinstance(value, tuple | list):
        parts = [_as_arrays(v) for v in value]
        return None if any(p is None for p in parts) else [a for p in parts for a in p]
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray | np.generic):
        value = value.numpy()
    if isinstance(value, np.ndarray | np.generic | int | float | bool):
        return [np.asarray(value)]
    return None


def compare(got: Any, expected: Any, rtol: float, atol: float) -> str | None:
    """None when ``got`` matches ``expected`` (arrays, scalars, tuples of them, or ==),
    else a sentence saying how they differ."""
    want, have = _as_arrays(expected), _as_arrays(got)
    if want is None:
        if got == expected:
            return None
        return f"expected {_describe(expected)}\ngot      {_describe(got)}"
    if have is None:
        return f"expected {_describe(expected)}\ngot      {_describe(got)} (not an array)"
    if len(want) != len(have):
        return f"expected {len(want)} outputs, got {len(have)}"
    for i, (w, h) in enumerate(zip(want, have)):
        which = f"output {i}: " if len(want) > 1 else ""
        if w.shape != h.shape:
            return f"{which}expected shape {w.shape}, got shape {h.shape}"
        exact = w.dtype.kind in "biu"
        if exact and not np.array_equal(w, h):
            bad = tuple(int(i) for i in np.argwhere(w != h)[0])
            return (f"{which}first difference at index {bad}: expected {w[bad]}, got {h[bad]}\n"
                    f"expected {_describe(w)}\ngot      {_describe(h)}")  # fmt: skip
        if not exact:
            with np.errstate(invalid="ignore"):
                close = np.isclose(h.astype(np.float64), w.astype(np.float64), rtol, atol, True)
            if not close.all():
                bad = tuple(int(i) for i in np.argwhere(~close)[0])
                first = f"first difference at index {bad}: expected {w[bad]:.6g}, got {h[bad]:.6g}"
                return f"{which}{first}\nexpected {_describe(w)}\ngot      {_describe(h)}"
    return None


def _raised(error: BaseException) -> str:
    if isinstance(error, NotImplementedError):
        return "not written yet (it raises NotImplementedError): replace the `raise` with your code"
    frame = traceback.extract_tb(error.__traceback__)[-1]
    return f"raised {type(error).__name__}: {error}\n  at {frame.filename}:{frame.lineno}"


def grade(exercise: str, fn: Any, cases: Sequence[Case]) -> Result:
    """Run ``cases`` on ``fn`` in order; the first failing one is the answer."""
    passed = []
    for number, case in enumerate(cases, 1):
        try:
            got = case.run(fn)
            expected = case.expected() if callable(case.expected) else case.expected
            wrong = case.check(got) if case.check else compare(got, expected, case.rtol, case.atol)
        except Exception as error:  # the student's code may raise anything; say what and where
            wrong = _raised(error)
        if wrong is not None:
            hint = f"\nhint: {case.hint}" if case.hint else ""
            text = f"case {number} of {len(cases)}: {case.name}\n{wrong}{hint}"
            failure = text.replace("\n", "\n      ")
            return Result(exercise, False, len(cases), failure, passed)
        passed.append(case.name)
    return Result(exercise, True, len(cases), "", passed)


def lab(exercise: str, kernel: str, fn: Any, gradcheck: bool = True) -> Result:
    """The kernel lab's verdict on ``fn`` as a kernel ``kernel`` (``md.kernels.check`` without
    the timing): its cases against the reference, then the gradchecks of the ops that use it."""
    from ..lab import check

    report = check(kernel, fn, gradcheck=gradcheck, bench=False, verbose=False)
    total = len(report.cases) + (1 if gradcheck else 0)
    passed = []
    for number, (name, error) in enumerate(report.cases, 1):
        if error is not None:
            text = f"case {number} of {total}: {name}\n{error}"
            hint = "\nhint: compare with the reference: md.kernels.shipped(" + repr(kernel)
            hint += ', "reference")'
            return Result(exercise, False, total, (text + hint).replace("\n", "\n      "), passed)
        passed.append(name)
    if gradcheck and report.gradcheck not in (None, "skipped"):
        text = f"case {total} of {total}: gradcheck of {report.ops} with it plugged in\n"
        text += str(report.gradcheck)
        return Result(exercise, False, total, text.replace("\n", "\n      "), passed)
    return Result(exercise, True, total, "", passed)
