"""Lab specs for the ReLU family (``minidl/kernels/relu/``): ``relu`` and ``relu_backward``.

The cases probe what a select can get wrong: NaN (kept by the forward, passing the gradient
in the backward), -0.0 (kept as -0.0), exact zeros (no gradient), infinities, and layouts
(non-contiguous, 0-d, empty, float32, an integer dtype, writing into ``out``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..spec import Args, Case, KernelSpec, noncontiguous

SPECIAL = np.array([np.nan, -0.0, 0.0, -np.inf, np.inf, -1e-30, 1e-30, -2.5, 3.0])

SHAPES = {
    "odd 4-D shape": ((3, 5, 7, 9), np.float64, False),
    "float32, large enough to run the parallel loop": ((4, 16, 70, 70), np.float32, False),
    "float64, parallel loop": ((2, 8, 64, 64), np.float64, False),
    "1021 elements (not a multiple of the vector width)": ((1021,), np.float32, False),
    "non-contiguous": ((2, 3, 5, 7), np.float64, True),
    "0-d": ((), np.float64, False),
    "empty": ((0, 4), np.float32, False),
    "int64 (the reference path)": ((4, 5), np.int64, False),
}


def _values(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """Random values with the special ones (NaN, ±0, ±inf) sprinkled in; ints in -3..3."""
    if np.dtype(dtype).kind == "i":
        return rng.integers(-3, 4, shape).astype(dtype)
    x = rng.standard_normal(shape)
    flat = x.reshape(-1)
    pick = rng.integers(0, flat.size, min(flat.size, 4 * SPECIAL.size)) if flat.size else []
    flat[pick] = np.resize(SPECIAL, len(pick))
    return x.astype(dtype)


def _forward(shape, dtype, strided, into_out=False) -> Callable[[np.random.Generator], Args]:
    def make(rng: np.random.Generator) -> Args:
        x = _values(rng, shape, dtype)
        kwargs = {"out": np.empty_like(x)} if into_out else {}
        return (noncontiguous(x) if strided else x,), kwargs

    return make


def _backward(shape, dtype, strided, into_out=False) -> Callable[[np.random.Generator], Args]:
    def make(rng: np.random.Generator) -> Args:
        v = _values(rng, shape, dtype)
        out = np.where(v < 0, 0, v).astype(dtype)  # a relu output: zeros, NaN, inf, positives
        grad = _values(rng, shape, dtype)
        kwargs = {"grad_input": np.empty_like(grad)} if into_out else {}
        return (noncontiguous(grad) if strided else grad, out), kwargs

    return make


def _special_forward(rng: np.random.Generator) -> Args:
    return (SPECIAL.astype(np.float32),), {}


def _special_backward(rng: np.random.Generator) -> Args:
    return (np.ones(SPECIAL.size), np.where(SPECIAL < 0, 0.0, SPECIAL)), {}


RELU_CASES = (
    Case("NaN, -0.0, 0, ±inf, ±1e-30", _special_forward),
    *(Case(name, _forward(*g)) for name, g in SHAPES.items()),
    Case("written into out=", _forward((3, 4, 5), np.float32, False, into_out=True)),
)
RELU_BACKWARD_CASES = (
    Case("NaN passes the gradient, 0 and -0.0 do not", _special_backward),
    *(Case(name, _backward(*g)) for name, g in SHAPES.items()),
    Case("written into grad_input=", _backward((3, 4, 5), np.float32, False, into_out=True)),
)


def _gradcheck(md: Any, device: str) -> None:
    """F.relu (forward: relu; backward: relu_backward) on inputs kept away from the kink."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4, 5))
    x = np.where(np.abs(x) < 0.1, 0.5, x)  # no input within a finite-difference step of 0
    t = md.tensor(x, requires_grad=True, device=device)
    md.gradcheck(lambda t: md.nn.functional.relu(t) * 1.5, [t])


BENCH_SHAPE = (4, 16, 250, 250)  # the first U-Net level's activations (valid 252, batch 4)


def _bench_forward(rng: np.random.Generator) -> Args:
    x = rng.standard_normal(BENCH_SHAPE).astype(np.float32)
    return (x,), {"out": np.empty_like(x)}


def _bench_backward(rng: np.random.Generator) -> Args:
    out = np.maximum(rng.standard_normal(BENCH_SHAPE), 0).astype(np.float32)
    grad = rng.standard_normal(BENCH_SHAPE).astype(np.float32)
    return (grad, out), {"grad_input": np.empty_like(grad)}


def _torch_relu(torch: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    tx = torch.from_numpy(args[0])
    out = torch.from_numpy(kwargs["out"]) if "out" in kwargs else None
    return lambda: torch.clamp_min(tx, 0, out=out) if out is not None else torch.relu(tx)


def _torch_relu_backward(torch: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    tg, to = torch.from_numpy(args[0]), torch.from_numpy(args[1])
    return lambda: torch.ops.aten.threshold_backward(tg, to, 0)


SPECS = {
    "relu": KernelSpec(
        kernel="relu",
        outputs=("out",),
        exact=(True,),  # a select copies values: bit for bit, NaN and -0.0 included
        cases=RELU_CASES,
        gradcheck=_gradcheck,
        ops="relu",
        bench=Case(f"x {BENCH_SHAPE} float32 into out=", _bench_forward),
        torch=_torch_relu,
    ),
    "relu_backward": KernelSpec(
        kernel="relu_backward",
        outputs=("grad_input",),
        exact=(True,),
        cases=RELU_BACKWARD_CASES,
        gradcheck=_gradcheck,
        ops="relu",
        bench=Case(f"grad, out {BENCH_SHAPE} float32 into grad_input=", _bench_backward),
        torch=_torch_relu_backward,
    ),
}
