"""Lab specs for the optimizer updates (``minidl/kernels/optim_update/``): ``sgd_update`` and
``adam_update``.

The cases probe what a one-pass update can get wrong: the first SGD step (the buffer is set
to g, its old contents, NaN here, never read; no dampening), dampening, Nesterov, weight
decay, Adam's bias corrections at step 1 and later, and layouts (odd sizes, 1 element, 0-d,
empty, sizes that run the parallel loop, a strided gradient, a strided parameter and float16
on the reference path). Each kernel updates its arrays in place and returns them; the lab
compares them with the reference's (``updates``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..spec import Args, Case, KernelSpec, noncontiguous

PARALLEL = (256, 256, 3, 3)  # the U-Net's (base 16) largest weight: above the parallel threshold

SHAPES = {
    "odd size (1021 elements)": ((1021,), np.float32, ""),
    "1 element": ((1,), np.float64, ""),
    "0-d parameter": ((), np.float64, ""),
    "empty": ((0, 3), np.float32, ""),
    "float32, large enough to run the parallel loop": (PARALLEL, np.float32, ""),
    "float64, parallel loop": ((128, 64, 6, 6), np.float64, ""),
    "non-contiguous gradient": ((6, 5, 7), np.float32, "grad"),
    "non-contiguous parameter and buffers (the reference path)": ((6, 5, 7), np.float64, "all"),
    "float16 (the reference path)": ((4, 9), np.float16, ""),
}


def _arrays(rng: np.random.Generator, shape, dtype, strided: str, n: int) -> list[np.ndarray]:
    """param, grad and ``n`` state buffers (non-negative for Adam's second moment)."""
    a = [rng.standard_normal(shape).astype(dtype) for _ in range(2 + n)]
    if n == 2:
        np.abs(a[3], out=a[3])  # in place: a ufunc turns a 0-d array into a scalar
    if strided == "grad":
        a[1] = noncontiguous(a[1])
    elif strided == "all":
        a = [noncontiguous(x) for x in a]
    return a


def _sgd(shape, dtype, strided="", first=False, **hyper: Any) -> Callable[..., Args]:
    h = dict(lr=0.1, momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=False) | hyper

    def make(rng: np.random.Generator) -> Args:
        param, grad, buf = _arrays(rng, shape, dtype, strided, 1)
        if first:
            buf[...] = np.nan  # the first step must not read the buffer
        return (param, grad, buf, *h.values(), first), {}

    return make


def _adam(shape, dtype, strided="", step=5, **hyper: Any) -> Callable[..., Args]:
    h = dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0) | hyper

    def make(rng: np.random.Generator) -> Args:
        param, grad, m, v = _arrays(rng, shape, dtype, strided, 2)
        if step == 1:
            m[...], v[...] = 0, 0  # as Adam starts
        return (param, grad, m, v, *h.values(), step), {}

    return make


SGD_CASES = (
    Case(
        "first step: buffer = g, no dampening", _sgd((37,), np.float64, first=True, dampening=0.5)
    ),
    Case("dampening 0.3", _sgd((5, 7), np.float64, dampening=0.3)),
    Case("Nesterov", _sgd((5, 7), np.float32, nesterov=True)),
    Case("weight decay 0.01", _sgd((5, 7), np.float64, weight_decay=0.01)),
    Case(
        "Nesterov and weight decay, first step",
        _sgd((3, 4, 5), np.float32, first=True, nesterov=True, weight_decay=0.1),
    ),
    Case("lr 0: nothing moves but the buffer", _sgd((9,), np.float64, lr=0.0)),
    *(Case(name, _sgd(*s)) for name, s in SHAPES.items()),
)
ADAM_CASES = (
    Case("step 1 (bias corrections 1 - beta^1)", _adam((37,), np.float64, step=1)),
    Case("step 1000", _adam((5, 7), np.float64, step=1000)),
    Case("betas (0.8, 0.9), eps 1e-6", _adam((5, 7), np.float32, beta1=0.8, beta2=0.9, eps=1e-6)),
    Case("weight decay 0.1", _adam((5, 7), np.float64, weight_decay=0.1)),
    Case("lr 0.1, step 2, float32", _adam((3, 4, 5), np.float32, step=2, lr=0.1)),
    *(Case(name, _adam(*s)) for name, s in SHAPES.items()),
)


