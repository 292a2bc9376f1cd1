"""The RoI heads: RoIAlign cuts a fixed-size feature patch out of every region, then
a box head classifies it and refines its box, a mask head segments it, and a keypoint head
finds its vertices.

Every head sees the same backbone features through `roi_features` (RoIAlign with
``aligned=True``, so that a box edge at pixel coordinate x lands exactly at x / stride).
Reference: He et al. 2017, "Mask R-CNN", §3 and Fig. 4 (heads), §5 (keypoints).
"""

from __future__ import annotations

from typing import Any

from ... import nn
from ...nn import functional as F
from ...tensor import Tensor


def roi_features(features: Tensor, rois: Any, size: int, stride: int) -> Tensor:
    """RoIAlign of rows ``[image, x1, y1, x2, y2]`` (image pixels) to size × size patches.

    Shapes: features (N, C, h, w), rois (R, 5) → (R, C, size, size). Two samples per bin
    along each axis (the paper's choice; an adaptive grid would cost more on big boxes).
    """
    return F.roi_align(features, rois, size, 1.0 / stride, sampling_ratio=2, aligned=True)


class BoxHead(nn.Module):
    """Two fully connected layers, then class logits and per-class box deltas.

    Shapes: patches (R, C, m, m) → class_logits (R, num_classes), deltas (R, num_classes, 4).
    One set of deltas per class (the paper's "class-specific" regression): a proposal
    that is a circle and one that is a triangle need different corrections.
    """

    def __init__(self, in_channels: int, resolution: int, num_classes: int, hidden: int = 128):
        super().__init__()
        self.resolution = resolution
        self.fc1 = nn.Linear(in_channels * resolution * resolution, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.cls = nn.Linear(hidden, num_classes)
        self.box = nn.Linear(hidden, 4 * num_classes)
        # Small initial outputs, as torchvision's FastRCNNPredictor is trained from: a
        # uniform class guess and near-zero deltas (the proposals are already decent boxes).
        for layer, std in ((self.cls, 0.01), (self.box, 0.001)):
            nn.init.normal_(layer.weight, 0.0, std)
            nn.init.zeros_(layer.bias)

    def forward(self, patches: Tensor) -> tuple[Tensor, Tensor]:
        R = patches.shape[0]
        h = F.relu(self.fc1(patches.reshape(R, -1)))
        h = F.relu(self.fc2(h))
        return self.cls(h), self.box(h).reshape(R, -1, 4)


class ConvHead(nn.Module):
    """3×3 convs + ReLU on the RoI patches, a 2× transpose conv, a 1×1 conv to the maps.

    Shapes: patches (R, C, m, m) → (R, out_channels, 2m, 2m). The mask head (one map per
    class) and the keypoint head (one map per keypoint) share this shape, as in the paper's
    Fig. 4 (there 14 → 28; here 7 → 14). It stays fully convolutional, so the output keeps
    the spatial layout of the box — the reason the paper predicts masks with convs instead
    of fully connected layers. The convs run at m × m and only the last, cheap layers at
    2m × 2m: at stride 4 a 20 px object spans 5 feature cells, so sampling it more finely
    than 7 × 7 would only interpolate.
    """

    def __init__(self, in_channels: int, out_channels: int, hidden: int = 32, depth: int = 2):
        super().__init__()
        layers: list[nn.Module] = []
        for i in range(depth):
            layers += [nn.Conv2d(in_channels if i == 0 else hidden, hidden, 3, padding=1)]
            layers += [nn.ReLU()]
        layers += [nn.ConvTranspose2d(hidden, hidden, 2, stride=2), nn.ReLU()]
        self.body = nn.Sequential(*layers)
        self.predict = nn.Conv2d(hidden, out_channels, 1)

    def forward(self, patches: Tensor) -> Tensor:
        return self.predict(self.body(patches))
