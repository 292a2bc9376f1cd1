"""Matrix products (matmul and its named forms mm, bmm, mv, dot, outer), and the matrix
helpers built on them or on indexing: diagonal, diag, trace, tensordot, kron, cross, cdist."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend, gemm
from ..autograd import Function
from ..tensor import Tensor


class MatMul(Function):
    """C = A @ B; dA = dC @ Bᵀ, dB = Aᵀ @ dC (batch axes summed by the engine)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return gemm.matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        # a vector is a matrix with one row (a) or one column (b); undo that at the end
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        if a.ndim == 1:
            g = g[..., None, :] if b.ndim > 1 else g[..., None]
        if b.ndim == 1:
            g = g[..., None]
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = gemm.matmul(g, b2.swapaxes(-1, -2))
            ga = ga[..., 0, :] if a.ndim == 1 else ga
        if ctx.needs_input_grad[1]:
            gb = gemm.matmul(a2.swapaxes(-1, -2), g)
            gb = gb[..., 0] if b.ndim == 1 else gb
        return ga, gb

    @staticmethod
    def vjp(ctx, g):
        a, b = ctx.args
        a2 = a.unsqueeze(0) if a.ndim == 1 else a
        b2 = b.unsqueeze(-1) if b.ndim == 1 else b
        if a.ndim == 1:
            g = g.unsqueeze(-2) if b.ndim > 1 else g.unsqueeze(-1)
        if b.ndim == 1:
            g = g.unsqueeze(-1)
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = matmul(g, b2.mT)
            ga = ga.squeeze(-2) if a.ndim == 1 else ga
        if ctx.needs_input_grad[1]:
            gb = matmul(a2.mT, g)
            gb = gb.squeeze(-1) if b.ndim == 1 else gb
        return ga, gb


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with NumPy's (and PyTorch's) rules for vectors and batch dims.

    Reference: ``torch.matmul``."""
    a, b = input, other
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: scalars are not matrices, got shapes {a.shape} and {b.shape}")
    inner_a = a.shape[-1]
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if inner_a != inner_b:
        raise ValueError(
            f"matmul: cannot multiply {a.shape} by {b.shape}: inner dimensions "
            f"{inner_a} and {inner_b} differ"
        )
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ValueError(
            f"matmul: batch dimensions of {a.shape} and {b.shape} cannot be broadcast"
        ) from None
    return MatMul.apply(a, b)


def _check_ndim(op: str, t: Tensor, ndim: int, name: str) -> None:
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")
    if t.ndim != ndim:
        raise ValueError(f"{op}: {name} must have {ndim} dims, got shape {t.shape}")


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """Matrix product of two matrices (no broadcasting).  Reference: ``torch.mm``."""
    _check_ndim("mm", input, 2, "input")
    _check_ndim("mm", mat2, 2, "mat2")
    return matmul(input, mat2)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched matrix product, (b, n, m) @ (b, m, p).  Reference: ``torch.bmm``."""
    _check_ndim("bmm", input, 3, "input")
    _check_ndim("bmm", mat2, 3, "mat2")
    if input.shape[0] != mat2.shape[0]:
        raise ValueError(f"bmm: batch sizes differ: {input.shape} and {mat2.shape}")
    return matmul(input, mat2)


def mv(input: Tensor, vec: Tensor) -> Tensor:
    """Matrix times vector.  Reference: ``torch.mv``."""
    _check_ndim("mv", input, 2, "input")
    _check_ndim("mv", vec, 1, "vec")
    return matmul(input, vec)


