"""Making new tensors: filled with a constant, a range, random values, or like another.

PyTorch's spellings: ``md.zeros(2, 3)`` and ``md.zeros((2, 3))`` alike, ``dtype=``,
``device=``, ``requires_grad=``. Random values come from the library generator
(`md.manual_seed`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import backend, random
from .tensor import Tensor, float32, int64, tensor


def _shape(op: str, size: tuple[Any, ...]) -> tuple[int, ...]:
    if len(size) == 1 and not isinstance(size[0], (int, np.integer)):
        size = tuple(size[0])
    if any(isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0 for n in size):
        raise ValueError(f"{op}: sizes must be non-negative ints, got {size}")
    return tuple(int(n) for n in size)


def _make(values: Any, dtype: Any, device: str, requires_grad: bool) -> Tensor:
    return Tensor(backend.to_device(values, backend.check_device(device)), requires_grad)


def _dtype(dtype: Any, default: Any = float32) -> np.dtype:
    return np.dtype(default if dtype is None else dtype)


def zeros(
    *size: Any, dtype: Any = None, device: str = "cpu", requires_grad: bool = False
) -> Tensor:
    return full(
        _shape("zeros", size), 0, dtype=_dtype(dtype), device=device, requires_grad=requires_grad
    )


def ones(*size: Any, dtype: Any = None, device: str = "cpu", requires_grad: bool = False) -> Tensor:
    return full(
        _shape("ones", size), 1, dtype=_dtype(dtype), device=device, requires_grad=requires_grad
    )


empty = zeros  # minidl's "uninitialised" memory is zeros, so results never depend on garbage


def full(
    size: Any,
    fill_value: Any,
    *,
    dtype: Any = None,
    device: str = "cpu",
    requires_grad: bool = False,
) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (its dtype follows the value: float32
    for a float, int64 for an int, bool for a bool).  Reference: ``torch.full``."""
    if dtype is None:
        dtype = (
            bool
            if isinstance(fill_value, bool)
            else (int64 if isinstance(fill_value, (int, np.integer)) else float32)
        )
    xp = backend.xp_for(device)
    return Tensor(xp.full(_shape("full", (size,)), fill_value, np.dtype(dtype)), requires_grad)


def _like(
    op: str, t: Tensor, dtype: Any, device: str | None = None
) -> tuple[tuple[int, ...], np.dtype, str]:
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(t).__name__}")
    return t.shape, np.dtype(t.dtype if dtype is None else dtype), device or t.device


def zeros_like(
    input: Tensor,
    *,
    dtype: Any = None,
    device: str | None = None,
    requires_grad: bool = False,
    **layout: Any,
) -> Tensor:
    shape, dt, device = _like("zeros_like", input, dtype, device)
    return full(shape, 0, dtype=dt, device=device, requires_grad=requires_grad)


def ones_like(
    input: Tensor,
    *,
    dtype: Any = None,
    device: str | None = None,
    requires_grad: bool = False,
    **layout: Any,
) -> Tensor:
    shape, dt, device = _like("ones_like", input, dtype, device)
    return full(shape, 1, dtype=dt, device=device, requires_grad=requires_grad)


empty_like = zeros_like


def full_like(
    input: Tensor,
    fill_value: Any,
    *,
    dtype: Any = None,
    device: str | None = None,
    requires_grad: bool = False,
    **layout: Any,
) -> Tensor:
    shape, dt, device = _like("full_like", input, dtype, device)
    return full(shape, fill_value, dtype=dt, device=device, requires_grad=requires_grad)


def randn(
    *size: Any, dtype: Any = None, device: str = "cpu", requires_grad: bool = False
) -> Tensor:
    """Standard normal values.  Reference: ``torch.randn``."""
    values = random.generator().standard_normal(_shape("randn", size)).astype(_dtype(dtype))
    return _make(values, dtype, device, requires_grad)


def rand(*size: Any, dtype: Any = None, device: str = "cpu", requires_grad: bool = False) -> Tensor:
    """Uniform values in [0, 1).  Reference: ``torch.rand``."""
    values = random.generator().random(_shape("rand", size)).astype(_dtype(dtype))
    return _make(values, dtype, device, requires_grad)


def randn_like(
    input: Tensor,
    *,
    dtype: Any = None,
    device: str | None = None,
    requires_grad: bool = False,
    **layout: Any,
) -> Tensor:
    shape, dt, device = _like("randn_like", input, dtype, device)
    return randn(shape, dtype=dt, device=device, requires_grad=requires_grad)


def rand_like(
    input: Tensor,
    *,
    dtype: Any = None,
    device: str | None = None,
    requires_grad: bool = False,
    **layout: Any,
) -> Tensor:
    shape, dt, device = _like("rand_like", input, dtype, device)
    return rand(shape, dtype=dt, device=device, requires_grad=requires_grad)


def randint(
    low: int,
    high: int | None = None,
    size: Any = None,
    *,
    dtype: Any = None,
    device: str = "cpu",
) -> Tensor:
    """Integers uniform in [low, high) (``randint(high, size)`` starts at 0).

    Reference: ``torch.randint``."""
    if size is None and isinstance(high, (tuple, list)):
        low, high, size = 0, low, high
    if high is None or size is None:
        raise TypeError("randint: expected randint(low, high, size) or randint(high, size)")
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be larger than low ({low})")
    values = random.generator().integers(low, high, _shape("randint", (size,)))
    return _make(values.astype(_dtype(dtype, int64)), dtype, device, False)


