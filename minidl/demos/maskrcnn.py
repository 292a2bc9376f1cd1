"""Instance segmentation of shapes scenes with a small Mask R-CNN, and the coins photograph.

1. trains `MaskRCNN` (boxes, masks and the vertices of squares and triangles as
   keypoints) on synthetic shapes scenes, with mirrored copies;
2. measures box and mask AP at IoU 0.5 (COCO-style) and keypoint PCK@0.1 on held-out
   scenes drawn with another seed — nothing was tuned on them;
3. runs the trained model on scikit-image's coins photograph, scaled by a fixed factor so
   that coins come out the size of the training shapes, and scores its masks against the
   classical watershed recipe of `minidl.data.coins_instances` (class-agnostic: the
   model has never seen a coin and calls them circles); a coin counts as found when a
   detection's mask covers it at IoU >= 0.5 (a mask bridging two coins finds neither).

Prints a summary; writes scenes.png, coins.png, losses.png and metrics.json to --out (default
out/maskrcnn/; --metrics PATH writes the metrics elsewhere).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # the demo writes files; no window (set before pyplot loads)

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from ..data.shapes import Scene, coins_instances, shapes_scenes  # noqa: E402
from ..metrics.detection import average_precision, mask_iou, match_detections  # noqa: E402
from ..models.maskrcnn import MaskRCNN  # noqa: E402
from ..models.maskrcnn.training import evaluate, predict_scenes, scene_target, train  # noqa: E402
from ..numbers import fmt  # noqa: E402
from ..random import manual_seed  # noqa: E402
from ..viz.detection import draw_instances, instance_grid, matched_colours  # noqa: E402
from .common import DemoRun, parse_args  # noqa: E402

COINS_SCALE = 0.4  # coins are 37–65 px wide; the training shapes 6–26 px
TEST_SEED_OFFSET = 10_000  # held-out scenes come from another random stream


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
        f"{fmt(m['keypoint_pck'])}",
        f"  trained {m['steps']} steps on {m['train_scenes']} scenes in "
        f"{fmt(m['train_seconds'], 2)} s (final loss {fmt(m['final_loss'])})",
        f"coins photograph (never trained on): {m['coins_matched']} of {m['coins_true']} coins "
        f"found, {m['coins_detections']} detections, mask AP50 {fmt(m['coins_mask_ap50'])}",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    run = parse_args("maskrcnn", argv, __doc__.split("\n\n")[0])
    cfg = QUICK if run.quick else DEFAULT
    manual_seed(run.seed)
    scenes = shapes_scenes(cfg.train_scenes, cfg.size, seed=run.seed)
    test = shapes_scenes(cfg.test_scenes, cfg.size, seed=run.seed + TEST_SEED_OFFSET)
    model = MaskRCNN(num_classes=4, keypoints=True).to(run.device)
    started = run.seconds()
    history = train(model, scenes, cfg.steps, cfg.batch_size, cfg.lr, run.seed, run.device)
    train_seconds = run.seconds() - started
    predictions = predict_scenes(model, test, device=run.device)
    metrics = evaluate(predictions, test)
    shown = range(8)  # the first held-out scenes, not picked
    fig = instance_grid(
        [test[i].image for i in shown],
        [predictions[i] for i in shown],
        [scene_target(test[i]) for i in shown],
        size=3.0,
        columns=4,
        keypoint_label="keypoints: the vertices of squares and triangles",
    )
    run.save(fig, "scenes.png", dpi=120)
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
