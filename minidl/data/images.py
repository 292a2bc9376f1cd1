"""Photographs as float32 (C, H, W) arrays: the user's own files and scikit-image's samples.

`load_image` reads PNG, JPEG, BMP, GIF and TIFF files (through imageio);
`sample_image` returns the photographs bundled inside scikit-image (no download): content
images ``astronaut``, ``chelsea`` (a cat), ``coffee``; textures ``brick``, ``gravel``,
``grass`` (grayscale, repeated to three channels unless ``gray=True``).

``size`` is either an int S, which resizes the shorter side to S and crops the centre to
S × S, or a pair (H, W), which resizes to exactly that (aspect ratio not kept). Resizing
is anti-aliased (`skimage.transform.resize`).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np
from skimage.color import rgb2gray
from skimage.transform import resize

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff")
CONTENT_IMAGES = ("astronaut", "chelsea", "coffee")
TEXTURE_IMAGES = ("brick", "gravel", "grass")

Size = int | tuple[int, int] | None


def to_chw(array: np.ndarray, gray: bool = False) -> np.ndarray:
    """Any decoded image to float32 (C, H, W) in [0, 1]: C = 1 if ``gray`` else 3.

    Accepts (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) (alpha dropped), integer types
    scaled by their maximum (255 for uint8, 65535 for uint16), floats taken as [0, 1].
    """
    a = np.asarray(array)
    if a.dtype.kind in "ui":
        a = a / np.iinfo(a.dtype).max
    elif a.dtype.kind == "b":
        a = a.astype(np.float64)
    if a.ndim == 3 and a.shape[-1] in (1, 3, 4):
        a = a[..., 0] if a.shape[-1] == 1 else a[..., :3]
    if a.ndim not in (2, 3):
        raise ValueError(f"to_chw: expected an image (H, W) or (H, W, C), got {a.shape}")
    if gray:
        a = (rgb2gray(a) if a.ndim == 3 else a)[None]
    else:
        a = np.moveaxis(a, -1, 0) if a.ndim == 3 else np.repeat(a[None], 3, axis=0)
    return np.clip(a, 0, 1).astype(np.float32)


def resize_chw(image: np.ndarray, size: Size, order: int = 1) -> np.ndarray:
    """Resize (C, H, W) as described in the module docstring; ``order=0`` for label maps
    (nearest, no anti-aliasing, dtype kept)."""
    if size is None:
        return image
    C, H, W = image.shape
    if isinstance(size, int):
        if size < 1:
            raise ValueError(f"resize: size must be positive, got {size}")
        scale = size / min(H, W)
        new = (max(size, round(H * scale)), max(size, round(W * scale)))
        out = _resize(image, new, order)
        top, left = (new[0] - size) // 2, (new[1] - size) // 2
        return out[:, top : top + size, left : left + size]
    if len(size) != 2 or min(size) < 1:
        raise ValueError(f"resize: size must be an int or a pair (H, W), got {size!r}")
    return _resize(image, tuple(size), order)


def _resize(image: np.ndarray, hw: tuple[int, int], order: int) -> np.ndarray:
    if image.shape[1:] == hw:
        return image
    if order == 0:
        return resize(
            image, (image.shape[0], *hw), order=0, anti_aliasing=False, preserve_range=True
        ).astype(image.dtype)
    return resize(image, (image.shape[0], *hw), order=order, anti_aliasing=True).astype(np.float32)


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Decode an image file as stored (no scaling), with clear errors.

    Read with imageio (a scikit-image dependency): Pillow for PNG, JPEG, BMP and GIF (first
    frame), tifffile for TIFF.
    """
    import imageio.v3 as iio

    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"load_image: no such file: {p}")
    if p.is_dir():
        raise ValueError(f"load_image: {p} is a folder, not an image file")
    if p.suffix.lower() not in IMAGE_SUFFIXES:
        raise ValueError(
            f"load_image: unsupported file type {p.suffix!r} ({p.name}); "
            f"expected one of {', '.join(IMAGE_SUFFIXES)}"
        )
    try:
        if p.suffix.lower() in (".tif", ".tiff"):
            return np.asarray(iio.imread(p, plugin="tifffile"))
        return np.asarray(iio.imread(p, plugin="pillow", index=0))
    except Exception as exc:  # Pillow and tifffile raise many types for broken files
        raise ValueError(f"load_image: could not decode {p} ({type(exc).__name__}: {exc})") from exc


def load_image(path: str | os.PathLike, size: Size = None, gray: bool = False) -> np.ndarray:
    """Read an image file as float32 (C, H, W) in [0, 1] (C = 1 if ``gray`` else 3).

    Shapes: returns (C, H, W), or (C, S, S) / (C, H', W') when ``size`` is given.
    """
    return resize_chw(to_chw(read_image(path), gray), size)


@functools.cache
def _sample(name: str) -> np.ndarray:
    import skimage.data

    return getattr(skimage.data, name)()


def sample_image(name: str, size: Size = None, gray: bool = False) -> np.ndarray:
    """A photograph bundled with scikit-image (see `CONTENT_IMAGES`, `TEXTURE_IMAGES`).

    Shapes: returns float32 (3, H, W) in [0, 1] ((1, H, W) if ``gray``), resized as
    ``size`` asks. Example: ``sample_image("astronaut", 128)`` -> (3, 128, 128).
    """
    if name not in CONTENT_IMAGES + TEXTURE_IMAGES:
        raise ValueError(
            f"sample_image: unknown image {name!r}; expected one of "
            f"{', '.join(CONTENT_IMAGES + TEXTURE_IMAGES)}"
        )
    return resize_chw(to_chw(_sample(name), gray), size)
