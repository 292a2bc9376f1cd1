"""U-Net (Ronneberger, Fischer & Brox, MICCAI 2015), as in the paper's Fig. 1.

Contracting path: ``depth`` times [3×3 conv + ReLU, 3×3 conv + ReLU, 2×2 max-pool], doubling
the channels (64 → 128 → 256 → 512, then 1024 at the bottom). Expanding path: ``depth`` times
[2×2 up-convolution halving the channels, concatenation with the centre-cropped feature map
of the same level of the contracting path, 3×3 conv + ReLU, 3×3 conv + ReLU]. A 1×1 conv maps
the ``base`` channels to ``num_classes`` scores.

With ``padding="valid"`` (the paper's) every 3×3 conv loses a one-pixel border, so the output
is smaller than the input (572 → 388) and only some input sizes work: each max-pool must see
an even size. ``padding="same"`` keeps the size (input divisible by 2^depth).
Where we differ from the paper: ``batchnorm=True`` adds BatchNorm after each conv (not in the
2015 paper; it makes small-data training less sensitive to the learning rate).
"""

from __future__ import annotations

import functools
import math

from .. import nn
from ..nn import init
from ..ops import cat
from ..tensor import Tensor

PADDINGS = ("valid", "same")


def _walk(n: int, depth: int, padding: str) -> list[tuple[str, int]] | None:
    """(stage, spatial size after it) along the network for input size ``n``; None if some
    stage would get an odd size before a pool or a size below 1."""
    shrink = 4 if padding == "valid" else 0  # two 3×3 convs without padding lose 2 px each
    stages, s = [("input", n)], n
    for level in range(depth):
        s -= shrink
        if s < 2 or s % 2:
            return None
        stages.append((f"down{level + 1}", s))
        s //= 2
        stages.append((f"pool{level + 1}", s))
    s -= shrink
    if s < 1:
        return None
    stages.append(("bottom", s))
    for level in reversed(range(depth)):
        s = 2 * s - shrink
        if s < 1:
            return None
        stages.append((f"up{level + 1}", s))
    return stages


def output_size(n: int, depth: int = 4, padding: str = "valid") -> int:
    """Output height (or width) of a U-Net for input size ``n``; ValueError if ``n`` does not
    fit (the message names the nearest sizes that do)."""
    stages = _walk(n, depth, padding)
    if stages is None:
        lower, upper = _nearest_valid(n, depth, padding)
        nearest = f"sizes are {lower} or {upper}" if lower is not None else f"size is {upper}"
        why = (
            "each 2x2 max-pool needs an even size and every size must stay >= 1"
            if padding == "valid"
            else f"it must be divisible by 2^depth = {2**depth}"
        )
        raise ValueError(
            f"UNet: input size {n} does not fit a depth-{depth} {padding}-padding U-Net ({why}); "
            f"the nearest valid {nearest} (UNet.valid_input_size(n) gives the next one "
            f"up)"
        )
    return stages[-1][1]


def _nearest_valid(n: int, depth: int, padding: str) -> tuple[int | None, int]:
    lower = next((m for m in range(n - 1, 0, -1) if _walk(m, depth, padding)), None)
    return lower, valid_input_size(n, depth, padding)


def valid_input_size(n: int, depth: int = 4, padding: str = "valid") -> int:
    """The smallest input size >= ``n`` that a U-Net of this depth and padding accepts.

    For depth 4, valid padding: 188, 204, 220, ... (sizes ≡ 12 mod 16, >= 188).
    """
    m = max(int(n), 1)
    while _walk(m, depth, padding) is None:
        m += 1
    return m


def _conv3x3(c_in: int, c_out: int, padding: str, batchnorm: bool) -> list[nn.Module]:
    conv = nn.Conv2d(c_in, c_out, 3, padding=1 if padding == "same" else 0, bias=not batchnorm)
    _he_normal(conv.weight, fan_in=c_in * 9)
    if batchnorm:  # BatchNorm keeps its input, so the ReLU may overwrite its output
        return [conv, nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]
    return [conv, nn.ReLU()]  # nn.Sequential runs the pair as one node, in place already


def _he_normal(weight: Tensor, fan_in: int) -> None:
    """The paper's init: N(0, 2/N), N = the number of inputs of one output value.

    Passed explicitly because for the 2×2 stride-2 up-conv each output value sees C_in
    inputs, while PyTorch's fan convention would count C_out·2·2.
    """
    init.normal_(weight, 0.0, math.sqrt(2.0 / fan_in))


def double_conv(c_in: int, c_out: int, padding: str = "valid", batchnorm: bool = False):
    """[3×3 conv (+ BatchNorm) + ReLU] twice: one level of either path."""
    return nn.Sequential(
        *_conv3x3(c_in, c_out, padding, batchnorm), *_conv3x3(c_out, c_out, padding, batchnorm)
    )


