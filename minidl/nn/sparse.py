"""Embedding: a learned table of vectors, one row per token or class."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import random
from ..ops.sparse import embedding
from ..tensor import Tensor
from .module import Module, Parameter


class Embedding(Module):
    """A (num_embeddings, embedding_dim) table, initialised N(0, 1) as PyTorch does (the row
    ``padding_idx`` zeros); ``forward(input)`` returns the rows ``input`` picks.

    Reference: ``torch.nn.Embedding``."""

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight: Any = None,
        _freeze: bool = False,
        device: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if max_norm is not None or scale_grad_by_freq or sparse:
            raise NotImplementedError(
                "Embedding: max_norm, scale_grad_by_freq and sparse are not supported"
            )
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        if padding_idx is not None and not -num_embeddings <= padding_idx < num_embeddings:
            raise ValueError(
                f"Embedding: padding_idx {padding_idx} is out of range for {num_embeddings} rows"
            )
        self.padding_idx = None if padding_idx is None else padding_idx % num_embeddings
        dt = np.dtype(np.float32 if dtype is None else dtype)
        if _weight is None:
            table = random.generator().standard_normal((num_embeddings, embedding_dim)).astype(dt)
            if self.padding_idx is not None:
                table[self.padding_idx] = 0
        else:
            table = np.array(_weight.data if isinstance(_weight, Tensor) else _weight, dt)
        self.weight = Parameter(table)
        self.weight.requires_grad = not _freeze
        if device not in (None, "cpu"):
            self.to(device)

    def forward(self, input: Any) -> Tensor:
        return embedding(input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        pad = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"