def randperm(n: int, *, dtype: Any = None, device: str = "cpu") -> Tensor:
    """A random permutation of 0..n-1.  Reference: ``torch.randperm``."""
    return _make(
        random.generator().permutation(n).astype(_dtype(dtype, int64)), dtype, device, False
    )


def arange(
    start: float,
    end: float | None = None,
    step: float = 1,
    *,
    dtype: Any = None,
    device: str = "cpu",
    requires_grad: bool = False,
) -> Tensor:
    """start, start + step, ... below ``end`` (``arange(end)`` starts at 0); float32 when
    any argument is a float, else int64.  Reference: ``torch.arange``."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be non-zero")
    values = np.arange(start, end, step)
    if dtype is None:
        dtype = float32 if values.dtype.kind == "f" else int64
    return _make(values.astype(dtype), dtype, device, requires_grad)


def linspace(
    start: float,
    end: float,
    steps: int,
    *,
    dtype: Any = None,
    device: str = "cpu",
    requires_grad: bool = False,
) -> Tensor:
    """``steps`` evenly spaced values from start to end, both included.  ``torch.linspace``."""
    if steps < 0:
        raise ValueError(f"linspace: steps must be >= 0, got {steps}")
    start, end = (float(v.item()) if isinstance(v, Tensor) else v for v in (start, end))
    values = np.linspace(start, end, steps).astype(_dtype(dtype))
    return _make(values, dtype, device, requires_grad)


def eye(
    n: int,
    m: int | None = None,
    *,
    dtype: Any = None,
    device: str = "cpu",
    requires_grad: bool = False,
) -> Tensor:
    """The n x m identity matrix.  Reference: ``torch.eye``."""
    return _make(np.eye(n, m, dtype=_dtype(dtype)), dtype, device, requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor that shares memory with ``array`` (no copy, dtype kept)."""
    return Tensor(array)


def as_tensor(data: Any, dtype: Any = None, device: str = "cpu") -> Tensor:
    """Like `tensor`, without a copy where the data already fits: a tensor, a NumPy/CuPy array,
    or another library's tensor (PyTorch, JAX: by DLPack) of that dtype on that device shares
    its memory. Reference: ``torch.as_tensor``."""
    if isinstance(data, np.ndarray) or backend.is_cupy_array(data):
        data = Tensor(data)
    elif backend.is_foreign_array(data):
        data = Tensor(backend.from_dlpack(data))
    if isinstance(data, Tensor) and (dtype is None or data.dtype == np.dtype(dtype)):
        return data if data.device == device else data.to(device)
    return tensor(data, dtype=dtype, device=device)


def is_tensor(obj: Any) -> bool:
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    return input.numel()


def normal(
    mean: Any,
    std: Any = 1.0,
    size: Any = None,
    *,
    dtype: Any = None,
    device: str = "cpu",
    **layout: Any,
) -> Tensor:
    """Normal values with the given mean and std (numbers with ``size``, or tensors whose
    broadcast shape is the result's).  Reference: ``torch.normal``."""
    m = mean.data if isinstance(mean, Tensor) else mean
    s = std.data if isinstance(std, Tensor) else std
    if size is None:
        size = np.broadcast_shapes(np.shape(m), np.shape(s))
    shape = _shape("normal", (size,))
    like = mean if isinstance(mean, Tensor) else std if isinstance(std, Tensor) else None
    dt = _dtype(dtype if dtype is not None else (like.dtype if like is not None else None))
    draw = random.generator().standard_normal(shape)
    values = (backend.to_numpy(m) + backend.to_numpy(s) * draw).astype(dt)
    return _make(values, dt, like.device if like is not None else device, False)


def bernoulli(input: Tensor, p: float | None = None) -> Tensor:
    """1 with probability ``input`` (or ``p``) at each place, else 0.  ``torch.bernoulli``."""
    prob = backend.to_numpy(input.data) if p is None else p
    values = (random.generator().random(input.shape) < prob).astype(input.dtype)
    return _make(values, input.dtype, input.device, False)


def multinomial(input: Tensor, num_samples: int, replacement: bool = False) -> Tensor:
    """``num_samples`` class indices per row, drawn with probabilities proportional to the
    row's (non-negative) weights.  Reference: ``torch.multinomial``."""
    weights = backend.to_numpy(input.data).astype(np.float64)
    rows = weights.reshape(-1, weights.shape[-1])
    if (rows < 0).any() or (rows.sum(axis=1) <= 0).any():
        raise ValueError("multinomial: weights must be non-negative with a positive sum per row")
    if not replacement and num_samples > rows.shape[1]:
        raise ValueError(
            f"multinomial: cannot draw {num_samples} samples without replacement from "
            f"{rows.shape[1]} categories"
        )
    gen = random.generator()
    picks = [gen.choice(r.size, num_samples, replace=replacement, p=r / r.sum()) for r in rows]
    out = np.array(picks, np.int64).reshape(weights.shape[:-1] + (num_samples,))
    return _make(out, np.int64, input.device, False)
