"""Masks: fill or pick the values where a bool mask is true (`nonzero` finds them)."""

from __future__ import annotations

from typing import Any

from .. import backend
from ..tensor import Tensor
from .elementwise import where
from .shape import getitem


def _mask(op: str, mask: Any, input: Tensor) -> Any:
    mask = mask.data if isinstance(mask, Tensor) else mask
    if getattr(mask, "dtype", None) is None or mask.dtype.kind != "b":
        raise TypeError(f"{op}: mask must be a bool tensor, got {getattr(mask, 'dtype', mask)}")
    return mask


def masked_fill(input: Tensor, mask: Any, value: Any) -> Tensor:
    """``value`` where ``mask`` is true, ``input`` elsewhere; ``mask`` broadcasts.

    A tensor ``value`` (0-d) gets the gradient of the filled places.
    Reference: ``torch.Tensor.masked_fill``."""
    mask = _mask("masked_fill", mask, input)
    if isinstance(value, Tensor) and value.ndim != 0:
        raise ValueError(f"masked_fill: value must be a number or a 0-d tensor, got {value.shape}")
    xp = backend.array_module(input.data)
    if not isinstance(value, Tensor):
        value = xp.asarray(value, dtype=input.dtype)
    return where(mask, value, input)


def masked_select(input: Tensor, mask: Any) -> Tensor:
    """The values where ``mask`` is true, as a 1-D tensor (both broadcast first).

    Reference: ``torch.masked_select``."""
    mask = _mask("masked_select", mask, input)
    xp = backend.array_module(input.data)
    shape = xp.broadcast_shapes(input.shape, mask.shape)
    return getitem(input.expand(shape), xp.broadcast_to(mask, shape))
