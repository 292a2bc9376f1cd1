"""Cross-entropy kernels (minidl/kernels/cross_entropy/): the cpu loops equal the reference
on the lab's cases, in both compiled forms; the reference equals PyTorch's cross_entropy
forward and backward (float32 and float64, logits of ±1e4 included); and F.cross_entropy
runs them as one node that matches log_softmax + NLL, PyTorch, finite differences and
second derivatives."""

from __future__ import annotations

import numpy as np
import pytest

import minidl as md
import minidl.nn.functional as F
from minidl import config
from minidl.kernels.cross_entropy import cpu, reference
from minidl.kernels.cross_entropy.spec import SPECS
from minidl.kernels.spec import compare

CASES = [(k, c) for k in sorted(SPECS) for c in SPECS[k].cases]


@pytest.mark.parametrize("driver", ["serial", "parallel"])
@pytest.mark.parametrize("kernel, case", CASES, ids=lambda v: getattr(v, "name", v))
def test_cpu_equals_reference(kernel, case, driver):
    args, _ = case.make(np.random.default_rng(0))
    want = getattr(reference, kernel)(*args)
    with config.parallel(driver):
        got = getattr(cpu, kernel)(*args)
    want, got = (want, got) if isinstance(want, tuple) else ((want,), (got,))
    spec = SPECS[kernel]
    for name, g, w, exact in zip(spec.outputs, got, want, spec.exact):
        assert compare(name, g, w, exact) is None


