"""conv2d, the public function: its argument checks, then one of five algorithms.

Which one runs is a table (``minidl/kernels/algorithms.py``, printed by
``print(md.kernels.algorithms.table())``), and each algorithm is a file of its own, with its
autograd Function:

    conv_gemm.py       "im2col": im2col + one GEMM, any layer. Read this one first.
    conv_direct.py     "direct": few-channel inputs, 3x3, stride 1
    conv_winograd.py   "winograd" and "winograd_fused": 3x3, stride 1
    conv_depthwise.py  "depthwise": groups == C_in
    conv_transpose.py  conv_transpose2d (GEMMs around col2im)
    conv_relu.py       conv2d_relu: any of the five with the ReLU fused in (one node)

Reference: ``torch.nn.functional.conv2d``; Chellapilla et al. 2006 for im2col; Lavin & Gray
2016 for Winograd; Krizhevsky et al. 2012 for groups.
"""

from __future__ import annotations

from .. import backend, config, kernels
from ..geometry import Pair, pair, same_padding
from ..kernels import algorithms
from ..tensor import Tensor
from .conv_args import checked
from .conv_depthwise import Conv2dDepthwise
from .conv_direct import Conv2dDirect
from .conv_gemm import Conv2dIm2col
from .conv_relu import ConvReLU
from .conv_transpose import conv_transpose2d
from .conv_winograd import Conv2dWinograd, Conv2dWinogradFused
from .pad import pad as pad_op

__all__ = ["conv2d", "conv2d_relu", "conv_transpose2d"]

FUNCTIONS = {
    "direct": Conv2dDirect,
    "winograd": Conv2dWinograd,
    "winograd_fused": Conv2dWinogradFused,
}


def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | Pair = 1,
    padding: int | Pair | str = 0,
    dilation: int | Pair = 1,
    groups: int = 1,
    *,
    algorithm: str | None = None,
) -> Tensor:
    """2-D cross-correlation (what deep learning calls convolution), like ``torch.conv2d``.

    Shapes:
        input (N, C_in, H, W) or unbatched (C_in, H, W), weight (C_out, C_in/groups, KH, KW),
        bias (C_out,) -> (N, C_out, OH, OW) (or (C_out, OH, OW)),
        OH = floor((H + 2*PH - DH*(KH-1) - 1) / SH) + 1, and likewise OW.

    Math: with g = o // (C_out/groups) the group of output channel o and C_g = C_in/groups,
    y[n, o, i, j] = b[o] + sum_{c < C_g, kh, kw} w[o, c, kh, kw] *
    x_pad[n, g*C_g + c, i*SH + kh*DH, j*SW + kw*DW]. groups=C_in is a depthwise layer (each
    input channel convolved with its own C_out/C_in filters). Backward: dx is the transpose
    convolution of dy with w, dw the correlation of x with dy, db the sum of dy over
    (N, OH, OW).

    ``padding`` is an int, a pair, "valid" (0) or "same" (stride 1 only; output H x W, an odd
    total padding puts the extra row/column at the bottom/right, as PyTorch does).

    ``algorithm`` (not in PyTorch): None picks by the table below, first row that holds
    (``print(md.kernels.algorithms.table())``); a name forces that one, and so does
    ``md.kernels.use(conv2d=name)``.

    Algorithms and the files of their loops:
        "direct"          cpu, 3x3, stride 1, dilation 1, groups 1, C_in <= 2:
                          minidl/kernels/direct/cpu.py (conv2d_direct, conv2d_direct_weight_grad)
        "winograd_fused"  the same, few channels, big images:
                          minidl/kernels/winograd_fused/cpu.py (winograd_conv,
                          winograd_weight_grad)
        "winograd"        the same, any channels: minidl/kernels/winograd/cpu.py
                          (winograd_input, winograd_output and their adjoints) + 16 GEMMs
        "depthwise"       cpu, groups == C_in > 1: minidl/kernels/depthwise/cpu.py
                          (conv2d_depthwise and its two gradients)
        "im2col"          every other layer, and every layer on the GPU:
                          minidl/kernels/im2col/cpu.py or gpu.py (im2col, col2im) + GEMMs
    Reference: ``torch.nn.functional.conv2d``; Chellapilla et al. 2006 for im2col; Lavin &
    Gray 2016 for Winograd; Krizhevsky et al. 2012 for groups.
    """
    fn, x, args, was_batched = _algorithm(
        "conv2d", input, weight, bias, stride, padding, dilation, groups, algorithm
    )
    y = fn.apply(x, weight, bias, *args)
    return y if was_batched else y.reshape(*y.shape[1:])


def conv2d_relu(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | Pair = 1,
    padding: int | Pair | str = 0,
    dilation: int | Pair = 1,
    groups: int = 1,
    *,
    algorithm: str | None = None,
) -> Tensor:
    """``relu(conv2d(input, weight, bias, ...))`` as one autograd node (not in PyTorch): the
    same values and gradients, one array less to allocate and keep. Arguments as `conv2d`;
    how it works: ``minidl/ops/conv_relu.py``. ``nn.Sequential`` calls it for a Conv2d
    followed by a ReLU."""
    fn, x, args, was_batched = _algorithm(
        "conv2d_relu", input, weight, bias, stride, padding, dilation, groups, algorithm
    )
    y = ConvReLU.apply(x, weight, bias, fn, args)
    return y if was_batched else y.reshape(*y.shape[1:])


def _algorithm(
    op: str,
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None,
    stride: int | Pair,
    padding: int | Pair | str,
    dilation: int | Pair,
    groups: int,
    algorithm: str | None,
) -> tuple[type, Tensor, tuple, bool]:
    """The checked arguments, then the chosen algorithm: (its Function, the batched input,
    the arguments its Function takes after (x, w, b), whether the input was batched)."""
    x, was_batched, groups = checked(op, input, weight, bias, groups, transposed=False)
    stride, dilation = pair(op, "stride", stride, 1), pair(op, "dilation", dilation, 1)
    kernel = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0, 0)
        elif padding == "same":
            if stride != (1, 1):
                raise ValueError(f"{op}: padding='same' needs stride 1, got stride {stride}")
            padding, extra = same_padding(kernel, dilation)
            if extra != (0, 0):
                x = pad_op(x, (0, extra[1], 0, extra[0]))
        else:
            raise ValueError(
                f"{op}: padding must be an int, a pair, 'same' or 'valid', got {padding!r}"
            )
    padding = pair(op, "padding", padding, 0)
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    padded = tuple(n + 2 * p for n, p in zip(x.shape[2:], padding))
    if span[0] > padded[0] or span[1] > padded[1]:
        raise ValueError(
            f"{op}: kernel {kernel} with dilation {dilation} spans {span}, larger than the "
            f"padded input {padded} (input {tuple(x.shape)}, padding {padding})"
        )
    layer = algorithms.Layer(
        *x.shape[:2],
        weight.shape[0],
        *x.shape[2:],
        kernel,
        stride,
        padding,
        dilation,
        groups,
        x.dtype.itemsize,
        backend.is_cupy_array(x.data) or config.forced_impl() == "gpu",
    )
    forced = algorithm or kernels.registry.forced_algorithm("conv2d")
    chosen = algorithms.choose("conv2d", layer, forced).name
    if chosen in FUNCTIONS:
        return FUNCTIONS[chosen], x, (padding,), was_batched
    if chosen == "depthwise":
        return Conv2dDepthwise, x, (stride, padding, dilation), was_batched
    return Conv2dIm2col, x, (stride, padding, dilation, groups), was_batched
