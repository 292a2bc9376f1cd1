"""Writing the site's sources so that an unchanged file keeps its time stamp.

Sphinx rebuilds the pages whose sources are newer than its last build, so a source that is
written again with the same text must not be touched: the rebuild stays incremental.
"""

from __future__ import annotations

import shutil
from pathlib import Path


def write_if_changed(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` unless it already holds it; True if it was written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def copy_if_changed(source: Path, target: Path) -> bool:
    """Copy ``source`` to ``target`` unless ``target`` has the same bytes; True if copied."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() and target.read_bytes() == source.read_bytes():
        return False
    shutil.copyfile(source, target)
    return True
