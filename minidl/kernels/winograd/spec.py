"""Lab spec of the Winograd family (``minidl/kernels/winograd/``): the transforms around the
16 GEMMs of F(2x2, 3x3). ``../winograd_fused/spec.py`` reuses its cases.

Each geometry is (x_shape, (PH, PW)) of a 3x3, stride-1 convolution; the output is
OH = H + 2PH - 2 by OW = W + 2PW - 2, covered by TH x TW tiles of 2 x 2 (the last one
cropped when OH or OW is odd). Shapes stay small: a few hundred tiles at most.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..spec import Args, Case, KernelSpec, gradcheck_conv3x3, noncontiguous
from .reference import tiles

GEOMETRIES = {
    "even output, no padding": ((2, 3, 6, 6), (0, 0)),
    "odd output (the last tile is cropped)": ((2, 2, 7, 7), (0, 0)),
    "odd, non-square": ((1, 3, 7, 10), (0, 0)),
    "padding 1 ('same')": ((2, 2, 5, 6), (1, 1)),
    "padding different per axis": ((1, 2, 6, 5), (2, 0)),
    "padding 2: whole tiles of zeros": ((1, 1, 4, 3), (2, 2)),
    "a single output pixel": ((1, 2, 3, 3), (0, 0)),
    "a single tile": ((1, 2, 4, 4), (0, 0)),
}
C_OUT = 3  # output channels of the cases (c_out=0: a kernel that does not see them)


def out_size(x_shape: tuple[int, ...], pad: tuple[int, int]) -> tuple[int, int]:
    return x_shape[2] + 2 * pad[0] - 2, x_shape[3] + 2 * pad[1] - 2


def _tiled(x_shape, pad, channels: int) -> tuple[int, ...]:
    """(4, 4, channels, N, TH, TW): the shape of V (channels = C) or M (channels = C_out)."""
    return (4, 4, channels, x_shape[0], *tiles(*out_size(x_shape, pad)))


def input_case(name, x_shape, pad, dtype=np.float64, strided=False, out=False, c_out=0):
    def make(rng: np.random.Generator) -> Args:
        x = rng.standard_normal(x_shape).astype(dtype)
        kwargs = {"out": np.empty(_tiled(x_shape, pad, x_shape[1]), dtype)} if out else {}
        return (noncontiguous(x) if strided else x, *pad), kwargs

    return Case(name, make)


def _output_case(
    name, x_shape, pad, dtype=np.float64, strided=False, bias=True, c_out=C_OUT, out=False
):
    def make(rng: np.random.Generator) -> Args:
        M = rng.standard_normal(_tiled(x_shape, pad, c_out)).astype(dtype)
        b = rng.standard_normal(c_out).astype(dtype) if bias else None
        y_shape = (x_shape[0], c_out, *out_size(x_shape, pad))
        kwargs = {"out": np.empty(y_shape, dtype)} if out else {}
        return (noncontiguous(M) if strided else M, *out_size(x_shape, pad), b), kwargs

    return Case(name, make)


def output_adjoint_case(
    name, x_shape, pad, dtype=np.float64, strided=False, out=False, c_out=C_OUT
):
    def make(rng: np.random.Generator) -> Args:
        dy = rng.standard_normal((x_shape[0], c_out, *out_size(x_shape, pad))).astype(dtype)
        kwargs = {"out": np.empty(_tiled(x_shape, pad, c_out), dtype)} if out else {}
        return (noncontiguous(dy) if strided else dy,), kwargs

    return Case(name, make)


def _input_adjoint_case(name, x_shape, pad, dtype=np.float64, strided=False, c_out=0, out=False):
    def make(rng: np.random.Generator) -> Args:
        dV = rng.standard_normal(_tiled(x_shape, pad, x_shape[1])).astype(dtype)
        kwargs = {"out": np.empty(x_shape, dtype)} if out else {}
        return (noncontiguous(dV) if strided else dV, x_shape, *pad), kwargs

    return Case(name, make)


def conv_case(name, x_shape, pad, dtype=np.float64, strided=False, c_out=C_OUT, bias=True):
    def make(rng: np.random.Generator) -> Args:
        x = rng.standard_normal(x_shape).astype(dtype)
        U = rng.standard_normal((4, 4, c_out, x_shape[1])).astype(dtype)
        b = rng.standard_normal(c_out).astype(dtype) if bias else None
        return (noncontiguous(x) if strided else x, U, *pad, b), {}

    return Case(name, make)


def weight_grad_case(name, x_shape, pad, dtype=np.float64, strided=False, c_out=C_OUT):
    def make(rng: np.random.Generator) -> Args:
        x = rng.standard_normal(x_shape).astype(dtype)
        dy = rng.standard_normal((x_shape[0], c_out, *out_size(x_shape, pad))).astype(dtype)
        return (noncontiguous(x) if strided else x, noncontiguous(dy) if strided else dy, *pad), {}

    return Case(name, make)


def cases(make_case, out: bool = False) -> tuple[Case, ...]:
    """The geometries, then a non-contiguous input, float32 and (for kernels that take one)
    an ``out=`` buffer."""
    cases = [make_case(name, *g) for name, g in GEOMETRIES.items()]
    cases.append(make_case("non-contiguous input", (2, 3, 7, 6), (1, 1), strided=True))
    cases.append(make_case("float32", (2, 3, 9, 8), (1, 0), dtype=np.float32))
    if out:
        cases.append(make_case("writes into out= when given", (2, 2, 6, 7), (1, 0), out=True))
    return tuple(cases)


def _gradcheck(md: Any, device: str) -> None:
    """conv2d with 3x3 kernels, stride 1, run by Winograd (forward winograd_input and
    winograd_output, backward all four transforms)."""
    gradcheck_conv3x3(md, device, C=(3, 4), C_out=(2, 3), algorithm="winograd")


BENCH = ((4, 64, 42, 42), (1, 1))  # a U-Net layer, float32
BENCH_NAME = "x (4, 64, 42, 42), 64 output channels, padding 1"


def _spec(kernel, outputs, exact, make_case, out=False, more=()) -> KernelSpec:
    return KernelSpec(
        kernel=kernel,
        outputs=outputs,
        exact=exact,
        cases=cases(make_case, out=out) + tuple(more),
        gradcheck=_gradcheck,
        ops="conv2d (3x3, stride 1, algorithm='winograd')",
        bench=make_case(BENCH_NAME, *BENCH, dtype=np.float32, c_out=64),
    )


# Sums of a few values: the order of the additions may differ from the reference's einsum.
SPECS = {
    "winograd_input": _spec("winograd_input", ("V",), (False,), input_case, out=True),
    "winograd_output": _spec(
        "winograd_output",
        ("y",),
        (False,),
        _output_case,
        out=True,
        more=[_output_case("no bias", (2, 2, 7, 6), (1, 1), bias=False)],
    ),
    "winograd_output_adjoint": _spec(
        "winograd_output_adjoint", ("dM",), (False,), output_adjoint_case, out=True
    ),
    "winograd_input_adjoint": _spec(
        "winograd_input_adjoint", ("dx",), (False,), _input_adjoint_case, out=True
    ),
}
