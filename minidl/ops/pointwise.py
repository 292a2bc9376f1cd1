"""More elementwise math, as a rule table in the style of JAX: each function is its value
and its derivative, ``f(x)`` and ``f'(x)`` written with the input ``x`` and the output ``y``.

`unary` turns a row of the table into a differentiable op. Rounding functions (floor, ceil,
round, trunc, sign) are flat almost everywhere: their derivative is 0, as PyTorch defines it.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function
from ..tensor import Tensor

Rule = Callable[[Any, Any, Any], Any]  # (xp, x, y) -> array


def _recorded_xp() -> SimpleNamespace:
    """The ``xp`` that runs a rule of the table on Tensors, recorded: for ``create_graph``."""
    from .elementwise import exp, log, sqrt

    return SimpleNamespace(
        cos=cos,
        sin=sin,
        cosh=cosh,
        sinh=sinh,
        exp=exp,
        sqrt=sqrt,
        log=log,
        # constants: their derivative is 0
        ones_like=lambda x: Tensor(backend.array_module(x.data).ones_like(x.data)),
        full_like=lambda x, v: Tensor(backend.array_module(x.data).full_like(x.data, v)),
    )


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

    def vjp(ctx, g):
        # the same rule on Tensors (a namespace of recorded ops for ``xp``): differentiable
        (x,) = ctx.args
        if derivative is None:
            return g * 0.0
        return g * derivative(_recorded_xp(), x, op.apply(x))

    op = type(
        name.capitalize(),
        (Function,),
        {
            k: staticmethod(f)
            for k, f in (("forward", forward), ("backward", backward), ("vjp", vjp))
        },
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
asinh = unary("asinh", lambda xp, x: xp.arcsinh(x), lambda xp, x, y: 1 / xp.sqrt(x * x + 1))
acosh = unary("acosh", lambda xp, x: xp.arccosh(x), lambda xp, x, y: 1 / xp.sqrt(x * x - 1))
atanh = unary("atanh", lambda xp, x: xp.arctanh(x), lambda xp, x, y: 1 / (1 - x * x))
deg2rad = unary(
    "deg2rad", lambda xp, x: xp.deg2rad(x), lambda xp, x, y: xp.full_like(x, 0.017453292519943295)
)
rad2deg = unary(
    "rad2deg", lambda xp, x: xp.rad2deg(x), lambda xp, x, y: xp.full_like(x, 57.29577951308232)
)
sgn = sign
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


def _erf_array(xp: Any, x: Any) -> Any:
    """erf from SciPy on the CPU, from cupyx on the GPU (NumPy has none)."""
    if xp is np:
        from scipy import special
    else:  # pragma: no cover - needs a GPU
        from cupyx.scipy import special
    return special.erf(x)


def _erfinv_array(xp: Any, x: Any) -> Any:
    if xp is np:
        from scipy import special
    else:  # pragma: no cover - needs a GPU
        from cupyx.scipy import special
    return special.erfinv(x)


_TWO_OVER_SQRT_PI = 1.1283791670955126
erf = unary("erf", _erf_array, lambda xp, x, y: _TWO_OVER_SQRT_PI * xp.exp(-x * x))
erfc = unary(
    "erfc",
    lambda xp, x: 1 - _erf_array(xp, x),
    lambda xp, x, y: -_TWO_OVER_SQRT_PI * xp.exp(-x * x),
)
erfinv = unary("erfinv", _erfinv_array, lambda xp, x, y: xp.exp(y * y) / _TWO_OVER_SQRT_PI)
_logit = unary("logit", lambda xp, x: xp.log(x / (1 - x)), lambda xp, x, y: 1 / (x * (1 - x)))


def logit(input: Tensor, eps: float | None = None) -> Tensor:
    """log(p / (1 - p)), with p clamped to [eps, 1 - eps] when ``eps`` is given (the gradient
    is then 0 outside).  Reference: ``torch.logit``."""
    if eps is None:
        return _logit(input)
    from .elementwise import clamp

    return _logit(clamp(input, eps, 1 - eps))


def nan_to_num(
    input: Tensor, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None
) -> Tensor:
    """NaN, +inf and -inf replaced by ``nan`` and the dtype's largest/smallest values (or the
    given ones); the gradient passes where the value was finite.  ``torch.nan_to_num``."""
    from .elementwise import where

    xp = backend.array_module(input.data)
    info = np.finfo(input.dtype) if input.dtype.kind == "f" else None
    if info is None:
        return input
    a = input.data
    big = info.max if posinf is None else posinf
    small = info.min if neginf is None else neginf
    filled = xp.where(xp.isnan(a), nan, xp.where(a > 0, big, small)).astype(a.dtype)
    return where(xp.isfinite(a), input, filled)
