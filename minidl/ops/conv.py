"""Convolution and transpose convolution, with hand-written backwards.

conv2d computes a layer one of four ways (`_algorithm` is the rule; each Function below
names its kernel folder): a 3x3, stride-1 layer on the CPU runs directly (``Conv2dDirect``,
``kernels/direct/``, for 1-2 input channels) or by Winograd (``Conv2dWinograd``,
``kernels/winograd/``); a depthwise layer (groups == C_in) on the CPU runs directly
(``Conv2dDepthwise``, ``kernels/depthwise/``); everything else, and every layer on the GPU,
runs im2col + GEMM (``Conv2d``, ``kernels/im2col/``), as does conv_transpose2d. The GEMMs are
``xp.matmul`` (OpenBLAS on the CPU, cuBLAS on the GPU).

The three GEMMs of a conv layer, with ``cols`` = im2col(x) viewed as (C*KH*KW, N*OH*OW)::

    forward   y2d  (C_out, N*OH*OW)   = w2d (C_out, C*KH*KW) @ cols
    weights   dw2d (C_out, C*KH*KW)   = dy2d (C_out, N*OH*OW) @ cols.T
    input     dcols (C*KH*KW, N*OH*OW) = w2d.T @ dy2d,   dx = col2im(dcols)

The batch is folded into each GEMM, and the long dimension N*OH*OW is contiguous. With G
groups, group g's output channels read only its C/G input channels: the rows of ``cols``
and of every operand above split into G blocks (``cols`` is (C, KH, KW, ...), channel
first, so the split is a free view), and each product becomes one batched GEMM of G
matrices, (G, C_out/G, C/G*KH*KW) @ (G, C/G*KH*KW, N*OH*OW). A transpose convolution is the
same three products in another order: its forward is the input-gradient of a convolution,
and its backward is a convolution plus a weight correlation.

``cols`` is big (9x the input for a 3x3 kernel) and only needed inside one call, so it lives
in a reused work buffer (see `Workspace`) and the backward recomputes it instead of keeping
one per layer alive between forward and backward.
"""

from __future__ import annotations

import operator
import os
from typing import Any

import numpy as np

from .. import backend, kernels
from ..autograd import Function
from ..backend import array_module, device_of
from ..kernels.im2col.reference import output_size
from ..kernels.winograd.reference import filter_transform, filter_transform_adjoint, tiles
from ..tensor import Tensor
from .pad import pad as pad_op

Pair = tuple[int, int]
DIRECT_MAX_CHANNELS = 2  # conv2d computes inputs with at most this many channels directly
# When Conv2dWinograd runs fused (one Numba kernel per conv, kernels/winograd/fused.py)
# rather than as transforms around 16 OpenBLAS GEMMs: few channels (C_in + C_out at most
# FUSED_MAX_CHANNELS, where OpenBLAS's GEMMs are thin and the Numba products keep up) and
# V and M together over FUSED_MIN_BYTES (beyond the L2 caches, each unfused transform is a
# pass through L3 or memory). Measured with bench_conv: README, "fused Winograd".
FUSED_MAX_CHANNELS = 64
FUSED_MIN_BYTES = 8 << 20
_TRANSFORMS = (
    "winograd_input",
    "winograd_output",
    "winograd_output_adjoint",
    "winograd_input_adjoint",
)


class Workspace:
    """One flat scratch array per (slot, array module, dtype), grown to the largest request.

    PERFORMANCE-NOTES trap 2: glibc returns buffers over 32 MB to the OS on free, so a fresh
    151 MB ``cols`` cost 16 ms to touch against 5.6 ms reused (and over 200 ms after the VM
    reclaimed the pages). Every conv call borrows a view of this buffer instead. A view is
    only valid until the next conv call: nothing keeps one across calls (not thread-safe).
    A call that needs two buffers at once names them by ``slot`` ("cols", "V", "M").
    """

    def __init__(self) -> None:
        self._buffers: dict[tuple[str, str, np.dtype], Any] = {}

    def get(self, xp: Any, shape: tuple[int, ...], dtype: Any, slot: str = "cols") -> Any:
        size = 1
        for n in shape:
            size *= n
        # keyed by the dtype object, not dtype.name, which is rebuilt on every call
        key = (slot, xp.__name__, np.dtype(dtype))
        buf = self._buffers.get(key)
        if buf is None or buf.size < size:
            buf = self._buffers[key] = xp.empty(size, dtype=dtype)
        return buf[:size].reshape(shape)

    def clear(self) -> None:
        """Free the buffers (they come back, at their size, with the next conv call)."""
        self._buffers.clear()


