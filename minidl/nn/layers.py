"""Basic layers and containers: Linear, Identity, Flatten, Dropout, Sequential, ModuleList.

Activations live in `activation.py`, losses in `loss.py` and `metric.py`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from .. import ops, profiler
from ..tensor import Tensor
from . import functional as F
from . import init
from .activation import ReLU
from .conv import Conv2d
from .module import Module, Parameter


class Linear(Module):
    """y = x Wᵀ + b.  Shapes: x (*, in_features) → y (*, out_features); W (out, in)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(np.empty((out_features, in_features), np.float32))
        self.bias = Parameter(np.empty(out_features, np.float32)) if bias else None
        init.default_init_(self.weight, self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Identity(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x


class Flatten(Module):
    """(N, d1, d2, ...) → (N, d1·d2·...)."""

    def __init__(self, start_dim: int = 1) -> None:
        super().__init__()
        self.start_dim = start_dim

    def forward(self, x: Tensor) -> Tensor:
        return ops.flatten(x, self.start_dim)


class Dropout(Module):
    """Zero each value with probability p while training, scaling the rest by 1/(1-p)."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"Dropout: p must be in [0, 1], got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Sequential(Module):
    """Modules applied one after another; index it like a list.

    A Conv2d followed by a ReLU runs as one autograd node (`F.conv2d_relu`: the ReLU in
    place on the conv's output, one array kept instead of two), with the same values and
    gradients, unless either module has hooks (a forward hook on the Conv2d must see its
    output before the ReLU). Set ``nn.Sequential.fuse_conv_relu = False`` to run every
    module on its own, e.g. to see both nodes in a graph or a profile.
    """

    fuse_conv_relu = True

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for i, m in enumerate(modules):
            self._modules[str(i)] = m

    def forward(self, x: Any) -> Any:
        modules = list(self._modules.values())
        i = 0
        while i < len(modules):
            if i + 1 < len(modules) and self._fusable(modules[i], modules[i + 1]):
                x = _conv_relu(modules[i], x)
                i += 2
            else:
                x = modules[i](x)
                i += 1
        return x

    def _fusable(self, first: Module, second: Module) -> bool:
        # exact types: a subclass may have changed what forward does
        return (
            self.fuse_conv_relu
            and type(first) is Conv2d
            and type(second) is ReLU
            and not _hooked(first)
            and not _hooked(second)
        )

    def __getitem__(self, i: int) -> Module:
        return list(self._modules.values())[i]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        self._modules[str(len(self._modules))] = module
        return self


def _hooked(module: Module) -> bool:
    return any(len(table) for table in module.__dict__.get("_hooks", {}).values())


def _conv_relu(conv: Conv2d, x: Any) -> Any:
    prof = profiler.current
    if prof is None:
        return conv.forward_relu(x)
    event = prof.begin("Conv2d+ReLU", "module", profiler.shapes_of((x,)))
    try:
        return conv.forward_relu(x)
    finally:
        prof.end(event)


class ModuleList(Module):
    """A list of modules whose parameters are registered (a plain list would hide them)."""

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        for m in modules:
            self.append(m)

    def append(self, module: Module) -> ModuleList:
        if not isinstance(module, Module):
            raise TypeError(f"ModuleList: expected a Module, got {type(module).__name__}")
        self._modules[str(len(self._modules))] = module
        return self

    def __getitem__(self, i: int) -> Module:
        return list(self._modules.values())[i]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())
