"""viz.segmentation and viz.curves: the error map's colours and that every picture draws."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from minidl import viz  # noqa: E402
from minidl.train import History  # noqa: E402


def test_error_map_codes():
    pred = np.array([[1, 1], [0, 0]])
    truth = np.array([[1, 0], [1, 0]])
    np.testing.assert_array_equal(viz.error_map(pred, truth), [[1, 2], [3, 0]])


def test_pictures_draw(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.random((3, 1, 20, 20)).astype(np.float32)
    truths = (rng.random((3, 20, 20)) > 0.7).astype(np.int64)
    preds = truths[:, 2:-2, 2:-2].copy()  # smaller, as from a valid-padding U-Net
    preds[0] = 1 - preds[0]
    figures = [
        viz.segmentation_grid(images, truths, preds, title="t"),
        viz.show_weight_map(images[0], truths[0] * np.arange(400).reshape(20, 20), images[0, 0]),
        viz.plot_history(
            History(
                [
                    {"epoch": 1, "train_loss": 1.0, "val_dice": 0.5},
                    {"epoch": 2, "train_loss": 0.5, "val_dice": 0.7},
                ]
            ),
            baselines={"threshold": 0.4},
        ),
    ]
    for k, fig in enumerate(figures):
        assert isinstance(fig, Figure)
        fig.savefig(tmp_path / f"{k}.png")
        plt.close(fig)
    ax = viz.overlay(images[0], truths[0])
    plt.close(ax.figure)
