"""1-D layers: Conv1d, ConvTranspose1d and the 1-D pools, with PyTorch's arguments, state
dict names and shapes. Each runs its 2-D twin on an (N, C, 1, L) image
(see `minidl.ops.one_d`)."""

from __future__ import annotations

from typing import Any

from ..ops import one_d
from ..ops.pad import pad
from ..tensor import Tensor
from .conv import Conv2d, ConvTranspose2d
from .module import Module, Parameter


def _one(value: Any) -> int:
    return value[0] if isinstance(value, (tuple, list)) else value


class Conv1d(Conv2d):
    """1-D convolution layer; weight (out_channels, in_channels/groups, K).

    Reference: ``torch.nn.Conv1d``."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int | str = 0,
        dilation: int = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        p = padding if isinstance(padding, str) else (0, _one(padding))
        super().__init__(
            in_channels,
            out_channels,
            (1, _one(kernel_size)),
            (1, _one(stride)),
            p,
            (1, _one(dilation)),
            groups,
            bias,
            padding_mode,
            device,
            dtype,
        )
        self.weight = Parameter(self.weight.data.squeeze(-2))  # (C_out, C_in/groups, K)

    def forward(self, input: Tensor) -> Tensor:
        if self.padding_mode == "zeros":
            padding = self.padding if isinstance(self.padding, str) else self.padding[1]
            return one_d.conv1d(
                input,
                self.weight,
                self.bias,
                self.stride[1],
                padding,
                self.dilation[1],
                self.groups,
            )
        padded = pad(input, self._pad_widths()[:2], mode=self.padding_mode)
        return one_d.conv1d(
            padded, self.weight, self.bias, self.stride[1], 0, self.dilation[1], self.groups
        )


class ConvTranspose1d(ConvTranspose2d):
    """1-D transpose convolution layer; weight (in_channels, out_channels/groups, K).

    Reference: ``torch.nn.ConvTranspose1d``."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        output_padding: int = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: int = 1,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            in_channels,
            out_channels,
            (1, _one(kernel_size)),
            (1, _one(stride)),
            (0, _one(padding)),
            (0, _one(output_padding)),
            groups,
            bias,
            (1, _one(dilation)),
            padding_mode,
            device,
            dtype,
        )
        self.weight = Parameter(self.weight.data.squeeze(-2))  # (C_in, C_out/groups, K)

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        output_padding = self.output_padding[1]
        if output_size is not None:
            image = input.unsqueeze(-2)
            output_padding = self._output_padding(image, (1, tuple(output_size)[-1]))[1]
        return one_d.conv_transpose1d(
            input,
            self.weight,
            self.bias,
            self.stride[1],
            self.padding[1],
            output_padding,
            self.groups,
            self.dilation[1],
        )


class MaxPool1d(Module):
    """Reference: ``torch.nn.MaxPool1d``."""

    def __init__(
        self,
        kernel_size: int,
        stride: int | None = None,
        padding: int = 0,
        dilation: int = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.dilation, self.return_indices, self.ceil_mode = dilation, return_indices, ceil_mode

    def forward(self, input: Tensor) -> Any:
        return one_d.max_pool1d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
            self.return_indices,
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(Module):
    """Reference: ``torch.nn.AvgPool1d``."""

    def __init__(
        self,
        kernel_size: int,
        stride: int | None = None,
        padding: int = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        return one_d.avg_pool1d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(Module):
    """Reference: ``torch.nn.MaxUnpool1d``."""

    def __init__(self, kernel_size: int, stride: int | None = None, padding: int = 0) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, input: Tensor, indices: Tensor, output_size: Any = None) -> Tensor:
        return one_d.max_unpool1d(
            input, indices, self.kernel_size, self.stride, self.padding, output_size
        )


class AdaptiveAvgPool1d(Module):
    """Reference: ``torch.nn.AdaptiveAvgPool1d``."""

    def __init__(self, output_size: int) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return one_d.adaptive_avg_pool1d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(Module):
    """Reference: ``torch.nn.AdaptiveMaxPool1d``."""

    def __init__(self, output_size: int, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input: Tensor) -> Any:
        return one_d.adaptive_max_pool1d(input, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
