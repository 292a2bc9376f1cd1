"""Convolution layers: Conv2d and ConvTranspose2d (PyTorch's arguments and initialisation)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ops.conv import Pair, conv2d, conv_transpose2d, pair, transpose_output_size
from ..tensor import Tensor
from . import init
from .module import Module, Parameter


class Conv2d(Module):
    """2-D convolution layer; see `minidl.nn.functional.conv2d` for shapes and math.

    weight (out_channels, in_channels, KH, KW) and bias (out_channels,) start as PyTorch's:
    kaiming_uniform(a=sqrt(5)), i.e. U(±1/sqrt(fan_in)), fan_in = in_channels*KH*KW.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | Pair,
        stride: int | Pair = 1,
        padding: int | Pair | str = 0,
        dilation: int | Pair = 1,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = pair("Conv2d", "kernel_size", kernel_size, 1)
        self.stride, self.padding, self.dilation = stride, padding, dilation
        shape = (out_channels, in_channels, *self.kernel_size)
        self.weight = Parameter(np.empty(shape, np.float32))
        self.bias = Parameter(np.empty(out_channels, np.float32)) if bias else None
        init.default_init_(self.weight, self.bias)

    def forward(self, x: Tensor) -> Tensor:
        return conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation)

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding!r}, dilation={self.dilation}, "
            f"bias={self.bias is not None}"
        )


class ConvTranspose2d(Module):
    """2-D transpose convolution layer; see `minidl.nn.functional.conv_transpose2d`.

    weight is (in_channels, out_channels, KH, KW) and starts like PyTorch's, with
    fan_in = out_channels*KH*KW (PyTorch's fan convention for this layout).
    ``forward(x, output_size=None)``: an explicit output size picks the output_padding.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | Pair,
        stride: int | Pair = 1,
        padding: int | Pair = 0,
        output_padding: int | Pair = 0,
        *,
        bias: bool = True,
        dilation: int | Pair = 1,
    ) -> None:
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = pair("ConvTranspose2d", "kernel_size", kernel_size, 1)
        self.stride = pair("ConvTranspose2d", "stride", stride, 1)
        self.padding = pair("ConvTranspose2d", "padding", padding, 0)
        self.output_padding = pair("ConvTranspose2d", "output_padding", output_padding, 0)
        self.dilation = pair("ConvTranspose2d", "dilation", dilation, 1)
        shape = (in_channels, out_channels, *self.kernel_size)
        self.weight = Parameter(np.empty(shape, np.float32))
        self.bias = Parameter(np.empty(out_channels, np.float32)) if bias else None
        init.default_init_(self.weight, self.bias)

    def forward(self, x: Tensor, output_size: Any = None) -> Tensor:
        output_padding = self.output_padding
        if output_size is not None:
            output_padding = self._output_padding(x, output_size)
        return conv_transpose2d(
            x, self.weight, self.bias, self.stride, self.padding, output_padding, self.dilation
        )

    def _output_padding(self, x: Tensor, output_size: Any) -> Pair:
        """The output_padding that gives ``output_size`` (PyTorch's ``_output_padding``)."""
        size = tuple(int(n) for n in output_size)[-2:]
        k, s, p, d = self.kernel_size, self.stride, self.padding, self.dilation
        smallest = transpose_output_size(x.shape[2:], k, s, p, (0, 0), d)
        extra = tuple(n - m for n, m in zip(size, smallest))
        if len(size) != 2 or not all(0 <= e < s for e, s in zip(extra, self.stride)):
            largest = tuple(m + s - 1 for m, s in zip(smallest, self.stride))
            raise ValueError(
                f"ConvTranspose2d: output_size {tuple(output_size)} is not within "
                f"{smallest}..{largest} for input {tuple(x.shape)}"
            )
        return extra  # type: ignore[return-value]

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}, "
            f"output_padding={self.output_padding}, dilation={self.dilation}, "
            f"bias={self.bias is not None}"
        )
