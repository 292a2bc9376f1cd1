"""The finished reference models that the lessons build step by step."""

from .siamese import EmbeddingNet, FaceDatabase, Match, SiameseNet
