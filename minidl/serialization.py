"""`md.save` / `md.load`: checkpoints as ``.npz`` files, no pickle, written atomically.

A checkpoint is any nest of dicts and lists whose leaves are arrays, Tensors, numbers,
strings, booleans or None (a ``state_dict``, or ``{"model": ..., "optimizer": ..., "epoch":
3}``). Arrays are stored as ``.npy`` members named by their path (``model/fc.weight``); the
structure and the plain values go in a JSON member. The file is written next to its target
and renamed over it, so a crash mid-write leaves the old checkpoint intact.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from . import backend
from .tensor import Tensor

FORMAT = "minidl-checkpoint"
VERSION = 1
_HEADER = "__minidl__"


def _split(obj: Any, path: str, arrays: dict[str, np.ndarray]) -> Any:
    """The JSON-able skeleton of ``obj``; arrays go to ``arrays`` under their path."""
    if isinstance(obj, Tensor):
        obj = obj.data
    if isinstance(obj, dict):
        for key in obj:
            if not isinstance(key, str) or "/" in key:
                raise ValueError(f"save: keys must be strings without '/', got {key!r} in {path!r}")
        return {
            "dict": {k: _split(v, f"{path}/{k}" if path else k, arrays) for k, v in obj.items()}
        }
    if isinstance(obj, (list, tuple)):
        return {
            "list": [
                _split(v, f"{path}/{j}" if path else str(j), arrays) for j, v in enumerate(obj)
            ]
        }
    if isinstance(obj, np.ndarray) or backend.is_cupy_array(obj):
        array = backend.to_numpy(obj)
        if array.dtype.kind not in "biufc":
            raise TypeError(
                f"save: {path!r} has dtype {array.dtype}; only numeric arrays are stored"
            )
        arrays[path] = array
        return {"array": path}
    if isinstance(obj, np.generic):
        obj = obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return {"value": obj}
    raise TypeError(f"save: cannot store {type(obj).__name__} at {path!r} (no pickle)")


def save(obj: Any, path: str | os.PathLike) -> None:
    """Write ``obj`` (e.g. ``model.state_dict()``) to ``path`` atomically."""
    path = Path(path)
    arrays: dict[str, np.ndarray] = {}
    header = {"format": FORMAT, "version": VERSION, "tree": _split(obj, "", arrays)}
    arrays[_HEADER] = np.array(json.dumps(header))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it owner-only; keep the usual mode
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _join(node: dict, members: Any, device: str) -> Any:
    kind, value = next(iter(node.items()))
    if kind == "dict":
        return {k: _join(v, members, device) for k, v in value.items()}
    if kind == "list":
        return [_join(v, members, device) for v in value]
    if kind == "array":
        return backend.to_device(members[value], device)
    return value


def load(path: str | os.PathLike, device: str = "cpu") -> Any:
    """Read a checkpoint written by `save`; arrays come back as arrays on ``device``."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"load: no such file: {path}")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"load: {path} is truncated or not a minidl checkpoint (not an .npz)")
    try:
        with np.load(path, allow_pickle=False) as members:
            if _HEADER not in members.files:
                raise ValueError(f"load: {path} is an .npz file but not a minidl checkpoint")
            header = json.loads(str(members[_HEADER]))
            if header.get("format") != FORMAT:
                raise ValueError(f"load: {path} is not a minidl checkpoint")
            if header.get("version", 0) > VERSION:
                raise ValueError(
                    f"load: {path} was written by a newer minidl (format "
                    f"version {header['version']} > {VERSION})"
                )
            return _join(header["tree"], members, device)
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        OSError,
        KeyError,
        json.JSONDecodeError,
    ) as exc:
        raise ValueError(
            f"load: {path} is truncated or not a minidl checkpoint ({type(exc).__name__}: {exc})"
        ) from None
