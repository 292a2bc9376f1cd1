"""Brain-tumour slices: a real MRI slice, deformed, with synthetic tumours and their masks.

The source is the sagittal brain MRI slice that ships with matplotlib
(``s1045.ima.gz``: 256 × 256 big-endian uint16). Every sample gets its own random

- tumours (0, 1 or 2): irregular blobs (a radius that wobbles with angle) of varied size,
  placed inside the brain, some at its edge where they touch the bright skull/fat ring;
  textures: *solid* (heterogeneous, any brightness from grey to fat-bright), *ring-enhancing*
  (bright rim, dark necrotic core) or *mottled* (coarse speckle), brighter or darker than
  the tissue they replace; some with an oedema halo that darkens (or, around dark tumours,
  brightens) the tissue around them;
- geometry: rotation, zoom, shift and a smooth elastic deformation, applied to the image and
  the tumour mask together;
- intensity: a smooth multiplicative bias field, gain, gamma and Gaussian noise.

The tumours overlap normal tissue in brightness, so no global threshold separates them
(`threshold_baseline_dice` measures it), while their texture, rim and shape keep them plain to
a human eye and to a small U-Net.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import matplotlib.cbook
import numpy as np
from scipy import ndimage
from skimage.transform import resize

from minidl.data.geometry import affine_coords, elastic_displacement, identity_coords, warp

# The cerebrum of the source slice as an ellipse, in source pixels: centre (row, col),
# semi-axes (along, across) and the unit vector of the long axis (row, col).
_BRAIN_CENTER = np.array([90.0, 120.0])
_BRAIN_AXES = np.array([70.0, 46.0])
_BRAIN_DIR = np.array([-0.139, 0.990])
_SKULL = 1.1  # the inner skull, as a multiple of the brain ellipse


def _brain_radius(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Normalised radius of source pixels in the brain ellipse (1 on its outline)."""
    dr, dc = rows - _BRAIN_CENTER[0], cols - _BRAIN_CENTER[1]
    along = dr * _BRAIN_DIR[0] + dc * _BRAIN_DIR[1]
    across = dr * _BRAIN_DIR[1] - dc * _BRAIN_DIR[0]
    return np.hypot(along / _BRAIN_AXES[0], across / _BRAIN_AXES[1])


class SegmentationSet(NamedTuple):
    """Images and masks; unpacks as ``images, masks`` (``ArrayDataset(*data)``).

    Shapes: images (N, 1, H, W) float32 in [0, 1]; masks (N, H, W) int64 in {0, 1}.
    """

    images: np.ndarray
    masks: np.ndarray


@functools.cache
def mri_slice() -> np.ndarray:
    """The real brain MRI slice from matplotlib's sample data, float32 in [0, 1].

    Shapes: returns (256, 256). Cached; treat it as read-only.
    """
    with matplotlib.cbook.get_sample_data("s1045.ima.gz") as f:
        raw = np.frombuffer(f.read(), dtype=">u2").reshape(256, 256)
    out = (raw / raw.max()).astype(np.float32)
    out.flags.writeable = False
    return out


@functools.cache
def _mri_at(size: int) -> np.ndarray:
    out = resize(mri_slice(), (size, size), anti_aliasing=True).astype(np.float32)
    out.flags.writeable = False
    return out


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> np.ndarray:
    """Gaussian-filtered white noise rescaled to unit standard deviation."""
    n = ndimage.gaussian_filter(rng.standard_normal(shape), sigma)
    return n / (n.std() + 1e-12)


