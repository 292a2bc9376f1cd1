"""Run one computation on two devices from the same inputs and compare what comes out.

Device-generic on purpose: every helper works with ``device="cpu"`` on both sides, which is
how its logic is checked on machines without a GPU (``run_op(..., "cpu")`` twice must agree
exactly). The GPU tests call the same helpers with "cpu" against "cuda".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import minidl as md
from minidl import backend


def to_device(value: Any, device: str) -> Any:
    """NumPy arrays inside ``value`` (tuples, lists, dicts too) copied to ``device``.

    Copied even on the CPU, so that an op that updates an argument in place (batch norm's
    running statistics) cannot change the inputs of the other device's run.
    """
    if isinstance(value, np.ndarray):
        return backend.to_device(value.copy(), device)
    if isinstance(value, tuple):
        return tuple(to_device(v, device) for v in value)
    if isinstance(value, list):
        return [to_device(v, device) for v in value]
    if isinstance(value, dict):
        return {k: to_device(v, device) for k, v in value.items()}
    return value


def to_host(value: Any) -> Any:
    """Tensors and arrays inside ``value`` as NumPy arrays; everything else unchanged."""
    if isinstance(value, md.Tensor):
        return value.numpy()
    if backend.is_cupy_array(value) or isinstance(value, np.ndarray):
        return backend.to_numpy(value)
    if isinstance(value, (tuple, list)):
        return type(value)(to_host(v) for v in value)
    if isinstance(value, dict):
        return {k: to_host(v) for k, v in value.items()}
    return value


def devices_of(value: Any) -> set[str]:
    """The devices of every Tensor and array inside ``value``."""
    if isinstance(value, md.Tensor):
        return {value.device}
    if backend.is_cupy_array(value) or isinstance(value, np.ndarray):
        return {backend.device_of(value)}
    if isinstance(value, (tuple, list)):
        return set().union(*(devices_of(v) for v in value))
    if isinstance(value, dict):
        return set().union(*(devices_of(v) for v in value.values()))
    return set()


@dataclass
class Run:
    """What one run of an op produced, on the host: its outputs, the gradient of each input
    (None when it has none) and the keyword arguments after the call (in-place updates)."""

    outputs: list[Any]
    grads: list[Any]
    kwargs: dict[str, Any]


def run_op(
    fn: Callable[..., Any],
    arrays: list[np.ndarray],
    kwargs: dict[str, Any],
    device: str,
    dtype: Any = np.float64,
    seed: int = 0,
) -> Run:
    """``fn(*tensors, **kwargs)`` on ``device``, then backward of Σ_k <out_k, v_k>.

    Float arrays become tensors of ``dtype`` that require grad; integer and bool arrays
    become plain tensors. The cotangents v_k are drawn on the host from ``seed``, so both
    devices get the same ones. Every output and gradient must live on ``device``.
    """
    tensors = [
        md.tensor(a.astype(dtype), requires_grad=True, device=device)
        if a.dtype.kind == "f"
        else md.tensor(a, device=device)
        for a in arrays
    ]
    kw = to_device(kwargs, device)
    result = fn(*tensors, **kw)
    outs = list(result) if isinstance(result, (tuple, list)) else [result]
    rng = np.random.default_rng(seed)
    total = None
    for o in outs:
        if isinstance(o, md.Tensor) and o.requires_grad:
            v = md.tensor(rng.standard_normal(o.shape).astype(o.dtype), device=device)
            term = (o * v).sum()
            total = term if total is None else total + term
    if total is not None:
        total.backward()
    grads = [t.grad for t in tensors]
    where = devices_of([outs, [g for g in grads if g is not None]])
    assert where <= {device}, f"results of a {device} run were on {sorted(where)}"
    return Run(to_host(outs), to_host(grads), to_host(kw))


def assert_runs_agree(got: Run, want: Run, rtol: float, atol: float, what: str) -> None:
    """Same dtypes and shapes; values within ``atol + rtol·|want|`` (integers exactly)."""
    pairs = [("output", got.outputs, want.outputs), ("gradient of input", got.grads, want.grads)]
    for label, gs, ws in pairs:
        assert len(gs) == len(ws), f"{what}: {len(gs)} vs {len(ws)} {label}s"
        for k, (g, w) in enumerate(zip(gs, ws)):
            _assert_close(g, w, rtol, atol, f"{what}: {label} {k}")
    for name in want.kwargs:
        _assert_close(got.kwargs[name], want.kwargs[name], rtol, atol, f"{what}: argument {name}")


def _assert_close(g: Any, w: Any, rtol: float, atol: float, msg: str) -> None:
    if isinstance(w, (tuple, list)):
        for i, (a, b) in enumerate(zip(g, w)):
            _assert_close(a, b, rtol, atol, f"{msg}[{i}]")
        return
    if g is None or w is None:
        assert g is None and w is None, f"{msg}: only one of the runs has it"
        return
    if isinstance(g, np.generic) or isinstance(w, np.generic):
        # a 0-d result: NumPy returns a scalar where CuPy returns a 0-d array
        g, w = np.asarray(g), np.asarray(w)
    if not isinstance(w, np.ndarray):
        assert g == w, f"{msg}: {g!r} != {w!r}"
        return
    assert g.dtype == w.dtype, f"{msg}: dtype {g.dtype} vs {w.dtype}"
    assert g.shape == w.shape, f"{msg}: shape {g.shape} vs {w.shape}"
    if w.dtype.kind in "fc":
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, err_msg=msg)
    else:
        np.testing.assert_array_equal(g, w, err_msg=msg)
