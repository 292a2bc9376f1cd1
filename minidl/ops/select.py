"""Picking values by index along a dim: one primitive, `TakeAlongDim`, and what is built on
it — ``max``/``min`` with a dim, ``sort``, ``topk``, ``median``, ``gather``, ``index_select``.

Each op finds its indices on plain arrays (no gradient), then takes the values with
`TakeAlongDim`, whose backward adds the gradient back at the indices it read (an index read
twice gets both gradients). So the gradient goes to the chosen element only, as in PyTorch's
``max(dim)``; ``amax`` (in `reduce`) is the one that splits it between ties.
"""

from __future__ import annotations

import builtins
from collections import namedtuple
from typing import Any

from .. import backend
from ..autograd import Function
from ..tensor import Tensor
from .elementwise import maximum, minimum
from .reduce import amax, amin, resolve_dims, resolve_keepdim

# PyTorch's return types: ``values, indices = x.max(1)`` and ``out.values`` both work
MaxResult = namedtuple("max", ["values", "indices"])
MinResult = namedtuple("min", ["values", "indices"])
SortResult = namedtuple("sort", ["values", "indices"])
TopkResult = namedtuple("topk", ["values", "indices"])
MedianResult = namedtuple("median", ["values", "indices"])
KthvalueResult = namedtuple("kthvalue", ["values", "indices"])


def _full_index(xp: Any, index: Any, dim: int) -> tuple[Any, ...]:
    """``index`` along ``dim`` plus broadcast ranges along the other dims."""
    grids = []
    for d, n in enumerate(index.shape):
        shape = [1] * index.ndim
        shape[d] = n
        grids.append(index if d == dim else xp.arange(n).reshape(shape))
    return tuple(grids)


class TakeAlongDim(Function):
    """out[..., i, ...] = a[..., index[..., i, ...], ...] along ``dim``."""

    linear = (0,)

    @staticmethod
    def forward(ctx, a, index, dim):
        ctx.shape, ctx.dtype, ctx.dim = a.shape, a.dtype, dim
        ctx.save_for_backward(index)
        return backend.array_module(a).take_along_axis(a, index, axis=dim)

    @staticmethod
    def backward(ctx, g):
        (index,) = ctx.saved_tensors
        xp = backend.array_module(g)
        grad = xp.zeros(ctx.shape, ctx.dtype)
        backend.scatter_add(grad, _full_index(xp, index, ctx.dim), g)
        return grad, None, None


def _one_dim(op: str, input: Tensor, dim: Any) -> int:
    if not isinstance(dim, int) or isinstance(dim, bool):
        raise TypeError(f"{op}: dim must be one int, got {dim!r}")
    dims = resolve_dims(op, input.ndim, dim)
    return dims[0] if dims else 0


def _as_nd(a: Any) -> Any:
    """A 0-d array as shape (1,), so that one code path serves it (PyTorch allows dim 0)."""
    return a.reshape(1) if a.ndim == 0 else a


def _take(input: Tensor, index: Any, dim: int, keepdim: bool) -> tuple[Tensor, Tensor]:
    """Values at ``index`` (which keeps ``dim`` with length k) and the index as int64."""
    x = input if input.ndim else input.reshape(1)
    values = TakeAlongDim.apply(x, index, dim)
    index = index.astype("int64", copy=False)
    if not keepdim:
        values = values.reshape(values.shape[:dim] + values.shape[dim + 1 :])
        index = index.squeeze(axis=dim)
    if input.ndim == 0:
        values, index = values.reshape(()), index.reshape(())
    return values, Tensor(index)


def _check_nonempty_dim(op: str, input: Tensor, dim: int) -> None:
    if input.ndim and input.shape[dim] == 0:
        raise IndexError(f"{op}: cannot reduce dim {dim} of size 0 (tensor of shape {input.shape})")


def _extreme(op: str, input: Tensor, dim: int, keepdim: bool, largest: bool) -> Any:
    _check_nonempty_dim(op, input, dim)
    a = _as_nd(input.data)
    xp = backend.array_module(a)
    # NaN wins, as in PyTorch: it compares as the largest and the smallest value
    nan = xp.isnan(a) if a.dtype.kind in "fc" else None
    idx = a.argmax(axis=dim) if largest else a.argmin(axis=dim)
    if nan is not None:
        idx = xp.where(nan.any(axis=dim), nan.argmax(axis=dim), idx)
    return _take(input, xp.expand_dims(idx, dim), dim, keepdim)


