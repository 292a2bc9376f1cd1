"""``md.linalg``: norms (and ``md.norm``, which builds on them), inverse, determinant and
solve, with the matrix-calculus backwards a linear-algebra course derives:

    Y = A⁻¹:          dA = -Yᵀ G Yᵀ
    d = det A:        dA = g · d · A⁻ᵀ
    X = A⁻¹ B:        dB = A⁻ᵀ G,   dA = -dB Xᵀ
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import backend
from ..autograd import Function
from ..tensor import Tensor
from .distance import p_norm
from .elementwise import abs as abs_
from .linalg import cross, diagonal, matmul
from .reduce import amax, amin
from .reduce import sum as sum_
from .shape import movedim


def _square(op: str, A: Tensor) -> None:
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise ValueError(f"{op}: expected square matrices (*, n, n), got shape {A.shape}")


class Inv(Function):
    @staticmethod
    def forward(ctx, A):
        Y = backend.array_module(A).linalg.inv(A)
        ctx.save_for_backward(Y)
        return Y

    @staticmethod
    def backward(ctx, G):
        (Y,) = ctx.saved_tensors
        Yt = Y.swapaxes(-1, -2)
        return -(Yt @ G @ Yt)

    @staticmethod
    def vjp(ctx, G):
        Yt = inv(ctx.args[0]).mT
        return -(Yt @ G @ Yt)


class Det(Function):
    @staticmethod
    def forward(ctx, A):
        xp = backend.array_module(A)
        d = xp.linalg.det(A)
        ctx.save_for_backward(A, d)
        return d

    @staticmethod
    def backward(ctx, g):
        A, d = ctx.saved_tensors
        xp = backend.array_module(A)
        # d·A⁻ᵀ is the adjugate's transpose; it needs A invertible (as PyTorch's default path)
        return (g * d)[..., None, None] * xp.linalg.inv(A).swapaxes(-1, -2)

    @staticmethod
    def vjp(ctx, g):
        (A,) = ctx.args
        return (g * det(A)).unsqueeze(-1).unsqueeze(-1) * inv(A).mT


class SingularValues(Function):
    """σ of A = U diag(σ) Vᵀ; dσ_i/dA = u_i v_iᵀ, so dA = U diag(g) Vᵀ (distinct σ assumed)."""

    @staticmethod
    def forward(ctx, A):
        xp = backend.array_module(A)
        U, s, Vt = xp.linalg.svd(A, full_matrices=False)
        ctx.save_for_backward(U, Vt)
        return s

    @staticmethod
    def backward(ctx, g):
        U, Vt = ctx.saved_tensors
        return (U * g[..., None, :]) @ Vt

    @staticmethod
    def vjp(ctx, g):
        raise NotImplementedError(
            "svdvals: its backward is not differentiable (create_graph=True); it would need the "
            "derivatives of U and V, which minidl does not compute"
        )


class Solve(Function):
    @staticmethod
    def forward(ctx, A, B, vector):
        xp = backend.array_module(A)
        X = xp.linalg.solve(A, B[..., None])[..., 0] if vector else xp.linalg.solve(A, B)
        ctx.save_for_backward(A, X)
        ctx.vector = vector
        return X

    @staticmethod
    def backward(ctx, G):
        A, X = ctx.saved_tensors
        xp = backend.array_module(A)
        At = A.swapaxes(-1, -2)
        if ctx.vector:
            dB = xp.linalg.solve(At, G[..., None])[..., 0]
            dA = -dB[..., :, None] * X[..., None, :]
        else:
            dB = xp.linalg.solve(At, G)
            dA = -dB @ X.swapaxes(-1, -2)
        return dA, dB, None

    @staticmethod
    def vjp(ctx, G):
        A, B, vector = ctx.args
        X = solve(A, B)
        if vector:
            dB = solve(A.mT, G)
            dA = -dB.unsqueeze(-1) * X.unsqueeze(-2)
        else:
            dB = solve(A.mT, G)
            dA = -dB @ X.mT
        need = ctx.needs_input_grad
        return (dA if need[0] else None, dB if need[1] else None, None)


def inv(A: Tensor) -> Tensor:
    """The inverse of each square matrix.  Reference: ``torch.linalg.inv``."""
    _square("linalg.inv", A)
    return Inv.apply(A)


def det(A: Tensor) -> Tensor:
    """The determinant of each square matrix.  Reference: ``torch.linalg.det``."""
    _square("linalg.det", A)
    return Det.apply(A)


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """X with A X = B (B a vector or matrices).  Reference: ``torch.linalg.solve``."""
    _square("linalg.solve", A)
    if not left:
        raise NotImplementedError("linalg.solve: left=False is not supported")
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    return Solve.apply(A, B, vector)


def svdvals(A: Tensor) -> Tensor:
    """The singular values of each matrix, largest first.  Reference: ``torch.linalg.svdvals``."""
    if A.ndim < 2:
        raise ValueError(f"linalg.svdvals: expected matrices (*, m, n), got shape {A.shape}")
    return SingularValues.apply(A)


def vector_norm(
    x: Tensor, ord: float = 2, dim: Any = None, keepdim: bool = False, *, dtype: Any = None
) -> Tensor:
    """(Σ |x|^ord)^(1/ord) over ``dim`` (every value when None).  ``torch.linalg.vector_norm``."""
    return p_norm(x, ord, dim, keepdim, dtype)


def matrix_norm(
    A: Tensor,
    ord: Any = "fro",
    dim: Sequence[int] = (-2, -1),
    keepdim: bool = False,
    *,
    dtype: Any = None,
) -> Tensor:
    """The Frobenius norm (``ord="fro"``) or the max column / row sum (ord 1 / inf) of each
    matrix.  Reference: ``torch.linalg.matrix_norm``."""
    x = A if dtype is None else A.to(dtype)
    d0, d1 = (d % x.ndim for d in dim)
    if ord == "fro":
        return p_norm(x, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        if x.shape[d0] == 0 or x.shape[d1] == 0:  # no singular values: PyTorch gives 0
            out = sum_(x * 0.0, (d0, d1), keepdim)
            return out
        s = svdvals(movedim(x, (d0, d1), (-2, -1)))  # (*, k)
        out = sum_(s, -1) if ord == "nuc" else amax(s, -1) if ord == 2 else amin(s, -1)
        if keepdim:
            out = out.unsqueeze(min(d0, d1)).unsqueeze(max(d0, d1))
        return out
    if ord in (1, -1, float("inf"), float("-inf")):
        over, across = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = sum_(abs_(x), over, True)
        out = amax(sums, across, True) if ord > 0 else -amax(-sums, across, True)
        return out if keepdim else out.squeeze((d0, d1))
    raise NotImplementedError(f"linalg.matrix_norm: ord={ord!r} is not supported")


def norm(
    A: Tensor, ord: Any = None, dim: Any = None, keepdim: bool = False, *, dtype: Any = None
) -> Tensor:
    """`vector_norm` for a vector (or an int ``dim``), `matrix_norm` for a matrix (or a pair
    of dims).  Reference: ``torch.linalg.norm``."""
    if dim is None and ord is not None and A.ndim not in (1, 2):
        raise ValueError(f"linalg.norm: with ord, the input must be 1-D or 2-D, got {A.shape}")
    matrix = (dim is None and A.ndim == 2 and ord is not None) or (
        isinstance(dim, (tuple, list)) and len(dim) == 2
    )
    if matrix:
        return matrix_norm(A, "fro" if ord is None else ord, dim or (-2, -1), keepdim, dtype=dtype)
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


def tensor_norm(
    input: Tensor,
    p: float | str | None = "fro",
    dim: Any = None,
    keepdim: bool = False,
    dtype: Any = None,
) -> Tensor:
    """``md.norm`` and ``t.norm``: the p-norm over ``dim`` (`p_norm`), or with ``p="nuc"`` the
    nuclear norm of the matrices in ``dim`` (the last two by default).

    Reference: ``torch.norm``."""
    if p == "nuc":
        return matrix_norm(input, "nuc", dim if dim is not None else (-2, -1), keepdim)
    return p_norm(input, p, dim, keepdim, dtype)


def multi_dot(tensors: Sequence[Tensor]) -> Tensor:
    """The product of a chain of matrices, left to right.  ``torch.linalg.multi_dot``."""
    out = tensors[0]
    for t in tensors[1:]:
        out = matmul(out, t)
    return out


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """Σ x·y along ``dim`` (real tensors).  Reference: ``torch.linalg.vecdot``."""
    return sum_(x * y, dim)


__all__ = [
    "cross",
    "det",
    "diagonal",
    "inv",
    "matrix_norm",
    "multi_dot",
    "norm",
    "solve",
    "vecdot",
    "vector_norm",
]
