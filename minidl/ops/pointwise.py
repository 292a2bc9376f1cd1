"""More elementwise math, as a rule table in the style of JAX: each function is its value
and its derivative, ``f(x)`` and ``f'(x)`` written with the input ``x`` and the output ``y``.

`unary` turns a row of the table into a differentiable op. Rounding functions (floor, ceil,
round, trunc, sign) are flat almost everywhere: their derivative is 0, as PyTorch defines it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function
from ..tensor import Tensor

Rule = Callable[[Any, Any, Any], Any]  # (xp, x, y) -> array


def unary(name: str, value: Callable[[Any, Any], Any], derivative: Rule | None) -> Callable:
    """A differentiable ``name(input)`` from ``value(xp, x)`` and ``derivative(xp, x, y)``
    (None: the derivative is 0 everywhere it exists)."""

    def forward(ctx, a):
        xp = backend.array_module(a)
        y = value(xp, a)
        ctx.save_for_backward(a, y)
        return y

    def backward(ctx, g):
        a, y = ctx.saved_tensors
        xp = backend.array_module(a)
        return g * derivative(xp, a, y) if derivative else xp.zeros_like(a)

    op = type(
        name.capitalize(),
        (Function,),
        {"forward": staticmethod(forward), "backward": staticmethod(backward)},
    )

    def apply(input: Tensor) -> Tensor:
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: expected a Tensor, got {type(input).__name__}")
        if derivative is None and input.dtype.kind not in "fc":
            return Tensor(value(backend.array_module(input.data), input.data))
        if input.dtype.kind not in "fc":  # integer input: computed in the default float
            input = input.to(np.float32)
        return op.apply(input)

    apply.__name__ = apply.__qualname__ = name
    apply.__doc__ = f"Elementwise ``{name}``.  Reference: ``torch.{name}``."
    return apply


log1p = unary("log1p", lambda xp, x: xp.log1p(x), lambda xp, x, y: 1 / (1 + x))
expm1 = unary("expm1", lambda xp, x: xp.expm1(x), lambda xp, x, y: y + 1)
log2 = unary("log2", lambda xp, x: xp.log2(x), lambda xp, x, y: 1 / (x * 0.6931471805599453))
log10 = unary("log10", lambda xp, x: xp.log10(x), lambda xp, x, y: 1 / (x * 2.302585092994046))
exp2 = unary("exp2", lambda xp, x: xp.exp2(x), lambda xp, x, y: y * 0.6931471805599453)
sin = unary("sin", lambda xp, x: xp.sin(x), lambda xp, x, y: xp.cos(x))
cos = unary("cos", lambda xp, x: xp.cos(x), lambda xp, x, y: -xp.sin(x))
tan = unary("tan", lambda xp, x: xp.tan(x), lambda xp, x, y: 1 + y * y)
asin = unary("asin", lambda xp, x: xp.arcsin(x), lambda xp, x, y: 1 / xp.sqrt(1 - x * x))
acos = unary("acos", lambda xp, x: xp.arccos(x), lambda xp, x, y: -1 / xp.sqrt(1 - x * x))
atan = unary("atan", lambda xp, x: xp.arctan(x), lambda xp, x, y: 1 / (1 + x * x))
sinh = unary("sinh", lambda xp, x: xp.sinh(x), lambda xp, x, y: xp.cosh(x))
cosh = unary("cosh", lambda xp, x: xp.cosh(x), lambda xp, x, y: xp.sinh(x))
square = unary("square", lambda xp, x: x * x, lambda xp, x, y: 2 * x)
rsqrt = unary("rsqrt", lambda xp, x: 1 / xp.sqrt(x), lambda xp, x, y: -0.5 * y * y * y)
reciprocal = unary("reciprocal", lambda xp, x: 1 / x, lambda xp, x, y: -y * y)
sign = unary("sign", lambda xp, x: xp.sign(x), None)
floor = unary("floor", lambda xp, x: xp.floor(x), None)
ceil = unary("ceil", lambda xp, x: xp.ceil(x), None)
trunc = unary("trunc", lambda xp, x: xp.trunc(x), None)
frac = unary("frac", lambda xp, x: x - xp.trunc(x), lambda xp, x, y: xp.ones_like(x))
_round = unary("round", lambda xp, x: xp.round(x), None)


def round(input: Tensor, *, decimals: int = 0) -> Tensor:  # noqa: A001 - PyTorch's name
    """Round half to even (to ``decimals`` places); gradient 0.  Reference: ``torch.round``."""
    if decimals == 0:
        return _round(input)
    scale = 10.0**decimals
    return _round(input * scale) / scale


def isnan(input: Tensor) -> Tensor:
    return Tensor(backend.array_module(input.data).isnan(input.data))


def isinf(input: Tensor) -> Tensor:
    return Tensor(backend.array_module(input.data).isinf(input.data))


def isfinite(input: Tensor) -> Tensor:
    return Tensor(backend.array_module(input.data).isfinite(input.data))


def logical_not(input: Tensor) -> Tensor:
    return Tensor(~input.data.astype(bool))


def logical_and(input: Tensor, other: Tensor) -> Tensor:
    return Tensor(input.data.astype(bool) & _data(other).astype(bool))


def logical_or(input: Tensor, other: Tensor) -> Tensor:
    return Tensor(input.data.astype(bool) | _data(other).astype(bool))


def _data(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else backend.array_module(x).asarray(x)
