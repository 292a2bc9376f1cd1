"""Triplet mining (minidl/mining.py) on hand-made distance matrices."""

from __future__ import annotations

import numpy as np
import pytest

import minidl as md
from minidl.mining import (
    batch_hard_triplets,
    distance_matrix,
    mine_triplets,
    random_triplets,
    semi_hard_triplets,
)

# Two people (0: samples 0, 1, 2; 1: samples 3, 4). Symmetric, zero diagonal.
LABELS = np.array([0, 0, 0, 1, 1])
DIST = np.array(
    [
        [0.0, 0.5, 0.9, 1.2, 0.7],
        [0.5, 0.0, 0.3, 1.0, 2.0],
        [0.9, 0.3, 0.0, 0.35, 1.5],
        [1.2, 1.0, 0.35, 0.0, 0.4],
        [0.7, 2.0, 1.5, 0.4, 0.0],
    ]
)


def test_batch_hard_takes_farthest_positive_and_closest_negative():
    a, p, n = batch_hard_triplets(DIST, LABELS)
    np.testing.assert_array_equal(a, [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(p, [2, 0, 0, 4, 3])
    np.testing.assert_array_equal(n, [4, 3, 3, 2, 0])


def test_semi_hard_keeps_only_negatives_inside_the_band():
    a, p, n = semi_hard_triplets(DIST, LABELS, margin=0.3)
    got = set(zip(a.tolist(), p.tolist(), n.tolist()))
    # (0,1): d_ap 0.5, band (0.5, 0.8): negative 4 (0.7).  (0,2): band (0.9, 1.2): none (1.2 is
    # not < 1.2).  (1,0): band (0.5, 0.8): none.  (1,2): band (0.3, 0.6): none.  (2,0): band
    # (0.9, 1.2): none.  (2,1): band (0.3, 0.6): negative 3 (0.35).  (3,4): band (0.4, 0.7):
    # none (0.35 is harder than the positive).  (4,3): band (0.4, 0.7): none (0.7 excluded).
    assert got == {(0, 1, 4), (2, 1, 3)}
    for i, j, k in got:
        assert DIST[i, j] < DIST[i, k] < DIST[i, j] + 0.3


def test_semi_hard_picks_the_closest_of_several():
    labels = np.array([0, 0, 1, 2])
    dist = np.array(
        [[0, 1.0, 1.3, 1.1], [1.0, 0, 5, 5], [1.3, 5, 0, 5], [1.1, 5, 5, 0]], dtype=float
    )
    a, p, n = semi_hard_triplets(dist, labels, margin=0.5)
    assert (a.tolist(), p.tolist(), n.tolist()) == ([0], [1], [3])


def test_random_triplets_are_valid_and_seeded():
    labels = np.array([0, 0, 1, 1, 2, 3])  # people 2 and 3 have no positive
    a, p, n = random_triplets(labels, np.random.default_rng(0))
    np.testing.assert_array_equal(a, [0, 1, 2, 3])
    assert (labels[a] == labels[p]).all() and (a != p).all() and (labels[a] != labels[n]).all()
    again = random_triplets(labels, np.random.default_rng(0))
    np.testing.assert_array_equal(n, again.negative)


def test_mine_triplets_on_embeddings_and_empty_cases():
    x = np.array([[0.0, 0.0], [0.0, 1.0], [3.0, 0.0], [3.0, 1.0]])
    labels = np.array([0, 0, 1, 1])
    np.testing.assert_allclose(distance_matrix(x), np.linalg.norm(x[:, None] - x[None], axis=-1))
    a, p, n = mine_triplets(md.tensor(x), labels, "batch_hard")
    np.testing.assert_array_equal(n, [2, 3, 0, 1])
    # well separated by far more than the margin: no semi-hard triplet is left
    assert len(mine_triplets(x, labels, "semi_hard", margin=0.2).anchor) == 0
    assert len(random_triplets(np.array([0, 0]), np.random.default_rng(0)).anchor) == 0
    with pytest.raises(ValueError, match="strategy must be one of"):
        mine_triplets(x, labels, "hardest")
    with pytest.raises(ValueError, match="square"):
        batch_hard_triplets(np.zeros((2, 3)), np.array([0, 1]))
    with pytest.raises(ValueError, match="labels of shape \\(2,\\)"):
        semi_hard_triplets(np.zeros((2, 2)), np.array([0, 1, 1]), 0.2)
