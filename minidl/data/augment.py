"""Data augmentation: random flips, 90° rotations, crops, elastic deformation, lighting, noise.

Every transform is a callable ``t(rng, image, *targets) -> (image, *targets)``:

- ``rng`` is a `numpy.random.Generator`; a transform draws all its randomness from it, so
  the same generator state gives the same result and no global state is touched.
- ``image`` is float in [0, 1], shape (C, H, W) or (H, W). Intensity transforms touch only it.
- ``targets`` are label-like arrays whose last two axes are (H, W): a mask (H, W), instance
  masks (K, H, W), a weight map. Geometric transforms move them exactly like the image,
  with nearest-neighbour interpolation so labels stay labels; intensity transforms pass them
  through unchanged.

`Compose` chains transforms; a `DataLoader(..., transform=...)` calls one per sample.

Example::

    aug = Compose(RandomFlip(), RandomRot90(), ElasticDeform(sigma=10), BrightnessContrast())
    image, mask = aug(np.random.default_rng(0), image, mask)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from minidl.data.geometry import elastic_displacement, identity_coords, warp

Arrays = tuple[np.ndarray, ...]
Transform = Callable[..., Arrays]


class Compose:
    """Apply ``transforms`` in order, passing the same generator to each."""

    def __init__(self, *transforms: Transform) -> None:
        self.transforms = transforms

    def __call__(self, rng: np.random.Generator, image: np.ndarray, *targets: np.ndarray) -> Arrays:
        arrays = (image, *targets)
        for t in self.transforms:
            arrays = t(rng, *arrays)
        return arrays

    def __repr__(self) -> str:
        return f"Compose({', '.join(map(repr, self.transforms))})"


def _check_spatial(name: str, image: np.ndarray, targets: tuple[np.ndarray, ...]) -> None:
    for t in targets:
        if t.shape[-2:] != image.shape[-2:]:
            raise ValueError(
                f"{name}: target of shape {t.shape} does not match the image's spatial size "
                f"{image.shape[-2:]} (image {image.shape})"
            )


class RandomFlip:
    """Mirror left-right with probability ``horizontal`` and up-down with ``vertical``."""

    def __init__(self, horizontal: float = 0.5, vertical: float = 0.5) -> None:
        self.horizontal, self.vertical = horizontal, vertical

    def __call__(self, rng: np.random.Generator, image: np.ndarray, *targets: np.ndarray) -> Arrays:
        _check_spatial("RandomFlip", image, targets)
        axes = [ax for ax, p in ((-1, self.horizontal), (-2, self.vertical)) if rng.random() < p]
        if not axes:
            return (image, *targets)
        return tuple(np.ascontiguousarray(np.flip(a, axis=axes)) for a in (image, *targets))

    def __repr__(self) -> str:
        return f"RandomFlip(horizontal={self.horizontal}, vertical={self.vertical})"


class RandomRot90:
    """Rotate by k·90° with k uniform in {0, 1, 2, 3} (non-square images: k in {0, 2})."""

    def __call__(self, rng: np.random.Generator, image: np.ndarray, *targets: np.ndarray) -> Arrays:
        _check_spatial("RandomRot90", image, targets)
        square = image.shape[-1] == image.shape[-2]
        k = int(rng.integers(4)) if square else 2 * int(rng.integers(2))
        return tuple(np.ascontiguousarray(np.rot90(a, k, axes=(-2, -1))) for a in (image, *targets))

    def __repr__(self) -> str:
        return "RandomRot90()"


class RandomCrop:
    """Cut a random ``size`` × ``size`` window (or ``(h, w)``) out of the image and its targets.

    A fully convolutional network can train on crops and still predict whole images; a crop
    is cheaper per step than the whole image and shows each object at a new position.
    """

    def __init__(self, size: int | tuple[int, int]) -> None:
        h, w = (size, size) if isinstance(size, int) else size
        if h < 1 or w < 1:
            raise ValueError(f"RandomCrop: size must be positive, got {size!r}")
        self.size = (int(h), int(w))

    def __call__(self, rng: np.random.Generator, image: np.ndarray, *targets: np.ndarray) -> Arrays:
        _check_spatial("RandomCrop", image, targets)
        (h, w), (H, W) = self.size, image.shape[-2:]
        if h > H or w > W:
            raise ValueError(f"RandomCrop: crop {self.size} is larger than the image {(H, W)}")
        top, left = int(rng.integers(H - h + 1)), int(rng.integers(W - w + 1))
        return tuple(
            np.ascontiguousarray(a[..., top : top + h, left : left + w]) for a in (image, *targets)
        )

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size})"


class ElasticDeform:
    """The U-Net paper's elastic deformation (Ronneberger et al. 2015, section 3.1).

    Random displacement vectors on a coarse ``grid`` × ``grid`` lattice with ``sigma`` pixels
    standard deviation, interpolated bicubically to a smooth per-pixel field
    (`minidl.data.geometry.elastic_displacement`). The image is resampled bilinearly and the
    targets with nearest-neighbour interpolation at the same displaced coordinates; the border
    is mirrored. Applied with probability ``p``.
    """

    def __init__(self, sigma: float = 10.0, grid: int = 3, p: float = 1.0) -> None:
        self.sigma, self.grid, self.p = sigma, grid, p

    def __call__(self, rng: np.random.Generator, image: np.ndarray, *targets: np.ndarray) -> Arrays:
        _check_spatial("ElasticDeform", image, targets)
        if rng.random() >= self.p:
            return (image, *targets)
        shape = image.shape[-2:]
        coords = identity_coords(shape) + elastic_displacement(shape, rng, self.sigma, self.grid)
        out = np.clip(warp(image, coords, order=1), 0.0, 1.0)
        return (out, *(warp(t, coords, order=0) for t in targets))

    def __repr__(self) -> str:
        return f"ElasticDeform(sigma={self.sigma}, grid={self.grid}, p={self.p})"


class BrightnessContrast:
    """x ← clip((x − mean)·c + mean + b, 0, 1) with c ∈ [1 − contrast, 1 + contrast] and
    b ∈ [−brightness, brightness], uniform; mean over the whole image."""

    def __init__(self, brightness: float = 0.1, contrast: float = 0.2) -> None:
        self.brightness, self.contrast = brightness, contrast

    def __call__(self, rng: np.random.Generator, image: np.ndarray, *targets: np.ndarray) -> Arrays:
        c = rng.uniform(1 - self.contrast, 1 + self.contrast)
        b = rng.uniform(-self.brightness, self.brightness)
        mean = image.mean()
        out = np.clip((image - mean) * c + mean + b, 0.0, 1.0).astype(image.dtype)
        return (out, *targets)

    def __repr__(self) -> str:
        return f"BrightnessContrast(brightness={self.brightness}, contrast={self.contrast})"


class RandomGamma:
    """x ← x**g with log g uniform in [log gamma[0], log gamma[1]] (x in [0, 1])."""

    def __init__(self, gamma: tuple[float, float] = (0.7, 1.5)) -> None:
        if not 0 < gamma[0] <= gamma[1]:
            raise ValueError(f"RandomGamma: expected 0 < gamma[0] <= gamma[1], got {gamma}")
        self.gamma = gamma

    def __call__(self, rng: np.random.Generator, image: np.ndarray, *targets: np.ndarray) -> Arrays:
        g = np.exp(rng.uniform(np.log(self.gamma[0]), np.log(self.gamma[1])))
        out = np.power(np.clip(image, 0.0, 1.0), g).astype(image.dtype)
        return (out, *targets)

    def __repr__(self) -> str:
        return f"RandomGamma(gamma={self.gamma})"


class GaussianNoise:
    """x ← clip(x + n, 0, 1), n ~ N(0, s²) per pixel with s uniform in [0, std]."""

    def __init__(self, std: float = 0.03) -> None:
        self.std = std

    def __call__(self, rng: np.random.Generator, image: np.ndarray, *targets: np.ndarray) -> Arrays:
        s = rng.uniform(0.0, self.std)
        noise = rng.normal(0.0, s, size=image.shape)
        out = np.clip(image + noise, 0.0, 1.0).astype(image.dtype)
        return (out, *targets)

    def __repr__(self) -> str:
        return f"GaussianNoise(std={self.std})"
