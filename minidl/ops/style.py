"""The losses of neural style transfer: Gram matrices, content, style and total variation.

All four are compositions of primitive ops (reshape, matmul, subtraction, mean), so their
backward comes from the autograd engine and needs no code here. In style transfer the
parameter is the *image*: gradients flow through the feature network back to the pixels.

Reference: Gatys, Ecker & Bethge, "Image Style Transfer Using Convolutional Neural
Networks", CVPR 2016 (and "A Neural Algorithm of Artistic Style", 2015); total variation as
in Mahendran & Vedaldi, "Understanding Deep Image Representations by Inverting Them", 2015.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..tensor import Tensor
from .elementwise import add, mul, sub
from .linalg import matmul
from .reduce import mean
from .regression_loss import mse_loss
from .shape import reshape, transpose


def _array(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def gram_matrix(features: Tensor) -> Tensor:
    """Channel-by-channel correlations of a feature map, averaged over positions.

    Shapes: features (N, C, H, W) → (N, C, C).

    With F the features of one image as a (C, M) matrix, M = H·W positions,

        Ĝ = F Fᵀ / (C·M),    Ĝ[i, j] = (1/(C·M)) Σ_k F[i, k] F[j, k]

    Normalisation: Gatys et al.'s layer loss is E = 1/(4 C² M²) Σ (G − A)² on the raw Gram
    G = F Fᵀ. With Ĝ = G / (C·M), Σ (Ĝ − Â)² = 4 E, and the mean over the C² entries (what
    `style_loss` takes, as PyTorch's style-transfer tutorial does) is E · 4 / C²: not their
    normalisation, but theirs times a factor that shrinks as the layer gets wider (lesson 07
    measures it layer by layer). Dividing by M makes Ĝ independent of the image size, so a
    256-px style image can steer a 128-px result.

    What it keeps: which channels fire *together*, summed over every position. What it
    throws away: *where* they fire — the Gram matrix is the same for any shuffle of the
    positions, which is why it describes texture and not layout.
    """
    if features.ndim != 4:
        raise ValueError(f"gram_matrix: expected features (N, C, H, W), got {features.shape}")
    N, C, H, W = features.shape
    f = reshape(features, N, C, H * W)  # (N, C, M)
    return mul(matmul(f, transpose(f, 1, 2)), 1.0 / (C * H * W))  # (N, C, C)


def content_loss(features: Tensor, target: Any) -> Tensor:
    """Mean squared difference of feature maps: mean((F − P)²).

    Shapes: features (N, C, H, W) and target (same shape; a Tensor or an array) → scalar.
    Gatys et al. use ½ Σ (F − P)²; the mean keeps the number independent of the layer size,
    which only rescales the content weight α.
    """
    target = _array(target)
    if target.shape != features.shape:
        raise ValueError(
            f"content_loss: target of shape {features.shape} expected, got {target.shape}"
        )
    return mse_loss(features, target)


def style_loss(
    features: Sequence[Tensor],
    targets: Sequence[Any],
    weights: Sequence[float] | None = None,
) -> Tensor:
    """Weighted sum over layers of the mean squared difference of Gram matrices.

    Shapes: features[l] (N, C_l, H_l, W_l); targets[l] the style image's Gram matrix of
    that layer, (N, C_l, C_l) or (1, C_l, C_l), a Tensor or an array → scalar.

        L_style = Σ_l w_l · mean((Ĝ_l − Â_l)²),    Ĝ_l = gram_matrix(features[l])

    ``weights`` default to 1/L each (Gatys et al.'s equal layer weights). Relation to the
    paper: their E_l equals (C_l²/4) · mean((Ĝ_l − Â_l)²), so wide layers count more there;
    with the mean, only w_l decides how much a layer counts.
    """
    features, targets = list(features), list(targets)
    if not features or len(features) != len(targets):
        raise ValueError(
            f"style_loss: need one target Gram matrix per feature map, got "
            f"{len(features)} feature maps and {len(targets)} targets"
        )
    if weights is None:
        weights = [1.0 / len(features)] * len(features)
    if len(weights) != len(features):
        raise ValueError(f"style_loss: {len(weights)} weights for {len(features)} layers")
    total = None
    for layer, (f, a, w) in enumerate(zip(features, targets, weights)):
        a = _array(a)
        C = f.shape[1]
        if a.shape[-2:] != (C, C):
            raise ValueError(
                f"style_loss: layer {layer} has {C} channels, so its target Gram matrix "
                f"must end in ({C}, {C}); got {a.shape}"
            )
        term = mul(mse_loss(gram_matrix(f), a), w)
        total = term if total is None else add(total, term)
    return total


def tv_loss(image: Tensor) -> Tensor:
    """Total variation: the mean squared difference of neighbouring pixels, across and down.

    Shapes: image (N, C, H, W) with H, W >= 2 → scalar.

        TV(x) = mean((x[..., i+1, j] − x[..., i, j])²) + mean((x[..., i, j+1] − x[..., i, j])²)

    The squared form (β = 2 in Mahendran & Vedaldi) is smooth everywhere, which suits
    L-BFGS and gradient checks; the absolute form would favour sharper edges.
    """
    if image.ndim != 4 or image.shape[2] < 2 or image.shape[3] < 2:
        raise ValueError(
            f"tv_loss: expected an image (N, C, H, W) with H, W >= 2, got {image.shape}"
        )
    down = sub(image[:, :, 1:, :], image[:, :, :-1, :])  # (N, C, H-1, W)
    across = sub(image[:, :, :, 1:], image[:, :, :, :-1])  # (N, C, H, W-1)
    return add(mean(mul(down, down)), mean(mul(across, across)))
