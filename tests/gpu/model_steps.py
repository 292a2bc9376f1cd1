"""One training step of each demo model, on any device, from the same initial weights.

Each ``*_step(device)`` seeds the library, builds the model on the host (so both devices start
from identical weights), converts it to float64, moves it to ``device``, runs one step on a
fixed seeded batch and returns ``(model, optimizer, results)``: ``results`` maps names to what
the step produced (losses, gradients, parameters and buffers after the step), still on the
device. `snapshot` copies them to the host for comparison.

Used by the GPU tests (cpu against cuda) and runnable with device="cpu" on any machine,
which is how the comparison logic itself is checked without a GPU.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import minidl as md
import minidl.nn.functional as F
from minidl import backend, optim
from minidl.mining import mine_triplets
from minidl.models import (
    EmbeddingNet,
    MaskRCNN,
    SiameseNet,
    StyleObjective,
    UNet,
    random_feature_net,
    stylize,
)

Step = tuple[Any, Any, dict[str, Any]]


def _prepare(model: md.nn.Module, device: str) -> md.nn.Module:
    return model.to(md.float64).to(device)


def _results(model: md.nn.Module, losses: dict[str, md.Tensor]) -> dict[str, Any]:
    out: dict[str, Any] = {f"loss.{k}": v.data for k, v in losses.items()}
    for name, p in model.named_parameters():
        out[f"param.{name}"] = p.data
        if p.grad is not None:
            out[f"grad.{name}"] = p.grad
    for name, b in model.named_buffers():
        out[f"buffer.{name}"] = b.data
    return out


def _sgd_step(model: md.nn.Module, loss_fn: Callable[[], dict[str, md.Tensor]]) -> Step:
    """SGD with momentum and weight decay: an update proportional to the gradient. (Adam's
    first step moves every weight by ±lr whatever the gradient's size, so a weight whose
    gradient is zero up to rounding could move either way on the two devices.)"""
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-3)
    opt.zero_grad()
    losses = loss_fn()
    sum(losses.values()).backward()
    opt.step()
    return model, opt, _results(model, losses)


def unet_same_bn_step(device: str) -> Step:
    """The demo's U-Net (same padding, BatchNorm) with its loss: cross-entropy + soft Dice."""
    md.manual_seed(0)
    model = _prepare(UNet(1, 2, base=4, depth=2, padding="same", batchnorm=True), device)
    rng = np.random.default_rng(0)
    x = md.tensor(rng.random((2, 1, 24, 24)), device=device)
    y = md.tensor(rng.integers(0, 2, (2, 24, 24)), device=device)

    def losses() -> dict[str, md.Tensor]:
        logits = model(x)
        return {
            "ce": F.cross_entropy(logits, y),
            "dice": F.dice_loss(logits, y, include_background=False),
        }

    return _sgd_step(model, losses)


def unet_valid_step(device: str) -> Step:
    """The paper's U-Net (valid convs, crop and concatenate) with a pixel-weighted loss."""
    md.manual_seed(0)
    model = _prepare(UNet(1, 2, base=4, depth=2), device)
    n = model.valid_input_size(40)
    out = model.output_size(n)
    rng = np.random.default_rng(1)
    x = md.tensor(rng.random((2, 1, n, n)), device=device)
    y = md.tensor(rng.integers(0, 2, (2, out, out)), device=device)
    w = md.tensor(rng.uniform(0.5, 3.0, (2, out, out)), device=device)
    return _sgd_step(model, lambda: {"ce": F.cross_entropy(model(x), y, pixel_weight=w)})


def siamese_step(device: str) -> Step:
    """The Siamese head on pairs: BCE of w·|f(x1) − f(x2)| + b."""
    md.manual_seed(0)
    model = _prepare(SiameseNet(EmbeddingNet(dim=8, width=4, image_size=16)), device)
    rng = np.random.default_rng(2)
    x1, x2 = (md.tensor(rng.random((6, 1, 16, 16)), device=device) for _ in range(2))
    same = md.tensor(rng.integers(0, 2, 6).astype(np.float64), device=device)
    return _sgd_step(
        model, lambda: {"bce": F.binary_cross_entropy_with_logits(model(x1, x2), same)}
    )


