"""EmbeddingNet, SiameseNet and FaceDatabase (minidl/models/siamese.py)."""

from __future__ import annotations

import numpy as np
import pytest

import minidl as md
import minidl.nn.functional as F
from minidl.models import EmbeddingNet, FaceDatabase, SiameseNet


def _tiny_net() -> EmbeddingNet:
    md.manual_seed(0)
    return EmbeddingNet(dim=4, width=2, image_size=8).double()


def _images(seed: int, n: int = 3) -> md.Tensor:
    return md.tensor(np.random.default_rng(seed).random((n, 1, 8, 8)))


def test_shared_module_called_three_times_passes_gradcheck():
    """One EmbeddingNet on anchor, positive and negative: one graph, three branches."""
    net = _tiny_net()
    a, p, n = _images(1), _images(2), _images(3)
    params = list(net.parameters())

    def loss(*_params):
        return F.triplet_margin_loss(net(a), net(p), net(n), margin=1.5, reduction="sum")

    assert loss().item() > 0  # inside the margin, so every branch gets a gradient
    assert md.gradcheck(loss, params, atol=1e-6, max_exhaustive=64)  # larger: 8 directions


def test_shared_weights_get_the_sum_of_the_branches_gradients():
    net = _tiny_net()
    x = [_images(1), _images(2), _images(3)]

    def grads(live: set[int]) -> list[np.ndarray]:
        net.zero_grad()
        f = [net(xi) if i in live else net(xi).detach() for i, xi in enumerate(x)]
        F.triplet_margin_loss(*f, margin=1.5, reduction="sum").backward()
        return [np.zeros(p.shape) if p.grad is None else p.grad.copy() for p in net.parameters()]

    together = grads({0, 1, 2})
    apart = [grads({i}) for i in range(3)]
    for k, g in enumerate(together):
        np.testing.assert_allclose(g, apart[0][k] + apart[1][k] + apart[2][k], atol=1e-12)
    assert all(np.abs(b[-2]).sum() > 0 for b in apart)  # each branch reaches the Linear weight


def test_embeddings_are_unit_vectors_and_siamese_gives_one_logit_per_pair():
    net = _tiny_net()
    x1, x2 = _images(4, 5), _images(5, 5)
    np.testing.assert_allclose(np.linalg.norm(net(x1).numpy(), axis=1), 1.0, rtol=1e-12)
    siamese = SiameseNet(net).double()
    assert siamese.embedding is net
    logits = siamese(x1, x2)
    assert logits.shape == (5,)
    F.binary_cross_entropy_with_logits(logits, np.array([1, 0, 1, 0, 0.0])).backward()
    assert net.fc.weight.grad is not None and siamese.head.weight.grad.shape == (1, 4)
    embedded = net.embed(x1.numpy(), batch_size=2)
    assert embedded.shape == (5, 4) and net.training  # eval only inside embed()
    with pytest.raises(ValueError, match="one shape"):
        siamese(x1, _images(6, 4))
    with pytest.raises(ValueError, match="expected input \\(N, 1, 8, 8\\)"):
        net(md.zeros(2, 1, 16, 16, dtype=md.float64))


def _flat(images: np.ndarray) -> np.ndarray:
    return np.asarray(images, dtype=np.float64).reshape(len(images), -1)


def test_face_database_recognises_and_rejects_strangers():
    people = np.eye(4)[:, None, :, None] * np.ones((1, 1, 4, 2))  # 4 "faces" (1, 4, 2)
    db = FaceDatabase(_flat, threshold=1.0)
    for name, face in zip("abc", people[:3]):
        db.enrol(name, face)
    assert len(db) == 3
    queries = np.concatenate([people[:3] + 0.05, people[3:]])  # noisy a, b, c; stranger d
    matches = db.identify(queries)
    assert [m.name for m in matches] == ["a", "b", "c", None]
    assert matches[3].nearest in "abc" and not matches[3].recognised
    assert matches[0].distance == pytest.approx(np.sqrt(8 * 0.05**2))
    same, d = db.verify(people[0], people[0] + 0.1)
    assert same and d == pytest.approx(np.sqrt(8 * 0.1**2))
    assert db.verify(people[0], people[1])[0] is False


def test_face_database_bad_input():
    with pytest.raises(TypeError, match="threshold must be a number"):
        FaceDatabase(_flat, threshold="0.8")
    with pytest.raises(TypeError, match="threshold must be a number"):
        FaceDatabase(_flat, threshold=None)
    db = FaceDatabase(_flat, threshold=0.8)
    with pytest.raises(ValueError, match="database is empty"):
        db.identify(np.zeros((1, 1, 4, 2)))
    with pytest.raises(ValueError, match="one image \\(C, S, S\\)"):
        db.enrol("a", np.zeros((2, 1, 4, 2)))
    db.enrol("a", np.zeros((1, 4, 2)))
    with pytest.raises(ValueError, match="embedding"):
        db.enrol("b", np.zeros((1, 4, 3)))
