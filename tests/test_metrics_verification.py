"""Verification metrics (minidl/metrics/verification.py) against brute-force computations."""

from __future__ import annotations

import numpy as np
import pytest

from minidl.metrics import accuracy_at_threshold, auc, best_threshold, roc_auc, roc_curve


def _pairs(seed: int, n: int = 60, ties: bool = False):
    rng = np.random.default_rng(seed)
    same = rng.random(n) < 0.4
    d = rng.normal(1.0, 0.5, n) - 0.6 * same
    if ties:
        d = np.round(d, 1)  # many equal distances, some shared by same and different pairs
    return d, same


@pytest.mark.parametrize("ties", [False, True])
def test_roc_and_auc_equal_brute_force(ties):
    d, same = _pairs(0, ties=ties)
    roc = roc_curve(d, same)
    for fpr, tpr, t in zip(roc.fpr, roc.tpr, roc.thresholds):
        accepted = d <= t
        assert tpr == pytest.approx(accepted[same].mean())
        assert fpr == pytest.approx(accepted[~same].mean())
    assert (roc.fpr[0], roc.tpr[0], roc.fpr[-1], roc.tpr[-1]) == (0, 0, 1, 1)
    assert len(roc.thresholds) == len(np.unique(d)) + 1
    # AUC = P(a same pair is closer than a different pair), ties counting one half
    ds, dd = d[same][:, None], d[~same][None, :]
    brute = ((ds < dd) + 0.5 * (ds == dd)).mean()
    assert roc_auc(d, same) == pytest.approx(brute, abs=1e-12)
    assert auc(roc.fpr, roc.tpr) == pytest.approx(brute, abs=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_best_threshold_equals_brute_force(seed):
    d, same = _pairs(seed, ties=seed % 2 == 1)
    t, acc = best_threshold(d, same)
    candidates = np.r_[-np.inf, np.unique(d)]
    brute = max(((d <= c) == same).mean() for c in candidates)
    assert acc == pytest.approx(brute)
    assert accuracy_at_threshold(d, same, t) == pytest.approx(acc)


def test_perfect_and_extreme_cases():
    d = np.array([0.1, 0.2, 0.8, 0.9])
    same = np.array([1, 1, 0, 0])
    assert roc_auc(d, same) == 1.0
    t, acc = best_threshold(d, same)
    assert acc == 1.0 and t == pytest.approx(0.5)  # the middle of the gap
    t, acc = best_threshold(d, 1 - same)  # backwards: accepting nobody is best (50 %)
    assert acc == 0.5 and t < 0.1
    assert roc_auc(d, 1 - same) == 0.0
    assert accuracy_at_threshold(d, same, 0.15) == 0.75


def test_bad_input():
    d, same = np.array([0.1, 0.5, 0.9]), np.array([1, 0, 0])
    for bad in ("0.5", None, float("nan"), True, [0.5]):
        with pytest.raises(TypeError, match="threshold must be a number"):
            accuracy_at_threshold(d, same, bad)
    with pytest.raises(ValueError, match="one shape"):
        roc_curve(d, same[:2])
    with pytest.raises(ValueError, match="both same and different pairs"):
        roc_curve(d, np.zeros(3))
    with pytest.raises(ValueError, match="0/1 or bool"):
        best_threshold(d, np.array([0, 2, 1]))
    with pytest.raises(ValueError, match="finite"):
        roc_auc(np.array([0.1, np.nan]), np.array([1, 0]))
