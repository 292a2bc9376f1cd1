"""The Sphinx extension of the course website (``extensions = ["minidl.site.sphinx_ext"]``).

- every docstring autodoc reads is rewritten from plain text to reST (`docstrings.to_rest`),
  its kernel paths linked to the kernel source pages;
- every lesson page gets, under its title, a link to download its notebook (as committed:
  without outputs) and a line saying which mode produced the outputs shown;
- a text progress bar (tqdm) shows its last state only, as Jupyter shows it: the executed
  notebook keeps each redraw as a line of its own.
"""

from __future__ import annotations

import functools
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx

from . import kernel_pages
from .docstrings import to_rest
from .outputs import last_bar_states

KERNELS = Path(__file__).resolve().parents[1] / "kernels"
MODES = {
    "quick": "quick mode (MINIDL_QUICK=1: the same code on less data and fewer steps; a claim "
    "that needs the full data says NEEDS FULL MODE)",
    "full": "full mode (the data and training the text describes)",
}


@functools.cache
def _link():
    return kernel_pages.linker(KERNELS)


def _rewrite_docstring(app: Sphinx, what, name, obj, options, lines: list[str]) -> None:
    lines[:] = to_rest(lines, _link())


def _notebook_header(app: Sphinx, doctree: nodes.document) -> None:
    """The download link and the mode line, under a lesson page's title."""
    source = Path(app.env.doc2path(app.env.docname))
    section = next(iter(doctree.findall(nodes.section)), None)
    if source.suffix != ".ipynb" or section is None:
        return
    link = addnodes.download_reference(
        "", "", refdoc=app.env.docname, reftarget=source.name, refexplicit=True
    )
    link += nodes.literal(source.name, source.name)
    note = nodes.paragraph(classes=["minidl-notebook"])
    note += nodes.Text("Download the notebook: ")
    note += link
    note += nodes.Text(
        " (as committed, without outputs; open it with jupyter lab). The outputs on this page "
        f"were computed when the site was built, in {MODES[app.config.minidl_mode]}."
    )
    section.insert(1, note)


def _progress_bars(app: Sphinx, doctree: nodes.document) -> None:
    for block in doctree.findall(nodes.literal_block):
        if "stderr" in block.get("classes", []):
            text = block.astext()
            shorter = last_bar_states(text)
            if shorter != text:
                # rawsource too: Sphinx highlights a block whose rawsource is its text
                block.children, block.rawsource = [nodes.Text(shorter)], shorter


def setup(app: Sphinx) -> dict:
    app.add_config_value("minidl_mode", "quick", "env", str)
    app.connect("autodoc-process-docstring", _rewrite_docstring)
    # before Sphinx's download collector (priority 500) reads the links of the doctree
    app.connect("doctree-read", _notebook_header, priority=400)
    app.connect("doctree-read", _progress_bars)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
