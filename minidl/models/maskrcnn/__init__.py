"""A small Mask R-CNN from scratch (He et al. 2017), one idea per file:

backbone.py   conv features at stride 4
rpn.py        anchors, objectness and deltas, proposals, RPN losses
matching.py   prediction ↔ ground-truth matching, balanced sampling
targets.py    RoI sampling and the box / mask / keypoint targets
heads.py      RoIAlign patches, box head, conv heads for masks and keypoints
losses.py     smooth-L1, mask BCE on the true class, keypoint softmax cross-entropy
postprocess.py  per-class NMS, mask pasting, keypoints from heat maps
model.py      `MaskRCNN` (training losses and `predict`)
training.py   targets from shapes scenes, flips, the training loop, evaluation
"""

from .losses import keypoint_loss, mask_loss, smooth_l1_loss
from .matching import BACKGROUND, IGNORED, match_boxes, sample_matches
from .model import MaskRCNN
from .postprocess import detect, heatmaps_to_keypoints, paste_masks
