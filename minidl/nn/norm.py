"""Normalisation layers: batch norm (batch statistics while training, running statistics in
eval mode), layer norm and group norm (each sample's own statistics)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..ops.layer_norm import group_norm, instance_norm, layer_norm, rms_norm
from ..ops.norm import batch_norm
from ..tensor import Tensor
from .module import Module, Parameter


def _dtype(dtype: Any) -> np.dtype:
    return np.dtype(np.float32 if dtype is None else dtype)


class _BatchNorm(Module):
    """Parameters weight (C,) = 1 and bias (C,) = 0 (when ``affine``); buffers running_mean =
    0, running_var = 1 and num_batches_tracked = 0, as PyTorch names and starts them (so state
    dicts carry over). ``momentum=None`` makes the running statistics a cumulative average.
    See `minidl.nn.functional.batch_norm` for the math."""

    dims: tuple[int, ...] = ()

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device: str | None = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dt = _dtype(dtype)
        self.weight = Parameter(np.ones(num_features, dt)) if affine else None
        self.bias = Parameter(np.zeros(num_features, dt)) if affine and bias else None
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dt)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dt)))
            self.register_buffer("num_batches_tracked", Tensor(np.zeros((), np.int64)))
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None
        if device not in (None, "cpu"):
            self.to(device)

    def _check_dims(self, input: Tensor) -> None:
        if input.ndim not in self.dims:
            raise ValueError(
                f"{type(self).__name__}: expected a "
                f"{' or '.join(f'{d}-D' for d in self.dims)} input, got shape {input.shape}"
            )

    def forward(self, input: Tensor) -> Tensor:
        name = type(self).__name__
        self._check_dims(input)
        if input.shape[1] != self.num_features:
            raise ValueError(
                f"{name}: expected input with {self.num_features} channels, got {input.shape}"
            )
        # batch statistics while training, or always when no running statistics are kept
        use_batch = self.training or self.running_mean is None
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.running_mean is not None:
            self.num_batches_tracked.data += 1
            if self.momentum is None:  # cumulative moving average
                momentum = 1.0 / float(self.num_batches_tracked.data)
        return batch_norm(
            input,
            self.running_mean,  # None when not tracked
            self.running_var,
            self.weight,
            self.bias,
            use_batch,
            momentum,
            self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) inputs, per channel.  ``nn.BatchNorm1d``."""

    dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over (N, H, W) for each channel of an (N, C, H, W) input.

    ``nn.BatchNorm2d``."""

    dims = (4,)


class LayerNorm(Module):
    """Normalise over the last dims (``normalized_shape``), with a learned per-element scale
    and shift (``elementwise_affine``).  See `minidl.nn.functional.layer_norm`."""

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        shape = (
            (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        )
        self.normalized_shape, self.eps = shape, eps
        self.elementwise_affine = elementwise_affine
        dt = _dtype(dtype)
        self.weight = Parameter(np.ones(shape, dt)) if elementwise_affine else None
        self.bias = Parameter(np.zeros(shape, dt)) if elementwise_affine and bias else None
        if device not in (None, "cpu"):
            self.to(device)

    def forward(self, input: Tensor) -> Tensor:
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )


class GroupNorm(Module):
    """Normalise groups of channels of each sample.  See `minidl.nn.functional.group_norm`."""

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        device: str | None = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if num_groups <= 0 or num_channels % num_groups:
            raise ValueError(
                f"GroupNorm: num_groups {num_groups} must divide num_channels {num_channels}"
            )
        self.num_groups, self.num_channels, self.eps, self.affine = (
            num_groups,
            num_channels,
            eps,
            affine,
        )
        dt = _dtype(dtype)
        self.weight = Parameter(np.ones(num_channels, dt)) if affine else None
        self.bias = Parameter(np.zeros(num_channels, dt)) if affine and bias else None
        if device not in (None, "cpu"):
            self.to(device)

    def forward(self, input: Tensor) -> Tensor:
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"


class _InstanceNorm(_BatchNorm):
    """Each channel of each sample normalised over its own positions; ``affine`` and
    ``track_running_stats`` are off by default, as in PyTorch."""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        device: str | None = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__(
            num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias
        )

    def forward(self, input: Tensor) -> Tensor:
        name = type(self).__name__
        self._check_dims(input)
        unbatched = input.ndim == min(self.dims)
        x = input.unsqueeze(0) if unbatched else input
        if x.shape[1] != self.num_features and self.affine:
            raise ValueError(
                f"{name}: expected input with {self.num_features} channels, got {input.shape}"
            )
        use_input_stats = self.training or self.running_mean is None
        y = instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                          use_input_stats, self.momentum, self.eps)  # fmt: skip
        return y.squeeze(0) if unbatched else y


class InstanceNorm1d(_InstanceNorm):
    """``nn.InstanceNorm1d``: (N, C, L) or unbatched (C, L) inputs."""

    dims = (2, 3)


class InstanceNorm2d(_InstanceNorm):
    """``nn.InstanceNorm2d``: (N, C, H, W) or unbatched (C, H, W) inputs."""

    dims = (3, 4)


class RMSNorm(LayerNorm):
    """Root-mean-square normalisation over the last dims: a LayerNorm without the centring
    and the bias.  See `minidl.nn.functional.rms_norm`."""

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float | None = None,
        elementwise_affine: bool = True,
        device: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(normalized_shape, 0.0, elementwise_affine, False, device, dtype)
        self.eps = eps

    def forward(self, input: Tensor) -> Tensor:
        return rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )
