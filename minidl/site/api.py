"""The site's API reference: every public name of minidl's namespaces, from its docstring.

The pages are written as reST files for Sphinx's autodoc, read fresh from the package on
every build, so a new op appears without anyone editing a list. A namespace's names are
grouped by the module that defines them (``F.max_pool2d`` and ``F.max_unpool2d`` on the
page of ``minidl/ops/pool.py``, with that module's docstring on top). A name that two
namespaces share (``md.relu`` and ``F.relu``) is documented once, in the first namespace of
`NAMESPACES` whose scope holds its module, and linked from the others. The functional API's
overview has a column with the kernel files each op runs (the paths its docstring names).
"""

from __future__ import annotations

import importlib
import inspect
import re
from dataclasses import dataclass
from pathlib import Path

from .docstrings import Link, inline
from .files import write_if_changed

_KERNEL_PATH = re.compile(r"minidl/kernels/\w+/(?:\w+\.py)?")
_NO_KERNEL = re.compile(r"\bKernels?: none\b")
# a namespace that defines at most this many names gets one page, not one per module
ONE_PAGE = 12


@dataclass(frozen=True)
class Namespace:
    """A public namespace, the modules whose names it documents, and its page's intro."""

    module: str
    slug: str  # its folder under api/
    intro: str
    scope: tuple[str, ...] = ()  # module prefixes whose names it owns; () means its own

    @property
    def owns(self) -> tuple[str, ...]:
        return self.scope or (self.module,)


NAMESPACES = [
    Namespace(
        "minidl.nn.functional",
        "F",
        "``import minidl.nn.functional as F``: the ops, with PyTorch's names and semantics. "
        "Each docstring gives the shapes, the math, the reference and the kernel file that "
        "computes it.",
        ("minidl.ops", "minidl.nn.functional"),
    ),
    Namespace("minidl.nn", "nn", "``import minidl.nn as nn``: layers, losses, `Module`."),
    Namespace(
        "minidl",
        "md",
        "``import minidl as md``: `Tensor`, creation, the array ops, autograd, saving.",
        ("minidl",),
    ),
    Namespace("minidl.optim", "optim", "Optimisers and learning-rate schedules."),
    Namespace("minidl.nn.init", "init", "Weight initialisation, as ``torch.nn.init``."),
    Namespace(
        "minidl.kernels",
        "kernels",
        "The kernel registry: which implementation runs, plugging in your own, reloading.",
    ),
    Namespace("minidl.kernels.algorithms", "algorithms", "Which algorithm ``conv2d`` runs."),
    Namespace(
        "minidl.lab",
        "lab",
        "The kernel lab from Python: check a kernel against its reference.",
        ("minidl.lab", "minidl.kernels"),
    ),
    Namespace("minidl.data", "data", "Seeded data sets, loaders and augmentation."),
    Namespace("minidl.models", "models", "The finished models the lessons build step by step."),
    Namespace("minidl.train", "train", "A small fit loop with a progress bar and a history."),
    Namespace("minidl.metrics", "metrics", "Segmentation, verification and detection metrics."),
    Namespace("minidl.viz", "viz", "Matplotlib helpers for images, masks, curves and graphs."),
    Namespace("minidl.profiler", "profiler", "Where a step's time goes, op by op."),
    Namespace("minidl.hooks", "hooks", "Hooks on tensors."),
    Namespace("minidl.anomaly", "anomaly", "Anomaly mode: the op that made the first NaN."),
    Namespace("minidl.cuda", "cuda", "Whether a GPU is usable."),
    Namespace("minidl.config", "config", "The environment switches, read in one place."),
]


@dataclass
class Entry:
    """One public name: where it is documented and what its docstring says."""

    namespace: Namespace
    name: str
    obj: object
    home: str  # the dotted name it is documented under

    @property
    def defined_in(self) -> str:
        return self.obj.__module__

    @property
    def summary(self) -> str:
        """The docstring's first sentence."""
        doc = " ".join((inspect.getdoc(self.obj) or "").split("\n\n", 1)[0].split())
        first = re.split(r"(?<=[.;])\s", doc, maxsplit=1)[0].removesuffix(";")
        return first if len(first) <= 160 else first[:157].rsplit(" ", 1)[0] + " ..."

    def kernels(self) -> list[str] | None:
        """The kernel paths its docstring names; None where it says it runs no kernel."""
        doc = inspect.getdoc(self.obj) or ""
        paths = list(dict.fromkeys(_KERNEL_PATH.findall(doc)))
        if not paths and _NO_KERNEL.search(doc):
            return None
        return paths


def _public(namespace: Namespace) -> list[tuple[str, object]]:
    module = importlib.import_module(namespace.module)
    names = sorted(n for n in dir(module) if not n.startswith("_"))
    out = []
    for name in names:
        obj = getattr(module, name)
        if not (inspect.isfunction(obj) or inspect.isclass(obj)):
            continue  # submodules, constants, NumPy dtypes re-exported by md
        if getattr(obj, "__module__", "").split(".")[0] != "minidl":
            continue
        out.append((name, obj))
    return out