def center_crop(x: Tensor, size: tuple[int, int]) -> Tensor:
    """The central ``size`` = (H, W) window of an (N, C, H', W') tensor (differentiable)."""
    top, left = (x.shape[2] - size[0]) // 2, (x.shape[3] - size[1]) // 2
    if top == 0 and left == 0 and x.shape[2:] == tuple(size):
        return x
    return x[:, :, top : top + size[0], left : left + size[1]]


def shape_walk(
    n: int,
    base: int = 64,
    depth: int = 4,
    in_channels: int = 1,
    num_classes: int = 2,
    padding: str = "valid",
) -> list[tuple[str, int, int]]:
    """(stage, channels, size) along a U-Net for an n × n input, without building it: the
    numbers of the paper's Fig. 1 for n = 572 (e.g. ("bottom", 1024, 28))."""
    output_size(n, depth, padding)
    widths = [base * 2**level for level in range(depth + 1)]
    channels = (
        [in_channels]
        + [c for w in widths[:-1] for c in (w, w)]  # each level, then its pool
        + [widths[-1]]
        + widths[-2::-1]
    )
    walk = [(name, c, s) for (name, s), c in zip(_walk(n, depth, padding), channels)]
    return walk + [("output", num_classes, walk[-1][2])]


class UNet(nn.Module):
    """The U-Net of the paper: ``UNet()`` is Fig. 1 (1 input channel, 2 classes, 572 → 388).

    Shapes: input (N, in_channels, H, W) with H and W valid sizes (see `valid_input_size`);
    output (N, num_classes, output_size(H), output_size(W)) class scores (logits).

    Attributes: ``down`` (ModuleList of the contracting levels plus the bottom), ``up``
    (the up-convolutions), ``up_convs`` (the expanding levels), ``head`` (the 1×1 conv).
    """

    # ``UNet.valid_input_size(n)`` and ``UNet.output_size(n)`` answer for the default depth
    # and padding; an instance replaces them with versions bound to its own (see __init__).
    valid_input_size = staticmethod(valid_input_size)
    output_size = staticmethod(output_size)

    def __init__(
        self,
        in_channels: int = 1,
        num_classes: int = 2,
        base: int = 64,
        depth: int = 4,
        padding: str = "valid",
        batchnorm: bool = False,
    ) -> None:
        super().__init__()
        if padding not in PADDINGS:
            raise ValueError(f"UNet: padding must be one of {PADDINGS}, got {padding!r}")
        if depth < 1 or base < 1:
            raise ValueError(f"UNet: expected depth >= 1 and base >= 1, got {depth}, {base}")
        self.depth, self.padding, self.base = depth, padding, base
        self.in_channels, self.num_classes, self.batchnorm = in_channels, num_classes, batchnorm
        self.downsampling = 2**depth  # the pooling grid: tiles must start on multiples of it
        widths = [base * 2**level for level in range(depth + 1)]  # 64, 128, ..., 1024
        self.down = nn.ModuleList(
            double_conv(c_in, c_out, padding, batchnorm)
            for c_in, c_out in zip([in_channels, *widths], widths)
        )
        self.pool = nn.MaxPool2d(2)
        self.up = nn.ModuleList()
        self.up_convs = nn.ModuleList()
        for c in reversed(widths[1:]):  # 1024, 512, 256, 128
            up = nn.ConvTranspose2d(c, c // 2, 2, stride=2)
            _he_normal(up.weight, fan_in=c)
            init.zeros_(up.bias)
            self.up.append(up)
            self.up_convs.append(double_conv(c, c // 2, padding, batchnorm))
        self.head = nn.Conv2d(base, num_classes, 1)
        _he_normal(self.head.weight, fan_in=base)
        for m in self.modules():  # the paper says nothing of biases: start them at zero
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)) and m.bias is not None:
                init.zeros_(m.bias)
        # The size helpers of this instance use its own depth and padding.
        self.output_size = functools.partial(output_size, depth=depth, padding=padding)
        self.valid_input_size = functools.partial(valid_input_size, depth=depth, padding=padding)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"UNet: expected input (N, {self.in_channels}, H, W), got {x.shape}")
        for n in set(x.shape[2:]):
            self.output_size(n)  # raises, naming the nearest valid sizes
        skips = []
        for level, block in enumerate(self.down):
            x = block(x)
            if level < self.depth:
                skips.append(x)
                x = self.pool(x)
        for up, block, skip in zip(self.up, self.up_convs, reversed(skips)):
            x = up(x)
            x = block(cat([center_crop(skip, x.shape[2:]), x], dim=1))
        return self.head(x)

    def shape_walk(self, n: int) -> list[tuple[str, int, int]]:
        """`shape_walk` of this network: (stage, channels, size) for an n × n input."""
        return shape_walk(
            n, self.base, self.depth, self.in_channels, self.num_classes, self.padding
        )

    def extra_repr(self) -> str:
        return (
            f"in_channels={self.in_channels}, num_classes={self.num_classes}, base={self.base}, "
            f"depth={self.depth}, padding={self.padding!r}, batchnorm={self.batchnorm}"
        )
