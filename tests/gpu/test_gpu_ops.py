"""Every differentiable op on ``device="cuda"`` against the same op on "cpu": ``pytest -m gpu``.

What it proves, per op:
- forward values and the gradients of Σ <out, v> (random cotangent v) on the GPU equal the
  CPU's in float64 to ``rtol=1e-9`` (different summation orders and libm, same maths), with
  the same dtypes and shapes, everything on the device it ran on, and in-place updates of
  arguments (batch norm's running statistics) equal too;
- ``md.gradcheck`` passes with float64 tensors on the GPU (finite differences as the oracle,
  independent of the CPU path);
- float32 in gives float32 out on the GPU, close to the CPU's float32 result.

The ops come from the CPU suite's tables (``tests/ops/test_*.py``: `OpCase` with a hypothesis
strategy for shapes, broadcasting and parameters) plus `EXTRA_CASES` below for the ops those
tables do not cover (losses, metric learning, RoI, style, Mask R-CNN losses). Examples are
derandomized: a GPU run is rare, so it must be repeatable.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from gpu_compare import assert_runs_agree, run_op, to_device
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minidl as md
import minidl.nn.functional as F
from minidl.models.maskrcnn.losses import keypoint_loss, mask_loss, smooth_l1_loss

pytestmark = pytest.mark.gpu

TABLES = (
    "test_elementwise",
    "test_reduce",
    "test_shape",
    "test_linalg",
    "test_softmax",
    "test_loss",
    "test_norm",
    "test_conv",
    "test_pool",
    "test_upsample",
)
TABLE_CASES = [
    pytest.param(case, id=f"{module[5:]}.{case.name}")
    for module in TABLES
    for case in importlib.import_module(module).CASES
]
RTOL, ATOL = 1e-9, 1e-12  # float64, cuda against cpu
SETTINGS = {"derandomize": True, "deadline": None, "suppress_health_check": [HealthCheck.too_slow]}


def _float_arrays(case_inputs):
    return [a for a in case_inputs.arrays if a.dtype.kind == "f"]


@pytest.mark.parametrize("case", TABLE_CASES)
@settings(max_examples=8, **SETTINGS)
@given(data=st.data())
def test_table_op_on_cuda_equals_cpu(case, data):
    inputs = case.draw(data)
    want = run_op(case.md, inputs.arrays, inputs.kwargs, "cpu")
    got = run_op(case.md, inputs.arrays, inputs.kwargs, "cuda")
    assert_runs_agree(got, want, RTOL, ATOL, case.name)


@pytest.mark.parametrize("case", TABLE_CASES)
@settings(max_examples=2, **SETTINGS)
@given(data=st.data())
def test_table_op_gradcheck_on_cuda(case, data):
    inputs = case.draw(data)
    if not _float_arrays(inputs):
        return
    tensors = [
        md.tensor(a, requires_grad=a.dtype.kind == "f", device="cuda") for a in inputs.arrays
    ]
    kwargs = to_device(inputs.kwargs, "cuda")
    assert md.gradcheck(lambda *ts: case.md(*ts, **kwargs), tensors)


@pytest.mark.parametrize("case", TABLE_CASES)
@settings(max_examples=2, **SETTINGS)
@given(data=st.data())
def test_table_op_float32_on_cuda(case, data):
    inputs = case.draw(data)
    want = run_op(case.md, inputs.arrays, inputs.kwargs, "cpu", np.float32)
    got = run_op(case.md, inputs.arrays, inputs.kwargs, "cuda", np.float32)
    scale = max([1.0] + [float(np.abs(w).max()) for w in want.outputs if np.size(w)])
    assert_runs_agree(got, want, 2e-3, 2e-4 * scale, f"{case.name} float32")


# ---- ops without a table in tests/ops ---------------------------------------------------------


def _distinct(rng: np.random.Generator, *shape: int) -> np.ndarray:
    """Values at least 0.2 apart (one maximum per window, no kink within gradcheck's eps)."""
    n = int(np.prod(shape))
    return (0.25 * rng.permutation(n) + rng.uniform(0, 0.05, n) - 0.125 * n).reshape(shape)


def _boxes(rng: np.random.Generator) -> np.ndarray:
    """Five RoIs on a 2-image batch of 7 × 6 maps at spatial_scale 0.5 (image 14 × 12): inside,
    across the border, tiny, and one covering everything."""
    return np.array(
        [
            [0, 1.0, 2.0, 9.0, 11.0],
            [1, -3.0, 4.5, 6.0, 15.0],
            [1, 5.2, 5.1, 5.9, 5.6],
            [0, 0.0, 0.0, 12.0, 14.0],
            [1, 2.5, 1.5, 11.0, 8.0],
        ]
    ) + rng.uniform(0, 0.01, (5, 5)) * [0, 1, 1, 1, 1]


def _cases(rng: np.random.Generator) -> dict[str, tuple]:
    """name -> (fn, float arrays, keyword arrays): fixed inputs, float64 on the host."""
    x = rng.standard_normal
    classes = rng.integers(0, 3, (2, 4, 5))
    ignore = np.where(rng.random((2, 4, 5)) < 0.2, -100, classes)
    return {
        "linear": (F.linear, [x((3, 5)), x((4, 5)), x(4)], {}),
        "dice_loss_multiclass": (
            lambda lg, target: F.dice_loss(lg, target, include_background=False),
            [x((2, 3, 4, 5))],
            {"target": classes},
        ),
        "dice_loss_binary_per_image": (
            lambda lg, target: F.dice_loss(lg, target, per_image=True),
            [x((2, 1, 4, 5))],
            {"target": rng.random((2, 4, 5))},
        ),
        "cross_entropy_weight_ignore_pixel_weight": (
            lambda lg, target, weight, pw: F.cross_entropy(lg, target, weight, pixel_weight=pw),
            [x((2, 3, 4, 5))],
            {
                "target": ignore,
                "weight": rng.uniform(0.5, 2, 3),
                "pw": rng.uniform(0.5, 2, (2, 4, 5)),
            },
        ),
        "bce_with_logits_weight_pos_weight": (
            lambda lg, target, w, pw: F.binary_cross_entropy_with_logits(
                lg, target, w, pos_weight=pw
            ),
            [x((4, 3))],
            {
                "target": rng.random((4, 3)),
                "w": rng.uniform(0.5, 2, (4, 3)),
                "pw": rng.uniform(0.5, 3, 3),
            },
        ),
        "triplet_margin_loss_swap": (
            lambda a, p, n: F.triplet_margin_loss(a, p, n, margin=2.0, swap=True),
            [x((6, 4)), x((6, 4)), x((6, 4))],
            {},
        ),
        "triplet_margin_loss_p1_none": (
            lambda a, p, n: F.triplet_margin_loss(a, p, n, margin=3.0, p=1, reduction="none"),
            [x((6, 4)), x((6, 4)), x((6, 4))],
            {},
        ),
        "pairwise_distance_p1.5": (
            lambda a, b: F.pairwise_distance(a, b, 1.5),
            [x((5, 3)), x((5, 3))],
            {},
        ),
        "contrastive_loss": (
            lambda a, b, same: F.contrastive_loss(a, b, same, margin=3.0),
            [x((6, 4)), x((6, 4))],
            {"same": rng.integers(0, 2, 6).astype(bool)},
        ),
        "normalize": (lambda a: F.normalize(a, dim=1), [x((5, 4))], {}),
        "roi_align_aligned_sr2": (
            lambda f, boxes: F.roi_align(f, boxes, (3, 2), 0.5, 2, aligned=True),
            [x((2, 3, 7, 6))],
            {"boxes": _boxes(rng)},
        ),
        "roi_align_legacy_adaptive": (
            lambda f, boxes: F.roi_align(f, boxes, 2, 0.5, -1, aligned=False),
            [x((2, 3, 7, 6))],
            {"boxes": _boxes(rng)},
        ),
        "roi_pool": (
            lambda f, boxes: F.roi_pool(f, boxes, (3, 2), 0.5),
            [_distinct(rng, 2, 3, 7, 6)],
            {"boxes": _boxes(rng)},
        ),
        "max_pool2d_return_indices": (
            lambda a: F.max_pool2d(a, 3, 2, 1, return_indices=True),
            [_distinct(rng, 2, 3, 9, 8)],
            {},
        ),
        "gram_matrix": (F.gram_matrix, [x((2, 3, 4, 5))], {}),
        "content_loss": (
            lambda f, target: F.content_loss(f, target),
            [x((1, 3, 4, 5))],
            {"target": x((1, 3, 4, 5))},
        ),
        "style_loss": (
            lambda f1, f2, t1, t2: F.style_loss([f1, f2], [t1, t2], [0.3, 0.7]),
            [x((1, 3, 6, 5)), x((1, 4, 3, 3))],
            {"t1": x((1, 3, 3)), "t2": x((1, 4, 4))},
        ),
        "tv_loss": (F.tv_loss, [x((1, 3, 5, 6))], {}),
        "smooth_l1_loss": (
            lambda a, target: smooth_l1_loss(a, target, beta=1 / 9),
            [0.5 * rng.integers(-4, 4, (6, 4)) + rng.uniform(0.15, 0.35, (6, 4))],
            {"target": 0.5 * rng.integers(-4, 4, (6, 4)) + 0.0},
        ),
        "mask_loss": (
            lambda lg, labels, targets: mask_loss(lg, labels, targets),
            [x((4, 3, 6, 6))],
            {"labels": rng.integers(1, 3, 4), "targets": rng.random((4, 6, 6))},
        ),
        "keypoint_loss_cyclic": (
            lambda lg, targets, valid: keypoint_loss(lg, targets, valid),
            [x((3, 2, 4, 4))],
            {"targets": rng.integers(0, 16, (2, 3, 2)), "valid": rng.random((2, 3, 2)) < 0.7},
        ),
    }


EXTRA_CASES = sorted(_cases(np.random.default_rng(0)))


def _extra(name: str) -> tuple:
    return _cases(np.random.default_rng(0))[name]  # the same inputs for every test


@pytest.mark.parametrize("name", EXTRA_CASES)
def test_extra_op_on_cuda_equals_cpu(name):
    fn, arrays, kwargs = _extra(name)
    want = run_op(fn, arrays, kwargs, "cpu")
    got = run_op(fn, arrays, kwargs, "cuda")
    assert_runs_agree(got, want, RTOL, ATOL, name)


@pytest.mark.parametrize("name", EXTRA_CASES)
def test_extra_op_gradcheck_on_cuda(name):
    fn, arrays, kwargs = _extra(name)
    tensors = [md.tensor(a, requires_grad=True, device="cuda") for a in arrays]
    kw = to_device(kwargs, "cuda")
    assert md.gradcheck(lambda *ts: fn(*ts, **kw), tensors)


def test_dropout_on_cuda_masks_scales_and_stays_on_the_device():
    """Dropout draws its mask on the GPU (CuPy's generator, seeded by md.manual_seed): kept
    values are scaled by 1/(1-p), dropped ones are 0, and the gradient is the same mask."""
    md.manual_seed(0)
    x = md.tensor(
        np.random.default_rng(0).uniform(1, 2, (64, 32)), requires_grad=True, device="cuda"
    )
    y = F.dropout(x, 0.25)
    y.sum().backward()
    assert y.device == "cuda" and md.backend.is_cupy_array(x.grad)
    kept = y.numpy() != 0
    assert 0.6 < kept.mean() < 0.9
    np.testing.assert_allclose(y.numpy()[kept], x.numpy()[kept] / 0.75, rtol=1e-12)
    np.testing.assert_array_equal(md.backend.to_numpy(x.grad), kept / 0.75)
