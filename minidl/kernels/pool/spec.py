"""Lab specs for the pooling family (``minidl/kernels/pool/``): ``max_pool2d``,
``max_pool2d_backward`` and ``max_unpool2d``.

Each geometry is (x_shape, (KH, KW, SH, SW, PH, PW)) or, with dilation and ceil_mode,
(x_shape, (KH, KW, SH, SW, PH, PW, DH, DW, ceil_mode)): the kernels get those extra arguments
only where a case uses them, as the ops pass them. Values are drawn from {0, 1, 2} in most
cases so that ties are everywhere: the first maximum must win, exactly as PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..spec import Args, Case, KernelSpec, noncontiguous
from . import reference

GEOMETRIES = {
    "2x2, stride 2": ((2, 3, 8, 8), (2, 2, 2, 2, 0, 0)),
    "odd, non-square input and kernel": ((2, 2, 7, 9), (3, 2, 2, 1, 0, 0)),
    "padding counts as -inf": ((1, 2, 5, 6), (3, 3, 2, 2, 1, 1)),
    "stride > kernel (pixels skipped)": ((1, 2, 11, 10), (2, 2, 3, 4, 0, 0)),
    "overlapping windows (stride < kernel)": ((2, 2, 7, 7), (3, 3, 1, 1, 1, 1)),
    "window as large as the input": ((1, 3, 4, 5), (4, 5, 1, 1, 0, 0)),
    "dilation 2 (taps skip pixels), padding": ((2, 2, 9, 8), (3, 3, 1, 1, 1, 1, 2, 2, False)),
    "dilation (1, 3), stride 2": ((1, 3, 7, 11), (2, 3, 2, 2, 1, 1, 1, 3, False)),
    "ceil_mode: 2x2 windows past an odd edge": ((2, 2, 7, 9), (2, 2, 2, 2, 0, 0, 1, 1, True)),
    "ceil_mode with padding, stride 3": ((1, 2, 8, 7), (3, 3, 3, 3, 1, 1, 1, 1, True)),
    "ceil_mode and dilation together": ((2, 2, 8, 9), (3, 2, 2, 3, 1, 1, 2, 2, True)),
}

# A dilated window may hold no real pixel: -inf, and an offset outside the plane (PyTorch's).
EMPTY_WINDOW = ((1, 2, 2, 3), (2, 2, 1, 1, 1, 1, 3, 3, False))


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
    _pool_case(
        "all negative, dilated, ceil_mode",
        (2, 2, 7, 6),
        (3, 3, 2, 2, 1, 1, 2, 2, True),
        _negative,
    ),
    _pool_case("NaN propagates", (2, 2, 7, 6), (3, 3, 2, 2, 1, 1), _with_nans),
    _pool_case(
        "NaN propagates, dilated", (2, 2, 7, 6), (3, 3, 2, 1, 1, 1, 2, 2, False), _with_nans
    ),
    _pool_case("all -inf: the first real pixel", (1, 2, 5, 5), (3, 3, 2, 2, 1, 1), _all_minus_inf),
    _pool_case(
        "all -inf, dilated: the first real tap",
        (1, 2, 6, 5),
        (3, 3, 1, 2, 1, 1, 2, 2, True),
        _all_minus_inf,
    ),
    _pool_case("a dilated window without a real pixel", *EMPTY_WINDOW),
    _pool_case("non-contiguous input", (2, 3, 7, 6), (2, 3, 2, 2, 1, 1), strided=True),
    _pool_case("float32", (2, 3, 9, 8), (3, 3, 2, 2, 1, 1), dtype=np.float32),
    _pool_case("float32, dilated", (2, 3, 9, 8), (3, 2, 2, 2, 1, 1, 2, 3, False), dtype=np.float32),
)


def _pooled(rng, x_shape, geometry, dtype):
    """Indices of a max-pool of distinct values (overlapping windows repeat indices)."""
    x = _ties(rng, x_shape, dtype) + rng.random(x_shape).astype(dtype)
    return reference.max_pool2d(x, *geometry)


def _backward_case(name, x_shape, geometry, dtype=np.float64, strided=False) -> Case:
    """Send gradients back to what max-pooling picked; repeated indices must add up."""

    def make(rng: np.random.Generator) -> Args:
        _, indices = _pooled(rng, x_shape, geometry, dtype)
        dout = rng.standard_normal(indices.shape).astype(dtype)
        return (noncontiguous(dout) if strided else dout, indices, *x_shape[2:]), {}

    return Case(name, make)


def _unpool_case(name, x_shape, geometry, extra=(0, 0), dtype=np.float64, strided=False) -> Case:
    """Unpool the pooled values themselves: where overlapping windows picked one pixel, its
    value must come back once (written, not summed)."""

    def make(rng: np.random.Generator) -> Args:
        out, indices = _pooled(rng, x_shape, geometry, dtype)
        size = (x_shape[2] + extra[0], x_shape[3] + extra[1])
        return (noncontiguous(out) if strided else out, indices, *size), {}

    return Case(name, make)


def _random_indices(rng: np.random.Generator) -> Args:
    """Different values sent to one place: the last in row-major order must stay."""
    values = rng.standard_normal((2, 3, 4, 5))
    indices = rng.integers(0, 6 * 7, values.shape)  # many repeats, any order
    return (values, indices, 6, 7), {}


def _random_gradients(rng: np.random.Generator) -> Args:
    dout = rng.standard_normal((2, 3, 4, 5))
    return (dout, rng.integers(0, 6 * 7, dout.shape), 6, 7), {}  # repeats must all add up


MAX_POOL_BACKWARD_CASES = (
    *(_backward_case(name, *g) for name, g in GEOMETRIES.items()),
    _backward_case("a window without a real pixel sends nothing", *EMPTY_WINDOW),
    _backward_case("non-contiguous gradient", (2, 3, 8, 6), (3, 3, 2, 2, 1, 1), strided=True),
    _backward_case("float32", (2, 3, 9, 8), (3, 3, 2, 2, 1, 1), dtype=np.float32),
    Case("random indices with repeats (they add up)", _random_gradients),
)

MAX_UNPOOL_CASES = (
    *(_unpool_case(name, *g) for name, g in GEOMETRIES.items()),
    _unpool_case("output larger than the pooled input", (2, 2, 7, 7), (2, 2, 2, 2, 0, 0), (1, 2)),
    _unpool_case("non-contiguous values", (2, 3, 8, 6), (2, 2, 2, 2, 0, 0), strided=True),
    _unpool_case("float32", (2, 3, 9, 8), (3, 3, 2, 2, 1, 1), dtype=np.float32),
    Case("different values sent to one place (the last stays)", _random_indices),
)


def _gradcheck(md: Any, device: str) -> None:
    """max_pool2d (forward: max_pool2d; backward: max_pool2d_backward), with and without
    dilation and ceil_mode, and max_unpool2d, on distinct values spaced far wider than the
    finite-difference step (no kinks crossed)."""
    F = md.nn.functional

    rng = np.random.default_rng(0)
    x = md.tensor(rng.permutation(2 * 2 * 7 * 6).reshape(2, 2, 7, 6) * 0.1, device=device)
    x.requires_grad_(True)
    md.gradcheck(lambda x: F.max_pool2d(x, 3, 2, 1), [x])  # overlapping windows
    md.gradcheck(lambda x: F.max_pool2d(x, (3, 2), (2, 1), 1, (2, 3), ceil_mode=True), [x])
    # Windows that do not overlap: no index repeats, so the gather is the exact adjoint.
    _, indices = F.max_pool2d(x, (3, 2), (3, 2), 1, return_indices=True)
    v = md.tensor(rng.standard_normal(indices.shape), requires_grad=True, device=device)
    md.gradcheck(lambda v: F.max_unpool2d(v, indices, (3, 2), (3, 2), 1, output_size=(7, 6)), [v])


def _bench_pool(rng: np.random.Generator) -> Args:
    return (rng.standard_normal((4, 16, 184, 184)).astype(np.float32), 2, 2, 2, 2, 0, 0), {}


def _bench_scatter(rng: np.random.Generator) -> Args:
    x = rng.standard_normal((4, 16, 184, 184)).astype(np.float32)
    out, indices = reference.max_pool2d(x, 2, 2, 2, 2, 0, 0)
    return (out, indices, 184, 184), {}


def _torch_pool(torch: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    x, KH, KW, SH, SW, PH, PW, *extra = args
    DH, DW, ceil_mode = extra or (1, 1, False)
    tx, pool = torch.from_numpy(x), torch.nn.functional.max_pool2d
    return lambda: pool(tx, (KH, KW), (SH, SW), (PH, PW), (DH, DW), ceil_mode, True)


def _torch_scatter(torch: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The same scatter in PyTorch: ``scatter_add_`` of each plane's values at its offsets."""
    values, indices, H, W = args
    N, C = values.shape[:2]
    tv = torch.from_numpy(values).reshape(N * C, -1)
    ti = torch.from_numpy(indices).reshape(N * C, -1)
    return lambda: torch.zeros(N * C, H * W, dtype=tv.dtype).scatter_add_(1, ti, tv)


