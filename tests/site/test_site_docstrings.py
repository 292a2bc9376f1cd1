"""Plain-text docstrings as reST (minidl/site/docstrings.py): what help() shows must reach
the site's page unchanged in meaning, and every docstring in minidl must parse cleanly."""

from __future__ import annotations

import importlib
import inspect
import io
import pkgutil

import pytest

import minidl
from minidl.site.docstrings import inline, to_rest


def test_arithmetic_stays_arithmetic():
    assert inline("OH = (H-1)*SH - 2*PH + KH") == "OH = (H-1)\\*SH - 2\\*PH + KH"
    assert inline("|x| and C_in_ and a\\b") == "\\|x\\| and C_in\\_ and a\\\\b"
    assert inline("``x*y`` and `Tensor`s") == "``x*y`` and `Tensor`\\ s"


def test_a_block_indented_under_its_label_keeps_its_layout():
    lines = ["Shapes:", "    x (N, C)  -> y (N, 2*C)", "    w (C,)", "Reference: a paper."]
    assert to_rest(lines) == [
        "**Shapes:**",
        "",
        ".. parsed-literal::",
        "",
        "   x (N, C)  -> y (N, 2\\*C)",
        "   w (C,)",
        "",
        "**Reference:** a paper.",
    ]


def test_examples_and_lists():
    rest = to_rest(["Use:", ">>> F.relu(x)", "", "- one", "  more", "- two"])
    assert rest[:4] == ["**Use:**", "", ".. code-block:: pycon", ""]
    assert "   >>> F.relu(x)" in rest and rest[-3:] == ["- one", "  more", "- two"]


def test_kernel_paths_become_links():
    def link(path):
        return f":ref:`{path} <k>`"

    assert inline("in minidl/kernels/pool/cpu.py (gpu.py)", link) == (
        "in :ref:`minidl/kernels/pool/cpu.py <k>` (gpu.py)"
    )
    assert inline("minidl/kernels/roi_align/{a,b}.py", link) == (
        ":ref:`minidl/kernels/roi_align/ <k>`\\ {a,b}.py"
    )


def _docstrings():
    for info in pkgutil.walk_packages(minidl.__path__, "minidl."):
        if info.name.endswith("__main__") or ".demos" in info.name or ".gpu" in info.name:
            continue
        try:
            module = importlib.import_module(info.name)
        except ImportError:  # a GPU-only module
            continue
        yield info.name, inspect.getdoc(module)
        for name, obj in vars(module).items():
            if getattr(obj, "__module__", None) != info.name:
                continue
            if inspect.isfunction(obj) or inspect.isclass(obj):
                yield f"{info.name}.{name}", inspect.getdoc(obj)
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if inspect.isfunction(member):
                        yield f"{info.name}.{name}.{attr}", inspect.getdoc(member)


def test_every_docstring_in_minidl_parses_as_rest_without_a_warning():
    core = pytest.importorskip("docutils.core", reason='the site extra: pip install -e ".[site]"')
    problems = []
    for name, doc in _docstrings():
        if not doc:
            continue
        messages = io.StringIO()
        core.publish_doctree(
            "\n".join(to_rest(doc.splitlines())),
            settings_overrides={"warning_stream": messages, "report_level": 2},
        )
        if messages.getvalue():
            problems.append(f"{name}: {messages.getvalue().strip()}")
    assert not problems, "\n".join(problems[:20])
