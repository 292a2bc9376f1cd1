"""Lazy layers: the input size is read from the first input, as d2l's models are written
(``nn.LazyLinear(10)`` needs no ``in_features``).

A lazy layer keeps its other arguments; its first ``forward`` builds the real layer in place
(``cls_to_become``, as PyTorch does) with the input's feature or channel count, and from then
on it *is* that layer. Run one forward pass before making the optimizer, so that the
optimizer sees the parameters (PyTorch asks the same).
"""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .conv import Conv2d, ConvTranspose2d
from .layers import Linear
from .module import Module
from .norm import BatchNorm1d, BatchNorm2d
from .one_d import Conv1d


class _Lazy(Module):
    cls_to_become: type[Module]
    feature_dim = 1  # where the input's size is read: 1 for channels, -1 for features

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        self._lazy_args, self._lazy_kwargs = args, kwargs

    def has_uninitialized_params(self) -> bool:
        return True

    def forward(self, input: Tensor, *rest: Any, **kwargs: Any) -> Any:
        size = (
            input.shape[self.feature_dim]
            if input.ndim > 1 or self.feature_dim == -1
            else (input.shape[0])
        )
        training, args, kw = self.training, self._lazy_args, self._lazy_kwargs
        target = self.cls_to_become
        self.__class__ = target  # from here on it is the real layer
        target.__init__(self, size, *args, **kw)  # type: ignore[misc]
        self.train(training)
        if input.device != "cpu":
            self.to(input.device)
        return self.forward(input, *rest, **kwargs)

    def extra_repr(self) -> str:
        return ", ".join(map(repr, self._lazy_args)) + " (input size read on the first call)"


class LazyLinear(_Lazy):
    """``nn.Linear`` with ``in_features`` read from the first input's last dim."""

    cls_to_become, feature_dim = Linear, -1


class LazyConv1d(_Lazy):
    """``nn.Conv1d`` with ``in_channels`` read from the first input."""

    cls_to_become = Conv1d


class LazyConv2d(_Lazy):
    """``nn.Conv2d`` with ``in_channels`` read from the first input."""

    cls_to_become = Conv2d


class LazyConvTranspose2d(_Lazy):
    """``nn.ConvTranspose2d`` with ``in_channels`` read from the first input."""

    cls_to_become = ConvTranspose2d


class LazyBatchNorm1d(_Lazy):
    """``nn.BatchNorm1d`` with ``num_features`` read from the first input."""

    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_Lazy):
    """``nn.BatchNorm2d`` with ``num_features`` read from the first input."""

    cls_to_become = BatchNorm2d
