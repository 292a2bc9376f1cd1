"""Training and evaluating `MaskRCNN` on shapes scenes (`minidl.data.shapes_scenes`).

Detection targets differ in length per image, so this loop is its own rather than
`minidl.train.fit`: a batch is an image array plus a list of target dicts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from ... import optim
from ...backend import to_numpy
from ...data.shapes import Scene
from ...metrics.detection import average_precision, keypoint_pck
from ...tensor import tensor
from .model import MaskRCNN, Target


def scene_target(scene: Scene) -> Target:
    """A scene's instances as the dict `MaskRCNN` trains on."""
    return {
        "boxes": scene.boxes,
        "labels": scene.labels,
        "masks": scene.masks,
        "keypoints": scene.keypoints,
    }


def hflip(scene: Scene) -> Scene:
    """The mirror image of a scene, with its targets mirrored along.

    x → W − x for boxes and keypoints. A mirror turns a clockwise vertex list into an
    anticlockwise one, so the present vertices are listed backwards to keep the
    orientation that the cyclic keypoint loss relies on.
    """
    W = scene.image.shape[-1]
    b = scene.boxes.copy()
    b[:, [0, 2]] = W - scene.boxes[:, [2, 0]]
    kp = scene.keypoints.copy()
    for i, row in enumerate(kp):
        n = int((row[:, 2] > 0).sum())
        kp[i, :n] = row[:n][::-1]
    kp[..., 0] = np.where(kp[..., 2] > 0, W - kp[..., 0], 0.0)
    return Scene(scene.image[..., ::-1].copy(), scene.masks[..., ::-1].copy(), b, scene.labels, kp)


def batches(
    scenes: Sequence[Scene], batch_size: int, rng: np.random.Generator, flip: bool = True
) -> Iterator[tuple[np.ndarray, list[Target]]]:
    """Endless random batches (images (B, C, H, W), targets), half of the scenes mirrored."""
    while True:
        order = rng.permutation(len(scenes))
        for start in range(0, len(scenes) - batch_size + 1, batch_size):
            chosen = [scenes[i] for i in order[start : start + batch_size]]
            if flip:
                chosen = [hflip(s) if rng.random() < 0.5 else s for s in chosen]
            yield np.stack([s.image for s in chosen]), [scene_target(s) for s in chosen]


def train(
    model: MaskRCNN,
    scenes: Sequence[Scene],
    steps: int,
    batch_size: int = 8,
    lr: float = 2e-3,
    seed: int = 0,
    device: str = "cpu",
    progress: bool = True,
    callback: Callable[[int, dict[str, float]], None] | None = None,
) -> list[dict[str, float]]:
    """Adam with a cosine-decaying learning rate for ``steps`` batches; the loss history.

    Each record: every loss by name, "loss" (their sum), "seconds" since the start.
    """
    rng = np.random.default_rng(seed)
    opt = optim.Adam(model.parameters(), lr=lr)
    schedule = optim.CosineAnnealingLR(opt, T_max=steps, eta_min=lr / 20)
    history, started = [], time.perf_counter()
    model.train()
    data = batches(scenes, batch_size, rng)
    bar = tqdm(range(steps), desc="Mask R-CNN", disable=not progress, mininterval=2)
    for step in bar:
        images, targets = next(data)
        losses = model(tensor(images, device=device), targets)
        total = sum(losses.values())
        opt.zero_grad()
        total.backward()
        opt.step()
        schedule.step()
        record = {k: float(v.item()) for k, v in losses.items()}
        record["loss"] = float(total.item())
        record["seconds"] = time.perf_counter() - started
        history.append(record)
        bar.set_postfix(loss=f"{record['loss']:.3f}", refresh=False)
        if callback is not None:
            callback(step, record)
    return history


def predict_scenes(
    model: MaskRCNN,
    scenes: Sequence[Scene],
    batch_size: int = 16,
    device: str = "cpu",
    **options: Any,
) -> list[dict[str, Any]]:
    """`MaskRCNN.predict` over scenes of one size, in batches; NumPy results.

    ``options`` go to `MaskRCNN.predict` (e.g. ``max_detections``).
    """
    out = []
    for start in range(0, len(scenes), batch_size):
        images = np.stack([s.image for s in scenes[start : start + batch_size]])
        for found in model.predict(tensor(images, device=device), **options):
            out.append({k: to_numpy(v) for k, v in found.items()})
    return out


def evaluate(
    predictions: Sequence[dict[str, Any]], scenes: Sequence[Scene], keypoints: bool = True
) -> dict[str, float]:
    """box_ap50, mask_ap50 (COCO-style, mean over classes) and keypoint_pck (α = 0.1)."""
    targets = [scene_target(s) for s in scenes]
    metrics = {
        "box_ap50": average_precision(predictions, targets, "box"),
        "mask_ap50": average_precision(predictions, targets, "mask"),
    }
    if keypoints:
        metrics["keypoint_pck"] = keypoint_pck(predictions, targets, alpha=0.1)
    return metrics
