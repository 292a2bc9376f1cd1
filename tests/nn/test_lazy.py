"""Lazy layers read their input size on the first call and then are the real layer."""

from __future__ import annotations

import numpy as np
import pytest

import minidl as md
import minidl.nn as nn


@pytest.mark.parametrize(
    "lazy,args,shape",
    [
        ("LazyLinear", (4,), (3, 5)),
        ("LazyConv2d", (4, 3), (2, 3, 6, 7)),
        ("LazyConv1d", (4, 3), (2, 3, 9)),
        ("LazyConvTranspose2d", (4, 2), (2, 3, 5, 5)),
        ("LazyBatchNorm2d", (), (2, 3, 4, 4)),
        ("LazyBatchNorm1d", (), (5, 3)),
    ],
)
def test_lazy_layer_becomes_the_real_one_and_matches_torch(lazy, args, shape, torch):
    x = np.random.default_rng(0).standard_normal(shape)
    ours, theirs = getattr(nn, lazy)(*args), getattr(torch.nn, lazy)(*args).double()
    assert list(ours.parameters()) == []  # nothing to learn before the first call
    theirs(torch.tensor(x))  # materialise torch's too, then give ours its values
    ours(md.tensor(x, dtype=md.float32))  # the layer's default dtype, as in PyTorch
    assert type(ours).__name__ == lazy.removeprefix("Lazy")
    ours.to(md.float64)
    ours.load_state_dict({k: md.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    np.testing.assert_allclose(
        ours(md.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10
    )


def test_lazy_linear_keeps_eval_mode_and_builds_from_the_last_dim():
    layer = nn.LazyLinear(2, bias=False)
    layer.eval()
    layer(md.ones(3, 7))
    assert not layer.training and layer.weight.shape == (2, 7) and layer.bias is None
