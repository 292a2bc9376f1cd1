"""The kernel lab: check a kernel implementation (yours or a shipped one) in one call.

It sits above ``minidl.ops`` because it runs gradchecks of the ops with the kernel swapped
in; ``minidl.kernels.check`` imports it lazily. See ``check.py`` and ``spec.py``.
"""

from .check import FAMILIES, Report, check, check_all, specs
from .spec import Case, KernelSpec

__all__ = ["FAMILIES", "Case", "KernelSpec", "Report", "check", "check_all", "specs"]