def triplet_step(device: str) -> Step:
    """The embedding net with batch-hard triplet mining (mining reads the embeddings on the
    host, by design; both devices must mine the same triplets)."""
    md.manual_seed(0)
    model = _prepare(EmbeddingNet(dim=8, width=4, image_size=16), device)
    rng = np.random.default_rng(3)
    x = md.tensor(rng.random((8, 1, 16, 16)), device=device)
    labels = np.repeat(np.arange(4), 2)

    def losses() -> dict[str, md.Tensor]:
        f = model(x)
        a, p, n = mine_triplets(f, labels, "batch_hard", margin=0.2)
        return {"triplet": F.triplet_margin_loss(f[a], f[p], f[n], margin=0.2)}

    return _sgd_step(model, losses)


def maskrcnn_step(device: str) -> Step:
    """Mask R-CNN with the keypoint head on two shapes scenes: the sum of its six losses."""
    from minidl.data import shapes_scenes
    from minidl.models.maskrcnn.training import scene_target

    md.manual_seed(0)
    model = _prepare(MaskRCNN(num_classes=4, keypoints=True, widths=(8, 16, 32)), device)
    scenes = shapes_scenes(2, 64, seed=0)
    images = md.tensor(np.stack([s.image for s in scenes]).astype(np.float64), device=device)
    targets = [scene_target(s) for s in scenes]
    md.manual_seed(1)  # the anchor and RoI sampling draws start from the same state
    return _sgd_step(model, lambda: model(images, targets))


def _style_objective(device: str) -> StyleObjective:
    net = _prepare(random_feature_net(widths=(8, 16), seed=0), device)
    rng = np.random.default_rng(4)
    content, style = rng.random((3, 24, 24)), rng.random((3, 20, 20))
    return StyleObjective(net, content, style, alpha=1.0, beta=1e3, tv_weight=1e-2)


def style_step(device: str, optimizer: str = "adam") -> Step:
    """Style transfer: a few Adam steps, or L-BFGS iterations, on the pixels of the image."""
    objective = _style_objective(device)
    image, history = stylize(objective, steps=3, optimizer=optimizer)
    results = {"image": image.data}
    for k, entry in enumerate(history):
        results.update(
            {f"history.{k}.{name}": np.float64(v) for name, v in entry.items() if name != "seconds"}
        )
    return objective.net, None, results


STEPS: dict[str, Callable[[str], Step]] = {
    "unet_same_bn": unet_same_bn_step,
    "unet_valid": unet_valid_step,
    "siamese": siamese_step,
    "triplet": triplet_step,
    "maskrcnn": maskrcnn_step,
    "style_adam": style_step,
    "style_lbfgs": lambda device: style_step(device, "lbfgs"),
}


def snapshot(results: dict[str, Any]) -> dict[str, np.ndarray]:
    return {k: np.asarray(backend.to_numpy(v)) for k, v in results.items()}


def assert_results_agree(
    got: dict[str, np.ndarray], want: dict[str, np.ndarray], rtol: float
) -> None:
    """Same names, shapes and dtypes; values within rtol, relative to each array's scale."""
    assert sorted(got) == sorted(want), f"different results: {sorted(set(got) ^ set(want))}"
    for name in sorted(want):
        g, w = got[name], want[name]
        assert g.shape == w.shape and g.dtype == w.dtype, (
            f"{name}: {g.shape} {g.dtype} vs {w.shape} {w.dtype}"
        )
        scale = float(np.abs(w).max()) if w.size else 0.0
        # A sum that is zero in exact arithmetic (a softmax's gradient summed over its classes,
        # as in a bias gradient) is rounding noise on each device: a floor of 1000 ulps of 1.
        floor = 1e3 * float(np.finfo(w.dtype).eps) if w.dtype.kind == "f" else 0.0
        np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol * scale + floor, err_msg=name)
