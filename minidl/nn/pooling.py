"""Pooling, unpooling and fixed upsampling layers (no parameters)."""

from __future__ import annotations

from typing import Any

from ..ops.conv import Pair
from ..ops.pool import avg_pool2d, max_pool2d_with_indices, max_unpool2d
from ..ops.upsample import interpolate
from ..tensor import Tensor
from .module import Module


class MaxPool2d(Module):
    """Max-pooling; with ``return_indices=True`` it returns (out, indices) for MaxUnpool2d.

    See `minidl.nn.functional.max_pool2d_with_indices` for shapes and semantics.
    """

    def __init__(
        self,
        kernel_size: int | Pair,
        stride: int | Pair | None = None,
        padding: int | Pair = 0,
        *,
        return_indices: bool = False,
    ) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.return_indices = return_indices

    def forward(self, x: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        out, indices = max_pool2d_with_indices(x, self.kernel_size, self.stride, self.padding)
        return (out, indices) if self.return_indices else out

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"return_indices={self.return_indices}"
        )


class MaxUnpool2d(Module):
    """Inverse of MaxPool2d(return_indices=True): ``forward(x, indices, output_size=None)``."""

    def __init__(
        self, kernel_size: int | Pair, stride: int | Pair | None = None, padding: int | Pair = 0
    ) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, x: Tensor, indices: Tensor, output_size: Any = None) -> Tensor:
        return max_unpool2d(x, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """Average pooling; see `minidl.nn.functional.avg_pool2d`."""

    def __init__(
        self,
        kernel_size: int | Pair,
        stride: int | Pair | None = None,
        padding: int | Pair = 0,
        *,
        count_include_pad: bool = True,
    ) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.count_include_pad = count_include_pad

    def forward(self, x: Tensor) -> Tensor:
        return avg_pool2d(
            x,
            self.kernel_size,
            self.stride,
            self.padding,
            count_include_pad=self.count_include_pad,
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class Upsample(Module):
    """Nearest-neighbour upsampling; see `minidl.nn.functional.interpolate`."""

    def __init__(
        self,
        size: int | Pair | None = None,
        scale_factor: float | tuple[float, float] | None = None,
        mode: str = "nearest",
    ) -> None:
        super().__init__()
        self.size, self.scale_factor, self.mode = size, scale_factor, mode

    def forward(self, x: Tensor) -> Tensor:
        return interpolate(x, self.size, self.scale_factor, self.mode)

    def extra_repr(self) -> str:
        what = f"size={self.size}" if self.size is not None else f"scale_factor={self.scale_factor}"
        return f"{what}, mode={self.mode!r}"
