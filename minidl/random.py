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
_device_generator: Any = None  # CuPy's, made on first use from the last seed
_seed: int | None = None


def manual_seed(seed: int) -> None:
    """Seed every random draw minidl makes (weights, dropout, shuffling defaults)."""
    global _generator, _device_generator, _seed
    _generator = np.random.default_rng(seed)
    _seed, _device_generator = seed, None  # CuPy may not be imported yet: seed it on first use


def generator() -> np.random.Generator:
    """The library's host generator (seeded by `manual_seed`)."""
    return _generator


def uniform_like(x: Any) -> Any:
    """Uniform [0, 1) numbers shaped and typed like ``x``, on its device."""
    if backend.is_cupy_array(x):
        return _device().random(x.shape, dtype=x.dtype)
    return _generator.random(x.shape, dtype=x.dtype if x.dtype.kind == "f" else np.float64)


def _device() -> Any:
    """CuPy's generator, seeded by the last `manual_seed` (or from the host generator)."""
    global _device_generator
    if _device_generator is None:
        seed = _seed if _seed is not None else int(_generator.integers(2**63))
        _device_generator = backend._cupy.random.default_rng(seed)
    return _device_generator
