"""Sampling grids and warps shared by the augmentations and the generators.

A warp is described by *source coordinates*: for every output pixel (r, c), the (row, col)
position in the input image to read from. Affine maps, the U-Net paper's elastic
displacements and their compositions are all just arrays of shape (2, H, W), so one call to
`scipy.ndimage.map_coordinates` applies any combination of them, and images and label maps
are warped by the very same coordinates (smooth interpolation for images, nearest for labels).
"""

from __future__ import annotations

import functools

import numpy as np
from scipy import ndimage


def identity_coords(shape: tuple[int, int]) -> np.ndarray:
    """The coordinates that leave an image unchanged.

    Shapes: returns (2, H, W) float64, ``[0]`` = row, ``[1]`` = column.
    """
    H, W = shape
    rows, cols = np.meshgrid(
        np.arange(H, dtype=np.float64), np.arange(W, dtype=np.float64), indexing="ij"
    )
    return np.stack([rows, cols])


def affine_coords(
    shape: tuple[int, int],
    angle: float = 0.0,
    scale: float = 1.0,
    shift: tuple[float, float] = (0.0, 0.0),
    center: tuple[float, float] | None = None,
) -> np.ndarray:
    """Source coordinates of a rotation by ``angle`` degrees (counter-clockwise as seen on
    screen), a zoom by ``scale`` about ``center`` (default: the image centre), then a shift
    by ``shift`` = (rows, cols) pixels.

    Shapes: returns (2, H, W) float64.

    Math: the output pixel p reads the input at ``R(-angle) (p - c - shift) / scale + c``.
    """
    H, W = shape
    cr, cc = center if center is not None else ((H - 1) / 2, (W - 1) / 2)
    rows, cols = identity_coords(shape)
    dr, dc = rows - cr - shift[0], cols - cc - shift[1]
    t = np.deg2rad(angle)
    # Rows point down, so a counter-clockwise rotation on screen has this sign pattern.
    src_r = (np.cos(t) * dr + np.sin(t) * dc) / scale + cr
    src_c = (-np.sin(t) * dr + np.cos(t) * dc) / scale + cc
    return np.stack([src_r, src_c])


def elastic_displacement(
    shape: tuple[int, int], rng: np.random.Generator, sigma: float = 10.0, grid: int = 3
) -> np.ndarray:
    """The U-Net paper's random elastic displacement field.

    Displacement vectors are drawn from N(0, sigma²) pixels on a coarse ``grid`` × ``grid``
    lattice spanning the image (corners included) and interpolated to every pixel with a
    bicubic spline, so the field is smooth (Ronneberger et al. 2015, section 3.1).

    Shapes: returns (2, H, W) float64 displacements in pixels (rows, cols).
    """
    if grid < 2:
        raise ValueError(f"elastic_displacement: expected grid >= 2, got {grid}")
    H, W = shape
    coarse = rng.normal(0.0, sigma, size=(2, grid, grid))
    # The 2-D cubic spline is a tensor product, so interpolating is two small matrix products.
    return _spline_matrix(H, grid) @ coarse @ _spline_matrix(W, grid).T


@functools.cache
def _spline_matrix(n: int, grid: int) -> np.ndarray:
    """Weights (n, grid) of the cubic-spline interpolation through ``grid`` knots spread over
    n pixels (knots at the first and last pixel); row i gives pixel i from the knot values."""
    at = np.linspace(0.0, grid - 1, n)
    basis = np.eye(grid)
    m = np.stack(
        [ndimage.map_coordinates(basis[j], [at], order=3, mode="mirror") for j in range(grid)], 1
    )
    m.flags.writeable = False
    return m


def warp(
    image: np.ndarray, coords: np.ndarray, order: int = 1, mode: str = "reflect", cval: float = 0.0
) -> np.ndarray:
    """Resample ``image`` at ``coords`` (from `affine_coords`, plus displacements, ...).

    ``order=1`` (bilinear) for images, ``order=0`` (nearest) for masks and instance labels,
    which must keep their integer values. ``mode`` fills outside the input: ``"reflect"``
    mirrors the border as the U-Net paper does, ``"constant"`` writes ``cval``.

    Shapes: image (H, W) or (C, H, W) (any leading axes); coords (2, OH, OW);
    returns (..., OH, OW) with the input's dtype.
    """
    if coords.ndim != 3 or coords.shape[0] != 2:
        raise ValueError(f"warp: expected coords of shape (2, OH, OW), got {coords.shape}")
    lead = image.shape[:-2]
    planes = image.reshape(-1, *image.shape[-2:])
    out = np.empty((planes.shape[0], *coords.shape[1:]), dtype=image.dtype)
    for k, plane in enumerate(planes):
        ndimage.map_coordinates(plane, coords, output=out[k], order=order, mode=mode, cval=cval)
    return out.reshape(*lead, *coords.shape[1:])


def warp_batch(
    images: np.ndarray, coords: np.ndarray, order: int = 1, mode: str = "reflect"
) -> np.ndarray:
    """`warp` many single-channel images, each by its own coordinates, in one call.

    The batch index becomes a third, integer coordinate; with ``order <= 1`` the interpolation
    never mixes neighbouring images.

    Shapes: images (N, H, W); coords (N, 2, OH, OW); returns (N, OH, OW).
    """
    if order > 1:
        raise ValueError(f"warp_batch: order must be 0 or 1 (got {order}); use warp per image")
    N = images.shape[0]
    n = np.broadcast_to(np.arange(N, dtype=np.float64)[:, None, None], coords[:, 0].shape)
    full = np.stack([n, coords[:, 0], coords[:, 1]])  # (3, N, OH, OW)
    return ndimage.map_coordinates(images, full, order=order, mode=mode)
