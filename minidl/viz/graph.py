"""The autograd graph behind a tensor, as data (`autograd_graph`), as a matplotlib drawing
(`draw_graph`) or as a graphviz diagram (`to_graphviz`, only where graphviz is installed).

Draw before ``backward()``: backward frees the graph (call it with ``retain_graph=True`` to
draw again afterwards, now with the leaves' gradients). Each tensor shows its shape, dtype,
device and gradient; after a run inside ``md.profiler.profile()``, each op shows the time its
forward (and, after a retained backward, its backward) took. Only matplotlib is needed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from .. import autograd
from ..tensor import Tensor


@dataclass
class GraphNode:
    key: int  # id() of the Tensor or of the op's context
    kind: str  # "leaf", "tensor" (made by an op), "output" or "op"
    label: str
    depth: int = 0  # longest path to the output: the output is 0, its op 1, ...


def _describe(t: Tensor, name: str | None, show_grads: bool) -> str:
    lines = [name] if name else []
    lines.append(f"{tuple(t.shape)} {t.dtype}" + ("" if t.device == "cpu" else f" {t.device}"))
    if t.numel() <= 4:
        lines.append("data " + np.array2string(t.numpy().ravel(), precision=3, separator=", "))
    if show_grads and t.grad is not None:
        g = np.asarray(t.grad)
        shown = np.array2string(g.ravel(), precision=3, separator=", ") if g.size <= 4 else g.shape
        lines.append(f"grad {shown}")
    return "\n".join(lines)


def _op_label(ctx: Any) -> str:
    """The op's name, and its profiled times when it ran inside ``md.profiler.profile()``."""
    lines = [ctx.fn.__name__]
    for key, what in (("forward_event", "fwd"), ("backward_event", "bwd")):
        event = ctx.__dict__.get(key)
        if event is not None and event.end_ns:
            lines.append(f"{what} {event.total_ns / 1e6:.2f} ms")
    return "\n".join(lines)


def autograd_graph(
    output: Tensor, names: Mapping[str, Tensor] | None = None, show_grads: bool = True
) -> tuple[dict[int, GraphNode], list[tuple[int, int]]]:
    """The nodes (tensors and ops) and edges (input → op → output) that lead to ``output``.

    ``names`` labels tensors, e.g. ``{"x": x, "w": w}``. Only inputs that need a gradient
    are recorded by the engine, so constants do not appear.
    """
    label_of = {id(t): name for name, t in (names or {}).items()}
    nodes: dict[int, GraphNode] = {}
    edges: list[tuple[int, int]] = []
    stack = [output]
    while stack:  # iterative, like backward: deep graphs must not hit the recursion limit
        t = stack.pop()
        if id(t) in nodes:
            continue
        kind = "output" if t is output else ("leaf" if t.grad_fn is None else "tensor")
        nodes[id(t)] = GraphNode(id(t), kind, _describe(t, label_of.get(id(t)), show_grads))
        ctx = t.grad_fn
        if ctx is None:
            continue
        if not hasattr(ctx, "inputs"):
            raise RuntimeError(
                "autograd_graph: this graph was freed by backward(); draw it before backward(), "
                "or call backward(retain_graph=True)"
            )
        edges.append((id(ctx), id(t)))
        if id(ctx) not in nodes:
            nodes[id(ctx)] = GraphNode(id(ctx), "op", _op_label(ctx))
            for x in ctx.inputs:
                if x is not None:
                    x = autograd.original(x)  # the tensor itself, not a node's stand-in
                    edges.append((id(x), id(ctx)))
                    stack.append(x)
    # depth = the longest path to the output, found from the output backwards (Kahn's order)
    waiting = {key: 0 for key in nodes}
    for source, _ in edges:
        waiting[source] += 1  # consumers not yet placed
    ready = [id(output)]
    while ready:
        key = ready.pop()
        for source, target in edges:
            if target == key:
                nodes[source].depth = max(nodes[source].depth, nodes[key].depth + 1)
                waiting[source] -= 1
                if waiting[source] == 0:
                    ready.append(source)
    return nodes, edges


STYLE = {
    "leaf": dict(boxstyle="round,pad=0.4", facecolor="#cfe2ff", edgecolor="#3d6fb6"),
    "tensor": dict(boxstyle="round,pad=0.4", facecolor="#eeeeee", edgecolor="#777777"),
    "output": dict(boxstyle="round,pad=0.4", facecolor="#d4edda", edgecolor="#2f7d45"),
    "op": dict(boxstyle="circle,pad=0.3", facecolor="#ffe5b4", edgecolor="#c07a00"),
}


def draw_graph(
    output: Tensor,
    names: Mapping[str, Tensor] | None = None,
    show_grads: bool = True,
    ax: Axes | None = None,
) -> Axes:
    """Draw the graph left to right: inputs (blue: leaves; grey: made by an op) flow through
    ops (orange) into the output (green). Each tensor shows its shape, dtype, values when it
    has at most 4, and its ``.grad`` when it has one."""
    nodes, edges = autograd_graph(output, names, show_grads)
    layers: dict[int, list[GraphNode]] = {}
    for node in nodes.values():
        layers.setdefault(node.depth, []).append(node)
    depth_max = max(layers)
    height = max(len(layer) for layer in layers.values())
    if ax is None:
        _, ax = plt.subplots(figsize=(1.7 * (depth_max + 1), 1.5 * height + 0.8))
    position = {}
    for depth, layer in layers.items():
        for i, node in enumerate(layer):
            position[node.key] = (depth_max - depth, (len(layer) - 1) / 2 - i)
    for source, target in edges:
        skips = nodes[source].depth - nodes[target].depth > 1  # bend it around the nodes between
        ax.annotate(
            "",
            xy=position[target],
            xytext=position[source],
            arrowprops=dict(
                arrowstyle="-|>",
                color="#555555",
                shrinkA=22,
                shrinkB=22,
                connectionstyle=f"arc3,rad={-0.25 if skips else 0.0}",
            ),
        )
    for node in nodes.values():
        x, y = position[node.key]
        size = 10 if node.kind == "op" else 8
        ax.text(x, y, node.label, ha="center", va="center", fontsize=size, bbox=STYLE[node.kind])
    ax.set_xlim(-0.7, depth_max + 0.7)
    ax.set_ylim(-height / 2 - 0.2, height / 2 + 0.2)
    ax.axis("off")
    return ax


def to_graphviz(
    output: Tensor, names: Mapping[str, Tensor] | None = None, show_grads: bool = True
) -> Any:
    """The same graph as a ``graphviz.Digraph`` (displays itself in Jupyter). Needs the
    optional ``graphviz`` package and its ``dot`` program; `draw_graph` needs neither."""
    try:
        import graphviz
    except ImportError:
        raise ImportError(
            "to_graphviz: the graphviz package is not installed (pip install graphviz); "
            "draw_graph(...) draws the same graph with matplotlib"
        ) from None
    nodes, edges = autograd_graph(output, names, show_grads)
    colors = {kind: style["facecolor"] for kind, style in STYLE.items()}
    dot = graphviz.Digraph(graph_attr={"rankdir": "LR"})
    for node in nodes.values():
        shape = "ellipse" if node.kind == "op" else "box"
        dot.node(
            str(node.key),
            node.label,
            shape=shape,
            style="filled,rounded",
            fillcolor=colors[node.kind],
        )
    for source, target in edges:
        dot.edge(str(source), str(target))
    return dot
