"""Convolution layers: Conv2d and ConvTranspose2d (PyTorch's arguments and initialisation)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..geometry import Pair, pair, transpose_output_size
from ..ops.conv import conv2d, conv2d_relu, conv_transpose2d
from ..ops.conv_args import groups_arg
from ..ops.pad import pad
from ..tensor import Tensor
from . import init
from .module import Module, Parameter

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _channels_and_groups(layer: str, in_channels: int, out_channels: int, groups: Any) -> int:
    """groups as an int, checked as PyTorch's ``_ConvNd`` does."""
    groups = groups_arg(layer, groups)
    for name, n in (("in_channels", in_channels), ("out_channels", out_channels)):
        if n % groups:
            raise ValueError(f"{layer}: {name}={n} must be divisible by groups={groups}")
    return groups


class _ConvBase(Module):
    """What Conv2d and ConvTranspose2d share: the weight, the bias, their start, the repr."""

    def _parameters_like_torch(
        self, shape: tuple[int, ...], bias: bool, device: Any, dtype: Any
    ) -> None:
        """weight and bias start as PyTorch's: kaiming_uniform(a=sqrt(5)), i.e.
        U(±1/sqrt(fan_in)), fan_in = weight.shape[1]*KH*KW (see `init.fans`)."""
        self.weight = Parameter(np.empty(shape, np.float32))
        self.bias = Parameter(np.empty(self.out_channels, np.float32)) if bias else None
        init.default_init_(self.weight, self.bias)
        if dtype is not None:
            self.to(dtype)
        if device is not None:
            self.to(device)

    def extra_repr(self) -> str:
        """PyTorch's repr: the arguments that differ from their defaults."""
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0, 0):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv2d(_ConvBase):
    """2-D convolution layer; see `minidl.nn.functional.conv2d` for shapes, math and kernels.

    weight (out_channels, in_channels/groups, KH, KW), bias (out_channels,). ``padding`` is
    an int, a pair, "same" (stride 1 only) or "valid". ``padding_mode`` "zeros" pads inside
    the convolution; "reflect", "replicate" and "circular" pad with `minidl.nn.functional.pad`
    first and convolve with padding 0, as PyTorch does.
    Reference: ``torch.nn.Conv2d``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | Pair,
        stride: int | Pair = 1,
        padding: int | Pair | str = 0,
        dilation: int | Pair = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        layer = "Conv2d"
        self.in_channels, self.out_channels = in_channels, out_channels
        self.groups = _channels_and_groups(layer, in_channels, out_channels, groups)
        self.kernel_size = pair(layer, "kernel_size", kernel_size, 1)
        self.stride = pair(layer, "stride", stride, 1)
        self.dilation = pair(layer, "dilation", dilation, 1)
        self.output_padding = (0, 0)
        if padding_mode not in PADDING_MODES:
            raise ValueError(
                f"{layer}: padding_mode must be one of {PADDING_MODES}, got {padding_mode!r}"
            )
        self.padding_mode = padding_mode
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(
                    f"{layer}: padding must be an int, a pair, 'same' or 'valid', got {padding!r}"
                )
            if padding == "same" and self.stride != (1, 1):
                raise ValueError(
                    f"{layer}: padding='same' needs stride 1, got stride {self.stride}"
                )
            self.padding: Pair | str = padding
        else:
            self.padding = pair(layer, "padding", padding, 0)
        shape = (out_channels, in_channels // self.groups, *self.kernel_size)
        self._parameters_like_torch(shape, bias, device, dtype)

    def _pad_widths(self) -> tuple[int, int, int, int]:
        """(left, right, top, bottom) for F.pad, PyTorch's ``_reversed_padding_repeated_twice``:
        'same' puts the odd extra row/column at the bottom/right."""
        if self.padding == "valid":
            return (0, 0, 0, 0)
        if self.padding == "same":
            (th, tw) = (d * (k - 1) for k, d in zip(self.kernel_size, self.dilation))
            return (tw // 2, tw - tw // 2, th // 2, th - th // 2)
        PH, PW = self.padding
        return (PW, PW, PH, PH)

    def forward(self, input: Tensor) -> Tensor:
        return self._run(conv2d, input)

    def forward_relu(self, input: Tensor) -> Tensor:
        """``relu(self(input))`` as one node (`F.conv2d_relu`); ``nn.Sequential`` calls it
        for a Conv2d followed by a ReLU. Runs no hooks of its own."""
        return self._run(conv2d_relu, input)

    def _run(self, op: Any, input: Tensor) -> Tensor:
        """``op`` (conv2d or conv2d_relu) with this layer's arguments; a padding_mode other
        than "zeros" pads first and convolves with padding 0."""
        padding: Any = self.padding
        if self.padding_mode != "zeros":
            input, padding = pad(input, self._pad_widths(), mode=self.padding_mode), 0
        return op(input, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


class ConvTranspose2d(_ConvBase):
    """2-D transpose convolution layer; see `minidl.nn.functional.conv_transpose2d`.

    weight (in_channels, out_channels/groups, KH, KW), bias (out_channels,); fan_in =
    out_channels/groups*KH*KW (PyTorch's fan convention for this layout). PyTorch's argument
    order (groups before bias and dilation); only padding_mode "zeros", as in PyTorch.
    ``forward(x, output_size=None)``: an explicit output size picks the output_padding.
    Reference: ``torch.nn.ConvTranspose2d``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | Pair,
        stride: int | Pair = 1,
        padding: int | Pair = 0,
        output_padding: int | Pair = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: int | Pair = 1,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        layer = "ConvTranspose2d"
        if padding_mode != "zeros":
            raise ValueError(
                f"{layer}: padding_mode must be 'zeros' (PyTorch's only one), got {padding_mode!r}"
            )
        self.padding_mode = padding_mode
        self.in_channels, self.out_channels = in_channels, out_channels
        self.groups = _channels_and_groups(layer, in_channels, out_channels, groups)
        self.kernel_size = pair(layer, "kernel_size", kernel_size, 1)
        self.stride = pair(layer, "stride", stride, 1)
        self.padding = pair(layer, "padding", padding, 0)
        self.output_padding = pair(layer, "output_padding", output_padding, 0)
        self.dilation = pair(layer, "dilation", dilation, 1)
        shape = (in_channels, out_channels // self.groups, *self.kernel_size)
        self._parameters_like_torch(shape, bias, device, dtype)

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        output_padding = self.output_padding
        if output_size is not None:
            output_padding = self._output_padding(input, output_size)
        return conv_transpose2d(
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            output_padding,
            self.groups,
            self.dilation,
        )

    def _output_padding(self, x: Tensor, output_size: Any) -> Pair:
        """The output_padding that gives ``output_size`` (PyTorch's ``_output_padding``)."""
        size = tuple(int(n) for n in output_size)[-2:]
        k, s, p, d = self.kernel_size, self.stride, self.padding, self.dilation
        smallest = transpose_output_size(x.shape[-2:], k, s, p, (0, 0), d)
        extra = tuple(n - m for n, m in zip(size, smallest))
        if len(size) != 2 or not all(0 <= e < s for e, s in zip(extra, self.stride)):
            largest = tuple(m + s - 1 for m, s in zip(smallest, self.stride))
            raise ValueError(
                f"ConvTranspose2d: output_size {tuple(output_size)} is not within "
                f"{smallest}..{largest} for input {tuple(x.shape)}"
            )
        return extra  # type: ignore[return-value]
