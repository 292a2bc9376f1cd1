"""The exercises' checkers, one module per lesson (``lesson00.py`` ...).

Each ``check_NAME(student_fn, ...)`` builds its own cases (the expected answers come from
minidl's own ops, or from a readable formula), runs them with `minidl.lessons.grading.grade`
and returns a `Result` that a notebook shows as PASS or as the first failing case with a hint.
"""
