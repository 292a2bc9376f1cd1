"""Every loss module (minidl/nn/loss.py, metric.py) built with PyTorch's constructor
arguments gives PyTorch's loss and input gradient; weights are buffers in the state_dict."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import minidl as md
import minidl.nn as nn

rng = np.random.default_rng(0)
X, Y = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
PROBS = 1 / (1 + np.exp(-X))
CLASSES = np.array([0, 2, 1, 1])
SIGNS = np.array([1.0, -1.0, -1.0, 1.0])
W = rng.uniform(0.5, 2, 3)

# (module, args, kwargs, input, the other forward arguments)
CASES = [
    ("L1Loss", (), {"reduction": "sum"}, X, [Y]),
    ("MSELoss", (), {}, X, [Y]),
    ("SmoothL1Loss", (), {"beta": 0.5}, X, [Y]),
    ("HuberLoss", ("none", 0.7), {}, X, [Y]),
    ("NLLLoss", (W,), {"ignore_index": 2}, X, [CLASSES]),
    ("CrossEntropyLoss", (W,), {"label_smoothing": 0.2, "reduction": "sum"}, X, [CLASSES]),
    ("CrossEntropyLoss", (), {}, X, [np.exp(Y) / np.exp(Y).sum(1, keepdims=True)]),
    ("BCELoss", (W,), {}, PROBS, [PROBS[::-1].copy()]),
    ("BCEWithLogitsLoss", (), {"pos_weight": W, "weight": W}, X, [PROBS]),
    ("KLDivLoss", (), {"reduction": "batchmean", "log_target": True}, X, [Y]),
    ("PoissonNLLLoss", (), {"full": True}, X, [np.abs(Y) * 3]),
    ("GaussianNLLLoss", (), {"full": True}, X, [Y, np.abs(Y)]),
    ("MarginRankingLoss", (0.5,), {}, X[:, 0], [Y[:, 0], SIGNS]),
    ("HingeEmbeddingLoss", (0.5,), {}, X, [np.sign(Y)]),
    ("CosineEmbeddingLoss", (0.2,), {}, X, [Y, SIGNS]),
    ("SoftMarginLoss", (), {"reduction": "none"}, X, [np.sign(Y)]),
    ("MultiLabelSoftMarginLoss", (W,), {}, X, [(Y > 0).astype(float)]),
    ("MultiMarginLoss", (2, 0.5, W), {}, X, [CLASSES]),
    ("TripletMarginLoss", (0.5, 1.0), {"swap": True}, X, [Y, Y[::-1].copy()]),
]


def _torch_value(torch, v):
    return torch.tensor(v) if isinstance(v, np.ndarray) else v


@pytest.mark.parametrize(("name", "args", "kwargs", "x", "rest"), CASES, ids=[c[0] for c in CASES])
def test_loss_module_matches_torch(torch, name, args, kwargs, x, rest):
    ours = md.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    out = getattr(nn, name)(*args, **kwargs)(ours, *(md.tensor(r) for r in rest))
    t_args = [_torch_value(torch, a) for a in args]
    t_kwargs = {k: _torch_value(torch, v) for k, v in kwargs.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = getattr(torch.nn, name)(*t_args, **t_kwargs)(
            theirs, *(_torch_value(torch, r) for r in rest)
        )
    np.testing.assert_allclose(out.numpy(), want.detach().numpy(), rtol=1e-12)
    v = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(v)
    want.backward(torch.tensor(v))
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_class_weights_are_buffers_as_in_torch(torch):
    for name in ["CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss"]:
        ours = getattr(nn, name)(weight=W)
        assert list(ours.state_dict()) == list(
            getattr(torch.nn, name)(torch.tensor(W)).state_dict()
        )
    assert "pos_weight" in nn.BCEWithLogitsLoss(pos_weight=W).state_dict()


def test_legacy_arguments_and_bad_reductions():
    with pytest.warns(DeprecationWarning, match="MSELoss: size_average and reduce"):
        assert nn.MSELoss(size_average=False).reduction == "sum"
    with pytest.raises(ValueError, match=r"L1Loss: reduction must be one of .* got 'batchmean'"):
        nn.L1Loss(reduction="batchmean")
    assert nn.KLDivLoss(reduction="batchmean").reduction == "batchmean"
