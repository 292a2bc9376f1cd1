"""Faces: real LFW views split by identity, procedural identities, pixel-L2 verification."""

from __future__ import annotations

import numpy as np
import pytest

from minidl.data import (
    PairDataset,
    PKSampler,
    face_views,
    identity_split,
    lfw_faces,
    lfw_identities,
    procedural_identities,
    sample_pairs,
)


def pixel_verification_accuracy(images: np.ndarray, labels: np.ndarray, seed: int = 0) -> float:
    """Best-threshold accuracy of 'same person iff raw-pixel L2 distance <= T' on balanced
    pairs (the threshold is chosen on the same pairs: an upper bound for the baseline)."""
    first, second, same = sample_pairs(labels, 2000, seed)
    flat = images.reshape(len(images), -1)
    d = np.linalg.norm(flat[first] - flat[second], axis=1)
    order = np.argsort(d)
    # Predict 'same' for the k closest pairs, for every k.
    correct = (
        np.r_[0, np.cumsum(same[order])]
        + np.r_[(same == 0).sum(), (same == 0).sum() - np.cumsum(same[order] == 0)]
    )
    return float(correct.max() / len(same))


def test_lfw_faces_are_the_100_face_crops():
    faces = lfw_faces()
    assert faces.shape == (100, 25, 25) and faces.dtype == np.float32
    assert not faces.flags.writeable


def test_lfw_split_by_identity_is_disjoint_and_seeded():
    train = lfw_identities("train", views_per_identity=4, size=32, seed=0)
    test = lfw_identities("test", views_per_identity=4, size=32, seed=0)
    assert train.images.shape == (70 * 4, 1, 32, 32) and test.images.shape == (30 * 4, 1, 32, 32)
    assert train.images.dtype == np.float32 and train.labels.dtype == np.int64
    assert 0 <= train.images.min() and train.images.max() <= 1
    assert not set(train.labels) & set(test.labels)
    assert set(train.labels) | set(test.labels) == set(range(100))
    again = lfw_identities("test", views_per_identity=4, size=32, seed=0)
    np.testing.assert_array_equal(again.images, test.images)
    other = lfw_identities("test", views_per_identity=4, size=32, seed=1)
    assert set(other.labels) != set(test.labels)
    with pytest.raises(ValueError, match="split"):
        lfw_identities("val")


def test_identity_split_errors():
    train, test = identity_split(10, 3, seed=0)
    assert len(train) == 7 and len(test) == 3 and not set(train) & set(test)
    with pytest.raises(ValueError, match="test"):
        identity_split(10, 10)


def test_pixel_l2_verification_fails_under_the_nuisances():
    test = lfw_identities("test", views_per_identity=8, size=32, seed=0)
    acc = pixel_verification_accuracy(test.images, test.labels)
    assert 0.5 <= acc < 0.72
    synth = procedural_identities(60, views_per_identity=6, size=32, seed=0)
    assert pixel_verification_accuracy(synth.images, synth.labels) < 0.75


def test_without_nuisances_pixels_would_work():
    # The check above is meaningful: identical views of one person are trivially verified.
    faces = np.asarray(lfw_faces())[:30]
    views = np.repeat(faces, 4, axis=0)[:, None]
    assert pixel_verification_accuracy(views, np.repeat(np.arange(30), 4)) == 1.0


def test_views_vary_and_stay_in_range():
    faces = np.asarray(lfw_faces())[:3]
    views = face_views(faces, 5, np.random.default_rng(0), size=40)
    assert views.images.shape == (15, 1, 40, 40)
    np.testing.assert_array_equal(views.labels, np.repeat(np.arange(3), 5))
    assert np.abs(views.images[0] - views.images[1]).mean() > 0.02
    with pytest.raises(ValueError, match="views_per_identity"):
        face_views(faces, 0, np.random.default_rng(0))


def test_procedural_identities():
    a = procedural_identities(10, views_per_identity=3, size=24, seed=5)
    assert a.images.shape == (30, 1, 24, 24) and a.images.dtype == np.float32
    np.testing.assert_array_equal(a.images, procedural_identities(10, 3, 24, seed=5).images)
    # Different people differ more than two views of one person, on average, once the
    # lighting is normalised away (the per-identity geometry is really there).
    x = a.images.reshape(30, -1)
    x = (x - x.mean(1, keepdims=True)) / x.std(1, keepdims=True)
    first, second, same = sample_pairs(a.labels, 400, seed=0)
    d = np.linalg.norm(x[first] - x[second], axis=1)
    assert d[same == 1].mean() < d[same == 0].mean()


def test_sample_pairs_are_balanced_and_correct():
    labels = np.repeat(np.arange(6), [1, 2, 3, 4, 5, 6])
    first, second, same = sample_pairs(labels, 101, seed=0)
    assert len(first) == len(second) == len(same) == 101 and same.sum() == 50
    np.testing.assert_array_equal(labels[first] == labels[second], same == 1)
    assert (first != second).all()
    assert not (labels[first[same == 1]] == 0).any()  # person 0 has a single photo
    with pytest.raises(ValueError, match="two samples"):
        sample_pairs(np.arange(5), 10)
    ds = PairDataset(np.zeros((21, 1, 4, 4), np.float32), labels, 10, seed=1)
    x1, x2, s = ds[0]
    assert x1.shape == (1, 4, 4) and len(ds) == 10 and s.dtype == np.int64


def test_pk_sampler_batches():
    labels = np.repeat(np.arange(8), [1, 3, 3, 3, 5, 5, 2, 6])
    sampler = PKSampler(labels, p=4, k=3, num_batches=5, seed=0)
    batches = list(sampler)
    assert len(batches) == 5
    for b in batches:
        assert b.shape == (12,)
        ids = labels[b].reshape(4, 3)
        assert (ids == ids[:, :1]).all() and len(set(ids[:, 0])) == 4
        assert 0 not in ids  # one photo: no positive for it
    sampler.set_epoch(0)
    assert all(np.array_equal(x, y) for x, y in zip(batches, sampler, strict=True))
    with pytest.raises(ValueError, match="identities"):
        PKSampler(labels, p=8, k=2)
