"""The functional API, ``import minidl.nn.functional as F`` (PyTorch's names and
semantics). Each function lives in `minidl.ops`; its docstring names its kernel file."""

from __future__ import annotations

from ..ops import (  # noqa: F401  (re-exported)
    matmul,
    mul,
    pad,
    sigmoid,
    tanh,
    transpose,
)
from ..ops.activation import (  # noqa: F401  (re-exported)
    celu,
    elu,
    gelu,
    glu,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    leaky_relu,
    logsigmoid,
    mish,
    prelu,
    relu,
    relu6,
    rrelu,
    selu,
    silu,
    softplus,
    softshrink,
    softsign,
    tanhshrink,
    threshold,
)
from ..ops.adaptive_pool import (  # noqa: F401  (re-exported)
    adaptive_avg_pool2d,
    adaptive_max_pool2d,
)
from ..ops.attention import scaled_dot_product_attention  # noqa: F401  (re-exported)
from ..ops.conv import conv2d, conv2d_relu, conv_transpose2d  # noqa: F401  (re-exported)
from ..ops.dice import dice_loss  # noqa: F401  (re-exported)
from ..ops.distance import (  # noqa: F401  (re-exported)
    cosine_similarity,
    normalize,
    pairwise_distance,
)
from ..ops.dropout import dropout, dropout2d  # noqa: F401  (re-exported)
from ..ops.layer_norm import (  # noqa: F401  (re-exported)
    group_norm,
    instance_norm,
    layer_norm,
    rms_norm,
)
from ..ops.loss import (  # noqa: F401  (re-exported)
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    nll_loss,
)
from ..ops.margin_loss import (  # noqa: F401  (re-exported)
    cosine_embedding_loss,
    hinge_embedding_loss,
    margin_ranking_loss,
    multi_margin_loss,
    multilabel_soft_margin_loss,
    soft_margin_loss,
)
from ..ops.metric_loss import (  # noqa: F401  (re-exported)
    contrastive_loss,
    triplet_margin_loss,
    triplet_margin_with_distance_loss,
)
from ..ops.norm import batch_norm  # noqa: F401  (re-exported)
from ..ops.one_d import (  # noqa: F401  (re-exported)
    adaptive_avg_pool1d,
    adaptive_max_pool1d,
    avg_pool1d,
    conv1d,
    conv_transpose1d,
    max_pool1d,
    max_unpool1d,
)
from ..ops.pool import (  # noqa: F401  (re-exported)
    avg_pool2d,
    max_pool2d,
    max_pool2d_with_indices,
    max_unpool2d,
)
from ..ops.probabilistic_loss import (  # noqa: F401  (re-exported)
    gaussian_nll_loss,
    kl_div,
    poisson_nll_loss,
)
from ..ops.rearrange_image import (  # noqa: F401  (re-exported)
    fold,
    pixel_shuffle,
    pixel_unshuffle,
    unfold,
)
from ..ops.regression_loss import (  # noqa: F401  (re-exported)
    huber_loss,
    l1_loss,
    mse_loss,
    smooth_l1_loss,
)
from ..ops.roi import roi_align, roi_pool  # noqa: F401  (re-exported)
from ..ops.softmax import log_softmax, softmax, softmin  # noqa: F401  (re-exported)
from ..ops.sparse import embedding, one_hot  # noqa: F401  (re-exported)
from ..ops.style import content_loss, gram_matrix, style_loss, tv_loss  # noqa: F401
from ..ops.upsample import bed_of_nails, interpolate  # noqa: F401  (re-exported)
from ..tensor import Tensor


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x Wᵀ + b.  Shapes: x (*, in), weight (out, in), bias (out,) → y (*, out)."""
    x = input
    if x.shape[-1] != weight.shape[-1]:
        raise ValueError(
            f"linear: expected input with {weight.shape[-1]} features (weight is "
            f"{weight.shape}), got {x.shape}"
        )
    y = matmul(x, transpose(weight))
    return y if bias is None else y + bias
