"""1-D convolution and pooling: the 2-D ops on a height-1 image.

An (N, C, L) signal is an (N, C, 1, L) image; a length-K kernel is a 1 x K one. So every
1-D op here reshapes, calls its 2-D op (and through it the same kernels), and reshapes back;
the gradients follow through the reshapes.
"""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .adaptive_pool import adaptive_avg_pool2d, adaptive_max_pool2d
from .conv import conv2d, conv_transpose2d
from .pool import avg_pool2d, max_pool2d, max_unpool2d


def _one(op: str, name: str, value: Any) -> int:
    """An int or a 1-tuple, as PyTorch's 1-D ops accept."""
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise ValueError(f"{op}: {name} must be an int or a 1-tuple, got {value!r}")
        value = value[0]
    return value


def _as_image(op: str, input: Tensor) -> tuple[Tensor, bool]:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(input).__name__}")
    if input.ndim not in (2, 3):
        raise ValueError(f"{op}: expected input (N, C, L) or (C, L), got shape {input.shape}")
    return input.unsqueeze(-2), input.ndim == 2


def _back(y: Any) -> Any:
    if isinstance(y, tuple):
        return tuple(t.squeeze(-2) for t in y)
    return y.squeeze(-2)


def conv1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int = 1,
    padding: int | str = 0,
    dilation: int = 1,
    groups: int = 1,
) -> Tensor:
    """1-D cross-correlation.  Shapes: input (N, C_in, L), weight (C_out, C_in/groups, K)
    → (N, C_out, L_out), L_out = ⌊(L + 2·padding − dilation·(K − 1) − 1) / stride⌋ + 1.

    Kernel: that of `minidl.nn.functional.conv2d` on (N, C_in, 1, L).
    Reference: ``torch.nn.functional.conv1d``."""
    x, _ = _as_image("conv1d", input)
    if weight.ndim != 3:
        raise ValueError(f"conv1d: expected weight (C_out, C_in/groups, K), got {weight.shape}")
    p = padding if isinstance(padding, str) else (0, _one("conv1d", "padding", padding))
    y = conv2d(
        x,
        weight.unsqueeze(-2),
        bias,
        (1, _one("conv1d", "stride", stride)),
        p,
        (1, _one("conv1d", "dilation", dilation)),
        groups,
    )
    return _back(y)


def conv_transpose1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    groups: int = 1,
    dilation: int = 1,
) -> Tensor:
    """1-D transpose convolution; weight (C_in, C_out/groups, K).

    Kernel: that of `minidl.nn.functional.conv_transpose2d` on (N, C_in, 1, L).
    Reference: ``torch.nn.functional.conv_transpose1d``."""
    x, _ = _as_image("conv_transpose1d", input)
    if weight.ndim != 3:
        raise ValueError(
            f"conv_transpose1d: expected weight (C_in, C_out/groups, K), got {weight.shape}"
        )
    op = "conv_transpose1d"
    y = conv_transpose2d(
        x,
        weight.unsqueeze(-2),
        bias,
        (1, _one(op, "stride", stride)),
        (0, _one(op, "padding", padding)),
        (0, _one(op, "output_padding", output_padding)),
        groups,
        (1, _one(op, "dilation", dilation)),
    )
    return _back(y)


def max_pool1d(
    input: Tensor,
    kernel_size: int,
    stride: int | None = None,
    padding: int = 0,
    dilation: int = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """1-D max-pooling; indices are positions along L.  ``torch.nn.functional.max_pool1d``."""
    op = "max_pool1d"
    x, _ = _as_image(op, input)
    k = _one(op, "kernel_size", kernel_size)
    s = k if stride is None or stride == () else _one(op, "stride", stride)
    y = max_pool2d(
        x,
        (1, k),
        (1, s),
        (0, _one(op, "padding", padding)),
        (1, _one(op, "dilation", dilation)),
        ceil_mode,
        return_indices,
    )
    return _back(y)


def avg_pool1d(
    input: Tensor,
    kernel_size: int,
    stride: int | None = None,
    padding: int = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """1-D average pooling.  Reference: ``torch.nn.functional.avg_pool1d``."""
    op = "avg_pool1d"
    x, _ = _as_image(op, input)
    k = _one(op, "kernel_size", kernel_size)
    s = k if stride is None or stride == () else _one(op, "stride", stride)
    y = avg_pool2d(
        x, (1, k), (1, s), (0, _one(op, "padding", padding)), ceil_mode, count_include_pad
    )
    return _back(y)


def max_unpool1d(
    input: Tensor,
    indices: Tensor,
    kernel_size: int,
    stride: int | None = None,
    padding: int = 0,
    output_size: Any = None,
) -> Tensor:
    """Put each value back at its position along L, zeros elsewhere.

    Reference: ``torch.nn.functional.max_unpool1d``."""
    op = "max_unpool1d"
    x, _ = _as_image(op, input)
    k = _one(op, "kernel_size", kernel_size)
    s = k if stride is None else _one(op, "stride", stride)
    size = None if output_size is None else (1, tuple(output_size)[-1])
    y = max_unpool2d(
        x, indices.unsqueeze(-2), (1, k), (1, s), (0, _one(op, "padding", padding)), size
    )
    return _back(y)


def adaptive_avg_pool1d(input: Tensor, output_size: int) -> Tensor:
    """Average over L split into ``output_size`` near-equal windows.

    Reference: ``torch.nn.functional.adaptive_avg_pool1d``."""
    x, _ = _as_image("adaptive_avg_pool1d", input)
    return _back(
        adaptive_avg_pool2d(x, (1, _one("adaptive_avg_pool1d", "output_size", output_size)))
    )


def adaptive_max_pool1d(input: Tensor, output_size: int, return_indices: bool = False) -> Any:
    """Max over L split into ``output_size`` windows.  ``F.adaptive_max_pool1d``."""
    x, _ = _as_image("adaptive_max_pool1d", input)
    size = (1, _one("adaptive_max_pool1d", "output_size", output_size))
    return _back(adaptive_max_pool2d(x, size, return_indices))
