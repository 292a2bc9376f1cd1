"""Elementwise ops and their derivatives.

Binary ops may broadcast; each backward returns the gradient in the broadcast shape and the
engine sums it back to each input's shape (`autograd.sum_to_shape`). A Python number or an
array is accepted in place of either operand and gets no gradient.
"""

from __future__ import annotations

from typing import Any

from .. import backend, higher_order, kernels
from ..autograd import Function
from ..tensor import Tensor
from .counting import nonzero

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
    linear = "all"

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Function):
    linear = "all"

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

    @staticmethod
    def vjp(ctx, g):
        a, b = ctx.args
        need = ctx.needs_input_grad
        return (g * b if need[0] else None, g * a if need[1] else None)


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

    @staticmethod
    def vjp(ctx, g):
        a, b = ctx.args
        need = ctx.needs_input_grad
        return (g / b if need[0] else None, -g * a / (b * b) if need[1] else None)


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

    @staticmethod
    def vjp(ctx, g):
        a, b = ctx.args
        need = ctx.needs_input_grad
        ga = g * b * a ** (b - 1) if need[0] else None
        gb = g * a**b * log(a) if need[1] else None
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

    @staticmethod
    def vjp(ctx, g):
        a, b = (higher_order.data(t) for t in ctx.args)
        share_a = higher_order.constant((a > b) + 0.5 * (a == b))
        need = ctx.needs_input_grad
        return (g * share_a if need[0] else None, g * (1 - share_a) if need[1] else None)


class Neg(Function):
    linear = "all"

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

    @staticmethod
    def vjp(ctx, g):
        return g * exp(ctx.args[0])


