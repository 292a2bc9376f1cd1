"""batch_norm (minidl/ops/norm.py) and BatchNorm2d: gradcheck and PyTorch equality in training
and eval mode, the running statistics (momentum, cumulative average), train/eval switching,
state dicts that carry over from PyTorch, and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import strategies as st
from op_harness import (
    Inputs,
    OpCase,
    op_tests,
    second_order_tests,
    values,
)

import minidl as md
import minidl.nn as nn
import minidl.nn.functional as F


def _batch_norm(data: st.DataObject) -> Inputs:
    ndim = data.draw(st.sampled_from([2, 3, 4]), label="ndim")
    shape = tuple(data.draw(st.integers(2 if i == 0 else 1, 4)) for i in range(ndim))
    C = shape[1]
    training = data.draw(st.booleans(), label="training")
    arrays = [values(data, shape)]
    affine = data.draw(st.booleans(), label="affine")
    if affine:
        arrays += [values(data, (C,)), values(data, (C,))]
    kwargs = {
        "mean": values(data, (C,)),
        "var": values(data, (C,), "positive"),
        "training": training,
        "momentum": data.draw(st.sampled_from([0.1, 0.5, 1.0])),
    }
    return Inputs(arrays, kwargs)


def _ours(x, *wb, mean, var, training, momentum):
    w, b = wb if wb else (None, None)
    return F.batch_norm(x, mean.copy(), var.copy(), w, b, training, momentum)


def _theirs(T, x, *wb, mean, var, training, momentum):
    w, b = wb if wb else (None, None)
    return T.nn.functional.batch_norm(x, T.tensor(mean), T.tensor(var), w, b, training, momentum)


CASES = [OpCase("batch_norm", _batch_norm, _ours, _theirs)]


test_gradcheck, test_matches_torch, test_float32_in_float32_out = op_tests(CASES, 20, 50)


@pytest.mark.parametrize("momentum", [0.1, None])
def test_batchnorm2d_tracks_running_statistics_like_torch(momentum, torch):
    rng = np.random.default_rng(0)
    ours = nn.BatchNorm2d(3, momentum=momentum)
    theirs = torch.nn.BatchNorm2d(3, momentum=momentum)
    for step in range(4):
        x = (rng.standard_normal((4, 3, 5, 6)) * (step + 1) + step).astype(np.float32)
        y = ours(md.tensor(x))
        t = theirs(torch.tensor(x))
        np.testing.assert_allclose(y.numpy(), t.detach().numpy(), atol=1e-5)
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        np.testing.assert_allclose(
            getattr(ours, name).numpy(), getattr(theirs, name).numpy(), rtol=1e-5, atol=1e-6
        )
    ours.eval(), theirs.eval()
    x = rng.standard_normal((2, 3, 4, 4)).astype(np.float32)
    np.testing.assert_allclose(
        ours(md.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(), atol=1e-5
    )


def test_eval_mode_leaves_running_statistics_alone():
    bn = nn.BatchNorm2d(2).eval()
    bn(md.tensor(np.random.default_rng(0).standard_normal((3, 2, 4, 4)).astype(np.float32)))
    np.testing.assert_array_equal(bn.running_mean.numpy(), 0)
    np.testing.assert_array_equal(bn.running_var.numpy(), 1)
    assert int(bn.num_batches_tracked.numpy()) == 0


def test_state_dict_loads_from_torch(torch):
    theirs = torch.nn.BatchNorm2d(4)
    theirs(torch.randn(8, 4, 3, 3) * 3 + 1)
    ours = nn.BatchNorm2d(4)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    ours.eval(), theirs.eval()
    x = np.random.default_rng(1).standard_normal((2, 4, 3, 3)).astype(np.float32)
    np.testing.assert_allclose(
        ours(md.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(), atol=1e-5
    )


def test_without_running_stats_it_always_uses_the_batch():
    bn = nn.BatchNorm2d(2, affine=False, track_running_stats=False).eval()
    x = np.random.default_rng(0).standard_normal((4, 2, 3, 3))
    y = bn(md.tensor(x)).numpy()
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-7)
    assert list(bn.state_dict()) == []


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda x: F.batch_norm(x[0, 0, 0], None, None, training=True),
            r"batch_norm: .* >= 2 dims",
        ),
        (
            lambda x: F.batch_norm(x, np.zeros(2), np.ones(2)),
            r"batch_norm: expected running_mean of shape \(3,\), got \(2,\)",
        ),
        (lambda x: F.batch_norm(x, None, None), r"batch_norm: running_mean and running_var are"),
        (
            lambda x: F.batch_norm(x[:1, :, :1, :1], None, None, training=True),
            r"batch_norm: expected more than 1 value per channel when training",
        ),
        (lambda x: nn.BatchNorm2d(4)(x), r"BatchNorm2d: expected input with 4 channels"),
        (lambda x: nn.BatchNorm2d(3)(x[0]), r"BatchNorm2d: expected a 4-D input"),
    ],
)
def test_bad_input_is_a_value_error_naming_the_op(call, message):
    with pytest.raises(ValueError, match=message):
        call(md.tensor(np.zeros((2, 3, 4, 4), np.float32)))


test_gradgradcheck, test_second_order_matches_torch = second_order_tests(CASES)
