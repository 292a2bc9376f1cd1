"""The lines a student carries over from a PyTorch course (issue 14's table), each typed
the same way in both libraries and giving the same numbers."""

from __future__ import annotations

import numpy as np
import pytest

import minidl as md
import minidl.nn.functional as F

RNG = np.random.default_rng(14)
X = RNG.standard_normal((3, 4))


def both(torch, array):
    return md.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)


def same(ours, theirs):
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_reductions_take_dim_and_keepdim(torch):
    a, b = both(torch, X)
    same(a.sum(dim=1), b.sum(dim=1))
    same(a.mean(dim=0, keepdim=True), b.mean(dim=0, keepdim=True))
    same(a.argmax(dim=1), b.argmax(dim=1))


def test_size_is_a_method(torch):
    a, b = both(torch, X)
    assert a.size() == tuple(b.size()) and a.size(0) == b.size(0) == 3
    assert a.size(-1) == b.size(-1) == 4


def test_max_with_a_dim_unpacks_into_values_and_indices(torch):
    a, b = both(torch, X)
    values, idx = a.max(1)
    want = b.max(1)
    same(values, want.values)
    np.testing.assert_array_equal(idx.numpy(), want.indices.numpy())
    assert a.max(1).indices is not None and a.min(dim=0).values.shape == (4,)


def test_cat_with_dim(torch):
    (a, b), (c, d) = both(torch, X), both(torch, X[:2])
    same(md.cat([a, c], dim=0), torch.cat([b, d], dim=0))


def test_depthwise_conv2d_with_groups(torch):
    x, w = RNG.standard_normal((2, 4, 7, 6)), RNG.standard_normal((4, 1, 3, 3))
    (xa, xb), (wa, wb) = both(torch, x), both(torch, w)
    ours, theirs = F.conv2d(xa, wa, groups=4), torch.nn.functional.conv2d(xb, wb, groups=4)
    same(ours, theirs)
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_allclose(wa.grad, wb.grad.numpy(), rtol=1e-9)


@pytest.mark.parametrize("kwargs", [{"ceil_mode": True}, {"dilation": 2}])
def test_max_pool2d_ceil_mode_and_dilation(kwargs, torch):
    xa, xb = both(torch, RNG.standard_normal((1, 2, 7, 9)))
    same(F.max_pool2d(xa, 2, **kwargs), torch.nn.functional.max_pool2d(xb, 2, **kwargs))


def test_interpolate_bilinear(torch):
    xa, xb = both(torch, RNG.standard_normal((1, 2, 3, 5)))
    same(
        F.interpolate(xa, scale_factor=2, mode="bilinear"),
        torch.nn.functional.interpolate(xb, scale_factor=2, mode="bilinear"),
    )


def test_cross_entropy_label_smoothing(torch):
    la, lb = both(torch, RNG.standard_normal((5, 3)))
    target = np.array([0, 2, 1, 1, 0])
    ours = F.cross_entropy(la, md.tensor(target), label_smoothing=0.1)
    theirs = torch.nn.functional.cross_entropy(lb, torch.tensor(target), label_smoothing=0.1)
    same(ours, theirs)
    ours.backward()
    theirs.backward()
    np.testing.assert_allclose(la.grad, lb.grad.numpy(), rtol=1e-9)
