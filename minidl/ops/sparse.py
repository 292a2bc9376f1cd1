"""Looking up rows of a table by integer index: embeddings, and one-hot codes."""

from __future__ import annotations

from typing import Any

from .. import backend
from ..tensor import Tensor
from .select import index_select


def embedding(
    input: Any,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Rows ``weight[input]``: an (*) integer tensor picks rows of the (num_embeddings, dim)
    table, giving (*, dim). The gradient adds up in the picked rows (none reaches the row
    ``padding_idx``).  Reference: ``torch.nn.functional.embedding``."""
    for name, value, default in (("max_norm", max_norm, None),
                                 ("scale_grad_by_freq", scale_grad_by_freq, False),
                                 ("sparse", sparse, False)):  # fmt: skip
        if value != default:
            raise NotImplementedError(f"embedding: {name}={value!r} is not supported")
    index = input.data if isinstance(input, Tensor) else backend.array_module(input).asarray(input)
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be (num_embeddings, dim), got {weight.shape}")
    flat = index.reshape(-1)
    rows = index_select(weight, 0, flat)
    if padding_idx is not None:
        keep = (flat != padding_idx % weight.shape[0]).astype(weight.dtype)[:, None]
        rows = rows * keep + (rows * (1 - keep)).detach()
    return rows.reshape(index.shape + (weight.shape[1],))


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """An int64 one-hot code of shape (*, num_classes) for an integer tensor (*).

    Reference: ``torch.nn.functional.one_hot``."""
    index = tensor.data
    if index.dtype.kind not in "iu":
        raise TypeError(f"one_hot: expected an integer tensor, got {index.dtype}")
    xp = backend.array_module(index)
    if num_classes == -1:
        num_classes = int(index.max()) + 1 if index.size else 0
    if index.size and (int(index.min()) < 0 or int(index.max()) >= num_classes):
        raise ValueError(f"one_hot: class values must lie in 0..{num_classes - 1}")
    return Tensor((index[..., None] == xp.arange(num_classes)).astype("int64"))
