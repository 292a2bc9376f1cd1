"""Elementwise ops and their derivatives.

Binary ops may broadcast; each backward returns the gradient in the broadcast shape and the
engine sums it back to each input's shape (`autograd.sum_to_shape`). A Python number or an
array is accepted in place of either operand and gets no gradient.
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..autograd import Function
from ..tensor import Tensor

Operand = Tensor | float | int | Any


def _shape(a: Any) -> tuple[int, ...]:
    return getattr(a, "shape", ())


def _check_broadcast(op: str, a: Any, b: Any) -> None:
    sa, sb = _shape(a), _shape(b)
    for x, y in zip(sa[::-1], sb[::-1]):
        if x != y and x != 1 and y != 1:
            raise ValueError(f"{op}: shapes {sa} and {sb} cannot be broadcast together")


def _binary(fn: type[Function], op: str, a: Operand, b: Operand) -> Tensor:
    _check_broadcast(op, a, b)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError(
            f"{op}: expected at least one Tensor, got {type(a).__name__}, {type(b).__name__}"
        )
    return fn.apply(a, b)


class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Function):
    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, g):
        return g, -g


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = g * b if ctx.needs_input_grad[0] else None
        gb = g * a if ctx.needs_input_grad[1] else None
        return ga, gb


class Div(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = g / b if ctx.needs_input_grad[0] else None
        gb = -g * a / (b * b) if ctx.needs_input_grad[1] else None
        return ga, gb


class Pow(Function):
    """a ** b; d/da = b a^(b-1), d/db = a^b log a."""

    @staticmethod
    def forward(ctx, a, b):
        out = a**b
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        ga = g * b * a ** (b - 1) if ctx.needs_input_grad[0] else None
        gb = None
        if ctx.needs_input_grad[1]:
            gb = g * out * backend.array_module(out).log(a)
        return ga, gb


class Maximum(Function):
    """Elementwise max; on ties each side gets half the gradient (as PyTorch)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return backend.array_module(a if hasattr(a, "shape") else b).maximum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        share_a = (a > b) + 0.5 * (a == b)
        ga = g * share_a if ctx.needs_input_grad[0] else None
        gb = g * (1 - share_a) if ctx.needs_input_grad[1] else None
        return ga, gb


class Neg(Function):
    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, g):
        return -g


class Exp(Function):
    @staticmethod
    def forward(ctx, a):
        out = backend.array_module(a).exp(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out


class Log(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return backend.array_module(a).log(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g / a


class Sqrt(Function):
    @staticmethod
    def forward(ctx, a):
        out = backend.array_module(a).sqrt(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g / (2 * out)


class Abs(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return backend.array_module(a).abs(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * backend.array_module(a).sign(a)


class Clamp(Function):
    """Gradient passes where lo <= a <= hi (inclusive, as PyTorch)."""

    @staticmethod
    def forward(ctx, a, lo, hi):
        xp = backend.array_module(a)
        ctx.save_for_backward(a)
        ctx.lo, ctx.hi = lo, hi
        return xp.clip(a, lo, hi)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        inside = True
        if ctx.lo is not None:
            inside = inside & (a >= ctx.lo)
        if ctx.hi is not None:
            inside = inside & (a <= ctx.hi)
        return g * inside, None, None


class Relu(Function):
    @staticmethod
    def forward(ctx, a):
        out = backend.array_module(a).maximum(a, 0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (out > 0)


class Sigmoid(Function):
    @staticmethod
    def forward(ctx, a):
        xp = backend.array_module(a)
        # exp of a negative number only, so large |a| cannot overflow
        e = xp.exp(-xp.abs(a))
        out = xp.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (s,) = ctx.saved_tensors
        return g * s * (1 - s)


class Tanh(Function):
    @staticmethod
    def forward(ctx, a):
        out = backend.array_module(a).tanh(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (t,) = ctx.saved_tensors
        return g * (1 - t * t)


class Where(Function):
    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        xp = backend.array_module(cond)
        return xp.where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        (cond,) = ctx.saved_tensors
        ga = g * cond if ctx.needs_input_grad[1] else None
        gb = g * ~cond if ctx.needs_input_grad[2] else None
        return None, ga, gb


def add(a: Operand, b: Operand) -> Tensor:
    return _binary(Add, "add", a, b)


def sub(a: Operand, b: Operand) -> Tensor:
    return _binary(Sub, "sub", a, b)


def mul(a: Operand, b: Operand) -> Tensor:
    return _binary(Mul, "mul", a, b)


def div(a: Operand, b: Operand) -> Tensor:
    return _binary(Div, "div", a, b)


def pow(a: Operand, b: Operand) -> Tensor:  # noqa: A001 - the op's name
    return _binary(Pow, "pow", a, b)


def maximum(a: Operand, b: Operand) -> Tensor:
    return _binary(Maximum, "maximum", a, b)


def minimum(a: Operand, b: Operand) -> Tensor:
    _check_broadcast("minimum", a, b)  # errors name minimum, not the maximum it is built on
    return neg(maximum(-a, -b))


def neg(a: Tensor) -> Tensor:
    return Neg.apply(a)


def exp(a: Tensor) -> Tensor:
    return Exp.apply(a)


def log(a: Tensor) -> Tensor:
    return Log.apply(a)


def sqrt(a: Tensor) -> Tensor:
    return Sqrt.apply(a)


def abs(a: Tensor) -> Tensor:  # noqa: A001 - the op's name
    return Abs.apply(a)


def clamp(a: Tensor, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
    if min is None and max is None:
        raise ValueError("clamp: give at least one of min and max")
    return Clamp.apply(a, min, max)


def relu(a: Tensor) -> Tensor:
    return Relu.apply(a)


def sigmoid(a: Tensor) -> Tensor:
    return Sigmoid.apply(a)


def tanh(a: Tensor) -> Tensor:
    return Tanh.apply(a)


def where(cond: Any, a: Operand, b: Operand) -> Tensor:
    """``a`` where ``cond`` is true, else ``b`` (``cond`` is a bool array or Tensor)."""
    cond = cond.data if isinstance(cond, Tensor) else cond
    if cond.dtype.kind != "b":
        raise TypeError(f"where: cond must be a bool array, got dtype {cond.dtype}")
    _check_broadcast("where", cond, a)
    _check_broadcast("where", cond, b)
    _check_broadcast("where", a, b)
    return Where.apply(cond, a, b)
