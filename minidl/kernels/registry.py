"""Which implementation of each kernel runs, and how a student swaps in their own.

Every kernel has up to three implementations with one signature, each a function named
like the kernel in its own module:

    reference  readable NumPy, the spec and the test oracle
    cpu        Numba ``@njit`` loops
    gpu        numba-cuda ``@cuda.jit`` kernels launched on CuPy arrays

The choice, first rule that applies:
1. ``with minidl.kernels.use(max_pool2d=impl): ...`` (innermost wins);
2. the environment variable ``MINIDL_KERNELS=reference|cpu|gpu``;
3. the array: CuPy → gpu, NumPy → cpu (reference when there is no cpu kernel).

Modules are imported on first use, so that Numba and numba-cuda are only loaded when a
kernel actually runs.
"""

from __future__ import annotations

import contextlib
import importlib
import os
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

from .. import backend

IMPLS = ("reference", "cpu", "gpu")

# kernel name -> {implementation -> module that defines a function of that name}
KERNELS: dict[str, dict[str, str]] = {
    "im2col": {
        "reference": "minidl.kernels.im2col.reference",
        "cpu": "minidl.kernels.im2col.cpu",
        "gpu": "minidl.kernels.im2col.gpu",
    },
    "col2im": {
        "reference": "minidl.kernels.im2col.reference",
        "cpu": "minidl.kernels.im2col.cpu",
        "gpu": "minidl.kernels.im2col.gpu",
    },
    # stride-1 conv2d of few-channel inputs, without cols
    "conv2d_direct": {
        "reference": "minidl.kernels.direct.reference",
        "cpu": "minidl.kernels.direct.cpu",
    },
    "conv2d_direct_weight_grad": {
        "reference": "minidl.kernels.direct.reference",
        "cpu": "minidl.kernels.direct.cpu",
    },
    # Winograd F(2x2, 3x3), for 3x3 stride-1 convs: the transforms around its 16 GEMMs
    "winograd_input": {
        "reference": "minidl.kernels.winograd.reference",
        "cpu": "minidl.kernels.winograd.cpu",
    },
    "winograd_input_adjoint": {
        "reference": "minidl.kernels.winograd.reference",
        "cpu": "minidl.kernels.winograd.cpu",
    },
    "winograd_output": {
        "reference": "minidl.kernels.winograd.reference",
        "cpu": "minidl.kernels.winograd.cpu",
    },
    "winograd_output_adjoint": {
        "reference": "minidl.kernels.winograd.reference",
        "cpu": "minidl.kernels.winograd.cpu",
    },
    # ... and the whole convolution fused (few channels): forward and weight gradient
    "winograd_conv": {
        "reference": "minidl.kernels.winograd.reference",
        "cpu": "minidl.kernels.winograd.fused",
    },
    "winograd_weight_grad": {
        "reference": "minidl.kernels.winograd.reference",
        "cpu": "minidl.kernels.winograd.fused",
    },
    # depthwise conv2d (groups == C_in), any geometry, without cols
    "conv2d_depthwise": {
        "reference": "minidl.kernels.depthwise.reference",
        "cpu": "minidl.kernels.depthwise.cpu",
    },
    "conv2d_depthwise_weight_grad": {
        "reference": "minidl.kernels.depthwise.reference",
        "cpu": "minidl.kernels.depthwise.cpu",
    },
    "conv2d_depthwise_input_grad": {
        "reference": "minidl.kernels.depthwise.reference",
        "cpu": "minidl.kernels.depthwise.cpu",
    },
    "max_pool2d": {
        "reference": "minidl.kernels.pool.reference",
        "cpu": "minidl.kernels.pool.cpu",
        "gpu": "minidl.kernels.pool.gpu",
    },
    # max_pool2d's backward: a summing scatter (max_unpool2d writes each value once instead)
    "max_pool2d_backward": {
        "reference": "minidl.kernels.pool.reference",
        "cpu": "minidl.kernels.pool.cpu",
        "gpu": "minidl.kernels.pool.gpu",
    },
    "max_unpool2d": {
        "reference": "minidl.kernels.pool.reference",
        "cpu": "minidl.kernels.pool.cpu",
        "gpu": "minidl.kernels.pool.gpu",
    },
    "roi_align": {
        "reference": "minidl.kernels.roi_align.reference",
        "cpu": "minidl.kernels.roi_align.cpu",
        "gpu": "minidl.kernels.roi_align.gpu",
    },
    "roi_align_backward": {
        "reference": "minidl.kernels.roi_align.reference",
        "cpu": "minidl.kernels.roi_align.cpu",
        "gpu": "minidl.kernels.roi_align.gpu",
    },
}

Impl = Callable[..., Any]
_overrides: list[dict[str, Impl]] = []


def _check_name(name: str) -> None:
    if name not in KERNELS:
        raise ValueError(f"kernels: unknown kernel {name!r}; known: {sorted(KERNELS)}")


def shipped(name: str, impl: str) -> Impl:
    """The shipped ``impl`` ("reference", "cpu" or "gpu") of kernel ``name``."""
    _check_name(name)
    if impl not in KERNELS[name]:
        raise ValueError(
            f"kernels: {name!r} has no {impl!r} implementation; it has {sorted(KERNELS[name])}"
        )
    module = importlib.import_module(KERNELS[name][impl])
    return getattr(module, name)


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


def get(name: str, like: Any) -> Impl:
    """The implementation of kernel ``name`` to run on arrays like ``like``."""
    for frame in reversed(_overrides):
        if name in frame:
            return frame[name]
    forced = os.environ.get("MINIDL_KERNELS", "").strip()
    if forced:
        if forced not in IMPLS:
            raise ValueError(f"MINIDL_KERNELS: expected one of {IMPLS}, got {forced!r}")
        return shipped(name, forced)
    if backend.is_cupy_array(like):
        return shipped(name, "gpu")
    return shipped(name, "cpu" if "cpu" in KERNELS[name] else "reference")


def overridden(name: str) -> bool:
    """Whether a `use` block around this call names kernel ``name``."""
    return any(name in frame for frame in _overrides)


@contextlib.contextmanager
def use(**impls: str | ModuleType | Impl) -> Iterator[None]:
    """Run the kernels named by keyword with the given implementations inside the block.

    >>> with minidl.kernels.use(max_pool2d="reference"):
    ...     y = F.max_pool2d(x, 2)
    """
    frame = {}
    for name, impl in impls.items():
        _check_name(name)
        frame[name] = resolve(name, impl)
    _overrides.append(frame)
    try:
        yield
    finally:
        _overrides.remove(frame)
