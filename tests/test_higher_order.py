"""Gradients of gradients (``create_graph=True``): the engine's side. Each op's own
second derivatives are checked by the op tables (tests/ops, `second_order_tests`)."""

import numpy as np
import pytest

import minidl as md


def _x(values):
    return md.tensor(np.array(values, dtype=np.float64), requires_grad=True)


def test_hessian_vector_product_of_a_cubic():
    # f = Σ x³: ∇f = 3x², H = diag(6x), so Hv = 6 x v
    x, v = _x([1.0, -2.0, 0.5]), np.array([0.3, 1.0, -2.0])
    (g,) = md.autograd.grad((x**3).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.numpy(), 3 * x.numpy() ** 2)
    (hv,) = md.autograd.grad((g * md.tensor(v)).sum(), x)
    np.testing.assert_allclose(hv.numpy(), 6 * x.numpy() * v)


def test_backward_with_create_graph_leaves_a_grad_with_a_graph():
    x = _x([0.5, 1.5])
    (md.sin(x) * x).sum().backward(create_graph=True)
    first = x.grad
    assert isinstance(first, md.Tensor) and first.requires_grad
    np.testing.assert_allclose(first.numpy(), np.cos([0.5, 1.5]) * [0.5, 1.5] + np.sin([0.5, 1.5]))
    x.grad = None
    first.sum().backward()  # d/dx (x cos x + sin x) = 2 cos x - x sin x
    t = np.array([0.5, 1.5])
    np.testing.assert_allclose(x.grad, 2 * np.cos(t) - t * np.sin(t))


def test_gradient_penalty_trains_through_the_input_gradient(torch):
    rng = np.random.default_rng(0)
    w0, xs = rng.standard_normal((3, 4)), rng.standard_normal((5, 3))

    def ours():
        w = md.tensor(w0, requires_grad=True)
        x = md.tensor(xs, requires_grad=True)
        out = md.tanh(x @ w).sum()
        (gx,) = md.autograd.grad(out, x, create_graph=True)
        ((gx * gx).sum()).backward()
        return w.grad

    def theirs():
        w = torch.tensor(w0, requires_grad=True)
        x = torch.tensor(xs, requires_grad=True)
        out = torch.tanh(x @ w).sum()
        (gx,) = torch.autograd.grad(out, x, create_graph=True)
        ((gx * gx).sum()).backward()
        return w.grad.numpy()

    np.testing.assert_allclose(ours(), theirs(), rtol=1e-10, atol=1e-12)


def test_third_derivative():
    x = _x([0.7])
    (g1,) = md.autograd.grad(md.exp(2 * x).sum(), x, create_graph=True)
    (g2,) = md.autograd.grad(g1.sum(), x, create_graph=True)
    (g3,) = md.autograd.grad(g2.sum(), x)
    np.testing.assert_allclose(g3.numpy(), 8 * np.exp(1.4))


def test_grad_runs_only_the_nodes_between_outputs_and_inputs():
    # y depends on x through h; grad(y, h) must not free h's own graph (PyTorch's rule)
    x = _x([1.0, 2.0])
    h = x * x
    y = (h * 3).sum()
    (gh,) = md.autograd.grad(y, h)
    np.testing.assert_allclose(gh.numpy(), [3.0, 3.0])
    h.sum().backward()  # still alive
    np.testing.assert_allclose(x.grad, [2.0, 4.0])


def test_first_order_grad_is_an_array_and_has_no_graph():
    x = _x([1.0, 2.0])
    (x**2).sum().backward()
    assert isinstance(x.grad, np.ndarray)
    (g,) = md.autograd.grad((x**2).sum(), x)
    assert not g.requires_grad


def test_a_linear_op_transposes_to_its_forward():
    # pad is linear: its backward's backward is pad again, with the fill value zeroed
    x = _x(np.arange(6.0).reshape(2, 3))
    v = md.tensor(np.random.default_rng(1).standard_normal((4, 7)), requires_grad=True)
    out = md.nn.functional.pad(x, (2, 2, 1, 1), value=5.0)
    (gx,) = md.autograd.grad(out, x, v, create_graph=True)
    u = np.random.default_rng(2).standard_normal((2, 3))
    (gv,) = md.autograd.grad((gx * md.tensor(u)).sum(), v)
    np.testing.assert_allclose(gv.numpy(), np.pad(u, ((1, 1), (2, 2))))


def test_an_op_without_a_rule_names_itself():
    class Opaque(md.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = _x([1.0])
    with pytest.raises(NotImplementedError, match="Opaque: its backward is not differentiable"):
        md.autograd.grad(Opaque.apply(x).sum(), x, create_graph=True)
