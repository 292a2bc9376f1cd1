"""Hooks with PyTorch's semantics: Tensor.register_hook (which may replace the gradient) and
Module forward pre-, forward and full backward hooks, each with a removable handle; compared
with PyTorch where the numbers matter."""

from __future__ import annotations

import numpy as np
import pytest

import minidl as md
import minidl.nn as nn


def test_a_leaf_hook_sees_the_gradient_and_may_replace_it():
    x = md.tensor([1.0, -2.0, 3.0], requires_grad=True)
    seen = []
    h1 = x.register_hook(lambda g: seen.append(g.numpy().copy()))
    h2 = x.register_hook(lambda g: g * 10)
    (x * x).sum().backward()
    np.testing.assert_array_equal(seen[0], [2.0, -4.0, 6.0])
    np.testing.assert_array_equal(x.grad, [20.0, -40.0, 60.0])
    h1.remove()
    h2.remove()
    x.grad = None
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, -4.0, 6.0])
    assert len(seen) == 1


def test_an_intermediate_hook_changes_what_flows_on(torch):
    x_np = np.array([0.5, -1.5, 2.0])
    grads = {}
    for lib in (md, torch):
        x = lib.tensor(x_np, requires_grad=True)
        y = x * 3
        y.register_hook(lambda g: g.clamp(-1, 1))
        z = (y * y).sum()
        z.backward()
        grads[lib.__name__] = np.asarray(x.grad)
    np.testing.assert_allclose(grads["minidl"], grads["torch"])


def test_a_hook_on_a_tensor_used_twice_gets_the_summed_gradient():
    x = md.tensor([2.0], requires_grad=True)
    y = x * 1.0
    got = []
    y.register_hook(lambda g: got.append(float(g.item())))
    (y * y + y).sum().backward()  # dz/dy = 2y + 1 = 5, once
    assert got == [5.0]


def test_register_hook_errors_are_clear():
    with pytest.raises(RuntimeError, match="does not require grad"):
        md.ones(2).register_hook(lambda g: g)
    x = md.ones(2, requires_grad=True)
    x.register_hook(lambda g: md.ones(3))
    with pytest.raises(RuntimeError, match="shape \\(3,\\) for a tensor of shape \\(2,\\)"):
        (x * 2).sum().backward()
    with pytest.raises(TypeError, match="callable"):
        md.ones(2, requires_grad=True).register_hook(3)


def test_forward_pre_hook_and_forward_hook_may_replace_args_and_output():
    lin = nn.Linear(3, 2)
    x = md.ones((4, 3))
    calls = []
    pre = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    post = lin.register_forward_hook(lambda m, args, out: calls.append(out.shape) or out + 1)
    y = lin(x)
    np.testing.assert_allclose(y.numpy(), np.broadcast_to(lin.bias.numpy() + 1, (4, 2)))
    assert calls == [(4, 2)]
    pre.remove()
    post.remove()
    np.testing.assert_allclose(lin(x).numpy(), (x @ lin.weight.T + lin.bias).numpy())


def test_hook_order_prepend_and_kwargs():
    lin = nn.Linear(2, 2)
    order = []
    lin.register_forward_hook(lambda m, a, y: order.append("second"))
    lin.register_forward_hook(lambda m, a, y: order.append("first"), prepend=True)
    lin.register_forward_hook(lambda m, a, kw, y: order.append(sorted(kw)), with_kwargs=True)
    lin(md.ones((1, 2)))
    assert order == ["first", "second", []]


def test_full_backward_hook_matches_pytorch(torch):
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((2, 3))
    w_np = rng.standard_normal((4, 3))
    got = {}
    for lib, name in ((md, "md"), (torch, "torch")):
        lin = (nn.Linear if lib is md else torch.nn.Linear)(3, 4).double()
        with md.no_grad() if lib is md else torch.no_grad():
            lin.weight.data[...] = w_np if lib is md else torch.from_numpy(w_np)
            lin.bias.data[...] = 0.5 if lib is md else torch.tensor(0.5)
        record = {}

        def hook(module, grad_input, grad_output, record=record):
            record["in"] = [np.asarray(g.numpy()) for g in grad_input]
            record["out"] = [np.asarray(g.numpy()) for g in grad_output]
            return tuple(g * 2 for g in grad_input)

        lin.register_full_backward_hook(hook)
        x = lib.tensor(x_np, requires_grad=True)
        (lin(x) ** 2).sum().backward()
        record["x.grad"] = np.asarray(x.grad)
        got[name] = record
    for key in ("in", "out"):
        for a, b in zip(got["md"][key], got["torch"][key]):
            np.testing.assert_allclose(a, b, rtol=1e-12)
    np.testing.assert_allclose(got["md"]["x.grad"], got["torch"]["x.grad"], rtol=1e-12)
    np.testing.assert_allclose(got["md"]["x.grad"], 2 * np.asarray(got["md"]["in"][0]))


def test_full_backward_hook_on_data_that_needs_no_grad_gets_none_inputs():
    conv = nn.Conv2d(1, 2, 3)
    seen = []
    conv.register_full_backward_hook(
        lambda m, gi, go: seen.append(([g is None for g in gi], go[0].shape))
    )
    conv(md.ones((1, 1, 5, 5))).sum().backward()
    assert seen == [([True], (1, 2, 3, 3))]
    assert conv.weight.grad is not None


def test_handles_are_context_managers_and_hooks_plot_statistics_per_layer():
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    stds = {}
    handles = [m.register_forward_hook(lambda m, a, y, i=i: stds.setdefault(i, []).append(
        float(y.data.std()))) for i, m in enumerate(net)]  # fmt: skip
    with handles[0]:
        net(md.randn(16, 4))
    net(md.randn(16, 4))
    assert len(stds[0]) == 1 and len(stds[2]) == 2
