"""Lab specs for the batch-norm family (``minidl/kernels/batch_norm/``): ``batch_norm_stats``,
``batch_norm_apply`` and ``batch_norm_backward``.

The cases probe what a per-channel reduction can get wrong: a (N, C) input with no spatial
axes, one image, a channel whose values are all equal (variance 0), a large offset (the
two-pass variance must keep its digits), 5-D input, strided input, no weight or bias, the
running-statistics backward, float32 on an input large enough to run the parallel loops.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..spec import Args, Case, KernelSpec, noncontiguous

SHAPES = {
    "odd 4-D shape": ((3, 5, 7, 9), np.float64, False),
    "(N, C): no spatial axes": ((6, 4), np.float64, False),
    "one image": ((1, 3, 5, 4), np.float64, False),
    "5-D input": ((2, 3, 4, 3, 5), np.float64, False),
    "non-contiguous": ((2, 3, 5, 7), np.float64, True),
    "float32, large enough to run the parallel loops": ((4, 16, 70, 70), np.float32, False),
    "float64, parallel loops": ((2, 8, 64, 64), np.float64, False),
    "one channel": ((5, 1, 6, 7), np.float64, False),
    "1x1 images": ((7, 3, 1, 1), np.float64, False),
    "(N, C, L): 1-D signals, float32": ((4, 3, 11), np.float32, False),
}


def _x(rng: np.random.Generator, shape, dtype, strided: bool, offset: float = 0.0) -> Any:
    x = (rng.standard_normal(shape) * 2 + 0.5 + offset).astype(dtype)
    return noncontiguous(x) if strided else x


def _stats_case(shape, dtype, strided, offset=0.0, constant=False) -> Callable:
    def make(rng: np.random.Generator) -> Args:
        x = _x(rng, shape, dtype, strided, offset)
        if constant:
            x[:, 0] = 3.25  # channel 0: variance exactly 0
        return (x,), {}

    return make


def _per_channel(rng: np.random.Generator, C: int, dtype) -> tuple[Any, Any, Any, Any]:
    mean = rng.standard_normal(C).astype(dtype)
    inv_std = (1 / (0.5 + rng.random(C))).astype(dtype)
    return mean, inv_std, rng.standard_normal(C).astype(dtype), rng.standard_normal(C).astype(dtype)


def _apply_case(shape, dtype, strided, affine=True) -> Callable:
    def make(rng: np.random.Generator) -> Args:
        x = _x(rng, shape, dtype, strided)
        mean, inv_std, w, b = _per_channel(rng, shape[1], dtype)
        return (x, mean, inv_std, w if affine else None, b if affine else None), {}

    return make


def _backward_case(shape, dtype, strided, training=True, affine=True) -> Callable:
    def make(rng: np.random.Generator) -> Args:
        x = _x(rng, shape, dtype, strided)
        dy = _x(rng, shape, dtype, strided)
        mean, inv_std, w, _ = _per_channel(rng, shape[1], dtype)
        return (dy, x, mean, inv_std, w if affine else None, training), {}

    return make


STATS_CASES = (
    *(Case(name, _stats_case(*g)) for name, g in SHAPES.items()),
    Case("a constant channel (variance 0)", _stats_case((3, 2, 4, 5), np.float64, False,
                                                        constant=True)),
    Case("offset 1e4: two passes keep the variance", _stats_case((4, 3, 6, 6), np.float32,
                                                                  False, offset=1e4)),
)  # fmt: skip
APPLY_CASES = (
    *(Case(name, _apply_case(*g)) for name, g in SHAPES.items()),
    Case("no weight, no bias", _apply_case((2, 3, 4, 5), np.float64, False, affine=False)),
)
BACKWARD_CASES = (
    *(Case(name, _backward_case(*g)) for name, g in SHAPES.items()),
    Case("running statistics (not training)", _backward_case((2, 3, 4, 5), np.float64, False,
                                                             training=False)),
    Case("no weight", _backward_case((2, 3, 4, 5), np.float64, False, affine=False)),
)  # fmt: skip


def _gradcheck(md: Any, device: str) -> None:
    """F.batch_norm in training (batch statistics: every kernel) and eval mode."""
    rng = np.random.default_rng(0)
    F = md.nn.functional

    def t(*shape: int) -> Any:
        return md.tensor(rng.standard_normal(shape), requires_grad=True, device=device)

    x, w, b = t(3, 4, 5, 6), t(4), t(4)
    rm = md.tensor(rng.standard_normal(4), device=device)
    rv = md.tensor(0.5 + rng.random(4), device=device)
    md.gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), [x, w, b])
    md.gradcheck(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=False), [x, w, b])


BENCH_SHAPE = (4, 16, 128, 128)  # a U-Net level with BatchNorm (same padding 128, batch 4)


def _bench_stats(rng: np.random.Generator) -> Args:
    return (rng.standard_normal(BENCH_SHAPE).astype(np.float32),), {}


def _bench_apply(rng: np.random.Generator) -> Args:
    x = rng.standard_normal(BENCH_SHAPE).astype(np.float32)
    return (x, *_per_channel(rng, BENCH_SHAPE[1], np.float32)), {}


def _bench_backward(rng: np.random.Generator) -> Args:
    x, dy = (rng.standard_normal(BENCH_SHAPE).astype(np.float32) for _ in range(2))
    mean, inv_std, w, _ = _per_channel(rng, BENCH_SHAPE[1], np.float32)
    return (dy, x, mean, inv_std, w, True), {}


def _torch_training(torch: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """PyTorch's training-mode batch_norm forward (statistics and normalisation together)."""
    tx = torch.from_numpy(args[0])
    return lambda: torch.nn.functional.batch_norm(tx, None, None, training=True)


SPECS = {
    "batch_norm_stats": KernelSpec(
        kernel="batch_norm_stats",
        outputs=("mean", "var"),
        exact=(False, False),
        cases=STATS_CASES,
        gradcheck=_gradcheck,
        ops="batch_norm",
        bench=Case(f"x {BENCH_SHAPE} float32", _bench_stats),
        torch=_torch_training,
    ),
    "batch_norm_apply": KernelSpec(
        kernel="batch_norm_apply",
        outputs=("y",),
        exact=(False,),
        cases=APPLY_CASES,
        gradcheck=_gradcheck,
        ops="batch_norm",
        bench=Case(f"x {BENCH_SHAPE} float32", _bench_apply),
    ),
    "batch_norm_backward": KernelSpec(
        kernel="batch_norm_backward",
        outputs=("dx", "dweight", "dbias"),
        exact=(False, False, False),
        cases=BACKWARD_CASES,
        gradcheck=_gradcheck,
        ops="batch_norm",
        bench=Case(f"dy, x {BENCH_SHAPE} float32, training", _bench_backward),
    ),
}
