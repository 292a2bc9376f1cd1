"""DLPack: minidl tensors and other libraries' arrays share memory both ways (PyTorch's names
and copy rules: ``from_dlpack``/``as_tensor`` share, ``tensor`` copies)."""

from __future__ import annotations

import numpy as np
import pytest

import minidl as md


def test_numpy_round_trip_shares_memory():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = md.from_dlpack(a)
    assert isinstance(t, md.Tensor) and t.dtype == np.float32 and t.shape == (2, 3)
    a[0, 0] = 42.0
    assert t.data[0, 0] == 42.0
    back = np.from_dlpack(t)
    back[1, 2] = -1.0
    assert a[1, 2] == -1.0
    assert t.__dlpack_device__() == (1, 0)


def test_torch_reads_and_writes_a_minidl_tensor_without_a_copy(torch):
    t = md.arange(12, dtype=md.float32).reshape(3, 4)
    u = torch.from_dlpack(t)
    assert u.shape == (3, 4) and u.dtype == torch.float32
    u[0, 1] = 100.0
    assert t.data[0, 1] == 100.0
    t.data[2, 3] = -5.0
    assert u[2, 3].item() == -5.0
    assert u.data_ptr() == t.data.__array_interface__["data"][0]


@pytest.mark.parametrize("name", ["float32", "float64", "int64", "bool"])
def test_minidl_takes_torch_tensors_without_a_copy(torch, name):
    dtype = getattr(torch, name)
    u = (torch.arange(10) % 3 == 0) if dtype == torch.bool else torch.arange(10).to(dtype)
    t = md.from_dlpack(u)
    assert t.data.dtype == np.dtype(name)
    assert t.data.__array_interface__["data"][0] == u.data_ptr()
    np.testing.assert_array_equal(t.numpy(), u.numpy())


def test_strided_torch_views_keep_their_strides(torch):
    u = torch.arange(20.0).reshape(4, 5).t()  # a transposed view, not contiguous
    t = md.from_dlpack(u)
    np.testing.assert_array_equal(t.numpy(), u.numpy())
    u[1, 2] = 99.0
    assert t.data[1, 2] == 99.0


def test_as_tensor_shares_and_tensor_copies_as_in_pytorch(torch):
    u = torch.zeros(3)
    shared, copied = md.as_tensor(u), md.tensor(u)
    u[0] = 1.0
    assert shared.data[0] == 1.0 and copied.data[0] == 0.0
    a = np.zeros(3)
    md.as_tensor(a).data[1] = 2.0
    assert a[1] == 2.0  # torch.as_tensor(numpy array) shares too
    assert md.as_tensor(u, dtype=md.float64).dtype == np.float64  # a dtype change copies


def test_a_layer_matches_pytorch_through_dlpack(torch):
    rng = np.random.default_rng(0)
    x = md.tensor(rng.standard_normal((2, 3, 9, 7)).astype(np.float32))
    w = md.tensor(rng.standard_normal((4, 3, 3, 3)).astype(np.float32))
    ours = md.nn.functional.conv2d(x, w, stride=2, padding=1)
    theirs = torch.nn.functional.conv2d(torch.from_dlpack(x), torch.from_dlpack(w), None, 2, 1)
    np.testing.assert_allclose(ours.numpy(), md.from_dlpack(theirs).numpy(), rtol=1e-5, atol=1e-5)


def test_from_dlpack_says_what_it_expected():
    with pytest.raises(TypeError, match="from_dlpack: expected an object with __dlpack__"):
        md.from_dlpack([1, 2, 3])
    t = md.ones(2)
    assert md.from_dlpack(t) is t


def test_jax_when_installed():
    jnp = pytest.importorskip("jax.numpy")
    j = jnp.arange(4.0)
    t = md.from_dlpack(j)
    np.testing.assert_array_equal(t.numpy(), np.arange(4.0))


@pytest.mark.gpu
def test_cupy_round_trip_on_the_gpu():
    cupy = pytest.importorskip("cupy")
    c = cupy.arange(5, dtype=cupy.float32)
    t = md.from_dlpack(c)
    assert t.device == "cuda" and t.__dlpack_device__()[0] == 2
    c[0] = 9.0
    assert float(t.data[0]) == 9.0
    back = cupy.from_dlpack(t)
    back[1] = -3.0
    assert float(c[1]) == -3.0
