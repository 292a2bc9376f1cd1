"""Lab specs for the cross-entropy family (``minidl/kernels/cross_entropy/``):
``cross_entropy_forward`` and ``cross_entropy_backward``.

The cases probe what a fused log-softmax + NLL can get wrong: stability (logits of ±1e4,
where an unshifted exp overflows and a loss formed as logsumexp − x_t loses three digits in
float32), weights (class · pixel weights, all zero where every target is ignored), NaN
logits, one class, many classes, and layouts ((N, C), (N, C, H, W), 5-D, non-contiguous,
empty, int32 targets, sizes that run the parallel loop, float16 on the reference path).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..spec import Args, Case, KernelSpec, as_torch, noncontiguous
from . import reference

BENCH_SHAPE = (4, 2, 388, 388)  # the paper U-Net's logits (572 input), batch 4

SHAPES = {
    "(N, C) rows, 10 classes": ((64, 10), np.float64, {}),
    "odd (3, 5, 7, 9) logits": ((3, 5, 7, 9), np.float64, {}),
    "1 position": ((1, 4), np.float32, {}),
    "one class: every loss is 0": ((2, 1, 3, 3), np.float64, {}),
    "many classes (3, 1000)": ((3, 1000), np.float32, {}),
    "5-D (2, 3, 2, 3, 4)": ((2, 3, 2, 3, 4), np.float64, {}),
    "float32, large enough to run the parallel loop": ((4, 2, 188, 188), np.float32, {}),
    "float64, parallel loop": ((2, 4, 180, 180), np.float64, {}),
    "non-contiguous logits": ((2, 3, 5, 7), np.float64, dict(strided=True)),
    "class and pixel weights": ((2, 3, 6, 5), np.float32, dict(weights="random")),
    "every target ignored: all weights 0": ((2, 3, 4, 4), np.float64, dict(weights="zero")),
    "large logits ±1e4 (float32)": ((3, 4, 5, 6), np.float32, dict(scale=1e4)),
    "large logits ±1e4 (float64)": ((3, 4, 5, 6), np.float64, dict(scale=1e4)),
    "a NaN logit and a -inf one": ((2, 3, 4, 4), np.float64, dict(special=True)),
    "int32 targets": ((2, 3, 4, 5), np.float32, dict(target_dtype=np.int32)),
    "empty batch": ((0, 3, 4), np.float32, {}),
    "float16 (the reference path)": ((2, 3, 4, 5), np.float16, {}),
}


def _inputs(rng: np.random.Generator, shape, dtype, opts: dict[str, Any]) -> tuple[Any, ...]:
    """Logits x (N, C, *), target (N, *), weights w (N, *)."""
    x = rng.standard_normal(shape) * opts.get("scale", 2.0)
    positions = shape[:1] + shape[2:]
    target = rng.integers(0, shape[1], positions).astype(opts.get("target_dtype", np.int64))
    if opts.get("special"):
        x[0, 1, 0, 0], x[1, 0, 2, 3] = np.nan, -np.inf
    weights = opts.get("weights", "ones")
    w = {"ones": np.ones, "zero": np.zeros}.get(weights, lambda s: rng.uniform(0, 3, s))(positions)
    x = x.astype(dtype)
    return (noncontiguous(x) if opts.get("strided") else x), target, w.astype(dtype)


def _forward(shape, dtype, opts) -> Callable[[np.random.Generator], Args]:
    def make(rng: np.random.Generator) -> Args:
        return _inputs(rng, shape, dtype, opts), {}

    return make


def _backward(shape, dtype, opts) -> Callable[[np.random.Generator], Args]:
    def make(rng: np.random.Generator) -> Args:
        x, target, w = _inputs(rng, shape, dtype, opts)
        _, softmax = reference.cross_entropy_forward(x, target, w)
        coef = (w * rng.standard_normal(w.shape)).astype(dtype)  # w · dL/dloss
        return (softmax, target, coef), {}

    return make


def _gradcheck(md: Any, device: str) -> None:
    """F.cross_entropy (forward and backward through these kernels) in float64: (N, C, H, W)
    with class and pixel weights and ignored positions under each reduction, and (N, C)."""
    F = md.nn.functional
    rng = np.random.default_rng(0)

    def on_device(a: Any, requires_grad: bool = False) -> Any:
        return md.tensor(a, requires_grad=requires_grad, device=device)

    x = on_device(rng.standard_normal((2, 3, 4, 5)), requires_grad=True)
    target = rng.integers(0, 3, (2, 4, 5))
    target[0, 1] = -1
    weight, pixel_weight = rng.uniform(0.5, 2, 3), rng.uniform(0.5, 2, (2, 4, 5))
    t, w, pw = on_device(target), on_device(weight), on_device(pixel_weight)
    for reduction in ("none", "sum", "mean"):
        kw = dict(ignore_index=-1, reduction=reduction, pixel_weight=pw)
        md.gradcheck(lambda a, kw=kw: F.cross_entropy(a, t, w, **kw), [x])
    rows, labels = on_device(rng.standard_normal((5, 4)), True), on_device(rng.integers(0, 4, 5))
    md.gradcheck(lambda a: F.cross_entropy(a, labels), [rows])


def _bench_forward(rng: np.random.Generator) -> Args:
    return _forward(BENCH_SHAPE, np.float32, {})(rng)


def _bench_backward(rng: np.random.Generator) -> Args:
    return _backward(BENCH_SHAPE, np.float32, {})(rng)


def _torch_forward(torch: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    tx, tt, tw = as_torch(torch, *args)
    tt = tt.long()
    return lambda: torch.nn.functional.cross_entropy(tx, tt, reduction="none") * tw


def _torch_backward(torch: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """PyTorch's backward of cross_entropy (NLL's, then log_softmax's) for the same coef, on
    logits log(softmax), whose softmax is the one given."""
    softmax, target, coef = args
    tx = torch.log(torch.from_numpy(softmax)).requires_grad_()
    loss = torch.nn.functional.cross_entropy(tx, torch.from_numpy(target).long(), reduction="none")
    tcoef = torch.from_numpy(coef)
    return lambda: torch.autograd.grad(loss, tx, tcoef, retain_graph=True)


SPECS = {
    "cross_entropy_forward": KernelSpec(
        kernel="cross_entropy_forward",
        outputs=("loss", "softmax"),
        exact=(False, False),  # exp and the sums may round differently
        cases=tuple(Case(name, _forward(*s)) for name, s in SHAPES.items()),
        gradcheck=_gradcheck,
        ops="cross_entropy",
        bench=Case(f"logits {BENCH_SHAPE} float32", _bench_forward),
        torch=_torch_forward,
    ),
    "cross_entropy_backward": KernelSpec(
        kernel="cross_entropy_backward",
        outputs=("dx",),
        exact=(False,),
        cases=tuple(Case(name, _backward(*s)) for name, s in SHAPES.items()),
        gradcheck=_gradcheck,
        ops="cross_entropy",
        bench=Case(f"logits {BENCH_SHAPE} float32", _bench_backward),
        torch=_torch_backward,
    ),
}
