"""How ``conv2d`` computes a layer: the table of its algorithms, in the order they are tried.

``print(md.kernels.algorithms.table())`` shows it. The first row whose condition holds runs; the
last always holds. ``F.conv2d(..., algorithm="im2col")`` or ``md.kernels.use(conv2d=...)``
forces one (it must be able to compute the layer). Each row names the op file that holds its
autograd Function and the kernel folder that holds its loops.

Why these rows: a 3x3 stride-1 layer is most of a U-Net. Winograd does 4/9 of im2col's
multiplications on operands 4x the input instead of 9x; with few channels and big images its
16 GEMMs get thin and its transforms leave the caches, so one fused kernel per block of tile
rows wins; an image with 1-2 channels gives a GEMM with K = 9, memory-bound, so a direct loop
wins; a depthwise layer is C_in tiny GEMMs, so a direct loop wins. Everything else, and every
layer on the GPU (only im2col has a gpu kernel), is one GEMM over im2col's columns.
(``minidl/kernels/README.md`` has the measurements behind the thresholds.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .. import profiler

DIRECT_MAX_CHANNELS = 2  # "direct" for inputs with at most this many channels
FUSED_MAX_CHANNELS = 64  # "winograd_fused" while C_in + C_out is at most this ...
FUSED_MIN_BYTES = 8 << 20  # ... and V and M together (16 (C_in + C_out) tiles) exceed this


@dataclass(frozen=True)
class Layer:
    """What the choice looks at: the layer's sizes and where its arrays live."""

    N: int
    C_in: int
    C_out: int
    H: int
    W: int
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]
    groups: int
    itemsize: int
    gpu: bool

    @property
    def winograd_shape(self) -> bool:
        """3x3, stride 1, dilation 1, one group: what F(2x2, 3x3) computes."""
        ones = (1, 1)
        return self.kernel == (3, 3) and self.stride == self.dilation == ones and self.groups == 1

    @property
    def winograd_bytes(self) -> int:
        """Bytes of V and M, the transformed tiles of the input and the output."""
        TH = (self.H + 2 * self.padding[0] - 1) // 2
        TW = (self.W + 2 * self.padding[1] - 1) // 2
        return 16 * (self.C_in + self.C_out) * self.N * TH * TW * self.itemsize


@dataclass(frozen=True)
class Algorithm:
    name: str
    when: str  # the condition, as a student reads it
    can: Callable[[Layer], bool]  # what it is able to compute (forcing it needs this)
    best: Callable[[Layer], bool]  # when the default choice takes it
    op_file: str
    kernels: str  # the folder and the functions its loops are


def _fused_can(layer: Layer) -> bool:
    return layer.winograd_shape and not layer.gpu and max(layer.padding) <= 2


CONV2D: tuple[Algorithm, ...] = (
    Algorithm(
        "direct",
        f"cpu, 3x3, stride 1, dilation 1, groups 1, C_in <= {DIRECT_MAX_CHANNELS}",
        lambda layer: layer.winograd_shape and not layer.gpu,
        lambda layer: layer.C_in <= DIRECT_MAX_CHANNELS,
        "minidl/ops/conv_direct.py",
        "minidl/kernels/direct/cpu.py: conv2d_direct, conv2d_direct_weight_grad "
        "(dx: im2col/cpu.py: col2im)",
    ),
    Algorithm(
        "winograd_fused",
        f"the same, C_in + C_out <= {FUSED_MAX_CHANNELS}, padding <= 2, "
        f"V and M >= {FUSED_MIN_BYTES >> 20} MiB",
        _fused_can,
        lambda layer: (
            layer.C_in + layer.C_out <= FUSED_MAX_CHANNELS
            and layer.winograd_bytes >= FUSED_MIN_BYTES
        ),
        "minidl/ops/conv_winograd.py",
        "minidl/kernels/winograd_fused/cpu.py: winograd_conv, winograd_weight_grad",
    ),
    Algorithm(
        "winograd",
        "the same, any channels and sizes",
        lambda layer: layer.winograd_shape and not layer.gpu,
        lambda layer: True,
        "minidl/ops/conv_winograd.py",
        "minidl/kernels/winograd/cpu.py: winograd_input, winograd_output, "
        "winograd_output_adjoint, winograd_input_adjoint (+ 16 GEMMs)",
    ),
    Algorithm(
        "depthwise",
        "cpu, groups == C_in > 1, any kernel, stride, padding, dilation",
        lambda layer: layer.groups == layer.C_in and not layer.gpu,
        lambda layer: layer.groups > 1,
        "minidl/ops/conv_depthwise.py",
        "minidl/kernels/depthwise/cpu.py: conv2d_depthwise, conv2d_depthwise_weight_grad, "
        "conv2d_depthwise_input_grad",
    ),
    Algorithm(
        "im2col",
        "every other layer, and every layer on the GPU",
        lambda layer: True,
        lambda layer: True,
        "minidl/ops/conv_gemm.py",
        "minidl/kernels/im2col/{cpu,gpu}.py: im2col, col2im (+ one GEMM per product)",
    ),
)

OPS: dict[str, tuple[Algorithm, ...]] = {"conv2d": CONV2D}


def check_name(op: str, name: object) -> str:
    """``name`` if it is one of ``op``'s algorithms, else a ValueError listing them."""
    names = [a.name for a in OPS[op]]
    if name not in names:
        raise ValueError(f"{op}: unknown algorithm {name!r}; expected one of {names}")
    return name  # type: ignore[return-value]


def choose(op: str, layer: Layer, forced: str | None = None) -> Algorithm:
    """The algorithm that computes ``layer``: ``forced`` if given (it must be able to), else
    the first row of the table that can and is best."""
    if forced is not None:
        check_name(op, forced)
        algorithm = next(a for a in OPS[op] if a.name == forced)
        if not algorithm.can(layer):
            raise ValueError(
                f"{op}: algorithm={forced!r} computes {algorithm.when}; it cannot compute "
                f"this layer (C_in {layer.C_in}, C_out {layer.C_out}, kernel {layer.kernel}, "
                f"stride {layer.stride}, padding {layer.padding}, dilation {layer.dilation}, "
                f"groups {layer.groups}, on {'gpu' if layer.gpu else 'cpu'})"
            )
    else:
        algorithm = next(a for a in OPS[op] if a.can(layer) and a.best(layer))
    if profiler.current is not None:  # the op's Function runs next: its range gets the note
        profiler.current.note(f"algorithm={algorithm.name}", upcoming=True)
    return algorithm


class Table:
    """The algorithm table of an op, printable."""

    def __init__(self, op: str = "conv2d") -> None:
        self.op, self.rows = op, OPS[op]

    def __repr__(self) -> str:
        lines = [f"{self.op}: the first row whose condition holds runs"]
        for i, a in enumerate(self.rows, 1):
            lines.append(f"{i}. {a.name:<15} {a.when}")
            lines.append(f"   {'':<15} op: {a.op_file}")
            lines.append(f"   {'':<15} loops: {a.kernels}")
        return "\n".join(lines)


def table(op: str = "conv2d") -> Table:
    """``print(md.kernels.algorithms.table())``: how ``op`` picks its algorithm."""
    if op not in OPS:
        raise ValueError(f"kernels.algorithms: no algorithm table for {op!r}; have {list(OPS)}")
    return Table(op)
