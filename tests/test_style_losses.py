"""Style-transfer losses: gradients w.r.t. the image, Gram matrix against PyTorch, errors."""

from __future__ import annotations

import numpy as np
import pytest

import minidl as md
import minidl.nn.functional as F


def _image(rng, shape=(2, 3, 5, 4)):
    return md.tensor(rng.standard_normal(shape), requires_grad=True)  # float64: the parameter


def test_gram_matrix_gradcheck():
    assert md.gradcheck(F.gram_matrix, [_image(np.random.default_rng(0))])


def test_content_loss_gradcheck():
    rng = np.random.default_rng(1)
    target = rng.standard_normal((2, 3, 5, 4))
    assert md.gradcheck(lambda x: F.content_loss(x, target), [_image(rng)])


def test_style_loss_gradcheck_over_two_layers_with_weights():
    rng = np.random.default_rng(2)
    targets = [rng.random((1, 3, 3)), rng.random((1, 6, 6))]

    def loss(x):  # two "layers": the image itself and a cheap deeper map built from it
        deeper = md.concat([x[:, :, 0:4:2, ::2], x[:, :, 1:4:2, ::2].tanh()], axis=1)
        return F.style_loss([x, deeper], targets, weights=[0.3, 0.7])

    assert md.gradcheck(loss, [_image(rng)])


def test_tv_loss_gradcheck_and_value():
    rng = np.random.default_rng(3)
    assert md.gradcheck(F.tv_loss, [_image(rng)])
    ramp = np.arange(4.0)[None, None, None, :] * np.ones((1, 1, 3, 1))  # steps of 1 across
    assert F.tv_loss(md.tensor(ramp)).item() == pytest.approx(1.0)


def test_gram_matrix_matches_torch(torch):
    x = np.random.default_rng(4).standard_normal((2, 8, 7, 9)).astype(np.float32)
    f = torch.from_numpy(x).reshape(2, 8, 63)
    expected = (torch.bmm(f, f.transpose(1, 2)) / (8 * 63)).numpy()
    np.testing.assert_allclose(F.gram_matrix(md.tensor(x)).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_gram_matrix_ignores_where_features_are():
    x = np.random.default_rng(5).standard_normal((1, 4, 6, 6))
    shuffled = x.reshape(1, 4, 36)[:, :, np.random.default_rng(6).permutation(36)]
    np.testing.assert_allclose(
        F.gram_matrix(md.tensor(x)).numpy(),
        F.gram_matrix(md.tensor(shuffled.reshape(1, 4, 6, 6))).numpy(),
        atol=1e-12,
    )


def test_style_loss_default_weights_average_the_layers():
    rng = np.random.default_rng(7)
    x = md.tensor(rng.standard_normal((1, 3, 4, 4)))
    targets = [np.zeros((1, 3, 3)), np.ones((1, 3, 3))]
    each = [F.style_loss([x], [t]).item() for t in targets]
    assert F.style_loss([x, x], targets).item() == pytest.approx(sum(each) / 2)


def test_errors_name_the_op_and_the_shapes():
    x = md.zeros(1, 3, 4, 4)
    with pytest.raises(ValueError, match=r"gram_matrix: expected features \(N, C, H, W\)"):
        F.gram_matrix(md.zeros(3, 4, 4))
    with pytest.raises(ValueError, match="content_loss: target of shape"):
        F.content_loss(x, np.zeros((1, 3, 4, 5)))
    with pytest.raises(ValueError, match=r"style_loss: layer 0 has 3 channels.*\(3, 3\)"):
        F.style_loss([x], [np.zeros((1, 4, 4))])
    with pytest.raises(ValueError, match="style_loss: 1 weights for 2 layers"):
        F.style_loss([x, x], [np.zeros((1, 3, 3))] * 2, weights=[1.0])
    with pytest.raises(ValueError, match="tv_loss"):
        F.tv_loss(md.zeros(1, 3, 1, 4))
