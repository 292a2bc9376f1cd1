"""One seeded random generator for the whole library (`md.manual_seed`).

Initial weights are drawn on the host (so a model gets the same weights on the CPU and the
GPU); per-step randomness on the GPU (dropout masks) comes from CuPy's generator, seeded
together, so that no array crosses between host and device inside a training loop.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import backend

_generator = np.random.default_rng()


def manual_seed(seed: int) -> None:
    """Seed every random draw minidl makes (weights, dropout, shuffling defaults)."""
    global _generator
    _generator = np.random.default_rng(seed)
    if backend._cupy is not None:
        backend._cupy.random.seed(seed)


def generator() -> np.random.Generator:
    """The library's host generator (seeded by `manual_seed`)."""
    return _generator


def uniform_like(x: Any) -> Any:
    """Uniform [0, 1) numbers shaped and typed like ``x``, on its device."""
    if backend.is_cupy_array(x):
        return backend._cupy.random.random(x.shape, dtype=x.dtype)
    return _generator.random(x.shape, dtype=x.dtype if x.dtype.kind == "f" else np.float64)
