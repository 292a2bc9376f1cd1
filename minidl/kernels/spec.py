"""What the kernel lab knows about one kernel: its edge cases, how to compare, what to time.

Each kernel family folder holds a ``spec.py`` beside its ``reference.py``, ``cpu.py`` and
``gpu.py``, with ``SPECS = {kernel_name: KernelSpec(...)}``; the lab finds it there. A spec
imports nothing above the kernels: its gradcheck gets the ``minidl`` module as an argument.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..numbers import fmt, fmt_apart

Args = tuple[tuple[Any, ...], dict[str, Any]]  # positional and keyword arguments of a kernel


@dataclass(frozen=True)
class Case:
    """One input to try: a name that says what it probes, and a builder of the arguments.

    ``make(rng)`` returns ``(args, kwargs)`` for the kernel, as NumPy arrays and ints. It is
    called once per implementation with identically seeded generators, so the implementation
    and the reference get equal inputs but never the same buffers.
    """

    name: str
    make: Callable[[np.random.Generator], Args]


@dataclass(frozen=True)
class KernelSpec:
    """How to check one kernel.

    kernel: its name in ``minidl.kernels.KERNELS``.
    outputs: a name per output (a kernel returning a tuple has several).
    exact: per output, True where it must match the reference bit for bit (copies, argmax
        indices), False where sums may round differently (compared with a tight tolerance).
    cases: the edge cases, each compared with the reference.
    gradcheck: ``gradcheck(md, device)`` runs ``md.gradcheck`` on the ops that call this
        kernel (the lab runs it with the kernel swapped in) and raises on a mismatch.
    ops: the ops that gradcheck exercises, for the report.
    bench: a realistic input for the timings.
    flops: ``flops(args, kwargs)``, the arithmetic of one call, for GFLOP/s; None for a
        kernel that moves data more than it computes: then GB/s, of its arrays in and out.
    torch: ``torch(torch_module, args, kwargs)`` returns a no-argument function computing the
        same with PyTorch on the same input (CPU tensors sharing its arrays), or None.
    updates: the positional arguments a kernel updates in place and returns, in order, as
        its outputs (an optimizer step); the lab compares them with the reference's instead
        of requiring them unchanged.
    """

    kernel: str
    outputs: tuple[str, ...]
    exact: tuple[bool, ...]
    cases: tuple[Case, ...]
    gradcheck: Callable[[Any, str], None]
    ops: str
    bench: Case
    flops: Callable[[tuple[Any, ...], dict[str, Any]], float] | None = None
    torch: Callable[[Any, tuple[Any, ...], dict[str, Any]], Callable[[], Any]] | None = None
    updates: tuple[int, ...] = ()


def compare(name: str, got: Any, want: np.ndarray, exact: bool) -> str | None:
    """None when ``got`` matches ``want``; otherwise one line that says how it differs."""
    got = np.asarray(got)
    if got.shape != want.shape:
        return f"{name}: shape {got.shape}, expected {want.shape}"
    if got.dtype != want.dtype:
        return f"{name}: dtype {got.dtype}, expected {want.dtype}"
    if exact:
        same = (got == want) | (np.isnan(got) & np.isnan(want) if want.dtype.kind == "f" else False)
    else:
        rtol, atol = (1e-5, 1e-6) if want.dtype == np.float32 else (1e-10, 1e-12)
        same = np.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
    if np.all(same):
        return None
    bad = np.argwhere(~same)
    where = tuple(int(i) for i in bad[0])
    shown_got, shown_want = fmt_apart(got[where], want[where])
    head = (
        f"{name}: {len(bad)} of {want.size} values differ; first at {where}: "
        f"got {shown_got}, expected {shown_want}"
    )
    return head + _around(got, want, same, where) if got.ndim >= 2 else head


def _around(got: np.ndarray, want: np.ndarray, same: np.ndarray, where: tuple[int, ...]) -> str:
    """The rows and columns around ``where`` in the last two axes, expected beside got, each
    differing value marked with a ``*``."""
    lead, (i, j) = where[:-2], where[-2:]
    rows = range(max(i - 1, 0), min(i + 2, want.shape[-2]))
    cols = range(max(j - 2, 0), min(j + 3, want.shape[-1]))
    at = ", ".join(map(str, lead)) + (", " if lead else "")
    lines = [f"\n  around it, [{at}{rows[0]}:{rows[-1] + 1}, {cols[0]}:{cols[-1] + 1}]:"]
    for label, values in (("expected", want), ("got", got)):
        lines.append(f"    {label}:")
        for r in rows:
            cells = []
            for c in cols:
                mark = " " if same[(*lead, r, c)] else "*"
                cells.append(f"{fmt(values[(*lead, r, c)]):>9}{mark}")
            lines.append("      " + "".join(cells))
    return "\n".join(lines)


def noncontiguous(a: np.ndarray) -> np.ndarray:
    """The same values as ``a`` in a strided view (every other column of a wider array).

    NumPy calls a view contiguous when its last axis has length 1; it still has odd strides.
    """
    wide = np.empty(a.shape[:-1] + (2 * a.shape[-1],), dtype=a.dtype)
    wide[..., ::2] = a
    return wide[..., ::2]


def gradcheck_conv3x3(
    md: Any, device: str, C: tuple[int, int], C_out: tuple[int, int], algorithm: str
) -> None:
    """Two gradchecks of 3x3 stride-1 conv2d run by ``algorithm``: C[0] -> C_out[0] channels
    with bias and padding (1, 0), then C[1] -> C_out[1] with padding 2."""
    F = md.nn.functional
    rng = np.random.default_rng(0)

    def t(*shape: int) -> Any:
        return md.tensor(rng.standard_normal(shape), requires_grad=True, device=device)

    md.gradcheck(
        lambda x, w, b: F.conv2d(x, w, b, padding=(1, 0), algorithm=algorithm),
        [t(2, C[0], 5, 6), t(C_out[0], C[0], 3, 3), t(C_out[0])],
    )
    md.gradcheck(
        lambda x, w: F.conv2d(x, w, padding=2, algorithm=algorithm),
        [t(1, C[1], 3, 4), t(C_out[1], C[1], 3, 3)],
    )


def as_torch(torch: Any, *arrays: Any) -> tuple[Any, ...]:
    """The arrays as PyTorch tensors sharing their memory (None stays None)."""
    return tuple(None if a is None else torch.from_numpy(a) for a in arrays)


def conv3x3_flops(x: Any, C_out: int, PH: int, PW: int) -> float:
    """`conv_flops` of a 3x3, stride-1 layer of input x and padding (PH, PW)."""
    N, C, H, W = x.shape
    return conv_flops(N, C_out, H + 2 * PH - 2, W + 2 * PW - 2, C, 3, 3)


def weight_grad_3x3_flops(args: tuple[Any, ...], kwargs: dict[str, Any]) -> float:
    """`conv_flops` of the weight gradient of a 3x3 layer, from arguments (x, dy, ...)."""
    x, dy = args[:2]
    return conv_flops(x.shape[0], dy.shape[1], *dy.shape[2:], x.shape[1], 3, 3)


def conv_flops(N: int, C_out: int, OH: int, OW: int, C_in: int, KH: int, KW: int) -> float:
    """2 * N * C_out * OH * OW * C_in * KH * KW: the multiply-adds of a convolution, as
    GFLOP/s figures count them (whatever the algorithm actually does)."""
    return 2.0 * N * C_out * OH * OW * C_in * KH * KW
