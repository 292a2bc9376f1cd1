"""Shared test fixtures.

``torch``: PyTorch, the test oracle. Tests that compare with it take the fixture; they are
skipped where torch is not installed, unless ``MINIDL_REQUIRE_TORCH=1`` (CI), where a missing
torch fails them instead of silently skipping the oracle. Session-scoped so that hypothesis
tests can use it too.
"""

from __future__ import annotations

import importlib
import os

import pytest


def require_torch():
    """The torch module, or a skip (a failure under MINIDL_REQUIRE_TORCH=1) without it."""
    if os.environ.get("MINIDL_REQUIRE_TORCH") == "1":
        return importlib.import_module("torch")  # ImportError fails the test
    return pytest.importorskip("torch")


@pytest.fixture(scope="session")
def torch():
    return require_torch()