workspace = Workspace()


def _im2col(x: Any, geometry: tuple[int, ...]) -> Any:
    """``cols`` (C, KH, KW, N, OH, OW) of ``x`` written into the workspace."""
    KH, KW, SH, SW, PH, PW, DH, DW = geometry
    N, C, H, W = x.shape
    shape = (C, KH, KW, N, output_size(H, KH, SH, PH, DH), output_size(W, KW, SW, PW, DW))
    out = workspace.get(array_module(x), shape, x.dtype)
    return kernels.get("im2col", x)(x, *geometry, out=out)


def _gemm_to_cols(a: Any, b: Any, shape: tuple[int, ...]) -> Any:
    """``a @ b`` (2-D, or a batch over groups) written into the workspace, viewed as ``cols``
    of ``shape``."""
    cols = workspace.get(array_module(a), shape, a.dtype)
    array_module(a).matmul(a, b, out=cols.reshape(*a.shape[:-1], b.shape[-1]))
    return cols


def _split(a: Any, groups: int) -> Any:
    """(G*M, K) -> (G, M, K): the rows of each group as one matrix of a batched GEMM, a free
    view. One group keeps the 2-D matrix: an ungrouped layer runs its one GEMM as before."""
    return a if groups == 1 else a.reshape(groups, a.shape[0] // groups, a.shape[1])


def _channels_first(x: Any) -> Any:
    """(N, C, H, W) -> (C, N*H*W): the GEMM operand layout. A copy, the size of x."""
    N, C, H, W = x.shape
    return x.transpose(1, 0, 2, 3).reshape(C, N * H * W)


def _batch_first(y2d: Any, N: int, H: int, W: int, bias: Any = None) -> Any:
    """(C, N*H*W) -> contiguous (N, C, H, W), adding ``bias`` (C,) in the same pass."""
    xp = array_module(y2d)
    C = y2d.shape[0]
    view = y2d.reshape(C, N, H, W).transpose(1, 0, 2, 3)
    out = view if N == 1 else xp.empty((N, C, H, W), dtype=y2d.dtype)  # N == 1: contiguous
    if bias is not None:
        xp.add(view, bias.reshape(1, C, 1, 1), out=out)
    elif out is not view:
        out[...] = view
    return out


class Conv2d(Function):
    """conv2d as im2col + one GEMM (batched over the groups); kernels/im2col/."""

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation, groups):
        C_out, _, KH, KW = w.shape
        C = x.shape[1]
        geometry = (KH, KW, *stride, *padding, *dilation)
        cols = _im2col(x, geometry)
        _, _, _, N, OH, OW = cols.shape
        cols2d = cols.reshape(C * KH * KW, -1)  # (C*KH*KW, N*OH*OW)
        y2d = array_module(x).matmul(_split(w.reshape(C_out, -1), groups), _split(cols2d, groups))
        y = _batch_first(y2d.reshape(C_out, -1), N, OH, OW, b)  # (C_out, N*OH*OW) -> NCHW
        ctx.save_for_backward(x, w)
        ctx.geometry, ctx.groups = geometry, groups
        return y

    @staticmethod
    def backward(ctx, dy):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        xp = array_module(dy)
        G = ctx.groups
        dy2d = _channels_first(dy)  # (C_out, N*OH*OW)
        dx = dw = db = None
        if need_b:
            db = dy.sum(axis=(0, 2, 3))
        if need_w:
            cols = _im2col(x, ctx.geometry)  # recomputed: cheaper than keeping it alive
            cols2d = cols.reshape(G * w[0].size, -1)  # (C*KH*KW, N*OH*OW)
            dw = xp.empty(w.shape, dtype=w.dtype)  # its own array: a leaf's .grad keeps it
            dw_view = _split(dw.reshape(len(dw), -1), G)
            xp.matmul(_split(dy2d, G), _split(cols2d, G).swapaxes(-1, -2), out=dw_view)
        if need_x:
            dx = _input_grad(dy2d, w, dy.shape, x.shape, ctx.geometry, G)
        return dx, dw, db, None, None, None, None


