"""Checkers of lesson 05 (face verification): batch-hard mining and the triplet loss backward."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import minidl as md
import minidl.nn.functional as F
from minidl.mining import batch_hard_triplets, distance_matrix

from ..grading import Case, Result, compare, grade


def _embeddings(n: int, d: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, d))


def _triplets_check(expected: Callable[[], Any]) -> Callable[[Any], str | None]:
    """Compare (anchors, positives, negatives) as int arrays, whatever sequence type came back."""

    def check(got: Any) -> str | None:
        if not isinstance(got, tuple | list) or len(got) != 3:
            return f"expected three index arrays (anchors, positives, negatives), got {got!r}"
        try:
            have = [np.asarray(g).astype(np.int64).reshape(-1) for g in got]
        except (TypeError, ValueError) as error:
            return f"could not read the answer as three integer arrays: {error}"
        want = [np.asarray(w, dtype=np.int64) for w in expected()]
        for name, w, h in zip(("anchors", "positives", "negatives"), want, have):
            wrong = compare(h, w, 0, 0)
            if wrong is not None:
                return f"{name}: {wrong}"
        return None

    return check


def _mining_case(name: str, dist: np.ndarray, labels: np.ndarray, hint: str) -> Case:
    def run(fn: Callable) -> Any:
        return fn(dist.copy(), labels.copy())

    return Case(name, run, check=_triplets_check(lambda: batch_hard_triplets(dist, labels)),
                hint=hint)  # fmt: skip


def check_batch_hard(my_batch_hard: Callable[[np.ndarray, np.ndarray], Any]) -> Result:
    """``my_batch_hard(dist, labels)`` → (anchors, positives, negatives), as
    `minidl.mining.batch_hard_triplets`: per anchor with a positive and a negative in the batch,
    the farthest positive and the closest negative; ties to the lowest index."""
    rng = np.random.default_rng(5)
    square = distance_matrix(_embeddings(8, 3, 0))
    labels8 = np.array([0, 0, 1, 1, 2, 2, 3, 3])
    odd = distance_matrix(_embeddings(7, 5, 1))
    labels7 = np.array([4, 1, 4, 1, 4, 9, 1])  # person 9 has one photo: never an anchor
    ties = np.round(distance_matrix(rng.integers(0, 3, (9, 2)).astype(float)), 6)
    labels9 = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2])
    alone = distance_matrix(_embeddings(5, 2, 2))
    labels_alone = np.array([0, 1, 2, 3, 0])  # only 0 and 4 have a positive
    one_person = distance_matrix(_embeddings(4, 2, 3))
    big = distance_matrix(_embeddings(33, 16, 4))
    labels33 = rng.integers(0, 6, 33)
    cases = [
        _mining_case("8 embeddings, 4 people x 2 photos", square, labels8,
                     "the positive is the FARTHEST photo of the same person (not the anchor "
                     "itself), the negative the CLOSEST photo of anyone else"),
        _mining_case("7 photos (odd batch), person 9 has only one photo", odd, labels7,
                     "an anchor without a positive (a person with one photo) is skipped: "
                     "return only anchors that have both a positive and a negative"),
        _mining_case("9 points on a small grid: many equal distances", ties, labels9,
                     "on a tie take the lowest index (np.argmax / np.argmin do)"),
        _mining_case("5 photos, three people with one photo each", alone, labels_alone,
                     "the anchors are 0 and 4 only; anchors come out in increasing order"),
        _mining_case("4 photos of one person: no negatives", one_person, np.zeros(4, int),
                     "without a negative no anchor is usable: return three empty arrays"),
        _mining_case("33 photos of 6 people (random labels)", big, labels33,
                     "mask the anchor itself out of its positives: d(a, a) = 0 is never the "
                     "farthest, but it must not be chosen either when all positives tie"),
    ]  # fmt: skip
    return grade("batch_hard", my_batch_hard, cases)


def _reference_grads(
    a: np.ndarray, p: np.ndarray, n: np.ndarray, margin: float, g: np.ndarray, squared: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """∂(Σ g_i l_i)/∂(a, p, n) by minidl's autograd of `F.triplet_margin_loss` (eps = 0)."""
    ts = [md.tensor(x, requires_grad=True) for x in (a, p, n)]
    loss = F.triplet_margin_loss(*ts, margin=margin, eps=0.0, reduction="none", squared=squared)
    (loss * md.tensor(g)).sum().backward()
    return tuple(np.asarray(t.grad) for t in ts)  # type: ignore[return-value]


def _triplets(n: int, d: int, seed: int, far: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """Triplets whose hinges stay away from 0 (no kink): ``far`` marks negatives pushed out."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, d))
    p = a + 0.3 * rng.normal(size=(n, d))
    scale = np.where(far, 4.0, 0.3) if far is not None else np.full(n, 0.3)
    neg = a + scale[:, None] * rng.normal(size=(n, d))
    return a, p, neg


def check_triplet_backward(my_triplet_backward: Callable[..., Any]) -> Result:
    """``my_triplet_backward(a, p, n, margin, grad, squared=False)`` → (grad_a, grad_p, grad_n):
    the gradients of Σ_i grad_i · max(0, d(a_i, p_i) − d(a_i, n_i) + margin), with d the
    Euclidean distance (its square with ``squared=True``), against minidl's autograd."""

    def case(name: str, n: int, d: int, seed: int, margin: float, hint: str,
             squared: bool = False, far: Any = None, ones: bool = False) -> Case:  # fmt: skip
        a, p, neg = _triplets(n, d, seed, None if far is None else np.asarray(far))
        rng = np.random.default_rng(seed + 100)
        g = np.ones(n) if ones else rng.uniform(0.5, 2.0, n)

        def run(fn: Callable) -> Any:
            got = fn(a.copy(), p.copy(), neg.copy(), margin, g.copy(), squared=squared)
            return tuple(got) if isinstance(got, list) else got

        return Case(name, run, lambda: _reference_grads(a, p, neg, margin, g, squared),
                    hint=hint, rtol=1e-6, atol=1e-9)  # fmt: skip

    cases = [
        case("one triplet in 2-D, hinge active, upstream grad 1", 1, 2, 0, 1.0,
             "∂d(a,p)/∂a = (a − p)/||a − p|| (a unit vector); ∂L/∂a = u_ap − u_an, "
             "∂L/∂p = −u_ap, ∂L/∂n = u_an", ones=True),
        case("5 triplets in 3-D, all active, upstream grad per triplet", 5, 3, 1, 2.0,
             "multiply each triplet's gradient by its own grad_i (shape (N,) → (N, 1))"),
        case("6 triplets in 4-D, every other one inactive (its negative is far)", 6, 4, 2, 0.5,
             "a satisfied triplet (d_ap − d_an + margin < 0) has loss 0 and zero gradient "
             "for a, p AND n", far=[0, 1, 0, 1, 0, 1]),
        case("7 triplets in 17-D, all inactive", 7, 17, 3, 0.1,
             "every hinge is inactive here: all three gradients are zero", far=[1] * 7),
        case("9 triplets in 5-D, squared distances (FaceNet), some inactive", 9, 5, 4, 0.7,
             "with squared=True, ∂||a − p||²/∂a = 2 (a − p): no division by the norm",
             squared=True, far=[0, 0, 1, 0, 1, 0, 0, 1, 0]),
        case("3 triplets in 1-D, squared", 3, 1, 5, 1.5,
             "1-D embeddings are (N, 1) arrays; keep that shape", squared=True),
    ]  # fmt: skip
    return grade("triplet_backward", my_triplet_backward, cases)
