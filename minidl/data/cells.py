"""Touching cells (ISBI-2012-like membrane images) and the U-Net border weight map.

The cells are a perturbed Voronoi tessellation: seed points on a jittered grid, distances
measured through a smoothly warped coordinate system so the borders wobble, and a dark
membrane of varying width wherever a pixel is nearly as close to its second-nearest seed as to
its nearest. Neighbouring cells touch across a membrane only a few pixels wide, the situation
in which the U-Net paper's border weights matter (Ronneberger et al. 2015, section 3).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

from minidl.data.geometry import identity_coords


class CellSet(NamedTuple):
    """Membrane images with instance labels and the binary cell-vs-membrane mask.

    Shapes: images (N, 1, H, W) float32 in [0, 1]; labels (N, H, W) int32 (0 = membrane,
    1..K = cells, numbered per image); masks (N, H, W) int64 (1 = cell interior).
    """

    images: np.ndarray
    labels: np.ndarray
    masks: np.ndarray


def _smooth(rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> np.ndarray:
    n = ndimage.gaussian_filter(rng.standard_normal(shape), sigma)
    return n / (n.std() + 1e-12)


def cell_image(
    rng: np.random.Generator, size: int = 128, cell_size: float = 18.0
) -> tuple[np.ndarray, np.ndarray]:
    """One membrane image and its instance labels.

    Shapes: returns image (size, size) float32 in [0, 1], labels (size, size) int32.
    """
    shape = (size, size)
    # Seeds on a jittered grid that overhangs the image, so border cells are cut naturally.
    g = np.arange(-1, int(np.ceil(size / cell_size)) + 1) * cell_size + cell_size / 2
    seeds = np.stack(np.meshgrid(g, g, indexing="ij"), -1).reshape(-1, 2)
    seeds += rng.uniform(-0.35, 0.35, size=seeds.shape) * cell_size

    # Warp the coordinates smoothly so the borders are curved instead of straight.
    coords = identity_coords(shape) + 0.12 * cell_size * np.stack(
        [_smooth(rng, shape, cell_size / 3) for _ in range(2)]
    )
    dist, nearest = cKDTree(seeds).query(coords.reshape(2, -1).T, k=2)
    gap = (dist[:, 1] - dist[:, 0]).reshape(shape)  # 0 on the border between two cells
    width = rng.uniform(1.5, 3.0) * np.clip(1 + 0.35 * _smooth(rng, shape, 4.0), 0.7, 2.0)
    membrane = np.clip(width - gap + 0.5, 0.0, 1.0)  # soft over one pixel

    cell = nearest[:, 0].reshape(shape)
    labels = np.where(membrane < 0.5, cell + 1, 0)
    # Renumber the cells 1..K; the prepended 0 keeps membrane = 0 even if it were absent.
    _, inverse = np.unique(np.concatenate([[0], labels.ravel()]), return_inverse=True)
    labels = inverse[1:].reshape(shape).astype(np.int32)

    # Interiors: a grey level per cell, fine texture and a few dark organelles.
    shade = rng.uniform(0.5, 0.85, size=len(seeds))[cell]
    texture = 0.05 * _smooth(rng, shape, 1.2)
    dots = (rng.random(shape) < 0.004).astype(np.float64)
    organelles = np.clip(ndimage.gaussian_filter(dots, 1.2) * 25, 0, 1) * rng.uniform(0.2, 0.45)
    interior = shade + texture - organelles
    dark = rng.uniform(0.05, 0.25) + 0.04 * _smooth(rng, shape, 1.0)
    image = interior * (1 - membrane) + dark * membrane
    image = ndimage.gaussian_filter(image, rng.uniform(0.5, 1.0))
    image += rng.normal(0.0, rng.uniform(0.01, 0.04), size=shape)
    return np.clip(image, 0, 1).astype(np.float32), labels


def touching_cells(n: int, size: int = 128, cell_size: float = 18.0, seed: int = 0) -> CellSet:
    """``n`` ISBI-2012-like cell-membrane images, deterministic given ``seed``.

    ``cell_size`` is the mean cell diameter in pixels. Dark membranes 1.5–3 px wide (varying
    along each border) separate touching cells; interiors carry texture and dark organelles;
    the whole image is blurred and noisy.

    Shapes: images (n, 1, size, size) float32; labels (n, size, size) int32;
    masks (n, size, size) int64.
    """
    if n < 0 or size < 16 or cell_size < 6:
        raise ValueError(
            f"touching_cells: expected n >= 0, size >= 16, cell_size >= 6; got {n}, {size}, "
            f"{cell_size}"
        )
    rng = np.random.default_rng(seed)
    images = np.empty((n, 1, size, size), np.float32)
    labels = np.empty((n, size, size), np.int32)
    for i in range(n):
        images[i, 0], labels[i] = cell_image(rng, size, cell_size)
    return CellSet(images, labels, (labels > 0).astype(np.int64))


def unet_weight_map(labels: np.ndarray, w0: float = 10.0, sigma: float = 5.0) -> np.ndarray:
    """The U-Net paper's pixel-wise loss weights (Ronneberger et al. 2015, eq. 2).

    w(x) = w_c(x) + w0 · exp(−(d1(x) + d2(x))² / (2σ²))

    - w_c balances the class frequencies of background (label 0) and cells (label > 0):
      w_c = N / (2 N_c) for a pixel of class c, so its mean over the image is 1.
    - d1, d2 are the distances to the nearest and the second-nearest cell (Euclidean distance
      transform per instance). The border term is added on background pixels only, as in the
      paper's Fig. 3d: it is largest in the narrow gaps between touching cells, where a
      network must learn the separating border. With fewer than two cells it is zero.

    Distances are computed in a window of 5σ around each cell: beyond it the term is below
    w0 · e^−12.5 and taken as zero.

    Shapes: labels (H, W) or (N, H, W) integers (0 = background, 1..K = instances);
    returns float32 of the same shape.
    """
    labels = np.asarray(labels)
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"unet_weight_map: expected integer instance labels, got {labels.dtype}")
    if labels.ndim == 3:
        return np.stack([unet_weight_map(lab, w0, sigma) for lab in labels])
    if labels.ndim != 2:
        raise ValueError(
            f"unet_weight_map: expected labels (H, W) or (N, H, W), got {labels.shape}"
        )

    fg = labels > 0
    n_fg = fg.sum()
    counts = np.array([fg.size - n_fg, n_fg], dtype=np.float64)
    class_w = np.where(counts > 0, fg.size / (2 * np.maximum(counts, 1)), 0.0)
    w = class_w[fg.astype(np.int64)]

    d1 = np.full(labels.shape, np.inf)
    d2 = np.full(labels.shape, np.inf)
    margin = int(np.ceil(5 * sigma))
    H, W = labels.shape
    for k, box in enumerate(ndimage.find_objects(labels), start=1):
        if box is None:  # a label number that does not occur
            continue
        rs = slice(max(box[0].start - margin, 0), min(box[0].stop + margin, H))
        cs = slice(max(box[1].start - margin, 0), min(box[1].stop + margin, W))
        d = ndimage.distance_transform_edt(labels[rs, cs] != k)
        # Keep the two smallest distances seen so far, in place on the window.
        d2[rs, cs] = np.minimum(d2[rs, cs], np.maximum(d1[rs, cs], d))
        d1[rs, cs] = np.minimum(d1[rs, cs], d)
    border = w0 * np.exp(-((d1 + d2) ** 2) / (2 * sigma**2))
    return (w + np.where(fg, 0.0, border)).astype(np.float32)
