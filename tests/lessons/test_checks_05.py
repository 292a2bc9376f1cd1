"""Lesson 05's checkers catch the usual mistakes (the generic skeleton/solution test is in
test_exercises.py)."""

from __future__ import annotations

import numpy as np

from minidl.lessons.checks.lesson05 import check_batch_hard, check_triplet_backward
from minidl.lessons.solutions.lesson05 import my_batch_hard, my_triplet_backward


def test_batch_hard_catches_the_anchor_as_its_own_positive_and_unusable_anchors():
    def self_positive(dist, labels):
        same = labels[:, None] == labels[None, :]
        anchors = np.arange(len(labels))
        return (
            anchors,
            np.where(same, dist, -np.inf).argmax(1),
            np.where(~same, dist, np.inf).argmin(1),
        )

    def every_anchor(dist, labels):
        same = labels[:, None] == labels[None, :]
        positive = same & ~np.eye(len(labels), dtype=bool)
        anchors = np.arange(len(labels))
        return (
            anchors,
            np.where(positive, dist, -np.inf).argmax(1),
            np.where(~same, dist, np.inf).argmin(1),
        )

    def hardest_is_closest(dist, labels):  # the easiest positive instead of the hardest
        a, _, n = my_batch_hard(dist, labels)
        positive = (labels[:, None] == labels[None, :]) & ~np.eye(len(labels), dtype=bool)
        return a, np.where(positive, dist, np.inf).argmin(1)[a], n

    assert check_batch_hard(my_batch_hard).ok
    for wrong in (self_positive, every_anchor, hardest_is_closest):
        result = check_batch_hard(wrong)
        assert not result.ok and "hint:" in repr(result)
    lists = lambda d, l: tuple(list(x) for x in my_batch_hard(d, l))  # noqa: E731
    assert check_batch_hard(lists).ok  # lists of ints are answers too


def test_triplet_backward_catches_unmasked_unscaled_and_unsquared_gradients():
    def unmasked(a, p, n, margin, grad, squared=False):
        return my_triplet_backward(a, p, n, margin + 1e3, grad, squared)

    def unscaled(a, p, n, margin, grad, squared=False):
        return my_triplet_backward(a, p, n, margin, np.ones_like(grad), squared)

    def never_squared(a, p, n, margin, grad, squared=False):
        return my_triplet_backward(a, p, n, margin, grad, False)

    assert check_triplet_backward(my_triplet_backward).ok
    for wrong, case in ((unmasked, "case 3"), (unscaled, "case 2"), (never_squared, "case 5")):
        result = check_triplet_backward(wrong)
        assert not result.ok and case in repr(result)
