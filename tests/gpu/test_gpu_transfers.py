"""A training step on the GPU keeps everything on the GPU and copies nothing to or from the host.

The step is what `minidl.train.fit` does per batch, minus reading the loss (``loss.item()``
is a deliberate, visible device→host copy of one number per step, which fit does for its
progress bar): ``zero_grad``, forward, loss, ``backward``, ``optimizer.step()``, with the
batch already on the device. It runs once unwatched (kernels compile, the optimizer creates
its state), then once inside `watch_transfers`.

What the tests prove:
- after the step, every parameter, gradient, buffer and optimizer state array is a CuPy
  array (`test_training_step_keeps_everything_on_the_device`, also for Mask R-CNN);
- inside the step, nothing crossed between host and device through any path that
  `transfer_watch` can see: minidl's boundaries (``backend.to_device``/``to_numpy``, the
  Tensor methods that read values), CuPy's ``asarray``/``array``/``asnumpy`` on host data,
  CuPy's device→host copies and synchronisations (``int()``, ``float()``, ``bool()``,
  ``.item()``, ``.get()``, ``nonzero``) and numba-cuda's implicit copies of NumPy kernel
  arguments (`test_training_step_copies_nothing_between_host_and_device`);
- and what they cannot: host→device copies inside CuPy's compiled code (indexing a CuPy array
  with a NumPy index, assigning a NumPy array into a CuPy one), copies by other libraries,
  CUDA-level copies no Python code asks for. See `transfer_watch` for the details.

Mask R-CNN is left out of the copy count: it matches and samples anchors and RoIs on the
host by design (explicit ``backend.to_numpy`` calls in ``minidl/models/maskrcnn``), so its
step copies small index arrays every time. The watch of the other three is the contract.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from transfer_watch import watch_transfers

import minidl as md
import minidl.nn.functional as F
from minidl import backend, optim
from minidl.models import (
    EmbeddingNet,
    MaskRCNN,
    SiameseNet,
    StyleObjective,
    UNet,
    random_feature_net,
)

pytestmark = pytest.mark.gpu


def _unet(device: str) -> tuple[Any, Any, Callable[[], Any]]:
    """The demo's U-Net, loss and optimiser (Adam), float32, on a 96 × 96 batch of 4."""
    md.manual_seed(0)
    model = UNet(1, 2, base=8, depth=4, padding="same", batchnorm=True).to(device)
    opt = optim.Adam(model.parameters(), lr=3e-3)
    rng = np.random.default_rng(0)
    x = md.tensor(rng.random((4, 1, 96, 96), dtype=np.float32), device=device)
    y = md.tensor(rng.integers(0, 2, (4, 96, 96)), device=device)

    def step() -> Any:
        opt.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits, y) + F.dice_loss(logits, y, include_background=False)
        loss.backward()
        opt.step()
        return loss

    return model, opt, step


def _siamese(device: str) -> tuple[Any, Any, Callable[[], Any]]:
    md.manual_seed(0)
    model = SiameseNet(EmbeddingNet(dim=16, width=8, image_size=32)).to(device)
    opt = optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(1)
    x1, x2 = (md.tensor(rng.random((16, 1, 32, 32), dtype=np.float32), device=device) for _ in "ab")
    same = md.tensor(rng.integers(0, 2, 16).astype(np.float32), device=device)

    def step() -> Any:
        opt.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(x1, x2), same)
        loss.backward()
        opt.step()
        return loss

    return model, opt, step


def _style(device: str) -> tuple[Any, Any, Callable[[], Any]]:
    """Adam on the pixels against the style objective (the image is the only parameter)."""
    net = random_feature_net(widths=(16, 32, 64), seed=0).to(device)
    rng = np.random.default_rng(2)
    objective = StyleObjective(
        net, rng.random((3, 64, 64)), rng.random((3, 64, 64)), tv_weight=1e-2
    )
    image = md.tensor(
        rng.random((1, 3, 64, 64), dtype=np.float32), requires_grad=True, device=device
    )
    opt = optim.Adam([image], lr=0.02)

    def step() -> Any:
        opt.zero_grad()
        loss = objective(image)["total"]
        loss.backward()
        opt.step()
        return loss

    return _Pixels(image), opt, step


def _maskrcnn(device: str) -> tuple[Any, Any, Callable[[], Any]]:
    from minidl.data import shapes_scenes
    from minidl.models.maskrcnn.training import scene_target

    md.manual_seed(0)
    model = MaskRCNN(num_classes=4, keypoints=True).to(device)
    opt = optim.Adam(model.parameters(), lr=2e-3)
    scenes = shapes_scenes(4, 64, seed=0)
    images = md.tensor(np.stack([s.image for s in scenes]), device=device)
    targets = [scene_target(s) for s in scenes]

    def step() -> Any:
        opt.zero_grad()
        loss = sum(model(images, targets).values())
        loss.backward()
        opt.step()
        return loss

    return model, opt, step


class _Pixels:
    """The optimised image, looking like a module to the checks below."""

    def __init__(self, image: md.Tensor) -> None:
        self.image = image

    def named_parameters(self) -> list[tuple[str, md.Tensor]]:
        return [("image", self.image)]

    def named_buffers(self) -> list[tuple[str, md.Tensor]]:
        return []


STEPS = {"unet": _unet, "siamese": _siamese, "style": _style, "maskrcnn": _maskrcnn}


def _off_device(model: Any, opt: Any) -> list[str]:
    """Names of the arrays of a trained model and its optimizer that are not CuPy arrays."""
    found = []
    for name, p in model.named_parameters():
        if not backend.is_cupy_array(p.data):
            found.append(f"parameter {name}")
        if p.requires_grad and not backend.is_cupy_array(p.grad):
            found.append(f"gradient of {name} ({type(p.grad).__name__})")
    for name, b in model.named_buffers():
        if not backend.is_cupy_array(b.data):
            found.append(f"buffer {name}")
    for key, state in opt.state.items():
        for field, value in state.items():
            data = value.data if isinstance(value, md.Tensor) else value
            if hasattr(data, "shape") and not backend.is_cupy_array(data):
                found.append(f"optimizer state {key}.{field}")
    return found


@pytest.mark.parametrize("name", sorted(STEPS))
def test_training_step_keeps_everything_on_the_device(name):
    model, opt, step = STEPS[name]("cuda")
    for _ in range(2):
        loss = step()
    assert loss.device == "cuda"
    assert _off_device(model, opt) == []
    assert opt.state, "the optimizer kept no state"


@pytest.mark.parametrize("name", ["unet", "siamese", "style"])
def test_training_step_copies_nothing_between_host_and_device(name):
    model, opt, step = STEPS[name]("cuda")
    step()  # kernels compile, the optimizer creates its state
    with watch_transfers() as watch:
        step()
    assert watch.unwatched == [], f"could not watch: {watch.unwatched}"
    assert watch.events == [], watch.report()