def _max_or_min(
    op: str, input: Tensor, dim: Any, keepdim: bool, axis: Any, keepdims: bool | None, largest: bool
) -> Any:
    if isinstance(dim, Tensor):
        return (maximum if largest else minimum)(input, dim)
    dim = dim if axis is None else axis
    if dim is None:
        return (amax if largest else amin)(input)
    values, indices = _extreme(
        op, input, _one_dim(op, input, dim), resolve_keepdim(op, keepdim, keepdims), largest
    )
    return (MaxResult if largest else MinResult)(values, indices)


def max(  # noqa: A001 - PyTorch's name
    input: Tensor,
    dim: Any = None,
    keepdim: bool = False,
    *,
    axis: Any = None,
    keepdims: bool | None = None,
) -> Any:
    """``max(x)``: the largest value (ties share the gradient); ``max(x, dim)``: a
    ``(values, indices)`` named tuple, the first maximum's index, the gradient to it alone;
    ``max(x, other)``: the elementwise `maximum`.  Reference: ``torch.max``."""
    return _max_or_min("max", input, dim, keepdim, axis, keepdims, largest=True)


def min(  # noqa: A001 - PyTorch's name
    input: Tensor,
    dim: Any = None,
    keepdim: bool = False,
    *,
    axis: Any = None,
    keepdims: bool | None = None,
) -> Any:
    """Like `max`, for the smallest value.  Reference: ``torch.min``."""
    return _max_or_min("min", input, dim, keepdim, axis, keepdims, largest=False)


def _arg(op: str, input: Tensor, dim: Any, keepdim: bool, largest: bool) -> Tensor:
    a = input.data
    if dim is None:
        if a.size == 0:
            raise IndexError(f"{op}: cannot take the {op} of an empty tensor")
        flat = a.reshape(-1)
        idx = flat.argmax() if largest else flat.argmin()
        nan = backend.array_module(a).isnan(flat) if a.dtype.kind in "fc" else None
        if nan is not None and nan.any():
            idx = nan.argmax()
        out = idx.astype("int64")
        return Tensor(out.reshape((1,) * a.ndim) if keepdim else out.reshape(()))
    return _extreme(op, Tensor(a), _one_dim(op, input, dim), keepdim, largest)[1]


def argmax(
    input: Tensor, dim: int | None = None, keepdim: bool = False, *, axis: int | None = None
) -> Tensor:
    """Index of the first maximum (of the flattened tensor when ``dim`` is None).

    No gradient.  Reference: ``torch.argmax``."""
    return _arg("argmax", input, dim if axis is None else axis, keepdim, largest=True)


def argmin(
    input: Tensor, dim: int | None = None, keepdim: bool = False, *, axis: int | None = None
) -> Tensor:
    """Index of the first minimum.  No gradient.  Reference: ``torch.argmin``."""
    return _arg("argmin", input, dim if axis is None else axis, keepdim, largest=False)


def _order(a: Any, dim: int, descending: bool) -> Any:
    """Stable sort order along ``dim``; NaN sorts last ascending and first descending."""
    xp = backend.array_module(a)
    if not descending:
        return xp.argsort(a, axis=dim, kind="stable")
    # a stable descending order keeps equal values in their original order: sort the
    # negated values (NaN stays NaN, so put it first by hand)
    key = -a if a.dtype.kind != "b" else ~a
    if a.dtype.kind in "fc":
        key = xp.where(xp.isnan(a), -xp.inf, key)
    return xp.argsort(key, axis=dim, kind="stable")


def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
    """Values sorted along ``dim`` and where they came from, as a ``(values, indices)`` named
    tuple; equal values keep their order (always stable).  Reference: ``torch.sort``."""
    d = _one_dim("sort", input, dim)
    return SortResult(*_take(input, _order(_as_nd(input.data), d, descending), d, True))


