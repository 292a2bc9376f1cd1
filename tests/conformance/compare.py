"""How a minidl result is compared with PyTorch's: the tolerances, in one place.

- Floating tensors: same shape, the same dtype (float64 in, float64 out), and
  ``|ours - theirs| <= ATOL + RTOL * |theirs|`` elementwise, NaN where torch has NaN. Both
  libraries compute in float64, where different summation orders differ by ~1e-13; 1e-7 is
  far above that (it accepts any correct algorithm) and far below any real mistake.
- Integer and bool tensors (indices, masks): same shape and dtype, and equal, except where
  the op declares a tie rule (`TieRule`): an argmax/max index that differs from torch's is
  accepted when the input holds the same value at both indices (ties make the index
  legitimately ambiguous; PyTorch documents no tie order).
- Tuples and named tuples (``torch.return_types.max``): same length, element by element,
  and the same field names (``values``, ``indices``) readable as attributes; a list is
  accepted where torch returns a plain tuple (``split``).
- Python numbers (``item()``): the same kind (bool, int, float) and the same value.
- Gradients: as floating tensors. A gradient minidl does not produce (None) matches a torch
  gradient that is None or all zeros; against a nonzero one it is "no gradient".
- Random ops (torch gives a different result under another seed): only shapes and dtypes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import minidl as md

RTOL = 1e-7
ATOL = 1e-7

# (path of the index output, torch's indices, ours) -> True when ours are an equally good answer
TieRule = Callable[[str, np.ndarray, np.ndarray], bool]


def compare(theirs: Any, ours: Any, path: str, tie: TieRule | None = None, values: bool = True):
    """None when ``ours`` matches ``theirs``, else a one-line reason naming ``path``."""
    if isinstance(theirs, torch.Tensor):
        if not isinstance(ours, md.Tensor):
            return f"{path}: a {type(ours).__name__}, PyTorch gives a Tensor"
        return _arrays(theirs.detach().numpy(force=True), ours.numpy(), path, tie, values)
    if isinstance(theirs, (tuple, list)):
        return _sequences(theirs, ours, path, tie, values)
    if isinstance(theirs, (bool, int, float)):
        if type(ours) is not type(theirs):
            return f"{path}: a {type(ours).__name__}, PyTorch gives a {type(theirs).__name__}"
        same = (
            np.isclose(ours, theirs, RTOL, ATOL, equal_nan=True)
            if isinstance(theirs, float)
            else ours == theirs
        )
        return None if same or not values else f"{path}: {ours!r}, PyTorch gives {theirs!r}"
    if values and ours != theirs:
        return f"{path}: {ours!r}, PyTorch gives {theirs!r}"
    return None


def _sequences(theirs: Any, ours: Any, path: str, tie: TieRule | None, values: bool):
    if not isinstance(ours, (tuple, list)):
        return f"{path}: a {type(ours).__name__}, PyTorch gives a tuple of {len(theirs)}"
    if len(ours) != len(theirs):
        return f"{path}: {len(ours)} outputs, PyTorch gives {len(theirs)}"
    for name in getattr(type(theirs), "__match_args__", ()):
        if not hasattr(ours, name):
            return f"{path}: no field {name!r} (PyTorch returns a named tuple)"
    for i, (t, o) in enumerate(zip(theirs, ours)):
        reason = compare(t, o, f"{path}[{i}]", tie, values)
        if reason:
            return reason
    return None


def _arrays(theirs: np.ndarray, ours: Any, path: str, tie: TieRule | None, values: bool):
    if ours.shape != theirs.shape:
        return f"{path}: shape {ours.shape}, PyTorch {theirs.shape}"
    if ours.dtype != theirs.dtype:
        return f"{path}: dtype {ours.dtype}, PyTorch {theirs.dtype}"
    if not values or ours.size == 0:
        return None
    if theirs.dtype.kind in "fc":
        return close(theirs, ours, path)
    if np.array_equal(ours, theirs) or (tie is not None and tie(path, theirs, ours)):
        return None
    wrong = int(np.count_nonzero(ours != theirs))
    return f"{path}: {wrong} of {theirs.size} values differ"


def close(theirs: np.ndarray, ours: np.ndarray, path: str) -> str | None:
    """None when two float arrays of the same shape agree to RTOL/ATOL (NaN matching NaN)."""
    if np.allclose(ours, theirs, RTOL, ATOL, equal_nan=True):
        return None
    nan_mismatch = np.isnan(ours) != np.isnan(theirs)
    if nan_mismatch.any():
        return f"{path}: NaN where PyTorch has a number (or back), {nan_mismatch.sum()} places"
    with np.errstate(invalid="ignore"):
        diff = np.nanmax(np.abs(ours - theirs))
    return f"{path}: max abs diff {diff:.3g} (PyTorch max |value| {np.nanmax(np.abs(theirs)):.3g})"


def compare_grad(theirs: torch.Tensor | None, ours: Any, path: str, values: bool = True):
    """None when minidl's gradient ``ours`` (an array or None) matches torch's."""
    if ours is None:
        if theirs is None or not theirs.any():
            return None
        return f"no gradient to {path} (PyTorch's is nonzero)"
    ours = np.asarray(md.backend.to_numpy(ours))
    want = np.zeros(ours.shape) if theirs is None else theirs.detach().numpy(force=True)
    if ours.shape != want.shape:
        return f"grad of {path}: shape {ours.shape}, PyTorch {want.shape}"
    if theirs is not None and ours.dtype != want.dtype:
        return f"grad of {path}: dtype {ours.dtype}, PyTorch {want.dtype}"
    return close(want, ours, f"grad of {path}") if values else None
