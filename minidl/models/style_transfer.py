"""Style transfer as optimisation of the pixels: the objective and the loop.

    L(x) = α · L_content(x) + β · L_style(x) + γ · TV(x)

with L_content the feature MSE at the content layers, L_style the weighted Gram MSE over the
style layers and TV the total variation (see `minidl.ops.style`). The image x is the only
parameter; the feature network is frozen. Starting from the content image (rather than
noise, as Gatys et al. did) keeps the layout from the first step and converges faster;
starting from noise with α = 0 is texture synthesis.

Reference: Gatys, Ecker & Bethge, CVPR 2016, section 2 and eq. 7.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import backend, optim
from ..autograd import no_grad
from ..nn import functional as F
from ..tensor import Tensor
from .style import StyleFeatureNet


class StyleObjective:
    """The style-transfer loss of an image, with the targets computed once.

    Args:
        net: the frozen feature network (`random_feature_net` or `load_vgg_npz`).
        content, style: images (3, H, W) or (1, 3, H, W) in [0, 1], arrays or Tensors; the
            style image may have another size (Gram matrices do not depend on it).
        content_layers, style_layers: layer names of ``net`` (default: its third layer for
            content, every layer for style).
        style_weights: w_l per style layer (default 1/L each).
        alpha, beta, tv_weight: α, β, γ above.

    Calling it on an image x (1, 3, H, W) returns a dict of scalar Tensors: "content",
    "style", "tv" (unweighted) and "total" (weighted).
    """

    def __init__(
        self,
        net: StyleFeatureNet,
        content: Any,
        style: Any,
        content_layers: Sequence[str] | None = None,
        style_layers: Sequence[str] | None = None,
        style_weights: Sequence[float] | None = None,
        alpha: float = 1.0,
        beta: float = 1e5,
        tv_weight: float = 0.0,
    ) -> None:
        self.net = net
        default_content = net.names[min(2, len(net.names) - 1)]
        self.content_layers = list(content_layers or [default_content])
        self.style_layers = list(style_layers or net.names)
        self.style_weights = style_weights
        self.alpha, self.beta, self.tv_weight = alpha, beta, tv_weight
        self.content_image = _batch(content, net)
        with no_grad():
            feats = net(self.content_image, self.content_layers)
            self.content_targets = [feats[name].data for name in self.content_layers]
            feats = net(_batch(style, net), self.style_layers)
            self.style_targets = [F.gram_matrix(feats[name]).data for name in self.style_layers]

    def __call__(self, x: Tensor) -> dict[str, Tensor]:
        feats = self.net(x, {*self.content_layers, *self.style_layers})
        content = sum(  # 0 + Tensor + ...: Tensor.__radd__ keeps it one graph
            F.content_loss(feats[name], target)
            for name, target in zip(self.content_layers, self.content_targets)
        )
        style = F.style_loss(
            [feats[name] for name in self.style_layers], self.style_targets, self.style_weights
        )
        tv = F.tv_loss(x)
        total = style * self.beta
        if self.alpha:
            total = total + content * self.alpha
        if self.tv_weight:
            total = total + tv * self.tv_weight
        return {"content": content, "style": style, "tv": tv, "total": total}


def _batch(image: Any, net: StyleFeatureNet) -> Tensor:
    """An image (3, H, W) or (1, 3, H, W), array or Tensor, as a (1, 3, H, W) Tensor on the
    network's device and dtype."""
    data = image.data if isinstance(image, Tensor) else image
    data = data[None] if data.ndim == 3 else data
    ref = net.mean.data
    data = backend.to_device(backend.array_module(data).asarray(data), backend.device_of(ref))
    return Tensor(data.astype(ref.dtype, copy=True))


def stylize(
    objective: StyleObjective,
    init: Any = None,
    steps: int = 300,
    optimizer: str = "lbfgs",
    lr: float | None = None,
    callback: Callable[[int, dict[str, float]], None] | None = None,
) -> tuple[Tensor, list[dict[str, float]]]:
    """Optimise the pixels of ``init`` (default: the content image) to lower ``objective``.

    ``optimizer`` "lbfgs" (strong-Wolfe L-BFGS, ``steps`` iterations, each one or a few
    evaluations) or "adam" (``steps`` steps of one evaluation each, ``lr`` default 0.02).
    Returns the image (1, 3, H, W), clipped to [0, 1], and a history with one entry per
    evaluation of the objective: "total", "style", "content", "tv" (unweighted values, as
    floats) and "seconds" since the start. ``callback(evaluation, entry)`` sees each entry.
    """
    if optimizer not in ("lbfgs", "adam"):
        raise ValueError(f"stylize: optimizer must be 'lbfgs' or 'adam', got {optimizer!r}")
    x = _batch(objective.content_image if init is None else init, objective.net)
    x.requires_grad_(True)
    history: list[dict[str, float]] = []
    start = time.perf_counter()

    def closure() -> Tensor:
        x.grad = None
        losses = objective(x)
        losses["total"].backward()
        entry = {k: v.item() for k, v in losses.items()}
        entry["seconds"] = time.perf_counter() - start
        history.append(entry)
        if callback is not None:
            callback(len(history), entry)
        return losses["total"]

    if optimizer == "lbfgs":
        opt = optim.LBFGS([x], max_iter=steps, max_eval=steps * 5 // 4, history_size=20)
        opt.step(closure)
    else:
        opt = optim.Adam([x], lr=0.02 if lr is None else lr)
        for _ in range(steps):
            closure()
            opt.step()
    xp = backend.array_module(x.data)
    return Tensor(xp.clip(x.data, 0, 1)), history


def to_hwc(image: Any) -> np.ndarray:
    """(1, 3, H, W) or (3, H, W) Tensor/array → (H, W, 3) NumPy in [0, 1], for plotting."""
    data = backend.to_numpy(image.data if isinstance(image, Tensor) else image)
    return np.clip(np.moveaxis(data.reshape(data.shape[-3:]), 0, -1), 0, 1)
