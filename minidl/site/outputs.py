"""How the lessons' outputs read on a page: a text progress bar shows its last state.

tqdm redraws a bar in place with a carriage return; Jupyter shows only the last drawing, but
the executed notebook keeps every redraw, and the page would list them all, one a line.
"""

from __future__ import annotations

import re

_BAR = re.compile(r"^(?P<desc>[^|\n]*?)\s*\d+%\|")


def last_bar_states(text: str) -> str:
    """``text`` with each run of redraws of one progress bar cut down to its last line."""
    lines = text.split("\n")
    kept = []
    for line, after in zip(lines, [*lines[1:], ""]):
        bar, next_bar = _BAR.match(line), _BAR.match(after)
        if bar and next_bar and bar["desc"] == next_bar["desc"]:
            continue  # redrawn by the next line
        kept.append(line)
    return "\n".join(kept)
