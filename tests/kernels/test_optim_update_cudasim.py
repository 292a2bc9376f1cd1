"""Optimizer-update gpu kernels == reference, on numba-cuda's CPU simulator:
``pytest -m cudasim``.

The lab's cases run here except the two sized for the parallel CPU loop (hundreds of
thousands of simulated threads, minutes); the grid-stride loop is exercised instead by a
case with more elements than the grid has threads (`MAX_BLOCKS` lowered to 2).
"""

from __future__ import annotations

import numpy as np
import pytest
from simulator import load_on_simulator

from minidl.kernels.optim_update import reference
from minidl.kernels.optim_update.spec import SPECS
from minidl.kernels.spec import compare

pytestmark = pytest.mark.cudasim
LARGE = ("float32, large enough to run the parallel loop", "float64, parallel loop")


@pytest.fixture(scope="module")
def gpu():
    (gpu,) = load_on_simulator("minidl.kernels.optim_update.gpu")
    return gpu


@pytest.mark.parametrize(
    "kernel, case",
    [(k, c) for k in sorted(SPECS) for c in SPECS[k].cases if c.name not in LARGE],
    ids=lambda v: getattr(v, "name", v),
)
def test_gpu_equals_reference_on_the_lab_cases(gpu, kernel, case):
    want_args, _ = case.make(np.random.default_rng(0))
    args, _ = case.make(np.random.default_rng(0))
    want = getattr(reference, kernel)(*want_args)
    got = getattr(gpu, kernel)(*args)
    for name, g, w, i in zip(SPECS[kernel].outputs, got, want, SPECS[kernel].updates):
        assert g is args[i], f"{name} was not updated in place"
        assert compare(name, g, w, exact=False) is None


def test_the_grid_stride_loop_and_the_plain_sgd_step(gpu, monkeypatch):
    monkeypatch.setattr(gpu, "MAX_BLOCKS", 2)  # 256 threads for 1000 elements
    rng = np.random.default_rng(3)
    a = [rng.standard_normal(1000).astype(np.float32) for _ in range(4)]
    a[3] = np.abs(a[3])
    b = [x.copy() for x in a]
    hyper = (0.1, 0.9, 0.0, 0.01, True, False)
    want = reference.sgd_update(a[0], a[1], a[2], *hyper)
    got = gpu.sgd_update(b[0], b[1], b[2], *hyper)
    assert compare("param", got[0], want[0], exact=False) is None
    assert compare("momentum_buffer", got[1], want[1], exact=False) is None
    want = reference.sgd_update(a[0], a[1], None, 0.1, 0.0, 0.0, 0.01, False, False)
    got = gpu.sgd_update(b[0], b[1], None, 0.1, 0.0, 0.0, 0.01, False, False)
    assert got[1] is None and compare("param", got[0], want[0], exact=False) is None
    want = reference.adam_update(*a, 1e-3, 0.9, 0.999, 1e-8, 0.0, 3)
    got = gpu.adam_update(*b, 1e-3, 0.9, 0.999, 1e-8, 0.0, 3)
    for name, g, w in zip(SPECS["adam_update"].outputs, got, want):
        assert compare(name, g, w, exact=False) is None
