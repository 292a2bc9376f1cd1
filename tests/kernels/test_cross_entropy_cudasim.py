"""Cross-entropy gpu kernels == reference, on numba-cuda's CPU simulator:
``pytest -m cudasim``.

The lab's cases run here except the two sized for the parallel CPU loop (hundreds of
thousands of simulated threads, minutes); the grid-stride loop is exercised instead by a
case with more positions than the grid has threads (`MAX_BLOCKS` lowered to 2).
"""

from __future__ import annotations

import numpy as np
import pytest
from simulator import load_on_simulator

from minidl.kernels.cross_entropy import reference
from minidl.kernels.cross_entropy.spec import SPECS
from minidl.kernels.spec import compare

pytestmark = pytest.mark.cudasim
LARGE = ("float32, large enough to run the parallel loop", "float64, parallel loop")


@pytest.fixture(scope="module")
def gpu():
    (gpu,) = load_on_simulator("minidl.kernels.cross_entropy.gpu")
    return gpu


@pytest.mark.parametrize(
    "kernel, case",
    [(k, c) for k in sorted(SPECS) for c in SPECS[k].cases if c.name not in LARGE],
    ids=lambda v: getattr(v, "name", v),
)
def test_gpu_equals_reference_on_the_lab_cases(gpu, kernel, case):
    args, _ = case.make(np.random.default_rng(0))
    want = getattr(reference, kernel)(*args)
    got = getattr(gpu, kernel)(*args)
    want, got = (want, got) if isinstance(want, tuple) else ((want,), (got,))
    spec = SPECS[kernel]
    for name, g, w, exact in zip(spec.outputs, got, want, spec.exact):
        assert compare(name, g, w, exact) is None


def test_the_grid_stride_loop_covers_more_positions_than_threads(gpu, monkeypatch):
    monkeypatch.setattr(gpu, "MAX_BLOCKS", 2)  # 256 threads for 600 positions, 1800 elements
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 300)).astype(np.float32)
    target = rng.integers(0, 3, (2, 300))
    w = rng.uniform(0, 2, (2, 300)).astype(np.float32)
    want = reference.cross_entropy_forward(x, target, w)
    got = gpu.cross_entropy_forward(x, target, w)
    for name, g, v in zip(SPECS["cross_entropy_forward"].outputs, got, want):
        assert compare(name, g, v, exact=False) is None
    coef = rng.standard_normal((2, 300)).astype(np.float32)
    dx = gpu.cross_entropy_backward(want[1], target, coef)
    want_dx = reference.cross_entropy_backward(want[1], target, coef)
    assert compare("dx", dx, want_dx, exact=False) is None