def dot(input: Tensor, other: Tensor) -> Tensor:
    """Inner product of two vectors.  Reference: ``torch.dot``."""
    _check_ndim("dot", input, 1, "input")
    _check_ndim("dot", other, 1, "other")
    return matmul(input, other)


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """Outer product: out[i, j] = input[i] · vec2[j].  Reference: ``torch.outer``."""
    _check_ndim("outer", input, 1, "input")
    _check_ndim("outer", vec2, 1, "vec2")
    return input.reshape(-1, 1) * vec2.reshape(1, -1)


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal of dims (dim1, dim2), moved to the last dim.  ``torch.diagonal``."""
    from .select import TakeAlongDim
    from .shape import _dim, movedim

    if input.ndim < 2:
        raise ValueError(f"diagonal: expects >= 2 dims, got shape {input.shape}")
    d1, d2 = _dim("diagonal", dim1, input.ndim), _dim("diagonal", dim2, input.ndim)
    if d1 == d2:
        raise ValueError(f"diagonal: dim1 and dim2 must differ, got {dim1} and {dim2}")
    x = movedim(input, (d1, d2), (-2, -1))  # (..., R, C)
    R, C = x.shape[-2:]
    rows = range(max(0, -offset), min(R, C - offset))
    n = len(rows) if rows.stop > rows.start else 0
    xp = backend.array_module(x.data)
    r = xp.arange(max(0, -offset), max(0, -offset) + n)
    # pick row r, column r + offset: first the rows, then one column per row
    picked = x[(slice(None),) * (x.ndim - 2) + (r,)]  # (..., n, C)
    cols = xp.broadcast_to((r + offset).reshape(-1, 1), picked.shape[:-1] + (1,))
    return TakeAlongDim.apply(picked, cols, picked.ndim - 1).reshape(picked.shape[:-1])


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """A vector's diagonal matrix, or a matrix's diagonal.  Reference: ``torch.diag``."""
    if input.ndim == 2:
        return globals()["diagonal"](input, diagonal)
    if input.ndim != 1:
        raise ValueError(f"diag: expects a vector or a matrix, got shape {input.shape}")
    from .pad import pad

    xp = backend.array_module(input.data)
    eye = xp.eye(input.shape[0], dtype=input.dtype)
    square = input.reshape(-1, 1) * eye  # (n0, n0), the values on the diagonal
    k = abs(diagonal)
    widths = (k, 0, 0, k) if diagonal > 0 else (0, k, k, 0)
    out = pad(square, widths)
    return out  # (n, n)


def trace(input: Tensor) -> Tensor:
    """The sum of a matrix's diagonal.  Reference: ``torch.trace``."""
    if input.ndim != 2:
        raise ValueError(f"trace: expects a matrix, got shape {input.shape}")
    return diagonal(input).sum()


def tensordot(a: Tensor, b: Tensor, dims: Any = 2) -> Tensor:
    """Contract the last ``dims`` dims of ``a`` with the first of ``b`` (or the listed dims).

    Reference: ``torch.tensordot``."""
    from .einsum import einsum

    letters = "abcdefghijklmnopqrstuvwxyz"
    if isinstance(dims, int):
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = ([d] if isinstance(d, int) else list(d) for d in dims)
    da, db = [d % a.ndim for d in da], [d % b.ndim for d in db]
    sa, sb = list(letters[: a.ndim]), list(letters[a.ndim : a.ndim + b.ndim])
    for i, j in zip(da, db):
        sb[j] = sa[i]
    out = [c for i, c in enumerate(sa) if i not in da] + [
        c for j, c in enumerate(sb) if j not in db
    ]
    return einsum(f"{''.join(sa)},{''.join(sb)}->{''.join(out)}", a, b)


def kron(input: Tensor, other: Tensor) -> Tensor:
    """The Kronecker product.  Reference: ``torch.kron``."""
    n = max(input.ndim, other.ndim)
    a = input.reshape((1,) * (n - input.ndim) + input.shape)
    b = other.reshape((1,) * (n - other.ndim) + other.shape)
    # interleave: a (..., m, 1, ...) times b (..., 1, p, ...), then merge the pairs
    ea = a.reshape(tuple(v for s in a.shape for v in (s, 1)))
    eb = b.reshape(tuple(v for s in b.shape for v in (1, s)))
    return (ea * eb).reshape(tuple(x * y for x, y in zip(a.shape, b.shape)))


def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """The 3-D cross product along ``dim`` (the first dim of size 3 when None).

    Reference: ``torch.cross`` / ``torch.linalg.cross``."""
    from .join import stack
    from .shape import _dim

    if dim is None:
        dim = next((i for i, n in enumerate(input.shape) if n == 3), -1)
    d = _dim("cross", dim, input.ndim)
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise ValueError(f"cross: dim {dim} must have size 3, got {input.shape} and {other.shape}")
    a0, a1, a2 = input.unbind(d)
    b0, b1, b2 = other.unbind(d)
    return stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], d)


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0, compute_mode: str | None = None) -> Tensor:
    """Distances between every row of x1 (.., P, M) and every row of x2 (.., R, M).

    Reference: ``torch.cdist`` (computed directly, not with the matmul trick)."""
    from .distance import p_norm

    if x1.ndim < 2 or x1.shape[-1] != x2.shape[-1]:
        raise ValueError(
            f"cdist: expected (.., P, M) and (.., R, M), got {x1.shape} and {x2.shape}"
        )
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)  # (.., P, R, M)
    return p_norm(diff, p, -1)


def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:
    """The p-norm of input - other.  Reference: ``torch.dist``."""
    from .distance import p_norm

    return p_norm(input - other, p)
