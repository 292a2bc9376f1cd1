"""Padding, like ``torch.nn.functional.pad``: constant, reflect, replicate and circular.

Each padded dim of size n with widths (l, r) becomes n + l + r long. A negative width crops.
Every mode but "constant" is a gather along the dim: output position k reads the input at
``index[k]``, with p = k - l the position in the unpadded coordinates:

    reflect     p < 0: -p;    p >= n: 2(n-1) - p    (mirror, the edge value not repeated)
    replicate   clip(p, 0, n-1)                      (the edge value repeated)
    circular    the crops first, then p mod m over the m values left (PyTorch's order)

The gather is done by slices, never with an index array: the positions that copy their
source one to one are one slice, and each border position (a few) is one more. So no index
array is built on the host and copied to the GPU at every call. The backward is the
scatter-add of the gradient onto ``index``, by the same slices: each border position adds its
gradient onto the value it copied.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function
from ..tensor import Tensor

MODES = ("constant", "reflect", "replicate", "circular")


def _source_index(n: int, left: int, right: int, mode: str) -> np.ndarray:
    """index[k]: the input position that output position k copies, along one dim."""
    if mode == "circular":
        start, stop = max(0, -left), n - max(0, -right)  # what the negative widths keep
        p = np.arange(-max(0, left), stop - start + max(0, right))
        return start + p % (stop - start) if stop > start else p
    p = np.arange(-left, n + right)
    if mode == "replicate":
        return np.clip(p, 0, n - 1)
    return np.where(p < 0, -p, np.where(p >= n, 2 * (n - 1) - p, p))  # reflect


def _part(axis: int, index: Any) -> tuple[Any, ...]:
    return (slice(None),) * axis + (index,)


def _longest_run(index: np.ndarray) -> tuple[int, int]:
    """[k0, k1): the longest stretch of ``index`` that steps by 1 (the unpadded middle)."""
    steps = np.flatnonzero(np.diff(index) != 1)
    bounds = np.concatenate([[0], steps + 1, [len(index)]])
    longest = int(np.argmax(np.diff(bounds)))
    return int(bounds[longest]), int(bounds[longest + 1])


def _gather(a: Any, axis: int, index: np.ndarray) -> Any:
    """``take(a, index, axis)`` by slices: one for the run, one per border position."""
    xp = backend.array_module(a)
    shape = list(a.shape)
    shape[axis] = len(index)
    out = xp.empty(shape, dtype=a.dtype)
    if len(index) == 0:
        return out
    k0, k1 = _longest_run(index)
    start = int(index[k0])
    out[_part(axis, slice(k0, k1))] = a[_part(axis, slice(start, start + k1 - k0))]
    for k in (*range(k0), *range(k1, len(index))):
        out[_part(axis, k)] = a[_part(axis, int(index[k]))]
    return out


def _scatter_add(g: Any, axis: int, index: np.ndarray, n: int) -> Any:
    """The adjoint of ``take(x, index, axis)``: g summed onto the n positions it came from.

    The one-to-one run (where index steps by 1) is one slice; each border position adds its
    slice of g in turn: slice adds are far faster than ``add.at`` (benchmarks/README.md,
    "Scatter-add by slices")."""
    xp = backend.array_module(g)
    shape = list(g.shape)
    shape[axis] = n
    out = xp.zeros(shape, dtype=g.dtype)
    if len(index) == 0:
        return out
    k0, k1 = _longest_run(index)
    start = int(index[k0])
    out[_part(axis, slice(start, start + k1 - k0))] = g[_part(axis, slice(k0, k1))]
    for k in (*range(k0), *range(k1, len(index))):
        out[_part(axis, int(index[k]))] += g[_part(axis, k)]
    return out


class Pad(Function):
    """``widths`` is one (left, right) pair per dim of ``a``, (0, 0) where it is not padded."""

    affine = (3,)

    linear = (0,)

    @staticmethod
    def forward(ctx, a, widths, mode, value):
        ctx.widths, ctx.mode, ctx.shape = widths, mode, a.shape
        xp = backend.array_module(a)
        if mode == "constant":
            kept = zip(a.shape, widths)
            crop = tuple(slice(max(0, -lo), n - max(0, -hi)) for n, (lo, hi) in kept)
            grow = tuple((max(0, lo), max(0, hi)) for lo, hi in widths)
            return xp.pad(a[crop], grow, mode="constant", constant_values=value)
        for d, (lo, hi) in enumerate(widths):
            if lo or hi:
                a = _gather(a, d, _source_index(a.shape[d], lo, hi, mode))
        return a

    @staticmethod
    def backward(ctx, g):
        xp = backend.array_module(g)
        if ctx.mode == "constant":
            inner = tuple(
                slice(max(0, lo), g.shape[d] - max(0, hi)) for d, (lo, hi) in enumerate(ctx.widths)
            )
            cropped = tuple((max(0, -lo), max(0, -hi)) for lo, hi in ctx.widths)
            return xp.pad(g[inner], cropped), None, None, None
        for d in reversed(range(len(ctx.widths))):
            lo, hi = ctx.widths[d]
            if lo or hi:
                index = _source_index(ctx.shape[d], lo, hi, ctx.mode)
                g = _scatter_add(g, d, index, ctx.shape[d])
        return g, None, None, None


def _widths(a: Tensor, pad: Sequence[int], mode: str) -> tuple[tuple[int, int], ...]:
    """The (left, right) pair of every dim of ``a``, checked against PyTorch's rules."""
    ndim, shape = a.ndim, tuple(a.shape)
    k = len(pad) // 2
    if mode != "constant" and not (1 <= k <= 3 and ndim in (k + 1, k + 2)):
        raise ValueError(
            f"pad: mode {mode!r} pads the last 1, 2 or 3 dims of a 2-3, 3-4 or 4-5 dim input "
            f"(pad of length 2, 4 or 6), got pad of length {len(pad)} for shape {shape}"
        )
    widths = [(0, 0)] * ndim
    for i in range(k):
        d = ndim - 1 - i
        n, (lo, hi) = shape[d], (pad[2 * i], pad[2 * i + 1])
        widths[d] = (lo, hi)
        kept = n - max(0, -lo) - max(0, -hi)
        if mode in ("constant", "circular") and kept < 0:
            raise ValueError(f"pad: widths {(lo, hi)} crop more than dim {d} of {shape} holds")
        if mode in ("reflect", "replicate") and (n + lo + hi < 0 or n == 0 < lo + hi):
            raise ValueError(f"pad: {mode} widths {(lo, hi)} do not fit dim {d} of {shape}")
        if mode == "reflect" and max(lo, hi) >= n:
            raise ValueError(
                f"pad: reflect padding {(lo, hi)} must be smaller than dim {d} of {shape}"
            )
        if mode == "circular" and (max(lo, hi) > n or (kept == 0 and max(lo, hi) > 0)):
            raise ValueError(
                f"pad: circular padding {(lo, hi)} must be at most dim {d} of {shape} and "
                f"wrap around at least one value ({kept} left after the negative widths)"
            )
    return tuple(widths)


