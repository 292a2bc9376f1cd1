"""Activation functions, with PyTorch's names, arguments and gradients (``torch.nn.functional``).

Most are compositions of primitives (`where`, `mul`, `tanh`, ...), so their backward comes
from the engine. Four are written out as a `Function`, because the composed form would be
wrong or unstable at the edges:

- `ELU` (elu, celu, selu): ``where(x > 0, x, exp(x) - 1)`` would compute exp of large positive
  x in the unused branch (inf · 0 = NaN in the backward) and halve the gradient at 0;
- `LogSigmoid`: log(σ(x)) = min(x, 0) − log1p(e^{−|x|}) never overflows and keeps its digits
  far from 0 (log(sigmoid(x)) gives −inf below x ≈ −745);
- `Softplus`: PyTorch's threshold switches to the identity where βx > threshold;
- `GELU`: the exact form needs erf, which is not a primitive.

``inplace``: ``relu(x, inplace=True)`` (and ``nn.ReLU(inplace=True)``) overwrites x, as in
PyTorch (`autograd.apply_in_place`: x's version counter catches a backward that needed its old
values). The other activations accept ``inplace=True`` (PyTorch code writes it everywhere) but
return a new tensor and leave the input unchanged; use the return value, as
``x = F.leaky_relu(x, inplace=True)`` and every ``nn.Sequential`` do.

Kinks follow PyTorch's subgradients: relu, hardtanh, hardsigmoid, threshold and the shrinks
pass no gradient at their corners; leaky_relu, prelu and elu use the negative side at 0;
hardswish the outer pieces at ±3 (gradient 0 at −3, 1 at 3).
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

from .. import autograd, backend
from ..autograd import Function
from ..tensor import Tensor
from .elementwise import Relu, add, clamp, div, exp, mul, neg, sigmoid, sub, tanh, where
from .elementwise import abs as abs_
from .elementwise import relu as _relu
from .shape import getitem, reshape

# ---- argument checks -----------------------------------------------------------------------


def _check_input(op: str, x: Any) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(x).__name__}")
    if x.dtype.kind not in "fc":
        raise TypeError(f"{op}: input must be a floating tensor, got dtype {x.dtype}")


def _number(op: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or math.isnan(value):
        raise TypeError(f"{op}: {name} must be a real number, got {value!r}")
    return float(value)


def _check_inplace(op: str, inplace: Any) -> None:
    if not isinstance(inplace, bool):
        raise TypeError(f"{op}: inplace must be a bool, got {inplace!r}")


def _unary(op: str, x: Any, inplace: Any = False) -> None:
    _check_input(op, x)
    _check_inplace(op, inplace)


# ---- the hand-written ones -----------------------------------------------------------------


class ELU(Function):
    """y = scale·x for x > 0, scale·alpha·(exp(input_scale·x) − 1) otherwise.

    elu: (alpha, 1, 1); celu: (alpha, 1, 1/alpha); selu: (1.6733, 1.0507, 1).
    dy/dx = scale for x > 0, scale·alpha·input_scale·exp(input_scale·x) for x <= 0.
    """

    @staticmethod
    def forward(ctx, x, alpha, scale, input_scale):
        xp = backend.array_module(x)
        negative = xp.minimum(x, 0) * input_scale  # exp only of values <= 0: no overflow
        ctx.save_for_backward(x > 0, negative)
        ctx.alpha, ctx.scale, ctx.input_scale = alpha, scale, input_scale
        out = xp.where(x > 0, scale * x, scale * alpha * xp.expm1(negative))
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        positive, negative = ctx.saved_tensors
        xp = backend.array_module(g)
        slope = ctx.scale * ctx.alpha * ctx.input_scale * xp.exp(negative)
        return g * xp.where(positive, ctx.scale, slope), None, None, None

    @staticmethod
    def vjp(ctx, g):
        x = ctx.args[0]
        slope = ctx.scale * ctx.alpha * ctx.input_scale * exp(clamp(x, max=0) * ctx.input_scale)
        return where(x.data > 0, ctx.scale, slope) * g, None, None, None


class LogSigmoid(Function):
    """log σ(x) = min(x, 0) − log1p(e^{−|x|});  d/dx = σ(−x) = 1 − σ(x)."""

    @staticmethod
    def forward(ctx, x):
        xp = backend.array_module(x)
        e = xp.exp(-xp.abs(x))  # <= 1: never overflows
        ctx.save_for_backward(x >= 0, e)
        return xp.minimum(x, 0) - xp.log1p(e)

    @staticmethod
    def backward(ctx, g):
        nonnegative, e = ctx.saved_tensors
        xp = backend.array_module(e)
        return g * xp.where(nonnegative, e / (1 + e), 1 / (1 + e))  # σ(−x), stably

    @staticmethod
    def vjp(ctx, g):
        return g * sigmoid(-ctx.args[0])


class Softplus(Function):
    """y = log(1 + e^{βx})/β, and y = x where βx > threshold (PyTorch's switch);
    dy/dx = σ(βx), and 1 past the threshold."""

    @staticmethod
    def forward(ctx, x, beta, threshold):
        xp = backend.array_module(x)
        z = x * beta
        linear = z > threshold
        smooth = (xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))) / beta
        ctx.save_for_backward(z, linear)
        return xp.where(linear, x, smooth).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        z, linear = ctx.saved_tensors
        xp = backend.array_module(z)
        e = xp.exp(-xp.abs(z))
        sig = xp.where(z >= 0, 1 / (1 + e), e / (1 + e))  # σ(z), stably
        return g * xp.where(linear, 1, sig), None, None

    @staticmethod
    def vjp(ctx, g):
        x, beta = ctx.args[0], ctx.args[1]
        linear = ctx.saved_tensors[1]
        return g * where(linear, 1.0, sigmoid(x * beta)), None, None


def _erf(x: Any) -> Any:
    if backend.is_cupy_array(x):
        import cupyx.scipy.special  # only reached when CuPy is already in use

        return cupyx.scipy.special.erf(x)
    import scipy.special

    return scipy.special.erf(x)


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_KAPPA = 0.044715


class GELU(Function):
    """GELU(x) = x·Φ(x), Φ the standard normal CDF (Hendrycks & Gimpel 2016).

    "none":  Φ(x) = ½(1 + erf(x/√2)),             dy/dx = Φ(x) + x·φ(x), φ = e^{−x²/2}/√(2π);
    "tanh":  y = ½x(1 + tanh u), u = √(2/π)(x + 0.044715x³),
             dy/dx = ½(1 + tanh u) + ½x(1 − tanh² u)·√(2/π)(1 + 3·0.044715x²).
    """

    @staticmethod
    def forward(ctx, x, approximate):
        xp = backend.array_module(x)
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        if approximate == "tanh":
            return 0.5 * x * (1 + xp.tanh(_SQRT_2_OVER_PI * (x + _KAPPA * x**3)))
        return (0.5 * x * (1 + _erf(x / math.sqrt(2)))).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        xp = backend.array_module(x)
        if ctx.approximate == "tanh":
            t = xp.tanh(_SQRT_2_OVER_PI * (x + _KAPPA * x**3))
            du = _SQRT_2_OVER_PI * (1 + 3 * _KAPPA * x * x)
            return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du), None
        cdf = 0.5 * (1 + _erf(x / math.sqrt(2)))
        pdf = xp.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        return (g * (cdf + x * pdf)).astype(x.dtype, copy=False), None

    # ---- the ReLU family -----------------------------------------------------------------------

    @staticmethod
    def vjp(ctx, g):
        from .pointwise import erf

        x = ctx.args[0]
        if ctx.approximate == "tanh":
            t = tanh(_SQRT_2_OVER_PI * (x + _KAPPA * x**3))
            du = _SQRT_2_OVER_PI * (1 + 3 * _KAPPA * x * x)
            return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du), None
        cdf = 0.5 * (1 + erf(x / math.sqrt(2)))
        pdf = exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        return g * (cdf + x * pdf), None


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0); no gradient at 0.  Reference: ``torch.nn.functional.relu``.

    ``inplace=True`` overwrites ``input`` and returns it, as PyTorch does: ``input`` becomes the
    ReLU's output in the graph, and a backward that needs its old values raises.
    """
    _unary("relu", input, inplace)
    if inplace:
        return autograd.apply_in_place(Relu, input)
    return _relu(input)


def _inside(x: Tensor, lo: float, hi: float) -> Any:
    return (x.data > lo) & (x.data < hi)


def hardtanh(
    input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    """clamp(x, min_val, max_val), with gradient only strictly inside (PyTorch's, unlike clamp).

    Reference: ``torch.nn.functional.hardtanh``."""
    _unary("hardtanh", input, inplace)
    lo, hi = _number("hardtanh", "min_val", min_val), _number("hardtanh", "max_val", max_val)
    if lo > hi:
        raise ValueError(f"hardtanh: min_val ({lo}) must be <= max_val ({hi})")
    xp = backend.array_module(input.data)
    return where(_inside(input, lo, hi), input, xp.clip(input.data, lo, hi))


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6) = hardtanh(x, 0, 6).  Reference: ``torch.nn.functional.relu6``."""
    _unary("relu6", input, inplace)
    return hardtanh(input, 0.0, 6.0)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, negative_slope·x otherwise.  Reference: ``torch.nn.functional.leaky_relu``."""
    _unary("leaky_relu", input, inplace)
    slope = _number("leaky_relu", "negative_slope", negative_slope)
    return where(input.data > 0, input, mul(input, slope))


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """leaky_relu with a learned slope: one per channel (dim 1), or one for all.

    Shapes: input (N, C, *) or (C,) or (); weight (C,) or (1,).
    Reference: ``torch.nn.functional.prelu``.
    """
    _check_input("prelu", input)
    if not isinstance(weight, Tensor):
        raise TypeError(f"prelu: weight must be a Tensor, got {type(weight).__name__}")
    if weight.ndim > 1:
        raise ValueError(f"prelu: weight must be 0-d or 1-d, got shape {weight.shape}")
    channels = input.shape[1] if input.ndim >= 2 else 1
    count = weight.numel()
    if count not in (1, channels):
        raise ValueError(
            f"prelu: weight must have 1 or {channels} (the channels of input {input.shape}) "
            f"values, got {count}"
        )
    if input.ndim >= 2:  # (C,) -> (C, 1, ..., 1): a slope per channel
        weight = reshape(weight, (count,) + (1,) * (input.ndim - 2))
    elif weight.ndim == 1 and input.ndim == 0:
        weight = reshape(weight, ())
    return where(input.data > 0, input, mul(weight, input))


def rrelu(
    input: Tensor,
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """Randomized leaky ReLU (Xu et al. 2015): while training each negative value gets a slope
    drawn from U(lower, upper); in eval the slope is the mean (lower + upper)/2.

    Reference: ``torch.nn.functional.rrelu``."""
    _unary("rrelu", input, inplace)
    lo, hi = _number("rrelu", "lower", lower), _number("rrelu", "upper", upper)
    if lo > hi:
        raise ValueError(f"rrelu: lower ({lo}) must be <= upper ({hi})")
    if not training:
        return leaky_relu(input, (lo + hi) / 2)
    from .. import random

    slope = (lo + (hi - lo) * random.uniform_like(input.data)).astype(input.dtype)
    return where(input.data >= 0, input, mul(input, slope))


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else value.  Reference: ``torch.nn.functional.threshold``."""
    _unary("threshold", input, inplace)
    t, v = _number("threshold", "threshold", threshold), _number("threshold", "value", value)
    return where(input.data > t, input, v)


# ---- exponential and smooth units ----------------------------------------------------------

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha·(eˣ − 1) otherwise (Clevert et al. 2015).

    Reference: ``torch.nn.functional.elu``."""
    _unary("elu", input, inplace)
    return ELU.apply(input, _number("elu", "alpha", alpha), 1.0, 1.0)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha·(e^{x/alpha} − 1)) (Barron 2017).

    Reference: ``torch.nn.functional.celu``."""
    _unary("celu", input, inplace)
    a = _number("celu", "alpha", alpha)
    if a == 0:
        raise ValueError("celu: alpha must not be 0 (it divides x), got 0.0")
    return ELU.apply(input, a, 1.0, 1 / a)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale·elu(x, alpha), alpha ≈ 1.6733 and scale ≈ 1.0507: the self-normalising unit
    (Klambauer et al. 2017).  Reference: ``torch.nn.functional.selu``."""
    _unary("selu", input, inplace)
    return ELU.apply(input, _SELU_ALPHA, _SELU_SCALE, 1.0)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x·Φ(x), exactly with erf or with PyTorch's tanh approximation.

    Reference: ``torch.nn.functional.gelu``."""
    _check_input("gelu", input)
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return GELU.apply(input, approximate)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^{βx})/β, the identity where βx > threshold.

    Reference: ``torch.nn.functional.softplus``."""
    _check_input("softplus", input)
    b = _number("softplus", "beta", beta)
    if b == 0:
        raise ValueError("softplus: beta must not be 0 (it divides), got 0.0")
    return Softplus.apply(input, b, _number("softplus", "threshold", threshold))


def logsigmoid(input: Tensor) -> Tensor:
    """log σ(x), stable for any x.  Reference: ``torch.nn.functional.logsigmoid``."""
    _check_input("logsigmoid", input)
    return LogSigmoid.apply(input)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x·σ(x), a.k.a. swish.  Reference: ``torch.nn.functional.silu``."""
    _unary("silu", input, inplace)
    return mul(input, sigmoid(input))


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x·tanh(softplus(x)) (Misra 2019); softplus(x) = −log σ(−x) here, with no threshold
    (as PyTorch's mish).  Reference: ``torch.nn.functional.mish``."""
    _unary("mish", input, inplace)
    return mul(input, tanh(neg(LogSigmoid.apply(neg(input)))))


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3)/6, gradient 1/6 strictly inside (−3, 3).

    Reference: ``torch.nn.functional.hardsigmoid``."""
    _unary("hardsigmoid", input, inplace)
    xp = backend.array_module(input.data)
    outside = xp.clip(input.data / 6 + 0.5, 0, 1)
    return where(_inside(input, -3.0, 3.0), add(mul(input, 1 / 6), 0.5), outside)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x·relu6(x + 3)/6 (Howard et al. 2019, MobileNetV3).

    Reference: ``torch.nn.functional.hardswish``."""
    _unary("hardswish", input, inplace)
    x = input.data
    middle = mul(input, mul(add(input, 3.0), 1 / 6))  # x(x + 3)/6; gradient x/3 + 1/2
    return where(x <= -3, 0.0, where(x < 3, middle, input))


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|).  Reference: ``torch.nn.functional.softsign``."""
    _check_input("softsign", input)
    return div(input, add(abs_(input), 1.0))


def tanhshrink(input: Tensor) -> Tensor:
    """x − tanh(x).  Reference: ``torch.nn.functional.tanhshrink``."""
    _check_input("tanhshrink", input)
    return sub(input, tanh(input))


def _lambd(op: str, lambd: Any) -> float:
    value = _number(op, "lambd", lambd)
    if value < 0:
        raise ValueError(f"{op}: lambd must be >= 0, got {value}")
    return value


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0.  Reference: ``torch.nn.functional.hardshrink``."""
    _check_input("hardshrink", input)
    lam = _number("hardshrink", "lambd", lambd)  # lambd < 0 zeroes nothing, as in PyTorch
    return where((input.data > lam) | (input.data < -lam), input, 0.0)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x − lambd above lambd, x + lambd below −lambd, 0 between.

    Reference: ``torch.nn.functional.softshrink``."""
    _check_input("softshrink", input)
    lam = _lambd("softshrink", lambd)
    x = input.data
    return where(x > lam, sub(input, lam), where(x < -lam, add(input, lam), 0.0))


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """Gated linear unit (Dauphin et al. 2017): a ⊙ σ(b), a and b the two halves along dim.

    Shapes: (*, 2k, *) → (*, k, *).  Reference: ``torch.nn.functional.glu``."""
    _check_input("glu", input)
    if input.ndim == 0:
        raise ValueError("glu: does not support 0-d (scalar) tensors")
    if isinstance(dim, bool) or not isinstance(dim, int) or not -input.ndim <= dim < input.ndim:
        raise IndexError(f"glu: dim {dim!r} is out of range for a tensor of shape {input.shape}")
    d = dim % input.ndim
    size = input.shape[d]
    if size % 2:
        raise ValueError(f"glu: halving dimension must be even, but dimension {d} is size {size}")
    before = (slice(None),) * d
    a = getitem(input, (*before, slice(0, size // 2)))
    b = getitem(input, (*before, slice(size // 2, size)))
    return mul(a, sigmoid(b))
