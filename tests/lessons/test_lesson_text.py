"""The lessons' text renders as written: no markdown cell turns into a code block by accident
(four spaces of indent outside a list do that), and every ```python block compiles as shown.

Markdown is parsed by markdown-it-py's CommonMark parser, the parser family JupyterLab's
renderer follows, so "renders as a code block" means what a student sees.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from markdown_it import MarkdownIt

LESSONS = sorted((Path(__file__).resolve().parents[2] / "lessons").glob("*.ipynb"))
PARSER = MarkdownIt("commonmark")


def markdown_cells(path: Path) -> list[tuple[int, str]]:
    notebook = nbformat.read(path, as_version=4)
    return [(i, c.source) for i, c in enumerate(notebook.cells) if c.cell_type == "markdown"]


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_no_accidental_indented_code_blocks(path):
    found = []
    for i, source in markdown_cells(path):
        for token in PARSER.parse(source):
            if token.type == "code_block":  # indented code; fenced code is type "fence"
                line = token.map[0] + 1 if token.map else "?"
                first = token.content.splitlines()[0] if token.content else ""
                found.append(f"markdown cell {i}, line {line}: {first.strip()[:60]!r}")
    assert not found, (
        f"{path.name}: text indented 4 spaces renders as code (use a ``` fence for code, or "
        "remove the indent):\n" + "\n".join(found)
    )


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_markdown_python_blocks_compile(path):
    for i, source in markdown_cells(path):
        for token in PARSER.parse(source):
            if token.type == "fence" and token.info.strip().startswith("python"):
                compile(token.content, f"{path.name}, markdown cell {i}", "exec")  # as shown


def test_the_lint_catches_an_indented_paragraph():
    source = "Some text.\n\n    **4b.** a heading indented by mistake\n"
    assert any(t.type == "code_block" for t in PARSER.parse(source))
    assert not any(t.type == "code_block" for t in PARSER.parse("- item\n\n    continued\n"))