def _input_grad(
    dy2d: Any, w: Any, dy_shape: tuple, x_shape: tuple, geometry: tuple, groups: int = 1
) -> Any:
    """dx of a conv: dcols = w2d.T @ dy2d per group (dy2d (C_out, N*OH*OW)), then col2im."""
    C_out, _, KH, KW = w.shape
    N, _, OH, OW = dy_shape
    w_t = _split(w.reshape(C_out, -1), groups).swapaxes(-1, -2)  # (G, C/G*KH*KW, C_out/G)
    dcols = _gemm_to_cols(w_t, _split(dy2d, groups), (x_shape[1], KH, KW, N, OH, OW))
    return kernels.get("col2im", dcols)(dcols, x_shape, *geometry)


class Conv2dDepthwise(Function):
    """conv2d of a depthwise layer (groups == C_in, C_out = M*C_in), any geometry, computed
    directly: ``conv2d_depthwise`` and its two gradients in kernels/depthwise/. Its im2col
    GEMMs would be C_in products with K = KH*KW, too thin to pay for building ``cols``."""

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation):
        ctx.save_for_backward(x, w)
        ctx.geometry = (*stride, *padding, *dilation)
        return kernels.get("conv2d_depthwise", x)(x, w, *ctx.geometry, b)

    @staticmethod
    def backward(ctx, dy):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        dx = dw = db = None
        if need_b:
            db = dy.sum(axis=(0, 2, 3))
        if need_w:
            grad = kernels.get("conv2d_depthwise_weight_grad", dy)
            dw = grad(x, dy, *w.shape[2:], *ctx.geometry)
        if need_x:
            dx = kernels.get("conv2d_depthwise_input_grad", dy)(dy, w, x.shape, *ctx.geometry)
        return dx, dw, db, None, None, None


class Conv2dDirect(Function):
    """conv2d of an input with few channels, stride 1, dilation 1, computed directly.

    The forward and the weight gradient are loops over the kernel offsets on the input
    itself (``conv2d_direct``, ``conv2d_direct_weight_grad`` in kernels/direct/): for a
    1-channel image ``cols`` is small but its GEMM is thin (K = 9) and memory-bound. dw and
    db come from one pass over dy; dx, rarely needed (the image needs no gradient), takes
    the im2col route of `Conv2d`.
    """

    @staticmethod
    def forward(ctx, x, w, b, padding):
        ctx.save_for_backward(x, w)
        ctx.padding = padding
        return kernels.get("conv2d_direct", x)(x, w, *padding, b)

    @staticmethod
    def backward(ctx, dy):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        dx = dw = db = None
        if need_w or need_b:
            grad = kernels.get("conv2d_direct_weight_grad", dy)
            dw, db = grad(x, dy, *w.shape[2:], *ctx.padding)
        if need_x:
            geometry = (*w.shape[2:], 1, 1, *ctx.padding, 1, 1)
            dx = _input_grad(_channels_first(dy), w, dy.shape, x.shape, geometry)
        return dx, dw if need_w else None, db if need_b else None, None


def _winograd_input(x: Any, padding: Pair) -> Any:
    """V (4, 4, C, N, TH, TW) of ``x`` written into the workspace."""
    N, C, H, W = x.shape
    TH, TW = tiles(H + 2 * padding[0] - 2, W + 2 * padding[1] - 2)
    out = workspace.get(array_module(x), (4, 4, C, N, TH, TW), x.dtype, slot="V")
    return kernels.get("winograd_input", x)(x, *padding, out=out)


