"""Instance segmentation data: synthetic shapes scenes and the real coins photograph.

A `Scene` holds one image and its instances:

- image (C, H, W) float32 in [0, 1];
- masks (K, H, W) bool, the *visible* pixels of each instance;
- boxes (K, 4) float32 ``[x1, y1, x2, y2]`` in pixels, tight around the visible mask, with
  x2 = last column + 1 and y2 = last row + 1 (pixel c covers [c, c + 1));
- labels (K,) int64: 1 = circle, 2 = square, 3 = triangle, and with ``figures=True`` also
  4 = a stick figure (0 is reserved for background);
- keypoints (K, J, 3) float32 ``[x, y, v]``: the vertices of squares (4) and triangles (3),
  and the six joints of a stick figure (`JOINTS`, bones `SKELETON`), then padding rows, in
  the same pixel frame as the boxes; J = 4, or 6 with figures; v follows COCO: 2 = visible,
  1 = hidden under a later shape, 0 = no keypoint (padding, circles).

A Scene is a tuple of arrays, so a list of scenes is a `Dataset` (`DataLoader` with
``batch_size=1``, since K varies).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import ndimage

CLASS_NAMES = ("background", "circle", "square", "triangle", "figure")
FIGURE = 4
# A figure's joints in the order of a walk around its outline (the image's right side first).
# A mirror image reverses that order, and `minidl.models.maskrcnn.training.hflip` (which lists
# a mirrored shape's keypoints backwards) then yields the mirrored figure's joints up to a
# cyclic shift, the freedom that the cyclic keypoint loss and PCK allow anyway.
JOINTS = ("neck", "right hand", "right foot", "hip", "left foot", "left hand")
SKELETON = ((0, 1), (0, 5), (0, 3), (3, 2), (3, 4))  # the bones, as pairs of joints


class Scene(NamedTuple):
    """One image with K instances (see the module docstring for the conventions).

    Shapes: image (C, H, W); masks (K, H, W); boxes (K, 4); labels (K,); keypoints (K, 4, 3).
    """

    image: np.ndarray
    masks: np.ndarray
    boxes: np.ndarray
    labels: np.ndarray
    keypoints: np.ndarray


def masks_to_boxes(masks: np.ndarray) -> np.ndarray:
    """Tight boxes ``[x1, y1, x2, y2]`` (x2 = last column + 1) of non-empty masks.

    Shapes: masks (K, H, W) -> (K, 4) float32.
    """
    rows, cols = masks.any(axis=2), masks.any(axis=1)  # (K, H), (K, W)
    if not (rows.any(axis=1).all()):
        raise ValueError("masks_to_boxes: every mask must have at least one pixel")
    H, W = masks.shape[1:]
    y1, x1 = rows.argmax(axis=1), cols.argmax(axis=1)
    y2, x2 = H - rows[:, ::-1].argmax(axis=1), W - cols[:, ::-1].argmax(axis=1)
    return np.stack([x1, y1, x2, y2], axis=1).astype(np.float32)


def _inside_polygon(x: np.ndarray, y: np.ndarray, vertices: np.ndarray) -> np.ndarray:
    """Points (x, y) inside a convex polygon (vertices (V, 2) as x, y, either orientation)."""
    edge = np.roll(vertices, -1, axis=0) - vertices
    cross = [
        ex * (y - vy) - ey * (x - vx) for (vx, vy), (ex, ey) in zip(vertices, edge, strict=True)
    ]
    cross = np.stack(cross)
    return (cross >= 0).all(axis=0) | (cross <= 0).all(axis=0)


def _near_segment(x: np.ndarray, y: np.ndarray, a: np.ndarray, b: np.ndarray, r: float):
    """Points (x, y) within distance r of the segment from a to b (each (2,) as x, y)."""
    d = b - a
    t = np.clip(((x - a[0]) * d[0] + (y - a[1]) * d[1]) / max(d @ d, 1e-12), 0, 1)
    return (x - a[0] - t * d[0]) ** 2 + (y - a[1] - t * d[1]) ** 2 <= r**2


class _Shape(NamedTuple):
    label: int
    vertices: np.ndarray  # (V, 2) as x, y: polygon corners or figure joints; (0, 2) for a circle
    center: np.ndarray  # (2,) as x, y: a circle's centre, a figure's head
    radius: float  # of a circle or a figure's head
    thickness: float = 0.0  # of a figure's limbs

    def contains(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        disc = (x - self.center[0]) ** 2 + (y - self.center[1]) ** 2 <= self.radius**2
        if self.label == 1:
            return disc
        if self.label == FIGURE:
            for i, j in SKELETON + ((0, None),):  # the bones, and the neck up to the head
                end = self.center if j is None else self.vertices[j]
                disc = disc | _near_segment(x, y, self.vertices[i], end, self.thickness / 2)
            return disc
        return _inside_polygon(x, y, self.vertices)


def _random_figure(rng: np.random.Generator, size: int) -> _Shape:
    """A stick figure: head, torso, two arms and two legs, a random pose, slightly tilted."""
    h = size * rng.uniform(0.3, 0.5)  # height, head to feet
    neck, hip = np.array([0.0, -0.2 * h]), np.array([0.0, 0.12 * h])
    arm, leg = h * rng.uniform(0.28, 0.36), h * rng.uniform(0.36, 0.42)
    # arms from up-and-out to down-and-out, legs spread: whatever the tilt, one per side
    a = rng.uniform(-0.8, 1.1, 2)
    b = rng.uniform(0.35, 0.7, 2)  # more than the tilt: a foot stays on its side
    joints = np.stack(
        [
            neck,
            neck + arm * np.array([np.cos(a[0]), np.sin(a[0])]),
            hip + leg * np.array([np.sin(b[0]), np.cos(b[0])]),
            hip,
            hip + leg * np.array([-np.sin(b[1]), np.cos(b[1])]),
            neck + arm * np.array([-np.cos(a[1]), np.sin(a[1])]),
        ]
    )
    head = neck + np.array([0.0, -0.17 * h])
    t = rng.uniform(-0.3, 0.3)
    rot = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    joints, head = joints @ rot.T, head @ rot.T
    radius, thickness = 0.13 * h, max(0.13 * h, 2.5)
    low = np.minimum(joints.min(axis=0), head - radius) - thickness
    high = np.maximum(joints.max(axis=0), head + radius) + thickness
    shift = rng.uniform(1 - low, size - 1 - high, size=2)
    return _Shape(FIGURE, joints + shift, head + shift, radius, thickness)


def _random_shape(rng: np.random.Generator, size: int, figures: bool = False) -> _Shape:
    """One random circle, square or triangle (or figure) lying fully inside the image."""
    label = int(rng.integers(1, 5 if figures else 4))
    if label == FIGURE:
        return _random_figure(rng, size)
    r = size * rng.uniform(0.08, 0.2)
    if label == 1:
        extent, vertices = r, np.zeros((0, 2))
    elif label == 2:
        t = rng.uniform(0, np.pi / 2)
        corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * r / np.sqrt(2)
        rot = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
        vertices, extent = corners @ rot.T, r
    else:
        angles = rng.uniform(0, 2 * np.pi) + np.arange(3) * 2 * np.pi / 3
        angles += rng.uniform(-0.3, 0.3, 3)
        radii = r * rng.uniform(0.9, 1.15, 3)
        vertices = np.stack([radii * np.cos(angles), radii * np.sin(angles)], axis=1)
        extent = radii.max()
    center = rng.uniform(extent + 1, size - extent - 1, size=2)
    return _Shape(label, vertices + center, center, r)


def _background(rng: np.random.Generator, size: int, channels: int) -> np.ndarray:
    """A textured background: a base colour, smooth blotches and faint stripes."""
    base = rng.uniform(0.2, 0.8, size=(channels, 1, 1))
    blotches = ndimage.gaussian_filter(rng.standard_normal((channels, size, size)), (0, 4, 4))
    blotches *= 0.12 / (blotches.std() + 1e-12)
    t = rng.uniform(0, np.pi)
    yy, xx = np.mgrid[0:size, 0:size]
    stripes = 0.05 * np.sin((np.cos(t) * xx + np.sin(t) * yy) * rng.uniform(0.3, 1.0))
    return base + blotches + stripes


def shapes_scene(
    rng: np.random.Generator,
    size: int = 64,
    channels: int = 3,
    max_instances: int = 6,
    min_visible: float = 0.4,
    figures: bool = False,
) -> Scene:
    """One scene with 1..``max_instances`` circles, squares and triangles (and stick figures
    with ``figures``).

    Shapes are drawn in order, later ones occluding earlier ones; an instance with less than
    ``min_visible`` of its area (or fewer than 12 pixels) left visible is removed from the
    scene altogether, so nothing unlabelled is ever drawn. Each colour differs clearly from
    the background's mean colour.
    """
    yy, xx = np.mgrid[0:size, 0:size] + 0.5  # pixel centres
    wanted = int(rng.integers(1, max_instances + 1))
    shapes = [_random_shape(rng, size, figures) for _ in range(wanted)]

    # Decide top-down which instances stay: removing one never hides those drawn after it.
    covered = np.zeros((size, size), bool)
    kept: list[tuple[_Shape, np.ndarray, np.ndarray]] = []  # (shape, full mask, visible mask)
    for shape in reversed(shapes):
        full = shape.contains(xx, yy)
        visible = full & ~covered
        if visible.sum() >= max(min_visible * full.sum(), 12):
            kept.append((shape, full, visible))
            covered |= full
    kept.reverse()

    image = _background(rng, size, channels)
    bg_mean = image.mean(axis=(1, 2))
    keypoints = np.zeros((len(kept), len(JOINTS) if figures else 4, 3), np.float32)
    for i, (shape, full, _) in enumerate(kept):
        colour = rng.uniform(0, 1, channels)
        while np.abs(colour - bg_mean).max() < 0.3:
            colour = rng.uniform(0, 1, channels)
        shade = 1 + 0.08 * (xx - xx[full].mean()) / size  # a faint lighting gradient
        image[:, full] = colour[:, None] * shade[full]
        for j, (vx, vy) in enumerate(shape.vertices):
            hidden = any(bool(top.contains(vx, vy)) for top, _, _ in kept[i + 1 :])
            keypoints[i, j] = (vx, vy, 1 if hidden else 2)
    image += rng.normal(0, 0.02, image.shape)

    masks = np.stack([visible for _, _, visible in kept])
    labels = np.array([shape.label for shape, _, _ in kept], np.int64)
    image = np.clip(image, 0, 1).astype(np.float32)
    return Scene(image, masks, masks_to_boxes(masks), labels, keypoints)


def shapes_scenes(
    n: int,
    size: int = 64,
    channels: int = 3,
    max_instances: int = 6,
    seed: int = 0,
    figures: bool = False,
) -> list[Scene]:
    """``n`` shapes scenes (`shapes_scene`), deterministic given ``seed``.

    ``figures`` adds stick figures (class 4) whose keypoints are their joints; the scenes of
    ``figures=False`` are those of earlier versions, random stream included.
    """
    if n < 0 or size < 24 or channels not in (1, 3) or max_instances < 1:
        raise ValueError(
            f"shapes_scenes: expected n >= 0, size >= 24, channels 1 or 3, max_instances >= 1; "
            f"got {n}, {size}, {channels}, {max_instances}"
        )
    rng = np.random.default_rng(seed)
    return [shapes_scene(rng, size, channels, max_instances, figures=figures) for _ in range(n)]


def coins_instances(channels: int = 1, min_area: int = 100) -> Scene:
    """The real coins photograph of scikit-image with instance masks from a classical recipe.

    The recipe (scikit-image gallery, "Comparing edge-based and region-based segmentation"):

    1. elevation map: the Sobel gradient magnitude of the image (high on the coins' rims);
    2. markers: 1 (background) where the image is below 30/255, 2 (coin) above 150/255;
    3. watershed of the elevation map from those markers: regions grow from the markers and
       meet on the ridges of the gradient, i.e. on the coins' outlines;
    4. fill holes in the coin region (dark engravings inside a coin);
    5. connected components are the instances; components under ``min_area`` pixels
       (specks) are removed.

    Labels are all 1 ("coin"; not one of the shapes classes) and keypoints are all absent.
    The image is grayscale, repeated to ``channels`` (1 or 3).

    Shapes: image (channels, 303, 384) float32; masks (K, 303, 384) bool; boxes (K, 4).
    """
    from skimage.data import coins
    from skimage.filters import sobel
    from skimage.segmentation import watershed

    if channels not in (1, 3):
        raise ValueError(f"coins_instances: channels must be 1 or 3, got {channels}")
    photo = coins()
    elevation = sobel(photo)
    markers = np.zeros_like(photo, dtype=np.int32)
    markers[photo < 30] = 1
    markers[photo > 150] = 2
    region = ndimage.binary_fill_holes(watershed(elevation, markers) == 2)
    components, count = ndimage.label(region)
    areas = ndimage.sum_labels(region, components, index=np.arange(1, count + 1))
    ids = np.arange(1, count + 1)[areas >= min_area]
    masks = components[None] == ids[:, None, None]
    image = np.repeat((photo / 255.0).astype(np.float32)[None], channels, axis=0)
    K = len(ids)
    return Scene(
        image,
        masks,
        masks_to_boxes(masks),
        np.ones(K, np.int64),
        np.zeros((K, 4, 3), np.float32),
    )