def _tumour(
    rng: np.random.Generator, background: np.ndarray, rows: np.ndarray, cols: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One tumour on the (size × size) source frame: (alpha, texture, halo).

    alpha is 1 inside, 0 outside with a one-pixel soft edge; texture is the tumour's
    intensity; halo is the additive change of the surrounding tissue.
    """
    size = background.shape[0]
    f = size / 256  # source pixels -> output pixels
    touching = rng.random() < 0.35
    u = rng.uniform(0.8, 1.0) if touching else np.sqrt(rng.uniform(0.0, 0.64))
    phi = rng.uniform(0, 2 * np.pi)
    across = np.array([_BRAIN_DIR[1], -_BRAIN_DIR[0]])
    center = _BRAIN_CENTER + u * _BRAIN_AXES[0] * np.cos(phi) * _BRAIN_DIR
    center = (center + u * _BRAIN_AXES[1] * np.sin(phi) * across) * f
    r0 = size * rng.uniform(0.05, 0.15)

    dr, dc = rows - center[0], cols - center[1]
    dist = np.hypot(dr, dc)
    theta = np.arctan2(dr, dc)
    k = np.arange(2, 6)[:, None, None]
    amp = rng.uniform(0.0, 0.28, size=(4, 1, 1)) / (k - 1)
    wobble = (amp * np.cos(k * theta + rng.uniform(0, 2 * np.pi, size=(4, 1, 1)))).sum(0)
    radius = r0 * np.clip(1 + wobble, 0.4, None)
    rho = dist / radius  # < 1 inside the tumour
    alpha = np.clip((1 - rho) * radius + 0.5, 0.0, 1.0)  # soft over one pixel
    # A tumour at the brain's edge may push into the skull but never out of the head.
    inside_skull = np.clip((_SKULL - _brain_radius(rows / f, cols / f)) * 40 * f, 0.0, 1.0)
    alpha *= inside_skull

    # Contrast is relative to the tissue the tumour replaces, so every tumour stands out
    # locally while bright tumours look like fat and dark ones like fluid globally.
    local = float((background * alpha).sum() / max(alpha.sum(), 1.0))
    bright = rng.random() < 0.75
    mean = local + (rng.uniform(0.2, 0.4) if bright else -rng.uniform(0.15, 0.35))
    kind = rng.choice(["solid", "ring", "mottled"])
    grain = size / 128  # texture scales with the image, so every size looks alike
    fine = _smooth_noise(rng, rows.shape, 0.8 * grain)
    if kind == "solid":
        texture = mean + 0.08 * _smooth_noise(rng, rows.shape, 2.5 * grain) + 0.04 * fine
    elif kind == "ring":
        width = rng.uniform(0.25, 0.45)
        rim = np.clip((rho - (1 - width)) / 0.1, 0.0, 1.0)
        core, enhancing = local - rng.uniform(0.2, 0.45), local + rng.uniform(0.2, 0.4)
        texture = core + (enhancing - core) * rim + 0.04 * fine
    else:
        texture = mean + 0.15 * _smooth_noise(rng, rows.shape, 1.2 * grain)

    # Oedema: the tissue around changes the opposite way to the tumour's edge (dark around a
    # bright edge, as oedema on T1), so the tumour's outline stays sharp.
    halo = np.zeros_like(rho)
    if rng.random() < 0.5:
        reach = rng.uniform(0.3, 0.8)
        strength = (-1 if bright or kind == "ring" else 1) * rng.uniform(0.1, 0.25)
        halo = strength * np.clip(1 - (rho - 1) / reach, 0.0, 1.0) ** 2 * (rho >= 1) * inside_skull
    return alpha, texture, halo


def tumor_slice(rng: np.random.Generator, size: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """One brain-tumour slice and its mask (see the module docstring for what varies).

    Shapes: returns image (size, size) float32 in [0, 1], mask (size, size) int64 in {0, 1}.
    """
    image = _mri_at(size).astype(np.float64)
    rows, cols = identity_coords((size, size))
    alpha_all = np.zeros((size, size))
    n_tumours = rng.choice([0, 1, 2], p=[0.15, 0.65, 0.2])
    for _ in range(n_tumours):
        alpha, texture, halo = _tumour(rng, image, rows, cols)
        image = (image + halo * (1 - alpha_all)) * (1 - alpha) + texture * alpha
        alpha_all = np.maximum(alpha_all, alpha)

    # One warp for rotation + zoom + shift + elastic deformation, shared by image and mask.
    coords = affine_coords(
        (size, size),
        angle=rng.uniform(-15, 15),
        scale=rng.uniform(0.9, 1.1),
        shift=tuple(rng.uniform(-0.04, 0.04, size=2) * size),
    )
    coords += elastic_displacement((size, size), rng, sigma=0.035 * size)
    image = warp(image, coords, order=1, mode="constant")
    mask = (warp(alpha_all, coords, order=1, mode="constant") >= 0.5).astype(np.int64)

    bias = 1 + elastic_displacement((size, size), rng, sigma=0.12)[0]
    gamma = np.exp(rng.uniform(np.log(0.7), np.log(1.4)))
    image = np.clip(image, 0, 1) ** gamma * bias * rng.uniform(0.8, 1.15)
    image += rng.normal(0, rng.uniform(0.01, 0.04), size=image.shape)
    return np.clip(image, 0, 1).astype(np.float32), mask


def brain_tumor_slices(n: int, size: int = 128, seed: int = 0) -> SegmentationSet:
    """``n`` brain-tumour slices with binary tumour masks, deterministic given ``seed``.

    About 15 % of the slices have no tumour. Works at any ``size`` >= 32 (e.g. 96, 128, 160,
    188 or 252 for valid-padding U-Nets).

    Shapes: images (n, 1, size, size) float32 in [0, 1]; masks (n, size, size) int64.
    """
    if n < 0 or size < 32:
        raise ValueError(f"brain_tumor_slices: expected n >= 0 and size >= 32, got {n}, {size}")
    rng = np.random.default_rng(seed)
    images = np.empty((n, 1, size, size), np.float32)
    masks = np.empty((n, size, size), np.int64)
    for i in range(n):
        images[i, 0], masks[i] = tumor_slice(rng, size)
    return SegmentationSet(images, masks)


class ThresholdResult(NamedTuple):
    """A global intensity threshold: predict tumour where the blurred image is above
    ``threshold`` (or below it when ``above`` is False); ``dice`` on the data it was scored on."""

    threshold: float
    above: bool
    dice: float


def _blurred_bins(images: np.ndarray, sigma: float, bins: int) -> np.ndarray:
    """Bin index floor(value · bins) of every pixel of the Gaussian-blurred images."""
    planes = images.reshape(-1, *images.shape[-2:]).astype(np.float64)
    blurred = ndimage.gaussian_filter(planes, sigma=(0, sigma, sigma))
    return np.clip((blurred * bins).astype(np.int64), 0, bins - 1)


def _dice_per_threshold(fg: np.ndarray, bg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dice when predicting 'above bin edge b' and 'below bin edge b', for every edge."""
    # Pixels in bins >= b, for b = 0..bins (edges t = b / bins).
    fg_above = np.concatenate([np.cumsum(fg[::-1])[::-1], [0.0]])
    bg_above = np.concatenate([np.cumsum(bg[::-1])[::-1], [0.0]])
    total_fg = fg.sum()
    dice_above = 2 * fg_above / np.maximum(fg_above + bg_above + total_fg, 1)
    fg_below, bg_below = total_fg - fg_above, bg.sum() - bg_above
    dice_below = 2 * fg_below / np.maximum(fg_below + bg_below + total_fg, 1)
    return dice_above, dice_below


def best_threshold(
    images: np.ndarray, masks: np.ndarray, sigma: float = 1.0, bins: int = 256
) -> ThresholdResult:
    """The global threshold (and side) of the Gaussian-blurred images that maximises the Dice
    of the tumour class, pooled over all pixels of the set.

    Shapes: images (N, 1, H, W) or (N, H, W) in [0, 1]; masks (N, H, W).
    """
    idx = _blurred_bins(images, sigma, bins).ravel()
    fg = np.bincount(idx, weights=masks.ravel() > 0, minlength=bins)
    bg = np.bincount(idx, minlength=bins) - fg
    above, below = _dice_per_threshold(fg, bg)
    if above.max() >= below.max():
        return ThresholdResult(float(above.argmax() / bins), True, float(above.max()))
    return ThresholdResult(float(below.argmax() / bins), False, float(below.max()))


def threshold_baseline_dice(
    train: tuple[np.ndarray, np.ndarray], test: tuple[np.ndarray, np.ndarray], sigma: float = 1.0
) -> float:
    """The classical baseline: blur, pick the best global threshold on ``train``, and report
    the tumour Dice it gets on ``test`` (pooled over all test pixels).

    ``train`` and ``test`` are ``(images, masks)`` pairs such as `brain_tumor_slices` returns.
    """
    t = best_threshold(*train, sigma=sigma)
    images, masks = test
    # Predict with the same binning that chose the threshold, so the rule is exactly the same.
    pred = _blurred_bins(images, sigma, 256) >= round(t.threshold * 256)
    pred = pred if t.above else ~pred
    truth = masks.reshape(pred.shape) > 0
    denom = pred.sum() + truth.sum()
    return float(2 * (pred & truth).sum() / denom) if denom else 1.0
