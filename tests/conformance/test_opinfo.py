"""PyTorch's OpInfo samples, one test per op minidl exports (rows: see `opinfo`).

A test fails when any sample gives a wrong result or an unclear crash; samples minidl
refuses with a clear error are allowed and printed (``pytest -rP``). The whole table:
``python -m tests.conformance.report --failures``.
"""

from __future__ import annotations

import os

import pytest
from conftest import require_torch

require_torch()  # skips this module without torch; fails it under MINIDL_REQUIRE_TORCH=1
if os.environ.get("MINIDL_REQUIRE_TORCH") != "1":
    pytest.importorskip("expecttest", reason="torch.testing._internal needs expecttest")

from .harness import verdict  # noqa: E402
from .opinfo import results, rows  # noqa: E402


@pytest.mark.parametrize("key", [r.key for r in rows()])
def test_op_matches_pytorch_samples(key):
    failure = verdict(key, results(key))
    if failure:
        pytest.fail(failure, pytrace=False)