def _torch_unpool(torch: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    values, indices, OH, OW = args
    tv, ti = torch.from_numpy(values), torch.from_numpy(indices)
    return lambda: torch.nn.functional.max_unpool2d(tv, ti, 2, output_size=(OH, OW))


SPECS = {
    "max_pool2d": KernelSpec(
        kernel="max_pool2d",
        outputs=("out", "indices"),
        exact=(True, True),  # a maximum is picked, not computed
        cases=MAX_POOL_CASES,
        gradcheck=_gradcheck,
        ops="max_pool2d, max_unpool2d",
        bench=Case("x (4, 16, 184, 184), 2x2, stride 2", _bench_pool),
        torch=_torch_pool,
    ),
    "max_pool2d_backward": KernelSpec(
        kernel="max_pool2d_backward",
        outputs=("dx",),
        exact=(False,),  # repeated indices add up, in any order
        cases=MAX_POOL_BACKWARD_CASES,
        gradcheck=_gradcheck,
        ops="max_pool2d, max_unpool2d",
        bench=Case("dout (4, 16, 92, 92) into (184, 184)", _bench_scatter),
        torch=_torch_scatter,
    ),
    "max_unpool2d": KernelSpec(
        kernel="max_unpool2d",
        outputs=("out",),
        exact=(True,),  # values are copied, not computed
        cases=MAX_UNPOOL_CASES,
        gradcheck=_gradcheck,
        ops="max_pool2d, max_unpool2d",
        bench=Case("x (4, 16, 92, 92) into (184, 184)", _bench_scatter),
        torch=_torch_unpool,
    ),
}
