"""The kernel lab: check a kernel implementation (yours or a shipped one) in one call.

It sits above the ops: it runs their gradchecks with the kernel swapped in. ``check.py``
checks, ``speed.py`` times, ``pristine.py`` finds the shipped baseline, ``cli.py`` is
``minidl lab``. The edge cases are each family's ``minidl/kernels/<family>/spec.py``.
"""

from ..kernels.spec import Case, KernelSpec
from ..kernels.table import specs
from .check import Report, check, load_file
from .cli import check_all, main

__all__ = ["Case", "KernelSpec", "Report", "check", "check_all", "load_file", "main", "specs"]
