"""The autograd engine (minidl/autograd.py): accumulation, broadcasting, deep graphs, freeing,
retain_graph/retain_grad, no_grad, user-defined Functions, and random graphs vs PyTorch."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl as md
from minidl.autograd import Function, sum_to_shape


def leaf(*values: float) -> md.Tensor:
    return md.tensor(np.array(values, np.float64), requires_grad=True)


# ---- accumulation ---------------------------------------------------------------------------


def test_a_plus_a_gets_both_contributions():
    a = leaf(3.0)
    (a + a).backward(np.ones(1))
    np.testing.assert_array_equal(a.grad, [2.0])


def test_node_used_twice_deep_in_the_graph():
    x = leaf(2.0)
    h = x * x  # h used by both factors below: dy/dx = d(h^3)/dx = 3 h^2 * 2x = 6 x^5
    y = (h * h) * h
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [6 * 2.0**5])


def test_leaf_and_pending_gradient_never_share_memory():
    """((b·a + a) + a)·1.5: add hands one array to the leaf a and to the pending b·a + a;
    the leaf's later += must not change what the pending node still has to propagate."""
    a, b = leaf(1.0), leaf(5.0)
    ((b * a + a + a) * 1.5).sum().backward()
    np.testing.assert_allclose(a.grad, [1.5 * (5 + 2)])
    np.testing.assert_allclose(b.grad, [1.5])


def test_gradients_accumulate_across_backward_calls_until_reset():
    x = leaf(1.0, 2.0)
    (x * 3).sum().backward()
    (x * 4).sum().backward()
    np.testing.assert_array_equal(x.grad, [7.0, 7.0])
    x.grad = None
    (x * 4).sum().backward()
    np.testing.assert_array_equal(x.grad, [4.0, 4.0])


def test_grads_of_two_leaves_are_distinct_arrays():
    a, b = leaf(1.0), leaf(2.0)
    (a + b).sum().backward()
    a.grad += 10
    np.testing.assert_array_equal(b.grad, [1.0])


def test_callers_gradient_array_is_never_aliased():
    x = leaf(1.0, 2.0)
    g = np.array([1.0, 1.0])
    (x + 0).backward(g)
    g[:] = 100
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])
    y = leaf(1.0)
    y.backward(np.array([2.0]))  # a leaf as the root
    assert y.grad is not None and y.grad[0] == 2.0


# ---- broadcasting ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "grad_shape, shape",
    [((2, 3), (3,)), ((2, 3), (1, 3)), ((4, 2, 3), (2, 1)), ((2, 3), ()), ((5,), (5,))],
)
def test_sum_to_shape_undoes_broadcasting(grad_shape, shape):
    g = np.random.default_rng(0).standard_normal(grad_shape)
    out = sum_to_shape(g, shape)
    assert out.shape == shape
    assert np.isclose(out.sum(), g.sum())
    np.testing.assert_allclose(np.broadcast_to(np.zeros(shape), grad_shape) + out.sum(), g.sum())


def test_broadcast_bias_gradient_sums_over_the_batch():
    x = md.tensor(np.ones((4, 3)), requires_grad=True)
    b = leaf(0.0, 0.0, 0.0)
    (x * 2 + b).sum().backward()
    np.testing.assert_array_equal(b.grad, [4.0, 4.0, 4.0])
    assert x.grad.shape == (4, 3)


# ---- deep graphs, freeing -------------------------------------------------------------------


def test_ten_thousand_ops_deep_chain():
    x = leaf(1.0)
    y = x
    for _ in range(10_000):
        y = y * 1.0001 + 0.0  # 20,000 nodes
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0001**10_000], rtol=1e-9)


