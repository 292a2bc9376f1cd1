"""The region proposal network: anchors, objectness, box deltas, proposals, and its losses.

At every cell of the feature map sit A anchors (boxes of a few sizes, centred on the cell).
A small conv head says for each anchor whether it covers an object (one logit) and how to
move it onto that object (four deltas). The best-scored moved anchors, after non-maximum
suppression, are the proposals that the RoI heads look at.
Reference: Ren et al. 2015, "Faster R-CNN", §3.1; torchvision's ``RegionProposalNetwork``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ... import backend, boxes, nn
from ...autograd import no_grad
from ...nn import functional as F
from ...tensor import Tensor
from .losses import smooth_l1_loss
from .matching import match_boxes, sample_matches


class RPNHead(nn.Module):
    """3×3 conv + ReLU, then two 1×1 convs: objectness (A) and deltas (4A) per cell.

    Shapes: features (N, C, h, w) → objectness (N, h·w·A), deltas (N, h·w·A, 4), in the
    anchor order of `minidl.boxes.make_anchors` (row, column, anchor).
    """

    def __init__(self, in_channels: int, num_anchors: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, in_channels, 3, padding=1)
        self.objectness = nn.Conv2d(in_channels, num_anchors, 1)
        self.deltas = nn.Conv2d(in_channels, 4 * num_anchors, 1)

    def forward(self, features: Tensor) -> tuple[Tensor, Tensor]:
        t = F.relu(self.conv(features))
        N = features.shape[0]
        logits = self.objectness(t).permute(0, 2, 3, 1).reshape(N, -1)  # (N, h·w·A)
        deltas = self.deltas(t).permute(0, 2, 3, 1).reshape(N, -1, 4)  # (N, h·w·A, 4)
        return logits, deltas


def rpn_losses(
    logits: Tensor,
    deltas: Tensor,
    anchors: Any,
    gt_boxes: Sequence[Any],
    rng: np.random.Generator,
    fg_iou: float = 0.7,
    bg_iou: float = 0.3,
    per_image: int = 128,
    positive_fraction: float = 0.5,
) -> dict[str, Tensor]:
    """Objectness BCE on sampled anchors and smooth-L1 on the positives' deltas.

    Shapes: logits (N, M), deltas (N, M, 4), anchors (M, 4), gt_boxes N arrays (G_n, 4).
    Both losses are divided by the number of sampled anchors (as torchvision), so that the
    box loss weighs each positive the same whatever the mix of the batch.
    """
    xp = backend.array_module(logits.data)
    M = anchors.shape[0]
    picked, labels, pos_flat, targets = [], [], [], []
    for n, gt in enumerate(gt_boxes):
        matched = match_boxes(boxes.box_iou(anchors, gt), fg_iou, bg_iou, allow_low_quality=True)
        pos, neg = sample_matches(matched, per_image, positive_fraction, rng)
        picked += [n * M + pos, n * M + neg]
        labels += [np.ones(len(pos)), np.zeros(len(neg))]
        pos_flat.append(n * M + pos)
        owner = xp.asarray(backend.to_numpy(matched)[pos])  # host indices → x's device
        targets.append(boxes.encode_boxes(anchors[xp.asarray(pos)], gt[owner]))
    index = xp.asarray(np.concatenate(picked))
    target = xp.asarray(np.concatenate(labels), dtype=logits.dtype)
    objectness = F.binary_cross_entropy_with_logits(logits.reshape(-1)[index], target)
    pos_index = xp.asarray(np.concatenate(pos_flat))
    box_targets = xp.concatenate(targets).astype(deltas.dtype)
    box = smooth_l1_loss(deltas.reshape(-1, 4)[pos_index], box_targets, beta=1 / 9)
    return {"rpn_objectness": objectness, "rpn_box": box / max(len(index), 1)}


def propose(
    logits: Any,
    deltas: Any,
    anchors: Any,
    image_hw: tuple[int, int],
    pre_nms: int,
    post_nms: int,
    nms_threshold: float = 0.7,
    min_size: float = 1.0,
) -> list[tuple[Any, Any]]:
    """Per image: (proposals (P, 4), objectness logits (P,)), best first, P <= post_nms.

    Shapes: logits (N, M) and deltas (N, M, 4) as arrays (no gradient flows into the
    proposals, as in the paper's approximate joint training), anchors (M, 4).
    Steps: the ``pre_nms`` best anchors → decode their deltas → clip to the image → drop
    boxes thinner than ``min_size`` → NMS at ``nms_threshold`` → the ``post_nms`` best.
    """
    xp = backend.array_module(logits)
    out = []
    for n in range(logits.shape[0]):
        top = xp.argsort(-logits[n], kind="stable")[:pre_nms]
        found = boxes.clip_boxes(boxes.decode_boxes(deltas[n, top], anchors[top]), image_hw)
        scores = logits[n, top]
        keep = boxes.remove_small_boxes(found, min_size)
        found, scores = found[keep], scores[keep]
        keep = boxes.nms(found, scores, nms_threshold)[:post_nms]
        out.append((found[keep], scores[keep]))
    return out


class RPN(nn.Module):
    """Anchors + `RPNHead` + `propose` (+ `rpn_losses` when targets are given).

    ``forward(features, image_hw, gt_boxes=None, rng=None)`` → (proposals, losses):
    proposals is a list of N arrays (P, 4); losses is {} without ground truth.
    Anchor sizes are in image pixels; one aspect ratio per size list entry combination.
    """

    def __init__(
        self,
        in_channels: int,
        stride: int,
        anchor_sizes: Sequence[float] = (8.0, 16.0, 24.0),
        aspect_ratios: Sequence[float] = (1.0,),
        pre_nms: int = 120,
        post_nms_train: int = 100,
        post_nms_test: int = 50,
        nms_threshold: float = 0.7,
    ) -> None:
        super().__init__()
        self.stride, self.anchor_sizes, self.aspect_ratios = stride, anchor_sizes, aspect_ratios
        self.pre_nms, self.nms_threshold = pre_nms, nms_threshold
        self.post_nms_train, self.post_nms_test = post_nms_train, post_nms_test
        self.head = RPNHead(in_channels, len(anchor_sizes) * len(aspect_ratios))
        self._anchors: dict[tuple, Any] = {}

    def anchors(self, feature_hw: tuple[int, int], device: str = "cpu") -> Any:
        """All anchors of a feature map, (h·w·A, 4), computed once per size and device."""
        key = (tuple(feature_hw), device)
        if key not in self._anchors:
            self._anchors[key] = boxes.make_anchors(
                feature_hw, self.stride, self.anchor_sizes, self.aspect_ratios, device=device
            )
        return self._anchors[key]

    def forward(
        self,
        features: Tensor,
        image_hw: tuple[int, int],
        gt_boxes: Sequence[Any] | None = None,
        rng: np.random.Generator | None = None,
    ) -> tuple[list[Any], dict[str, Tensor]]:
        logits, deltas = self.head(features)
        anchors = self.anchors(features.shape[2:], features.device)
        post_nms = self.post_nms_train if self.training else self.post_nms_test
        with no_grad():
            found = propose(
                logits.data,
                deltas.data,
                anchors,
                image_hw,
                self.pre_nms,
                post_nms,
                self.nms_threshold,
            )
        losses = {}
        if gt_boxes is not None:
            rng = rng if rng is not None else np.random.default_rng()
            losses = rpn_losses(logits, deltas, anchors, gt_boxes, rng)
        return [p for p, _ in found], losses
