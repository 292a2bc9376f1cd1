"""minidl/viz/graph.py: the autograd graph as data and as a matplotlib drawing."""

from __future__ import annotations

import importlib.util

import matplotlib
import numpy as np
import pytest

import minidl as md
from minidl.viz import autograd_graph, draw_graph, to_graphviz

matplotlib.use("Agg")


def _example():
    x = md.tensor(np.array([1.0, 2.0]), requires_grad=True)
    w = md.tensor(np.array([0.5, -1.0]), requires_grad=True)
    h = x * w
    y = (h + x).tanh().sum()  # x is used twice: by Mul and by Add
    return x, w, h, y


def test_graph_nodes_edges_and_depths():
    x, w, h, y = _example()
    nodes, edges = autograd_graph(y, {"x": x, "h": h})
    kinds = sorted(n.kind for n in nodes.values())
    assert kinds == ["leaf", "leaf", "op", "op", "op", "op", "output", "tensor", "tensor", "tensor"]
    ops = {n.label: n for n in nodes.values() if n.kind == "op"}
    assert set(ops) == {"Mul", "Add", "Tanh", "Sum"}
    assert (id(x), ops["Mul"].key) in edges and (id(x), ops["Add"].key) in edges
    assert nodes[id(y)].depth == 0 and ops["Sum"].depth == 1
    assert nodes[id(x)].depth == 8  # the longest path: x → Mul → h → Add → ... → y
    assert nodes[id(x)].label.startswith("x\n(2,) float64") and nodes[id(h)].label.startswith("h\n")
    assert len(edges) == 10


def test_grads_appear_after_a_retained_backward():
    x, w, h, y = _example()
    assert "grad" not in autograd_graph(y)[0][id(x)].label
    y.backward(retain_graph=True)
    label = autograd_graph(y)[0][id(x)].label
    assert "grad [0.271, 0.   ]" in label
    assert "grad" not in autograd_graph(y, show_grads=False)[0][id(x)].label


def test_a_freed_graph_cannot_be_drawn():
    *_, y = _example()
    y.backward()
    with pytest.raises(RuntimeError, match="freed by backward.*retain_graph=True"):
        draw_graph(y)


def test_draw_graph_puts_inputs_left_of_the_output():
    x, w, h, y = _example()
    ax = draw_graph(y, {"x": x, "w": w, "y": y})
    texts = {t.get_text().split("\n")[0]: t.get_position() for t in ax.texts}
    assert {"x", "w", "y", "Mul", "Add", "Tanh", "Sum"} <= set(texts)
    assert texts["x"][0] < texts["Mul"][0] < texts["Add"][0] < texts["Sum"][0] < texts["y"][0]
    assert len(ax.texts) == 10 + 10  # a label per node and an (empty-text) arrow per edge


@pytest.mark.skipif(importlib.util.find_spec("graphviz") is not None, reason="graphviz installed")
def test_graphviz_is_optional_and_says_so():
    *_, y = _example()
    with pytest.raises(ImportError, match="draw_graph"):
        to_graphviz(y)


def test_to_graphviz_builds_the_same_graph():
    pytest.importorskip("graphviz", reason="graphviz is an optional extra")
    *_, y = _example()
    source = to_graphviz(y).source
    assert source.count("->") == 10 and "Tanh" in source


def test_after_a_profiled_run_each_op_shows_its_times():
    from minidl.viz.graph import autograd_graph

    x = md.tensor(np.ones((2, 3)), requires_grad=True)
    with md.profiler.profile():
        y = (x * 2).sum()
        y.backward(retain_graph=True)
    nodes, _ = autograd_graph(y)
    ops = [n.label for n in nodes.values() if n.kind == "op"]
    assert ops and all("fwd" in label and "ms" in label for label in ops)
    assert all("bwd" in label for label in ops)
    leaf = next(n.label for n in nodes.values() if n.kind == "leaf")
    assert "(2, 3) float64" in leaf and "grad" in leaf
