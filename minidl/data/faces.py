"""Faces for verification: real LFW crops and procedural identities, seen under nuisances.

Each identity is one base image (S × S). Its *views* differ by exactly the nuisances that
make pixel-for-pixel comparison fail (`face_views`):

- tilt: rotation by up to ±15°;  mirror image (half of the views);
- shift by up to 8 % of the size and zoom by 0.9–1.1;
- lighting: gain 0.7–1.4, a linear brightness gradient across the face (light from one side,
  up to ±40 %), gamma 0.7–1.4;
- Gaussian noise with a standard deviation of up to 0.03.

The real faces are the 100 face crops shipped with scikit-image (`skimage.data.lfw_subset`:
its first 100 images are faces, the other 100 are non-face patches and are not used); each crop
is taken as one identity. `procedural_identities` draws as many synthetic face-like identities
as wanted (geometry and texture per identity), for scale.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np
from skimage.data import lfw_subset
from skimage.transform import resize

from minidl.data.facegen import random_face_params, render_faces
from minidl.data.geometry import identity_coords, warp_batch

LFW_IDENTITIES = 100


class FaceSet(NamedTuple):
    """Face views with identity labels; unpacks as ``images, labels``.

    Shapes: images (N, 1, S, S) float32 in [0, 1]; labels (N,) int64 (the identity).
    """

    images: np.ndarray
    labels: np.ndarray


@functools.cache
def lfw_faces() -> np.ndarray:
    """The 100 real face crops of `skimage.data.lfw_subset` (read-only, cached).

    Shapes: returns (100, 25, 25) float32 in [0, 1].
    """
    faces = lfw_subset()[:LFW_IDENTITIES].astype(np.float32)
    faces.flags.writeable = False
    return faces


def _view_coords(rng: np.random.Generator, n: int, size: int) -> np.ndarray:
    """Source coordinates of n random tilt + zoom + shift (+ mirror) views; (n, 2, S, S)."""
    angle = np.deg2rad(rng.uniform(-15, 15, n))[:, None, None]
    scale = rng.uniform(0.9, 1.1, n)[:, None, None]
    shift = rng.uniform(-0.08, 0.08, (2, n, 1, 1)) * size
    c = (size - 1) / 2
    rows, cols = identity_coords((size, size)) - c
    dr, dc = rows - shift[0], cols - shift[1]
    src_r = (np.cos(angle) * dr + np.sin(angle) * dc) / scale + c
    src_c = (-np.sin(angle) * dr + np.cos(angle) * dc) / scale + c
    coords = np.stack([src_r, src_c], axis=1)
    mirror = rng.random(n) < 0.5
    coords[mirror] = coords[mirror][..., ::-1]  # read column W-1-c: a mirror image
    return coords


def face_views(
    faces: np.ndarray, views_per_identity: int, rng: np.random.Generator, size: int | None = None
) -> FaceSet:
    """``views_per_identity`` random views of each base face, with the module's nuisances.

    Shapes: faces (M, H, W) in [0, 1] (resized to ``size`` × ``size`` when given);
    returns images (M · V, 1, S, S) float32, labels (M · V,) int64 = the row of ``faces``,
    ordered identity by identity.
    """
    if faces.ndim != 3:
        raise ValueError(f"face_views: expected faces (M, H, W), got {faces.shape}")
    if views_per_identity < 1:
        raise ValueError(f"face_views: expected views_per_identity >= 1, got {views_per_identity}")
    if size is None and faces.shape[1] != faces.shape[2]:
        raise ValueError(f"face_views: faces {faces.shape} are not square; pass size=...")
    if size is not None and faces.shape[1:] != (size, size):
        faces = resize(faces, (len(faces), size, size), anti_aliasing=True)
    M, S, V = len(faces), faces.shape[-1], views_per_identity
    labels = np.repeat(np.arange(M), V)
    n = M * V
    images = warp_batch(faces[labels].astype(np.float64), _view_coords(rng, n, S), mode="reflect")

    # Lighting: gamma, then gain times a linear ramp across the face in a random direction.
    gamma = np.exp(rng.uniform(np.log(0.7), np.log(1.4), n))[:, None, None]
    gain = np.exp(rng.uniform(np.log(0.7), np.log(1.4), n))[:, None, None]
    direction = rng.uniform(0, 2 * np.pi, n)[:, None, None]
    slope = rng.uniform(0.0, 0.4, n)[:, None, None]
    rows, cols = (identity_coords((S, S)) - (S - 1) / 2) / (S / 2)
    ramp = 1 + slope * (np.cos(direction) * cols + np.sin(direction) * rows)
    images = np.clip(images, 0, 1) ** gamma * gain * ramp
    images += rng.normal(0, 1, images.shape) * rng.uniform(0, 0.03, n)[:, None, None]
    images = np.clip(images, 0, 1).astype(np.float32)[:, None]
    return FaceSet(images, labels.astype(np.int64))


def identity_split(num_identities: int, test: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A seeded split of identities 0..num_identities-1 into disjoint (train, test) sets."""
    if not 0 < test < num_identities:
        raise ValueError(f"identity_split: expected 0 < test < {num_identities}, got {test}")
    perm = np.random.default_rng(seed).permutation(num_identities)
    return np.sort(perm[test:]), np.sort(perm[:test])


def lfw_identities(
    split: str = "train",
    views_per_identity: int = 8,
    size: int = 32,
    test_identities: int = 30,
    seed: int = 0,
) -> FaceSet:
    """Views of the real LFW faces, split by identity: no test person is seen in training.

    ``split`` is ``"train"``, ``"test"`` or ``"all"``. The split depends on ``seed`` and
    ``test_identities`` only, so ``"train"`` and ``"test"`` made with the same ones are
    disjoint. Labels are the identity numbers 0..99 (not renumbered per split).

    Shapes: images (n_ids · views_per_identity, 1, size, size) float32; labels int64.
    """
    train_ids, test_ids = identity_split(LFW_IDENTITIES, test_identities, seed)
    ids = {"train": train_ids, "test": test_ids, "all": np.arange(LFW_IDENTITIES)}
    if split not in ids:
        raise ValueError(f"lfw_identities: split must be 'train', 'test' or 'all', got {split!r}")
    rng = np.random.default_rng([seed, ("train", "test", "all").index(split)])
    views = face_views(np.asarray(lfw_faces())[ids[split]], views_per_identity, rng, size)
    return FaceSet(views.images, ids[split][views.labels])


def procedural_identities(
    num_identities: int = 200, views_per_identity: int = 8, size: int = 32, seed: int = 0
) -> FaceSet:
    """Views of ``num_identities`` synthetic face-like identities (`minidl.data.facegen`),
    with the same nuisances as the real faces. Labels are 0..num_identities-1; make disjoint
    train and test people with different seeds or with `identity_split` on the labels.

    Shapes: images (num_identities · views_per_identity, 1, size, size) float32; labels int64.
    """
    if num_identities < 1 or size < 16:
        raise ValueError(
            f"procedural_identities: expected num_identities >= 1 and size >= 16, "
            f"got {num_identities}, {size}"
        )
    rng = np.random.default_rng(seed)
    base = render_faces(random_face_params(rng, num_identities), size, rng)
    return face_views(base, views_per_identity, rng)
