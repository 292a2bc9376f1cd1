"""BatchNorm2d: batch statistics while training, running statistics in eval mode."""

from __future__ import annotations

import numpy as np

from ..ops.norm import batch_norm
from ..tensor import Tensor
from .module import Module, Parameter


class BatchNorm2d(Module):
    """Batch normalisation over (N, H, W) for each channel of an (N, C, H, W) input.

    Parameters weight (C,) = 1 and bias (C,) = 0 (when ``affine``); buffers running_mean = 0,
    running_var = 1 and num_batches_tracked = 0, as PyTorch names and starts them (so state
    dicts carry over). ``momentum=None`` makes the running statistics a cumulative average.
    See `minidl.nn.functional.batch_norm` for the math.
    """

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
    ) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight = Parameter(np.ones(num_features, np.float32)) if affine else None
        self.bias = Parameter(np.zeros(num_features, np.float32)) if affine else None
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, np.float32)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, np.float32)))
            self.register_buffer("num_batches_tracked", Tensor(np.zeros((), np.int64)))
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None

    def forward(self, x: Tensor) -> Tensor:
        if len(x.shape) != 4:
            raise ValueError(f"BatchNorm2d: expected a 4-D input (N, C, H, W), got {x.shape}")
        if x.shape[1] != self.num_features:
            raise ValueError(
                f"BatchNorm2d: expected input with {self.num_features} channels, got {x.shape}"
            )
        # Batch statistics while training, or always when no running statistics are kept.
        use_batch = self.training or self.running_mean is None
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.running_mean is not None:
            self.num_batches_tracked.data += 1
            if self.momentum is None:  # cumulative moving average
                momentum = 1.0 / float(self.num_batches_tracked.data)
        return batch_norm(
            x,
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
