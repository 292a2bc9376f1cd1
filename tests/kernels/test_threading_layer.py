"""The threading layer minidl picks for Numba (kernels/_numba.py), checked in a fresh process:
the choice is made once per process, before the first parallel kernel."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

RUN = """
import numpy as np, numba
import minidl.nn.functional as F, minidl as md
x = md.tensor(np.ones((4, 16, 200, 200), np.float32))
F.max_pool2d(x, 2, return_indices=True)  # big enough for the parallel driver
print(numba.threading_layer())
"""


def _layer(env: dict[str, str]) -> str:
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_THREADING_LAYER"} | env
    done = subprocess.run(
        [sys.executable, "-c", RUN], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.skipif(
    not (sys.platform == "linux" and platform.machine() == "x86_64"),
    reason="tbb is a dependency of minidl only on Linux x86-64",
)
def test_tbb_is_the_layer_where_it_is_a_dependency():
    assert _layer({}) == "tbb"


def test_a_layer_the_user_sets_is_kept():
    assert _layer({"NUMBA_THREADING_LAYER": "workqueue"}) == "workqueue"
