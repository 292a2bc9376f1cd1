"""Metric losses (minidl/ops/metric_loss.py): gradcheck away from the hinge, PyTorch, errors."""

from __future__ import annotations

import numpy as np
import pytest

import minidl as md
import minidl.nn as nn
import minidl.nn.functional as F


def _triplets(rng: np.random.Generator, n: int, d: int, margin: float, p: float, swap: bool):
    """float64 (a, p, n), half of them inside the margin and half beyond it (a far negative),
    every hinge and every swap minimum at least 0.1 away from its kink."""
    dist = lambda x, y: np.sum(np.abs(x - y + 1e-6) ** p) ** (1 / p)  # noqa: E731
    rows: list[np.ndarray] = []
    while len(rows) < n:
        a = rng.standard_normal(d)
        pos = a + 0.3 * rng.standard_normal(d)
        neg = a + (0.3 if len(rows) % 2 else 3.0) * rng.standard_normal(d)
        d_an, d_pn = dist(a, neg), dist(pos, neg)
        if swap and abs(d_an - d_pn) < 0.1:
            continue
        if abs(margin + dist(a, pos) - (min(d_an, d_pn) if swap else d_an)) < 0.1:
            continue
        rows.append(np.stack([a, pos, neg]))
    return [md.tensor(np.ascontiguousarray(x), requires_grad=True) for x in np.stack(rows, 1)]


@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize(("p", "squared"), [(1.0, False), (2.0, False), (3.0, False), (2.0, True)])
def test_triplet_gradcheck(p, swap, squared):
    margin = 0.2 if squared else 1.0
    inputs = _triplets(np.random.default_rng(0), 6, 4, margin, p, swap)
    fn = lambda a, b, c: F.triplet_margin_loss(  # noqa: E731
        a, b, c, margin, p, swap=swap, reduction="none", squared=squared
    )
    loss = fn(*inputs)
    assert (loss.numpy() > 0).any() and (loss.numpy() == 0).any()  # both sides of the hinge
    assert md.gradcheck(fn, inputs)
    assert md.gradgradcheck(fn, inputs)


def test_contrastive_gradcheck():
    rng = np.random.default_rng(2)
    x1, x2 = (md.tensor(a, requires_grad=True) for a in rng.normal(size=(2, 8, 3)))
    d = np.linalg.norm(x1.numpy() - x2.numpy() + 1e-6, axis=1)
    margin = float(np.median(d))  # some different pairs inside the margin, some outside
    assert np.abs(d - margin).min() > 1e-3
    same = np.array([1, 0, 1, 0, 0, 1, 0, 0])
    assert md.gradcheck(lambda a, b: F.contrastive_loss(a, b, same, margin), [x1, x2])
    assert md.gradgradcheck(lambda a, b: F.contrastive_loss(a, b, same, margin), [x1, x2])


def test_contrastive_matches_its_formula():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(2, 6, 4))
    same = np.array([1, 1, 0, 0, 1, 0])
    d = np.linalg.norm(a - b + 1e-6, axis=1)
    want = 0.5 * same * d**2 + 0.5 * (1 - same) * np.maximum(0, 2.0 - d) ** 2
    got = F.contrastive_loss(md.tensor(a), md.tensor(b), same, margin=2.0, reduction="none")
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)


# ---- PyTorch as the oracle ------------------------------------------------------------------


def _compare(torch, ours_fn, torch_fn, arrays, rtol=1e-10):
    ours = [md.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, expected = ours_fn(*ours), torch_fn(*theirs)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=rtol, atol=1e-12)
    v = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(v)
    expected.backward(torch.tensor(v))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=rtol, atol=1e-12)


@pytest.mark.parametrize("p", [1, 1.5, 2, 3])
@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(7, 5), (5,)])
def test_triplet_equals_torch(torch, p, swap, reduction, shape):
    arrays = list(np.random.default_rng(4).normal(size=(3, *shape)))
    _compare(
        torch,
        lambda a, b, c: F.triplet_margin_loss(a, b, c, 0.8, p, swap=swap, reduction=reduction),
        lambda a, b, c: torch.nn.functional.triplet_margin_loss(
            a, b, c, margin=0.8, p=p, swap=swap, reduction=reduction
        ),
        arrays,
    )


@pytest.mark.parametrize("swap", [False, True])
def test_triplet_squared_equals_torch_with_squared_distance(torch, swap):
    arrays = list(np.random.default_rng(5).normal(size=(3, 9, 4)) * 0.3)
    tf = torch.nn.functional
    _compare(
        torch,
        lambda a, b, c: F.triplet_margin_loss(a, b, c, 0.2, swap=swap, squared=True),
        lambda a, b, c: tf.triplet_margin_with_distance_loss(
            a,
            b,
            c,
            distance_function=lambda x, y: tf.pairwise_distance(x, y) ** 2,
            margin=0.2,
            swap=swap,
        ),
        arrays,
    )


