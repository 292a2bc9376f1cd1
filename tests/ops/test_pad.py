"""F.pad (minidl/ops/pad.py): every mode against float64 finite differences and PyTorch
(forward and gradient), negative widths (crops) included, on the dims PyTorch allows per
mode; and the errors for what PyTorch refuses."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import strategies as st
from op_harness import Inputs, OpCase, op_tests, second_order_tests, shapes, values

import minidl as md
import minidl.nn.functional as F


def _widths(data: st.DataObject, n: int, mode: str) -> list[int]:
    """(left, right) for one dim of size n inside the domain where PyTorch gives a result."""
    if mode == "constant":  # any width, as long as the crops leave >= 0 values
        lo = data.draw(st.integers(-n, 3), label="left")
        return [lo, data.draw(st.integers(max(0, -lo) - n, 3), label="right")]
    if mode == "reflect":  # each width < n, at least one value out
        lo = data.draw(st.integers(1 - n, n - 1), label="left")
        return [lo, data.draw(st.integers(max(1 - n, 1 - n - lo), n - 1), label="right")]
    if mode == "replicate":  # any width, at least one value out
        lo = data.draw(st.integers(-n - 1, 4), label="left")
        return [lo, data.draw(st.integers(max(-n - 1, 1 - n - lo), 4), label="right")]
    # circular: the crops first, then the rest wraps around what they leave. PyTorch allows
    # widths up to n, but where a width exceeds what the crops leave its result depends on
    # the order of its copies (it fails, or returns uninitialised memory): not drawn here.
    lo = data.draw(st.integers(1 - n, n), label="left")
    if lo < 0:
        return [lo, data.draw(st.integers(1 - (n + lo), n + lo), label="right")]
    return [lo, data.draw(st.integers(max(lo - n, 1 - n), n), label="right")]


def _pad(mode: str):
    """Constant: any rank, any number of padded dims. The others: PyTorch's combinations,
    the last k = 1, 2 or 3 dims of a (k+1)- or (k+2)-dim input."""

    def draw(data: st.DataObject) -> Inputs:
        if mode == "constant":
            shape = data.draw(shapes(min_dims=1), label="shape")
            k = data.draw(st.integers(1, len(shape)), label="padded dims")
        else:
            k = data.draw(st.integers(1, 3), label="padded dims")
            ndim = data.draw(st.integers(k + 1, k + 2), label="ndim")
            shape = data.draw(shapes(min_dims=ndim, max_dims=ndim, max_side=5), label="shape")
        widths = []
        for d in range(k):
            widths += _widths(data, shape[-1 - d], mode)
        kwargs = {"pad": tuple(widths), "mode": mode}
        if mode == "constant":
            kwargs["value"] = data.draw(st.sampled_from([None, 0.0, -1.5]), label="value")
        return Inputs([values(data, shape)], kwargs)

    return draw


CASES = [
    OpCase(
        f"pad_{mode}",
        _pad(mode),
        lambda a, **kw: F.pad(a, **kw),
        lambda T, a, **kw: T.nn.functional.pad(a, **kw),
    )
    for mode in ("constant", "reflect", "replicate", "circular")
]

test_gradcheck, test_matches_torch, test_float32_in_float32_out = op_tests(CASES, 15, 40)


def test_one_function_under_three_names():
    assert md.pad is md.ops.pad is F.pad


def test_the_modes_on_one_row():
    x = md.tensor(np.array([[1.0, 2.0, 3.0]]))
    assert F.pad(x, (2, 1)).numpy().tolist() == [[0, 0, 1, 2, 3, 0]]
    assert F.pad(x, (2, 1), value=7).numpy().tolist() == [[7, 7, 1, 2, 3, 7]]
    assert F.pad(x, (2, 1), mode="reflect").numpy().tolist() == [[3, 2, 1, 2, 3, 2]]
    assert F.pad(x, (2, 1), mode="replicate").numpy().tolist() == [[1, 1, 1, 2, 3, 3]]
    assert F.pad(x, (2, 1), mode="circular").numpy().tolist() == [[2, 3, 1, 2, 3, 1]]
    assert F.pad(x, (-1, 1), mode="circular").numpy().tolist() == [[2, 3, 2]]  # crop, then wrap
    assert F.pad(x, (-2, 2), mode="circular").numpy().tolist() == [[3, 3, 3]]  # wraps twice


def test_reflected_borders_send_their_gradient_to_the_values_they_copied():
    x = md.tensor(np.zeros((1, 4)), requires_grad=True)
    F.pad(x, (3, 2), mode="reflect").sum().backward()  # 3 2 1 | 0 1 2 3 | 2 1
    np.testing.assert_array_equal(x.grad, [[1, 3, 3, 2]])


BAD = [
    # (shape, pad, keyword arguments, exception, message)
    ((2, 3), (1, 2, 3), {}, ValueError, r"pad: expected an even number .* got \(1, 2, 3\)"),
    ((2, 3), (1,) * 6, {}, ValueError, r"pad: expected an even number \(<= 4\)"),
    ((2, 3), (1.5, 1), {}, TypeError, r"pad: pad must be a sequence of ints, got \(1.5, 1\)"),
    ((2, 3), (1, 1), {"mode": "edge"}, ValueError, r"pad: mode must be one of .* got 'edge'"),
    ((2, 3), (3, 0), {"mode": "reflect"}, ValueError, r"pad: reflect padding \(3, 0\) must be"),
    ((2, 3), (-2, -2), {}, ValueError, r"pad: widths \(-2, -2\) crop more than dim 1"),
    ((2, 3), (4, 0), {"mode": "circular"}, ValueError, r"circular padding \(4, 0\) must be at"),
    ((2, 3), (-2, -2), {"mode": "replicate"}, ValueError, r"replicate widths \(-2, -2\) do not"),
    ((3,), (1, 1), {"mode": "reflect"}, ValueError, r"pad: mode 'reflect' pads the last 1, 2"),
    ((1, 2, 3, 4), (1, 1), {"mode": "replicate"}, ValueError, r"pad of length 2 for shape"),
    ((2, 3, 4), (1,) * 6, {"mode": "circular"}, ValueError, r"pad of length 6 for shape"),
    ((2, 3), (1, 1), {"mode": "reflect", "value": 1.0}, ValueError, r"takes no value, got value"),
]


@pytest.mark.parametrize("shape, pad, kwargs, error, message", BAD)
def test_what_pytorch_refuses_is_an_error_naming_the_argument(shape, pad, kwargs, error, message):
    with pytest.raises(error, match=message):
        F.pad(md.ones(*shape), pad, **kwargs)


@pytest.mark.parametrize("shape, pad, kwargs, error, message", BAD)
def test_pytorch_refuses_the_same(shape, pad, kwargs, error, message, torch):
    """Each BAD case is one PyTorch refuses too (so our rules are not stricter by mistake)."""
    with pytest.raises((RuntimeError, NotImplementedError, TypeError)):
        torch.nn.functional.pad(torch.ones(*shape), pad, **kwargs)


test_gradgradcheck, test_second_order_matches_torch = second_order_tests(CASES)
