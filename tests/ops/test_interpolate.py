"""interpolate in every mode (minidl/ops/upsample.py, interpolate_weights.py, separable.py)
and the Upsample layers: float64 gradcheck and equality with PyTorch (forward and gradient)
for 1-D, 2-D and 3-D inputs, sizes and scale factors (integer, fractional, per dim),
align_corners, recompute_scale_factor; and the errors for what is not supported."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import strategies as st
from op_harness import Inputs, OpCase, op_tests, second_order_tests, values

import minidl as md
import minidl.nn as nn
import minidl.nn.functional as F

SPATIAL = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}  # others: 1 to 3


def _draw(mode: str):
    def draw(data: st.DataObject) -> Inputs:
        k = SPATIAL.get(mode) or data.draw(st.integers(1, 3), label="spatial dims")
        sides = (5, 5, 4)[:k] if k == 3 else (7, 6)[:k]
        shape = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2))) + tuple(
            data.draw(st.integers(1, n), label="side") for n in sides
        )
        kwargs = {"size": None, "scale_factor": None, "mode": mode}
        if mode in SPATIAL:
            kwargs["align_corners"] = data.draw(st.sampled_from([None, False, True]))
        if data.draw(st.booleans(), label="by size"):
            one = st.integers(1, 11)
            kwargs["size"] = data.draw(one | st.tuples(*[one] * k), label="size")
        else:
            factor = st.sampled_from([2, 3, 0.5, 1 / 3, 0.6, 1.7, 2.5])
            scale = data.draw(factor | st.tuples(*[factor] * k), label="scale_factor")
            pairs = scale if isinstance(scale, tuple) else (scale,) * k
            if min(int(n * f) for n, f in zip(shape[2:], pairs)) == 0:
                scale = 2  # the output would be empty
            kwargs["scale_factor"] = scale
            kwargs["recompute_scale_factor"] = data.draw(st.sampled_from([None, False, True]))
        return Inputs([values(data, shape)], kwargs)

    return draw


MODES = ["nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area"]
CASES = [
    OpCase(
        mode,
        _draw(mode),
        lambda x, **kw: F.interpolate(x, **kw),
        lambda T, x, **kw: T.nn.functional.interpolate(x, **kw),
    )
    for mode in MODES
]

test_gradcheck, test_matches_torch, test_float32_in_float32_out = op_tests(CASES, 8, 30)


def test_bilinear_align_corners_keeps_the_corners_and_the_default_does_not():
    x = md.tensor(np.arange(4.0).reshape(1, 1, 2, 2))
    corners = F.interpolate(x, size=(3, 3), mode="bilinear", align_corners=True).numpy()[0, 0]
    np.testing.assert_allclose(corners, [[0, 0.5, 1], [1, 1.5, 2], [2, 2.5, 3]])
    half = F.interpolate(x, scale_factor=2, mode="bilinear").numpy()[0, 0]
    np.testing.assert_allclose(half[0], [0, 0.25, 0.75, 1])  # centres: -0.25 clamps to 0


def test_float32_weights_pick_torchs_values(torch):
    """Source positions and weights are computed in the input's dtype, as PyTorch's CPU
    kernels do, so float32 results agree to float32 rounding."""
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 7)).astype(np.float32)
    for mode in ("nearest", "nearest-exact", "bilinear", "bicubic", "area"):
        for factor in (0.6, 1.7, 2, 1 / 3):
            got = F.interpolate(md.tensor(x), scale_factor=factor, mode=mode).numpy()
            want = torch.nn.functional.interpolate(
                torch.tensor(x), scale_factor=factor, mode=mode
            ).numpy()
            np.testing.assert_allclose(got, want, rtol=2e-6, atol=4e-6, err_msg=f"{mode} {factor}")


def test_upsample_layers_equal_torch(torch):
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5))
    pairs = [
        (nn.Upsample(scale_factor=2), torch.nn.Upsample(scale_factor=2)),
        (
            nn.Upsample(None, 1.5, "bilinear", True, True),
            torch.nn.Upsample(None, 1.5, "bilinear", True, True),
        ),
        (nn.Upsample((7, 3), mode="bicubic"), torch.nn.Upsample((7, 3), mode="bicubic")),
        (nn.UpsamplingBilinear2d(scale_factor=2), torch.nn.UpsamplingBilinear2d(scale_factor=2)),
        (nn.UpsamplingNearest2d((5, 9)), torch.nn.UpsamplingNearest2d((5, 9))),
    ]
    for ours, theirs in pairs:
        got, want = ours(md.tensor(x)).numpy(), theirs(torch.tensor(x)).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=repr(ours))
    assert nn.Upsample(scale_factor=2).scale_factor == 2.0


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda x: F.interpolate(x, 2, mode="lanczos"),
            ValueError,
            r"interpolate: mode must be one of .* got 'lanczos'",
        ),
        (
            lambda x: F.interpolate(x, 2, mode="bilinear", antialias=True),
            NotImplementedError,
            r"interpolate: antialias=True is not implemented \(mode='bilinear'\)",
        ),
        (
            lambda x: F.interpolate(x, 2, mode="nearest", align_corners=True),
            ValueError,
            r"interpolate: align_corners can only be set with the interpolating modes",
        ),
        (
            lambda x: F.interpolate(x, 2, mode="trilinear"),
            NotImplementedError,
            r"interpolate: mode='trilinear' needs a 5-D input, got a 4-D input",
        ),
        (
            lambda x: F.interpolate(x[0], 2, mode="bilinear"),
            NotImplementedError,
            r"interpolate: mode='bilinear' needs a 4-D input, got a 3-D input",
        ),
        (
            lambda x: F.interpolate(x, (2, 3, 4)),
            ValueError,
            r"interpolate: size must be a positive number or a sequence of 2",
        ),
        (
            lambda x: F.interpolate(x, 2, recompute_scale_factor=True),
            ValueError,
            r"interpolate: recompute_scale_factor=True is not meaningful with an explicit size",
        ),
        (
            lambda x: F.interpolate(x, scale_factor=-1.0),
            ValueError,
            r"interpolate: scale_factor must be a positive number",
        ),
        (
            lambda x: F.interpolate(x, 2, 2),
            ValueError,
            r"interpolate: give exactly one of size and scale_factor",
        ),
    ],
)
def test_unsupported_options_name_the_op_argument_and_value(call, error, message):
    with pytest.raises(error, match=message):
        call(md.tensor(np.zeros((1, 2, 3, 4))))


test_gradgradcheck, test_second_order_matches_torch = second_order_tests(CASES)
