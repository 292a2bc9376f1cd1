"""load_image, sample_image and the folder datasets, on files written here."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import io

from minidl.data import (
    CONTENT_IMAGES,
    TEXTURE_IMAGES,
    ImageFolderIdentities,
    ImageMaskFolder,
    load_image,
    sample_image,
)


def _write(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    io.imsave(path, array, check_contrast=False)


def _rgb(h: int, w: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_load_image_png_and_jpeg(tmp_path):
    rgb = _rgb(20, 30)
    _write(tmp_path / "a.png", rgb)
    _write(tmp_path / "b.jpg", rgb)
    a = load_image(tmp_path / "a.png")
    assert a.shape == (3, 20, 30) and a.dtype == np.float32
    np.testing.assert_allclose(a, rgb.transpose(2, 0, 1) / 255, atol=1e-6)
    assert load_image(tmp_path / "b.jpg").shape == (3, 20, 30)
    assert load_image(tmp_path / "a.png", gray=True).shape == (1, 20, 30)
    assert load_image(tmp_path / "a.png", size=10).shape == (3, 10, 10)  # shorter side + crop
    assert load_image(tmp_path / "a.png", size=(8, 12)).shape == (3, 8, 12)


def test_load_image_grayscale_and_rgba(tmp_path):
    _write(tmp_path / "g.png", np.full((6, 7), 128, np.uint8))
    g = load_image(tmp_path / "g.png")
    assert g.shape == (3, 6, 7) and np.allclose(g, 128 / 255)
    _write(tmp_path / "rgba.png", np.dstack([_rgb(5, 5), np.full((5, 5), 255, np.uint8)]))
    assert load_image(tmp_path / "rgba.png").shape == (3, 5, 5)


def test_load_image_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_image(tmp_path / "missing.png")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ValueError, match="unsupported file type '.txt'"):
        load_image(tmp_path / "notes.txt")
    (tmp_path / "broken.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match="could not decode"):
        load_image(tmp_path / "broken.png")
    with pytest.raises(ValueError, match="size"):
        _write(tmp_path / "ok.png", _rgb(4, 4))
        load_image(tmp_path / "ok.png", size=0)


@pytest.mark.parametrize("name", CONTENT_IMAGES + TEXTURE_IMAGES)
def test_sample_images_load_offline(name):
    image = sample_image(name, size=64)
    assert image.shape == (3, 64, 64) and image.dtype == np.float32
    assert 0 <= image.min() and image.max() <= 1 and image.std() > 0.03
    assert sample_image(name, size=32, gray=True).shape == (1, 32, 32)


def test_sample_image_unknown():
    with pytest.raises(ValueError, match="astronaut"):
        sample_image("lena")


def _mask_folder(root, n=3, size=(16, 20)):
    for i in range(n):
        _write(root / "images" / f"im{i}.png", _rgb(*size, seed=i))
        mask = np.zeros(size, np.uint8)
        mask[4:10, 5 + i : 12 + i] = 255
        _write(root / "masks" / f"im{i}.png", mask)


def test_image_mask_folder(tmp_path):
    _mask_folder(tmp_path)
    ds = ImageMaskFolder(tmp_path)
    assert len(ds) == 3 and ds.names == ["im0", "im1", "im2"]
    image, mask = ds[1]
    assert image.shape == (1, 16, 20) and image.dtype == np.float32
    assert mask.dtype == np.int64 and set(np.unique(mask)) == {0, 1} and mask[5, 7] == 1
    resized = ImageMaskFolder(tmp_path, size=(8, 10), gray=False)
    assert resized[0][0].shape == (3, 8, 10) and set(np.unique(resized.masks)) <= {0, 1}


def test_image_mask_folder_class_indices(tmp_path):
    _write(tmp_path / "images" / "a.png", _rgb(8, 8))
    _write(
        tmp_path / "masks" / "a.png",
        np.repeat(np.arange(3, dtype=np.uint8), [3, 3, 2])[None].repeat(8, 0),
    )
    assert set(np.unique(ImageMaskFolder(tmp_path).masks)) == {0, 1, 2}


def test_image_mask_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="images"):
        ImageMaskFolder(tmp_path)
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    with pytest.raises(ValueError, match="no images"):
        ImageMaskFolder(tmp_path)
    _mask_folder(tmp_path)
    (tmp_path / "masks" / "im2.png").unlink()
    with pytest.raises(ValueError, match="no mask .* im2.png"):
        ImageMaskFolder(tmp_path)
    _write(tmp_path / "masks" / "im2.png", np.zeros((5, 5), np.uint8))
    with pytest.raises(ValueError, match=r"im2.png is \(16, 20\) but its mask"):
        ImageMaskFolder(tmp_path)
    _write(tmp_path / "masks" / "im2.png", np.zeros((16, 20), np.uint8))
    _write(tmp_path / "images" / "im3.png", _rgb(10, 10))
    _write(tmp_path / "masks" / "im3.png", np.zeros((10, 10), np.uint8))
    with pytest.raises(ValueError, match="different sizes"):
        ImageMaskFolder(tmp_path)
    assert len(ImageMaskFolder(tmp_path, size=12)) == 4


def test_image_folder_identities(tmp_path):
    for person, n in [("alice", 2), ("bob", 3)]:
        for i in range(n):
            _write(tmp_path / person / f"{i}.jpg", _rgb(40, 30, seed=i))
    (tmp_path / "alice" / "notes.txt").write_text("ignored")
    ds = ImageFolderIdentities(tmp_path, size=24)
    assert ds.names == ["alice", "bob"] and len(ds) == 5
    np.testing.assert_array_equal(ds.labels, [0, 0, 1, 1, 1])
    image, label = ds[4]
    assert image.shape == (1, 24, 24) and image.dtype == np.float32 and label == 1


def test_image_folder_identities_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        ImageFolderIdentities(tmp_path / "nowhere")
    (tmp_path / "empty_person").mkdir()
    with pytest.raises(ValueError, match="no photos"):
        ImageFolderIdentities(tmp_path)
    _write(tmp_path / "carol" / "1.png", _rgb(10, 10))
    _write(tmp_path / "dave" / "1.png", _rgb(10, 10))
    _write(tmp_path / "dave" / "2.png", _rgb(10, 10))
    with pytest.raises(ValueError, match=r"at least 2 photos .* carol \(1\)"):
        ImageFolderIdentities(tmp_path)
    assert len(ImageFolderIdentities(tmp_path, min_images=1)) == 3