def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort ``input`` along ``dim``.  Reference: ``torch.argsort``."""
    return sort(input, dim, descending, stable).indices


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:  # noqa: A002
    """The ``k`` largest (or smallest) values along ``dim`` and their indices, largest first.

    Reference: ``torch.topk``."""
    d = _one_dim("topk", input, dim)
    n = input.shape[d] if input.ndim else 1
    if not 0 <= k <= n:
        raise IndexError(f"topk: k={k} is out of range for dim {dim} of size {n}")
    order = _order(_as_nd(input.data), d, descending=largest)
    xp = backend.array_module(order)
    return TopkResult(*_take(input, xp.take(order, xp.arange(k), axis=d), d, True))


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> Any:
    """The k-th smallest value along ``dim`` (k counts from 1) and its index.

    Reference: ``torch.kthvalue``."""
    d = _one_dim("kthvalue", input, dim)
    n = input.shape[d] if input.ndim else 1
    if not 1 <= k <= n:
        raise IndexError(f"kthvalue: k={k} is out of range for dim {dim} of size {n}")
    order = _order(_as_nd(input.data), d, descending=False)
    xp = backend.array_module(order)
    return KthvalueResult(*_take(input, xp.take(order, xp.asarray([k - 1]), axis=d), d, keepdim))


def median(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
    """The lower median (the ⌊(n-1)/2⌋-th smallest value): of all values when ``dim`` is
    None, else a ``(values, indices)`` named tuple along ``dim``.  Reference: ``torch.median``."""
    if dim is None:
        flat = input.reshape(-1)
        if flat.shape[0] == 0:
            raise IndexError("median: cannot take the median of an empty tensor")
        return kthvalue(flat, (flat.shape[0] - 1) // 2 + 1, 0).values
    d = _one_dim("median", input, dim)
    _check_nonempty_dim("median", input, d)
    n = input.shape[d] if input.ndim else 1
    return MedianResult(*kthvalue(input, (n - 1) // 2 + 1, d, keepdim))


def _check_index(op: str, index: Any, size: int) -> Any:
    index = index.data if isinstance(index, Tensor) else index
    if getattr(index, "dtype", None) is None or index.dtype.kind not in "iu":
        raise TypeError(
            f"{op}: index must be an integer tensor, got {getattr(index, 'dtype', type(index))}"
        )
    if index.size and (int(index.min()) < -size or int(index.max()) >= size):
        raise IndexError(
            f"{op}: index values in [{int(index.min())}, {int(index.max())}] are out of range "
            f"for a dim of size {size}"
        )
    return index


def gather(input: Tensor, dim: int, index: Any, *, sparse_grad: bool = False) -> Tensor:
    """out[i][j][k] = input[i][index[i][j][k]][k] for dim = 1 (likewise for other dims).

    ``index`` has ``input``'s number of dims and may be smaller along any of them.
    Reference: ``torch.gather``."""
    d = _one_dim("gather", input, dim)
    x = input if input.ndim else input.reshape(1)
    index = _check_index("gather", index, x.shape[d])
    index_shape = index.shape
    index = _as_nd(index)
    if index.ndim != x.ndim or any(
        i > n for k, (i, n) in enumerate(zip(index.shape, x.shape)) if k != d
    ):
        raise ValueError(
            f"gather: index of shape {index.shape} must have the input's {x.ndim} dims and be no "
            f"larger than input {x.shape} outside dim {d}"
        )
    # take_along_axis needs equal sizes outside `dim`: cut the input down to the index
    if any(i < n for k, (i, n) in enumerate(zip(index.shape, x.shape)) if k != d):
        x = x[tuple(slice(None) if k == d else slice(0, i) for k, i in enumerate(index.shape))]
    out = TakeAlongDim.apply(x, index % x.shape[d], d)
    return out.reshape(index_shape) if input.ndim == 0 else out


def take_along_dim(input: Tensor, indices: Any, dim: int | None = None) -> Tensor:
    """`gather` with broadcasting of ``indices``; ``dim=None`` indexes the flattened input.

    Reference: ``torch.take_along_dim``."""
    if dim is None:
        return gather(
            input.reshape(-1),
            0,
            _check_index("take_along_dim", indices, input.data.size).reshape(-1),
        )
    d = _one_dim("take_along_dim", input, dim)
    idx = _check_index("take_along_dim", indices, input.shape[d])
    xp = backend.array_module(idx)
    shape = [
        builtins.max(a, b) if k != d else b for k, (a, b) in enumerate(zip(input.shape, idx.shape))
    ]
    x = input.expand(*[n if k == d else shape[k] for k, n in enumerate(input.shape)])
    idx = xp.broadcast_to(idx, [n if k == d else shape[k] for k, n in enumerate(idx.shape)])
    return TakeAlongDim.apply(x, idx % builtins.max(input.shape[d], 1), d)


def index_select(input: Tensor, dim: int, index: Any) -> Tensor:
    """The slices ``index`` (a 1-D or 0-d integer tensor) along ``dim``.

    Reference: ``torch.index_select``."""
    d = _one_dim("index_select", input, dim)
    x = input if input.ndim else input.reshape(1)
    index = _check_index("index_select", index, x.shape[d])
    if index.ndim > 1:
        raise ValueError(f"index_select: index must be 1-D or 0-d, got shape {index.shape}")
    shape = [1] * x.ndim
    shape[d] = index.size
    xp = backend.array_module(index)
    full = xp.broadcast_to(
        (index.reshape(-1) % x.shape[d]).reshape(shape),
        [index.size if k == d else n for k, n in enumerate(x.shape)],
    )
    out = TakeAlongDim.apply(x, full, d)
    return out.reshape(()) if input.ndim == 0 else out
