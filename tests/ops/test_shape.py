"""Shape ops (minidl/ops/shape.py): reshape, permute, indexing, concat/stack, broadcast,
and the dtype/device conversions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import strategies as st
from op_harness import (
    Inputs,
    OpCase,
    op_tests,
    second_order_tests,
    shapes,
    values,
)

import minidl as md

# ---- drawing inputs ---------------------------------------------------------------------------


def _reshape(data: st.DataObject) -> Inputs:
    shape = data.draw(shapes(), label="shape")
    size = math.prod(shape)
    target = data.draw(st.sampled_from([(-1,), shape[::-1], (1, *shape), (size, 1), (-1, 1)]))
    return Inputs([values(data, shape)], {"target": target})


def _permute(data: st.DataObject) -> Inputs:
    shape = data.draw(shapes(), label="shape")
    axes = data.draw(st.permutations(range(len(shape))), label="axes")
    return Inputs([values(data, shape)], {"axes": tuple(axes)})


def _transpose(data: st.DataObject) -> Inputs:
    shape = data.draw(shapes(min_dims=2), label="shape")
    dims = data.draw(st.lists(st.integers(-len(shape), len(shape) - 1), min_size=2, max_size=2))
    return Inputs([values(data, shape)], {"dim0": dims[0], "dim1": dims[1]})


def _slices(data: st.DataObject) -> Inputs:
    """Basic indexing: per axis an int, a slice with a positive step, or nothing; maybe `...`."""
    shape = data.draw(shapes(min_dims=1, max_side=5), label="shape")
    index = []
    for n in shape:
        kind = data.draw(st.sampled_from(["int", "slice", "all"]))
        if kind == "int":
            index.append(data.draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            start = data.draw(st.none() | st.integers(-n, n - 1))
            stop = data.draw(st.none() | st.integers(-n, n))
            index.append(slice(start, stop, data.draw(st.integers(1, 3))))
        else:
            index.append(slice(None))
    if data.draw(st.booleans()):
        index = [*index[:-1], Ellipsis] if len(index) > 1 else [Ellipsis]
    return Inputs([values(data, shape)], {"index": tuple(index)})


def _integer_arrays(data: st.DataObject) -> Inputs:
    """x[i] and x[:, i] and x[i, j] with integer arrays that repeat positions."""
    shape = data.draw(shapes(min_dims=2, max_side=4), label="shape")
    n0, n1 = shape[0], shape[1]
    i = np.array(data.draw(st.lists(st.integers(-n0, n0 - 1), min_size=1, max_size=6)))
    j = np.array(data.draw(st.lists(st.integers(0, n1 - 1), min_size=len(i), max_size=len(i))))
    index = data.draw(st.sampled_from([(i,), (slice(None), j % n1), (i, j)]))
    return Inputs([values(data, shape)], {"index": index})


def _mask(data: st.DataObject) -> Inputs:
    shape = data.draw(shapes(min_dims=1), label="shape")
    x = values(data, shape)
    return Inputs([x], {"index": (values(data, shape) > 0,)})


def _concat(data: st.DataObject) -> Inputs:
    shape = data.draw(shapes(min_dims=1), label="shape")
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    sizes = data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3), label="sizes")
    arrays = []
    for n in sizes:
        part = list(shape)
        part[axis] = n
        arrays.append(values(data, tuple(part)))
    return Inputs(arrays, {"axis": axis})


def _stack(data: st.DataObject) -> Inputs:
    shape = data.draw(shapes(), label="shape")
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)), label="axis")
    count = data.draw(st.integers(1, 3), label="count")
    return Inputs([values(data, shape) for _ in range(count)], {"axis": axis})


def _expand(data: st.DataObject) -> Inputs:
    target = data.draw(shapes(), label="target")
    keep = data.draw(st.integers(0, len(target)), label="kept dims")
    source = tuple(n if data.draw(st.booleans()) else 1 for n in target[len(target) - keep :])
    return Inputs([values(data, source)], {"shape": target})


def _axis_op(min_dims: int, extra: int = 0):
    def draw(data: st.DataObject) -> Inputs:
        shape = data.draw(shapes(min_dims=min_dims), label="shape")
        n = len(shape) + extra
        return Inputs([values(data, shape)], {"dim": data.draw(st.integers(-n, n - 1))})

    return draw


def _squeeze(data: st.DataObject) -> Inputs:
    shape = data.draw(shapes(min_dims=1, max_side=2), label="shape")  # many 1s
    dim = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1), label="dim")
    return Inputs([values(data, shape)], {"dim": dim})


def _torch_index(T, index):
    return tuple(T.as_tensor(i) if isinstance(i, np.ndarray) else i for i in index)


CASES = [
    OpCase(
        "reshape",
        _reshape,
        lambda a, target: a.reshape(target),
        lambda T, a, target: a.reshape(target),
    ),
    OpCase(
        "permute",
        _permute,
        lambda a, axes: a.permute(axes),
        lambda T, a, axes: a.permute(axes),
    ),
    OpCase(
        "transpose",
        _transpose,
        lambda a, dim0, dim1: a.transpose(dim0, dim1),
        lambda T, a, dim0, dim1: a.transpose(dim0, dim1),
    ),
    OpCase(
        "T",
        _permute,
        lambda a, axes: a.T,
        lambda T, a, axes: a.permute(tuple(reversed(range(a.ndim)))),
    ),
    OpCase(
        "getitem_slices",
        _slices,
        lambda a, index: a[index],
        lambda T, a, index: a[index],
    ),
    OpCase(
        "getitem_int_arrays",
        _integer_arrays,
        lambda a, index: a[index],
        lambda T, a, index: a[_torch_index(T, index)],
    ),
    OpCase(
        "getitem_bool_mask",
        _mask,
        lambda a, index: a[index],
        lambda T, a, index: a[_torch_index(T, index)],
    ),
    OpCase(
        "concat",
        _concat,
        lambda *ts, axis: md.concat(ts, axis),
        lambda T, *ts, axis: T.cat(ts, axis),
    ),
    OpCase(
        "stack",
        _stack,
        lambda *ts, axis: md.stack(ts, axis),
        lambda T, *ts, axis: T.stack(ts, axis),
    ),
    OpCase(
        "expand",
        _expand,
        lambda a, shape: a.expand(*shape),
        lambda T, a, shape: a.expand(shape),
    ),
    OpCase(
        "flatten",
        _axis_op(min_dims=1),
        lambda a, dim: a.flatten(dim),
        lambda T, a, dim: a.flatten(dim),
    ),
    OpCase(
        "unsqueeze",
        _axis_op(min_dims=0, extra=1),
        lambda a, dim: a.unsqueeze(dim),
        lambda T, a, dim: a.unsqueeze(dim),
    ),
    OpCase(
        "squeeze",
        _squeeze,
        lambda a, dim: a.squeeze(dim),
        lambda T, a, dim: a.squeeze() if dim is None else a.squeeze(dim),
    ),
]


test_gradcheck, test_matches_torch, test_float32_in_float32_out = op_tests(CASES, None, 15)


# ---- what PyTorch cannot say: negative steps ------------------------------------------------


def test_negative_step_slices_send_gradients_back_to_their_sources():
    x = md.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    y = x[::-1, 3:0:-2]  # rows 2, 1, 0; columns 3, 1
    np.testing.assert_array_equal(y.numpy(), np.arange(12.0).reshape(3, 4)[::-1, 3:0:-2])
    weights = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    (y * weights).sum().backward()
    expected = np.zeros((3, 4))
    expected[::-1, 3:0:-2] = weights
    np.testing.assert_array_equal(x.grad, expected)
    assert md.gradcheck(
        lambda t: t[::-2, ::-1] * 1.0, [md.randn(3, 4, dtype=md.float64).requires_grad_()]
    )


def test_unet_crop_gradient_is_zero_outside_the_crop():
    x = md.tensor(np.ones((2, 3, 8, 10)), requires_grad=True)
    x[:, :, 2:-2, 3:-3].sum().backward()
    assert x.grad[:, :, 2:6, 3:7].min() == 1 and x.grad.sum() == 2 * 3 * 4 * 4


def test_repeated_integer_index_adds_every_copy():
    x = md.tensor(np.zeros(4), requires_grad=True)
    x[np.array([1, 1, 3, 1])].sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 3.0, 0.0, 1.0])


def test_astype_is_differentiable_and_keeps_the_gradient_dtype():
    x = md.tensor(np.array([1.5, -2.0]), requires_grad=True)
    y = x.float()
    assert y.dtype == np.float32 and y.requires_grad
    (y * 3).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])
    assert x.double() is x  # no conversion needed, no new node
    assert not x.long().requires_grad and x.long().dtype == np.int64


def test_to_cpu_on_a_cpu_tensor_is_the_tensor_itself():
    x = md.ones(2, requires_grad=True)
    assert x.to("cpu") is x and x.cpu() is x


# ---- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("target", [(4, 2), (-1, 4), (-1, -1)])
def test_reshape_to_a_wrong_size_names_both_shapes(target):
    with pytest.raises(ValueError, match=r"reshape: cannot reshape \(2, 3\) \(6 values\) into"):
        md.ones(2, 3).reshape(target)


def test_concat_mismatch_names_tensor_and_shapes():
    with pytest.raises(ValueError, match=r"cat: tensor 1 has shape \(2, 4\) but tensor 0 has"):
        md.cat([md.ones(2, 3), md.ones(2, 4)], dim=0)
    with pytest.raises(IndexError, match="cat: dim 2 is out of range for a tensor with 2 dims"):
        md.concat([md.ones(2, 3), md.ones(2, 3)], axis=2)
    with pytest.raises(ValueError, match="cat: expected at least one tensor"):
        md.cat([])


def test_stack_needs_one_shape():
    with pytest.raises(ValueError, match=r"stack: all tensors must have one shape, got \[\(2,\)"):
        md.stack([md.ones(2), md.ones(3)])


def test_permute_and_broadcast_errors_name_the_op():
    with pytest.raises(ValueError, match=r"permute: \(0, 0\) is not a permutation"):
        md.ones(2, 3).permute(0, 0)
    with pytest.raises(ValueError, match=r"broadcast_to: cannot broadcast \(2, 3\) to \(4, 3\)"):
        md.ones(2, 3).expand(4, 3)


def test_index_out_of_range_names_the_op():
    with pytest.raises(IndexError, match=r"getitem: index .* does not fit shape \(2, 3\)"):
        md.ones(2, 3)[5]


test_gradgradcheck, test_second_order_matches_torch = second_order_tests(CASES)
