"""Activation modules (minidl/nn/activation.py): built with PyTorch's constructor arguments,
they give PyTorch's outputs and gradients (PReLU's weight gradient too); inplace=True works
in a Sequential; repr as PyTorch's."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import minidl as md
import minidl.nn as nn

MODULES = [
    ("ReLU", (), {}), ("ReLU", (), {"inplace": True}), ("ReLU6", (), {}),
    ("LeakyReLU", (0.2,), {}), ("LeakyReLU", (), {"negative_slope": 0.05, "inplace": True}),
    ("ELU", (0.5,), {}), ("CELU", (), {"alpha": 2.0}), ("SELU", (), {"inplace": True}),
    ("GELU", (), {}), ("GELU", ("tanh",), {}), ("SiLU", (), {}), ("Mish", (), {}),
    ("Softplus", (2.0, 1.0), {}), ("Hardtanh", (-2.0, 0.5), {}),
    ("Hardtanh", (), {"min_value": -0.3, "max_value": 0.3}), ("Hardsigmoid", (), {}),
    ("Hardswish", (), {}), ("LogSigmoid", (), {}), ("Softsign", (), {}), ("Tanhshrink", (), {}),
    ("Hardshrink", (0.3,), {}), ("Softshrink", (), {"lambd": 0.3}), ("Threshold", (0.1, 20.0), {}),
    ("Sigmoid", (), {}), ("Tanh", (), {}), ("GLU", (1,), {}), ("Softmax", (1,), {}),
    ("LogSoftmax", (), {"dim": 0}), ("Softmin", (-1,), {}),
]  # fmt: skip


@pytest.mark.parametrize(("name", "args", "kwargs"), MODULES, ids=lambda v: str(v))
def test_module_matches_torch(torch, name, args, kwargs):
    x = np.random.default_rng(0).normal(0, 2, (3, 4, 5))
    ours, theirs = md.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out = getattr(nn, name)(*args, **kwargs)(ours * 1)  # as torch: in place needs a non-leaf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's deprecation of Hardtanh's min_value
        module = getattr(torch.nn, name)(*args, **kwargs)
    want = module(theirs * 1)
    np.testing.assert_allclose(out.numpy(), want.detach().numpy(), rtol=1e-12, atol=1e-15)
    v = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(v)
    want.backward(torch.tensor(v))
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-7, atol=1e-15)


@pytest.mark.parametrize("num_parameters", [1, 4])
def test_prelu_module_matches_torch_with_its_weight_gradient(torch, num_parameters):
    ours, theirs = nn.PReLU(num_parameters, init=0.1), torch.nn.PReLU(num_parameters, init=0.1)
    assert ours.weight.shape == tuple(theirs.weight.shape) and ours.weight.dtype == np.float32
    ours.double()
    theirs.double()
    x = np.random.default_rng(2).standard_normal((2, 4, 3))
    a, b = md.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, want = ours(a), theirs(b)
    np.testing.assert_allclose(out.numpy(), want.detach().numpy(), rtol=1e-12)
    out.sum().backward()
    want.sum().backward()
    np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-12)
    assert [n for n, _ in ours.named_parameters()] == ["weight"]


def test_rrelu_module_is_random_in_training_and_the_mean_slope_in_eval():
    md.manual_seed(0)
    act = nn.RReLU(0.1, 0.3)
    x = md.tensor(-np.ones(500))
    assert len(set(act(x).tolist())) > 100
    act.eval()
    np.testing.assert_allclose(act(x).numpy(), -0.2)


def test_inplace_modules_work_in_a_sequential_and_print_as_torch():
    md.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(inplace=True), nn.Linear(4, 2), nn.GELU())
    x = md.randn(5, 3)
    y = model(x)
    y.sum().backward()
    assert y.shape == (5, 2) and model[0].weight.grad is not None
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"
    assert repr(nn.ReLU()) == "ReLU()"
    assert repr(nn.LeakyReLU(0.2, True)) == "LeakyReLU(negative_slope=0.2, inplace=True)"
    assert repr(nn.Softplus()) == "Softplus(beta=1.0, threshold=20.0)"


def test_bad_constructor_arguments_name_the_module():
    with pytest.raises(ValueError, match="GELU: approximate must be 'none' or 'tanh', got 'x'"):
        nn.GELU("x")
    with pytest.raises(ValueError, match=r"Hardtanh: min_val \(1.0\) must be <= max_val"):
        nn.Hardtanh(1.0, -1.0)
    with pytest.raises(ValueError, match="PReLU: num_parameters must be >= 1, got 0"):
        nn.PReLU(0)
    with pytest.raises(TypeError, match="ReLU: inplace must be a bool, got 1"):
        nn.ReLU(1)