class Conv2dWinograd(Function):
    """conv2d of a 3x3 kernel, stride 1, dilation 1, by Winograd F(2x2, 3x3).

    With V = winograd_input(x) (4x4 input tiles, transformed), U = G w G^T, and k = (a, b)
    one of the 16 entries of a transformed tile (T tiles in the batch)::

        forward   M[k]  (C_out, T) = U[k] (C_out, C) @ V[k] (C, T),  y = winograd_output(M)
        weights   dU[k] (C_out, C) = dM[k] @ V[k].T,                 dw = G^T dU G
        input     dV[k] (C, T)     = U[k].T @ dM[k],                 dx = input adjoint of dV

    where dM = winograd_output_adjoint(dy): the backward runs the forward's transforms
    transposed. Like ``cols``, V lives in the workspace and is recomputed in the backward.
    """

    @staticmethod
    def forward(ctx, x, w, b, padding):
        xp = array_module(x)
        N, C, H, W = x.shape
        C_out = w.shape[0]
        ctx.save_for_backward(x, w)
        ctx.padding, ctx.fused = padding, _fused(x, C_out, padding)
        if ctx.fused:
            return kernels.get("winograd_conv", x)(x, filter_transform(w), *padding, b)
        U = filter_transform(w).reshape(16, C_out, C)
        V = _winograd_input(x, padding)
        M = workspace.get(xp, (4, 4, C_out, *V.shape[3:]), x.dtype, slot="M")
        xp.matmul(U, V.reshape(16, C, -1), out=M.reshape(16, C_out, -1))
        OH, OW = H + 2 * padding[0] - 2, W + 2 * padding[1] - 2
        y = kernels.get("winograd_output", M)(M, OH, OW, b)
        ctx.U = U  # U is small (16 C_out C): kept, not recomputed
        return y

    @staticmethod
    def backward(ctx, dy):
        if ctx.fused:
            return _fused_backward(ctx, dy)
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        xp = array_module(dy)
        C_out, C = w.shape[:2]
        dM = workspace.get(xp, (4, 4, C_out, dy.shape[0], *tiles(*dy.shape[2:])), dy.dtype, "M")
        dM = kernels.get("winograd_output_adjoint", dy)(dy, out=dM)
        dM3 = dM.reshape(16, C_out, -1)  # (16, C_out, T)
        dx = dw = db = None
        if need_b:
            db = dy.sum(axis=(0, 2, 3))
        if need_w:
            V = _winograd_input(x, ctx.padding)  # recomputed: cheaper than keeping it alive
            # Small outputs (C_out x C) with a long sum: OpenBLAS runs each on one thread. A
            # 2-thread Numba kernel measured 0.87-1.06x of it, not worth its code.
            dU = xp.matmul(dM3, V.reshape(16, C, -1).transpose(0, 2, 1))  # (16, C_out, C)
            dw = filter_transform_adjoint(dU.reshape(4, 4, C_out, C))
        if need_x:
            dV = workspace.get(xp, (4, 4, C, *dM.shape[3:]), dy.dtype, slot="V")
            xp.matmul(ctx.U.transpose(0, 2, 1), dM3, out=dV.reshape(16, C, -1))
            dx = kernels.get("winograd_input_adjoint", dV)(dV, x.shape, *ctx.padding)
        return dx, dw, db, None


def _fused(x: Any, C_out: int, padding: Pair) -> bool:
    """Whether Conv2dWinograd runs fused (see FUSED_MAX_CHANNELS), with padding <= 2 (the
    backward's dx is a correlation of dy padded by 2 - P) and no transform swapped in by
    ``kernels.use`` (a student's winograd_input must run where it is plugged in)."""
    N, C, H, W = x.shape
    if C + C_out > FUSED_MAX_CHANNELS or max(padding) > 2:
        return False
    TH, TW = tiles(H + 2 * padding[0] - 2, W + 2 * padding[1] - 2)
    if 16 * (C + C_out) * N * TH * TW * x.dtype.itemsize < FUSED_MIN_BYTES:
        return False
    return not any(kernels.overridden(name) for name in _TRANSFORMS)


def _fused_backward(ctx, dy):
    """Conv2dWinograd's backward when its forward ran fused (kernels/winograd/fused.py)::

    dx = correlation of dy, padded by 2 - P, with w flipped in space and C_out <-> C_in
    dw = G^T dU G,  dU = winograd_weight_grad(x, dy): sum over tiles of dM[k] @ V[k]^T
    """
    x, w = ctx.saved_tensors
    need_x, need_w, need_b = ctx.needs_input_grad[:3]
    PH, PW = ctx.padding
    dx = dw = db = None
    if need_b:
        db = dy.sum(axis=(0, 2, 3))
    if need_w:
        dU = kernels.get("winograd_weight_grad", dy)(x, dy, PH, PW)
        dw = filter_transform_adjoint(dU)
    if need_x:
        w_adjoint = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)  # (C_in, C_out, 3, 3)
        dx = kernels.get("winograd_conv", dy)(dy, filter_transform(w_adjoint), 2 - PH, 2 - PW)
    return dx, dw, db, None


