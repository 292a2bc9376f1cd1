"""Feature networks for style transfer: random filters by default, or your own VGG weights.

Gatys et al. describe an image by the activations of a network trained on ImageNet (VGG-19).
Those weights cannot be downloaded here, so the default network has **random** filters: a
VGG-shaped stack of 3×3 convolutions + ReLU with 2×2 average pooling between blocks, so its
layers see the image at several scales (receptive fields of 3, 8, 18 and 38 pixels).
Texture synthesis and style transfer still work with random filters (Ustyuzhaninov et al.,
"What does it take to generate natural textures?", ICLR 2017 / arXiv 2016; He, Wang &
Hopcroft, "A Powerful Generative Model Using Random Weights for the Deep Image
Representation", NeurIPS 2016): the Gram matrices of many random filters at several scales
pin down the local statistics of a texture well.

What random filters preserve less well than trained VGG features:
- *content*: a deep random layer is a blurred, mixed copy of the pixels, not a description
  of objects, so "content" means "layout and edges", and a heavy style weight smears it;
- *long-range structure*: nothing in the network groups parts into objects, so textures with
  large, regular elements (rows of bricks) lose regularity beyond the largest receptive field;
- *colour versus texture*: trained filters separate them somewhat; random ones mix them, so a
  gray style image also pulls the result's colours towards gray, and high-frequency colour
  speckle is more common (a little total-variation loss helps).

Layer names follow Gatys et al.: ``conv{block}_{index}`` is the ReLU output of that
convolution (their "conv1_1" means relu1_1).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence

import numpy as np

from .. import nn
from ..nn import functional as F
from ..nn.module import Parameter
from ..tensor import Tensor

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
LayerWeights = tuple[np.ndarray, np.ndarray | None]  # (weight (C_out, C_in, KH, KW), bias)


class FrozenConv2d(nn.Module):
    """A convolution with given, fixed weights (no gradient for them; the input gets one).

    Built from arrays instead of `nn.Conv2d` so that no random initial weights are drawn
    (which would advance the library's random generator for nothing).
    """

    def __init__(self, weight: np.ndarray, bias: np.ndarray | None) -> None:
        super().__init__()
        self.weight = Parameter(np.ascontiguousarray(weight, np.float32), requires_grad=False)
        self.bias = None if bias is None else Parameter(np.asarray(bias, np.float32), False)
        self.kernel_size = tuple(weight.shape[2:])

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        C_out, C_in = self.weight.shape[:2]
        return f"{C_in}, {C_out}, kernel_size={self.kernel_size}, bias={self.bias is not None}"


class StyleFeatureNet(nn.Module):
    """Blocks of (conv + ReLU) layers, a 2×2 pooling between blocks; frozen weights.

    ``blocks[b][i]`` holds the weights of layer ``conv{b+1}_{i+1}``. Convolutions (odd kernel
    sizes) keep the size ("same" padding, reflected by default so that the borders are not
    special); the pooling halves it.

    Shapes: forward(x (N, 3, H, W) in [0, 1]) → {name: (N, C_l, H / 2^(b-1), W / 2^(b-1))}.
    The input is normalised by ``(x − mean) / std`` first.
    """

    def __init__(
        self,
        blocks: Sequence[Sequence[LayerWeights]],
        mean: Sequence[float] = IMAGENET_MEAN,
        std: Sequence[float] = IMAGENET_STD,
        pool: str = "avg",
        padding_mode: str = "reflect",
    ) -> None:
        super().__init__()
        if pool not in ("avg", "max") or padding_mode not in ("reflect", "zeros"):
            raise ValueError(
                f"StyleFeatureNet: pool must be 'avg' or 'max' and padding_mode 'reflect' or "
                f"'zeros'; got {pool!r}, {padding_mode!r}"
            )
        self.pool, self.padding_mode = pool, padding_mode
        self.names: list[str] = []
        self.pool_before: list[bool] = []  # True for the first layer of blocks 2, 3, ...
        self.convs = nn.ModuleList()
        for b, block in enumerate(blocks, start=1):
            for i, (w, bias) in enumerate(block, start=1):
                self.convs.append(FrozenConv2d(w, bias))
                self.names.append(f"conv{b}_{i}")
                self.pool_before.append(b > 1 and i == 1)
        self.register_buffer("mean", Tensor(np.asarray(mean, np.float32).reshape(1, 3, 1, 1)))
        self.register_buffer("std", Tensor(np.asarray(std, np.float32).reshape(1, 3, 1, 1)))

    def forward(self, x: Tensor, layers: Iterable[str] | None = None) -> dict[str, Tensor]:
        """The activations of ``layers`` (default: all); stops after the deepest one asked."""
        wanted = list(self.names if layers is None else layers)
        unknown = [name for name in wanted if name not in self.names]
        if unknown:
            raise ValueError(
                f"StyleFeatureNet: unknown layers {unknown}; this network has {self.names}"
            )
        if x.ndim != 4 or x.shape[1] != 3:
            raise ValueError(f"StyleFeatureNet: expected images (N, 3, H, W), got {x.shape}")
        last = max(self.names.index(name) for name in wanted)
        x = (x - self.mean) / self.std
        out = {}
        for k in range(last + 1):
            name, conv = self.names[k], self.convs[k]
            if self.pool_before[k]:
                x = F.avg_pool2d(x, 2) if self.pool == "avg" else F.max_pool2d(x, 2)
            x = F.relu(conv(self._pad(x, conv.kernel_size)))
            if name in wanted:
                out[name] = x
        return out

    def _pad(self, x: Tensor, kernel: tuple[int, int]) -> Tensor:
        ph, pw = (kernel[0] - 1) // 2, (kernel[1] - 1) // 2
        mode = "reflect" if self.padding_mode == "reflect" else "constant"
        return F.pad(x, (pw, pw, ph, ph), mode=mode) if ph or pw else x


def random_feature_net(
    widths: Sequence[int] = (32, 64, 128, 256),
    seed: int = 0,
    kernel_size: int = 3,
) -> StyleFeatureNet:
    """The default style-transfer network: one random conv per block, ``widths`` channels.

    Filters are Gaussian with He scaling, std = sqrt(2 / fan_in), so activations keep their
    size from layer to layer (a random deep net whose activations shrink or grow at every
    layer gives its deep Gram matrices no usable gradient). Biases are zero. ``seed`` fixes
    the filters whatever `md.manual_seed` says, so results are reproducible.
    Layers: conv1_1 … conv{len(widths)}_1.
    """
    rng = np.random.default_rng(seed)
    blocks, C_in = [], 3
    for C_out in widths:
        fan_in = C_in * kernel_size * kernel_size
        w = rng.standard_normal((C_out, C_in, kernel_size, kernel_size)) * np.sqrt(2 / fan_in)
        blocks.append([(w.astype(np.float32), None)])
        C_in = C_out
    return StyleFeatureNet(blocks)


_KEY = re.compile(r"conv(\d+)_(\d+)\.(weight|bias)")


def load_vgg_npz(path: str | os.PathLike, pool: str = "avg") -> StyleFeatureNet:
    """A VGG-style feature network from your own weights in a ``.npz`` file.

    Key layout (NumPy ``np.savez``; no pickles):

        conv{b}_{i}.weight   float (C_out, C_in, KH, KW)   block b = 1, 2, …; layer i = 1, 2, …
        conv{b}_{i}.bias     float (C_out,)                 one per weight
        mean, std            float (3,)                     optional; default ImageNet's

    Blocks and layers are numbered from 1 without gaps; a 2×2 pooling separates blocks
    (``pool="avg"``, Gatys et al.'s choice, or "max", VGG's own). conv1_1 takes 3 channels
    and each layer takes the previous one's C_out. Any other key is an error (it is usually
    a typo). To make such a file from torchvision's VGG-19, where its weights exist::

        arrays, b, i = {}, 1, 1
        for layer in torchvision.models.vgg19(weights="IMAGENET1K_V1").features:
            if isinstance(layer, torch.nn.Conv2d):
                arrays[f"conv{b}_{i}.weight"] = layer.weight.detach().numpy()
                arrays[f"conv{b}_{i}.bias"] = layer.bias.detach().numpy()
                i += 1
            elif isinstance(layer, torch.nn.MaxPool2d):
                b, i = b + 1, 1
        np.savez("vgg19.npz", **arrays)
    """
    with np.load(path, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    where = f"load_vgg_npz({os.fspath(path)!r})"
    stats = {k: _stat(where, k, arrays.pop(k)) for k in ("mean", "std") if k in arrays}
    layers: dict[tuple[int, int], dict[str, np.ndarray]] = {}
    for key, value in arrays.items():
        m = _KEY.fullmatch(key)
        if m is None:
            raise ValueError(
                f"{where}: unexpected key {key!r}; expected conv{{b}}_{{i}}.weight, "
                f"conv{{b}}_{{i}}.bias, mean, std"
            )
        layers.setdefault((int(m[1]), int(m[2])), {})[m[3]] = value
    if not layers:
        raise ValueError(f"{where}: no conv{{b}}_{{i}}.weight keys in the file")
    blocks = _blocks(where, layers)
    return StyleFeatureNet(blocks, pool=pool, padding_mode="zeros", **stats)


def _stat(where: str, key: str, value: np.ndarray) -> np.ndarray:
    if value.shape != (3,):
        raise ValueError(f"{where}: {key} must have shape (3,), got {value.shape}")
    return value


def _blocks(where: str, layers: dict[tuple[int, int], dict[str, np.ndarray]]) -> list:
    """Check numbering, keys and shapes; return [[(weight, bias), ...] per block]."""
    blocks, C_prev = [], 3
    n_blocks = max(b for b, _ in layers)
    for b in range(1, n_blocks + 1):
        n_layers = max((i for bb, i in layers if bb == b), default=0)
        if n_layers == 0:
            raise ValueError(f"{where}: block {b} has no layers (conv{b}_1.weight is missing)")
        block = []
        for i in range(1, n_layers + 1):
            name = f"conv{b}_{i}"
            entry = layers.get((b, i), {})
            for part in ("weight", "bias"):
                if part not in entry:
                    raise ValueError(f"{where}: missing key {name}.{part}")
            w, bias = entry["weight"], entry["bias"]
            if w.ndim != 4 or w.dtype.kind != "f" or w.shape[2] % 2 == 0 or w.shape[3] % 2 == 0:
                raise ValueError(
                    f"{where}: {name}.weight must be a float array (C_out, C_in, KH, KW) with "
                    f"odd KH and KW, got {w.dtype} {w.shape}"
                )
            if w.shape[1] != C_prev:
                raise ValueError(
                    f"{where}: {name}.weight {w.shape} takes {w.shape[1]} input channels, but "
                    f"the layer before it gives {C_prev}"
                )
            if bias.shape != (w.shape[0],):
                raise ValueError(
                    f"{where}: {name}.bias must have shape ({w.shape[0]},) for weight "
                    f"{w.shape}, got {bias.shape}"
                )
            block.append((w, bias))
            C_prev = w.shape[0]
        blocks.append(block)
    return blocks