@pytest.mark.parametrize("driver", ["serial", "parallel"])
@pytest.mark.parametrize("shape", [(6, 37), (4, 19, 2, 3), (4, 3, 40, 50)], ids=str)
def test_cpu_forward_with_nan_and_infinite_logits(shape, driver):
    """Rows whose max and sum run in 8 accumulators (37 classes: a remainder of 5), few
    positions per image, and planes: a NaN class, a +inf one and all -inf give NaN where the
    reference does, and the other images match it."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal(shape)
    x[0, shape[1] // 2], x[1, 1], x[2] = np.nan, np.inf, -np.inf  # in images 0-2
    target = rng.integers(0, shape[1], shape[:1] + shape[2:])
    w = rng.uniform(0, 2, target.shape)
    with config.parallel(driver), np.errstate(invalid="ignore"):
        want = reference.cross_entropy_forward(x, target, w)
        got = cpu.cross_entropy_forward(x, target, w)
    for g, v in zip(got, want):
        assert np.array_equal(np.isnan(g), np.isnan(v))
        np.testing.assert_allclose(g, v, rtol=1e-12, atol=1e-15)


def _torch_loss_and_grad(torch, x, target, w, coef):
    tx = torch.from_numpy(x).requires_grad_()
    t = torch.from_numpy(target).long()
    loss = torch.nn.functional.cross_entropy(tx, t, reduction="none") * torch.from_numpy(w)
    (dx,) = torch.autograd.grad(loss, tx, torch.from_numpy(coef))
    return loss.detach().numpy(), dx.numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(5, 7), (3, 4, 6, 5), (2, 3, 1000)], ids=str)
@pytest.mark.parametrize("scale", [2.0, 1e4])
def test_reference_equals_torch(torch, dtype, shape, scale):
    rng = np.random.default_rng(1)
    x = (scale * rng.standard_normal(shape)).astype(dtype)
    target = rng.integers(0, shape[1], shape[:1] + shape[2:])
    w = rng.uniform(0, 2, target.shape).astype(dtype)
    coef = rng.standard_normal(target.shape).astype(dtype)
    want_loss, want_dx = _torch_loss_and_grad(torch, x, target, w, coef / w)
    loss, softmax = reference.cross_entropy_forward(x, target, w)
    dx = reference.cross_entropy_backward(softmax, target, coef)
    rtol, atol = (2e-5, 1e-6) if dtype == np.float32 else (1e-12, 1e-14)
    np.testing.assert_allclose(loss, want_loss, rtol=rtol, atol=atol * max(scale, 1))
    np.testing.assert_allclose(dx, want_dx, rtol=rtol, atol=atol)


# ---- the op ----------------------------------------------------------------------------------


def _problem(dtype, shape=(3, 4, 5, 6), seed=2):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    target = rng.integers(0, shape[1], shape[:1] + shape[2:])
    target[0, :2] = -1
    weight = rng.uniform(0.5, 2, shape[1])
    return x, target, weight, rng.uniform(0.5, 2, target.shape)


def test_the_op_runs_the_kernels_as_one_node():
    x, target, _, _ = _problem(np.float32)
    t = md.tensor(x, requires_grad=True)
    with md.profiler.profile() as prof:
        loss = F.cross_entropy(t, target, ignore_index=-1)
        loss.backward()
    notes = {n for e in prof.events for n in e.notes}
    assert {"cross_entropy_forward:cpu", "cross_entropy_backward:cpu"} <= notes
    assert not any(e.name in ("LogSoftmax", "NLLLoss") for e in prof.events)


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_op_matches_torch(torch, reduction, dtype):
    x, target, weight, _ = _problem(dtype)
    t = md.tensor(x, requires_grad=True)
    loss = F.cross_entropy(t, target, weight, ignore_index=-1, reduction=reduction)
    tx = torch.from_numpy(x).requires_grad_()
    kw = dict(weight=torch.from_numpy(weight.astype(dtype)), ignore_index=-1, reduction=reduction)
    want = torch.nn.functional.cross_entropy(tx, torch.from_numpy(target), **kw)
    v = np.random.default_rng(3).standard_normal(want.shape).astype(dtype)
    loss.backward(md.tensor(v).data)
    want.backward(torch.from_numpy(v))
    rtol = 2e-5 if dtype == np.float32 else 1e-12
    assert loss.dtype == dtype and t.grad.dtype == dtype
    np.testing.assert_allclose(loss.numpy(), want.detach().numpy(), rtol=rtol, atol=rtol)
    np.testing.assert_allclose(t.grad, tx.grad.numpy(), rtol=rtol, atol=rtol)


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_the_fused_node_equals_log_softmax_and_nll(reduction):
    x, target, weight, pixel_weight = _problem(np.float64)
    kw = dict(ignore_index=-1, reduction=reduction, pixel_weight=pixel_weight)
    a, b = md.tensor(x, requires_grad=True), md.tensor(x, requires_grad=True)
    fused = F.cross_entropy(a, target, weight, **kw)
    apart = F.nll_loss(F.log_softmax(b, 1), target, weight, **kw)
    np.testing.assert_allclose(fused.numpy(), apart.numpy(), rtol=1e-13)
    fused.sum().backward()
    apart.sum().backward()
    np.testing.assert_allclose(a.grad, b.grad, rtol=1e-12, atol=1e-15)


def test_large_logits_in_float32_match_torch(torch):
    x, target, _, _ = _problem(np.float32)
    x = (x * 1e4).astype(np.float32)
    t = md.tensor(x, requires_grad=True)
    loss = F.cross_entropy(t, target, ignore_index=-1)
    loss.backward()
    tx = torch.from_numpy(x).requires_grad_()
    want = torch.nn.functional.cross_entropy(tx, torch.from_numpy(target), ignore_index=-1)
    want.backward()
    assert np.isfinite(loss.item())
    np.testing.assert_allclose(loss.item(), want.item(), rtol=1e-6)
    np.testing.assert_allclose(t.grad, tx.grad.numpy(), rtol=1e-5, atol=1e-9)


def test_every_position_ignored_is_nan_for_mean_with_zero_gradient(torch):
    x = md.tensor(np.ones((2, 3, 2, 2), np.float32), requires_grad=True)
    target = np.full((2, 2, 2), 7)
    loss = F.cross_entropy(x, target, ignore_index=7)
    want = torch.nn.functional.cross_entropy(
        torch.ones(2, 3, 2, 2), torch.from_numpy(target), ignore_index=7
    )
    assert np.isnan(loss.item()) and torch.isnan(want)
    loss.backward()
    assert x.grad.dtype == np.float32 and not x.grad.any()
    assert F.cross_entropy(x, target, ignore_index=7, reduction="sum").item() == 0


def test_gradcheck_and_second_derivatives():
    x, target, weight, pixel_weight = _problem(np.float64, shape=(2, 3, 2, 3))
    kw = dict(ignore_index=-1, pixel_weight=pixel_weight)
    t = md.tensor(x, requires_grad=True)
    assert md.gradcheck(lambda a: F.cross_entropy(a, target, weight, **kw), [t])
    assert md.gradgradcheck(lambda a: F.cross_entropy(a, target, weight, **kw), [t])


def test_label_smoothing_and_probabilities_keep_the_composed_path():
    x, target, _, _ = _problem(np.float32)
    t = md.tensor(x, requires_grad=True)
    for loss in (
        F.cross_entropy(t, target, ignore_index=-1, label_smoothing=0.1),
        F.cross_entropy(t, np.full(x.shape, 0.25, np.float32)),
    ):
        with md.profiler.profile() as prof:
            loss.backward()
        assert not any("cross_entropy_backward" in n for e in prof.events for n in e.notes)


def test_the_docstrings_name_the_kernel_files():
    """Three hops: F.cross_entropy, optim.SGD and optim.Adam name their kernels and files."""
    from pathlib import Path

    root = Path(md.__file__).parent
    for op, names, path in [
        (F.cross_entropy, ["cross_entropy_forward", "cross_entropy_backward"], "cross_entropy"),
        (md.optim.SGD, ["sgd_update"], "optim_update"),
        (md.optim.Adam, ["adam_update"], "optim_update"),
    ]:
        assert f"minidl/kernels/{path}/cpu.py" in op.__doc__
        source = (root / "kernels" / path / "cpu.py").read_text()
        for name in names:
            assert f"``{name}``" in op.__doc__ and f"\ndef {name}(" in source
