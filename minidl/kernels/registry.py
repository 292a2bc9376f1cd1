"""Which implementation of each kernel runs, and how a student swaps in their own.

A kernel family is a folder of ``minidl/kernels/``: ``reference.py`` names its kernels in
``__all__``, and each of ``cpu.py`` and ``gpu.py`` that exists defines a function of the same
name and signature. This table is read from the folders (by parsing, without importing, so
that printing it loads no Numba); adding a family means adding a folder::

    reference  readable NumPy, the spec and the test oracle
    cpu        Numba ``@njit`` loops
    gpu        numba-cuda ``@cuda.jit`` kernels launched on CuPy arrays

The choice, first rule that applies:
1. ``with minidl.kernels.use(max_pool2d=impl): ...`` (innermost wins);
2. ``MINIDL_KERNELS=reference|cpu|gpu`` (read by `minidl.config`);
3. the array: CuPy → gpu, NumPy → cpu (reference when the family has no such file).

``use`` also takes an op's algorithm, e.g. ``use(conv2d="im2col")`` (see ``algorithms.py``).
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from .. import backend, config, profiler
from . import algorithms

IMPLS = config.IMPLS
FOLDER = Path(__file__).parent
Impl = Callable[..., Any]


@dataclass(frozen=True)
class Kernel:
    """One kernel: its family folder and, per implementation, the module defining it."""

    name: str
    family: str
    modules: dict[str, str]  # impl -> module name, e.g. "cpu" -> "minidl.kernels.pool.cpu"
    lines: dict[str, int]  # impl -> line of its ``def`` in that file

    def path(self, impl: str) -> Path:
        """The source file of implementation ``impl``."""
        return FOLDER / self.family / f"{impl}.py"


def _defs(path: Path) -> dict[str, int]:
    """The top-level functions of a source file, with their lines."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name: node.lineno for node in tree.body if isinstance(node, ast.FunctionDef)}