def _same_steps(md: Any, device: str, name: str, make: Callable[[list[Any]], Any]) -> None:
    """The optimizer ``make(params)`` with the kernel in use takes the same three steps as
    with the reference: two parameter groups, a float32 parameter, one without gradient."""
    results = []
    for forced in (None, "reference"):
        rng = np.random.default_rng(0)
        shapes = [((3, 4), np.float64), ((5,), np.float32), ((2, 2), np.float64)]
        params = [
            md.tensor(rng.standard_normal(s).astype(d), requires_grad=True, device=device)
            for s, d in shapes
        ]
        opt = make([{"params": params[:1]}, {"params": params[1:], "lr": 0.05}])
        with md.kernels.use(**({name: forced} if forced else {})):
            for _ in range(3):
                for p in params[:2]:  # the last one never gets a gradient
                    p.grad = md.tensor(
                        rng.standard_normal(p.shape).astype(p.dtype), device=device
                    ).data
                opt.step()
        results.append([p.numpy() for p in params])
    for k, (got, want) in enumerate(zip(*results)):
        if not np.allclose(got, want, rtol=1e-5, atol=1e-7):
            raise AssertionError(
                f"{name}: parameter {k} after 3 steps differs from the reference's"
            )


def _sgd_steps(md: Any, device: str) -> None:
    def make(params: list[Any]) -> Any:
        return md.optim.SGD(params, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)

    _same_steps(md, device, "sgd_update", make)


def _adam_steps(md: Any, device: str) -> None:
    _same_steps(md, device, "adam_update", lambda p: md.optim.Adam(p, lr=0.01, weight_decay=0.01))


def _bench_sgd(rng: np.random.Generator) -> Args:
    return _sgd(PARALLEL, np.float32)(rng)


def _bench_adam(rng: np.random.Generator) -> Args:
    return _adam(PARALLEL, np.float32)(rng)


def _torch_sgd(torch: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    param, grad, buf, lr, momentum, dampening, weight_decay, nesterov, _ = args
    p = torch.nn.Parameter(torch.from_numpy(param))
    p.grad = torch.from_numpy(grad)
    hyper = dict(momentum=momentum, dampening=dampening, weight_decay=weight_decay)
    opt = torch.optim.SGD([p], lr=lr, nesterov=nesterov, **hyper)
    opt.state[p]["momentum_buffer"] = torch.from_numpy(buf)
    return opt.step


def _torch_adam(torch: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    param, grad, m, v, lr, beta1, beta2, eps, weight_decay, step = args
    p = torch.nn.Parameter(torch.from_numpy(param))
    p.grad = torch.from_numpy(grad)
    opt = torch.optim.Adam([p], lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=weight_decay)
    state = dict(step=torch.tensor(float(step)), exp_avg=torch.from_numpy(m))
    opt.state[p] = state | dict(exp_avg_sq=torch.from_numpy(v))
    return opt.step


SPECS = {
    "sgd_update": KernelSpec(
        kernel="sgd_update",
        outputs=("param", "momentum_buffer"),
        exact=(False, False),
        cases=SGD_CASES,
        gradcheck=_sgd_steps,
        ops="optim.SGD (three steps against the reference's)",
        bench=Case(f"param {PARALLEL} float32, momentum 0.9", _bench_sgd),
        torch=_torch_sgd,
        updates=(0, 2),
    ),
    "adam_update": KernelSpec(
        kernel="adam_update",
        outputs=("param", "exp_avg", "exp_avg_sq"),
        exact=(False, False, False),
        cases=ADAM_CASES,
        gradcheck=_adam_steps,
        ops="optim.Adam (three steps against the reference's)",
        bench=Case(f"param {PARALLEL} float32, step 5", _bench_adam),
        torch=_torch_adam,
        updates=(0, 2, 3),
    ),
}
