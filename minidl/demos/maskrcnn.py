"""Instance segmentation of shapes scenes with a small Mask R-CNN, and the coins photograph.

1. trains `MaskRCNN` (boxes, masks and keypoints: the vertices of squares and triangles,
   and the six joints of stick figures) on synthetic shapes scenes, with mirrored copies;
2. measures box and mask AP at IoU 0.5 (COCO-style) and keypoint PCK@0.1 (a keypoint is
   correct within 0.1 × the larger side of its object's box), over all keypoints and over
   the figures' joints alone, on held-out scenes drawn with another seed — nothing was
   tuned on them;
3. runs the trained model on scikit-image's coins photograph, scaled by a fixed factor so
   that coins come out the size of the training shapes, and scores its masks against the
   classical watershed recipe of `minidl.data.coins_instances` (class-agnostic: the
   model has never seen a coin and calls them circles); a coin counts as found when a
   detection's mask covers it at IoU >= 0.5 (a mask bridging two coins finds neither).

Prints a summary; writes scenes.png, skeletons.png (predicted and true joints of figures),
coins.png, losses.png and metrics.json to --out (default out/maskrcnn/; --metrics PATH writes
the metrics elsewhere).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # the demo writes files; no window (set before pyplot loads)

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from ..boxes import box_iou  # noqa: E402
from ..data.shapes import (  # noqa: E402
    CLASS_NAMES,
    FIGURE,
    JOINTS,
    SKELETON,
    Scene,
    coins_instances,
    shapes_scenes,
)
from ..metrics.detection import (  # noqa: E402
    average_precision,
    keypoint_pck,
    mask_iou,
    match_detections,
)
from ..models.maskrcnn import MaskRCNN  # noqa: E402
from ..models.maskrcnn.training import evaluate, predict_scenes, scene_target, train  # noqa: E402
from ..numbers import fmt  # noqa: E402
from ..random import manual_seed  # noqa: E402
from ..viz.detection import draw_instances, instance_grid, matched_colours  # noqa: E402
from .common import DemoRun, parse_args  # noqa: E402

COINS_SCALE = 0.4  # coins are 37–65 px wide; the training shapes 6–26 px
TEST_SEED_OFFSET = 10_000  # held-out scenes come from another random stream
KEYPOINTS_PER_CLASS = (0, 0, 4, 3, len(JOINTS))  # background, circle, square, triangle, figure


@dataclass(frozen=True)
class Config:
    train_scenes: int
    steps: int
    test_scenes: int
    batch_size: int = 8
    lr: float = 2e-3
    size: int = 64


DEFAULT = Config(train_scenes=2000, steps=800, test_scenes=300)
QUICK = Config(train_scenes=400, steps=200, test_scenes=60)


def coins_scene(scale: float = COINS_SCALE) -> Scene:
    """The coins photograph and its recipe masks, scaled by ``scale``, as 3 channels."""
    from skimage.transform import rescale

    photo = coins_instances(channels=1)
    image = rescale(photo.image[0], scale, anti_aliasing=True).astype(np.float32)
    masks = np.stack(
        [rescale(m.astype(np.float32), scale, anti_aliasing=True) >= 0.5 for m in photo.masks]
    )
    keep = masks.reshape(len(masks), -1).any(axis=1)
    boxes = photo.boxes[keep] * scale
    return Scene(
        np.repeat(image[None], 3, axis=0),
        masks[keep],
        boxes,
        photo.labels[keep],
        photo.keypoints[keep],
    )


def plot_losses(history: Sequence[dict[str, float]]) -> Figure:
    fig, ax = plt.subplots(figsize=(8.5, 4))
    names = [k for k in history[0] if k not in ("loss", "seconds")]
    window = max(1, len(history) // 40)
    for name in names + ["loss"]:
        values = np.convolve([r[name] for r in history], np.ones(window) / window, "valid")
        ax.plot(values, label=name, linewidth=2 if name == "loss" else 1)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel(f"loss (mean of {window} steps)")
    # beside the axes: inside, seven curves spread over four decades leave no empty corner
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    fig.tight_layout()
    return fig


def best_cyclic_shift(pred: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """The predicted joints (J, 3) in the cyclic order closest to the true ones (J, 3): the
    keypoint loss and PCK allow any cyclic order, so a model may have learnt a rotated one."""
    J = len(truth)
    shifts = [np.roll(pred, -s, axis=0) for s in range(J)]
    return min(shifts, key=lambda p: np.linalg.norm(p[:, :2] - truth[:, :2], axis=1).sum())


def figure_pairs(
    predictions: Sequence[dict], scenes: Sequence[Scene], iou_threshold: float = 0.5
) -> list[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
    """(scene, box, true joints, predicted joints) of every figure whose best-scored figure
    detection overlaps it at box IoU >= ``iou_threshold``, in scene order."""
    pairs = []
    for i, (found, scene) in enumerate(zip(predictions, scenes)):
        mine = np.flatnonzero(found["labels"] == FIGURE)
        for g in np.flatnonzero(scene.labels == FIGURE):
            if len(mine) == 0:
                continue
            iou = box_iou(found["boxes"][mine], scene.boxes[g : g + 1])[:, 0]
            ok = mine[iou >= iou_threshold]
            if len(ok):
                d = ok[np.argmax(found["scores"][ok])]
                truth = scene.keypoints[g]
                pred = best_cyclic_shift(found["keypoints"][d], truth)
                pairs.append((i, scene.boxes[g], truth, pred))
    return pairs


def draw_skeleton(ax, joints: np.ndarray, colour: str, label: str, marker: str = "o") -> None:
    """The bones and joints of one figure (J, 3) on ``ax`` (imshow coordinates: x − ½)."""
    xy = joints[:, :2] - 0.5
    # all bones as one line, NaN between them: joints predicted on top of each other then
    # cannot hide the labelled bone under an unlabelled one
    gap = np.full((1, 2), np.nan)
    bones = np.concatenate([np.concatenate([xy[[a, b]], gap]) for a, b in SKELETON])
    ax.plot(*bones.T, color=colour, linewidth=1.5, label=label)
    ax.scatter(*xy.T, s=18, color=colour, marker=marker, edgecolors="black", linewidths=0.5)


def plot_skeletons(
    predictions: Sequence[dict], scenes: Sequence[Scene], count: int = 8, alpha: float = 0.1
) -> Figure:
    """The first ``count`` detected figures of the held-out scenes: true and predicted bones
    and joints, zoomed onto the figure, and how many joints are within alpha · box size."""
    pairs = figure_pairs(predictions, scenes)[:count]
    fig, axes = plt.subplots(1, max(len(pairs), 1), figsize=(2.2 * max(len(pairs), 1), 2.8))
    axes = np.atleast_1d(axes)
    for ax, (i, box, truth, pred) in zip(axes, pairs):
        ax.imshow(np.moveaxis(scenes[i].image, 0, -1), interpolation="nearest")
        draw_skeleton(ax, truth, "white", "true joints")
        draw_skeleton(ax, pred, "#e6194b", "predicted joints", marker="s")
        size = max(box[2] - box[0], box[3] - box[1])
        good = int((np.linalg.norm(pred[:, :2] - truth[:, :2], axis=1) <= alpha * size).sum())
        x1, y1, x2, y2 = box
        ax.set_xlim(x1 - 4, x2 + 3)
        ax.set_ylim(y2 + 3, y1 - 4)
        ax.set_title(f"scene {i}: {good}/{len(truth)} joints\nwithin {alpha:g} × box", fontsize=8)
        ax.set_axis_off()
    if pairs:
        axes[0].legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, 0.0), frameon=False)
    else:
        axes[0].set_axis_off()
        axes[0].set_title("no figure detected", fontsize=8)
    fig.tight_layout()
    return fig


def coins_matched(found: dict, truth: dict, score_threshold: float = 0.5) -> int:
    """Reference coins claimed by a detection's mask at IoU >= 0.5 (COCO's greedy matching
    by score): a mask that bridges two coins overlaps each by less and matches neither."""
    shown = np.flatnonzero(found["scores"] >= score_threshold)
    shown = shown[np.argsort(-found["scores"][shown], kind="stable")]
    claims = match_detections(mask_iou(found["masks"][shown], truth["masks"]), 0.5)
    return int((claims >= 0).sum())


def run_coins(model: MaskRCNN, run: DemoRun) -> dict[str, float]:
    coins = coins_scene()
    # 24 coins: more than the 20 detections per image that suit the shapes scenes
    (found,) = predict_scenes(model, [coins], device=run.device, max_detections=50)
    truth = scene_target(coins)
    metrics = {
        "coins_box_ap50": average_precision([found], [truth], "box", class_agnostic=True),
        "coins_mask_ap50": average_precision([found], [truth], "mask", class_agnostic=True),
        "coins_detections": int((found["scores"] >= 0.5).sum()),
        "coins_matched": coins_matched(found, truth),
        "coins_true": len(coins.boxes),
    }
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.8))
    draw_instances(
        coins.image,
        coins.boxes,
        None,
        coins.masks,
        ax=axes[0],
        title=f"reference (the watershed recipe): {len(coins.boxes)} coins",
    )
    draw_instances(
        coins.image,
        found["boxes"],
        found["labels"],
        found["masks"],
        found["scores"],
        None,
        axes[1],
        title=f"Mask R-CNN trained on shapes: {metrics['coins_matched']} of "
        f"{metrics['coins_true']} coins found (mask IoU >= 0.5)\n"
        f"{metrics['coins_detections']} detections, mask AP50 {fmt(metrics['coins_mask_ap50'], 2)}",
        colours=matched_colours(found, truth),
    )
    fig.text(
        0.5,
        0.01,
        "a detection wears the colour of the reference coin it overlaps (mask IoU >= 0.5); "
        "other colours: no coin matched",
        ha="center",
        fontsize=8,
    )
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    run.save(fig, "coins.png", dpi=120, bbox_inches="tight")
    return metrics


def summary(m: dict) -> list[str]:
    """What a student reads at the end of the run."""
    return [
        f"Mask R-CNN on {m['test_scenes']} held-out shapes scenes: box AP50 "
        f"{fmt(m['box_ap50'])}, mask AP50 {fmt(m['mask_ap50'])}, keypoint PCK@0.1 "
        f"{fmt(m['keypoint_pck'])}; the figures' joints: PCK@0.1 {fmt(m['joint_pck'])}",
        f"  trained {m['steps']} steps on {m['train_scenes']} scenes in "
        f"{fmt(m['train_seconds'], 2)} s (final loss {fmt(m['final_loss'])})",
        f"coins photograph (never trained on): {m['coins_matched']} of {m['coins_true']} coins "
        f"found, {m['coins_detections']} detections, mask AP50 {fmt(m['coins_mask_ap50'])}",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    run = parse_args("maskrcnn", argv, __doc__.split("\n\n")[0])
    cfg = QUICK if run.quick else DEFAULT
    manual_seed(run.seed)
    scenes = shapes_scenes(cfg.train_scenes, cfg.size, seed=run.seed, figures=True)
    test = shapes_scenes(cfg.test_scenes, cfg.size, seed=run.seed + TEST_SEED_OFFSET, figures=True)
    model = MaskRCNN(
        num_classes=len(CLASS_NAMES), keypoints=True, keypoints_per_class=KEYPOINTS_PER_CLASS
    ).to(run.device)
    started = run.seconds()
    history = train(model, scenes, cfg.steps, cfg.batch_size, cfg.lr, run.seed, run.device)
    train_seconds = run.seconds() - started
    predictions = predict_scenes(model, test, device=run.device)
    metrics = evaluate(predictions, test)
    targets = [scene_target(s) for s in test]
    metrics["joint_pck"] = keypoint_pck(predictions, targets, alpha=0.1, classes=(FIGURE,))
    shown = range(8)  # the first held-out scenes, not picked
    fig = instance_grid(
        [test[i].image for i in shown],
        [predictions[i] for i in shown],
        [scene_target(test[i]) for i in shown],
        size=3.0,
        columns=4,
        class_names=CLASS_NAMES,
        keypoint_label="keypoints: the vertices of squares and triangles, the joints of figures",
    )
    run.save(fig, "scenes.png", dpi=120)
    run.save(plot_skeletons(predictions, test), "skeletons.png", dpi=120)
    run.save(plot_losses(history), "losses.png", dpi=120)
    metrics.update(run_coins(model, run))
    metrics.update(
        train_seconds=round(train_seconds, 1),
        steps=cfg.steps,
        train_scenes=cfg.train_scenes,
        test_scenes=cfg.test_scenes,
        final_loss=round(float(np.mean([r["loss"] for r in history[-20:]])), 4),
    )
    metrics = {k: round(v, 4) if isinstance(v, float) else v for k, v in metrics.items()}
    run.finish(metrics, summary(metrics))
    return 0