class ConvTranspose2d(Function):
    """conv_transpose2d: GEMMs (batched over the groups) around col2im; kernels/im2col/."""

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, output_padding, dilation, groups):
        N, C_in, H, W = x.shape
        _, C_out_g, KH, KW = w.shape
        C_out = C_out_g * groups
        geometry = (KH, KW, *stride, *padding, *dilation)
        OH, OW = transpose_output_size((H, W), (KH, KW), stride, padding, output_padding, dilation)
        w_t = _split(w.reshape(C_in, -1), groups).swapaxes(-1, -2)  # (G, C_out/G*KH*KW, C_in/G)
        cols = _gemm_to_cols(w_t, _split(_channels_first(x), groups), (C_out, KH, KW, N, H, W))
        y = kernels.get("col2im", cols)(cols, (N, C_out, OH, OW), *geometry)
        if b is not None:
            y += b.reshape(1, C_out, 1, 1)
        ctx.save_for_backward(x, w)
        ctx.geometry, ctx.groups = geometry, groups
        return y

    @staticmethod
    def backward(ctx, dy):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        xp = array_module(dy)
        G = ctx.groups
        N, C_in, H, W = x.shape
        w2d = w.reshape(C_in, -1)  # (C_in, C_out/G*KH*KW)
        # With output_padding >= stride (allowed when < dilation) im2col(dy) has extra
        # trailing rows/columns that no input pixel produced: keep the first H x W.
        cols = _im2col(dy, ctx.geometry)[..., :H, :W]
        cols2d = cols.reshape(G * w2d.shape[1], N * H * W)  # a copy only in that rare case
        dx = dw = db = None
        if need_b:
            db = dy.sum(axis=(0, 2, 3))
        if need_w:
            dw = xp.empty(w.shape, dtype=w.dtype)  # its own array, not a view
            x2d = _split(_channels_first(x), G)  # (G, C_in/G, N*H*W)
            xp.matmul(x2d, _split(cols2d, G).swapaxes(-1, -2), out=_split(dw.reshape(C_in, -1), G))
        if need_x:
            dx2d = xp.matmul(_split(w2d, G), _split(cols2d, G)).reshape(C_in, -1)
            dx = _batch_first(dx2d, N, H, W)
        return dx, dw, db, None, None, None, None, None


# ---- argument checks -------------------------------------------------------------------------


def pair(op: str, name: str, value: Any, minimum: int) -> Pair:
    """An int or a pair of ints, each >= minimum, as a pair (PyTorch's ``_pair``).

    NumPy integers count as ints (anything with ``__index__``).
    """
    try:
        many = isinstance(value, (tuple, list))
        values = tuple(operator.index(v) for v in value) if many else (operator.index(value),) * 2
    except TypeError:
        values = ()
    if len(values) != 2 or min(values) < minimum:
        raise ValueError(
            f"{op}: {name} must be an int or a pair of ints >= {minimum}, got {value!r}"
        )
    return values  # type: ignore[return-value]


def check_image(op: str, x: Any, what: str = "input") -> None:
    if len(x.shape) != 4:
        raise ValueError(f"{op}: expected a 4-D {what} (N, C, H, W), got shape {tuple(x.shape)}")
    if x.dtype.kind != "f":
        raise ValueError(f"{op}: expected a floating-point {what}, got {x.dtype}")


def _check_weight(op: str, x: Any, w: Any, b: Any, groups: int, transposed: bool) -> None:
    """The weight and bias of a conv with ``groups`` fit the input (PyTorch's conditions)."""
    layout = "(C_in, C_out/groups, KH, KW)" if transposed else "(C_out, C_in/groups, KH, KW)"
    if len(w.shape) != 4:
        raise ValueError(f"{op}: expected a 4-D weight {layout}, got shape {tuple(w.shape)}")
    of_groups = f", groups={groups}" if groups > 1 else ""
    C_in = w.shape[0] if transposed else w.shape[1] * groups
    if x.shape[1] != C_in:
        raise ValueError(
            f"{op}: expected input with {C_in} channels (weight is {tuple(w.shape)}"
            f"{of_groups}), got {tuple(x.shape)}"
        )
    split = w.shape[0]  # C_in of a transpose conv, C_out of a conv: what groups must divide
    if split % groups:
        raise ValueError(
            f"{op}: groups={groups} must divide the weight's dim 0 ({split} "
            f"{'input' if transposed else 'output'} channels), weight is {tuple(w.shape)}"
        )
    C_out = w.shape[1] * groups if transposed else w.shape[0]
    if b is not None and tuple(b.shape) != (C_out,):
        raise ValueError(
            f"{op}: expected bias of shape ({C_out},) for weight {tuple(w.shape)}{of_groups}, "
            f"got {tuple(b.shape)}"
        )
    for name, t in (("weight", w), ("bias", b)):
        if t is not None and t.dtype != x.dtype:
            raise ValueError(f"{op}: {name} is {t.dtype} but input is {x.dtype}; cast one")
        if t is not None and device_of(_data(t)) != device_of(_data(x)):
            raise ValueError(
                f"{op}: {name} is on {device_of(_data(t))} but input is on {device_of(_data(x))}"
            )


