"""Distances (minidl/ops/distance.py): pairwise_distance, cosine_similarity and normalize
against PyTorch with broadcasting, every p (0, 1, 2, 3, ±inf, negative), keepdim, zero
vectors (the eps and the norm's subgradient at 0), 0-d inputs; gradcheck; modules; errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import strategies as st
from op_harness import Inputs, OpCase, op_tests, second_order_tests, values

import minidl as md
import minidl.nn as nn
import minidl.nn.functional as F

P_SMOOTH = [1.5, 2.0, 3.0, -1.0]  # 1 and ±inf have kinks, 0 is piecewise constant


def _broadcasting_pair(data: st.DataObject) -> Inputs:
    a, b = data.draw(
        st.sampled_from([((4, 3), (4, 3)), ((1, 3), (4, 3)), ((2, 1, 3), (4, 3)), ((3,), (3,))]),
        label="shapes",
    )
    # x1 >= 5.5 > x2: no coordinate of x1 − x2 near 0, where |d|^p has its kink for p < 2
    x1, x2 = 5 + values(data, a, "positive"), values(data, b)
    return Inputs([x1, x2], {"p": data.draw(st.sampled_from(P_SMOOTH))})


def _cosine_pair(data: st.DataObject) -> Inputs:
    a, b = data.draw(
        st.sampled_from([((4, 3), (4, 3)), ((4, 1), (4, 3)), ((2, 4, 3), (4, 3))]), label="shapes"
    )
    dim = data.draw(st.integers(-2, 1 if len(a) > 1 else 0), label="dim")
    return Inputs([values(data, a), values(data, b)], {"dim": dim})


def _one(data: st.DataObject) -> Inputs:
    shape = data.draw(st.sampled_from([(4, 3), (2, 3, 2)]), label="shape")
    kw = {"p": data.draw(st.sampled_from(P_SMOOTH)), "dim": data.draw(st.integers(-2, 1))}
    return Inputs([values(data, shape)], kw)


CASES = [
    OpCase(
        "pairwise_distance",
        _broadcasting_pair,
        lambda a, b, p: F.pairwise_distance(a, b, p),
        lambda T, a, b, p: T.nn.functional.pairwise_distance(a, b, p),
    ),
    OpCase(
        "cosine_similarity",
        _cosine_pair,
        lambda a, b, dim: F.cosine_similarity(a, b, dim),
        lambda T, a, b, dim: T.nn.functional.cosine_similarity(a, b, dim),
    ),
    OpCase(
        "normalize",
        _one,
        lambda a, p, dim: F.normalize(a, p, dim),
        lambda T, a, p, dim: T.nn.functional.normalize(a, p, dim),
    ),
]

test_gradcheck, test_matches_torch, test_float32_in_float32_out = op_tests(CASES, 10, 20, 3)


def _compare(torch, ours_fn, torch_fn, arrays, rtol=1e-10):
    ours = [md.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, want = ours_fn(*ours), torch_fn(*theirs)
    assert out.shape == tuple(want.shape)
    np.testing.assert_allclose(out.numpy(), want.detach().numpy(), rtol=rtol, atol=1e-12)
    v = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(v)
    want.backward(torch.tensor(v))
    for a, b in zip(ours, theirs):
        want = np.zeros(b.shape) if b.grad is None else b.grad.numpy()  # p = 0: no gradient
        np.testing.assert_allclose(a.grad, want, rtol=rtol, atol=1e-12)


@pytest.mark.parametrize("p", [0, 0.5, 1, 2, 3, math.inf, -math.inf, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_pairwise_distance_every_p_with_ties_and_zeros_equals_torch(torch, p, keepdim):
    x1, x2 = np.random.default_rng(6).normal(size=(2, 6, 3))
    x2[0] = x1[0]  # a zero difference: eps keeps the distance and gradient finite
    x2[1] = x1[1] + np.array([0.5, -0.5, 0.1]) - 1e-6  # a tie for the largest |d|
    tf = torch.nn.functional
    _compare(
        torch,
        lambda a, b: F.pairwise_distance(a, b, p, keepdim=keepdim),
        lambda a, b: tf.pairwise_distance(a, b, p, keepdim=keepdim),
        [x1, x2],
    )


@pytest.mark.parametrize("p", [1, 2, 3, math.inf, 0.5])
def test_normalize_with_zero_vectors_equals_torch(torch, p):
    x = np.random.default_rng(7).normal(size=(5, 4))
    x[2] = 0.0  # the norm is clamped to eps: the gradient is g / eps
    _compare(
        torch,
        lambda a: F.normalize(a, p, dim=1),
        lambda a: torch.nn.functional.normalize(a, p, dim=1),
        [x],
    )


def test_cosine_similarity_with_zero_vectors_and_0d_inputs_equals_torch(torch):
    x1, x2 = np.random.default_rng(8).normal(size=(2, 4, 3))
    x1[1] = 0.0  # the norm is raised to eps in value, the gradient is the norm's
    tf = torch.nn.functional
    _compare(torch, lambda a, b: F.cosine_similarity(a, b), tf.cosine_similarity, [x1, x2])
    _compare(
        torch,
        lambda a, b: F.cosine_similarity(a, b, 0),
        lambda a, b: tf.cosine_similarity(a, b, 0),
        [np.array(0.7), np.array(-2.0)],
    )
    _compare(
        torch,
        lambda a, b: F.pairwise_distance(a, b),
        tf.pairwise_distance,
        [np.array(0.7), np.array(-2.0)],
    )


def test_modules_take_torch_constructor_arguments(torch):
    x1, x2 = np.random.default_rng(9).normal(size=(2, 3, 5))
    t1, t2 = torch.tensor(x1), torch.tensor(x2)
    pairs = [
        (nn.PairwiseDistance(p=1.0, keepdim=True), torch.nn.PairwiseDistance(p=1.0, keepdim=True)),
        (nn.CosineSimilarity(dim=0, eps=1e-6), torch.nn.CosineSimilarity(dim=0, eps=1e-6)),
    ]
    for ours, theirs in pairs:
        np.testing.assert_allclose(
            ours(md.tensor(x1), md.tensor(x2)).numpy(), theirs(t1, t2).numpy(), rtol=1e-12
        )


def test_bad_arguments_name_the_op_the_argument_and_the_value():
    a = md.zeros(2, 3)
    with pytest.raises(ValueError, match=r"pairwise_distance: shapes do not broadcast together"):
        F.pairwise_distance(a, md.zeros(3, 3))
    with pytest.raises(ValueError, match=r"pairwise_distance: p must be a real number .* 'x'"):
        F.pairwise_distance(a, a, p="x")
    with pytest.raises(IndexError, match=r"cosine_similarity: dim 2 is out of range"):
        F.cosine_similarity(a, a, dim=2)
    with pytest.raises(IndexError, match=r"normalize: dim 2 is out of range"):
        F.normalize(a, dim=2)
    with pytest.raises(NotImplementedError, match="normalize: out= is not supported"):
        F.normalize(a, out=a)
    with pytest.raises(TypeError, match="normalize: eps must be a number, got None"):
        F.normalize(a, eps=None)


test_gradgradcheck, test_second_order_matches_torch = second_order_tests(CASES)
