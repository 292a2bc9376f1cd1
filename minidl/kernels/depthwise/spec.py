"""Lab spec of the depthwise family (``minidl/kernels/depthwise/``): ``conv2d_depthwise`` and
its two gradients, for any geometry."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...geometry import conv_output_size as output_size
from ..spec import Args, Case, KernelSpec, as_torch, conv_flops, noncontiguous

# conv2d_depthwise: (x_shape, M, (KH, KW, SH, SW, PH, PW, DH, DW)), weight (C*M, 1, KH, KW)
DEPTHWISE_GEOMETRIES = {
    "3x3, stride 1, padding 1": ((2, 3, 8, 9), 1, (3, 3, 1, 1, 1, 1, 1, 1)),
    "channel multiplier 2, odd non-square": ((1, 2, 7, 10), 2, (3, 2, 1, 1, 0, 1, 1, 1)),
    "stride 2 with padding 1": ((2, 4, 9, 7), 1, (3, 3, 2, 2, 1, 1, 1, 1)),
    "stride > kernel (pixels skipped)": ((1, 2, 11, 9), 1, (2, 2, 3, 4, 0, 1, 1, 1)),
    "dilation 2 x 3": ((1, 3, 11, 12), 1, (3, 2, 1, 2, 1, 0, 2, 3)),
    "padding beyond the kernel's reach": ((1, 2, 4, 5), 3, (3, 3, 1, 1, 3, 2, 1, 1)),
    "1x1 kernel": ((2, 5, 4, 3), 1, (1, 1, 1, 1, 0, 0, 1, 1)),
    "kernel as large as the padded input": ((1, 1, 3, 4), 2, (5, 4, 1, 1, 1, 0, 1, 1)),
    "everything at once": ((3, 2, 9, 8), 3, (2, 3, 3, 2, 1, 1, 2, 1)),
}


def _depthwise_arrays(rng, x_shape, M, geometry, dtype):
    KH, KW, SH, SW, PH, PW, DH, DW = geometry
    N, C, H, W = x_shape
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal((C * M, 1, KH, KW)).astype(dtype)
    OH, OW = output_size(H, KH, SH, PH, DH), output_size(W, KW, SW, PW, DW)
    dy = rng.standard_normal((N, C * M, OH, OW)).astype(dtype)
    return x, w, dy


def _depthwise_case(name, x_shape, M, geometry, dtype=np.float64, strided=False, bias=True):
    def make(rng: np.random.Generator) -> Args:
        x, w, _ = _depthwise_arrays(rng, x_shape, M, geometry, dtype)
        b = rng.standard_normal(w.shape[0]).astype(dtype) if bias else None
        return (noncontiguous(x) if strided else x, w, *geometry[2:], b), {}

    return Case(name, make)


def _depthwise_weight_grad_case(name, x_shape, M, geometry, dtype=np.float64, strided=False):
    def make(rng: np.random.Generator) -> Args:
        x, _, dy = _depthwise_arrays(rng, x_shape, M, geometry, dtype)
        return (x, noncontiguous(dy) if strided else dy, *geometry), {}

    return Case(name, make)


def _depthwise_input_grad_case(name, x_shape, M, geometry, dtype=np.float64, strided=False):
    def make(rng: np.random.Generator) -> Args:
        _, w, dy = _depthwise_arrays(rng, x_shape, M, geometry, dtype)
        return (noncontiguous(dy) if strided else dy, w, x_shape, *geometry[2:]), {}

    return Case(name, make)


def _depthwise_cases(make_case):
    return (
        *(make_case(name, *g) for name, g in DEPTHWISE_GEOMETRIES.items()),
        make_case("non-contiguous", (2, 3, 7, 6), 2, (3, 3, 2, 1, 1, 1, 1, 1), strided=True),
        make_case("float32", (2, 3, 7, 6), 1, (3, 3, 1, 1, 1, 1, 1, 1), dtype=np.float32),
    )


DEPTHWISE_CASES = (
    *_depthwise_cases(_depthwise_case),
    _depthwise_case("no bias", (2, 2, 6, 6), 2, (3, 3, 1, 1, 1, 1, 1, 1), bias=False),
)
DEPTHWISE_WEIGHT_GRAD_CASES = _depthwise_cases(_depthwise_weight_grad_case)
DEPTHWISE_INPUT_GRAD_CASES = _depthwise_cases(_depthwise_input_grad_case)


def _gradcheck_depthwise(md: Any, device: str) -> None:
    """conv2d with groups == C_in (the depthwise path): multiplier 1 with bias, stride 2 and
    padding; then multiplier 2, dilated and non-square."""
    F = md.nn.functional

    rng = np.random.default_rng(0)

    def t(*shape: int) -> Any:
        return md.tensor(rng.standard_normal(shape), requires_grad=True, device=device)

    md.gradcheck(
        lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1, groups=3, algorithm="depthwise"),
        [t(2, 3, 7, 6), t(3, 1, 3, 3), t(3)],
    )
    md.gradcheck(
        lambda x, w: F.conv2d(
            x, w, padding=(1, 0), dilation=(1, 2), groups=2, algorithm="depthwise"
        ),
        [t(1, 2, 5, 7), t(4, 1, 2, 3)],
    )


def _flops(args: tuple[Any, ...], kwargs: dict[str, Any]) -> float:
    """Per output value KH*KW multiply-adds (one input channel each)."""
    x, w = args[:2]
    SH, SW, PH, PW, DH, DW = args[2:8]
    N, C, H, W = x.shape
    KH, KW = w.shape[2:]
    OH, OW = output_size(H, KH, SH, PH, DH), output_size(W, KW, SW, PW, DW)
    return conv_flops(N, w.shape[0], OH, OW, 1, KH, KW)


def _weight_grad_flops(args: tuple[Any, ...], kwargs: dict[str, Any]) -> float:
    x, dy, KH, KW = args[:4]
    return conv_flops(dy.shape[0], dy.shape[1], *dy.shape[2:], 1, KH, KW)


def _input_grad_flops(args: tuple[Any, ...], kwargs: dict[str, Any]) -> float:
    dy, w = args[:2]
    return conv_flops(dy.shape[0], dy.shape[1], *dy.shape[2:], 1, *w.shape[2:])


def _torch_conv(torch: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    x, w, SH, SW, PH, PW, DH, DW, b = args
    tx, tw, tb = as_torch(torch, x, w, b)
    conv, C = torch.nn.functional.conv2d, x.shape[1]
    return lambda: conv(tx, tw, tb, (SH, SW), (PH, PW), (DH, DW), C)


def _torch_weight_grad(torch: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    x, dy, KH, KW, SH, SW, PH, PW, DH, DW = args
    tx, tdy = as_torch(torch, x, dy)
    w_shape, C = (dy.shape[1], 1, KH, KW), x.shape[1]
    grad = torch.nn.grad.conv2d_weight
    return lambda: grad(tx, w_shape, tdy, (SH, SW), (PH, PW), (DH, DW), C)


def _torch_input_grad(torch: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    dy, w, x_shape, SH, SW, PH, PW, DH, DW = args
    tdy, tw = as_torch(torch, dy, w)
    grad, C = torch.nn.grad.conv2d_input, x_shape[1]
    return lambda: grad(x_shape, tw, tdy, (SH, SW), (PH, PW), (DH, DW), C)


_BENCH_DEPTHWISE = ((4, 32, 64, 64), 1, (3, 3, 1, 1, 1, 1, 1, 1))  # a MobileNet-like layer
_BENCH_GEOMETRY = ((4, 64, 42, 42), (3, 3, 1, 1, 1, 1, 1, 1))  # a U-Net layer, float32
SPECS = {
    "conv2d_depthwise": KernelSpec(
        kernel="conv2d_depthwise",
        outputs=("y",),
        exact=(False,),  # sums of products, in another order than the reference's
        cases=DEPTHWISE_CASES,
        gradcheck=_gradcheck_depthwise,
        ops="conv2d (groups == C_in)",
        bench=_depthwise_case("x (4, 32, 64, 64), 3x3, padding 1", *_BENCH_DEPTHWISE, np.float32),
        flops=_flops,
        torch=_torch_conv,
    ),
    "conv2d_depthwise_weight_grad": KernelSpec(
        kernel="conv2d_depthwise_weight_grad",
        outputs=("dw",),
        exact=(False,),
        cases=DEPTHWISE_WEIGHT_GRAD_CASES,
        gradcheck=_gradcheck_depthwise,
        ops="conv2d (groups == C_in)",
        bench=_depthwise_weight_grad_case(
            "x (4, 32, 64, 64), 3x3, padding 1", *_BENCH_DEPTHWISE, np.float32
        ),
        flops=_weight_grad_flops,
        torch=_torch_weight_grad,
    ),
    "conv2d_depthwise_input_grad": KernelSpec(
        kernel="conv2d_depthwise_input_grad",
        outputs=("dx",),
        exact=(False,),
        cases=DEPTHWISE_INPUT_GRAD_CASES,
        gradcheck=_gradcheck_depthwise,
        ops="conv2d (groups == C_in)",
        bench=_depthwise_input_grad_case(
            "x (4, 32, 64, 64), 3x3, padding 1", *_BENCH_DEPTHWISE, np.float32
        ),
        flops=_input_grad_flops,
        torch=_torch_input_grad,
    ),
}