def _groups(op: str, groups: Any) -> int:
    try:
        value = operator.index(groups)
    except TypeError:
        value = 0
    if value < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    return value


def _batched(op: str, x: Any) -> tuple[Any, bool]:
    """(N, C, H, W) as it is, or an unbatched (C, H, W) as (1, C, H, W), like PyTorch."""
    if len(x.shape) == 3:
        return x.reshape(1, *x.shape), False
    if len(x.shape) != 4:
        raise ValueError(
            f"{op}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape {tuple(x.shape)}"
        )
    return x, True


def _data(t: Any) -> Any:
    return t.data if isinstance(t, Tensor) else t


def _same_padding(kernel: Pair, dilation: Pair) -> tuple[Pair, Pair]:
    """'same' for stride 1: total D*(K-1) per axis; PyTorch puts the odd extra at the end."""
    total = [d * (k - 1) for k, d in zip(kernel, dilation)]
    before = (total[0] // 2, total[1] // 2)
    extra = (total[0] - 2 * before[0], total[1] - 2 * before[1])
    return before, extra


def transpose_output_size(size, kernel, stride, padding, output_padding, dilation) -> Pair:
    """(H-1)*S - 2P + D*(K-1) + output_padding + 1 per axis (PyTorch's ConvTranspose2d)."""
    return tuple(  # type: ignore[return-value]
        (n - 1) * s - 2 * p + d * (k - 1) + op + 1
        for n, k, s, p, op, d in zip(size, kernel, stride, padding, output_padding, dilation)
    )


def _algorithm(x: Any, kernel: tuple, stride: Pair, dilation: Pair, groups: int = 1) -> str:
    """How conv2d computes: "direct", "winograd", "depthwise" or "im2col" (README: the
    measurements).

    On the cpu: 3x3 kernels, stride 1, dilation 1, groups 1: "direct" for at most 2 input
    channels (an image: ``cols`` is small but its GEMM thin and memory-bound), else
    "winograd". A depthwise layer (groups == C_in > 1), any geometry: "depthwise".
    Everything else runs im2col + GEMM (grouped layers as one batched GEMM), and so does any
    call inside a ``kernels.use(im2col=...)`` or ``kernels.use(col2im=...)`` block: naming
    those kernels asks for the im2col algorithm (so a student's im2col runs where it is
    plugged in, and ``use(im2col="cpu")`` times the shipped im2col path).
    """
    data = _data(x)
    on_gpu = backend.is_cupy_array(data) or os.environ.get("MINIDL_KERNELS", "").strip() == "gpu"
    asked = kernels.overridden("im2col") or kernels.overridden("col2im")
    if asked or on_gpu:
        return "im2col"
    if groups > 1:
        return "depthwise" if data.shape[1] == groups else "im2col"
    if stride != (1, 1) or dilation != (1, 1) or kernel != (3, 3):
        return "im2col"
    return "direct" if data.shape[1] <= DIRECT_MAX_CHANNELS else "winograd"


# ---- public functions ------------------------------------------------------------------------


def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | Pair = 1,
    padding: int | Pair | str = 0,
    dilation: int | Pair = 1,
    groups: int = 1,
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

    Kernels (the rule: `_algorithm`), on the CPU:
        3x3, stride 1, dilation 1, groups 1, C_in <= 2: minidl/kernels/direct/;
        the same with C_in >= 3: minidl/kernels/winograd/ (cpu.py transforms around 16
        GEMMs, or fused.py for few channels on big images, see `_fused`);
        depthwise (groups == C_in > 1), any geometry: minidl/kernels/depthwise/;
        every other layer, and every layer on the GPU: minidl/kernels/im2col/ (im2col,
        col2im) + one GEMM per product, batched over the groups (see module doc).
    Reference: ``torch.nn.functional.conv2d``; Chellapilla et al. 2006 for im2col; Lavin &
    Gray 2016 for Winograd; Krizhevsky et al. 2012 for groups.
    """
    op = "conv2d"
    x, batched = _batched(op, input)
    check_image(op, x)
    groups = _groups(op, groups)
    _check_weight(op, x, weight, bias, groups, transposed=False)
    stride, dilation = pair(op, "stride", stride, 1), pair(op, "dilation", dilation, 1)
    kernel = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0, 0)
        elif padding == "same":
            if stride != (1, 1):
                raise ValueError(f"{op}: padding='same' needs stride 1, got stride {stride}")
            padding, extra = _same_padding(kernel, dilation)
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
    algorithm = _algorithm(x, kernel, stride, dilation, groups)
    if algorithm == "direct":
        y = Conv2dDirect.apply(x, weight, bias, padding)
    elif algorithm == "winograd":
        y = Conv2dWinograd.apply(x, weight, bias, padding)
    elif algorithm == "depthwise":
        y = Conv2dDepthwise.apply(x, weight, bias, stride, padding, dilation)
    else:
        y = Conv2d.apply(x, weight, bias, stride, padding, dilation, groups)
    return y if batched else y.reshape(*y.shape[1:])


def conv_transpose2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | Pair = 1,
    padding: int | Pair = 0,
    output_padding: int | Pair = 0,
    groups: int = 1,
    dilation: int | Pair = 1,
) -> Tensor:
    """Transpose convolution (the adjoint of `conv2d` in x), like ``torch.conv_transpose2d``.

    Note PyTorch's argument order: ``groups`` comes before ``dilation``.

    Shapes:
        input (N, C_in, H, W) or unbatched (C_in, H, W), weight (C_in, C_out/groups, KH, KW),
        bias (C_out,) -> (N, C_out, OH, OW) (or (C_out, OH, OW)),
        OH = (H-1)*SH - 2*PH + DH*(KH-1) + output_padding_H + 1, and likewise OW.

    Math: each input pixel x[n, c, i, j] adds x[n, c, i, j] * w[c, :, kh, kw] at output
    position (i*SH - PH + kh*DH, j*SW - PW + kw*DW) of the C_out/groups output channels of
    its group: zero insertion between the input pixels, then a convolution with the flipped
    kernel. ``output_padding`` (< stride or < dilation) picks among the output sizes that a
    stride-S convolution maps back to H.

    Kernel: minidl/kernels/im2col/ (col2im forward, im2col backward) + GEMMs batched over
    the groups.
    Reference: ``torch.nn.functional.conv_transpose2d``; Dumoulin & Visin, "A guide to
    convolution arithmetic for deep learning" (2016).
    """
    op = "conv_transpose2d"
    x, batched = _batched(op, input)
    check_image(op, x)
    groups = _groups(op, groups)
    _check_weight(op, x, weight, bias, groups, transposed=True)
    stride, dilation = pair(op, "stride", stride, 1), pair(op, "dilation", dilation, 1)
    padding = pair(op, "padding", padding, 0)
    output_padding = pair(op, "output_padding", output_padding, 0)
    for op_, s, d in zip(output_padding, stride, dilation):
        if op_ >= s and op_ >= d:
            raise ValueError(
                f"{op}: output_padding {output_padding} must be smaller than the stride "
                f"{stride} or the dilation {dilation} along each axis"
            )
    kernel = tuple(weight.shape[2:])
    out = transpose_output_size(x.shape[2:], kernel, stride, padding, output_padding, dilation)
    if min(out) <= 0:
        raise ValueError(
            f"{op}: output size {out} is not positive for input {tuple(x.shape)}, kernel "
            f"{kernel}, stride {stride}, padding {padding}, dilation {dilation}"
        )
    y = ConvTranspose2d.apply(x, weight, bias, stride, padding, output_padding, dilation, groups)
    return y if batched else y.reshape(*y.shape[1:])
