"""Writing by index, the mirror of `select`: ``scatter``, ``scatter_add``, ``index_add``,
``index_copy``, ``index_fill``. Their backwards read the gradient back with the same
indices (a gather), and zero it where a written value replaced the input's."""

from __future__ import annotations

from typing import Any

from .. import backend
from ..autograd import Function
from ..tensor import Tensor
from .select import _check_index, _full_index, _one_dim, index_select


class Scatter(Function):
    """out = input, then out[index[i]] (along ``dim``) = src[i] (``add``: += src[i])."""

    linear = (0, 2)

    @staticmethod
    def forward(ctx, a, index, src, dim, add):
        xp = backend.array_module(a)
        out = a.copy()
        where = _full_index(xp, index, dim)
        values = src[tuple(slice(0, n) for n in index.shape)]
        if add:
            backend.scatter_add(out, where, values)
        else:
            out[where] = values
        ctx.save_for_backward(index)
        ctx.dim, ctx.add, ctx.src_shape = dim, add, src.shape
        return out

    @staticmethod
    def backward(ctx, g):
        (index,) = ctx.saved_tensors
        xp = backend.array_module(g)
        where = _full_index(xp, index, ctx.dim)
        ga = g
        if not ctx.add:
            ga = g.copy()
            ga[where] = 0  # the written places no longer depend on the input
        gs = None
        if ctx.needs_input_grad[2]:
            gs = xp.zeros(ctx.src_shape, g.dtype)
            gs[tuple(slice(0, n) for n in index.shape)] = g[where]
        return ga, None, gs, None, None


def _scatter(op: str, input: Tensor, dim: int, index: Any, src: Any, add: bool) -> Tensor:
    d = _one_dim(op, input, dim)
    x = input if input.ndim else input.reshape(1)
    idx = _check_index(op, index, x.shape[d])
    idx = idx.reshape(1) if idx.ndim == 0 else idx
    xp = backend.array_module(x.data)
    if not isinstance(src, Tensor):
        src = Tensor(xp.full(idx.shape, src, x.dtype))
    s = src if src.ndim else src.reshape(1)
    if (
        idx.ndim != x.ndim
        or any(i > n for k, (i, n) in enumerate(zip(idx.shape, x.shape)) if k != d)
        or any(i > n for i, n in zip(idx.shape, s.shape))
    ):
        raise ValueError(
            f"{op}: index {idx.shape} must have the input's {x.ndim} dims and be no larger "
            f"than src {s.shape}, nor than input {x.shape} outside dim {d}"
        )
    out = Scatter.apply(x, idx % x.shape[d] if x.shape[d] else idx, s.to(x.dtype), d, add)
    return out.reshape(()) if input.ndim == 0 else out


def scatter(
    input: Tensor,
    dim: int,
    index: Any,
    src: Any = None,
    *,
    value: Any = None,
    reduce: str | None = None,
) -> Tensor:
    """A copy of ``input`` with ``src[i][j]`` written at ``[index[i][j]][j]`` (dim 0; likewise
    for other dims); ``src`` may be a number (or give ``value=``).  Where an index repeats,
    one of the values wins.  Reference: ``torch.scatter``."""
    if reduce is not None:
        if reduce != "add":
            raise NotImplementedError(f"scatter: reduce={reduce!r} is not supported (only 'add')")
        return scatter_add(input, dim, index, src)
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter: give src (a tensor or number) or value=")
    return _scatter("scatter", input, dim, index, src, add=False)


def scatter_add(input: Tensor, dim: int, index: Any, src: Tensor) -> Tensor:
    """A copy of ``input`` with ``src[i][j]`` added at ``[index[i][j]][j]`` (dim 0); repeated
    indices add up.  Reference: ``torch.scatter_add``."""
    return _scatter("scatter_add", input, dim, index, src, add=True)


def _slices(op: str, input: Tensor, dim: int, index: Any, source_shape: tuple | None) -> tuple:
    d = _one_dim(op, input, dim)
    n = input.shape[d] if input.ndim else 1
    idx = _check_index(op, index, n)
    if idx.ndim > 1:
        raise ValueError(f"{op}: index must be 1-D or 0-d, got shape {idx.shape}")
    idx = idx.reshape(-1) % max(n, 1)
    shape = [1] * max(input.ndim, 1)
    shape[d] = idx.size
    full = [idx.size if k == d else m for k, m in enumerate(input.shape or (1,))]
    xp = backend.array_module(idx)
    return d, xp.broadcast_to(idx.reshape(shape), full), tuple(full)


def index_add(input: Tensor, dim: int, index: Any, source: Tensor, *, alpha: float = 1) -> Tensor:
    """A copy of ``input`` with the slices of ``source`` (times ``alpha``) added at the
    positions ``index`` along ``dim``.  Reference: ``torch.index_add``."""
    d, full, shape = _slices("index_add", input, dim, index, None)
    x = input if input.ndim else input.reshape(1)
    s = source if alpha == 1 else source * alpha
    s = s.reshape(shape) if s.shape != shape else s
    out = Scatter.apply(x, full, s.to(x.dtype), d, True)
    return out.reshape(()) if input.ndim == 0 else out


def index_copy(input: Tensor, dim: int, index: Any, source: Tensor) -> Tensor:
    """A copy of ``input`` with the slices of ``source`` written at ``index`` along ``dim``.

    Reference: ``torch.index_copy``."""
    d, full, shape = _slices("index_copy", input, dim, index, None)
    x = input if input.ndim else input.reshape(1)
    s = source.reshape(shape) if source.shape != shape else source
    out = Scatter.apply(x, full, s.to(x.dtype), d, False)
    return out.reshape(()) if input.ndim == 0 else out


def index_fill(input: Tensor, dim: int, index: Any, value: Any) -> Tensor:
    """A copy of ``input`` with the slices at ``index`` along ``dim`` set to ``value`` (a
    number or a 0-d tensor, which then gets their gradient).  ``torch.index_fill``."""
    xp = backend.array_module(input.data)
    index = index.data if isinstance(index, Tensor) else index
    # filling twice is filling once: repeated indices must not count the value's gradient twice
    index = xp.unique(
        xp.asarray(index).reshape(-1)
        % max(input.shape[_one_dim("index_fill", input, dim)] if input.ndim else 1, 1)
    )
    d, full, shape = _slices("index_fill", input, dim, index, None)
    x = input if input.ndim else input.reshape(1)
    src = (
        value.expand(shape) if isinstance(value, Tensor) else Tensor(xp.full(shape, value, x.dtype))
    )
    out = Scatter.apply(x, full, src.to(x.dtype), d, False)
    return out.reshape(()) if input.ndim == 0 else out


def take(input: Tensor, index: Any) -> Tensor:
    """Values of the flattened input at ``index`` (any shape).  Reference: ``torch.take``."""
    flat = input.reshape(-1)
    idx = _check_index("take", index, flat.shape[0])
    return index_select(flat, 0, idx.reshape(-1)).reshape(idx.shape)
