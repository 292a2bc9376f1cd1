"""Distances and similarities between vectors: the p-norm (with the subgradient PyTorch picks
at 0), `pairwise_distance`, `cosine_similarity` and `normalize` (vectors scaled to norm 1).

`VectorNorm` has a hand-written backward (its zero cases are the point); the rest is composed.
Inputs broadcast against each other as in PyTorch; the vectors lie along one dim.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function
from ..tensor import Tensor
from .elementwise import abs as abs_
from .elementwise import add, clamp, div, mul, sqrt, sub
from .reduce import Dims, amax, amin, resolve_dims
from .reduce import sum as sum_
from .shape import broadcast_to

# ---- the p-norm and its gradient (plain arrays) --------------------------------------------


def norm_and_grad(v: Any, p: float, squared: bool = False) -> tuple[Any, Any]:
    """d = ||v||_p over the last axis and u = ∂d/∂v (or d² and ∂d²/∂v when ``squared``).

    Shapes: v (*, D) → d (*,), u (*, D).
    ∂||v||_p/∂v_k = sign(v_k)·|v_k|^(p−1) / ||v||_p^(p−1); for p = 2 that is v / ||v||.
    Where the norm (or a |v_k| raised to a negative power) is 0 the gradient is taken as 0,
    the subgradient PyTorch's norm backward picks. p = inf: the largest |v_k|, its gradient
    shared among ties (p = −inf: the smallest); p = 0: the count of non-zeros, gradient 0;
    p < 0 is allowed too, as in PyTorch.
    """
    xp = backend.array_module(v)
    if squared:  # FaceNet's ||v||²: smooth everywhere, no division
        return (v * v).sum(axis=-1), 2 * v
    if p == 2:
        d = xp.sqrt((v * v).sum(axis=-1))
        safe = xp.where(d == 0, 1, d)[..., None]
        return d, xp.where(d[..., None] == 0, 0, v / safe)
    mag = xp.abs(v)
    if math.isinf(p):  # the largest (p = inf) or smallest (p = -inf) |v_k|
        pick = mag.max if p > 0 else mag.min
        d = pick(axis=-1) if v.shape[-1] else xp.zeros(v.shape[:-1], v.dtype)
        ties = mag == d[..., None]
        return d, xp.sign(v) * ties / xp.maximum(ties.sum(axis=-1, keepdims=True), 1)
    if p == 0:
        return (v != 0).sum(axis=-1).astype(v.dtype), xp.zeros_like(v)
    with _quiet():  # |0| ** p with p < 0 is inf, and inf ** (1/p) the right 0
        d = (mag**p).sum(axis=-1) ** (1 / p)
    with _quiet():  # 0 ** (p - 1) with p < 1 is inf; the where below discards it
        scaled = xp.where(mag == 0, 0, xp.sign(v) * mag ** (p - 1))
    safe = xp.where(d == 0, 1, d)[..., None] ** (p - 1)
    return d, xp.where(d[..., None] == 0, 0, scaled / safe)


def _quiet() -> Any:
    """NumPy's floating-point warnings off (CuPy has no errstate and never warns)."""
    return np.errstate(divide="ignore", invalid="ignore")


def recorded_norm(v: Tensor, p: float, dim: int, keepdim: bool, squared: bool = False) -> Tensor:
    """`norm_and_grad`'s d written with recorded ops, for a differentiable backward."""
    if squared:
        return (v * v).sum(dim=dim, keepdim=keepdim)
    if p == 2:
        return sqrt((v * v).sum(dim=dim, keepdim=keepdim))
    if math.isinf(p):
        return (amax if p > 0 else amin)(abs_(v), dim=dim, keepdim=keepdim)
    if p == 0:
        return Tensor((v.data != 0).sum(axis=dim, keepdims=keepdim).astype(v.dtype))
    return (abs_(v) ** p).sum(dim=dim, keepdim=keepdim) ** (1 / p)


