"""`minidl demo unet`: the whole pipeline on a tiny configuration writes its JSON and PNGs."""

from __future__ import annotations

import json

import minidl.demos.unet as demo

TINY = demo.Config(
    size=32, n_train=8, n_val=4, n_test=4, base=2, depth=2, epochs=1, batch_size=4, lr=3e-3,
    window_patches=64, window_steps=2, window_slices=1, crop=16,
)  # fmt: skip


def test_demo_writes_metrics_and_pictures(tmp_path, monkeypatch):
    monkeypatch.setattr(demo, "QUICK", TINY)
    metrics_path = tmp_path / "metrics.json"
    out = tmp_path / "out"
    assert demo.main(["--quick", "--out", str(out), "--metrics", str(metrics_path)]) == 0
    metrics = json.loads(metrics_path.read_text())
    for key in ("dice", "iou", "threshold_dice", "sliding_window_dice", "seconds"):
        assert 0 <= metrics[key] <= 1 or key == "seconds", key
    assert metrics["config"]["size"] == 32
    assert (out / "predictions.png").stat().st_size > 0
    assert (out / "training_curve.png").stat().st_size > 0
