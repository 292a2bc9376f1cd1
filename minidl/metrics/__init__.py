"""Evaluation metrics on plain arrays (NumPy or CuPy), one module per task."""

from .detection import (
    ap_per_class,
    average_precision,
    interpolated_ap,
    keypoint_pck,
    mask_iou,
    match_detections,
)
from .segmentation import (
    confusion_matrix,
    dice,
    dice_per_class,
    iou,
    iou_per_class,
    mean_dice,
    mean_iou,
    pixel_accuracy,
    to_labels,
)
from .verification import (
    ROC,
    accuracy_at_threshold,
    auc,
    best_threshold,
    roc_auc,
    roc_curve,
)
