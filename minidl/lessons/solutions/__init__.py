"""The exercises' solutions, one module per lesson (``lesson00.py`` ...), for "show me".

    md.lessons.show_solution("my_sum_to_shape")   # prints the solution's source
    md.lessons.load_solution("my_sum_to_shape")   # the solution itself, to run the checker on

A solution defines the same names as the exercise's skeleton cell, so that the tests can put
one in place of the other (tests/lessons/test_exercises.py). Try the exercise first.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType
from typing import Any


def modules() -> dict[str, ModuleType]:
    """Every lesson's solution module, by lesson number ("00", "01", ...)."""
    found = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("lesson"):
            found[info.name.removeprefix("lesson")] = importlib.import_module(
                f"{__name__}.{info.name}"
            )
    return found


def _find(name: str) -> tuple[str, Any]:
    if not isinstance(name, str):
        raise TypeError(f"show_solution: expected a name such as 'my_col2im', got {name!r}")
    owners = [(lesson, m) for lesson, m in modules().items() if name in vars(m)]
    if not owners:
        known = sorted(n for m in modules().values() for n in vars(m) if n.startswith("my_"))
        raise ValueError(f"show_solution: no solution named {name!r}; there are {known}")
    lesson, module = owners[0]
    return lesson, getattr(module, name)


def load_solution(name: str) -> Any:
    """The solution called ``name`` (a function or class of one of the solution modules)."""
    return _find(name)[1]


def show_solution(name: str) -> None:
    """Print the source of the solution called ``name``, and the file it is in."""
    lesson, value = _find(name)
    print(f"# minidl/lessons/solutions/lesson{lesson}.py\n{inspect.getsource(value)}")
