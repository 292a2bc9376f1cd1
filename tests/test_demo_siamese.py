"""`minidl demo siamese` end to end on a tiny configuration (the real run is in .ci/run)."""

from __future__ import annotations

import json

from minidl.demos import siamese
from minidl.demos.common import parse_args

KEYS = {
    "verification_accuracy_pixels",
    "verification_accuracy_embedding",
    "verification_auc_embedding",
    "verification_accuracy_siamese",
    "recognition_top1",
    "unknown_rejection",
    "seconds",
}


def test_tiny_run_writes_metrics_and_pictures(tmp_path):
    run = parse_args("siamese", ["--out", str(tmp_path), "--metrics", str(tmp_path / "m.json")], "")
    cfg = siamese.Config(steps=2, siamese_steps=2, p=4, k=2, width=2, dim=8, pairs=40)
    assert siamese.run_demo(run, cfg) == 0
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert KEYS <= set(metrics)
    assert all(0 <= metrics[k] <= 1 for k in KEYS - {"seconds"})
    assert {p.name for p in tmp_path.glob("*.png")} == {"roc.png", "embedding.png", "pairs.png"}


def test_people_are_split_three_ways_without_overlap():
    train, val, test = siamese.split_people(0)
    assert (len(train), len(val), len(test)) == (60, 10, 30)
    assert len(set(train) | set(val) | set(test)) == 100
