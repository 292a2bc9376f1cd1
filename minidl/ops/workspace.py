"""A reused scratch buffer for the big temporaries of a conv call (``cols``, Winograd's V, M).

A fresh buffer of tens of MB is slow to get: glibc hands buffers over its mmap threshold back
to the OS on free, so each new one starts as untouched pages that fault in on first write.
Every conv call borrows a view of one grown buffer instead (``minidl/kernels/README.md``,
"Work buffers", has the measurements).
"""

from __future__ import annotations

from typing import Any

import numpy as np


class Workspace:
    """One flat scratch array per (slot, array module, dtype), grown to the largest request.

    A view is only valid until the next conv call: nothing keeps one across calls (not
    thread-safe). A call that needs two buffers at once names them by ``slot`` ("cols", "V",
    "M").
    """

    def __init__(self) -> None:
        self._buffers: dict[tuple[str, str, np.dtype], Any] = {}

    def get(self, xp: Any, shape: tuple[int, ...], dtype: Any, slot: str = "cols") -> Any:
        size = 1
        for n in shape:
            size *= n
        # keyed by the dtype object, not dtype.name, which is rebuilt on every call
        key = (slot, xp.__name__, np.dtype(dtype))
        buf = self._buffers.get(key)
        if buf is None or buf.size < size:
            buf = self._buffers[key] = xp.empty(size, dtype=dtype)
        return buf[:size].reshape(shape)

    def clear(self) -> None:
        """Free the buffers (they come back, at their size, with the next conv call)."""
        self._buffers.clear()


workspace = Workspace()
