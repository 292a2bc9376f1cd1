"""Lab spec of the direct family (``minidl/kernels/direct/``): the 3x3 stride-1 convolution of
few-channel inputs, ``conv2d_direct``, and its ``conv2d_direct_weight_grad``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..spec import (
    Args,
    Case,
    KernelSpec,
    as_torch,
    conv3x3_flops,
    gradcheck_conv3x3,
    noncontiguous,
    weight_grad_3x3_flops,
)

# conv2d_direct: (x_shape, C_out, (PH, PW)) of a 3x3, stride-1 convolution (the only kernel
# size conv2d sends it; the cpu kernel refuses others).
DIRECT_GEOMETRIES = {
    "1 channel, no padding": ((2, 1, 8, 9), 3, (0, 0)),
    "2 channels, padding 1": ((2, 2, 7, 6), 4, (1, 1)),
    "padding different per axis": ((1, 1, 5, 8), 2, (2, 0)),
    "padding 2 (beyond the kernel's reach)": ((1, 2, 4, 4), 3, (2, 2)),
    "3 channels": ((1, 3, 6, 7), 2, (1, 1)),
    "a single output pixel": ((1, 1, 3, 3), 2, (0, 0)),
    "one output channel": ((1, 2, 9, 5), 1, (0, 1)),
    "batch of 3, odd sizes": ((3, 1, 5, 7), 2, (1, 1)),
}


def _direct_case(name, x_shape, C_out, pad, dtype=np.float64, strided=False, bias=True):
    def make(rng: np.random.Generator) -> Args:
        x = rng.standard_normal(x_shape).astype(dtype)
        w = rng.standard_normal((C_out, x_shape[1], 3, 3)).astype(dtype)
        b = rng.standard_normal(C_out).astype(dtype) if bias else None
        return (noncontiguous(x) if strided else x, w, *pad, b), {}

    return Case(name, make)


def _direct_grad_case(name, x_shape, C_out, pad, dtype=np.float64, strided=False):
    def make(rng: np.random.Generator) -> Args:
        x = rng.standard_normal(x_shape).astype(dtype)
        OH, OW = x_shape[2] + 2 * pad[0] - 2, x_shape[3] + 2 * pad[1] - 2
        dy = rng.standard_normal((x_shape[0], C_out, OH, OW)).astype(dtype)
        return (x, noncontiguous(dy) if strided else dy, 3, 3, *pad), {}

    return Case(name, make)


def _extra(make_case):
    return (
        make_case("non-contiguous input", (2, 2, 7, 6), 3, (1, 1), strided=True),
        make_case("float32", (2, 1, 9, 8), 4, (1, 0), dtype=np.float32),
    )


DIRECT_CASES = (
    *(_direct_case(name, *g) for name, g in DIRECT_GEOMETRIES.items()),
    *_extra(_direct_case),
    _direct_case("no bias", (2, 1, 6, 6), 3, (1, 1), bias=False),
)
DIRECT_GRAD_CASES = (
    *(_direct_grad_case(name, *g) for name, g in DIRECT_GEOMETRIES.items()),
    *_extra(_direct_grad_case),
)


def _gradcheck_direct(md: Any, device: str) -> None:
    """conv2d with 3x3 kernels, stride 1 and 1 or 2 input channels (the direct path)."""
    gradcheck_conv3x3(md, device, C=(1, 2), C_out=(3, 2), algorithm="direct")


def _bench_direct(rng: np.random.Generator) -> Args:  # the first layer of a U-Net
    x = rng.standard_normal((4, 1, 188, 188)).astype(np.float32)
    return (x, rng.standard_normal((16, 1, 3, 3)).astype(np.float32), 0, 0, None), {}


def _bench_direct_grad(rng: np.random.Generator) -> Args:
    x = rng.standard_normal((4, 1, 188, 188)).astype(np.float32)
    return (x, rng.standard_normal((4, 16, 186, 186)).astype(np.float32), 3, 3, 0, 0), {}


def _flops(args: tuple[Any, ...], kwargs: dict[str, Any]) -> float:
    x, w, PH, PW = args[:4]
    return conv3x3_flops(x, w.shape[0], PH, PW)


def _torch_conv(torch: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    x, w, PH, PW, b = args
    tx, tw, tb = as_torch(torch, x, w, b)
    return lambda: torch.nn.functional.conv2d(tx, tw, tb, padding=(PH, PW))


def _torch_weight_grad(torch: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    x, dy, KH, KW, PH, PW = args
    (tx, tdy), w_shape = as_torch(torch, x, dy), (dy.shape[1], x.shape[1], KH, KW)
    return lambda: torch.nn.grad.conv2d_weight(tx, w_shape, tdy, padding=(PH, PW))


SPECS = {
    "conv2d_direct": KernelSpec(
        kernel="conv2d_direct",
        outputs=("y",),
        exact=(False,),  # sums of products, in another order than the reference's
        cases=DIRECT_CASES,
        gradcheck=_gradcheck_direct,
        ops="conv2d (3x3, stride 1, 1-2 input channels)",
        bench=Case("x (4, 1, 188, 188), 16 output channels, 3x3", _bench_direct),
        flops=_flops,
        torch=_torch_conv,
    ),
    "conv2d_direct_weight_grad": KernelSpec(
        kernel="conv2d_direct_weight_grad",
        outputs=("dw", "db"),
        exact=(False, False),
        cases=DIRECT_GRAD_CASES,
        gradcheck=_gradcheck_direct,
        ops="conv2d (3x3, stride 1, 1-2 input channels)",
        bench=Case("x (4, 1, 188, 188), dy (4, 16, 186, 186)", _bench_direct_grad),
        flops=weight_grad_3x3_flops,
        torch=_torch_weight_grad,
    ),
}
