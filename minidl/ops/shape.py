"""Ops that move values around without arithmetic: reshape (and atleast_Nd), permute,
indexing, concatenation, broadcasting, and the device/dtype conversions.

Each backward puts the gradient back where the value came from.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function
from ..tensor import Tensor, _dim

# ---- reshape and permute ------------------------------------------------------------------


class Reshape(Function):
    linear = (0,)

    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return a.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape), None


class Permute(Function):
    linear = (0,)

    @staticmethod
    def forward(ctx, a, axes):
        ctx.inverse = tuple(np.argsort(axes))
        return a.transpose(axes)

    @staticmethod
    def backward(ctx, g):
        return g.transpose(ctx.inverse), None


class BroadcastTo(Function):
    linear = (0,)

    @staticmethod
    def forward(ctx, a, shape):
        return backend.array_module(a).broadcast_to(a, shape)

    @staticmethod
    def backward(ctx, g):
        return g, None  # the engine sums it back to the input's shape


def reshape(input: Tensor, *shape: int | Sequence[int]) -> Tensor:
    """The same values in a new shape (one dim may be -1).  Reference: ``torch.reshape``."""
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
        shape = tuple(shape[0])
    shape = tuple(int(n) for n in shape)
    numel = input.data.size
    known = math.prod(n for n in shape if n != -1)
    if (
        shape.count(-1) > 1
        or any(n < -1 for n in shape)
        or (-1 in shape and (known == 0 or numel % known))
        or (-1 not in shape and known != numel)
    ):
        raise ValueError(f"reshape: cannot reshape {input.shape} ({numel} values) into {shape}")
    if -1 in shape:
        shape = tuple(numel // known if n == -1 else n for n in shape)
    return input if shape == input.shape else Reshape.apply(input, shape)


def permute(input: Tensor, *dims: int | Sequence[int]) -> Tensor:
    """The dims reordered: output dim i is input dim ``dims[i]``.  Reference: ``torch.permute``."""
    if len(dims) == 1 and not isinstance(dims[0], (int, np.integer)):
        dims = tuple(dims[0])
    axes = tuple(_dim("permute", d, input.ndim) for d in dims)
    if sorted(axes) != list(range(input.ndim)) and not (input.ndim == 0 and axes in ((), (0,))):
        raise ValueError(
            f"permute: {dims} is not a permutation of the {input.ndim} dims of {input.shape}"
        )
    return Permute.apply(input, axes) if input.ndim else input


def transpose(input: Tensor, dim0: int = -2, dim1: int = -1) -> Tensor:
    """Swap two dims.  Reference: ``torch.transpose`` (which has no defaults; minidl swaps
    the last two when none are given)."""
    d0, d1 = _dim("transpose", dim0, input.ndim), _dim("transpose", dim1, input.ndim)
    if input.ndim < 2:
        return input
    axes = list(range(input.ndim))
    axes[d0], axes[d1] = axes[d1], axes[d0]
    return Permute.apply(input, tuple(axes))


swapaxes = swapdims = transpose


def t(input: Tensor) -> Tensor:
    """The transpose of a matrix (a vector or scalar comes back as it is).  ``torch.t``."""
    if input.ndim > 2:
        raise ValueError(f"t: expects a tensor with <= 2 dims, got shape {input.shape}")
    return transpose(input, 0, 1) if input.ndim == 2 else input


def movedim(input: Tensor, source: int | Sequence[int], destination: int | Sequence[int]) -> Tensor:
    """Move dims ``source`` to positions ``destination``.  Reference: ``torch.movedim``."""
    src = (source,) if isinstance(source, (int, np.integer)) else tuple(source)
    dst = (destination,) if isinstance(destination, (int, np.integer)) else tuple(destination)
    if len(src) != len(dst):
        raise ValueError(f"movedim: source {source} and destination {destination} differ in length")
    src = tuple(_dim("movedim", d, input.ndim) for d in src)
    dst = tuple(_dim("movedim", d, input.ndim) for d in dst)
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ValueError(f"movedim: repeated dim in source {source} or destination {destination}")
    rest = iter(d for d in range(input.ndim) if d not in src)
    placed = dict(zip(dst, src))
    order = tuple(placed[i] if i in placed else next(rest) for i in range(input.ndim))
    return Permute.apply(input, order) if input.ndim else input


moveaxis = movedim


def broadcast_to(input: Tensor, size: Sequence[int]) -> Tensor:
    """A broadcast to ``size``; -1 keeps a dim.  Reference: ``torch.broadcast_to``."""
    size = tuple(size)
    lead = len(size) - input.ndim
    shape = tuple(input.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(size))
    if (
        lead < 0
        or any(n < 0 for n in shape)
        or any(a != b and a != 1 for a, b in zip(input.shape, shape[lead:]))
    ):
        raise ValueError(f"broadcast_to: cannot broadcast {input.shape} to {size}")
    return input if shape == input.shape else BroadcastTo.apply(input, shape)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims ``start_dim`` .. ``end_dim`` into one.  Reference: ``torch.flatten``."""
    s, e = _dim("flatten", start_dim, input.ndim), _dim("flatten", end_dim, input.ndim)
    if input.ndim == 0:
        return reshape(input, (1,))
    if s > e:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    merged = math.prod(input.shape[s : e + 1])
    return reshape(input, input.shape[:s] + (merged,) + input.shape[e + 1 :])


