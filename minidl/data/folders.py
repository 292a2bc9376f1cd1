"""Datasets from the user's own folders of images.

`ImageMaskFolder` (segmentation)::

    root/
      images/  brain_01.png  brain_02.jpg  ...
      masks/   brain_01.png  brain_02.png  ...   same stem, any image type

`ImageFolderIdentities` (face verification)::

    root/
      alice/  1.jpg  2.jpg  ...
      bob/    a.png  b.png  ...

Files are read once, when the dataset is built, so every problem (a missing mask, sizes that
disagree, an empty folder, a person with too few photos) is reported at once with the path.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from minidl.data.images import IMAGE_SUFFIXES, Size, read_image, resize_chw, to_chw


def _image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def _mask_to_classes(raw: np.ndarray, path: Path) -> np.ndarray:
    """A mask file to class indices (H, W) int64.

    Colour masks use their first channel. A mask whose values are only 0 and one other value
    (e.g. 0/255 black-and-white, or 0/1) becomes binary {0, 1}; otherwise the stored values
    are the class indices (e.g. 0, 1, 2 in an 8-bit PNG).
    """
    m = raw[..., 0] if raw.ndim == 3 else raw
    if m.ndim != 2:
        raise ValueError(f"ImageMaskFolder: mask {path} has shape {raw.shape}; expected (H, W)")
    if m.dtype.kind == "f":
        m = np.round(m * 255)
    values = np.unique(m)
    if len(values) <= 2:
        return (m > 0).astype(np.int64)
    return m.astype(np.int64)


class ImageMaskFolder:
    """Images and masks from ``root/images`` and ``root/masks`` (matched by file stem).

    Args:
        root: the folder holding ``images/`` and ``masks/``.
        size: None keeps the size (then all images must share it); an int S or (H, W)
            resizes images (anti-aliased) and masks (nearest) as `minidl.data.load_image`.
        gray: one channel (default) or three.

    Shapes: ``ds[i] = (image (C, H, W) float32 in [0, 1], mask (H, W) int64)``;
    ``ds.images`` (N, C, H, W), ``ds.masks`` (N, H, W), ``ds.names`` the stems.
    """

    def __init__(self, root: str | os.PathLike, size: Size = None, gray: bool = True) -> None:
        root = Path(root)
        image_dir, mask_dir = root / "images", root / "masks"
        for d in (image_dir, mask_dir):
            if not d.is_dir():
                raise FileNotFoundError(
                    f"ImageMaskFolder: {d} does not exist; expected {root}/images/NAME.png and "
                    f"{root}/masks/NAME.png"
                )
        image_files = _image_files(image_dir)
        if not image_files:
            raise ValueError(
                f"ImageMaskFolder: no images ({', '.join(IMAGE_SUFFIXES)}) in {image_dir}"
            )
        masks_by_stem = {p.stem: p for p in _image_files(mask_dir)}
        missing = [p.name for p in image_files if p.stem not in masks_by_stem]
        if missing:
            raise ValueError(
                f"ImageMaskFolder: no mask in {mask_dir} for {len(missing)} image(s): "
                f"{', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}"
            )
        images, masks = [], []
        for p in image_files:
            image = to_chw(read_image(p), gray)
            mask = _mask_to_classes(read_image(masks_by_stem[p.stem]), masks_by_stem[p.stem])
            if image.shape[1:] != mask.shape:
                raise ValueError(
                    f"ImageMaskFolder: {p.name} is {image.shape[1:]} but its mask "
                    f"{masks_by_stem[p.stem].name} is {mask.shape}"
                )
            images.append(resize_chw(image, size))
            masks.append(resize_chw(mask[None], size, order=0)[0])
        shapes = {im.shape for im in images}
        if len(shapes) > 1:
            raise ValueError(
                f"ImageMaskFolder: images have different sizes {sorted(shapes)}; pass size=..."
            )
        self.images, self.masks = np.stack(images), np.stack(masks)
        self.names = [p.stem for p in image_files]

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        return self.images[index], self.masks[index]

    def __repr__(self) -> str:
        return f"ImageMaskFolder({len(self)} images of {self.images.shape[1:]})"


class ImageFolderIdentities:
    """One sub-folder per person, their photos inside: grayscale, resized to size × size.

    Args:
        root: the folder of ``person_name/`` folders.
        size: output side (shorter side resized, centre crop).
        min_images: each person needs at least this many photos (2 by default: a
            same-person pair needs two); fewer raises a `ValueError` naming the person.

    Shapes: ``ds[i] = (image (1, S, S) float32, label () int64)``; ``ds.images``
    (N, 1, S, S), ``ds.labels`` (N,) = index into ``ds.names`` (sorted folder names).
    """

    def __init__(self, root: str | os.PathLike, size: int = 32, min_images: int = 2) -> None:
        root = Path(root)
        if not root.is_dir():
            raise FileNotFoundError(f"ImageFolderIdentities: no such folder: {root}")
        people = sorted(d for d in root.iterdir() if d.is_dir())
        files = {d.name: _image_files(d) for d in people}
        files = {name: f for name, f in files.items() if f}
        if not files:
            raise ValueError(
                f"ImageFolderIdentities: no photos in {root}; expected {root}/PERSON/*.png|jpg"
            )
        too_few = [f"{name} ({len(f)})" for name, f in files.items() if len(f) < min_images]
        if too_few:
            raise ValueError(
                f"ImageFolderIdentities: need at least {min_images} photos per person for "
                f"same-person pairs; too few: {', '.join(too_few)}"
            )
        self.names = list(files)
        images, labels = [], []
        for label, name in enumerate(self.names):
            for p in files[name]:
                images.append(resize_chw(to_chw(read_image(p), gray=True), size))
                labels.append(label)
        self.images = np.stack(images)
        self.labels = np.array(labels, np.int64)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        return self.images[index], self.labels[index]

    def __repr__(self) -> str:
        return f"ImageFolderIdentities({len(self.names)} people, {len(self)} photos)"
