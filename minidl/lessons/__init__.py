"""Support for the notebooks in ``lessons/``: exercise checkers, their solutions, measured
claims, and the runner behind ``minidl lessons``.

    from minidl.lessons import claim, show_solution
    from minidl.lessons.checks.lesson00 import check_sum_to_shape
"""

from .claims import claim
from .grading import Case, Result, grade
from .solutions import load_solution, show_solution

__all__ = ["Case", "Result", "claim", "grade", "load_solution", "show_solution"]
