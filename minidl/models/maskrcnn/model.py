"""`MaskRCNN`: backbone → RPN → RoIAlign → box, mask and keypoint heads.

    losses = model(images, targets)      # training: a dict of scalar losses to add up
    found = model.predict(images)        # inference: per-image boxes, scores, labels, masks

Reference: He et al. 2017, "Mask R-CNN" (ICCV); Ren et al. 2015, "Faster R-CNN" (NeurIPS);
torchvision's ``MaskRCNN`` / ``KeypointRCNN`` for the details the papers leave open.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ... import backend, nn, random
from ...autograd import no_grad
from ...nn import functional as F
from ...tensor import Tensor
from .backbone import Backbone
from .heads import BoxHead, ConvHead, roi_features
from .losses import keypoint_loss, mask_loss, smooth_l1_loss
from .postprocess import detect, heatmaps_to_keypoints, paste_masks
from .rpn import RPN
from .targets import keypoint_targets, mask_targets, sample_rois

Target = dict[str, Any]  # "boxes" (G, 4), "labels" (G,), "masks" (G, H, W), "keypoints" (G, K, 3)


class MaskRCNN(nn.Module):
    """A small Mask R-CNN with an optional keypoint head, for images of about 64–128 px.

    Args:
        num_classes: including the background (class 0); 4 for the shapes scenes.
        keypoints: whether to build and train the keypoint head.
        keypoints_per_class: how many keypoints each class has (the first ones of the K
            maps); predictions beyond that get probability 0. Shapes: circles none,
            squares 4 corners, triangles 3.
        cyclic_keypoints: the keypoints are the vertices of rotationally symmetric shapes,
            so the loss takes the best cyclic order (see `keypoint_loss`).
        mask_resolution: side m of the predicted masks and keypoint maps (even); the mask
            and keypoint heads read m/2 × m/2 RoIAlign patches, the box head
            ``box_resolution`` × ``box_resolution`` ones.

    ``forward(images (N, C, H, W), targets)`` → {"rpn_objectness", "rpn_box", "classifier",
    "box", "mask", "keypoint"}: scalar Tensors. ``predict(images)`` → one dict per image:
    boxes (D, 4), scores (D,), labels (D,), masks (D, H, W) bool, mask_probs (D, H, W),
    keypoints (D, K, 3) ``[x, y, probability]`` (with the keypoint head).
    """

    def __init__(
        self,
        num_classes: int = 4,
        keypoints: bool = True,
        *,
        in_channels: int = 3,
        widths: tuple[int, int, int] = (16, 32, 64),
        anchor_sizes: Sequence[float] = (8.0, 16.0, 24.0),
        keypoints_per_class: Sequence[int] = (0, 0, 4, 3),
        cyclic_keypoints: bool = True,
        box_resolution: int = 7,
        mask_resolution: int = 14,
        rois_per_image: int = 64,
    ) -> None:
        super().__init__()
        if len(keypoints_per_class) != num_classes:
            raise ValueError(
                f"MaskRCNN: keypoints_per_class needs one count per class ({num_classes}), "
                f"got {tuple(keypoints_per_class)}"
            )
        if mask_resolution % 2:
            raise ValueError(f"MaskRCNN: mask_resolution must be even, got {mask_resolution}")
        self.num_classes, self.box_resolution = num_classes, box_resolution
        self.mask_resolution, self.rois_per_image = mask_resolution, rois_per_image
        self.keypoints_per_class = tuple(keypoints_per_class)
        self.num_keypoints = max(self.keypoints_per_class)
        self.cyclic_keypoints = cyclic_keypoints
        self.backbone = Backbone(in_channels, widths)
        C, self.stride = self.backbone.out_channels, self.backbone.stride
        self.rpn = RPN(C, self.stride, anchor_sizes)
        self.box_head = BoxHead(C, box_resolution, num_classes)
        self.mask_head = ConvHead(C, num_classes)
        self.keypoint_head = ConvHead(C, self.num_keypoints) if keypoints else None

    # ---- training ------------------------------------------------------------------------
    def forward(self, images: Tensor, targets: Sequence[Target]) -> dict[str, Tensor]:
        if len(targets) != images.shape[0]:
            raise ValueError(
                f"MaskRCNN: expected one target per image ({images.shape[0]}), got {len(targets)}"
            )
        xp = backend.array_module(images.data)
        rng = random.generator()  # anchor and RoI sampling follow md.manual_seed
        gt_boxes = [xp.asarray(t["boxes"], dtype=xp.float32) for t in targets]
        gt_labels = [xp.asarray(t["labels"], dtype=xp.int64) for t in targets]
        features = self.backbone(images)
        proposals, losses = self.rpn(features, images.shape[2:], gt_boxes, rng)
        sample = sample_rois(proposals, gt_boxes, gt_labels, rng, self.rois_per_image)
        class_logits, deltas = self.box_head(
            roi_features(features, sample.rois, self.box_resolution, self.stride)
        )
        losses["classifier"] = F.cross_entropy(class_logits, sample.labels)
        pos = xp.nonzero(sample.labels > 0)[0]
        labels = sample.labels[pos]
        chosen = deltas[pos, labels]  # (P, 4): the deltas of each RoI's true class only
        box = smooth_l1_loss(chosen, sample.box_targets[pos], beta=1 / 9)
        losses["box"] = box / max(len(sample.labels), 1)

        rois, matched = sample.rois[pos], sample.matched[backend.to_numpy(pos)]
        patches = roi_features(features, rois, self.mask_resolution // 2, self.stride)
        masks = np.concatenate([np.asarray(backend.to_numpy(t["masks"])) for t in targets])
        target = mask_targets(xp.asarray(masks), matched, rois[:, 1:], self.mask_resolution)
        losses["mask"] = mask_loss(self.mask_head(patches), labels, target)
        if self.keypoint_head is not None:
            losses["keypoint"] = self._keypoint_loss(patches, rois, labels, matched, targets)
        return losses

    def _keypoint_loss(self, patches, rois, labels, matched, targets) -> Tensor:
        """Keypoint loss on the positive RoIs whose class has keypoints."""
        xp = backend.array_module(patches.data)
        counts = xp.asarray(self.keypoints_per_class)[labels]
        keep = xp.nonzero(counts > 0)[0]
        kps = np.concatenate([backend.to_numpy(t["keypoints"]) for t in targets])
        shifts = self.num_keypoints if self.cyclic_keypoints else 1
        tgt, valid = keypoint_targets(
            xp.asarray(kps),
            matched[backend.to_numpy(keep)],
            rois[keep, 1:],
            self.mask_resolution,
            shifts,
        )
        return keypoint_loss(self.keypoint_head(patches[keep]), tgt, valid)

    # ---- inference -----------------------------------------------------------------------
    @no_grad()
    def predict(
        self,
        images: Tensor,
        score_threshold: float = 0.05,
        nms_threshold: float = 0.5,
        max_detections: int = 20,
        mask_threshold: float = 0.5,
    ) -> list[dict[str, Any]]:
        """Detections per image: scores → per-class NMS → masks (and keypoints) pasted back.

        Runs in eval mode (batch norm with its running statistics) and restores the mode.
        """
        was_training = self.training
        self.eval()
        try:
            return self._predict(
                images, score_threshold, nms_threshold, max_detections, mask_threshold
            )
        finally:
            self.train(was_training)

    def _predict(self, images, score_threshold, nms_threshold, max_detections, mask_threshold):
        image_hw = tuple(images.shape[2:])
        features = self.backbone(images)
        proposals, _ = self.rpn(features, image_hw)
        options = (score_threshold, nms_threshold, max_detections)
        found = self._detect(features, proposals, image_hw, *options)
        return self._segment(features, found, image_hw, mask_threshold)

    def _detect(self, features, proposals, image_hw, *options) -> list[tuple[Any, Any, Any]]:
        """Box head on every proposal → per image (boxes, scores, labels) after NMS."""
        xp = backend.array_module(features.data)
        patches = roi_features(features, _rows(proposals, xp), self.box_resolution, self.stride)
        logits, deltas = self.box_head(patches)
        probs, deltas = F.softmax(logits, 1).data, deltas.data
        bounds = np.cumsum([0] + [len(p) for p in proposals])
        return [
            detect(probs[a:b], deltas[a:b], props, image_hw, *options)
            for props, a, b in zip(proposals, bounds[:-1], bounds[1:])
        ]

    def _segment(self, features, found, image_hw, mask_threshold) -> list[dict[str, Any]]:
        """Mask (and keypoint) heads on the detected boxes; masks pasted into the image."""
        xp = backend.array_module(features.data)
        rois = _rows([b for b, _, _ in found], xp)
        labels = xp.concatenate([lab for _, _, lab in found])
        patches = roi_features(features, rois, self.mask_resolution // 2, self.stride)
        mask_logits = self.mask_head(patches).data[xp.arange(len(rois)), labels]  # (D, m, m)
        mask_probs = 1.0 / (1.0 + xp.exp(-mask_logits))
        if self.keypoint_head is not None:
            kp = heatmaps_to_keypoints(self.keypoint_head(patches).data, rois[:, 1:])
            slot = xp.arange(self.num_keypoints)[None, :]
            kp[..., 2] *= slot < xp.asarray(self.keypoints_per_class)[labels][:, None]
        out, start = [], 0
        for boxes_, scores, lab in found:
            stop = start + len(boxes_)
            pasted = paste_masks(mask_probs[start:stop], boxes_, image_hw)
            result = {"boxes": boxes_, "scores": scores, "labels": lab}
            result.update(masks=pasted >= mask_threshold, mask_probs=pasted)
            if self.keypoint_head is not None:
                result["keypoints"] = kp[start:stop]
            out.append(result)
            start = stop
        return out


def _rows(per_image: Sequence[Any], xp: Any) -> Any:
    """Boxes of each image → RoI rows ``[image, x1, y1, x2, y2]`` (R, 5) float32."""
    rows = [
        xp.concatenate([xp.full((len(b), 1), n, xp.float32), b.astype(xp.float32)], axis=1)
        for n, b in enumerate(per_image)
    ]
    return xp.concatenate(rows) if rows else xp.zeros((0, 5), xp.float32)