class VectorNorm(Function):
    """||x||_p along ``axis`` (None: the one value of a 0-d tensor); backward g·∂d/∂x."""

    @staticmethod
    def forward(ctx, x, p, axis, keepdim):
        xp = backend.array_module(x)
        v = x.reshape(1) if axis is None else xp.moveaxis(x, axis, -1)  # (*, D)
        d, u = norm_and_grad(v, p)
        ctx.save_for_backward(u)
        ctx.axis, ctx.shape, ctx.keepdim = axis, x.shape, keepdim
        if axis is None:
            return d.reshape(())
        return xp.expand_dims(d, axis) if keepdim else d

    @staticmethod
    def backward(ctx, g):
        (u,) = ctx.saved_tensors
        xp = backend.array_module(u)
        if ctx.axis is None:
            return (g * u).reshape(ctx.shape), None, None, None
        g = g if ctx.keepdim else xp.expand_dims(g, ctx.axis)
        return g * xp.moveaxis(u, -1, ctx.axis), None, None, None

    # ---- argument checks -----------------------------------------------------------------------

    @staticmethod
    def composite(ctx, x, p, axis, keepdim):
        if axis is None:  # a 0-d tensor: its one value
            return recorded_norm(x.reshape(1), p, 0, False).reshape(())
        return recorded_norm(x, p, axis, keepdim)


def check_p(op: str, p: Any, squared: bool = False) -> float:
    if isinstance(p, bool) or not isinstance(p, Real) or math.isnan(p):
        raise ValueError(f"{op}: p must be a real number (or ±inf), got {p!r}")
    if squared and p != 2:
        raise ValueError(f"{op}: squared=True is the squared Euclidean distance; p must be 2")
    return float(p)


def check_number(op: str, name: str, value: Any, minimum: float = -math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or math.isnan(value):
        raise TypeError(f"{op}: {name} must be a number, got {value!r}")
    if value < minimum:
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value}")
    return float(value)


def _check_tensor(op: str, name: str, x: Any) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(x).__name__}")
    if x.dtype.kind not in "fc":
        raise TypeError(f"{op}: {name} must be a floating tensor, got dtype {x.dtype}")


def broadcast_shape(op: str, **tensors: Tensor) -> tuple[int, ...]:
    for name, t in tensors.items():
        _check_tensor(op, name, t)
    try:
        return tuple(np.broadcast_shapes(*(t.shape for t in tensors.values())))
    except ValueError:
        listed = ", ".join(f"{k} {t.shape}" for k, t in tensors.items())
        raise ValueError(f"{op}: shapes do not broadcast together: {listed}") from None


def _axis(op: str, dim: Any, ndim: int) -> int | None:
    """``dim`` as a NumPy axis; None for the one dim of a 0-d tensor."""
    span = max(ndim, 1)
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    if not -span <= dim < span:
        raise IndexError(
            f"{op}: dim {dim} is out of range for a tensor with {ndim} dims "
            f"(expected {-span}..{span - 1})"
        )
    return dim % span if ndim else None


def vector_norm(x: Tensor, p: float, axis: int | None, keepdim: bool = False) -> Tensor:
    return VectorNorm.apply(x, p, axis, keepdim)


def p_norm(
    input: Tensor,
    p: float | str | None = "fro",
    dim: Dims = None,
    keepdim: bool = False,
    dtype: Any = None,
) -> Tensor:
    """The p-norm (Σ |x|^p)^(1/p) over ``dim`` ("fro" and None mean p = 2; ±inf the largest /
    smallest |x|; 0 the count of non-zeros), with PyTorch's subgradient 0 where the norm is 0.

    Reference: ``torch.linalg.vector_norm``; ``torch.norm`` is this, or the nuclear norm
    (`minidl.ops.linalg_extra.tensor_norm`)."""
    if p in ("fro", None):
        p = 2
    if isinstance(p, str):
        raise ValueError(f"norm: p={p!r} is not supported (only 'fro', 'nuc' and numbers)")
    x = input if dtype is None else input.to(dtype)
    dims = resolve_dims("norm", x.ndim, dim)
    if p == float("inf"):
        return amax(abs_(x), dims, keepdim)
    if p == float("-inf"):
        return amin(abs_(x), dims, keepdim)
    if p == 0:
        return sum_((x != 0).to(x.dtype), dims, keepdim)
    if x.ndim == 0:
        return vector_norm(x, float(p), None)
    # the reduced dims last, merged into one: then the norm is over one axis
    rest = [d for d in range(x.ndim) if d not in dims]
    moved = x.permute(*rest, *dims)
    merged = 1
    for d in dims:
        merged *= x.shape[d]  # spelled out: -1 is ambiguous for an empty tensor
    flat = moved.reshape(*[x.shape[d] for d in rest], merged)
    out = vector_norm(flat, float(p), -1)
    if keepdim:
        out = out.reshape(tuple(1 if d in dims else n for d, n in enumerate(x.shape)))
    return out