def _under(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def entries() -> dict[str, list[Entry]]:
    """Each namespace's public names, with the dotted name each is documented under."""
    homes: dict[int, str] = {}
    listed: dict[str, list[Entry]] = {}
    for ns in NAMESPACES:
        listed[ns.module] = []
        for name, obj in _public(ns):
            key = id(obj)
            if key not in homes and _under(obj.__module__, ns.owns):
                homes[key] = f"{ns.module}.{name}"
            if key in homes:
                listed[ns.module].append(Entry(ns, name, obj, homes[key]))
    return listed


def _title(text: str, underline: str = "=") -> list[str]:
    return [text, underline * len(text), ""]


def _module_summary(module: str) -> str:
    doc = inspect.getdoc(importlib.import_module(module)) or module
    return " ".join(doc.split("\n\n", 1)[0].split())


def _page_title(module: str, names: list[str]) -> str:
    """A short title: the names themselves when few, else the module docstring's subject."""
    if len(names) <= 4:
        return ", ".join(names)
    subject = re.split(r":\s|\s\(|\.\s|\.$", _module_summary(module), maxsplit=1)[0]
    subject = subject.replace("``", "").replace("`", "")
    if len(subject) > 40:  # "Activation functions, with PyTorch's names, ..."
        subject = subject.split(", ", 1)[0]
    return subject if len(subject) <= 60 else subject[:57].rsplit(" ", 1)[0] + " ..."


def _document(entry: Entry) -> list[str]:
    if inspect.isclass(entry.obj):
        return [f".. autoclass:: {entry.home}", "   :members:", "   :show-inheritance:", ""]
    return [f".. autofunction:: {entry.home}", ""]


def _module_page(ns: Namespace, module: str, own: list[Entry]) -> list[str]:
    names = [e.name for e in own]
    lines = [f".. _api-{ns.slug}-{module}:", ""]
    lines += _title(f"{ns.slug}: {_page_title(module, names)}")
    lines += [f"Defined in ``{module.replace('.', '/')}.py``.", ""]
    lines += [f".. automodule:: {module}", "   :no-index:", ""]
    for entry in own:
        lines += _document(entry)
    return lines


def _groups(own: list[Entry]) -> dict[str, list[Entry]]:
    groups: dict[str, list[Entry]] = {}
    for entry in own:
        groups.setdefault(entry.defined_in, []).append(entry)
    return groups


def _kernel_cell(entry: Entry, link: Link | None) -> str:
    paths = entry.kernels()
    if paths is None:
        return "none (array code)"
    return ", ".join(inline(p, link) for p in paths) or "—"


def _overview(ns: Namespace, listed: list[Entry], pages: dict[str, str], link) -> list[str]:
    """The namespace's table: each name, its first sentence, where it is documented."""
    kernels = ns.slug == "F"
    header = ["name", "what it does"] + (["kernel files"] if kernels else [])
    widths = "20 55 25" if kernels else "25 75"
    lines = [".. list-table::", "   :header-rows: 1", f"   :widths: {widths}", ""]
    lines.append("   * - " + "\n     - ".join(header))
    for entry in listed:
        shown = f"{ns.slug}.{entry.name}" if ns.slug in ("F", "md", "nn") else entry.name
        row = [f":py:obj:`{shown} <{entry.home}>`", inline(entry.summary) or "—"]
        if kernels:
            row.append(_kernel_cell(entry, link))
        lines.append("   * - " + "\n     - ".join(row))
    lines.append("")
    if pages:
        lines += [".. toctree::", "   :maxdepth: 1", "   :hidden:", ""]
        lines += [f"   {page}" for page in pages.values()]
        lines.append("")
    return lines


def write(root: Path, link: Link | None = None) -> list[Path]:
    """Write the API pages under ``root`` (the site's ``api/`` folder); returns their paths.

    A page is rewritten only when its text changed, so that Sphinx rebuilds only those."""
    listed = entries()
    files: dict[Path, list[str]] = {}
    index = _title("API reference")
    index += [
        "Generated from the docstrings on every build. Each op's docstring gives its shapes, "
        "its math, the PyTorch op or paper it follows and the kernel file whose loop computes "
        "it; the kernel files link to their source.",
        "",
        ".. toctree::",
        "   :maxdepth: 1",
        "",
    ]
    for ns in NAMESPACES:
        index.append(f"   {ns.slug}/index")
        own = [e for e in listed[ns.module] if e.home == f"{ns.module}.{e.name}"]
        groups = _groups(own)
        lines = [f".. _api-{ns.slug}:", ""] + _title(f"{ns.module}")
        lines += [inline(ns.intro), ""]
        pages: dict[str, str] = {}
        if len(own) > ONE_PAGE and len(groups) > 1:
            for module, members in groups.items():
                pages[module] = module.removeprefix("minidl.")
                files[root / ns.slug / f"{pages[module]}.rst"] = _module_page(ns, module, members)
            lines += _overview(ns, listed[ns.module], pages, link)
        else:
            lines += _overview(ns, listed[ns.module], {}, link)
            for module, members in groups.items():
                lines += _title(module.removeprefix("minidl.") or "minidl", "-")
                lines += [f".. automodule:: {module}", "   :no-index:", ""]
                for entry in members:
                    lines += _document(entry)
        files[root / ns.slug / "index.rst"] = lines
    files[root / "index.rst"] = [*index, ""]
    for path, lines in files.items():
        write_if_changed(path, "\n".join(lines) + "\n")
    for old in root.rglob("*.rst"):  # the page of a name that is gone
        if old not in files:
            old.unlink()
    return list(files)
