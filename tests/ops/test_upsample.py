"""interpolate (nearest; the other modes are in test_interpolate.py) and bed_of_nails
(minidl/ops/upsample.py) and the Upsample layer: gradcheck, equality with PyTorch for integer
and fractional factors and explicit sizes, the bed-of-nails layout, and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import strategies as st
from op_harness import (
    Inputs,
    OpCase,
    op_tests,
    second_order_tests,
    values,
)

import minidl as md
import minidl.nn as nn
import minidl.nn.functional as F


def _image(data: st.DataObject) -> tuple[int, ...]:
    return tuple(data.draw(st.integers(1, n), label=name) for n, name in zip((2, 3, 6, 6), "NCHW"))


def _interpolate(data: st.DataObject) -> Inputs:
    shape = _image(data)
    kind = data.draw(st.sampled_from(["int", "float", "pair", "size"]), label="kind")
    if kind == "size":
        sizes = st.tuples(st.integers(1, 13), st.integers(1, 13))
        return Inputs([values(data, shape)], {"size": data.draw(sizes), "scale_factor": None})
    if kind == "int":
        factor = data.draw(st.integers(1, 4))
    else:
        one = st.sampled_from([0.5, 1 / 3, 0.7, 1.5, 2.5, 3.0])
        factor = data.draw(one) if kind == "float" else data.draw(st.tuples(one, one))
    pair = factor if isinstance(factor, tuple) else (factor, factor)
    if min(int(n * f) for n, f in zip(shape[2:], pair)) == 0:
        factor = 2  # the output would be empty
    return Inputs([values(data, shape)], {"size": None, "scale_factor": factor})


def _bed_of_nails(data: st.DataObject) -> Inputs:
    factor = data.draw(st.integers(1, 3) | st.tuples(st.integers(1, 3), st.integers(1, 3)))
    return Inputs([values(data, _image(data))], {"s": factor})


def _torch_bed_of_nails(T, x, s):
    """Zero insertion, written with torch: a stride-s transpose convolution with a 1x1 one."""
    sh, sw = (s, s) if isinstance(s, int) else s
    C = x.shape[1]
    eye = T.eye(C, dtype=x.dtype).reshape(C, C, 1, 1)
    y = T.nn.functional.conv_transpose2d(x, eye, stride=(sh, sw), output_padding=(sh - 1, sw - 1))
    return y


CASES = [
    OpCase(
        "interpolate",
        _interpolate,
        lambda x, size, scale_factor: F.interpolate(x, size, scale_factor),
        lambda T, x, size, scale_factor: T.nn.functional.interpolate(x, size, scale_factor),
    ),
    OpCase(
        "bed_of_nails",
        _bed_of_nails,
        lambda x, s: F.bed_of_nails(x, s),
        _torch_bed_of_nails,
    ),
]


test_gradcheck, test_matches_torch, test_float32_in_float32_out = op_tests(CASES, 15, 50)


def test_bed_of_nails_puts_each_value_top_left_of_its_block():
    x = md.tensor(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))
    np.testing.assert_array_equal(
        F.bed_of_nails(x, (2, 3)).numpy()[0, 0],
        [[1, 0, 0, 2, 0, 0], [0, 0, 0, 0, 0, 0], [3, 0, 0, 4, 0, 0], [0, 0, 0, 0, 0, 0]],
    )


def test_upsample_layer():
    x = md.tensor(np.arange(6.0).reshape(1, 1, 2, 3))
    np.testing.assert_array_equal(
        nn.Upsample(scale_factor=2)(x).numpy(), F.interpolate(x, scale_factor=2).numpy()
    )
    assert nn.Upsample(size=(5, 4))(x).shape == (1, 1, 5, 4)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda x: F.interpolate(x, 2, mode="box"), r"interpolate: mode must be one of"),
        (lambda x: F.interpolate(x), r"interpolate: give exactly one of size and scale_factor"),
        (lambda x: F.interpolate(x, scale_factor=0.1), r"interpolate: output size \(0, 0\)"),
        (lambda x: F.interpolate(x[0, 0], scale_factor=2), r"interpolate: expected a 3-D, 4-D"),
        (lambda x: F.bed_of_nails(x, 0), r"bed_of_nails: scale_factor must be an int or a pair"),
    ],
)
def test_bad_input_is_a_value_error_naming_the_op(call, message):
    with pytest.raises(ValueError, match=message):
        call(md.tensor(np.zeros((1, 2, 3, 4))))


test_gradgradcheck, test_second_order_matches_torch = second_order_tests(CASES)