# ---- the public functions ------------------------------------------------------------------


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """p-norm distance between the vectors along the last dim of x1 and x2 (broadcast).

    Shapes: x1 (*, D), x2 (*, D) broadcasting → (*) (or (*, 1) with keepdim).
    d = (Σ_k |x1_k − x2_k + eps|^p)^(1/p); eps keeps the gradient finite at x1 = x2.
    Reference: ``torch.nn.functional.pairwise_distance``.
    """
    op = "pairwise_distance"
    shape = broadcast_shape(op, x1=x1, x2=x2)
    p = check_p(op, p)
    diff = add(sub(x1, x2), check_number(op, "eps", eps))
    return vector_norm(diff, p, len(shape) - 1 if shape else None, bool(keepdim))


def _clamped_norm(x: Tensor, axis: int | None, eps: float) -> Tensor:
    """||x|| raised to at least eps in value only: the gradient is the norm's, everywhere
    (PyTorch clamps under no_grad here)."""
    n = vector_norm(x, 2.0, axis, keepdim=True)
    xp = backend.array_module(n.data)
    return add(n, xp.maximum(n.data, eps) - n.data)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """cos θ = Σ (x1 / max(||x1||, eps)) · (x2 / max(||x2||, eps)) along ``dim``.

    Shapes: x1, x2 broadcasting to (*, D, *) → (*, *) (``dim`` removed).
    Each vector is scaled to norm 1 before the product, which keeps the result within
    [−1, 1] (PyTorch's formula). Reference: ``torch.nn.functional.cosine_similarity``.
    """
    op = "cosine_similarity"
    shape = broadcast_shape(op, x1=x1, x2=x2)
    axis = _axis(op, dim, len(shape))
    eps = check_number(op, "eps", eps)
    x1 = x1 if x1.shape == shape else broadcast_to(x1, shape)
    x2 = x2 if x2.shape == shape else broadcast_to(x2, shape)
    unit1 = div(x1, _clamped_norm(x1, axis, eps))
    unit2 = div(x2, _clamped_norm(x2, axis, eps))
    return sum_(mul(unit1, unit2), axis)


class Normalize(Function):
    """y = x / max(||x||₂, eps) along ``dim``.

    Backward where ||x|| >= eps: ∂L/∂x = (g − y·⟨g, y⟩) / ||x|| — the part of g tangent to
    the sphere, scaled; the radial part is removed because y's length is fixed at 1.
    Where ||x|| < eps the division is by the constant eps, so ∂L/∂x = g / eps.
    """

    @staticmethod
    def forward(ctx, x, dim, eps):
        xp = backend.array_module(x)
        norm = xp.sqrt((x * x).sum(axis=dim, keepdims=True))
        denom = xp.maximum(norm, eps)
        y = x / denom
        ctx.save_for_backward(y, denom, norm >= eps)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, g):
        y, denom, on_sphere = ctx.saved_tensors
        radial = y * (g * y).sum(axis=ctx.dim, keepdims=True)
        return (g - on_sphere * radial) / denom, None, None

    @staticmethod
    def composite(ctx, x, dim, eps):
        from .elementwise import clamp, sqrt

        return x / clamp(sqrt((x * x).sum(dim=dim, keepdim=True)), min=eps)


def normalize(
    input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Any = None
) -> Tensor:
    """Each vector along ``dim`` divided by its p-norm (embeddings onto the unit sphere).

    Shapes: input (*) → the same shape. y = x / max(||x||_p, eps).
    ``out=`` is refused: minidl never writes into an existing tensor.
    Reference: ``torch.nn.functional.normalize``.
    """
    op = "normalize"
    _check_tensor(op, "input", input)
    if out is not None:
        raise NotImplementedError(f"{op}: out= is not supported; use the returned tensor")
    p = check_p(op, p)
    axis = _axis(op, dim, input.ndim)
    eps = check_number(op, "eps", eps, 0.0)
    if p == 2 and axis is not None:
        return Normalize.apply(input, axis, eps)
    return div(input, clamp(vector_norm(input, p, axis, keepdim=True), min=eps))
