"""The functional API, ``import minidl.nn.functional as F`` (PyTorch's names and
semantics). Each function lives in `minidl.ops`; its docstring names its kernel file."""

from __future__ import annotations

from .. import random
from ..ops import (  # noqa: F401  (re-exported)
    binary_cross_entropy_with_logits,
    cross_entropy,
    log_softmax,
    matmul,
    mse_loss,
    mul,
    nll_loss,
    pad,
    relu,
    sigmoid,
    softmax,
    tanh,
    transpose,
)
from ..ops.conv import conv2d, conv_transpose2d  # noqa: F401  (re-exported)
from ..ops.dice import dice_loss  # noqa: F401  (re-exported)
from ..ops.metric_loss import (  # noqa: F401  (re-exported)
    contrastive_loss,
    normalize,
    pairwise_distance,
    triplet_margin_loss,
)
from ..ops.norm import batch_norm  # noqa: F401  (re-exported)
from ..ops.pool import (  # noqa: F401  (re-exported)
    avg_pool2d,
    max_pool2d,
    max_pool2d_with_indices,
    max_unpool2d,
)
from ..ops.roi import roi_align, roi_pool  # noqa: F401  (re-exported)
from ..ops.style import content_loss, gram_matrix, style_loss, tv_loss  # noqa: F401
from ..ops.upsample import bed_of_nails, interpolate  # noqa: F401  (re-exported)
from ..tensor import Tensor


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x Wᵀ + b.  Shapes: x (*, in), weight (out, in), bias (out,) → y (*, out)."""
    if x.shape[-1] != weight.shape[-1]:
        raise ValueError(
            f"linear: expected input with {weight.shape[-1]} features (weight is "
            f"{weight.shape}), got {x.shape}"
        )
    y = matmul(x, transpose(weight))
    return y if bias is None else y + bias


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Inverted dropout: keep each value with probability 1-p, scaled by 1/(1-p)."""
    if not 0 <= p < 1:
        raise ValueError(f"dropout: p must be in [0, 1), got {p}")
    if not training or p == 0:
        return x
    keep = (random.uniform_like(x.data) >= p).astype(x.dtype) / (1 - p)
    return mul(x, keep)
