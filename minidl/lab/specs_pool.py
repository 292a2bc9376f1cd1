"""Lab specs for the pooling family (``minidl/kernels/pool/``): ``max_pool2d`` and
``max_unpool2d``.

Each geometry is (x_shape, (KH, KW, SH, SW, PH, PW)). Values are drawn from {0, 1, 2} in
most cases so that ties are everywhere: the first maximum must win, exactly as PyTorch.
"""

from __future__ import annotations

import numpy as np

from ..kernels.pool import reference
from .spec import Args, Case, KernelSpec, noncontiguous

GEOMETRIES = {
    "2x2, stride 2": ((2, 3, 8, 8), (2, 2, 2, 2, 0, 0)),
    "odd, non-square input and kernel": ((2, 2, 7, 9), (3, 2, 2, 1, 0, 0)),
    "padding counts as -inf": ((1, 2, 5, 6), (3, 3, 2, 2, 1, 1)),
    "stride > kernel (pixels skipped)": ((1, 2, 11, 10), (2, 2, 3, 4, 0, 0)),
    "overlapping windows (stride < kernel)": ((2, 2, 7, 7), (3, 3, 1, 1, 1, 1)),
    "window as large as the input": ((1, 3, 4, 5), (4, 5, 1, 1, 0, 0)),
}


def _ties(rng: np.random.Generator, shape: tuple[int, ...], dtype=np.float64) -> np.ndarray:
    return rng.integers(0, 3, shape).astype(dtype)


def _pool_case(name, x_shape, geometry, values=_ties, dtype=np.float64, strided=False) -> Case:
    def make(rng: np.random.Generator) -> Args:
        x = values(rng, x_shape, dtype)
        return (noncontiguous(x) if strided else x, *geometry), {}

    return Case(name, make)


def _negative(rng, shape, dtype=np.float64):  # a zero-padding bug would pick the padding
    return -1 - rng.random(shape).astype(dtype)


def _with_nans(rng, shape, dtype=np.float64):  # NaN must win, as in PyTorch
    x = _ties(rng, shape, dtype)
    x[rng.random(shape) < 0.15] = np.nan
    return x


def _all_minus_inf(rng, shape, dtype=np.float64):  # nothing beats -inf: the first real pixel
    return np.full(shape, -np.inf, dtype)


MAX_POOL_CASES = (
    *(_pool_case(name, *g) for name, g in GEOMETRIES.items()),
    _pool_case("all values negative, with padding", (2, 2, 6, 5), (3, 3, 2, 2, 1, 1), _negative),
    _pool_case("NaN propagates", (2, 2, 7, 6), (3, 3, 2, 2, 1, 1), _with_nans),
    _pool_case("all -inf: the first real pixel", (1, 2, 5, 5), (3, 3, 2, 2, 1, 1), _all_minus_inf),
    _pool_case("non-contiguous input", (2, 3, 7, 6), (2, 3, 2, 2, 1, 1), strided=True),
    _pool_case("float32", (2, 3, 9, 8), (3, 3, 2, 2, 1, 1), dtype=np.float32),
)


def _unpool_case(name, x_shape, geometry, extra=(0, 0), dtype=np.float64, strided=False) -> Case:
    """Unpool what max-pooling produced (overlapping windows repeat indices: they must add)."""

    def make(rng: np.random.Generator) -> Args:
        x = _ties(rng, x_shape, dtype) + rng.random(x_shape).astype(dtype)
        _, indices = reference.max_pool2d(x, *geometry)
        values = rng.standard_normal(indices.shape).astype(dtype)
        size = (x_shape[2] + extra[0], x_shape[3] + extra[1])
        return (noncontiguous(values) if strided else values, indices, *size), {}

    return Case(name, make)


def _random_indices(rng: np.random.Generator) -> Args:
    values = rng.standard_normal((2, 3, 4, 5))
    indices = rng.integers(0, 6 * 7, values.shape)  # many repeats, any order
    return (values, indices, 6, 7), {}


MAX_UNPOOL_CASES = (
    *(_unpool_case(name, *g) for name, g in GEOMETRIES.items()),
    _unpool_case("output larger than the pooled input", (2, 2, 7, 7), (2, 2, 2, 2, 0, 0), (1, 2)),
    _unpool_case("non-contiguous values", (2, 3, 8, 6), (2, 2, 2, 2, 0, 0), strided=True),
    _unpool_case("float32", (2, 3, 9, 8), (3, 3, 2, 2, 1, 1), dtype=np.float32),
    Case("random indices with repeats (they add up)", _random_indices),
)


def _gradcheck(device: str) -> None:
    """max_pool2d (forward: max_pool2d; backward: max_unpool2d) and max_unpool2d, on
    distinct values spaced far wider than the finite-difference step (no kinks crossed)."""
    import minidl as md
    import minidl.nn.functional as F

    rng = np.random.default_rng(0)
    x = md.tensor(rng.permutation(2 * 2 * 7 * 6).reshape(2, 2, 7, 6) * 0.1, device=device)
    x.requires_grad_(True)
    md.gradcheck(lambda x: F.max_pool2d(x, 3, 2, 1), [x])  # overlapping windows
    _, indices = F.max_pool2d(x, (3, 2), (2, 1), 1, return_indices=True)
    v = md.tensor(rng.standard_normal(indices.shape), requires_grad=True, device=device)
    md.gradcheck(lambda v: F.max_unpool2d(v, indices, (3, 2), (2, 1), 1, output_size=(7, 6)), [v])


def _bench_pool(rng: np.random.Generator) -> Args:
    return (rng.standard_normal((4, 16, 184, 184)).astype(np.float32), 2, 2, 2, 2, 0, 0), {}


def _bench_unpool(rng: np.random.Generator) -> Args:
    x = rng.standard_normal((4, 16, 184, 184)).astype(np.float32)
    out, indices = reference.max_pool2d(x, 2, 2, 2, 2, 0, 0)
    return (out, indices, 184, 184), {}


SPECS = {
    "max_pool2d": KernelSpec(
        kernel="max_pool2d",
        outputs=("out", "indices"),
        exact=(True, True),  # a maximum is picked, not computed
        cases=MAX_POOL_CASES,
        gradcheck=_gradcheck,
        ops="max_pool2d, max_unpool2d",
        bench=Case("x (4, 16, 184, 184), 2x2, stride 2", _bench_pool),
    ),
    "max_unpool2d": KernelSpec(
        kernel="max_unpool2d",
        outputs=("out",),
        exact=(False,),  # repeated indices add up, in any order
        cases=MAX_UNPOOL_CASES,
        gradcheck=_gradcheck,
        ops="max_pool2d, max_unpool2d",
        bench=Case("x (4, 16, 92, 92) into (184, 184)", _bench_unpool),
    ),
}
