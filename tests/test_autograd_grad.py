"""md.autograd.grad as torch.autograd.grad: gradients returned, not stored; several outputs
and inputs; intermediate inputs; unused inputs; and clear errors for what is unsupported."""

from __future__ import annotations

import numpy as np
import pytest

import minidl as md
from minidl.autograd import grad


def test_returns_the_gradients_and_touches_no_grad(torch):
    x_np, w_np = np.array([1.0, -2.0, 0.5]), np.array([[0.3, 1.0, -1.0], [2.0, 0.1, 0.4]])
    x, w = md.tensor(x_np, requires_grad=True), md.tensor(w_np, requires_grad=True)
    y = (md.tanh(w @ x) * 3).sum()
    dx, dw = grad(y, [x, w])
    assert x.grad is None and w.grad is None
    xt, wt = torch.tensor(x_np, requires_grad=True), torch.tensor(w_np, requires_grad=True)
    ex, ew = torch.autograd.grad((torch.tanh(wt @ xt) * 3).sum(), [xt, wt])
    np.testing.assert_allclose(dx.numpy(), ex.numpy(), rtol=1e-12)
    np.testing.assert_allclose(dw.numpy(), ew.numpy(), rtol=1e-12)


def test_an_intermediate_input_gets_its_whole_gradient_and_outputs_add_up():
    x = md.tensor([2.0, 3.0], requires_grad=True)
    h = x * x  # used twice below
    y1, y2 = (h * 2).sum(), (h * h).sum()
    (dh,) = grad([y1, y2], h, retain_graph=True)
    np.testing.assert_allclose(dh.numpy(), 2 + 2 * h.numpy())
    (dx,) = grad(y1, x, grad_outputs=md.tensor(0.5))
    np.testing.assert_allclose(dx.numpy(), 0.5 * 2 * 2 * x.numpy())


def test_unused_inputs_and_errors():
    x = md.tensor([1.0], requires_grad=True)
    z = md.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        grad((x * 2).sum(), [x, z])
    dx, dz = grad((x * 2).sum(), [x, z], allow_unused=True)
    assert dz is None and dx.item() == 2.0
    _, dz = grad((x * 2).sum(), [x, z], materialize_grads=True)
    assert dz.numpy().tolist() == [0.0]
    (dx,) = grad((x * x).sum(), x, create_graph=True)  # 2x, with a graph (test_higher_order)
    assert dx.requires_grad and dx.item() == 2.0
    with pytest.raises(ValueError, match="non-scalar"):
        grad(md.ones(2, requires_grad=True) * 2, x)
    y = x * 2
    grad(y.sum(), x)
    with pytest.raises(RuntimeError, match="freed"):
        grad(y.sum(), x)
