"""A small convolutional backbone: one feature map at stride 4 (no FPN).

The paper uses a ResNet with a feature pyramid; for 64–96 px scenes with objects of
6–26 px one level at stride 4 sees every object with a few feature cells and keeps the
whole model trainable on a laptop CPU in minutes.
"""

from __future__ import annotations

from ... import nn
from ...tensor import Tensor


def conv_block(c_in: int, c_out: int, stride: int = 1) -> nn.Sequential:
    """3×3 convolution (padding 1), batch norm, ReLU: (N, c_in, H, W) → (N, c_out, H/s, W/s)."""
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(),
    )


class Backbone(nn.Module):
    """Five conv blocks, two of them with stride 2.

    Shapes: images (N, in_channels, H, W) → features (N, widths[-1], ⌈H/4⌉, ⌈W/4⌉).
    Receptive field of a feature cell: 21 px (the RPN's 3×3 conv widens it to 29), about
    the size of the largest objects.
    """

    stride = 4

    def __init__(self, in_channels: int = 3, widths: tuple[int, int, int] = (16, 32, 64)) -> None:
        super().__init__()
        w1, w2, w3 = widths
        self.out_channels = w3
        self.body = nn.Sequential(
            conv_block(in_channels, w1),
            conv_block(w1, w2, stride=2),
            conv_block(w2, w2),
            conv_block(w2, w3, stride=2),
            conv_block(w3, w3),
        )

    def forward(self, images: Tensor) -> Tensor:
        return self.body(images)
