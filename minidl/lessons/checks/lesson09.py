"""Checkers of lesson 09 (hooks, anomaly mode, the profiler, DLPack)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import minidl as md
import minidl.nn.functional as F
from minidl import nn
from minidl.autograd import AnomalyError, detect_anomaly

from ..grading import Case, Result, grade


def _small_net() -> nn.Module:
    md.manual_seed(3)
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Conv2d(4, 2, 3, padding=1))


def _stats(a: np.ndarray) -> tuple[float, float, float]:
    return float(a.mean()), float(a.std()), float((a == 0).mean())


def check_stats_hook(make_stats_hook: Callable[[list], Callable]) -> Result:
    """``make_stats_hook(store)`` returns a forward hook ``hook(module, args, output)`` that
    appends ``(mean, std, fraction of zeros)`` of ``output`` to ``store`` and changes nothing."""
    x = md.tensor(np.random.default_rng(0).standard_normal((2, 1, 9, 7)).astype(np.float32))

    def recorded(maker: Callable) -> tuple[list, np.ndarray]:
        net = _small_net()
        store: list = []
        handles = [m.register_forward_hook(maker(store)) for m in net]
        try:
            y = net(x).numpy()
        finally:
            for h in handles:
                h.remove()
        return store, y

    def expected() -> list:
        net = _small_net()
        out, values = x, []
        for layer in net:
            out = layer(out)
            values.append(_stats(out.numpy()))
        return values

    def one_entry_per_layer(maker: Callable) -> Any:
        store, _ = recorded(maker)
        return len(store)

    def values(maker: Callable) -> Any:
        store, _ = recorded(maker)
        return np.array([tuple(float(v) for v in entry) for entry in store])

    def output_unchanged(maker: Callable) -> Any:
        return recorded(maker)[1]

    cases = [
        Case("one entry per layer of Conv2d, ReLU, Conv2d", one_entry_per_layer, 3,
             hint="append one tuple each time the hook is called"),
        Case("(mean, std, fraction of zeros) of each layer's output", values,
             lambda: np.array(expected()), rtol=1e-5, atol=1e-6,
             hint="output.data is the array; np.std is the population std (ddof=0); after the "
                  "ReLU about half the values are exactly 0"),
        Case("the network's output is unchanged", output_unchanged,
             lambda: _small_net()(x).numpy(),
             hint="a forward hook that returns something replaces the output: return None"),
    ]  # fmt: skip
    return grade("stats_hook", make_stats_hook, cases)


def check_clip_hook(my_clip_hook: Callable[[float], Callable]) -> Result:
    """``my_clip_hook(max_norm)`` returns a gradient hook that scales the gradient down to norm
    ``max_norm`` when it is longer, and leaves it alone otherwise."""

    def clipped(g: np.ndarray, max_norm: float) -> Callable:
        def run(maker: Callable) -> np.ndarray:
            w = md.tensor(np.ones_like(g), requires_grad=True)
            w.register_hook(maker(max_norm))
            (w * md.tensor(g)).sum().backward()  # d/dw = g
            return np.asarray(w.grad)

        return run

    def want(g: np.ndarray, max_norm: float) -> np.ndarray:
        norm = np.linalg.norm(g)
        return g * (max_norm / norm) if norm > max_norm else g

    long = np.array([[3.0, 4.0], [0.0, 12.0]])  # norm 13
    short = np.array([0.3, -0.4])
    zero = np.zeros(3)
    cases = [
        Case("a gradient of norm 13, max_norm 1", clipped(long, 1.0), want(long, 1.0),
             hint="scale by max_norm / norm when norm > max_norm; np.linalg.norm of grad.data"),
        Case("a gradient of norm 0.5, max_norm 1: unchanged", clipped(short, 1.0), short,
             hint="only longer gradients are scaled"),
        Case("a zero gradient: unchanged, no NaN", clipped(zero, 1.0), zero,
             hint="a norm of 0 is not above max_norm: do not divide by it"),
        Case("a gradient of norm 13, max_norm 6.5", clipped(long, 6.5), want(long, 6.5)),
    ]  # fmt: skip
    return grade("clip_hook", my_clip_hook, cases)


def check_stable_bce(my_stable_bce: Callable[[md.Tensor, md.Tensor], md.Tensor]) -> Result:
    """``my_stable_bce(logits, target)``: the mean binary cross-entropy of ``sigmoid(logits)``
    against ``target``, finite for any logits (checked inside anomaly mode, with gradients)."""
    rng = np.random.default_rng(1)
    targets = rng.integers(0, 2, 7).astype(np.float64)

    def loss_and_grad(logits: np.ndarray, fn: Callable) -> tuple[np.ndarray, np.ndarray]:
        z = md.tensor(logits, requires_grad=True)
        t = md.tensor(targets[: len(logits)])
        with detect_anomaly():
            loss = fn(z, t)
            loss.backward()
        return np.asarray(loss.numpy()), np.asarray(z.grad)

    def ours(logits: np.ndarray) -> Callable:
        def run(fn: Callable) -> Any:
            try:
                return loss_and_grad(logits, fn)
            except AnomalyError as error:
                first = str(error).splitlines()[0]
                return f"anomaly mode stopped it: {first}"

        return run

    def reference(logits: np.ndarray) -> Callable:
        return lambda: loss_and_grad(logits, F.binary_cross_entropy_with_logits)

    small = rng.standard_normal(7)
    huge = np.array([-100.0, -40.0, 0.5, 40.0, 100.0, 30.0, -30.0])  # 0 is max(z, 0)'s kink
    cases = [
        Case("logits of size about 1 (loss, then d loss / d logits)", ours(small),
             reference(small), rtol=1e-7, atol=1e-10,
             hint="mean over the elements of -(t log p + (1 - t) log(1 - p)), p = sigmoid(z)"),
        Case("logits up to +-100, inside detect_anomaly", ours(huge), reference(huge),
             rtol=1e-7, atol=1e-10,
             hint="log(sigmoid(z)) = -log(1 + exp(-z)) overflows or gives log(0) for large |z|:"
                  " write the loss as max(z, 0) - z t + log(1 + exp(-|z|)) (md.log1p, md.abs)"),
    ]  # fmt: skip
    return grade("stable_bce", my_stable_bce, cases)
