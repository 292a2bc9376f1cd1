"""Fixed (not learned) resizing: ``interpolate`` in all of PyTorch's modes but antialiasing,
and bed of nails.

No kernel. Nearest modes are index arithmetic (each output copies one input position); the
linear, cubic and area modes are separable linear maps, one small matrix per spatial axis
(minidl/ops/separable.py, weights from interpolate_weights.py and adaptive_pool.py). Their
learned counterpart is `conv_transpose2d` (minidl/ops/conv.py); max-unpooling
(minidl/ops/pool.py) is the one that remembers where values came from.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np

from ..autograd import Function
from ..backend import array_module
from ..geometry import Pair, check_image, pair
from ..tensor import Tensor
from .adaptive_pool import area_weights
from .interpolate_weights import cubic_weights, linear_weights
from .separable import along_axis, separable

# mode -> the number of spatial dims it takes (None: any of 1, 2, 3)
MODES: dict[str, int | None] = {
    "nearest": None,
    "nearest-exact": None,
    "area": None,
    "linear": 1,
    "bilinear": 2,
    "bicubic": 2,
    "trilinear": 3,
}
_INTERPOLATING = ("linear", "bilinear", "bicubic", "trilinear")  # the ones with align_corners


def _nearest_sources(
    in_size: int, out_size: int, scale_factor: float | None, exact: bool = False
) -> np.ndarray:
    """For each output position, the input position it copies: PyTorch's rules, exactly.

    nearest: src = min(floor(dst * scale), in_size - 1); nearest-exact: the same at the
    pixel centres, floor((dst + 0.5) * scale). scale = 1/scale_factor when a factor was
    given, else in_size/out_size, computed in float32 as PyTorch does (so that rounding
    picks the same rows for factors like 1/3).
    """
    if scale_factor is not None and scale_factor > 0:
        scale = np.float32(1.0 / scale_factor)
    else:
        scale = np.float32(in_size) / np.float32(out_size)
    dst = np.arange(out_size, dtype=np.float32) + np.float32(0.5 if exact else 0)
    return np.minimum(np.floor(dst * scale).astype(np.int64), in_size - 1)


class NearestUpsample(Function):
    linear = (0,)

    @staticmethod
    def forward(ctx, x, sources):
        # sources: one host (NumPy) int64 array per spatial axis, the input position that
        # each output position copies.
        xp = array_module(x)
        ctx.plans = []
        for d, src in enumerate(sources):
            n, axis = x.shape[2 + d], 2 + d
            # With an integer factor s and out = s*n, input i is copied by s*i .. s*i+s-1,
            # and the backward along that axis is a reshape-sum.
            s = len(src) // n
            regular = s >= 1 and len(src) == s * n and np.array_equal(src, np.arange(len(src)) // s)
            ctx.plans.append((axis, n, s if regular else xp.asarray(src)))
            x = xp.take(x, xp.asarray(src), axis=axis)
        return x

    @staticmethod
    def backward(ctx, dout):
        xp = array_module(dout)
        # Each input position receives the sum of the gradients of the outputs that copied it.
        for axis, n, plan in reversed(ctx.plans):
            if isinstance(plan, int):
                shape = dout.shape
                dout = dout.reshape(*shape[:axis], n, plan, *shape[axis + 1 :]).sum(axis + 1)
            else:
                pick = (plan[:, None] == xp.arange(n)).astype(dout.dtype)  # (out, n) one-hot
                dout = along_axis(pick.T, dout, axis)
        return dout, None


class BedOfNails(Function):
    linear = (0,)

    @staticmethod
    def forward(ctx, x, scale):
        xp = array_module(x)
        N, C, H, W = x.shape
        out = xp.zeros((N, C, H * scale[0], W * scale[1]), dtype=x.dtype)
        out[:, :, :: scale[0], :: scale[1]] = x  # top-left of each block
        ctx.scale = scale
        return out

    @staticmethod
    def backward(ctx, dout):
        return dout[:, :, :: ctx.scale[0], :: ctx.scale[1]], None


# ---- argument checks -------------------------------------------------------------------------


def _per_dim(op: str, name: str, value: Any, k: int, kind: Any) -> tuple[Any, ...]:
    """One number, or a sequence of ``k`` (one per spatial dim), as a k-tuple."""
    many = isinstance(value, (tuple, list)) or (
        hasattr(value, "__len__") and not np.isscalar(value)
    )
    values = tuple(value) if many else (value,) * k
    try:
        values = tuple(kind(v) for v in values)
    except (TypeError, ValueError):
        values = ()
    if len(values) != k or not all(v > 0 for v in values):
        raise ValueError(
            f"{op}: {name} must be a positive number or a sequence of {k} (one per spatial "
            f"dim of input {'x'.join(['*'] * k)}), got {value!r}"
        )
    return values


def _check_mode(op: str, x: Any, mode: str, align_corners: Any, antialias: bool) -> int:
    """The number of spatial dims, after PyTorch's checks of mode and its options."""
    if len(x.shape) not in (3, 4, 5):
        raise ValueError(
            f"{op}: expected a 3-D, 4-D or 5-D input (N, C, *spatial), got shape {tuple(x.shape)}"
        )
    if x.dtype.kind != "f":
        raise ValueError(f"{op}: expected a floating-point input, got {x.dtype}")
    if mode not in MODES:
        raise ValueError(f"{op}: mode must be one of {sorted(MODES)}, got {mode!r}")
    k = len(x.shape) - 2
    if MODES[mode] is not None and MODES[mode] != k:
        raise NotImplementedError(
            f"{op}: mode={mode!r} needs a {MODES[mode] + 2}-D input, got a {k + 2}-D input "
            f"of shape {tuple(x.shape)}"
        )
    if align_corners is not None and mode not in _INTERPOLATING:
        raise ValueError(
            f"{op}: align_corners can only be set with the interpolating modes "
            f"{' | '.join(_INTERPOLATING)}, got align_corners={align_corners!r} with mode={mode!r}"
        )
    if antialias:
        raise NotImplementedError(f"{op}: antialias=True is not implemented (mode={mode!r})")
    return k


