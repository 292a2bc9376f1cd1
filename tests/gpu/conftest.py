"""Fixtures of the GPU suite (``pytest -m gpu``), which runs only on a machine with a CUDA GPU.

Without a usable GPU every test here fails at setup with the reason (`minidl.cuda.why()`):
``pytest -m gpu`` asks for the GPU, so a machine that cannot run it must say so loudly rather
than report a green run of skipped tests. In an ordinary run (``-m 'not cudasim and not
gpu'``, the default) the tests are deselected before any fixture runs, and nothing here
imports CuPy or numba-cuda.

``tests/ops`` goes on ``sys.path`` so that the GPU tests reuse the op tables (`OpCase`) of
the CPU suite instead of copying them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

OPS_TESTS = str(Path(__file__).resolve().parent.parent / "ops")
if OPS_TESTS not in sys.path:
    sys.path.insert(0, OPS_TESTS)


@pytest.fixture(scope="session", autouse=True)
def cuda_device() -> str:
    """ "cuda" when CuPy, a driver, a device and numba-cuda answer; otherwise a failure."""
    from minidl import backend

    ok, why = backend.gpu_status()
    if not ok:
        pytest.fail(
            f"pytest -m gpu needs a usable CUDA GPU, and this machine has none: {why}",
            pytrace=False,
        )
    return "cuda"
