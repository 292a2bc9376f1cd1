"""Procedural face-like identities: per-identity geometry and texture, rendered in NumPy.

An identity is a set of numbers (`random_face_params`): the face oval, skin tone, hair line and
hair texture, eye spacing and size, brows (height, tilt, thickness), nose length and width,
mouth width, height and curvature, an optional beard, and a fixed skin-blemish pattern.
`render_faces` draws all identities at once on a normalised grid (x, y in [−1, 1], y down)
with soft edges one pixel wide, so every identity is a smooth, grey-level "photo".
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

Num = np.ndarray | float

# name: (low, high) of a uniform draw per identity.
_RANGES = {
    "face_w": (0.52, 0.72),
    "face_h": (0.68, 0.86),
    "face_y": (0.0, 0.12),
    "skin": (0.45, 0.8),
    "background": (0.05, 0.95),
    "hair": (0.05, 0.6),
    "hairline": (-0.55, -0.3),
    "hair_freq": (6.0, 16.0),
    "eye_y": (-0.2, -0.02),
    "eye_dx": (0.2, 0.34),
    "eye_w": (0.07, 0.13),
    "eye_h": (0.035, 0.07),
    "brow_dy": (0.09, 0.17),
    "brow_tilt": (-0.35, 0.35),
    "brow_t": (0.02, 0.05),
    "brow_dark": (0.15, 0.5),
    "nose_y": (0.12, 0.3),
    "nose_w": (0.04, 0.1),
    "mouth_y": (0.36, 0.55),
    "mouth_w": (0.12, 0.3),
    "mouth_t": (0.025, 0.06),
    "mouth_curve": (-0.15, 0.2),
    "mouth_dark": (0.15, 0.45),
    "beard": (0.0, 1.0),
}


def random_face_params(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Draw the parameters of ``n`` identities: a dict of (n,) arrays (see ``_RANGES``)."""
    params = {k: rng.uniform(lo, hi, n) for k, (lo, hi) in _RANGES.items()}
    params["beard"] = (params["beard"] < 0.2).astype(np.float64)  # one person in five
    return params


def _soft(signed_distance: np.ndarray, edge: float) -> np.ndarray:
    """1 inside (negative distance), 0 outside, linear over ``edge`` around the boundary."""
    return np.clip(0.5 - signed_distance / edge, 0.0, 1.0)


def _ellipse(x: Num, y: Num, cx: Num, cy: Num, ax: Num, ay: Num, edge: float) -> np.ndarray:
    """Soft filled ellipse; the signed distance is approximated through the normalised radius."""
    rho = np.sqrt(((x - cx) / ax) ** 2 + ((y - cy) / ay) ** 2)
    return _soft((rho - 1) * np.minimum(ax, ay), edge)


def render_faces(params: dict[str, np.ndarray], size: int, rng: np.random.Generator) -> np.ndarray:
    """Render the identities in ``params``; ``rng`` draws each one's fixed skin texture.

    Shapes: returns (n, size, size) float32 in [0, 1].
    """
    p = {k: v[:, None, None] for k, v in params.items()}  # broadcast over (n, S, S)
    n = len(params["skin"])
    t = (np.arange(size) + 0.5) / size * 2 - 1
    y, x = t[:, None], t[None, :]
    edge = 2.0 / size  # one pixel in normalised units

    face = _ellipse(x, y, 0.0, p["face_y"], p["face_w"], p["face_h"], edge)
    # Shading towards the rim of the face, as on a rounded surface lit from the front.
    rim = ((x / p["face_w"]) ** 2 + ((y - p["face_y"]) / p["face_h"]) ** 2).clip(0, 1)
    blemish = ndimage.gaussian_filter(rng.standard_normal((n, size, size)), (0, 0.7, 0.7))
    skin = p["skin"] * (1 - 0.25 * rim) + 0.05 * blemish
    img = p["background"] * (1 - face) + skin * face

    # Hair: inside a slightly larger head ellipse and above a wavy hair line; striped texture.
    head = _ellipse(x, y, 0.0, p["face_y"] - 0.06, p["face_w"] + 0.08, p["face_h"] + 0.1, edge)
    line = p["hairline"] + 0.06 * np.cos(3 * x + p["hair_freq"])
    # ... and down the sides of the head, around the face, to the height of the eyes.
    sides = head * (1 - face) * _soft(y - p["eye_y"] - 0.1, 3 * edge)
    hair = np.maximum(head * _soft(y - line, edge), sides)
    strands = p["hair"] * (1 + 0.25 * np.sin(p["hair_freq"] * (x + 0.3 * y)))
    img = img * (1 - hair) + strands * hair

    beard = p["beard"] * face * _soft(p["mouth_y"] - 0.08 - y, 6 * edge)
    img = img * (1 - 0.6 * beard) + 0.6 * beard * p["hair"]

    for side in (-1.0, 1.0):
        ex = side * p["eye_dx"]
        socket = _ellipse(x, y, ex, p["eye_y"], 1.5 * p["eye_w"], 2.2 * p["eye_h"], 3 * edge)
        img = img * (1 - 0.25 * socket)
        eye = _ellipse(x, y, ex, p["eye_y"], p["eye_w"], p["eye_h"], edge)
        pupil = _ellipse(x, y, ex, p["eye_y"], 0.45 * p["eye_h"] + edge, p["eye_h"], edge)
        img = img * (1 - eye) + eye * (0.85 - 0.8 * pupil)
        # Brow: a thick line above the eye, tilted outwards by brow_tilt.
        by = p["eye_y"] - p["brow_dy"] + side * p["brow_tilt"] * (x - ex) * 0.5
        brow = _soft(np.abs(y - by) - p["brow_t"], edge) * _soft(
            np.abs(x - ex) - 1.3 * p["eye_w"], edge
        )
        img = img * (1 - brow) + brow * p["brow_dark"]

    # Nose: a shadow down one side of the ridge and two nostrils.
    ridge = (y > p["eye_y"]) & (y < p["nose_y"])
    shadow = ridge * _soft(np.abs(x - 0.5 * p["nose_w"]) - 0.3 * p["nose_w"], 2 * edge)
    img = img * (1 - 0.25 * shadow)
    for side in (-1.0, 1.0):
        nostril = _ellipse(x, y, side * p["nose_w"], p["nose_y"], 0.35 * p["nose_w"], 0.03, edge)
        img = img * (1 - 0.5 * nostril)

    # Mouth: a parabola y = mouth_y + curve · (x / w)², thickness mouth_t, cut at ± mouth_w.
    arc = p["mouth_y"] + p["mouth_curve"] * (x / p["mouth_w"]) ** 2
    mouth = _soft(np.abs(y - arc) - p["mouth_t"], edge) * _soft(np.abs(x) - p["mouth_w"], edge)
    img = img * (1 - mouth) + mouth * p["mouth_dark"]
    return np.clip(img, 0, 1).astype(np.float32)
