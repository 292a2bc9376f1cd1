"""Joining tensors and cutting them apart: ``cat``, ``stack`` and their inverses ``split``,
``chunk``, ``unbind``. Concatenation is the primitive; its backward splits the gradient."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import backend
from ..autograd import Function
from ..tensor import Tensor
from .shape import _dim, atleast_3d, getitem, reshape, unsqueeze


class Concat(Function):
    linear = "all"

    @staticmethod
    def forward(ctx, *arrays, dim):
        ctx.dim = dim
        ctx.bounds = np.cumsum([a.shape[dim] for a in arrays])[:-1]
        return backend.array_module(arrays[0]).concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx, g):
        xp = backend.array_module(g)
        return tuple(xp.split(g, ctx.bounds, axis=ctx.dim))


def _tensors(op: str, tensors: Sequence[Tensor]) -> list[Tensor]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}: expected a list or tuple of tensors, got {type(tensors).__name__}")
    if not tensors:
        raise ValueError(f"{op}: expected at least one tensor, got none")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: element {i} is a {type(t).__name__}, not a Tensor")
    return list(tensors)


def cat(tensors: Sequence[Tensor], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Join tensors along an existing dim.  All other dims must match; 1-D empty tensors
    (shape (0,)) are skipped, as PyTorch does.  Reference: ``torch.cat``."""
    tensors = _tensors("cat", tensors)
    dim = dim if axis is None else axis
    kept = [t for t in tensors if t.shape != (0,)] or tensors[:1]
    first = kept[0].shape
    if len(first) == 0:
        raise ValueError("cat: zero-dimensional tensors cannot be concatenated; stack them")
    d = _dim("cat", dim, len(first))
    for i, t in enumerate(kept):
        if t.ndim != len(first) or any(
            n != m for k, (n, m) in enumerate(zip(t.shape, first)) if k != d
        ):
            raise ValueError(
                f"cat: tensor {i} has shape {t.shape} but tensor 0 has {first}; all dims "
                f"except dim {d} must match"
            )
    dtype = np.result_type(*[t.dtype for t in kept])
    kept = [t if t.dtype == dtype else t.to(dtype) for t in kept]
    return kept[0] if len(kept) == 1 else Concat.apply(*kept, dim=d)


concat = concatenate = cat


def stack(tensors: Sequence[Tensor], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Join tensors of one shape along a new dim.  Reference: ``torch.stack``."""
    tensors = _tensors("stack", tensors)
    dim = dim if axis is None else axis
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise ValueError(f"stack: all tensors must have one shape, got {sorted(shapes)}")
    d = _dim("stack", dim, tensors[0].ndim + 1)
    return cat([unsqueeze(t, d) for t in tensors], d)


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join along dim 1 (dim 0 for 1-D tensors).  Reference: ``torch.hstack``."""
    tensors = [t.reshape(1) if t.ndim == 0 else t for t in _tensors("hstack", tensors)]
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join along dim 0, 1-D tensors becoming rows.  Reference: ``torch.vstack``."""
    tensors = _tensors("vstack", tensors)
    return cat([t.reshape(1, -1) if t.ndim < 2 else t for t in tensors], 0)


def split(
    tensor: Tensor, split_size_or_sections: int | Sequence[int], dim: int = 0
) -> tuple[Tensor, ...]:
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or pieces of the
    listed sizes.  Reference: ``torch.split``."""
    d = _dim("split", dim, tensor.ndim)
    n = tensor.shape[d] if tensor.ndim else 1
    if isinstance(split_size_or_sections, (int, np.integer)):
        size = int(split_size_or_sections)
        if size < 0 or (size == 0 and n):
            raise ValueError(f"split: split_size must be positive, got {size}")
        sizes = ([size] * (n // size) + ([n % size] if n % size else [])) if size else []
        sizes = sizes or [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise ValueError(f"split: sections {sizes} must be >= 0 and add up to {n} (dim {d})")
    bounds = np.cumsum([0] + sizes)
    lead = (slice(None),) * d
    return tuple(
        getitem(tensor, lead + (slice(int(a), int(b)),)) for a, b in zip(bounds, bounds[1:])
    )


def tensor_split(
    tensor: Tensor, indices_or_sections: int | Sequence[int], dim: int = 0
) -> tuple[Tensor, ...]:
    """``sections`` nearly equal pieces (the first ones one longer), or cuts at ``indices``.

    Reference: ``torch.tensor_split``."""
    d = _dim("tensor_split", dim, tensor.ndim)
    n = tensor.shape[d]
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
        if k <= 0:
            raise ValueError(f"tensor_split: sections must be positive, got {k}")
        sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
        cuts = list(np.cumsum(sizes)[:-1])
    else:
        cuts = [int(i) for i in indices_or_sections]
    lead = (slice(None),) * d
    edges = [0] + cuts + [n]
    return tuple(getitem(tensor, lead + (slice(a, max(a, b)),)) for a, b in zip(edges, edges[1:]))


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """At most ``chunks`` pieces of ceil(n / chunks) along ``dim``.  Reference: ``torch.chunk``."""
    if not isinstance(chunks, (int, np.integer)) or chunks <= 0:
        raise ValueError(f"chunk: chunks must be a positive int, got {chunks!r}")
    d = _dim("chunk", dim, input.ndim)
    return split(input, max(-(-input.shape[d] // chunks), 1), d)


def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """The slices along ``dim``, each without that dim.  Reference: ``torch.unbind``."""
    d = _dim("unbind", dim, input.ndim)
    rest = input.shape[:d] + input.shape[d + 1 :]
    return tuple(reshape(p, rest) for p in split(input, 1, d))


def column_stack(tensors: Sequence[Tensor]) -> Tensor:
    """Join along dim 1, 0-d and 1-D tensors becoming columns.  ``torch.column_stack``."""
    tensors = _tensors("column_stack", tensors)
    return cat([t.reshape(-1, 1) if t.ndim < 2 else t for t in tensors], 1)


def dstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join along dim 2 (depth).  Reference: ``torch.dstack``."""
    tensors = _tensors("dstack", tensors)
    return cat([atleast_3d(t) for t in tensors], 2)
