"""Overlap-tile inference (U-Net paper, Fig. 2): segment an image of any size with a fully
convolutional network that only accepts certain input sizes.

The image is mirrored at its borders, cut into overlapping input tiles, and the (smaller)
output tiles are laid edge to edge. For a valid-padding U-Net the output of a tile is exactly
the output the network would give on the whole mirrored image at those pixels, provided each
tile starts on the network's pooling grid (a multiple of ``model.downsampling`` = 2^depth):
then max-pooling groups the same pixels in the tile as in the whole image, and the stitched
result has no seams at all.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import backend
from ..autograd import no_grad
from ..nn.module import Module
from ..tensor import Tensor


def tile_geometry(model: Module, tile: int, device: str = "cpu") -> tuple[int, int]:
    """(output tile size, margin) of ``model`` for a ``tile`` × ``tile`` input.

    Uses ``model.output_size(tile)`` when the model has it (a U-Net), else measures it with
    one forward pass. The margin is what each side loses; for a model that keeps the size
    (same padding) the border tile//8 is thrown away anyway, as there the zero padding at
    the tile's edge changes the output.
    """
    if hasattr(model, "output_size"):
        out = model.output_size(tile)
    else:
        xp = backend.xp_for(device)
        channels = getattr(model, "in_channels", 1)
        with no_grad():
            out = model(Tensor(xp.zeros((1, channels, tile, tile), np.float32))).shape[-1]
    if out == tile:
        margin = tile // 8
        return tile - 2 * margin, margin
    return out, (tile - out) // 2


def predict_tiled(
    model: Module, image: Any, tile: int, batch_size: int = 4, device: str = "cpu"
) -> Any:
    """Class scores for every pixel of ``image``, computed tile by tile.

    Args:
        model: a fully convolutional network, in eval mode (the caller's choice).
        image: (C, H, W) or (N, C, H, W) array or Tensor, any H and W.
        tile: the input tile size (a valid input size of the model, e.g. 572 or 252).
        batch_size: tiles per forward pass.

    Returns: scores (num_classes, H, W) or (N, num_classes, H, W), an array of the image's
    backend (no graph).

    Tiles step by the largest multiple of ``model.downsampling`` (1 if the model has no
    such attribute) that fits in the output tile, so a U-Net sees every tile on its pooling
    grid. The image is mirrored ("reflect") at the borders, as in the paper.
    """
    data = image.data if isinstance(image, Tensor) else image
    single = data.ndim == 3
    x = data[None] if single else data
    if x.ndim != 4:
        raise ValueError(f"predict_tiled: expected (C, H, W) or (N, C, H, W), got {data.shape}")
    out, margin = tile_geometry(model, tile, device)
    align = getattr(model, "downsampling", 1)
    step = out // align * align
    if step < 1:
        raise ValueError(
            f"predict_tiled: a {tile}-pixel tile gives a {out}-pixel output, smaller than the "
            f"pooling grid {align}; use a larger tile (e.g. {tile + align})"
        )
    N, _, H, W = x.shape
    rows, cols = _starts(H, out, step), _starts(W, out, step)
    # Mirror so that every tile, including the last one in each direction, lies inside.
    pad_h = rows[-1] + tile - margin - H
    pad_w = cols[-1] + tile - margin - W
    xp = backend.array_module(x)
    padded = _mirror(x, margin, pad_h, margin, pad_w, xp)
    corners = [(n, r, c) for n in range(N) for r in rows for c in cols]
    result = None
    with no_grad():
        for i in range(0, len(corners), batch_size):
            chunk = corners[i : i + batch_size]
            batch = xp.stack([padded[n, :, r : r + tile, c : c + tile] for n, r, c in chunk])
            scores = model(Tensor(xp.ascontiguousarray(batch))).data
            if result is None:
                result = xp.empty((N, scores.shape[1], H, W), scores.dtype)
            for (n, r, c), s in zip(chunk, scores):
                _paste(result[n], s, r, c, step, out)
    return result[0] if single else result


def _starts(size: int, out: int, step: int) -> list[int]:
    """Output-tile offsets 0, step, 2·step, ... until the last tile reaches ``size``."""
    count = 1 + max(0, math.ceil((size - out) / step))
    return [k * step for k in range(count)]


def _paste(target: Any, scores: Any, r: int, c: int, step: int, out: int) -> None:
    """Write the first ``step`` rows/columns of a tile's output (all ``out`` of them when
    no tile follows), clipped to the image."""
    H, W = target.shape[-2:]
    h = min(out, H - r) if r + step >= H else step
    w = min(out, W - c) if c + step >= W else step
    target[:, r : r + h, c : c + w] = scores[:, :h, :w]


def _mirror(x: Any, top: int, bottom: int, left: int, right: int, xp: Any) -> Any:
    """Reflect-pad the last two axes, repeating the reflection when a pad exceeds the size
    (NumPy does that for "reflect"; a tiny image in a 572 tile needs it)."""
    return xp.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), mode="reflect")
