"""`watch_transfers`: record every host↔device copy that can be seen from Python, with its
place in the code.

What it sees (each event names the innermost frame outside this file, e.g.
``minidl/ops/loss.py:80 in _check_target``):

1. minidl's own boundaries: ``backend.to_device`` and ``backend.to_numpy`` when they move
   data between devices (patched in every loaded ``minidl.*`` module that holds them), and
   every ``Tensor`` method that reads values on the host: ``numpy``, ``item``, ``tolist``,
   ``__float__``, ``__int__``, ``__bool__``, ``__array__``, ``__repr__`` (on the GPU each of
   them copies to the host; on the CPU they are recorded too, which is how the watch is
   tested without a GPU);
2. CuPy's module functions ``cupy.asarray``, ``cupy.array`` and ``cupy.asnumpy`` called with
   host data (a NumPy array, list or Python number sent to the device) or to the host;
3. CuPy's device→host copies made inside CuPy's compiled ndarray class, which cannot be
   patched: ``int(a)``, ``float(a)``, ``bool(a)``, ``a.item()``, ``a.tolist()``, ``repr(a)``,
   ``a.get()`` and the synchronising ops (``nonzero``, boolean-mask indexing) all go through
   ``ndarray.get()`` or a device synchronize, which report to
   ``cupy._core.syncdetect._declare_synchronize`` (the hook behind the deprecated
   ``cupyx.allow_synchronize``); it is wrapped to record instead of raise;
4. numba-cuda's implicit copies: a NumPy array passed to a ``@cuda.jit`` kernel is copied to
   the device and back, with a ``NumbaPerformanceWarning`` ("Host array used in CUDA
   kernel..."), which is recorded.

What it cannot see: host→device copies done inside CuPy's compiled code, such as indexing a
CuPy array with a NumPy index array (``a[np_idx]``) or assigning a NumPy array into a CuPy
one (``a[...] = np_array``); copies made by other libraries (PyTorch, numba's own
``to_device``); and CUDA-level copies that no Python code asks for. A hook missing in the
installed CuPy (``syncdetect`` may disappear in a future release) is listed in
``watch.unwatched`` so that a test can refuse to pass blind.
"""

from __future__ import annotations

import contextlib
import functools
import sys
import traceback
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from minidl import backend
from minidl.tensor import Tensor

HERE = str(Path(__file__).resolve())
TENSOR_READS = (
    "numpy",
    "item",
    "tolist",
    "__float__",
    "__int__",
    "__bool__",
    "__array__",
    "__repr__",
)


@dataclass
class TransferWatch:
    """What `watch_transfers` recorded: (what, where) pairs, and what it could not watch."""

    events: list[tuple[str, str]] = field(default_factory=list)
    unwatched: list[str] = field(default_factory=list)
    paused: bool = False

    def record(self, what: str) -> None:
        if not self.paused:
            self.events.append((what, _caller()))

    def report(self) -> str:
        lines = [f"{len(self.events)} host<->device transfers:"]
        lines += [f"  {what:<48} at {where}" for what, where in self.events]
        return "\n".join(lines)


def _caller() -> str:
    """The innermost frame outside this file and outside CuPy/numba/NumPy themselves."""
    for frame in reversed(traceback.extract_stack()[:-2]):
        name = frame.filename
        if name == HERE or any(
            f"{sep}{lib}{sep}" in name for lib in ("cupy", "numba", "numpy") for sep in "/\\"
        ):
            continue
        return f"{_short(name)}:{frame.lineno} in {frame.name}"
    return "?"


def _short(path: str) -> str:
    for anchor in ("/minidl/", "/tests/"):
        if anchor in path:
            return path[path.rindex(anchor) + 1 :]
    return path


def _recording(
    watch: TransferWatch, what: str, fn: Callable, moves: Callable[..., bool], direct: bool = False
) -> Callable:
    """``fn`` that records ``what`` when ``moves(*args)``; with ``direct``, only when called
    from outside CuPy (CuPy's own Python code calls its asarray on device data all the time)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        inside_cupy = direct and "cupy" in Path(sys._getframe(1).f_code.co_filename).parts
        if not inside_cupy and moves(*args, **kwargs):
            watch.record(what)
        return fn(*args, **kwargs)

    return wrapper


def _patch_backend(watch: TransferWatch, mp: pytest.MonkeyPatch) -> None:
    originals = {
        "to_device": (backend.to_device, lambda x, device, *a, **k: backend.device_of(x) != device),
        "to_numpy": (backend.to_numpy, lambda x, *a, **k: backend.is_cupy_array(x)),
    }
    for name, module in list(sys.modules.items()):
        if not (name == "minidl" or name.startswith("minidl.")) or module is None:
            continue
        for attr, (fn, moves) in originals.items():
            if getattr(module, attr, None) is fn:
                mp.setattr(module, attr, _recording(watch, f"minidl backend.{attr}", fn, moves))


def _patch_tensor(watch: TransferWatch, mp: pytest.MonkeyPatch) -> None:
    for attr in TENSOR_READS:
        fn = getattr(Tensor, attr)
        mp.setattr(Tensor, attr, _recording(watch, f"Tensor.{attr}", fn, lambda *a, **k: True))


def _patch_cupy(watch: TransferWatch, mp: pytest.MonkeyPatch) -> None:
    cp = backend._cupy
    if cp is None:
        return

    def host_data(x: Any = None, *args: Any, **kwargs: Any) -> bool:
        return not isinstance(x, cp.ndarray)

    for attr in ("asarray", "array"):
        fn = getattr(cp, attr)
        mp.setattr(cp, attr, _recording(watch, f"cupy.{attr}(host data)", fn, host_data, True))
    every = _recording(watch, "cupy.asnumpy", cp.asnumpy, lambda *a, **k: True, True)
    mp.setattr(cp, "asnumpy", every)
    try:
        from cupy._core import syncdetect

        hook = syncdetect._declare_synchronize
    except (ImportError, AttributeError) as exc:
        watch.unwatched.append(f"CuPy device->host copies (no syncdetect hook: {exc})")
        return

    def declare() -> None:
        watch.record("CuPy ndarray.get / synchronize")
        hook()

    mp.setattr(syncdetect, "_declare_synchronize", declare)


def _numba_copy_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    return [
        f"numba implicit copy ({str(w.message)[:60]})"
        for w in caught
        if w.category.__name__ == "NumbaPerformanceWarning" and "Host array" in str(w.message)
    ]


def _warn_on_implicit_copies(mp: pytest.MonkeyPatch) -> None:
    """Make sure numba-cuda warns about implicit copies (its default, but settable by env)."""
    for name in ("numba.core.config", "numba.cuda.core.config"):
        config = sys.modules.get(name)
        if config is not None and hasattr(config, "CUDA_WARN_ON_IMPLICIT_COPY"):
            mp.setattr(config, "CUDA_WARN_ON_IMPLICIT_COPY", 1)


@contextlib.contextmanager
def watch_transfers() -> Iterator[TransferWatch]:
    """Record the transfers of the code inside the block (see the module docstring)."""
    watch = TransferWatch()
    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _patch_backend(watch, mp)
        _patch_tensor(watch, mp)
        _patch_cupy(watch, mp)
        _warn_on_implicit_copies(mp)
        yield watch
        watch.paused = True
    for what in _numba_copy_warnings(caught):
        watch.events.append((what, "a numba-cuda kernel launch (see the warning)"))