def _exported(path: Path) -> list[str]:
    """The names in a source file's ``__all__``."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return list(ast.literal_eval(node.value))
    raise ValueError(f"kernels: {path} must list its kernels in __all__")


def _scan() -> dict[str, Kernel]:
    table: dict[str, Kernel] = {}
    for folder in sorted(p for p in FOLDER.iterdir() if (p / "reference.py").is_file()):
        files = {impl: folder / f"{impl}.py" for impl in IMPLS if (folder / f"{impl}.py").is_file()}
        defs = {impl: _defs(path) for impl, path in files.items()}
        for name in _exported(files["reference"]):
            missing = [impl for impl in files if name not in defs[impl]]
            if missing:
                raise ValueError(
                    f"kernels: {folder.name}/{missing[0]}.py does not define {name}(), which "
                    f"{folder.name}/reference.py exports: every file of a family defines all "
                    "of its kernels"
                )
            modules = {impl: f"minidl.kernels.{folder.name}.{impl}" for impl in files}
            lines = {impl: defs[impl][name] for impl in files}
            table[name] = Kernel(name, folder.name, modules, lines)
    return table


KERNELS: dict[str, Kernel] = _scan()
_overrides: list[dict[str, Any]] = []


def _check_name(name: str) -> Kernel:
    if name not in KERNELS:
        raise ValueError(f"kernels: unknown kernel {name!r}; known: {sorted(KERNELS)}")
    return KERNELS[name]


def shipped(name: str, impl: str) -> Impl:
    """The shipped ``impl`` ("reference", "cpu" or "gpu") of kernel ``name``, as the file on
    disk defines it now (see `reload` after editing it)."""
    kernel = _check_name(name)
    if impl not in kernel.modules:
        raise ValueError(
            f"kernels: {name!r} has no {impl!r} implementation "
            f"(minidl/kernels/{kernel.family}/ has {sorted(kernel.modules)})"
        )
    return getattr(importlib.import_module(kernel.modules[impl]), name)


def resolve(name: str, impl: str | ModuleType | Impl) -> Impl:
    """Turn what a user passes to `use` (a name, a module, a function) into a function."""
    if isinstance(impl, str):
        return shipped(name, impl)
    if isinstance(impl, ModuleType):
        if not hasattr(impl, name):
            raise TypeError(f"kernels.use: module {impl.__name__!r} has no function {name!r}")
        return getattr(impl, name)
    if callable(impl):
        return impl
    raise TypeError(
        f"kernels.use: {name}= expects 'reference'|'cpu'|'gpu', a module or a function, "
        f"got {type(impl).__name__}"
    )


def default_impl(name: str, like: Any) -> str:
    """The implementation rules 2 and 3 pick for arrays like ``like`` (no `use` block)."""
    forced = config.forced_impl()
    if forced:
        return forced
    impl = "gpu" if backend.is_cupy_array(like) else "cpu"
    return impl if impl in KERNELS[name].modules else "reference"


def get(name: str, like: Any) -> Impl:
    """The implementation of kernel ``name`` to run on arrays like ``like``."""
    for frame in reversed(_overrides):
        if name in frame:
            if profiler.current is not None:
                profiler.current.note(f"{name}:yours")
            return frame[name]
    impl = default_impl(name, like)
    if profiler.current is not None:
        profiler.current.note(f"{name}:{impl}")
    return shipped(name, impl)


def forced_algorithm(op: str) -> str | None:
    """The algorithm a `use` block around this call forces on ``op``, or None."""
    for frame in reversed(_overrides):
        if op in frame:
            return frame[op]
    return None


@contextlib.contextmanager
def use(**choices: str | ModuleType | Impl) -> Iterator[None]:
    """Run the named kernels with the given implementations, or the named ops with the given
    algorithms, inside the block.

    >>> with minidl.kernels.use(max_pool2d="reference"):
    ...     y = F.max_pool2d(x, 2)
    >>> with minidl.kernels.use(conv2d="im2col", im2col=my_im2col):
    ...     y = F.conv2d(x, w)          # im2col + GEMM, with your im2col
    """
    frame: dict[str, Any] = {}
    for name, choice in choices.items():
        if name in algorithms.OPS:
            frame[name] = algorithms.check_name(name, choice)
        else:
            _check_name(name)
            frame[name] = resolve(name, choice)
    _overrides.append(frame)
    try:
        yield
    finally:
        _overrides.remove(frame)


def reload(name: str, *, verbose: bool = True) -> list[str]:
    """Re-import the files of kernel ``name``'s family after you edited one, so that the ops
    run the new code; returns (and prints) what was reloaded.

    Python keeps a module as it was first imported until the process (the notebook kernel)
    restarts; this re-reads the family's files from disk. Numba then compiles the edited
    loops on their next call (its cache notices that the file changed).
    """
    family = _check_name(name).family
    # the family's files, reference first (the others import it), then loaded files of other
    # families that import from this one (winograd_fused/cpu.py uses winograd/cpu.py's passes)
    names = [f"minidl.kernels.{family}.{impl}" for impl in IMPLS]
    names += sorted(
        module
        for module in {
            m for k in KERNELS.values() if k.family != family for m in k.modules.values()
        }
        if module in sys.modules and f"..{family}." in _source(module)
    )
    reloaded = []
    for module_name in names:
        module = sys.modules.get(module_name)
        if module is not None:
            importlib.reload(module)
            reloaded.append(str(Path(module.__file__).relative_to(FOLDER.parent.parent)))
    if verbose:
        what = ", ".join(reloaded) if reloaded else "nothing (no file of it was imported yet)"
        print(f"kernels.reload({name!r}): reloaded {what}; Numba recompiles on the next call")
    return reloaded


def _source(module_name: str) -> str:
    return Path(sys.modules[module_name].__file__).read_text(encoding="utf-8")
