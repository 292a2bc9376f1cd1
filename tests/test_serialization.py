"""md.save / md.load (minidl/serialization.py): round trips, atomic writes, foreign files."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import minidl as md
import minidl.nn as nn
import minidl.optim as optim
from minidl import serialization


def _trained_model_and_optimizer():
    md.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    opt = optim.Adam(model.parameters(), lr=0.01)
    for _ in range(2):
        opt.zero_grad()
        model(md.ones(5, 3)).sum().backward()
        opt.step()
    return model, opt


def test_round_trip_of_model_optimizer_and_plain_values(tmp_path):
    model, opt = _trained_model_and_optimizer()
    checkpoint = {
        "model": model.state_dict(),
        "optimizer": opt.state_dict(),
        "epoch": 3,
        "best": 0.875,
        "name": "mlp",
        "done": False,
        "note": None,
        "history": [1.5, 0.5, [np.arange(3), (True, "x")]],
        "mask": np.array([True, False]),
        "tensor": md.tensor(np.array([1.0, 2.0])),
    }
    path = tmp_path / "ckpt.npz"
    md.save(checkpoint, path)
    loaded = md.load(path)

    assert loaded["epoch"] == 3 and loaded["best"] == 0.875 and loaded["name"] == "mlp"
    assert loaded["done"] is False and loaded["note"] is None
    assert loaded["history"][:2] == [1.5, 0.5] and loaded["history"][2][1] == [True, "x"]
    np.testing.assert_array_equal(loaded["history"][2][0], np.arange(3))
    assert loaded["mask"].dtype == np.bool_ and loaded["tensor"].dtype == np.float64
    for key, value in model.state_dict().items():
        assert loaded["model"][key].dtype == value.dtype == np.float32
        np.testing.assert_array_equal(loaded["model"][key], value)

    md.manual_seed(1)
    fresh = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    fresh.load_state_dict(loaded["model"])
    x = md.tensor(np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32))
    np.testing.assert_array_equal(fresh(x).numpy(), model(x).numpy())
    fresh_opt = optim.Adam(fresh.parameters(), lr=0.5)
    fresh_opt.load_state_dict(loaded["optimizer"])
    assert fresh_opt.param_groups[0]["lr"] == 0.01 and fresh_opt.state[0]["step"] == 2
    np.testing.assert_array_equal(fresh_opt.state[0]["exp_avg"], opt.state[0]["exp_avg"])


def test_save_is_atomic_when_the_write_fails_midway(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    md.save({"w": np.ones(3)}, path)
    before = path.read_bytes()

    def crash(f, **arrays):
        f.write(b"PK\x03\x04 half a zip file")
        raise OSError("disk full")

    monkeypatch.setattr(serialization.np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        md.save({"w": np.zeros(3)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.npz"]  # no temp file left behind
    monkeypatch.undo()
    np.testing.assert_array_equal(md.load(path)["w"], np.ones(3))


def test_save_creates_parent_directories_and_overwrites(tmp_path):
    path = tmp_path / "a" / "b" / "ckpt.npz"
    md.save({"v": 1}, path)
    md.save({"v": 2}, path)
    assert md.load(path) == {"v": 2}


def test_truncated_file_is_a_clear_error(tmp_path):
    path = tmp_path / "ckpt.npz"
    md.save({"w": np.random.default_rng(0).standard_normal(1000)}, path)
    data = path.read_bytes()
    for cut in (len(data) // 2, len(data) - 10, 10):
        path.write_bytes(data[:cut])
        with pytest.raises(ValueError, match="is truncated or not a minidl checkpoint"):
            md.load(path)


def test_foreign_files_are_clear_errors(tmp_path):
    import matplotlib.pyplot as plt

    png = tmp_path / "image.png"
    plt.imsave(png, np.zeros((4, 4)))
    npy = tmp_path / "array.npy"
    np.save(npy, np.ones(3))
    npz = tmp_path / "plain.npz"
    np.savez(npz, w=np.ones(3))
    for path in (png, npy):
        with pytest.raises(ValueError, match="is truncated or not a minidl checkpoint"):
            md.load(path)
    with pytest.raises(ValueError, match="is an .npz file but not a minidl checkpoint"):
        md.load(npz)
    with pytest.raises(FileNotFoundError, match="load: no such file"):
        md.load(tmp_path / "missing.npz")


def test_newer_format_and_pickled_members_are_refused(tmp_path):
    newer = tmp_path / "newer.npz"
    header = {"format": serialization.FORMAT, "version": serialization.VERSION + 1, "tree": {}}
    np.savez(newer, __minidl__=np.array(json.dumps(header)))
    with pytest.raises(ValueError, match="written by a newer minidl"):
        md.load(newer)
    pickled = tmp_path / "pickled.npz"
    header = {"format": serialization.FORMAT, "version": 1, "tree": {"array": "x"}}
    np.savez(pickled, __minidl__=np.array(json.dumps(header)), x=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="allow_pickle=False"):
        md.load(pickled)


def test_what_cannot_be_saved_is_rejected(tmp_path):
    path = tmp_path / "bad.npz"
    with pytest.raises(ValueError, match="save: keys must be strings without '/', got 'a/b'"):
        md.save({"a/b": 1}, path)
    with pytest.raises(TypeError, match=r"save: cannot store object at 'x' \(no pickle\)"):
        md.save({"x": object()}, path)
    with pytest.raises(TypeError, match="save: 'y' has dtype object; only numeric arrays"):
        md.save({"y": np.array([None])}, path)
    assert not path.exists() and os.listdir(tmp_path) == []


def test_saved_file_has_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        md.save({"w": np.ones(2)}, tmp_path / "ck.npz")
    finally:
        os.umask(umask)
    assert (tmp_path / "ck.npz").stat().st_mode & 0o777 == 0o644
