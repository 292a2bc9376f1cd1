"""Shared test fixtures.

``torch``: PyTorch, the test oracle. Tests that compare with it take the fixture; they are
skipped where torch is not installed, unless ``MINIDL_REQUIRE_TORCH=1`` (CI), where a missing
torch fails them instead of silently skipping the oracle. Session-scoped so that hypothesis
tests can use it too.

``-m cudasim`` switches on numba-cuda's simulator (``NUMBA_ENABLE_CUDASIM=1``) before any test
module imports numba. Hypothesis runs the "minidl" profile: no deadline (timings on a shared
2-core machine are noise), modest example counts, and derandomized when ``CI=true``.
"""

from __future__ import annotations

import importlib
import os
import re

import pytest
from hypothesis import settings


def require_torch():
    """The torch module, or a skip (a failure under MINIDL_REQUIRE_TORCH=1) without it."""
    if os.environ.get("MINIDL_REQUIRE_TORCH") == "1":
        return importlib.import_module("torch")  # ImportError fails the test
    return pytest.importorskip("torch")


@pytest.fixture(scope="session")
def torch():
    return require_torch()


def _selects_cudasim(markexpr: str) -> bool:
    """True for ``-m cudasim`` or ``-m "cudasim or gpu"``, False for ``not cudasim and ...``."""
    words = re.findall(r"\w+", markexpr)
    return any(w == "cudasim" and (i == 0 or words[i - 1] != "not") for i, w in enumerate(words))


def pytest_configure(config: pytest.Config) -> None:
    if _selects_cudasim(config.getoption("markexpr") or ""):
        os.environ["NUMBA_ENABLE_CUDASIM"] = "1"  # numba reads it once, when first imported


settings.register_profile("minidl", deadline=None, max_examples=30, print_blob=True)
settings.register_profile("minidl-ci", settings.get_profile("minidl"), derandomize=True)
settings.load_profile("minidl-ci" if os.environ.get("CI") == "true" else "minidl")
