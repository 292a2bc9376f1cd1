"""Activation modules (``nn.ReLU``, ``nn.GELU``, ``nn.Softmax``, ...): PyTorch's constructor
arguments; each forwards to its function in `minidl.nn.functional`.

``nn.ReLU(inplace=True)`` overwrites its input, as in PyTorch; the other modules accept
``inplace=True`` and compute out of place, returning a new tensor, which is all
``nn.Sequential`` and ``x = act(x)`` use. See `minidl.ops.activation`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import ops
from ..ops import activation as A
from ..ops.softmax import log_softmax, softmax, softmin
from ..tensor import Tensor
from .module import Module, Parameter


class _Activation(Module):
    """An elementwise activation with no learned state; subclasses set ``fn`` and ``args``."""

    fn: Any = None
    args: tuple[str, ...] = ()

    def forward(self, input: Tensor) -> Tensor:
        return type(self).fn(input, *(getattr(self, a) for a in self.args))

    def extra_repr(self) -> str:
        return ", ".join(f"{a}={getattr(self, a)!r}" for a in self.args)


class _InplaceActivation(_Activation):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        A._check_inplace(type(self).__name__, inplace)
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return type(self).fn(input, *(getattr(self, a) for a in self.args), self.inplace)

    def extra_repr(self) -> str:
        return ", ".join([super().extra_repr()] * bool(self.args) + ["inplace=True"] * self.inplace)


class ReLU(_InplaceActivation):
    fn = A.relu


class ReLU6(_InplaceActivation):
    fn = A.relu6


class SELU(_InplaceActivation):
    fn = A.selu


class SiLU(_InplaceActivation):
    fn = A.silu


class Mish(_InplaceActivation):
    fn = A.mish


class Hardsigmoid(_InplaceActivation):
    fn = A.hardsigmoid


class Hardswish(_InplaceActivation):
    fn = A.hardswish


class LeakyReLU(_InplaceActivation):
    fn, args = A.leaky_relu, ("negative_slope",)

    def __init__(self, negative_slope: float = 1e-2, inplace: bool = False) -> None:
        super().__init__(inplace)
        self.negative_slope = negative_slope


class ELU(_InplaceActivation):
    fn, args = A.elu, ("alpha",)

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__(inplace)
        self.alpha = alpha


class CELU(ELU):
    fn = A.celu


class Hardtanh(_InplaceActivation):
    fn, args = A.hardtanh, ("min_val", "max_val")

    def __init__(
        self,
        min_val: float = -1.0,
        max_val: float = 1.0,
        inplace: bool = False,
        min_value: float | None = None,
        max_value: float | None = None,
    ) -> None:
        super().__init__(inplace)
        # min_value / max_value: PyTorch's deprecated spellings, still accepted there
        self.min_val = min_val if min_value is None else min_value
        self.max_val = max_val if max_value is None else max_value
        if self.min_val > self.max_val:
            raise ValueError(
                f"Hardtanh: min_val ({self.min_val}) must be <= max_val ({self.max_val})"
            )


class Threshold(_InplaceActivation):
    fn, args = A.threshold, ("threshold", "value")

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__(inplace)
        self.threshold, self.value = threshold, value


class RReLU(_InplaceActivation):
    """Random slopes in U(lower, upper) while training, their mean in eval."""

    args = ("lower", "upper")

    def __init__(
        self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False
    ) -> None:
        super().__init__(inplace)
        self.lower, self.upper = lower, upper

    def forward(self, input: Tensor) -> Tensor:
        return A.rrelu(input, self.lower, self.upper, self.training, self.inplace)


class Sigmoid(_Activation):
    fn = ops.sigmoid


class Tanh(_Activation):
    fn = ops.tanh


class LogSigmoid(_Activation):
    fn = A.logsigmoid


class Softsign(_Activation):
    fn = A.softsign


class Tanhshrink(_Activation):
    fn = A.tanhshrink


class GELU(_Activation):
    fn, args = A.gelu, ("approximate",)

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate


class Softplus(_Activation):
    fn, args = A.softplus, ("beta", "threshold")

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold


class Hardshrink(_Activation):
    fn, args = A.hardshrink, ("lambd",)

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd


class Softshrink(Hardshrink):
    fn = A.softshrink


class GLU(_Activation):
    fn, args = A.glu, ("dim",)

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim


class PReLU(Module):
    """leaky_relu with learned slopes: one shared (num_parameters=1) or one per channel."""

    def __init__(
        self, num_parameters: int = 1, init: float = 0.25, device: Any = None, dtype: Any = None
    ) -> None:
        super().__init__()
        if isinstance(num_parameters, bool) or not isinstance(num_parameters, int):
            raise TypeError(f"PReLU: num_parameters must be an int, got {num_parameters!r}")
        if num_parameters < 1:
            raise ValueError(f"PReLU: num_parameters must be >= 1, got {num_parameters}")
        self.num_parameters, self.init = num_parameters, init
        dtype = np.float32 if dtype is None else np.dtype(dtype)
        self.weight = Parameter(np.full(num_parameters, init, dtype))
        if device is not None:
            self.to(device)

    def forward(self, input: Tensor) -> Tensor:
        return A.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class _SoftmaxFamily(Module):
    fn: Any = None

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return type(self).fn(input, self.dim, _stacklevel=5)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_SoftmaxFamily):
    fn = softmax


class LogSoftmax(_SoftmaxFamily):
    fn = log_softmax


class Softmin(_SoftmaxFamily):
    fn = softmin


class Softmax2d(Module):
    """Softmax over the channels of (N, C, H, W) or (C, H, W) input, at each position."""

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in (3, 4):
            raise ValueError(
                f"Softmax2d: expected input of shape (N, C, H, W) or (C, H, W), got {input.shape}"
            )
        return softmax(input, -3)