@pytest.mark.parametrize(
    "shapes", [((1, 5), (4, 5), (4, 5)), ((4, 1), (4, 5), (1, 5)), ((3,), (3,), (3,))]
)
def test_triplet_broadcasts_as_torch(torch, shapes):
    rng = np.random.default_rng(8)
    arrays = [rng.normal(size=s) for s in shapes]
    _compare(
        torch,
        lambda a, b, c: F.triplet_margin_loss(a, b, c, 0.5, 1.5, swap=True, reduction="none"),
        lambda a, b, c: torch.nn.functional.triplet_margin_loss(
            a, b, c, margin=0.5, p=1.5, swap=True, reduction="none"
        ),
        arrays,
    )


@pytest.mark.parametrize("swap", [False, True])
def test_triplet_with_distance_equals_torch(torch, swap):
    arrays = list(np.random.default_rng(9).normal(size=(3, 6, 4)))
    tf = torch.nn.functional
    _compare(
        torch,
        lambda a, b, c: F.triplet_margin_with_distance_loss(
            a, b, c, distance_function=nn.PairwiseDistance(p=1.0), margin=0.7, swap=swap
        ),
        lambda a, b, c: tf.triplet_margin_with_distance_loss(
            a, b, c, distance_function=torch.nn.PairwiseDistance(p=1.0), margin=0.7, swap=swap
        ),
        arrays,
    )
    _compare(
        torch,
        lambda a, b, c: nn.TripletMarginWithDistanceLoss(
            distance_function=lambda x, y: 1 - F.cosine_similarity(x, y), reduction="sum"
        )(a, b, c),
        lambda a, b, c: torch.nn.TripletMarginWithDistanceLoss(
            distance_function=lambda x, y: 1 - tf.cosine_similarity(x, y), reduction="sum"
        )(a, b, c),
        arrays,
    )


def test_triplet_legacy_reduction_arguments(torch):
    a, p, n = (md.tensor(x) for x in np.random.default_rng(10).normal(size=(3, 4, 2)))
    with pytest.warns(DeprecationWarning, match="triplet_margin_loss: size_average and reduce"):
        per = F.triplet_margin_loss(a, p, n, 1.0, 2, 1e-6, False, None, False)
    assert per.shape == (4,)
    with pytest.warns(DeprecationWarning):
        assert nn.TripletMarginLoss(size_average=False).reduction == "sum"


def test_triplet_module_and_float32():
    a, p, n = (
        md.tensor(x.astype(np.float32), requires_grad=True)
        for x in np.random.default_rng(7).normal(size=(3, 4, 5))
    )
    loss = nn.TripletMarginLoss(margin=0.5, swap=True)(a, p, n)
    assert loss.dtype == np.float32 and loss.shape == ()
    loss.backward()
    assert all(t.grad.dtype == np.float32 for t in (a, p, n))


def test_zero_margin_is_allowed_and_constant_embedding_costs_nothing():
    """The collapse the lesson shows: f(x) = 0 for every x makes the margin-0 loss exactly 0."""
    zeros = md.zeros(4, 8)
    assert F.triplet_margin_loss(zeros, zeros, zeros, margin=0.0).item() == 0.0
    assert F.triplet_margin_loss(zeros, zeros, zeros, margin=0.2).item() == pytest.approx(0.2)


# ---- bad input -------------------------------------------------------------------------------


def test_embeddings_that_do_not_broadcast_or_differ_in_dims_are_refused():
    a, b = md.zeros(4, 8), md.zeros(3, 8)
    with pytest.raises(
        ValueError,
        match=r"triplet_margin_loss: shapes do not broadcast together: anchor \(4, 8\), "
        r"positive \(3, 8\)",
    ):
        F.triplet_margin_loss(a, b, a)
    with pytest.raises(ValueError, match="triplet_margin_loss: expected tensors with the same"):
        F.triplet_margin_loss(a, a, md.zeros(8))
    with pytest.raises(ValueError, match="contrastive_loss: x1 .* must have the same shape"):
        F.contrastive_loss(a, md.zeros(1, 8), np.ones(4))
    with pytest.raises(ValueError, match="contrastive_loss: shapes do not broadcast"):
        F.contrastive_loss(a, md.zeros(4, 7), np.ones(4))
    with pytest.raises(ValueError, match="expected same of shape \\(4,\\)"):
        F.contrastive_loss(a, a, np.ones(3))


def test_bad_arguments_are_refused():
    a = md.zeros(2, 3)
    with pytest.raises(TypeError, match="margin must be a number"):
        F.triplet_margin_loss(a, a, a, margin="1")
    with pytest.raises(ValueError, match="contrastive_loss: margin must be >= 0"):
        F.contrastive_loss(a, a, np.ones(2), margin=-0.1)
    with pytest.raises(ValueError, match="triplet_margin_with_distance_loss: margin must be"):
        F.triplet_margin_with_distance_loss(a, a, a, margin=0.0)
    with pytest.raises(TypeError, match="distance_function must take two minidl Tensors"):
        F.triplet_margin_with_distance_loss(a, a, a, distance_function=lambda x, y: x + "s")
    with pytest.raises(ValueError, match="p must be 2"):
        F.triplet_margin_loss(a, a, a, p=1, squared=True)
    with pytest.raises(ValueError, match="reduction"):
        F.triplet_margin_loss(a, a, a, reduction="avg")
