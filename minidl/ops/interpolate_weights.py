"""The 1-D weight matrices of linear and cubic interpolation, with PyTorch's source indices.

Each matrix is (out, in): row i holds the weights with which output position i mixes input
positions; `minidl.ops.separable` applies one per spatial axis (linear on each axis gives
bilinear and trilinear). Output position i samples the input at

    align_corners=True:   src = i * (in - 1) / (out - 1)        (0 when out == 1)
    align_corners=False:  src = (i + 0.5) * scale - 0.5          (clamped at 0 for linear)

where scale = 1 / scale_factor when the caller gave a factor (and did not ask to recompute
it), else in / out. Linear mixes floor(src) and the next position with weights 1 - t and t
(t = src - floor(src)); cubic mixes floor(src) - 1 .. floor(src) + 2 with Keys' cubic
convolution weights (a = -0.75), reading positions past the edge from the edge.

The arithmetic runs in the input's dtype, as PyTorch's CPU kernels do, so that float32 picks
the same positions and weights.

Reference: aten/src/ATen/native/UpSample.h (``area_pixel_compute_scale``,
``area_pixel_compute_source_index``, ``get_cubic_upsample_coefficients``); R. Keys, "Cubic
convolution interpolation for digital image processing" (1981).
"""

from __future__ import annotations

import numpy as np

CUBIC_A = -0.75  # PyTorch's (and OpenCV's) choice of Keys' parameter


def source_positions(
    n_in: int, n_out: int, scale_factor: float | None, align_corners: bool, dtype, cubic: bool
) -> np.ndarray:
    """Where each output position samples the input (fractional), in ``dtype``."""
    T = np.dtype(dtype).type
    dst = np.arange(n_out, dtype=dtype)
    if align_corners:
        scale = T(n_in - 1) / T(n_out - 1) if n_out > 1 else T(0)
        return (scale * dst).astype(dtype)
    if scale_factor is not None and scale_factor > 0:
        scale = T(1.0 / scale_factor)
    else:
        scale = T(n_in) / T(n_out)
    src = (scale * (dst + T(0.5)) - T(0.5)).astype(dtype)
    return src if cubic else np.maximum(src, T(0))


def linear_weights(
    n_in: int, n_out: int, scale_factor: float | None, align_corners: bool, dtype
) -> np.ndarray:
    """(n_out, n_in) linear interpolation weights."""
    src = source_positions(n_in, n_out, scale_factor, align_corners, dtype, cubic=False)
    lo = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    t = np.clip(src - lo, 0, 1).astype(dtype)
    hi = np.where(lo < n_in - 1, lo + 1, lo)  # the last position has no right neighbour
    A = np.zeros((n_out, n_in), dtype=dtype)
    rows = np.arange(n_out)
    np.add.at(A, (rows, lo), 1 - t)  # add: lo and hi coincide at the last position
    np.add.at(A, (rows, hi), t)
    return A


def _cubic_coefficients(t: np.ndarray) -> list[np.ndarray]:
    """Keys' weights of the four taps at distances 1 + t, t, 1 - t, 2 - t."""
    A = t.dtype.type(CUBIC_A)

    def near(x):  # |x| <= 1
        return ((A + 2) * x - (A + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def cubic_weights(
    n_in: int, n_out: int, scale_factor: float | None, align_corners: bool, dtype
) -> np.ndarray:
    """(n_out, n_in) cubic convolution weights; taps past an edge read the edge."""
    src = source_positions(n_in, n_out, scale_factor, align_corners, dtype, cubic=True)
    base = np.floor(src).astype(np.int64)
    t = (src - base).astype(dtype)
    A = np.zeros((n_out, n_in), dtype=dtype)
    rows = np.arange(n_out)
    for k, w in enumerate(_cubic_coefficients(t)):
        np.add.at(A, (rows, np.clip(base - 1 + k, 0, n_in - 1)), w)  # edge taps pile up
    return A
