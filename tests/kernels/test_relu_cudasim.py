"""ReLU gpu kernels == reference bit for bit, on numba-cuda's CPU simulator:
``pytest -m cudasim``.

The lab's cases run here except the two sized for the parallel CPU loop (300 000 elements
would be 130 000 simulated threads, minutes); the grid-stride loop is exercised instead by a
case with more elements than the grid has threads (`MAX_BLOCKS` lowered to 2).
"""

from __future__ import annotations

import numpy as np
import pytest
from simulator import load_on_simulator

from minidl.kernels.relu import reference
from minidl.kernels.relu.spec import SPECS
from minidl.kernels.spec import compare

pytestmark = pytest.mark.cudasim
LARGE = ("float32, large enough to run the parallel loop", "float64, parallel loop")


@pytest.fixture(scope="module")
def gpu():
    (gpu,) = load_on_simulator("minidl.kernels.relu.gpu")
    return gpu


@pytest.mark.parametrize(
    "kernel, case",
    [(k, c) for k in sorted(SPECS) for c in SPECS[k].cases if c.name not in LARGE],
    ids=lambda v: getattr(v, "name", v),
)
def test_gpu_equals_reference_on_the_lab_cases(gpu, kernel, case):
    args, kwargs = case.make(np.random.default_rng(0))
    want = getattr(reference, kernel)(*args)
    got = getattr(gpu, kernel)(*args, **kwargs)
    assert compare(kernel, got, want, exact=True) is None


def test_the_grid_stride_loop_covers_more_elements_than_threads(gpu, monkeypatch):
    monkeypatch.setattr(gpu, "MAX_BLOCKS", 2)  # 256 threads for 1000 elements
    rng = np.random.default_rng(3)
    x = rng.standard_normal(1000).astype(np.float32)
    out = gpu.relu(x)
    assert compare("relu", out, reference.relu(x), exact=True) is None
    g = rng.standard_normal(1000).astype(np.float32)
    got = gpu.relu_backward(g, out)
    assert compare("relu_backward", got, reference.relu_backward(g, out), exact=True) is None