def test_second_backward_raises_a_clear_error():
    x = leaf(1.0)
    y = (x * 2).exp().sum()
    y.backward()
    with pytest.raises(RuntimeError, match="already freed.*retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = leaf(1.0)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad, [4.0])


def test_backward_frees_the_intermediate_tensors():
    x = leaf(1.0, 2.0)
    h = x * 2
    ref = weakref.ref(h)
    y = (h * h).sum()
    del h
    gc.collect()
    assert ref() is not None  # the graph keeps it for backward
    y.backward()
    gc.collect()
    assert ref() is None


def test_retain_grad_keeps_a_non_leaf_gradient():
    x = leaf(1.0, 2.0)
    h = x * 3
    kept = (x * 2).retain_grad()
    (h * kept).sum().backward()
    assert h.grad is None and not h.is_leaf
    np.testing.assert_array_equal(kept.grad, h.numpy())
    np.testing.assert_array_equal(x.grad, 12 * x.numpy())


def test_retain_grad_on_the_root():
    x = leaf(1.0)
    y = (x * 2).sum().retain_grad()
    y.backward()
    assert y.grad == 1.0


# ---- what records a graph -------------------------------------------------------------------


def test_requires_grad_propagates_from_any_input():
    a, b = leaf(1.0), md.tensor(np.array([2.0]))
    assert (a * b).requires_grad and not (b * b).requires_grad
    assert (a * b).grad_fn is not None and (b * b).grad_fn is None
    assert not (a > 0).requires_grad  # comparisons leave the graph


def test_no_grad_records_nothing_and_restores():
    x = leaf(1.0)
    with md.no_grad():
        y = x * 2
        with md.enable_grad():
            z = x * 2
        assert not md.is_grad_enabled()
    assert md.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad


def test_no_grad_restores_on_exception():
    with pytest.raises(KeyError), md.no_grad():
        raise KeyError
    assert md.is_grad_enabled()


def test_no_grad_as_decorator_even_when_recursive():
    @md.no_grad()
    def depth(x, n):
        return depth(x, n - 1) if n else (x * 2, md.is_grad_enabled())

    y, enabled = depth(leaf(1.0), 3)
    assert not enabled and not y.requires_grad
    assert md.is_grad_enabled()


def test_detach_shares_memory_and_leaves_the_graph():
    x = leaf(1.0, 2.0)
    d = (x * 1).detach()
    assert not d.requires_grad and d.is_leaf
    e = x.detach()
    e.data[0] = 9.0
    assert x.data[0] == 9.0


def test_integer_outputs_do_not_require_grad():
    x = leaf(1.5, 2.5)
    assert not x.long().requires_grad
    assert not x.to(md.int64).requires_grad


# ---- backward's arguments -------------------------------------------------------------------


def test_non_scalar_backward_without_gradient_names_the_shape():
    with pytest.raises(
        ValueError, match=r"backward: a gradient must be given for a non-scalar .* \(2,\)"
    ):
        (leaf(1.0, 2.0) * 2).backward()


def test_backward_with_a_gradient_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"backward: gradient of shape \(3,\) for output \(2,\)"):
        (leaf(1.0, 2.0) * 2).backward(np.ones(3))


def test_backward_on_a_tensor_without_graph():
    with pytest.raises(RuntimeError, match="does not require grad"):
        md.tensor([1.0]).sum().backward()


def test_backward_accepts_a_tensor_gradient():
    x = leaf(1.0, 2.0)
    (x * 2).backward(md.tensor(np.array([1.0, 3.0])))
    np.testing.assert_array_equal(x.grad, [2.0, 6.0])


# ---- user-defined Functions ------------------------------------------------------------------


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * x**2 * g


class SplitHalves(Function):
    """Two outputs, and an integer third one (like max-pool's indices)."""

    @staticmethod
    def forward(ctx, x):
        n = x.shape[0] // 2
        return x[:n] * 1, x[n:] * 1, np.arange(n)

    @staticmethod
    def backward(ctx, g_low, g_high, g_index):
        assert g_index is None  # integer outputs get no gradient
        return np.concatenate([g_low, g_high])


class WrongCount(Function):
    @staticmethod
    def forward(ctx, x, y):
        return x + y

    @staticmethod
    def backward(ctx, g):
        return g


def test_user_function_with_saved_tensors():
    x = leaf(1.0, -2.0)
    Cube.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 12.0])
    assert md.gradcheck(Cube.apply, [leaf(0.3, -1.2)])


def test_needs_input_grad_says_which_inputs_need_one():
    seen = []

    class Spy(Function):
        @staticmethod
        def forward(ctx, a, b):
            seen.append(ctx.needs_input_grad)
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g, None

    Spy.apply(leaf(1.0), md.tensor([2.0])).sum().backward()
    assert seen == [(True, False)]


