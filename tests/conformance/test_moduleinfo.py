"""PyTorch's ModuleInfo samples, one test per layer minidl.nn exports (see `moduleinfo`):
outputs, buffers after the forward and gradients of inputs and parameters, in train mode
(and eval mode where it differs). Clear refusals are allowed and printed (``pytest -rP``).
"""

from __future__ import annotations

import os

import pytest
from conftest import require_torch

require_torch()  # skips this module without torch; fails it under MINIDL_REQUIRE_TORCH=1
if os.environ.get("MINIDL_REQUIRE_TORCH") != "1":
    pytest.importorskip("expecttest", reason="torch.testing._internal needs expecttest")

from .harness import verdict  # noqa: E402
from .moduleinfo import results, rows  # noqa: E402


@pytest.mark.parametrize("key", [r.key for r in rows()])
def test_layer_matches_pytorch_samples(key):
    failure = verdict(key, results(key))
    if failure:
        pytest.fail(failure, pytrace=False)
