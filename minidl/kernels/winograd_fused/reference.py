"""The whole Winograd F(2x2, 3x3) convolution in one call, forward and weight gradient: the
spec that ``cpu.py`` (one Numba kernel per call, for layers with few channels) must match.

Written as the composition it replaces: ``../winograd/reference.py``'s input transform, the
16 products M[a, b] = U[a, b] @ V[a, b], and its output transform.
"""

from __future__ import annotations

from typing import Any

from ...backend import array_module
from ..winograd.reference import winograd_input, winograd_output, winograd_output_adjoint

__all__ = ["winograd_conv", "winograd_weight_grad"]


def winograd_conv(x: Any, U: Any, PH: int, PW: int, bias: Any = None) -> Any:
    """y (N, C_out, OH, OW): the 3x3 stride-1 correlation of x (N, C, H, W), padded by PH,
    PW, with the filters whose transform is U (4, 4, C_out, C), + bias: the input transform,
    the 16 products M[a, b] = U[a, b] @ V[a, b] and the output transform in one call."""
    xp = array_module(x)
    N, C, H, W = x.shape
    C_out = U.shape[2]
    V = winograd_input(x, PH, PW)
    M = xp.matmul(U.reshape(16, C_out, C), V.reshape(16, C, -1))
    return winograd_output(
        M.reshape(4, 4, C_out, *V.shape[3:]), H + 2 * PH - 2, W + 2 * PW - 2, bias
    )


def winograd_weight_grad(x: Any, dy: Any, PH: int, PW: int) -> Any:
    """dU (4, 4, C_out, C) = dM[a, b] @ V[a, b]^T summed over all tiles, with
    V = winograd_input(x) and dM = winograd_output_adjoint(dy): the gradient of
    `winograd_conv` with respect to U (dw = filter_transform_adjoint(dU))."""
    xp = array_module(x)
    C = x.shape[1]
    dM = winograd_output_adjoint(dy)
    C_out = dM.shape[2]
    V = winograd_input(x, PH, PW)
    dU = xp.matmul(dM.reshape(16, C_out, -1), V.reshape(16, C, -1).transpose(0, 2, 1))
    return dU.reshape(4, 4, C_out, C)
