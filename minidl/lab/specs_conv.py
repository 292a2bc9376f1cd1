"""Lab specs for the im2col family (``minidl/kernels/im2col/``): ``im2col`` and ``col2im``; the
direct stride-1 convolution of few-channel inputs, ``conv2d_direct`` and its
``conv2d_direct_weight_grad``; and the depthwise convolution (``minidl/kernels/depthwise/``),
``conv2d_depthwise`` and its two gradients.

Each geometry is (x_shape, (KH, KW, SH, SW, PH, PW, DH, DW)). Shapes stay small: the GPU
versions run them under the CUDA simulator too, one Python thread per GPU thread.
"""

from __future__ import annotations

import numpy as np

from ..kernels.im2col.reference import output_size
from .spec import Args, Case, KernelSpec, noncontiguous

GEOMETRIES = {
    "3x3, stride 1, no padding": ((2, 3, 8, 8), (3, 3, 1, 1, 0, 0, 1, 1)),
    "odd, non-square input and kernel": ((2, 3, 7, 10), (3, 2, 1, 1, 0, 0, 1, 1)),
    "padding, different per axis": ((1, 2, 5, 6), (3, 3, 1, 1, 1, 2, 1, 1)),
    "stride 2 with padding 1": ((2, 2, 9, 7), (3, 3, 2, 2, 1, 1, 1, 1)),
    "stride > kernel (pixels skipped)": ((1, 2, 11, 9), (2, 2, 3, 4, 0, 1, 1, 1)),
    "dilation 2 x 3": ((1, 2, 11, 12), (3, 2, 1, 2, 1, 0, 2, 3)),
    "1x1 kernel": ((2, 5, 4, 3), (1, 1, 1, 1, 0, 0, 1, 1)),
    "kernel as large as the padded input": ((1, 1, 3, 4), (5, 4, 1, 1, 1, 0, 1, 1)),
    "everything at once": ((3, 2, 9, 8), (2, 3, 3, 2, 1, 1, 2, 1)),
}


def _cols_shape(x_shape: tuple[int, ...], geometry: tuple[int, ...]) -> tuple[int, ...]:
    N, C, H, W = x_shape
    KH, KW, SH, SW, PH, PW, DH, DW = geometry
    return (C, KH, KW, N, output_size(H, KH, SH, PH, DH), output_size(W, KW, SW, PW, DW))


def _im2col_case(name, x_shape, geometry, dtype=np.float64, strided=False, out=False) -> Case:
    def make(rng: np.random.Generator) -> Args:
        x = rng.standard_normal(x_shape).astype(dtype)
        kwargs = {"out": np.empty(_cols_shape(x_shape, geometry), dtype)} if out else {}
        return (noncontiguous(x) if strided else x, *geometry), kwargs

    return Case(name, make)


def _col2im_case(name, x_shape, geometry, dtype=np.float64, strided=False, cols_shape=None):
    def make(rng: np.random.Generator) -> Args:
        cols = rng.standard_normal(cols_shape or _cols_shape(x_shape, geometry)).astype(dtype)
        return (noncontiguous(cols) if strided else cols, x_shape, *geometry), {}

    return Case(name, make)


IM2COL_CASES = (
    *(_im2col_case(name, *g) for name, g in GEOMETRIES.items()),
    _im2col_case("non-contiguous input", (2, 3, 7, 6), (3, 3, 2, 1, 1, 1, 1, 1), strided=True),
    _im2col_case("float32", (2, 3, 7, 6), (3, 3, 1, 1, 1, 1, 1, 1), dtype=np.float32),
    _im2col_case("writes into out= when given", (2, 2, 6, 7), (3, 3, 1, 2, 1, 0, 1, 1), out=True),
)

COL2IM_CASES = (
    *(_col2im_case(name, *g) for name, g in GEOMETRIES.items()),
    _col2im_case("non-contiguous cols", (2, 3, 7, 6), (3, 3, 2, 1, 1, 1, 1, 1), strided=True),
    _col2im_case("float32", (2, 3, 7, 6), (3, 3, 1, 1, 1, 1, 1, 1), dtype=np.float32),
    # conv_transpose2d with output_padding >= stride (allowed when < dilation): the output
    # (10 rows) is larger than the 3 rows of cols imply, and its last row gets nothing.
    _col2im_case(
        "cols smaller than x implies (output_padding >= stride)",
        (1, 2, 10, 10),
        (2, 2, 2, 2, 0, 0, 3, 3),
        cols_shape=(2, 2, 2, 1, 3, 3),
    ),
)


def _gradcheck(device: str) -> None:
    """conv2d (forward: im2col; backward: im2col, col2im) and conv_transpose2d (forward:
    col2im; backward: im2col) against finite differences, on odd geometries, ungrouped and
    with 2 groups."""
    import minidl as md
    import minidl.nn.functional as F

    rng = np.random.default_rng(0)

    def t(*shape: int) -> md.Tensor:
        return md.tensor(rng.standard_normal(shape), requires_grad=True, device=device)

    md.gradcheck(
        lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=(1, 0), dilation=(1, 2)),
        [t(2, 2, 5, 6), t(3, 2, 3, 2), t(3)],
    )
    md.gradcheck(
        lambda x, w, b: F.conv_transpose2d(
            x, w, b, stride=(2, 3), padding=(1, 0), output_padding=(1, 0), dilation=(1, 2)
        ),
        [t(1, 3, 3, 4), t(3, 2, 3, 2), t(2)],
    )
    md.gradcheck(
        lambda x, w, b: F.conv2d(x, w, b, stride=(1, 2), padding=1, groups=2),
        [t(2, 4, 5, 6), t(6, 2, 3, 3), t(6)],
    )
    md.gradcheck(
        lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=(0, 1), groups=2),
        [t(1, 4, 3, 4), t(4, 3, 2, 3), t(6)],
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


