"""minidl's plain-text docstrings as reStructuredText, for the site's API pages.

The docstrings are written for ``help()``: ``*`` multiplies, ``|x|`` is an absolute value,
and an indented block is laid out by hand (an op's Shapes, conv2d's table of algorithms).
Read as reST, ``2*PH + KH*`` would turn italic and the tables would reflow, so each paragraph
is rewritten before Sphinx parses it:

- the block under a line it is indented under ("Shapes:", "Args:") keeps its line breaks
  and alignment: a parsed-literal block (monospace, links still work);
- ``>>>`` examples become a pycon code block;
- lines that start with "- " or "1. " become a list;
- the rest is prose: reST's special characters are escaped outside ````code```` and
  ```references```, and a leading label ("Shapes:", "Kernel:", "Reference:") is set in bold.

``link(path)`` may turn a kernel file named in the text (``minidl/kernels/pool/cpu.py``)
into a reST reference; the site passes one that points at the file's source page.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Link = Callable[[str], "str | None"]

# ``literal`` and `reference` spans pass through untouched; everything between is escaped
_SPAN = re.compile(r"(``.+?``|`[^`\n]+`)")
_SPECIAL = re.compile(r"([\\*|`])|(?<=\w)_(?=\W|$)")
_KERNEL_PATH = re.compile(r"minidl/kernels/\w+/(?:\w+\.py)?")
_LABEL = re.compile(r"^([A-Z][\w ,'/-]{0,40}):(?=\s|$)")
_ITEM = re.compile(r"^([-*•]|\d{1,2}\.) ")
# what may stand right before and after inline markup in reST (else an escaped space goes
# between: "`Tensor`s" would not parse)
_OPENERS = "-:/'\"<([{"
_CLOSERS = "-.,:;!?\\/'\")]}>"
_RULE = re.compile(r"^=+(\s+=+)+$")  # a table drawn with ===== rules: keep it as drawn


def to_rest(lines: list[str], link: Link | None = None) -> list[str]:
    """``lines`` of one docstring (dedented, as Sphinx hands them over) as reST lines."""
    out: list[str] = []
    for block in _paragraphs(lines):
        out += _block(block, link)
        out.append("")
    while out and not out[-1]:
        out.pop()
    return out


def _paragraphs(lines: list[str]) -> list[list[str]]:
    blocks, current = [], []
    for line in lines:
        if line.strip():
            current.append(line.rstrip())
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _block(block: list[str], link: Link | None) -> list[str]:
    """One paragraph: prose, then (where it starts) a laid-out block, an example or a list."""
    base = _indent(block[0])
    if any(_RULE.match(line.strip()) for line in block):
        return _laid_out(block, link)
    for i, line in enumerate(block):
        if line.lstrip().startswith(">>>"):
            return _prose(block[:i], link) + _example(block[i:])
        if i and _indent(line) > base:
            # the indented run ends where a line comes back to the paragraph's margin
            end = next((j for j in range(i, len(block)) if _indent(block[j]) <= base), None)
            rest = [] if end is None else ["", *_block(block[end:], link)]
            return _prose(block[:i], link) + _laid_out(block[i:end], link) + rest
        if _ITEM.match(line.lstrip()) and _indent(line) == base:
            return _prose(block[:i], link) + _items(block[i:], link)
    if base:
        return _laid_out(block, link)
    return _prose(block, link)


def _prose(lines: list[str], link: Link | None) -> list[str]:
    if not lines:
        return []
    text = [inline(line.strip(), link) for line in lines]
    text[0] = _LABEL.sub(r"**\1:**", text[0], count=1)
    if text[-1].endswith("::"):  # what follows is laid out as literal already
        text[-1] = text[-1][:-1]
    return [*text, ""]


def _laid_out(lines: list[str], link: Link | None) -> list[str]:
    # parsed-literal: the author's line breaks and columns, with inline markup still read
    margin = min(_indent(line) for line in lines)
    return [".. parsed-literal::", ""] + ["   " + inline(line[margin:], link) for line in lines]


def _example(lines: list[str]) -> list[str]:
    margin = min(_indent(line) for line in lines)
    return [".. code-block:: pycon", ""] + ["   " + line[margin:] for line in lines]


def _items(lines: list[str], link: Link | None) -> list[str]:
    out: list[str] = []
    hang = 2
    for line in lines:
        item = _ITEM.match(line.lstrip())
        if item:
            marker = "-" if item[1] in "-*•" else item[1]
            hang = len(marker) + 1
            out.append(f"{marker} {inline(line.lstrip()[item.end() :], link)}")
        else:
            out.append(" " * hang + inline(line.strip(), link))
    return out


def inline(text: str, link: Link | None = None) -> str:
    """``text`` with reST's inline specials escaped outside code spans and references, and
    the kernel paths that ``link`` knows linked."""
    pieces = _SPAN.split(text)
    out = []
    for i, piece in enumerate(pieces):
        if i % 2:
            out.append(_apart(_span(piece, link), pieces[i - 1][-1:], pieces[i + 1][:1]))
        else:
            out.append(_escape(piece, link))
    return "".join(out)


def _span(span: str, link: Link | None) -> str:
    # a kernel path written as ``minidl/kernels/pool/cpu.py`` is a link like a bare one
    inner = span.strip("`")
    if link is not None and span.startswith("``") and _KERNEL_PATH.fullmatch(inner):
        return link(inner) or span
    return span


def _escape(text: str, link: Link | None) -> str:
    out, last = [], 0
    if link is not None:
        for match in _KERNEL_PATH.finditer(text):
            target = link(match[0])
            if target is None:
                continue
            out.append(_SPECIAL.sub(r"\\\g<0>", text[last : match.start()]))
            before, after = text[match.start() - 1 : match.start()], text[match.end() :][:1]
            out.append(_apart(target, before, after))
            last = match.end()
    out.append(_SPECIAL.sub(r"\\\g<0>", text[last:]))
    return "".join(out)


def _apart(markup: str, before: str, after: str) -> str:
    """``markup`` with an escaped space (no gap in the output) where it touches a character
    that reST does not allow next to inline markup."""
    gap_before = before and not (before.isspace() or before in _OPENERS)
    gap_after = after and not (after.isspace() or after in _CLOSERS)
    return ("\\ " if gap_before else "") + markup + ("\\ " if gap_after else "")