def _sizes(
    op: str, x: Any, k: int, size: Any, scale_factor: Any, recompute_scale_factor: Any
) -> tuple[tuple[int, ...], tuple[float | None, ...]]:
    """(output size, the scale factors the kernels use), by PyTorch's rules."""
    if (size is None) == (scale_factor is None):
        raise ValueError(
            f"{op}: give exactly one of size and scale_factor, got {size=}, {scale_factor=}"
        )
    spatial = tuple(x.shape[2:])
    if size is not None:
        if recompute_scale_factor:
            raise ValueError(
                f"{op}: recompute_scale_factor=True is not meaningful with an explicit size"
            )
        return _per_dim(op, "size", size, k, operator.index), (None,) * k
    factors = _per_dim(op, "scale_factor", scale_factor, k, float)
    out = tuple(math.floor(float(n) * f) for n, f in zip(spatial, factors))
    if min(out) <= 0:
        raise ValueError(
            f"{op}: output size {out} is not positive for input {tuple(x.shape)} and "
            f"scale_factor {scale_factor!r}"
        )
    # recompute_scale_factor=True: the kernels see in/out instead of the given factors
    return out, ((None,) * k if recompute_scale_factor else factors)


# ---- public functions ------------------------------------------------------------------------


def interpolate(
    input: Tensor,
    size: int | tuple[int, ...] | None = None,
    scale_factor: float | tuple[float, ...] | None = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resize the spatial dims of ``input`` (N, C, *spatial), 1 to 3 of them.

    Shapes: (N, C, d1, ..) -> (N, C, o1, ..) with (o1, ..) = ``size``, or
    o = floor(d * scale_factor) (give exactly one of the two).

    Math, one spatial dim at a time (all modes are separable): output position i samples
    the input at src(i):
    - ``nearest``: copies floor(i * scale) (scale = 1/scale_factor when given, else d/o, in
      float32); ``nearest-exact``: floor((i + 0.5) * scale), the pixel-centre rule;
    - ``linear`` / ``bilinear`` / ``trilinear`` (1/2/3 spatial dims) and ``bicubic`` (2):
      interpolate around src(i) = (i + 0.5) * scale - 0.5, or i * (d-1)/(o-1) with
      ``align_corners=True`` (see minidl/ops/interpolate_weights.py);
    - ``area``: adaptive average pooling to the output size.
    ``recompute_scale_factor=True`` makes scale = d/o even when a factor was given.
    Backward: the transposed map (nearest: each input gets the sum of its copies' gradients).

    Not implemented: ``antialias=True`` (NotImplementedError).

    Kernel: none; index arithmetic and matmuls in minidl/ops/upsample.py and separable.py.
    Reference: ``torch.nn.functional.interpolate``.
    """
    op = "interpolate"
    k = _check_mode(op, input, mode, align_corners, bool(antialias))
    out_size, scales = _sizes(op, input, k, size, scale_factor, recompute_scale_factor)
    spatial = tuple(input.shape[2:])
    if mode in ("nearest", "nearest-exact"):
        exact = mode == "nearest-exact"
        sources = [_nearest_sources(n, o, f, exact) for n, o, f in zip(spatial, out_size, scales)]
        return NearestUpsample.apply(input, sources)
    if mode == "area":
        return separable(input, [area_weights(n, o) for n, o in zip(spatial, out_size)])
    weights = cubic_weights if mode == "bicubic" else linear_weights
    corners = bool(align_corners)  # None means False
    matrices = [
        weights(n, o, f, corners, input.dtype) for n, o, f in zip(spatial, out_size, scales)
    ]
    return separable(input, matrices)


def bed_of_nails(x: Tensor, scale_factor: int | Pair = 2) -> Tensor:
    """Upsample by putting each value at the top-left of its s x s block, zeros elsewhere.

    Shapes: x (N, C, H, W) -> (N, C, H*sh, W*sw).

    Math: out[n, c, i*sh, j*sw] = x[n, c, i, j], 0 elsewhere. Backward: dx = dout[..., ::sh, ::sw].
    The zero-insertion step of a stride-s transpose convolution; compare max-unpooling, which
    puts each value where it came from instead of always at the top-left.

    Kernel: none; a strided assignment in minidl/ops/upsample.py.
    Reference: Noh et al., "Learning Deconvolution Network for Semantic Segmentation" (2015).
    """
    check_image("bed_of_nails", x)
    return BedOfNails.apply(x, pair("bed_of_nails", "scale_factor", scale_factor, 1))
