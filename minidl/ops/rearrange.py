"""More ways to rearrange values, each composed from the shape ops and indexing (so their
gradients follow): ravel, select, rot90, repeat_interleave, diff, broadcast_tensors,
meshgrid."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import backend
from ..tensor import Tensor
from .join import cat
from .select import index_select
from .shape import _dim, broadcast_to, flip, getitem, reshape, transpose


def ravel(input: Tensor) -> Tensor:
    """The values as a 1-D tensor.  Reference: ``torch.ravel``."""
    return reshape(input, (-1,)) if input.data.size else reshape(input, (0,))


def select(input: Tensor, dim: int, index: int) -> Tensor:
    """The slice at ``index`` along ``dim``, without that dim.  Reference: ``torch.select``."""
    d = _dim("select", dim, input.ndim)
    n = input.shape[d]
    if not -n <= index < n:
        raise IndexError(f"select: index {index} is out of range for dim {dim} of size {n}")
    return getitem(input, (slice(None),) * d + (int(index) % n,))


def rot90(input: Tensor, k: int = 1, dims: Sequence[int] = (0, 1)) -> Tensor:
    """Rotate by 90° k times in the plane of ``dims`` (from the first towards the second).

    Reference: ``torch.rot90``."""
    d0, d1 = (_dim("rot90", d, input.ndim) for d in dims)
    if d0 == d1:
        raise ValueError(f"rot90: dims must differ, got {tuple(dims)}")
    k %= 4
    if k == 0:
        return input
    if k == 2:
        return flip(input, (d0, d1))
    if k == 1:
        return transpose(flip(input, d1), d0, d1)
    return flip(transpose(input, d0, d1), d1)


def repeat_interleave(
    input: Any, repeats: Any = None, dim: int | None = None, *, output_size: int | None = None
) -> Tensor:
    """Each value (slice along ``dim``) repeated ``repeats`` times in place: [1, 2] by 2 is
    [1, 1, 2, 2]. With only an int tensor, its values are the repeats of 0, 1, 2, ...

    Reference: ``torch.repeat_interleave``."""
    if repeats is None:  # repeat_interleave(counts) -> arange repeated by counts
        counts = input.data
        xp = backend.array_module(counts)
        return Tensor(xp.repeat(xp.arange(counts.size), counts).astype("int64"))
    x = ravel(input) if dim is None else input
    d = 0 if dim is None else _dim("repeat_interleave", dim, x.ndim)
    n = x.shape[d] if x.ndim else 1
    xp = backend.array_module(x.data)
    r = repeats.data if isinstance(repeats, Tensor) else np.asarray(repeats)
    if r.ndim == 0 or r.size == 1:
        r = xp.full(n, int(r.reshape(())))
    if r.size != n or (r.size and int(r.min()) < 0):
        raise ValueError(
            f"repeat_interleave: repeats must be one non-negative int or {n} of them, got {r}"
        )
    x = x if x.ndim else x.reshape(1)
    return index_select(x, d, xp.repeat(xp.arange(n), r))


def diff(
    input: Tensor,
    n: int = 1,
    dim: int = -1,
    prepend: Tensor | None = None,
    append: Tensor | None = None,
) -> Tensor:
    """The n-th forward difference along ``dim``: out[i] = x[i+1] - x[i], n times.

    Reference: ``torch.diff``."""
    d = _dim("diff", dim, input.ndim)
    if n == 0:
        return input
    parts = [t for t in (prepend, input, append) if t is not None]
    x = cat(parts, d) if len(parts) > 1 else input
    for _ in range(n):
        lead = (slice(None),) * d
        x = getitem(x, lead + (slice(1, None),)) - getitem(x, lead + (slice(None, -1),))
    return x


def broadcast_tensors(*tensors: Tensor) -> tuple[Tensor, ...]:
    """The tensors broadcast to their common shape.  Reference: ``torch.broadcast_tensors``."""
    shape = np.broadcast_shapes(*[t.shape for t in tensors])
    return tuple(broadcast_to(t, shape) for t in tensors)


def meshgrid(*tensors: Any, indexing: str = "ij") -> tuple[Tensor, ...]:
    """Coordinate grids from 1-D tensors; ``indexing="xy"`` swaps the first two dims.

    Reference: ``torch.meshgrid``."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    if any(t.ndim > 1 for t in tensors):
        raise ValueError("meshgrid: expects 0-d or 1-D tensors")
    vecs = [t.reshape(-1) for t in tensors]
    order = list(range(len(vecs)))
    if indexing == "xy" and len(vecs) >= 2:
        order[0], order[1] = 1, 0
    sizes = [vecs[i].shape[0] for i in order]
    out = []
    for k, v in enumerate(vecs):
        shape = [1] * len(vecs)
        shape[order.index(k)] = v.shape[0]
        out.append(broadcast_to(v.reshape(shape), sizes))
    return tuple(out)
