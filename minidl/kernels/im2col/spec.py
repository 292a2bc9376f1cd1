"""Lab spec of the im2col family (``minidl/kernels/im2col/``): ``im2col`` and ``col2im``.

Each geometry is (x_shape, (KH, KW, SH, SW, PH, PW, DH, DW)). Shapes stay small: the GPU
versions run them under the CUDA simulator too, one Python thread per GPU thread.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...geometry import conv_output_size as output_size
from ..spec import Args, Case, KernelSpec, noncontiguous

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


def _gradcheck(md: Any, device: str) -> None:
    """conv2d (forward: im2col; backward: im2col, col2im) and conv_transpose2d (forward:
    col2im; backward: im2col) against finite differences, on odd geometries, ungrouped and
    with 2 groups."""
    F = md.nn.functional

    rng = np.random.default_rng(0)

    def t(*shape: int) -> Any:
        return md.tensor(rng.standard_normal(shape), requires_grad=True, device=device)

    md.gradcheck(
        lambda x, w, b: F.conv2d(
            x, w, b, stride=(2, 1), padding=(1, 0), dilation=(1, 2), algorithm="im2col"
        ),
        [t(2, 2, 5, 6), t(3, 2, 3, 2), t(3)],
    )
    md.gradcheck(
        lambda x, w, b: F.conv_transpose2d(
            x, w, b, stride=(2, 3), padding=(1, 0), output_padding=(1, 0), dilation=(1, 2)
        ),
        [t(1, 3, 3, 4), t(3, 2, 3, 2), t(2)],
    )
    md.gradcheck(
        lambda x, w, b: F.conv2d(x, w, b, stride=(1, 2), padding=1, groups=2, algorithm="im2col"),
        [t(2, 4, 5, 6), t(6, 2, 3, 3), t(6)],
    )
    md.gradcheck(
        lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=(0, 1), groups=2),
        [t(1, 4, 3, 4), t(4, 3, 2, 3), t(6)],
    )


def _torch_unfold(torch: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """PyTorch's im2col is ``F.unfold``: the same copy, laid out (N, C*KH*KW, OH*OW)."""
    x, KH, KW, SH, SW, PH, PW, DH, DW = args
    tx = torch.from_numpy(x)
    return lambda: torch.nn.functional.unfold(tx, (KH, KW), (DH, DW), (PH, PW), (SH, SW))


def _torch_fold(torch: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """PyTorch's col2im is ``F.fold`` of (N, C*KH*KW, OH*OW) columns."""
    cols, x_shape, KH, KW, SH, SW, PH, PW, DH, DW = args
    C, _, _, N, OH, OW = cols.shape
    tc = torch.from_numpy(cols.transpose(3, 0, 1, 2, 4, 5).reshape(N, C * KH * KW, OH * OW).copy())
    size = tuple(x_shape[2:])
    return lambda: torch.nn.functional.fold(tc, size, (KH, KW), (DH, DW), (PH, PW), (SH, SW))


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
        torch=_torch_unfold,
    ),
    "col2im": KernelSpec(
        kernel="col2im",
        outputs=("x",),
        exact=(False,),  # overlapping windows add up: the order of the sums may differ
        cases=COL2IM_CASES,
        gradcheck=_gradcheck,
        ops="conv2d, conv_transpose2d",
        bench=_col2im_case("x (4, 64, 42, 42), 3x3, padding 1", *_BENCH_GEOMETRY, np.float32),
        torch=_torch_fold,
    ),
}
