"""The kernel registry (minidl/kernels/registry.py) is read from the family folders, picks an
implementation by the documented rules, and reloads edited files; the lab's pristine
baseline (minidl/lab/pristine.py) is the file as committed, not as edited."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import minidl as md
from minidl.kernels import registry
from minidl.lab import pristine


def _family(root: Path, name: str, reference: str, cpu: str | None) -> None:
    folder = root / name
    folder.mkdir()
    (folder / "reference.py").write_text(reference)
    if cpu is not None:
        (folder / "cpu.py").write_text(cpu)


def test_the_table_is_read_from_the_folders(tmp_path, monkeypatch):
    _family(tmp_path, "scale", '__all__ = ["twice"]\n\ndef twice(x):\n    return 2 * x\n', None)
    _family(
        tmp_path,
        "shift",
        '__all__ = ["plus_one"]\ndef plus_one(x):\n    return x + 1\n',
        "def _helper():\n    pass\n\n\ndef plus_one(x):\n    return x + 1\n",
    )
    (tmp_path / "not_a_family").mkdir()  # no reference.py: ignored
    monkeypatch.setattr(registry, "FOLDER", tmp_path)
    table = registry._scan()
    assert sorted(table) == ["plus_one", "twice"]
    assert table["twice"].modules == {"reference": "minidl.kernels.scale.reference"}
    assert table["plus_one"].modules["cpu"] == "minidl.kernels.shift.cpu"
    assert table["plus_one"].lines == {"reference": 2, "cpu": 5}


def test_a_family_file_missing_a_kernel_is_an_error(tmp_path, monkeypatch):
    _family(
        tmp_path, "pair", '__all__ = ["a", "b"]\ndef a(): ...\ndef b(): ...\n', "def a(): ...\n"
    )
    monkeypatch.setattr(registry, "FOLDER", tmp_path)
    with pytest.raises(ValueError, match=r"pair/cpu.py does not define b\(\)"):
        registry._scan()


def test_every_shipped_family_has_a_reference_and_a_spec():
    families = {k.family for k in registry.KERNELS.values()}
    assert {"im2col", "pool", "winograd", "winograd_fused", "roi_align"} <= families
    for family in families:
        assert (registry.FOLDER / family / "spec.py").is_file(), family
    assert set(md.lab.specs()) == set(registry.KERNELS)


def test_the_choice_rules(monkeypatch):
    x = np.zeros((1, 1, 4, 4))
    assert registry.get("im2col", x) is md.kernels.shipped("im2col", "cpu")
    monkeypatch.setenv("MINIDL_KERNELS", "reference")
    assert registry.get("im2col", x) is md.kernels.shipped("im2col", "reference")
    with md.kernels.use(im2col="cpu"):  # a use block beats the environment
        assert registry.get("im2col", x) is md.kernels.shipped("im2col", "cpu")
    monkeypatch.setenv("MINIDL_KERNELS", "fast")
    with pytest.raises(ValueError, match="MINIDL_KERNELS: expected one of"):
        registry.get("im2col", x)


def test_reload_picks_up_an_edited_file():
    path = registry.KERNELS["max_pool2d"].path("reference")
    original = path.read_bytes()
    module = __import__("minidl.kernels.pool.reference", fromlist=["x"])
    try:
        path.write_bytes(original + b"\nRELOAD_PROBE = 42\n")
        reloaded = md.kernels.reload("max_pool2d", verbose=False)
        assert "minidl/kernels/pool/reference.py" in reloaded
        assert module.RELOAD_PROBE == 42
    finally:
        path.write_bytes(original)
        md.kernels.reload("max_pool2d", verbose=False)
    assert path.read_bytes() == original


def test_pristine_source_is_the_committed_file(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    repo.mkdir()

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)

    git("init", "-q")
    kernel = repo / "cpu.py"
    kernel.write_text("VERSION = 'shipped'\n")
    git("add", "cpu.py")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "ship")
    kernel.write_text("VERSION = 'edited'\n")
    text, where = pristine._from_git(kernel)
    assert text == "VERSION = 'shipped'\n" and where.startswith("git HEAD ")


def test_an_edited_kernel_is_timed_against_a_separately_loaded_pristine_copy(monkeypatch):
    kernel = registry.KERNELS["max_unpool2d"]
    shipped_text = kernel.path("cpu").read_text()
    edited = shipped_text + "\n# the file as shipped, but the edited one differs from it\n"
    monkeypatch.setattr(pristine, "source", lambda k, impl: (edited, "a test copy"))
    fn, where, same = pristine.load("max_unpool2d", "cpu")
    assert where == "a test copy" and not same
    assert fn is not md.kernels.shipped("max_unpool2d", "cpu")
    assert fn.__module__ == "minidl.kernels.pool._pristine_cpu"
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 2, 3, 3))
    idx = np.arange(9).reshape(1, 1, 3, 3).repeat(2, axis=1) * 2
    np.testing.assert_array_equal(
        fn(x, idx, 6, 6), md.kernels.shipped("max_unpool2d", "cpu")(x, idx, 6, 6)
    )