def unflatten(input: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    """Split dim ``dim`` into ``sizes`` (one may be -1).  Reference: ``torch.unflatten``."""
    d = _dim("unflatten", dim, input.ndim)
    return reshape(input, input.shape[:d] + tuple(sizes) + input.shape[d + 1 :])


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """A new dim of size 1 at ``dim`` (-1 appends).  Reference: ``torch.unsqueeze``."""
    d = _dim("unsqueeze", dim, input.ndim + 1)
    return reshape(input, input.shape[:d] + (1,) + input.shape[d:])


def squeeze(input: Tensor, dim: int | Sequence[int] | None = None) -> Tensor:
    """Drop dims of size 1: all of them, or those among ``dim`` (an int or a tuple); a named
    dim whose size is not 1 is kept, as in PyTorch.  Reference: ``torch.squeeze``."""
    if dim is None:
        return reshape(input, tuple(n for n in input.shape if n != 1))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    drop = {_dim("squeeze", d, input.ndim) for d in dims}
    return reshape(input, tuple(n for i, n in enumerate(input.shape) if not (i in drop and n == 1)))


def repeat(input: Tensor, *sizes: int | Sequence[int]) -> Tensor:
    """Tile the tensor ``sizes[i]`` times along dim i (extra leading sizes add dims).

    Reference: ``Tensor.repeat``."""
    if len(sizes) == 1 and not isinstance(sizes[0], (int, np.integer)):
        sizes = tuple(sizes[0])
    if len(sizes) < input.ndim:
        raise ValueError(
            f"repeat: needs at least {input.ndim} sizes for shape {input.shape}, got {sizes}"
        )
    x = reshape(input, (1,) * (len(sizes) - input.ndim) + input.shape)
    # each dim n becomes (r, n) by broadcasting, then merges: the copies come whole, in order
    split = tuple(v for n in x.shape for v in (1, n))
    target = tuple(v for r, n in zip(sizes, x.shape) for v in (r, n))
    tiled = broadcast_to(reshape(x, split), target)
    return reshape(tiled, tuple(r * n for r, n in zip(sizes, x.shape)))


def tile(input: Tensor, dims: Sequence[int]) -> Tensor:
    """`repeat`, where fewer sizes than dims mean ones in front.  Reference: ``torch.tile``."""
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    return repeat(input, (1,) * (input.ndim - len(dims)) + dims)


class Flip(Function):
    linear = (0,)

    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return backend.array_module(a).flip(a, dims)

    @staticmethod
    def backward(ctx, g):
        return backend.array_module(g).flip(g, ctx.dims), None


def flip(input: Tensor, dims: int | Sequence[int]) -> Tensor:
    """Reverse the order along ``dims``.  Reference: ``torch.flip``."""
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    axes = tuple(_dim("flip", d, input.ndim) for d in dims)
    return Flip.apply(input, axes) if input.ndim and axes else input


def fliplr(input: Tensor) -> Tensor:
    return flip(input, 1)


def flipud(input: Tensor) -> Tensor:
    return flip(input, 0)


class Roll(Function):
    linear = (0,)

    @staticmethod
    def forward(ctx, a, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return backend.array_module(a).roll(a, shifts, dims)

    @staticmethod
    def backward(ctx, g):
        back = tuple(-s for s in ctx.shifts)
        return backend.array_module(g).roll(g, back, ctx.dims), None, None


def roll(
    input: Tensor, shifts: int | Sequence[int], dims: int | Sequence[int] | None = None
) -> Tensor:
    """Shift values along ``dims`` by ``shifts``, wrapping around (the flattened tensor when
    ``dims`` is None).  Reference: ``torch.roll``."""
    shifts_t = (shifts,) if isinstance(shifts, (int, np.integer)) else tuple(shifts)
    if dims is None:
        if len(shifts_t) != 1:
            raise ValueError(f"roll: without dims, shifts must be one int, got {shifts}")
        return reshape(Roll.apply(flatten(input), shifts_t, (0,)), input.shape)
    dims_t = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    if len(shifts_t) != len(dims_t):
        raise ValueError(f"roll: shifts {shifts} and dims {dims} must have the same length")
    axes = tuple(_dim("roll", d, input.ndim) for d in dims_t)
    if input.ndim == 0:
        return input
    return Roll.apply(input, tuple(int(s) for s in shifts_t), axes)


def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """The slice start:start+length along ``dim``.  Reference: ``torch.narrow``."""
    d = _dim("narrow", dim, input.ndim)
    n = input.shape[d]
    start = int(start.item() if isinstance(start, Tensor) else start)
    if not -n <= start <= n or length < 0 or (start % n if n else 0) + length > n:
        raise IndexError(
            f"narrow: start {start} and length {length} do not fit dim {dim} of size {n}"
        )
    start = start % n if n and start < 0 else start
    return getitem(input, (slice(None),) * d + (slice(start, start + length),))


def _triangle(op: str, input: Tensor, diagonal: int, lower: bool) -> Tensor:
    if input.ndim < 2:
        raise ValueError(f"{op}: expects a tensor with >= 2 dims, got shape {input.shape}")
    from .elementwise import where

    xp = backend.array_module(input.data)
    rows, cols = input.shape[-2:]
    below = xp.tri(rows, cols, diagonal, dtype=bool)
    keep = below if lower else ~xp.tri(rows, cols, diagonal - 1, dtype=bool)
    return where(keep, input, xp.zeros((), input.dtype))


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle (values above ``diagonal`` set to 0).  Reference: ``torch.tril``."""
    return _triangle("tril", input, diagonal, lower=True)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle (values below ``diagonal`` set to 0).  Reference: ``torch.triu``."""
    return _triangle("triu", input, diagonal, lower=False)


class Clone(Function):
    linear = (0,)

    @staticmethod
    def forward(ctx, a):
        return a.copy()

    @staticmethod
    def backward(ctx, g):
        return g


def clone(input: Tensor, *, memory_format: Any = None) -> Tensor:
    """A copy with its own memory, still in the graph.  Reference: ``torch.clone``."""
    return Clone.apply(input)


# ---- indexing ------------------------------------------------------------------------------


def _plain_index(index: Any, xp: Any) -> Any:
    """Tensors and lists inside an index become arrays of the data's backend."""
    if isinstance(index, tuple):
        return tuple(_plain_index(i, xp) for i in index)
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list):
        return xp.asarray(index)
    return index


def _is_basic(index: Any) -> bool:
    """Slices, ints, None and ... only: then every output value has its own source."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, np.integer, slice, type(None), type(...))) for i in parts)


class GetItem(Function):
    linear = (0,)

    @staticmethod
    def forward(ctx, a, index):
        ctx.shape, ctx.dtype, ctx.index = a.shape, a.dtype, index
        return a[index]

    @staticmethod
    def backward(ctx, g):
        xp = backend.array_module(g)
        grad = xp.zeros(ctx.shape, ctx.dtype)
        if _is_basic(ctx.index):
            grad[ctx.index] = g
        else:  # integer arrays may repeat a position: every copy adds its gradient
            backend.scatter_add(grad, ctx.index, g)
        return grad, None


def getitem(a: Tensor, index: Any) -> Tensor:
    index = _plain_index(index, backend.array_module(a.data))
    try:
        return GetItem.apply(a, index)
    except IndexError as exc:
        raise IndexError(f"getitem: index {index!r} does not fit shape {a.shape}: {exc}") from None


# ---- device and dtype ----------------------------------------------------------------------


class ToDevice(Function):
    linear = (0,)

    @staticmethod
    def forward(ctx, a, device):
        ctx.source = backend.device_of(a)
        return backend.to_device(a, device)

    @staticmethod
    def backward(ctx, g):
        return backend.to_device(g, ctx.source), None


class AsType(Function):
    linear = (0,)

    @staticmethod
    def forward(ctx, a, dtype):
        ctx.source = a.dtype
        return a.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return g.astype(ctx.source), None


def to_device(a: Tensor, device: str) -> Tensor:
    backend.check_device(device)
    return a if a.device == device else ToDevice.apply(a, device)


def astype(a: Tensor, dtype: Any) -> Tensor:
    dtype = np.dtype(dtype)
    return a if a.dtype == dtype else AsType.apply(a, dtype)


def _atleast(ndim: int, tensors: tuple) -> Any:
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    # NumPy's and PyTorch's rules: () -> ones; (n,) -> (1, n) or (1, n, 1); (m, n) -> (m, n, 1)
    shapes = {
        1: lambda s: s or (1,),
        2: lambda s: (1,) * (2 - len(s)) + s if len(s) < 2 else s,
        3: lambda s: {0: (1, 1, 1), 1: (1, *s, 1), 2: (*s, 1)}.get(len(s), s),
    }
    out = [t.reshape(shapes[ndim](t.shape)) for t in tensors]
    return out[0] if len(out) == 1 else tuple(out)


def atleast_1d(*tensors: Tensor) -> Any:
    return _atleast(1, tensors)


def atleast_2d(*tensors: Tensor) -> Any:
    return _atleast(2, tensors)


def atleast_3d(*tensors: Tensor) -> Any:
    return _atleast(3, tensors)
