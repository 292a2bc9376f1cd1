"""minidl's modules import downward only: no import cycles, and the layers keep their order.

The graph is read from the source with `ast` (nothing is imported), so an import inside a
function counts as much as one at the top: a lazy import hides a cycle, it does not remove
it. Imports under ``if TYPE_CHECKING:`` are left out, since they never run.
``from pkg import name`` is an edge to ``pkg.name`` where that is a module, else to ``pkg``.

Layering (STYLE.md): backend/config/numbers → kernels → autograd → tensor → ops → nn → lab → cli.
"""

from __future__ import annotations

import ast
from collections import deque
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "minidl"

# module -> {a module it imports: where, "minidl/x.py:12" (the first line that imports it)}
Graph = dict[str, dict[str, str]]


def module_files(root: Path = ROOT, package: str = PACKAGE) -> dict[str, Path]:
    """Every module of ``package`` under ``root``, by dotted name (a package by its name)."""
    modules = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement in ``tree``, at any depth, except under ``if TYPE_CHECKING:``."""
    found, stack = [], [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
        else:
            stack.extend(ast.iter_child_nodes(node))
    return found


def _known(name: str, modules: set[str]) -> str | None:
    """``name`` or the nearest enclosing module that exists (``a.b.f`` -> ``a.b``)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool, modules: set[str]):
    if isinstance(node, ast.Import):
        return [_known(a.name, modules) for a in node.names]
    base = module if is_package else module.rpartition(".")[0]
    if node.level:
        for _ in range(node.level - 1):
            base = base.rpartition(".")[0]
        base = f"{base}.{node.module}" if node.module else base
    else:
        base = node.module or ""
    out = []
    for a in node.names:
        sub = f"{base}.{a.name}"
        out.append(sub if sub in modules else _known(base, modules))
    return out


def import_graph(root: Path = ROOT, package: str = PACKAGE) -> Graph:
    """The static import graph of ``package``: module -> {imported module: "file:line"}."""
    files = module_files(root, package)
    names = set(files)
    graph: Graph = {m: {} for m in files}
    for module, path in files.items():
        is_package = path.name == "__init__.py"
        where = path.relative_to(root).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in sorted(_imports(tree), key=lambda n: n.lineno):
            for target in _targets(node, module, is_package, names):
                if target is not None and target != module:
                    graph[module].setdefault(target, f"{where}:{node.lineno}")
    return graph


def strongly_connected(graph: Graph) -> list[list[str]]:
    """Tarjan's strongly connected components of more than one module, each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    m = stack.pop()
                    on_stack.discard(m)
                    component.append(m)
                    if m == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return sorted(components)


def shortest_cycle(graph: Graph, start: str, within: set[str]) -> list[str]:
    """The shortest chain start -> ... -> start inside ``within`` (breadth first)."""
    parent: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for child in sorted(graph[node]):
            if child not in within:
                continue
            if child == start:
                chain = [node]
                while chain[-1] != start:
                    chain.append(parent[chain[-1]])
                return [*chain[::-1], start]
            if child not in parent:
                parent[child] = node
                queue.append(child)
    raise ValueError(f"{start} is on no cycle within {sorted(within)}")


def describe_cycles(graph: Graph) -> list[str]:
    """One paragraph per cycle: the chain of modules, each import with its file:line.

    Each strongly connected component gets shortest cycles through its members until every
    member has appeared in one, so each module to be fixed is named at least once."""
    text = []
    for component in strongly_connected(graph):
        members, covered = set(component), set()
        text.append(f"{len(component)} modules import each other: {', '.join(component)}")
        for m in component:
            if m in covered:
                continue
            chain = shortest_cycle(graph, m, members)
            covered.update(chain)
            steps = [f"    {a} -> {b}  ({graph[a][b]})" for a, b in zip(chain, chain[1:])]
            text.append("  cycle:\n" + "\n".join(steps))
    return text


# ---- the cycle finder finds cycles (so that the test below can fail) -------------------------
def _fake(edges: str) -> Graph:
    graph: Graph = {}
    for i, edge in enumerate(edges.split()):
        a, b = edge.split(">")
        graph.setdefault(a, {})[b] = f"fake.py:{i + 1}"
        graph.setdefault(b, {})
    return graph


def test_cycle_finder_on_a_fake_graph():
    assert strongly_connected(_fake("a>b b>c c>d")) == []
    graph = _fake("a>b b>c c>a c>d d>e e>d f>a")
    assert strongly_connected(graph) == [["a", "b", "c"], ["d", "e"]]
    assert shortest_cycle(graph, "b", {"a", "b", "c"}) == ["b", "c", "a", "b"]
    text = "\n".join(describe_cycles(graph))
    assert "a -> b  (fake.py:1)" in text and "c -> a  (fake.py:3)" in text
    assert "e -> d  (fake.py:6)" in text and "f ->" not in text  # f is on no cycle


def test_import_graph_reads_source(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from . import a\n")
    (pkg / "a.py").write_text("def f():\n    from .sub import b\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import a\n"
        "from .. import a as _a\nimport pkg.sub\nfrom ..a import f\n"
    )
    graph = import_graph(tmp_path, "pkg")
    assert graph["pkg"] == {"pkg.a": "pkg/__init__.py:1"}
    assert graph["pkg.a"] == {"pkg.sub.b": "pkg/a.py:2"}  # an import inside a function counts
    assert graph["pkg.sub.b"] == {"pkg.a": "pkg/sub/b.py:4", "pkg.sub": "pkg/sub/b.py:5"}
    assert strongly_connected(graph) == [["pkg.a", "pkg.sub.b"]]


# ---- minidl itself ---------------------------------------------------------------------------
def test_no_import_cycles():
    cycles = describe_cycles(import_graph())
    assert not cycles, "import cycles in minidl (one of each pair holds the wrong idea):\n" + (
        "\n".join(cycles)
    )


def _under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _crossings(graph: Graph, lower: str, higher: tuple[str, ...]) -> list[str]:
    return [
        f"{a} -> {b}  ({where})"
        for a, targets in sorted(graph.items())
        if _under(a, lower)
        for b, where in sorted(targets.items())
        if any(_under(b, h) for h in higher)
    ]


def test_layers_import_downward():
    graph = import_graph()
    upward = _crossings(
        graph,
        "minidl.kernels",
        ("minidl.autograd", "minidl.tensor", "minidl.ops", "minidl.nn", "minidl.lab"),  # fmt: skip
    )
    upward += _crossings(graph, "minidl.autograd", ("minidl.tensor", "minidl.ops", "minidl.nn"))
    upward += _crossings(graph, "minidl.tensor", ("minidl.ops", "minidl.nn"))
    assert not upward, "imports that point up the layers:\n" + "\n".join(upward)