def pad(
    input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None
) -> Tensor:
    """Pad ``input`` like ``torch.nn.functional.pad``.

    ``pad`` lists (left, right) widths starting from the last dim: ``(left, right, top,
    bottom)`` pads an NCHW image's W and H. A negative width crops. Modes:

    - "constant": fill with ``value`` (default 0); any dims, any number of them;
    - "reflect": mirror without repeating the edge ((1, 2, 3) by 2 on the left: 3 2 1 2 3),
      each width < the dim's size;
    - "replicate": repeat the edge value (1 1 1 2 3);
    - "circular": wrap around (2 3 1 2 3), each width <= the dim's size; negative widths
      crop first, and the rest wraps around what they leave.

    The last three pad the last 1, 2 or 3 dims of an input with one or two more dims
    (PyTorch's rule: (C, W) or (N, C, W), (C, H, W) or (N, C, H, W), (C, D, H, W) or
    (N, C, D, H, W)) and take no ``value``.

    Shapes: (*, n_d, ...) -> (*, n_d + left_d + right_d, ...) for each padded dim d.
    Backward: constant crops the gradient (and pads cropped places with 0); the other modes
    add each output position's gradient onto the input value it copied (see module doc).
    Kernel: none, array code here (``xp.pad``, ``xp.take`` and slices).
    Reference: ``torch.nn.functional.pad``.
    """
    try:
        pad = tuple(operator.index(p) for p in pad)
    except TypeError:
        raise TypeError(f"pad: pad must be a sequence of ints, got {pad!r}") from None
    if mode not in MODES:
        raise ValueError(f"pad: mode must be one of {MODES}, got {mode!r}")
    if len(pad) % 2 or len(pad) > 2 * input.ndim:
        raise ValueError(
            f"pad: expected an even number (<= {2 * input.ndim}) of widths for shape "
            f"{tuple(input.shape)}, got {pad}"
        )
    if mode != "constant" and value not in (None, 0):
        raise ValueError(f"pad: mode {mode!r} takes no value, got value={value!r}")
    widths = _widths(input, pad, mode)
    return Pad.apply(input, widths, mode, 0.0 if value is None else value)
