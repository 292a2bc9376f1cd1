"""Counting and searching: results are integers or positions, so nothing here has a
gradient. `nonzero` lives here, not with the masks, because ``where(condition)`` (an
elementwise op) is ``nonzero(condition, as_tuple=True)``."""

from __future__ import annotations

from typing import Any

from .. import backend
from ..tensor import Tensor


def _data(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def unique(
    input: Tensor,
    sorted: bool = True,
    return_inverse: bool = False,  # noqa: A002
    return_counts: bool = False,
    dim: int | None = None,
) -> Any:
    """The distinct values (sorted), optionally with each value's position in them and
    their counts.  Reference: ``torch.unique``."""
    xp = backend.array_module(input.data)
    if dim is None:
        values, inverse, counts = xp.unique(input.data, return_inverse=True, return_counts=True)
        inverse = inverse.reshape(input.shape)
    else:
        d = dim % max(input.ndim, 1)
        values, inverse, counts = xp.unique(
            input.data, return_inverse=True, return_counts=True, axis=d
        )
        inverse = inverse.reshape(-1)
    out = [Tensor(values)]
    if return_inverse:
        out.append(Tensor(inverse.astype("int64")))
    if return_counts:
        out.append(Tensor(counts.astype("int64")))
    return out[0] if len(out) == 1 else tuple(out)


def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """How often each non-negative int occurs (or the sum of its weights).

    Reference: ``torch.bincount``."""
    a = input.data
    if a.ndim != 1 or a.dtype.kind not in "iu":
        raise ValueError(f"bincount: expects a 1-D int tensor, got {a.dtype} of shape {a.shape}")
    xp = backend.array_module(a)
    w = None if weights is None else _data(weights)
    counts = xp.bincount(a, weights=w, minlength=minlength)
    return Tensor(counts if w is not None else counts.astype("int64"))


def histc(input: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:  # noqa: A002
    """A histogram of ``bins`` equal bins over [min, max] (the data's range when both are 0).

    Reference: ``torch.histc``."""
    a = input.data
    xp = backend.array_module(a)
    lo, hi = (float(a.min()), float(a.max())) if min == max == 0 and a.size else (min, max)
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    counts, _ = xp.histogram(a, bins=bins, range=(lo, hi))
    return Tensor(counts.astype(a.dtype))


def searchsorted(
    sorted_sequence: Tensor,
    input: Any,
    *,
    out_int32: bool = False,
    right: bool = False,
    side: str | None = None,
    sorter: Any = None,
) -> Tensor:
    """Where each value would go to keep the (last-dim) sorted sequence sorted.

    Reference: ``torch.searchsorted``."""
    seq, values = sorted_sequence.data, _data(input)
    xp = backend.array_module(seq)
    how = side or ("right" if right else "left")
    if sorter is not None:
        seq = xp.take_along_axis(seq, _data(sorter), axis=-1)
    values = xp.asarray(values)
    dtype = "int32" if out_int32 else "int64"
    if seq.ndim == 1:
        return Tensor(xp.asarray(xp.searchsorted(seq, values, side=how)).astype(dtype))
    if values.size == 0:
        return Tensor(xp.zeros(values.shape, dtype))
    rows = seq.reshape(-1, seq.shape[-1])
    queries = values.reshape(rows.shape[0], values.shape[-1])
    out = xp.zeros(queries.shape, dtype)
    for i, (s, v) in enumerate(zip(rows, queries)):
        out[i] = xp.searchsorted(s, v, side=how)
    return Tensor(out.reshape(values.shape))


def bucketize(
    input: Any, boundaries: Tensor, *, out_int32: bool = False, right: bool = False
) -> Tensor:
    """The bucket of each value among 1-D sorted ``boundaries``.  ``torch.bucketize``."""
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:
    """The indices of the non-zero values: an (n, ndim) int64 tensor, or one 1-D tensor per
    dim with ``as_tuple=True``.  Reference: ``torch.nonzero``."""
    xp = backend.array_module(input.data)
    found = xp.nonzero(input.data.reshape(1) if input.ndim == 0 else input.data)
    if as_tuple:
        return tuple(Tensor(i.astype("int64")) for i in found)
    if input.ndim == 0:
        return Tensor(xp.zeros((int(found[0].size), 0), "int64"))
    return Tensor(xp.stack(found, axis=1).astype("int64"))


def argwhere(input: Tensor) -> Tensor:
    return nonzero(input)
