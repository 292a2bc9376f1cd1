"""Tensor (minidl/tensor.py): dtype rules, factories, conversions, operators, repr."""

from __future__ import annotations

import numpy as np
import pytest

import minidl as md

# ---- dtype rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, dtype",
    [
        ([1.5, 2.0], np.float32),  # Python floats: the float32 default
        (2.5, np.float32),
        ([1, 2], np.int64),
        ([True, False], np.bool_),
        (np.array([1.0], np.float64), np.float64),  # an array keeps its dtype
        (np.array([1.0], np.float32), np.float32),
        (np.array([1], np.int32), np.int32),
        (np.float64(2.5), np.float64),  # so does a NumPy scalar
    ],
)
def test_tensor_dtype_rules(data, dtype):
    assert md.tensor(data).dtype == dtype


def test_float32_stays_float32_through_ops_with_python_numbers():
    x = md.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2.5 + 1) / 3 - x**2
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_float64_is_kept():
    x = md.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (x.exp() * 2).sum()
    assert y.dtype == np.float64
    y.backward()
    assert x.grad.dtype == np.float64


def test_explicit_dtype_wins():
    assert md.tensor([1, 2], dtype=md.float64).dtype == np.float64
    assert md.tensor(np.ones(2), dtype=np.float32).dtype == np.float32


def test_int_tensors_cannot_require_grad():
    with pytest.raises(TypeError, match="Tensor: requires_grad needs a floating dtype, got int64"):
        md.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="requires_grad_: needs a floating dtype, got bool"):
        md.tensor([True]).requires_grad_()
    with pytest.raises(TypeError):
        md.zeros(2, dtype=md.int64, requires_grad=True)


def test_tensor_copies_and_from_numpy_shares():
    a = np.zeros(3)
    t, shared = md.tensor(a), md.from_numpy(a)
    a[0] = 1.0
    assert t.data[0] == 0.0 and shared.data[0] == 1.0
    assert md.tensor(t).data is not t.data


# ---- factories --------------------------------------------------------------------------------


def test_factories_shapes_and_dtypes():
    assert md.zeros(2, 3).shape == (2, 3) and md.zeros(2, 3).dtype == np.float32
    assert md.ones(4, dtype=md.float64).dtype == np.float64
    assert md.randn(3, 2).dtype == np.float32 and md.rand(5).shape == (5,)
    assert md.zeros(2, requires_grad=True).requires_grad
    assert md.zeros_like(md.ones(2, 2, dtype=md.float64)).dtype == np.float64
    assert md.ones_like(md.zeros(3)).numpy().tolist() == [1.0, 1.0, 1.0]
    assert md.arange(4).tolist() == [0, 1, 2, 3] and md.arange(4).dtype == np.int64
    assert md.arange(0, 1, 0.25).dtype == np.float32
    r = md.rand(1000).numpy()
    assert 0 <= r.min() and r.max() < 1


def test_manual_seed_makes_draws_reproducible():
    md.manual_seed(7)
    a = md.randn(4).numpy()
    md.manual_seed(7)
    np.testing.assert_array_equal(md.randn(4).numpy(), a)
    assert not np.array_equal(md.randn(4).numpy(), a)


# ---- leaving the graph, devices ---------------------------------------------------------------


def test_numpy_item_tolist():
    t = md.tensor([[1.5, 2.0]])
    assert isinstance(t.numpy(), np.ndarray) and t.numpy().shape == (1, 2)
    assert md.tensor([3.5]).item() == 3.5 and isinstance(md.tensor(3).item(), int)
    assert t.tolist() == [[1.5, 2.0]]
    with pytest.raises(ValueError, match=r"item: only one-element tensors, got shape \(1, 2\)"):
        t.item()


def test_to_dtype_and_device():
    x = md.tensor([1.0, 2.0])
    assert x.to(md.float64).dtype == np.float64 and x.double().float().dtype == np.float32
    assert x.to("cpu") is x and x.device == "cpu"
    with pytest.raises(ValueError, match=r"device: expected one of \('cpu', 'cuda'\), got 'tpu'"):
        x.to("tpu")


@pytest.mark.skipif(md.cuda.is_available(), reason="checks the message on machines without a GPU")
def test_cuda_without_gpu_says_why():
    with pytest.raises(RuntimeError, match="device 'cuda' is not usable: .+"):
        md.tensor([1.0]).to("cuda")
    assert md.cuda.why()


@pytest.mark.gpu
def test_cuda_round_trip_is_differentiable():
    x = md.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x.to("cuda")
    assert y.device == "cuda"
    (y * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0] and isinstance(x.grad, np.ndarray)


# ---- operators --------------------------------------------------------------------------------


def test_numpy_scalars_and_arrays_on_the_left_give_tensors():
    x = md.tensor([1.0, 2.0], requires_grad=True)
    for y in (np.float32(2) * x, np.array([1.0, 2.0]) + x, 3 - x, 2 / x, 2**x):
        assert isinstance(y, md.Tensor) and y.requires_grad


def test_comparisons_give_bool_tensors():
    x = md.tensor([1.0, 2.0, 3.0])
    assert (x > 1.5).tolist() == [False, True, True] and (x > 1.5).dtype == np.bool_
    assert (x == md.tensor([1.0, 0.0, 3.0])).tolist() == [True, False, True]
    assert (x <= 2).tolist() == [True, True, False] and (x != 2).tolist() == [True, False, True]


def test_truth_value():
    assert bool(md.tensor([2.0]) > 1) and not md.tensor([0.0])
    with pytest.raises(ValueError, match=r"bool: the truth value of a tensor of shape \(2,\)"):
        bool(md.tensor([1.0, 2.0]))


def test_tensors_hash_by_identity():
    a, b = md.tensor([1.0]), md.tensor([1.0])
    assert len({a, b, a}) == 2


def test_properties():
    x = md.zeros(2, 3, 4)
    assert (x.shape, x.ndim, x.size(), x.size(1), len(x), x.numel()) == (
        (2, 3, 4),
        3,
        (2, 3, 4),
        3,
        2,
        24,
    )
    assert x.is_leaf and x.grad_fn is None
    assert x.T.shape == (4, 3, 2) and x.transpose().shape == (2, 4, 3)
    assert x.view(6, 4).shape == (6, 4) and x.reshape(-1).shape == (24,)


def test_repr_shows_dtype_graph_and_grad():
    assert repr(md.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert "dtype=float64" in repr(md.tensor(np.array([1.0])))
    x = md.tensor([1.0], requires_grad=True)
    assert repr(x).endswith("requires_grad=True)")
    assert "grad_fn=<MulBackward>" in repr(x * 2)


def test_numpy_interop_float_int_and_asarray():
    x = md.tensor([1.0, 2.0], requires_grad=True)
    assert np.asarray(x).tolist() == [1.0, 2.0]  # plt.plot(x) works through this
    assert np.asarray(x, dtype=np.float64).dtype == np.float64
    assert float(md.tensor(2.5)) == 2.5 and int(md.tensor(3)) == 3
    with pytest.raises(ValueError, match="item: only one-element tensors"):
        float(x)


def test_backward_with_a_number_and_expand_with_a_tuple():
    x = md.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward(2.0)
    assert x.grad.tolist() == [6.0, 6.0]
    assert x.expand((3, 2)).shape == x.expand(3, 2).shape == (3, 2)
