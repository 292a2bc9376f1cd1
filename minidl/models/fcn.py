"""The models before U-Net, for lesson 03: a fully convolutional encoder–decoder with a choice
of upsampling, and the sliding-window patch classifier it replaced.

- `EncoderDecoder`: [3×3 conv + ReLU, 2×2 max-pool] ``depth`` times, then ``depth`` times
  [upsample ×2, 3×3 conv + ReLU], then a 1×1 conv: same-padding, so the output has the
  input's size. No skip connections: everything the decoder knows about *where* must pass
  through the bottleneck (which is what U-Net's skips fix). Upsampling choices:
  "nearest" (copy each value into a 2×2 block), "bed_of_nails" (the value at the top-left,
  zeros elsewhere), "max_unpool" (the value back where the encoder's max came from, zeros
  elsewhere; Noh et al. 2015, SegNet), "transpose" (a learned 2×2 stride-2 transposed conv;
  Long et al. 2015).
- `SlidingWindowClassifier`: a small CNN that labels the centre pixel of a ``patch`` × ``patch``
  window; labelling an image means one forward pass per pixel (Ciresan et al. 2012).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend, nn
from ..autograd import no_grad
from ..nn import functional as F
from ..nn import init
from ..tensor import Tensor

UPSAMPLING = ("nearest", "bed_of_nails", "max_unpool", "transpose")


def _conv_relu(c_in: int, c_out: int, padding: int = 1, batchnorm: bool = False) -> nn.Sequential:
    conv = nn.Conv2d(c_in, c_out, 3, padding=padding, bias=not batchnorm)
    init.kaiming_normal_(conv.weight, nonlinearity="relu")
    if batchnorm:
        # BatchNorm keeps its input, so the ReLU may overwrite its output
        return nn.Sequential(conv, nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))
    init.zeros_(conv.bias)
    return nn.Sequential(conv, nn.ReLU())


class EncoderDecoder(nn.Module):
    """A fully convolutional encoder–decoder without skip connections (``batchnorm=True``
    puts a BatchNorm after each 3×3 conv).

    Shapes: input (N, in_channels, H, W), H and W divisible by 2^depth; output
    (N, num_classes, H, W) scores.
    """

    def __init__(
        self,
        in_channels: int = 1,
        num_classes: int = 2,
        base: int = 16,
        depth: int = 3,
        upsampling: str = "nearest",
        batchnorm: bool = False,
    ) -> None:
        super().__init__()
        if upsampling not in UPSAMPLING:
            raise ValueError(
                f"EncoderDecoder: upsampling must be one of {UPSAMPLING}, got {upsampling!r}"
            )
        self.in_channels, self.num_classes = in_channels, num_classes
        self.depth, self.upsampling = depth, upsampling
        self.downsampling = 2**depth
        widths = [base * 2**level for level in range(depth)]  # 16, 32, 64
        self.encoder = nn.ModuleList(
            _conv_relu(c_in, c_out, 1, batchnorm)
            for c_in, c_out in zip([in_channels, *widths], widths)
        )
        self.decoder = nn.ModuleList(
            _conv_relu(c, c // 2 if level else base)
            for level, c in reversed(list(enumerate(widths)))
        )
        if upsampling == "transpose":
            self.up = nn.ModuleList(nn.ConvTranspose2d(c, c, 2, stride=2) for c in reversed(widths))
        self.head = nn.Conv2d(base, num_classes, 1)

    def forward(self, x: Tensor) -> Tensor:
        H, W = x.shape[2:]
        if H % self.downsampling or W % self.downsampling:
            raise ValueError(
                f"EncoderDecoder: input {H}x{W} must be divisible by 2^depth = {self.downsampling}"
            )
        indices = []
        for block in self.encoder:
            x, idx = F.max_pool2d(block(x), 2, return_indices=True)
            indices.append(idx)
        for level, block in enumerate(self.decoder):
            x = block(self._upsample(x, indices[-1 - level], level))
        return self.head(x)

    def _upsample(self, x: Tensor, indices: Tensor, level: int) -> Tensor:
        if self.upsampling == "nearest":
            return F.interpolate(x, scale_factor=2, mode="nearest")
        if self.upsampling == "bed_of_nails":
            return F.bed_of_nails(x, scale_factor=2)
        if self.upsampling == "max_unpool":
            return F.max_unpool2d(x, indices, 2)
        return self.up[level](x)

    def extra_repr(self) -> str:
        return f"depth={self.depth}, upsampling={self.upsampling!r}"


class SlidingWindowClassifier(nn.Module):
    """Labels the centre pixel of a ``patch`` × ``patch`` window: [3×3 valid conv + ReLU,
    2×2 max-pool] twice, a 3×3 conv + ReLU, global average, a linear layer.

    Shapes: forward (N, in_channels, patch, patch) → (N, num_classes) scores;
    `predict` (N, C, H, W) → (N, num_classes, H, W), one forward per pixel.
    """

    def __init__(
        self, patch: int = 17, in_channels: int = 1, num_classes: int = 2, width: int = 16
    ) -> None:
        super().__init__()
        if patch < 11 or patch % 2 == 0:
            raise ValueError(f"SlidingWindowClassifier: patch must be odd and >= 11, got {patch}")
        self.patch, self.in_channels, self.num_classes = patch, in_channels, num_classes
        self.features = nn.Sequential(
            _conv_relu(in_channels, width, padding=0),
            nn.MaxPool2d(2),
            _conv_relu(width, 2 * width, padding=0),
            nn.MaxPool2d(2),
            _conv_relu(2 * width, 2 * width, padding=1),
        )
        self.fc = nn.Linear(2 * width, num_classes)

    def forward(self, patches: Tensor) -> Tensor:
        h = self.features(patches)  # (N, 2w, h, w)
        return self.fc(h.mean(dim=(2, 3)))

    def predict(self, images: Any, batch_size: int = 4096, shift: Any = None) -> Any:
        """Scores for every pixel: a patch around each one (mirrored at the borders), in
        batches of ``batch_size`` patches, plus ``shift`` (num_classes,) if given (see
        `prior_shift`). Returns an array (N, num_classes, H, W)."""
        x = images.data if isinstance(images, Tensor) else images
        xp = backend.array_module(x)
        r = self.patch // 2
        padded = xp.pad(x, ((0, 0), (0, 0), (r, r), (r, r)), mode="reflect")
        N, C, H, W = x.shape
        out = xp.empty((N, self.num_classes, H, W), np.float32)
        with no_grad():
            for n in range(N):
                windows = sliding_patches(padded[n], self.patch)  # (H·W, C, p, p)
                scores = [
                    self(Tensor(xp.ascontiguousarray(windows[i : i + batch_size]))).data
                    for i in range(0, len(windows), batch_size)
                ]
                out[n] = xp.concatenate(scores).T.reshape(self.num_classes, H, W)
        if shift is not None:
            out += xp.asarray(shift, dtype=out.dtype).reshape(1, -1, 1, 1)
        return out


def prior_shift(patch_labels: np.ndarray, masks: np.ndarray, num_classes: int = 2) -> np.ndarray:
    """log(q_c / p_c) for each class c: add it to the scores (log-odds) of a classifier trained
    on patches whose centre classes occur with frequencies p_c (balanced by `sample_patches`)
    to use it on images where they occur with frequencies q_c (the pixels of ``masks``).

    Bayes' rule: the posterior is proportional to likelihood × prior, so changing the prior
    from p to q adds log q_c − log p_c to each class's log-probability.
    """
    p = np.bincount(patch_labels.ravel(), minlength=num_classes) / patch_labels.size
    q = np.bincount(masks.ravel(), minlength=num_classes) / masks.size
    return np.log(np.maximum(q, 1e-12) / np.maximum(p, 1e-12))


def sliding_patches(padded: Any, patch: int) -> Any:
    """Every ``patch`` × ``patch`` window of a (C, H + patch − 1, W + patch − 1) array, as a
    view (H·W, C, patch, patch) (no copy until it is used)."""
    xp = backend.array_module(padded)
    windows = xp.lib.stride_tricks.sliding_window_view(padded, (patch, patch), axis=(1, 2))
    C, H, W = windows.shape[:3]
    return windows.transpose(1, 2, 0, 3, 4).reshape(H * W, C, patch, patch)


def sample_patches(
    images: np.ndarray, masks: np.ndarray, patch: int, count: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``count`` random training patches and the label of their centre pixels, half of them
    centred on foreground (rare pixels would otherwise almost never be seen).

    Shapes: images (N, C, H, W), masks (N, H, W) → patches (count, C, patch, patch),
    labels (count,) int64.
    """
    r = patch // 2
    padded = np.pad(images, ((0, 0), (0, 0), (r, r), (r, r)), mode="reflect")
    fg, all_pixels = np.argwhere(masks > 0), np.argwhere(masks >= 0)
    n_fg = count // 2 if len(fg) else 0
    picks = np.concatenate(
        [
            fg[rng.integers(0, len(fg), n_fg)] if n_fg else np.empty((0, 3), np.int64),
            all_pixels[rng.integers(0, len(all_pixels), count - n_fg)],
        ]
    )
    patches = np.stack([padded[n, :, i : i + patch, j : j + patch] for n, i, j in picks])
    return patches.astype(np.float32), masks[picks[:, 0], picks[:, 1], picks[:, 2]].astype(np.int64)
