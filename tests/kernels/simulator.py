"""Import GPU kernel modules on numba-cuda's CPU simulator, for the ``cudasim`` tests.

The simulator must be switched on before ``numba.cuda`` is first imported, hence a pytest
process of its own (``pytest -m cudasim``; tests/conftest.py sets it up there). In an
ordinary run that has already imported numba.cuda for real, the tests skip, saying why.
"""

from __future__ import annotations

import importlib
import os
import sys
from types import ModuleType

import pytest


def load_on_simulator(*module_names: str) -> tuple[ModuleType, ...]:
    import numba

    if "numba.cuda" in sys.modules and not numba.core.config.ENABLE_CUDASIM:
        pytest.skip("numba.cuda was imported without the simulator; run `pytest -m cudasim`")
    os.environ["NUMBA_ENABLE_CUDASIM"] = "1"
    numba.core.config.reload_config()
    return tuple(importlib.import_module(name) for name in module_names)