def gradcheck_conv3x3(device: str, C: tuple[int, int], C_out: tuple[int, int]) -> None:
    """Two gradchecks of 3x3 stride-1 conv2d: C[0] -> C_out[0] channels with bias and padding
    (1, 0), then C[1] -> C_out[1] with padding 2 (the direct and Winograd specs use it)."""
    import minidl as md
    import minidl.nn.functional as F

    rng = np.random.default_rng(0)

    def t(*shape: int) -> md.Tensor:
        return md.tensor(rng.standard_normal(shape), requires_grad=True, device=device)

    md.gradcheck(
        lambda x, w, b: F.conv2d(x, w, b, padding=(1, 0)),
        [t(2, C[0], 5, 6), t(C_out[0], C[0], 3, 3), t(C_out[0])],
    )
    md.gradcheck(
        lambda x, w: F.conv2d(x, w, padding=2), [t(1, C[1], 3, 4), t(C_out[1], C[1], 3, 3)]
    )


def _gradcheck_direct(device: str) -> None:
    """conv2d with 3x3 kernels, stride 1 and 1 or 2 input channels (the direct path)."""
    gradcheck_conv3x3(device, C=(1, 2), C_out=(3, 2))


def _bench_direct(rng: np.random.Generator) -> Args:  # the first layer of a U-Net
    x = rng.standard_normal((4, 1, 188, 188)).astype(np.float32)
    return (x, rng.standard_normal((16, 1, 3, 3)).astype(np.float32), 0, 0, None), {}


def _bench_direct_grad(rng: np.random.Generator) -> Args:
    x = rng.standard_normal((4, 1, 188, 188)).astype(np.float32)
    return (x, rng.standard_normal((4, 16, 186, 186)).astype(np.float32), 3, 3, 0, 0), {}


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


def _gradcheck_depthwise(device: str) -> None:
    """conv2d with groups == C_in (the depthwise path): multiplier 1 with bias, stride 2 and
    padding; then multiplier 2, dilated and non-square."""
    import minidl as md
    import minidl.nn.functional as F

    rng = np.random.default_rng(0)

    def t(*shape: int) -> md.Tensor:
        return md.tensor(rng.standard_normal(shape), requires_grad=True, device=device)

    md.gradcheck(
        lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1, groups=3),
        [t(2, 3, 7, 6), t(3, 1, 3, 3), t(3)],
    )
    md.gradcheck(
        lambda x, w: F.conv2d(x, w, padding=(1, 0), dilation=(1, 2), groups=2),
        [t(1, 2, 5, 7), t(4, 1, 2, 3)],
    )


_BENCH_DEPTHWISE = ((4, 32, 64, 64), 1, (3, 3, 1, 1, 1, 1, 1, 1))  # a MobileNet-like layer
_BENCH_GEOMETRY = ((4, 64, 42, 42), (3, 3, 1, 1, 1, 1, 1, 1))  # a U-Net layer, float32

SPECS = {
    "im2col": KernelSpec(
        kernel="im2col",
        outputs=("cols",),
        exact=(True,),  # pure copies
        cases=IM2COL_CASES,
        gradcheck=_gradcheck,
        ops="conv2d, conv_transpose2d",
        bench=_im2col_case("x (4, 64, 42, 42), 3x3, padding 1", *_BENCH_GEOMETRY, np.float32),
    ),
    "col2im": KernelSpec(
        kernel="col2im",
        outputs=("x",),
        exact=(False,),  # overlapping windows add up: the order of the sums may differ
        cases=COL2IM_CASES,
        gradcheck=_gradcheck,
        ops="conv2d, conv_transpose2d",
        bench=_col2im_case("x (4, 64, 42, 42), 3x3, padding 1", *_BENCH_GEOMETRY, np.float32),
    ),
    "conv2d_direct": KernelSpec(
        kernel="conv2d_direct",
        outputs=("y",),
        exact=(False,),  # sums of products, in another order than the reference's
        cases=DIRECT_CASES,
        gradcheck=_gradcheck_direct,
        ops="conv2d (3x3, stride 1, 1-2 input channels)",
        bench=Case("x (4, 1, 188, 188), 16 output channels, 3x3", _bench_direct),
    ),
    "conv2d_direct_weight_grad": KernelSpec(
        kernel="conv2d_direct_weight_grad",
        outputs=("dw", "db"),
        exact=(False, False),
        cases=DIRECT_GRAD_CASES,
        gradcheck=_gradcheck_direct,
        ops="conv2d (3x3, stride 1, 1-2 input channels)",
        bench=Case("x (4, 1, 188, 188), dy (4, 16, 186, 186)", _bench_direct_grad),
    ),
    "conv2d_depthwise": KernelSpec(
        kernel="conv2d_depthwise",
        outputs=("y",),
        exact=(False,),  # sums of products, in another order than the reference's
        cases=DEPTHWISE_CASES,
        gradcheck=_gradcheck_depthwise,
        ops="conv2d (groups == C_in)",
        bench=_depthwise_case("x (4, 32, 64, 64), 3x3, padding 1", *_BENCH_DEPTHWISE, np.float32),
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
    ),
}