class Log(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return backend.array_module(a).log(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g / a

    @staticmethod
    def vjp(ctx, g):
        return g / ctx.args[0]


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

    @staticmethod
    def vjp(ctx, g):
        return g / (2 * sqrt(ctx.args[0]))


class Abs(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return backend.array_module(a).abs(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * backend.array_module(a).sign(a)

    @staticmethod
    def vjp(ctx, g):
        a = ctx.args[0].data
        return g * higher_order.constant(backend.array_module(a).sign(a))


class Clamp(Function):
    """y = min(max(a, lo), hi). The gradient goes to whichever of a, lo, hi the output is:
    to ``a`` where lo <= a <= hi (inclusive, as PyTorch), to ``lo`` where a < lo, to ``hi``
    where the result is hi (hi wins when lo > hi, as in PyTorch)."""

    @staticmethod
    def forward(ctx, a, lo, hi):
        xp = backend.array_module(a)
        ctx.save_for_backward(a, lo, hi)
        out = a if lo is None else xp.maximum(a, lo)
        return (out if hi is None else xp.minimum(out, hi)).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        a, lo, hi = ctx.saved_tensors
        below = False if lo is None else a < lo
        above = False if hi is None else (a > hi) | ((lo > hi) if lo is not None else False)
        if lo is not None and hi is not None:
            below = below & ~above
        inside = ~(below | above) if (lo is not None or hi is not None) else True
        need = ctx.needs_input_grad
        return (
            g * inside,
            g * below if len(need) > 1 and need[1] else None,
            g * above if len(need) > 2 and need[2] else None,
        )

    @staticmethod
    def vjp(ctx, g):
        # the masks do not depend on the values (almost everywhere): backward's, as constants
        masks = Clamp.backward(ctx, backend.array_module(ctx.args[0].data).ones(g.shape, g.dtype))
        return tuple(None if m is None else g * higher_order.constant(m) for m in masks)


class Relu(Function):
    """Kernels ``relu`` and ``relu_backward`` in minidl/kernels/relu/ (cpu: parallel Numba
    loops). Only the output is kept: the backward's mask is ``out > 0``. ``inplace=True``
    (through `autograd.apply_in_place`) writes it over the input."""

    @staticmethod
    def forward(ctx, a, inplace=False):
        out = kernels.get("relu", a)(a, out=a if inplace else None)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return kernels.get("relu_backward", g)(g, out)

    @staticmethod
    def vjp(ctx, g):
        return g * higher_order.constant(ctx.args[0].data > 0)


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

    @staticmethod
    def vjp(ctx, g):
        s = sigmoid(ctx.args[0])
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

    @staticmethod
    def vjp(ctx, g):
        t = tanh(ctx.args[0])
        return g * (1 - t * t)


class Where(Function):
    linear = (1, 2)

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


def add(input: Operand, other: Operand, *, alpha: float = 1) -> Tensor:
    """input + alpha · other.  Reference: ``torch.add``."""
    return _binary(Add, "add", input, other if alpha == 1 else mul(other, alpha))


def sub(input: Operand, other: Operand, *, alpha: float = 1) -> Tensor:
    """input - alpha · other.  Reference: ``torch.sub``."""
    return _binary(Sub, "sub", input, other if alpha == 1 else mul(other, alpha))


subtract = sub


def mul(input: Operand, other: Operand) -> Tensor:
    return _binary(Mul, "mul", input, other)


def div(input: Operand, other: Operand, *, rounding_mode: str | None = None) -> Tensor:
    """input / other; ``rounding_mode`` "trunc" or "floor" rounds the quotient (gradient 0).

    Reference: ``torch.div``."""
    if rounding_mode is None:
        return _binary(Div, "div", input, other)
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError(
            f"div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}"
        )
    _check_broadcast("div", input, other)
    a, b = (x.data if isinstance(x, Tensor) else x for x in (input, other))
    xp = backend.array_module(a if hasattr(a, "shape") else b)
    if xp.result_type(a, b).kind in "iu":
        q = xp.floor_divide(a, b)
        if rounding_mode == "trunc":  # floor and trunc differ where the signs differ
            q = q + ((q < 0) & (q * b != a))
        return Tensor(q)
    q = a / b
    return Tensor(xp.floor(q) if rounding_mode == "floor" else xp.trunc(q))


true_divide = divide = div


def floor_divide(input: Operand, other: Operand) -> Tensor:
    return div(input, other, rounding_mode="floor")


def remainder(input: Operand, other: Operand) -> Tensor:
    """input - floor(input / other) · other (Python's %, the sign of ``other``).

    The gradient is 1 for ``input`` and -floor(input / other) for ``other``."""
    q = floor_divide(input, other)
    return sub(input, mul(q.data, other))


def pow(input: Operand, exponent: Operand) -> Tensor:  # noqa: A001 - the op's name
    return _binary(Pow, "pow", input, exponent)


multiply = mul


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


def clamp(input: Tensor, min: Operand = None, max: Operand = None) -> Tensor:  # noqa: A002
    """Limit values to [min, max]; the bounds may be numbers or tensors (which then get
    gradients too, as in PyTorch).  Reference: ``torch.clamp``."""
    if min is None and max is None:
        raise ValueError("clamp: give at least one of min and max")
    for bound in (min, max):
        if bound is not None:
            _check_broadcast("clamp", input, bound)
    return Clamp.apply(input, min, max)


clip = clamp


def clamp_min(input: Tensor, min: Operand) -> Tensor:  # noqa: A002
    return clamp(input, min, None)


def clamp_max(input: Tensor, max: Operand) -> Tensor:  # noqa: A002
    return clamp(input, None, max)


def relu(a: Tensor) -> Tensor:
    return Relu.apply(a)


def sigmoid(a: Tensor) -> Tensor:
    return Sigmoid.apply(a)


def tanh(a: Tensor) -> Tensor:
    return Tanh.apply(a)


def where(condition: Any, input: Operand = None, other: Operand = None) -> Any:
    """``input`` where ``condition`` is true, else ``other`` (all three broadcast); with the
    condition alone, the indices where it is true (``nonzero(as_tuple=True)``).

    Reference: ``torch.where``."""
    cond = condition.data if isinstance(condition, Tensor) else condition
    if getattr(cond, "dtype", None) is None or cond.dtype.kind != "b":
        raise TypeError(
            f"where: condition must be a bool tensor, got {getattr(cond, 'dtype', cond)}"
        )
    if input is None and other is None:
        return nonzero(Tensor(cond), as_tuple=True)
    _check_broadcast("where", cond, input)
    _check_broadcast("where", cond, other)
    _check_broadcast("where", input, other)
    return Where.apply(cond, input, other)
