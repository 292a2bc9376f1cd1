"""`minidl demo siamese` end to end on a tiny configuration (the real run is in .ci/run)."""

from __future__ import annotations

import json

import numpy as np

from minidl.demos import siamese
from minidl.demos.common import parse_args

KEYS = {
    "verification_accuracy_pixels",
    "verification_accuracy_embedding",
    "verification_auc_embedding",
    "verification_accuracy_siamese",
    "recognition_top1",
    "unknown_rejection",
    "recognised_within_threshold",
    "unknown_rejection_at_verification_threshold",
    "seconds",
}


def test_tiny_run_writes_metrics_and_pictures(tmp_path):
    run = parse_args("siamese", ["--out", str(tmp_path), "--metrics", str(tmp_path / "m.json")], "")
    cfg = siamese.Config(steps=2, siamese_steps=2, p=4, k=2, width=2, dim=8, pairs=40)
    assert siamese.run_demo(run, cfg) == 0
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert KEYS <= set(metrics)
    assert all(0 <= metrics[k] <= 1 for k in KEYS - {"seconds"})
    assert 0 <= metrics["recognition_threshold"] <= 2  # distances between unit vectors
    both = metrics["recognised_within_threshold"], metrics["unknown_rejection"]
    assert metrics["open_set_target_met"] is (min(both) >= 0.9)
    assert {p.name for p in tmp_path.glob("*.png")} == {"roc.png", "embedding.png", "pairs.png"}


def test_people_are_split_three_ways_without_overlap():
    train, val, test = siamese.split_people(0)
    assert (len(train), len(val), len(test)) == (60, 10, 30)
    assert len(set(train) | set(val) | set(test)) == 100


def test_open_set_counts_right_answers_and_rejected_strangers():
    # people 0..3, two photos each, on a line: each person's photos are 0.1 apart
    labels = np.repeat(np.arange(4), 2)
    features = np.array([[0.0], [0.1], [1.0], [1.1], [2.0], [2.1], [3.0], [3.1]])
    game = siamese.open_set(features, labels, enrolled=2, seed=0)
    assert game.enrolled == 2 and len(game.probes) == 6 and game.known.sum() == 2
    assert game.top1_any == 1.0
    assert game.rates(0.05) == (0.0, 1.0)  # nobody accepted
    assert game.rates(0.1)[0] == 1.0
    assert game.rates(10.0) == (1.0, 0.0)  # everybody accepted


def test_open_set_threshold_is_the_smallest_that_keeps_the_target():
    labels = np.repeat(np.arange(10), 3)
    rng = np.random.default_rng(0)
    features = np.repeat(rng.normal(size=(10, 8)) * 3, 3, axis=0) + rng.normal(size=(30, 8)) * 0.1
    t = siamese.choose_open_set_threshold(features, labels, target=0.9, casts=20)
    games = [siamese.open_set(features, labels, 6, [0, c]) for c in range(20)]
    assert np.mean([g.rates(t)[0] for g in games]) >= 0.9
    assert np.mean([g.rates(np.nextafter(t, 0))[0] for g in games]) < 0.9
