"""Small 2-D classification sets for the autograd lesson and the core tests."""

from __future__ import annotations

import math

import numpy as np


def two_spirals(
    n: int = 1000, noise: float = 0.03, seed: int = 0, turns: float = 1.5
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals: a set no linear model separates, an MLP learns in seconds.

    Point ``i`` of class ``c`` lies at angle ``θ = 2π·turns·√u`` (``u`` uniform in [0, 1), so
    points are spread evenly over the disc rather than crowded at the centre) and radius
    ``r = θ / (2π·turns)``, at ``(r cos(θ + cπ), r sin(θ + cπ))``, plus Gaussian noise of std
    ``noise``. Neighbouring arms are ``1 / (2·turns)`` apart (1/3 by default).

    Shapes: points (n, 2) float32 within about [-1, 1]²; labels (n,) int64, ``n // 2`` zeros
    then the ones. Reference: Lang & Witbrock, "Learning to tell two spirals apart" (1988).
    """
    if n < 2 or noise < 0 or turns <= 0:
        raise ValueError(
            f"two_spirals: need n >= 2, noise >= 0, turns > 0; got {n}, {noise}, {turns}"
        )
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(2), [n // 2, n - n // 2])
    theta = 2 * math.pi * turns * np.sqrt(rng.random(n))
    radius = theta / (2 * math.pi * turns)
    angle = theta + math.pi * labels
    points = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    points += rng.normal(0.0, noise, points.shape)
    return points.astype(np.float32), labels.astype(np.int64)
