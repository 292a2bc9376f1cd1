"""Scaled dot-product attention: each query takes a softmax-weighted mean of the values,
weighted by how well it matches each key. Composed from matmul, masking and softmax, so
the gradient follows."""

from __future__ import annotations

import math
from typing import Any

from .. import backend
from ..tensor import Tensor
from .dropout import dropout
from .softmax import softmax


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Any = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """softmax(Q Kᵀ · scale + mask) V, scale = 1/sqrt(E) by default; a bool mask keeps the
    True places, a float mask is added; ``is_causal`` masks the future.

    Shapes: query (*, L, E), key (*, S, E), value (*, S, Ev) → (*, L, Ev).
    Reference: ``torch.nn.functional.scaled_dot_product_attention``; Vaswani et al. (2017)."""
    if enable_gqa:
        raise NotImplementedError("scaled_dot_product_attention: enable_gqa=True is not supported")
    L, S = query.shape[-2], key.shape[-2]
    s = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query @ key.transpose(-2, -1)) * s
    xp = backend.array_module(query.data)
    if is_causal:
        if attn_mask is not None:
            raise ValueError("scaled_dot_product_attention: give attn_mask or is_causal, not both")
        attn_mask = xp.tril(xp.ones((L, S), bool))
    if attn_mask is not None:
        mask = attn_mask.data if isinstance(attn_mask, Tensor) else attn_mask
        if mask.dtype.kind == "b":
            scores = scores.masked_fill(~mask, -math.inf)
        else:
            scores = scores + attn_mask
    weights = softmax(scores, -1)
    if dropout_p > 0:
        weights = dropout(weights, dropout_p)
    return weights @ value
