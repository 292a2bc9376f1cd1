"""Activations (minidl/ops/activation.py): gradcheck on kink-free inputs and PyTorch's forward
and backward for every function, on 0-d and empty inputs too; stability at huge inputs;
``inplace=`` semantics; errors that name the op, the argument and the value."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import strategies as st
from op_harness import Inputs, OpCase, op_tests, second_order_tests, shapes, values

import minidl as md
import minidl.nn as nn
import minidl.nn.functional as F


def _unary(domain: str = "off_grid", scale: float = 1.0, **kwargs):
    """One input of any shape; off_grid values (times ``scale``) keep 0.15·scale from every
    multiple of 0.5·scale, where these functions put their kinks."""

    def draw(data: st.DataObject) -> Inputs:
        shape = data.draw(shapes(), label="shape")
        return Inputs([scale * values(data, shape, domain)], dict(kwargs))

    return draw


def _case(name: str, draw, **fixed) -> OpCase:
    return OpCase(
        name if not fixed else f"{name}{fixed}",
        draw,
        lambda *ts, **kw: getattr(F, name)(*ts, **kw, **fixed),
        lambda T, *ts, **kw: getattr(T.nn.functional, name)(*ts, **kw, **fixed),
    )


def _prelu(data: st.DataObject) -> Inputs:
    shape = data.draw(st.sampled_from([(), (3,), (2, 3), (2, 3, 2, 2)]), label="shape")
    channels = shape[1] if len(shape) >= 2 else 1
    count = data.draw(st.sampled_from(sorted({1, channels})), label="weights")
    return Inputs([values(data, shape, "off_grid"), values(data, (count,), "normal")])


def _glu(data: st.DataObject) -> Inputs:
    shape = list(data.draw(shapes(min_dims=1), label="shape"))
    dim = data.draw(st.integers(-len(shape), len(shape) - 1), label="dim")
    shape[dim] *= 2
    return Inputs([values(data, tuple(shape))], {"dim": dim})


CASES = [
    _case("relu", _unary()),
    _case("relu6", _unary(scale=8.0)),  # kinks at 0 and 6 = 8 · 0.75
    _case("leaky_relu", _unary(), negative_slope=0.2),
    _case("elu", _unary(), alpha=0.7),
    _case("celu", _unary(), alpha=1.5),
    _case("selu", _unary()),
    _case("gelu", _unary("normal", 2.0)),
    _case("gelu", _unary("normal", 2.0), approximate="tanh"),
    _case("silu", _unary("normal", 3.0)),
    _case("mish", _unary("normal", 3.0)),
    _case("softplus", _unary("normal", 3.0)),
    _case("softplus", _unary("normal", 3.0), beta=2.0, threshold=3.0),
    _case("logsigmoid", _unary("normal", 5.0)),
    _case("softsign", _unary()),
    _case("tanhshrink", _unary("normal")),
    _case("hardtanh", _unary(scale=2.0), min_val=-1.0, max_val=2.0),
    _case("hardswish", _unary(scale=6.0)),
    _case("hardshrink", _unary(), lambd=0.5),
    _case("softshrink", _unary(), lambd=1.0),
    _case("threshold", _unary(), threshold=0.5, value=-2.0),
    _case("rrelu", _unary(), lower=0.1, upper=0.3),  # eval: the mean slope
    _case("prelu", _prelu),
    _case("glu", _glu),
]

test_gradcheck, test_matches_torch, test_float32_in_float32_out = op_tests(CASES, 10, 15, 3)

# PyTorch's CPU hardsigmoid backward multiplies by 1/6 rounded to float32 (3e-8 off in
# float64); minidl's is the exact 1/6, so it is compared with PyTorch at rtol 1e-7 below
HARDSIGMOID = [_case("hardsigmoid", _unary(scale=6.0))]  # kinks at ±3 = 6 · 0.5
test_hardsigmoid_gradcheck, _, test_hardsigmoid_float32 = op_tests(HARDSIGMOID, 10, 1, 3)


def test_hardsigmoid_matches_torch(torch):
    x = np.linspace(-4.3, 4.1, 37)
    ours, theirs = md.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, want = F.hardsigmoid(ours), torch.nn.functional.hardsigmoid(theirs)
    np.testing.assert_allclose(out.numpy(), want.detach().numpy(), rtol=1e-15)
    out.sum().backward()
    want.sum().backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-7)
    np.testing.assert_array_equal(ours.grad, np.where(abs(x) < 3, 1 / 6, 0))


NAMES = sorted({c.name.split("{")[0] for c in CASES} - {"prelu", "glu", "threshold"})


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape", [(), (0,), (2, 0, 3)])
def test_zero_dim_and_empty_inputs_match_torch(torch, name, shape):
    x = np.full(shape, 0.7)
    ours = md.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    out, want = getattr(F, name)(ours), getattr(torch.nn.functional, name)(theirs)
    assert out.shape == tuple(want.shape)
    np.testing.assert_allclose(out.numpy(), want.detach().numpy(), rtol=1e-12)
    out.backward(np.ones(out.shape))
    want.backward(torch.ones(want.shape, dtype=torch.float64))
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-7)


@pytest.mark.parametrize("name", ["relu", "relu6", "leaky_relu", "elu", "celu", "selu",
                                  "hardtanh", "hardsigmoid", "hardswish", "threshold"])  # fmt: skip
def test_subgradients_at_the_kinks_match_torch(torch, name):
    kinks = {"relu6": [0.0, 6.0], "hardtanh": [-1.0, 1.0], "hardsigmoid": [-3.0, 3.0],
             "hardswish": [-3.0, 3.0], "threshold": [0.5]}.get(name, [0.0])  # fmt: skip
    args = (0.5, -1.0) if name == "threshold" else ()
    x = np.array(kinks)
    ours, theirs = md.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    getattr(F, name)(ours, *args).sum().backward()
    getattr(torch.nn.functional, name)(theirs, *args).sum().backward()
    np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())


@pytest.mark.parametrize("name", ["elu", "selu", "celu", "softplus", "logsigmoid", "mish",
                                  "silu", "gelu", "softsign"])  # fmt: skip
def test_huge_inputs_neither_overflow_nor_lose_the_answer(torch, name):
    x = np.array([-1000.0, -50.0, 50.0, 1000.0])
    ours = md.tensor(x, requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out = getattr(F, name)(ours)
        out.sum().backward()
    theirs = torch.tensor(x, requires_grad=True)
    want = getattr(torch.nn.functional, name)(theirs)
    want.sum().backward()
    np.testing.assert_allclose(out.numpy(), want.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12, atol=1e-300)


def test_inplace_is_accepted_and_computes_out_of_place():
    """Every activation but relu takes inplace=True and returns a new tensor."""
    x = md.tensor(np.array([-1.0, 2.0]), requires_grad=True)
    for name in ["relu6", "leaky_relu", "elu", "selu", "celu", "silu", "mish",
                 "hardtanh", "hardsigmoid", "hardswish", "rrelu"]:  # fmt: skip
        y = getattr(F, name)(x, inplace=True)
        assert y is not x and x.tolist() == [-1.0, 2.0], name
    y = F.threshold(x, 0.0, 5.0, True)
    y.sum().backward()
    assert y.tolist() == [5.0, 2.0] and x.grad.tolist() == [0.0, 1.0]
    with pytest.raises(TypeError, match="relu: inplace must be a bool, got 'yes'"):
        F.relu(x, "yes")


def test_relu_inplace_overwrites_its_input_and_matches_torch(torch):
    """x becomes the ReLU's output (same object, new grad_fn, version 1); an op that used x
    before still sends its gradient to x's old producer; the gradients are PyTorch's."""
    a = np.random.default_rng(4).standard_normal((3, 5))
    x0, t0 = md.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    x, tx = x0 * 2, t0 * 2
    before = x + 1  # Add keeps no values of x: not affected by the change
    tbefore = tx + 1
    assert F.relu(x, inplace=True) is x and x.grad_fn.fn.__name__ == "Relu"
    torch.relu_(tx)
    assert x._version == tx._version == 1
    np.testing.assert_array_equal(x.numpy(), tx.detach().numpy())
    (3 * before.sum() + (x * x).sum()).backward()
    (3 * tbefore.sum() + (tx * tx).sum()).backward()
    np.testing.assert_allclose(x0.grad, t0.grad.numpy(), rtol=1e-12)


def test_relu_inplace_on_values_a_backward_needs_raises_at_backward(torch):
    a = np.random.default_rng(5).standard_normal(4)
    x = md.tensor(a, requires_grad=True)
    s = F.sigmoid(x * 1.0)  # Sigmoid keeps its output for the backward
    F.relu(s, inplace=True)
    with pytest.raises(RuntimeError, match="Sigmoid saved for its backward.*in-place operation: "
                       "it is at version 1, expected version 0"):  # fmt: skip
        s.sum().backward()
    t = torch.sigmoid(torch.tensor(a, requires_grad=True) * 1.0)
    torch.relu_(t)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        t.sum().backward()  # PyTorch raises too


def test_relu_inplace_on_a_leaf_that_requires_grad_raises_and_without_grad_just_writes():
    with pytest.raises(RuntimeError, match="a leaf tensor that requires grad cannot be changed"):
        F.relu(md.tensor([-1.0, 2.0], requires_grad=True), inplace=True)
    x = md.tensor([-1.0, 2.0])
    assert F.relu(x, inplace=True) is x and x.tolist() == [0.0, 2.0] and x.grad_fn is None
    w = md.tensor([-1.0, 3.0], requires_grad=True)
    with md.no_grad():
        y = w * 1.0
        assert F.relu(y, inplace=True) is y and y.tolist() == [0.0, 3.0]


def test_nn_relu_inplace_in_a_conv_bn_block_matches_torch(torch):
    """Conv2d -> BatchNorm2d -> ReLU(inplace=True): the BatchNorm keeps its input, not its
    output, so the ReLU may overwrite the output; one fewer activation is alive."""
    md.manual_seed(0)
    ours = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.ReLU(inplace=True)).double()
    theirs = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3), torch.nn.BatchNorm2d(3),
                                 torch.nn.ReLU(inplace=True)).double()  # fmt: skip
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    a = np.random.default_rng(6).standard_normal((2, 2, 6, 7))
    x, tx = md.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, ty = ours(x), theirs(tx)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_rrelu_in_training_draws_slopes_between_lower_and_upper():
    md.manual_seed(0)
    x = md.tensor(-np.ones(2000), requires_grad=True)
    y = F.rrelu(x, 0.1, 0.3, training=True)
    slopes = -y.numpy()
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and abs(slopes.mean() - 0.2) < 0.01
    y.sum().backward()
    np.testing.assert_allclose(x.grad, slopes)  # the gradient uses the same slopes


def test_gelu_keeps_float32():
    y = F.gelu(md.tensor(np.ones(3, np.float32), requires_grad=True))
    y.sum().backward()
    assert y.dtype == np.float32


def test_bad_arguments_name_the_op_the_argument_and_the_value():
    x = md.ones(2, 4)
    cases = [
        (ValueError, r"gelu: approximate must be 'none' or 'tanh', got 'fast'",
         lambda: F.gelu(x, approximate="fast")),
        (ValueError, r"softplus: beta must not be 0", lambda: F.softplus(x, beta=0)),
        (ValueError, r"celu: alpha must not be 0", lambda: F.celu(x, alpha=0.0)),
        (ValueError, r"hardtanh: min_val \(2.0\) must be <= max_val \(1.0\)",
         lambda: F.hardtanh(x, 2.0, 1.0)),
        (ValueError, r"softshrink: lambd must be >= 0, got -1.0", lambda: F.softshrink(x, -1.0)),
        (TypeError, r"leaky_relu: negative_slope must be a real number, got 'a'",
         lambda: F.leaky_relu(x, "a")),
        (ValueError, r"glu: halving dimension must be even, but dimension 0 is size 3",
         lambda: F.glu(md.ones(3, 2), 0)),
        (IndexError, r"glu: dim 2 is out of range", lambda: F.glu(x, 2)),
        (ValueError, r"prelu: weight must have 1 or 4 \(the channels of input \(2, 4\)\) values, "
         r"got 3", lambda: F.prelu(x, md.ones(3))),
        (TypeError, r"relu: input must be a Tensor, got list", lambda: F.relu([1.0])),
        (TypeError, r"elu: input must be a floating tensor, got dtype int64",
         lambda: F.elu(md.tensor(np.arange(3)))),
    ]  # fmt: skip
    for error, message, call in cases:
        with pytest.raises(error, match=message):
            call()


test_gradgradcheck, test_second_order_matches_torch = second_order_tests(CASES)