def test_multiple_outputs_an_unused_one_gets_zeros():
    x = leaf(1.0, 2.0, 3.0, 4.0)
    low, high, index = SplitHalves.apply(x)
    assert not index.requires_grad and low.requires_grad
    (low * 5).sum().backward()  # `high` is unused: its gradient arrives as zeros
    np.testing.assert_array_equal(x.grad, [5.0, 5.0, 0.0, 0.0])


def test_backward_returning_the_wrong_number_of_gradients():
    with pytest.raises(RuntimeError, match="WrongCount.backward returned 1 gradients for 2"):
        WrongCount.apply(leaf(1.0), leaf(2.0)).sum().backward()


# ---- random graphs against PyTorch -----------------------------------------------------------

STEPS = st.lists(
    st.tuples(
        st.sampled_from(["add", "mul", "sub", "scale", "sum_back", "view"]),
        st.integers(0, 99),
        st.integers(0, 99),
    ),
    min_size=1,
    max_size=12,
)


def _run_program(lib, leaves, steps, outputs):
    nodes = list(leaves)
    for op, i, j in steps:
        a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
        if op == "add":
            nodes.append(a + b)
        elif op == "mul":
            nodes.append(a * b)
        elif op == "sub":
            nodes.append(a - b)
        elif op == "scale":
            nodes.append(a * 1.5)
        elif op == "sum_back":  # a broadcast gradient comes back through the sum
            nodes.append(a + a.sum())
        else:
            nodes.append(a.reshape(3, 1).reshape(3))
    y = nodes[-1]
    for k in outputs:
        y = y + nodes[k % len(nodes)]
    return (y * y).sum()


@settings(max_examples=60)
@given(
    n_leaves=st.integers(1, 3),
    steps=STEPS,
    outputs=st.lists(st.integers(0, 99), max_size=3),
    seed=st.integers(0, 2**16),
)
def test_random_graphs_match_torch(n_leaves, steps, outputs, seed, torch):
    """Nodes used many times, shared sub-graphs, leaves reached along several paths."""
    x0 = np.random.default_rng(seed).standard_normal((n_leaves, 3))
    ours = [md.tensor(v, requires_grad=True) for v in x0]
    theirs = [torch.tensor(v, requires_grad=True) for v in x0]
    _run_program(md, ours, steps, outputs).backward()
    _run_program(torch, theirs, steps, outputs).backward()
    for a, b in zip(ours, theirs):
        want = np.zeros(3) if b.grad is None else b.grad.numpy()
        got = np.zeros(3) if a.grad is None else a.grad
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("op", ["cat", "add"])
def test_a_linear_op_keeps_no_large_input_alive(op):
    """cat and + read none of their inputs' values in the backward: once the user drops a
    large intermediate, its array is freed before backward (as in PyTorch), and the
    gradients are unchanged."""
    from minidl import autograd

    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 4, 128, 128))  # 1 MiB
    assert a.nbytes >= autograd.LIGHT_MIN_BYTES
    x = md.tensor(a, requires_grad=True)
    y = x * 3.0
    alive = weakref.ref(y.data)
    out = md.cat([y, x], 1) if op == "cat" else y + x
    del y
    gc.collect()
    assert alive() is None  # only the graph held it, and the graph keeps a stand-in
    (out * out).sum().backward()
    want = 2 * (3 * a) * 3 + 2 * a if op == "cat" else 2 * (4 * a) * 4
    np.testing.assert_allclose(x.grad, want, rtol=1e-12)


def test_the_graph_view_shows_the_tensor_a_stand_in_stands_for():
    from minidl.viz.graph import autograd_graph

    x = md.tensor(np.ones((2, 4, 128, 128)), requires_grad=True)
    y = x * 2.0
    s = y + x  # Add keeps a stand-in for y; the view draws y itself, with its name
    nodes, edges = autograd_graph(s.sum(), names={"y": y, "x": x})
    assert nodes[id(y)].label.startswith("y\n")
    assert (id(y), id(s.grad_fn)) in edges
