"""Face verification and recognition: an embedding network, a Siamese network, a database.

- `EmbeddingNet`: a small CNN, image → f(x), a d-dim vector of length 1 (on the unit
  sphere), trained so that one person's pictures land close together (FaceNet).
- `SiameseNet`: the *same* EmbeddingNet applied to both images of a pair, then a logistic
  unit on |f(x1) − f(x2)| (a learned, weighted L1 distance, as DeepFace and Koch et al.):
  verification as binary classification. Because the weights are shared, their gradient is
  the sum of the two branches' gradients (the engine's ``+=``).
- `FaceDatabase`: one-shot recognition — enrol K people with one image each, answer the
  nearest enrolled person, or None ("not recognised") when even that one is farther than T.

References: Schroff, Kalenichenko & Philbin, "FaceNet", CVPR 2015; Taigman et al.,
"DeepFace", CVPR 2014; Koch, Zemel & Salakhutdinov, "Siamese Neural Networks for One-shot
Image Recognition", ICML 2015 workshop.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any, NamedTuple

import numpy as np

from .. import backend, nn
from ..autograd import no_grad
from ..mining import distance_matrix
from ..ops import abs as abs_
from ..ops import flatten
from ..ops.metric_loss import normalize
from ..tensor import Tensor, tensor


class EmbeddingNet(nn.Module):
    """Image → L2-normalised embedding: 3 × [3×3 conv, BatchNorm, ReLU, 2×2 max-pool], Linear.

    Shapes: x (N, in_channels, S, S) → (N, dim), every row of length 1; S divisible by 8.
    Channels width → 2·width → 4·width; the Linear sees 4·width · (S/8)² features.
    ``normalize=False`` leaves the Linear's output as it is (the lesson uses it to show
    the collapse f(x) = 0 that a margin-free triplet loss invites).
    """

    def __init__(
        self,
        dim: int = 64,
        width: int = 16,
        in_channels: int = 1,
        image_size: int = 32,
        normalize: bool = True,
    ) -> None:
        super().__init__()
        self.normalize = normalize
        if image_size % 8:
            raise ValueError(f"EmbeddingNet: image_size must be divisible by 8, got {image_size}")
        self.dim, self.in_channels, self.image_size = dim, in_channels, image_size
        layers: list[nn.Module] = []
        channels = [in_channels, width, 2 * width, 4 * width]
        for c_in, c_out in zip(channels[:-1], channels[1:]):
            layers += [
                nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),  # BatchNorm has the bias
                nn.BatchNorm2d(c_out),
                nn.ReLU(),
                nn.MaxPool2d(2),
            ]
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(4 * width * (image_size // 8) ** 2, dim)

    def forward(self, x: Tensor) -> Tensor:
        expected = (self.in_channels, self.image_size, self.image_size)
        if x.ndim != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(
                f"EmbeddingNet: expected input (N, {', '.join(map(str, expected))}), got {x.shape}"
            )
        f = self.fc(flatten(self.features(x), 1))
        return normalize(f, dim=1) if self.normalize else f

    def embed(self, images: Any, batch_size: int = 256) -> np.ndarray:
        """Embeddings of many images, in eval mode and without a graph, as a NumPy array.

        Shapes: images (N, C, S, S) array or Tensor → (N, dim) float32.
        """
        data = images.data if isinstance(images, Tensor) else images
        device = self.fc.weight.device
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                parts = [
                    backend.to_numpy(self(tensor(data[i : i + batch_size], device=device)).data)
                    for i in range(0, len(data), batch_size)
                ]
        finally:
            self.train(was_training)
        return np.concatenate(parts) if parts else np.zeros((0, self.dim), np.float32)


class SiameseNet(nn.Module):
    """Two images → the logit of "same person": w · |f(x1) − f(x2)| + b, f shared.

    Shapes: x1, x2 (N, C, S, S) → (N,) logits; sigmoid gives P(same). Train with
    ``F.binary_cross_entropy_with_logits(logits, same)``.
    """

    def __init__(self, embedding: EmbeddingNet | None = None) -> None:
        super().__init__()
        self.embedding = embedding if embedding is not None else EmbeddingNet()
        self.head = nn.Linear(self.embedding.dim, 1)

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        if x1.shape != x2.shape:
            raise ValueError(
                f"SiameseNet: the two images must have one shape, got {x1.shape} and {x2.shape}"
            )
        f1, f2 = self.embedding(x1), self.embedding(x2)  # one network, called twice
        return flatten(self.head(abs_(f1 - f2)), 0)


class Match(NamedTuple):
    """A recognition answer: the nearest enrolled person, the distance, and whether it is
    within the threshold. ``name`` is that person, or None: "not recognised"."""

    nearest: str
    distance: float
    recognised: bool

    @property
    def name(self) -> str | None:
        return self.nearest if self.recognised else None


class FaceDatabase:
    """One-shot recognition: K enrolled people, one embedding each; nearest one within T wins.

    ``embed`` turns images (N, C, S, S) into embeddings (N, D): an `EmbeddingNet` or any
    callable returning an array. ``threshold`` is the verification T (choose it on validation
    pairs): a query farther than T from everybody is answered with None, "not recognised".
    """

    def __init__(self, embed: EmbeddingNet | Any, threshold: float) -> None:
        self._embed = embed.embed if isinstance(embed, EmbeddingNet) else embed
        self.threshold = _check_threshold("FaceDatabase", threshold)
        self.names: list[str] = []
        self._vectors: list[np.ndarray] = []

    def __len__(self) -> int:
        return len(self.names)

    def embed(self, images: Any) -> np.ndarray:
        out = np.asarray(backend.to_numpy(self._embed(images)), dtype=np.float32)
        if out.ndim != 2 or len(out) != len(images):
            raise ValueError(
                f"FaceDatabase: embed must return (N, D) for N images, got {out.shape}"
            )
        return out

    def enrol(self, name: str, image: Any) -> None:
        """Add a person from one image (C, S, S) (re-enrolling a name replaces it)."""
        if getattr(image, "ndim", None) != 3:
            raise ValueError(
                f"FaceDatabase.enrol: expected one image (C, S, S), got shape {np.shape(image)}"
            )
        vector = self.embed(image[None])[0]
        if self._vectors and vector.shape != self._vectors[0].shape:
            raise ValueError(
                f"FaceDatabase.enrol: embedding {vector.shape}, others {self._vectors[0].shape}"
            )
        if name in self.names:
            self._vectors[self.names.index(name)] = vector
        else:
            self.names.append(name)
            self._vectors.append(vector)

    def identify(self, images: Any) -> list[Match]:
        """Per image (N, C, S, S): the nearest enrolled person, or None beyond the threshold."""
        if not self.names:
            raise ValueError("FaceDatabase.identify: the database is empty; enrol() people first")
        dist = distance_matrix(self.embed(images), np.stack(self._vectors))  # (N, K)
        nearest = dist.argmin(1)
        best = dist[np.arange(len(dist)), nearest]
        return [
            Match(self.names[k], float(d), bool(d <= self.threshold)) for k, d in zip(nearest, best)
        ]

    def verify(self, image1: Any, image2: Any) -> tuple[bool, float]:
        """Is it the same person? ``(distance <= threshold, distance)`` for two images (C, S, S)."""
        f = self.embed(np.stack([backend.to_numpy(image1), backend.to_numpy(image2)]))
        d = float(np.linalg.norm(f[0] - f[1]))
        return d <= self.threshold, d


def _check_threshold(op: str, threshold: Any) -> float:
    if isinstance(threshold, bool) or not isinstance(threshold, Real) or math.isnan(threshold):
        raise TypeError(f"{op}: threshold must be a number, got {threshold!r}")
    return float(threshold)
