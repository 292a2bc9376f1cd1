"""Detection pictures draw what they are given (Agg backend, no window)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from minidl.boxes import make_anchors  # noqa: E402
from minidl.data.shapes import shapes_scenes  # noqa: E402
from minidl.models.maskrcnn.training import scene_target  # noqa: E402
from minidl.viz import detection  # noqa: E402


def test_draw_instances_boxes_tags_and_score_threshold():
    (s,) = shapes_scenes(1, 48, seed=3)
    K = len(s.labels)
    scores = np.linspace(0.9, 0.1, K)
    ax = detection.draw_instances(s.image, s.boxes, s.labels, s.masks, scores, s.keypoints)
    shown = int((scores >= 0.5).sum())
    assert sum(isinstance(p, Rectangle) for p in ax.patches) == shown
    assert len(ax.texts) == shown and ax.texts[0].get_text().endswith("0.90")
    tinted = ax.images[0].get_array()
    assert tinted.shape == (48, 48, 3)
    plt.close("all")


def test_instance_grid_and_anchor_pictures():
    scenes = shapes_scenes(3, 48, seed=4)
    targets = [scene_target(s) for s in scenes]
    preds = [{**t, "scores": np.ones(len(t["labels"]))} for t in targets]
    fig = detection.instance_grid([s.image for s in scenes], preds, targets)
    assert len(fig.axes) == 6
    fig = detection.instance_grid([s.image for s in scenes], preds, targets, columns=2)
    assert len(fig.axes) == 8 and not fig.axes[7].images  # 2 scenes per row, one cell empty
    anchors = make_anchors((12, 12), 4, (8.0, 16.0), (0.5, 1.0, 2.0))
    ax = detection.show_anchors(scenes[0].image, anchors, (12, 12), [(3, 3), (8, 6)], 4)
    assert len(ax.patches) == 2 * 6
    ax = detection.draw_boxes(scenes[0].image[0], anchors[:5])
    assert len(ax.patches) == 5
    plt.close("all")


def test_every_scene_class_gets_its_name_and_an_unknown_label_its_number():
    (s,) = shapes_scenes(1, 48, seed=3)
    boxes = np.array([[4.0, 4.0, 20.0, 20.0], [24.0, 24.0, 40.0, 40.0]])
    ax = detection.draw_instances(s.image, boxes, np.array([4, 7]), scores=np.array([0.9, 0.8]))
    tags = [t.get_text() for t in ax.texts]
    assert tags[0].startswith("figure") and tags[1].startswith("class 7")
    plt.close("all")
