"""Dropout: zero random values (or whole channels) in training, scaling the rest so that the
expected value is unchanged. A product with a random mask, so the gradient follows."""

from __future__ import annotations

from .. import random
from ..tensor import Tensor
from .elementwise import mul


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Inverted dropout: keep each value with probability 1-p, scaled by 1/(1-p) (p = 1 drops
    everything).  ``inplace`` is accepted and computed out of place (minidl records no
    in-place ops).  Reference: ``torch.nn.functional.dropout``."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout: p must be in [0, 1], got {p}")
    if not training or p == 0:
        return input
    if p == 1:
        return mul(input, 0.0)
    keep = (random.uniform_like(input.data) >= p).astype(input.dtype) / (1 - p)
    return mul(input, keep)


def dropout2d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels with probability p (the same mask over H, W), scaling the rest by
    1/(1-p).  Reference: ``torch.nn.functional.dropout2d``."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout2d: p must be in [0, 1], got {p}")
    if not training or p == 0:
        return input
    if input.ndim not in (3, 4):
        raise ValueError(f"dropout2d: expected (N, C, H, W) or (C, H, W), got {input.shape}")
    if p == 1:
        return input * 0.0
    keep = (random.uniform_like(input.data[..., :1, :1]) >= p).astype(input.dtype)  # (N, C, 1, 1)
    return mul(input, keep / (1 - p))
