"""Lab spec of the fused Winograd family (``minidl/kernels/winograd_fused/``): the whole
F(2x2, 3x3) convolution, ``winograd_conv``, and its ``winograd_weight_grad``, on the cases of
``../winograd/spec.py``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..spec import KernelSpec, conv3x3_flops, gradcheck_conv3x3, weight_grad_3x3_flops
from ..winograd.spec import cases, conv_case, weight_grad_case

BENCH = ((4, 16, 128, 128), (1, 1))  # a U-Net layer that conv2d runs fused
BENCH_NAME = "x (4, 16, 128, 128), 16 output channels, padding 1"


def _gradcheck(md: Any, device: str) -> None:
    """conv2d with 3x3 kernels, stride 1, run by the fused kernels (forward winograd_conv,
    backward winograd_weight_grad for dw and winograd_conv again for dx)."""
    gradcheck_conv3x3(md, device, C=(3, 4), C_out=(2, 3), algorithm="winograd_fused")


def _conv_flops(args: tuple[Any, ...], kwargs: dict[str, Any]) -> float:
    x, U, PH, PW = args[:4]
    return conv3x3_flops(x, U.shape[2], PH, PW)


def _torch_conv(torch: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """PyTorch's conv2d of the same layer, with the 3x3 filters whose transform U is (any:
    it times the same arithmetic)."""
    x, U, PH, PW = args[:4]
    tx = torch.from_numpy(x)
    tw = torch.randn(U.shape[2], x.shape[1], 3, 3, dtype=tx.dtype)
    return lambda: torch.nn.functional.conv2d(tx, tw, padding=(PH, PW))


def _torch_weight_grad(torch: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """PyTorch's weight gradient of the same layer (minidl's dU is G dw G^T: the same work)."""
    x, dy, PH, PW = args[:4]
    tx, tdy = torch.from_numpy(x), torch.from_numpy(dy)
    w_shape = (dy.shape[1], x.shape[1], 3, 3)
    return lambda: torch.nn.grad.conv2d_weight(tx, w_shape, tdy, padding=(PH, PW))


def _spec(kernel, outputs, make_case, more, flops, torch=None) -> KernelSpec:
    return KernelSpec(
        kernel=kernel,
        outputs=outputs,
        exact=(False,) * len(outputs),  # sums in another order than the reference's GEMMs
        cases=cases(make_case) + tuple(more),
        gradcheck=_gradcheck,
        ops="conv2d (3x3, stride 1, algorithm='winograd_fused')",
        bench=make_case(BENCH_NAME, *BENCH, dtype=np.float32, c_out=16),
        flops=flops,
        torch=torch,
    )


SPECS = {
    "winograd_conv": _spec(
        "winograd_conv",
        ("y",),
        conv_case,
        more=[
            conv_case("no bias", (2, 2, 7, 6), (1, 1), bias=False),
            conv_case("more channels than a register block", (1, 9, 6, 7), (1, 0), c_out=7),
        ],
        flops=_conv_flops,
        torch=_torch_conv,
    ),
    "winograd_weight_grad": _spec(
        "winograd_weight_grad",
        ("dU",),
        weight_grad_case,
        more=[weight_grad_case("odd channel counts", (2, 5, 6, 7), (0, 1), c_out=7)],
        flops=weight_grad_3x3_flops,
        torch=_torch_weight_grad,
    ),
}
