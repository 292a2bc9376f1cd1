"""Window geometry, written once: output sizes, window slices and the argument checks that
conv, pooling, upsampling and roi_align share (kernels and ops both import it).

Notation: along one axis, an input of ``size`` pixels, a kernel of K taps D apart (dilation),
stride S and padding P on both sides. The dilated window spans D*(K-1) + 1 pixels.
"""

from __future__ import annotations

import operator
from typing import Any

Pair = tuple[int, int]


def conv_output_size(size: int, K: int, S: int, P: int, D: int = 1) -> int:
    """floor((size + 2P - D*(K-1) - 1) / S) + 1: how many windows fit (PyTorch's Conv2d)."""
    return (size + 2 * P - D * (K - 1) - 1) // S + 1


def pool_output_size(size: int, K: int, S: int, P: int, D: int = 1, ceil_mode: bool = False) -> int:
    """Output length of a pooling, PyTorch's ``pooling_output_shape``.

    `conv_output_size`, rounded up instead with ``ceil_mode``; a window that would then start
    past the input and its left padding (in the right padding) is dropped.
    """
    span = D * (K - 1) + 1
    out = (size + 2 * P - span + (S - 1 if ceil_mode else 0)) // S + 1
    if ceil_mode and (out - 1) * S >= size + P:
        out -= 1
    return out


def transpose_output_size(
    size: tuple[int, ...],
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    padding: tuple[int, ...],
    output_padding: tuple[int, ...],
    dilation: tuple[int, ...],
) -> Pair:
    """(H-1)*S - 2P + D*(K-1) + output_padding + 1 per axis (PyTorch's ConvTranspose2d)."""
    return tuple(  # type: ignore[return-value]
        (n - 1) * s - 2 * p + d * (k - 1) + op + 1
        for n, k, s, p, op, d in zip(size, kernel, stride, padding, output_padding, dilation)
    )


def same_padding(kernel: Pair, dilation: Pair) -> tuple[Pair, Pair]:
    """'same' padding for stride 1, as (before, extra): D*(K-1) in all per axis, split in two;
    PyTorch puts the odd extra pixel at the end (bottom, right)."""
    total = [d * (k - 1) for k, d in zip(kernel, dilation)]
    before = (total[0] // 2, total[1] // 2)
    extra = (total[0] - 2 * before[0], total[1] - 2 * before[1])
    return before, extra


def window_tap(kh: int, kw: int, SH: int, SW: int, OH: int, OW: int) -> tuple[slice, ...]:
    """Index of tap (kh, kw) of every window at once, in a padded (N, C, ., .) input: the
    (OH, OW) pixels that the tap reads, one per window."""
    rows = slice(kh, kh + SH * (OH - 1) + 1, SH)
    cols = slice(kw, kw + SW * (OW - 1) + 1, SW)
    return (slice(None), slice(None), rows, cols)


def end_padding(size: int, K: int, S: int, P: int, out: int) -> int:
    """Pixels to add after the input so that all ``out`` windows fit (a ceil_mode window may
    run past the padding)."""
    return max(0, (out - 1) * S + K - size - P)


# ---- argument checks -------------------------------------------------------------------


def pair(op: str, name: str, value: Any, minimum: int, *, one: bool = False) -> Pair:
    """An int or a pair of ints, each >= minimum, as a pair (PyTorch's ``_pair``); with
    ``one``, a 1-tuple too (PyTorch's pooling ops accept it).

    NumPy integers count as ints (anything with ``__index__``).
    """
    try:
        many = isinstance(value, (tuple, list))
        values = tuple(operator.index(v) for v in value) if many else (operator.index(value),) * 2
    except TypeError:
        values = ()
    if one and len(values) == 1:
        values = values * 2
    if len(values) != 2 or min(values) < minimum:
        raise ValueError(
            f"{op}: {name} must be an int or a pair of ints >= {minimum}, got {value!r}"
        )
    return values  # type: ignore[return-value]


def check_image(op: str, x: Any, what: str = "input", *, unbatched: bool = False) -> None:
    """``x`` is a 4-D (N, C, H, W) floating-point array or tensor; with ``unbatched``, a 3-D
    (C, H, W) one too."""
    if unbatched and len(x.shape) not in (3, 4):
        raise ValueError(
            f"{op}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) {what}, got shape {tuple(x.shape)}"
        )
    if not unbatched and len(x.shape) != 4:
        raise ValueError(f"{op}: expected a 4-D {what} (N, C, H, W), got shape {tuple(x.shape)}")
    if x.dtype.kind != "f":
        raise ValueError(f"{op}: expected a floating-point {what}, got {x.dtype}")


def batched(op: str, x: Any) -> tuple[Any, bool]:
    """(N, C, H, W) as it is, or an unbatched (C, H, W) as (1, C, H, W), like PyTorch; and
    whether it was batched (the op removes the batch axis again when not)."""
    if len(x.shape) == 3:
        return x.reshape(1, *x.shape), False
    if len(x.shape) != 4:
        raise ValueError(
            f"{op}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape {tuple(x.shape)}"
        )
    return x, True
