"""Layer and group normalisation, composed from reductions (their gradients follow).

Where batch norm averages over the batch, these average over each sample's own values: the
last dims (layer norm, as in transformers) or groups of channels (group norm, which works at
batch size 1).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import backend
from ..tensor import Tensor
from .elementwise import add, mul, sub
from .pointwise import rsqrt
from .reduce import mean


def _normalise(x: Tensor, dims: tuple[int, ...], eps: float) -> Tensor:
    centred = sub(x, mean(x, dims, True))
    var = mean(mul(centred, centred), dims, True)  # biased, as PyTorch
    return mul(centred, rsqrt(add(var, eps)))


def layer_norm(
    input: Tensor,
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """y = (x - mean) / sqrt(var + eps) * weight + bias over the last dims
    (``normalized_shape``), separately for every leading index.

    Shapes: input (*, normalized_shape); weight, bias (normalized_shape).
    Reference: ``torch.nn.functional.layer_norm``; Ba et al., "Layer Normalization" (2016).
    """
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if input.shape[input.ndim - k :] != shape or k > input.ndim:
        raise ValueError(
            f"layer_norm: normalized_shape {shape} must be the last dims of the input, "
            f"got input of shape {input.shape}"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.shape != shape:
            raise ValueError(f"layer_norm: expected {name} of shape {shape}, got {t.shape}")
    y = _normalise(input, tuple(range(input.ndim - k, input.ndim)), eps)
    if weight is not None:
        y = mul(y, weight)
    return y if bias is None else add(y, bias)


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each group of C / num_groups channels of each sample, then scale and shift
    per channel.  Shapes: input (N, C, *); weight, bias (C,).

    Reference: ``torch.nn.functional.group_norm``; Wu & He, "Group Normalization" (2018).
    """
    if input.ndim < 2:
        raise ValueError(f"group_norm: expected input (N, C, *), got shape {input.shape}")
    N, C = input.shape[:2]
    if num_groups <= 0 or C % num_groups:
        raise ValueError(
            f"group_norm: num_groups {num_groups} must divide the {C} channels of {input.shape}"
        )
    grouped = input.reshape(N, num_groups, input.numel() // max(N * num_groups, 1))
    y = _normalise(grouped, (2,), eps).reshape(input.shape)
    per_channel = (1, C) + (1,) * (input.ndim - 2)
    if weight is not None:
        y = mul(y, weight.reshape(per_channel))
    return y if bias is None else add(y, bias.reshape(per_channel))


def instance_norm(
    input: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel of each sample over its own positions (style transfer's
    normalisation). Computed as PyTorch does: batch norm of the (1, N·C, *) reshaped input,
    the running statistics (when given) averaged back over the batch.

    Shapes: input (N, C, *); running stats, weight, bias (C,).
    Reference: ``torch.nn.functional.instance_norm``; Ulyanov et al. (2016).
    """
    from .norm import batch_norm

    if input.ndim < 3:
        raise ValueError(f"instance_norm: expected input (N, C, *spatial), got {input.shape}")
    N, C = input.shape[:2]
    xp = backend.array_module(input.data)
    stats = [None if s is None else xp.tile(s.data, N) for s in (running_mean, running_var)]
    y = batch_norm(
        input.reshape((1, N * C) + input.shape[2:]),
        stats[0],
        stats[1],
        None if weight is None else weight.repeat(N),
        None if bias is None else bias.repeat(N),
        use_input_stats,
        momentum,
        eps,
    )
    for target, updated in zip((running_mean, running_var), stats):
        if target is not None and use_input_stats:
            target.data[...] = updated.reshape(N, C).mean(axis=0)
    return y.reshape(input.shape)


def rms_norm(
    input: Tensor,
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    eps: float | None = None,
) -> Tensor:
    """y = x / sqrt(mean(x²) + eps) * weight over the last dims; eps defaults to the dtype's
    machine epsilon.  Reference: ``torch.nn.functional.rms_norm``; Zhang & Sennrich (2019)."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k > input.ndim or input.shape[input.ndim - k :] != shape:
        raise ValueError(
            f"rms_norm: normalized_shape {shape} must be the last dims of the input, "
            f"got input of shape {input.shape}"
        )
    if eps is None:
        eps = float(np.finfo(input.dtype).eps)
    dims = tuple(range(input.ndim - k, input.ndim))
    y = mul(input, rsqrt(add(mean(mul(input, input), dims, True), eps)))
    return y if weight is None else mul(y, weight)
