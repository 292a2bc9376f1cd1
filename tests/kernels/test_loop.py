"""Each Numba loop is written once (`minidl.kernels._numba.loop`) and compiled serial and
parallel from the same body; `minidl.config.parallel` picks one, and no twin drivers remain."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from minidl import config
from minidl.kernels._numba import loop, prange

KERNELS = Path(config.__file__).parent / "kernels"


@loop(min_work=100)
def _scale(x, out, a):
    for i in prange(x.shape[0]):
        out[i] = a * x[i]


def _compiled(dispatcher) -> int:
    return len(dispatcher.signatures)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_mode_picks_the_compiled_form(dtype):
    x = np.arange(10, dtype=dtype)
    out = np.empty_like(x)
    before = (_compiled(_scale.serial), _compiled(_scale.parallel))
    with config.parallel("parallel"):
        _scale(x.size, x, out, 2.0)  # small, but forced parallel
    assert (_compiled(_scale.serial), _compiled(_scale.parallel)) == (before[0], before[1] + 1)
    with config.parallel("serial"):
        _scale(10**9, x, out, 3.0)  # huge work, but forced serial
    assert _compiled(_scale.serial) == before[0] + 1
    np.testing.assert_array_equal(out, 3 * x)


def test_auto_follows_the_work(monkeypatch):
    x = np.arange(5.0)
    out = np.empty_like(x)
    calls = []
    monkeypatch.setattr(_scale, "serial", lambda *a: calls.append("serial"))
    monkeypatch.setattr(_scale, "parallel", lambda *a: calls.append("parallel"))
    _scale(99, x, out, 1.0)
    _scale(100, x, out, 1.0)
    assert calls == ["serial", "parallel"]


def test_bad_modes_are_refused(monkeypatch):
    with pytest.raises(ValueError, match="config.parallel: expected one of"):
        with config.parallel("fast"):
            pass
    monkeypatch.setenv("MINIDL_PARALLEL", "fast")
    with pytest.raises(ValueError, match="MINIDL_PARALLEL: expected one of"):
        config.parallel_mode()


def test_no_serial_parallel_twin_drivers_remain():
    twins = []
    for path in sorted(KERNELS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and node.name.endswith(("_serial", "_parallel")):
                twins.append(f"{path.relative_to(KERNELS)}:{node.lineno} {node.name}")
    assert not twins, twins
