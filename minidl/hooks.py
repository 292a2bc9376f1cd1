"""`RemovableHandle`: what ``register_hook`` and the module hooks return, to take a hook out.

    handle = t.register_hook(lambda grad: grad * 2)
    handle.remove()                 # or: with t.register_hook(...): ... (removed at the end)

Hooks live in ordered dicts keyed by the handle's id; the handle keeps only weak references to
them, so a handle does not keep a freed graph or a deleted module alive.
"""

from __future__ import annotations

import itertools
import weakref
from collections import OrderedDict
from typing import Any

_ids = itertools.count()


class RemovableHandle:
    """Removes the hook it was returned for from every table it was added to."""

    def __init__(self, *tables: OrderedDict) -> None:
        self.id = next(_ids)
        self._tables = [weakref.ref(t) for t in tables]

    def remove(self) -> None:
        for ref in self._tables:
            table = ref()
            if table is not None:
                table.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

    def __repr__(self) -> str:
        return f"<RemovableHandle {self.id}>"


class HookTable(OrderedDict):
    """An ordered dict of hooks (an OrderedDict subclass, so that it can be weakly referenced)."""


def add(
    table: HookTable, hook: Any, prepend: bool = False, what: str = "register_hook"
) -> RemovableHandle:
    """Put ``hook`` in ``table`` (last, or first with ``prepend``); its handle removes it."""
    if not callable(hook):
        raise TypeError(f"{what}: expected a callable hook, got {type(hook).__name__}")
    handle = RemovableHandle(table)
    table[handle.id] = hook
    if prepend:
        table.move_to_end(handle.id, last=False)
    return handle
