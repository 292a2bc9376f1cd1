"""The pristine shipped kernel: the file as minidl shipped it, never the one being edited.

A student edits ``minidl/kernels/pool/cpu.py`` and wants to know whether it got faster than
before. Timing it against ``md.kernels.shipped(...)`` would time the edited file against
itself. The pristine copy comes from, in this order:

1. git: the file at ``HEAD`` when minidl runs from a git checkout (a clone, an editable
   install); commit an improvement and it becomes the new baseline;
2. a copy saved the first time the lab ran on this installed version with the file still as
   installed (checked against the hash pip recorded in the wheel's RECORD), in
   ``~/.cache/minidl/pristine/<version>/`` (`minidl.config.cache_dir`);
3. the installed file itself, when its hash still matches RECORD.

Otherwise there is none, and the lab says why. The copy is imported as a module of its own
(``minidl.kernels.<family>._pristine_<impl>``), from a file in the cache folder, so Numba
compiles and caches it apart from the edited one.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from .. import config
from ..kernels.registry import KERNELS, Kernel


class NoPristineCopy(Exception):
    """Raised when no pristine copy of a kernel file can be found; the message says why."""


def _cache_dir() -> Path:
    try:
        version = importlib.metadata.version("minidl")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    return config.cache_dir() / "pristine" / version


def _from_git(path: Path) -> tuple[str, str] | None:
    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(path.parent), *args], capture_output=True, text=True, timeout=10
        )
        if done.returncode:
            raise OSError(done.stderr.strip())
        return done.stdout

    try:
        top = Path(git("rev-parse", "--show-toplevel").strip())
        relative = path.resolve().relative_to(top.resolve()).as_posix()
        text = git("show", f"HEAD:{relative}")
        commit = git("rev-parse", "--short", "HEAD").strip()
    except (OSError, ValueError, subprocess.SubprocessError):
        return None
    return text, f"git HEAD {commit}"


def _recorded_hash(path: Path) -> str | None:
    """The sha256 that pip recorded for ``path`` when it installed minidl, if it did."""
    try:
        files = importlib.metadata.distribution("minidl").files or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for record in files:
        if record.hash and Path(str(record.locate())).resolve() == path.resolve():
            return record.hash.value if record.hash.mode == "sha256" else None
    return None


def _sha256(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def source(kernel: Kernel, impl: str) -> tuple[str, str]:
    """(the pristine text of ``kernel``'s ``impl`` file, where it came from)."""
    path = kernel.path(impl)
    found = _from_git(path)
    if found:
        return found
    saved = _cache_dir() / kernel.family / f"{impl}.py"
    current = path.read_text(encoding="utf-8")
    recorded = _recorded_hash(path)
    if saved.is_file():
        return saved.read_text(encoding="utf-8"), f"the copy saved at install ({saved})"
    if recorded and recorded == _sha256(current):
        saved.parent.mkdir(parents=True, exist_ok=True)
        saved.write_text(current, encoding="utf-8")
        return current, "the installed release (file unchanged since install)"
    why = "it was edited since install" if recorded else "pip recorded no hash for it"
    raise NoPristineCopy(
        f"no pristine copy of {path}: not a git checkout, and {why}; reinstall minidl "
        f"(pip install --force-reinstall minidl) to get the shipped file back"
    )


def load(name: str, impl: str) -> tuple[object, str, bool]:
    """(the pristine function of kernel ``name``'s ``impl``, where it came from, whether it
    is the same text as the file on disk now)."""
    kernel = KERNELS[name]
    text, where = source(kernel, impl)
    current = kernel.path(impl).read_text(encoding="utf-8")
    if text == current:
        module = importlib.import_module(kernel.modules[impl])
        return getattr(module, name), where, True
    return getattr(_module(kernel, impl, text), name), where, False


def _module(kernel: Kernel, impl: str, text: str) -> ModuleType:
    """``text`` imported as ``minidl.kernels.<family>._pristine_<impl>`` (relative imports
    resolve inside the family), from a file of its own so that Numba can cache it."""
    name = f"minidl.kernels.{kernel.family}._pristine_{impl}"
    if name in sys.modules and getattr(sys.modules[name], "_pristine_text", None) == text:
        return sys.modules[name]
    folder = _cache_dir() / "modules" / kernel.family
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"_pristine_{impl}_{_sha256(text)[:12]}.py"
    if not path.is_file():
        path.write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    module.__package__ = f"minidl.kernels.{kernel.family}"
    sys.modules[name] = module
    spec.loader.exec_module(module)
    module._pristine_text = text  # type: ignore[attr-defined]
    return module
