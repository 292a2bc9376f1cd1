"""One test body for every differentiable op, run over the tables in ``tests/ops/test_*.py``.

An `OpCase` says how to draw an op's inputs (hypothesis picks the shapes, broadcasting and
parameters; a drawn seed picks the values) and how to call it in minidl and in PyTorch. Three
checks use it:

- `check_gradcheck`: ``md.gradcheck`` in float64 (finite differences are the oracle);
- `check_against_torch`: forward values and the gradients of ``<out, v>`` for a random
  cotangent ``v`` equal PyTorch's;
- `check_float32`: float32 inputs give float32 outputs and float32 gradients.

and two check the backward itself (``create_graph=True``), bound by `second_order_tests`:

- `check_gradgradcheck`: ``md.gradgradcheck`` in float64;
- `check_second_order_against_torch`: for random ``v`` and ``w``, the gradients of
  ``<∇ₓ<out, v>, w>`` w.r.t. the inputs and ``v`` equal PyTorch's.

Values stay away from kinks, where finite differences (and the choice of subgradient) are
meaningless: "off_grid" values lie 0.15 to 0.35 past a multiple of 0.5 (so 0, ±0.5, ±1 are
safe places for a relu/abs/clamp kink), "near_grid" values lie within 0.05 of one (so an
off-grid and a near-grid value never tie), and "distinct" values differ by at least 0.2 (so a
max has one winner).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
from hypothesis import strategies as st

import minidl as md

DOMAINS = ("normal", "positive", "off_grid", "near_grid", "distinct")


@dataclass
class Inputs:
    """What one drawn example feeds the op: the arrays (float ones get gradients) and the
    keyword arguments (axes, index arrays, targets, ...) passed to both libraries alike."""

    arrays: list[np.ndarray]
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OpCase:
    name: str
    draw: Callable[[st.DataObject], Inputs]
    md: Callable[..., Any]  # (*tensors, **kwargs) -> minidl Tensor
    torch: Callable[..., Any]  # (torch, *tensors, **kwargs) -> torch.Tensor

    def __str__(self) -> str:
        return self.name


# ---- drawing inputs -------------------------------------------------------------------------


def values(data: st.DataObject, shape: tuple[int, ...], domain: str = "normal") -> np.ndarray:
    """float64 values of ``shape`` in ``domain`` (see the module docstring)."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    n = int(np.prod(shape))
    if domain == "normal":
        flat = rng.standard_normal(n)
    elif domain == "positive":
        flat = rng.uniform(0.5, 2.0, n)
    elif domain == "off_grid":
        flat = 0.5 * rng.integers(-4, 4, n) + rng.uniform(0.15, 0.35, n)
    elif domain == "near_grid":
        flat = 0.5 * rng.integers(-4, 4, n) + rng.uniform(-0.05, 0.05, n)
    elif domain == "distinct":
        flat = 0.25 * rng.permutation(n) + rng.uniform(0.0, 0.05, n) - 0.125 * n
    else:
        raise ValueError(f"unknown domain {domain!r}; known: {DOMAINS}")
    return flat.reshape(shape)


def shapes(min_dims: int = 0, max_dims: int = 3, max_side: int = 4) -> st.SearchStrategy:
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side)


def unary(domain: str = "normal", min_dims: int = 0, **kwargs: Any) -> Callable:
    """One input of any shape; ``kwargs`` are fixed keyword arguments."""

    def draw(data: st.DataObject) -> Inputs:
        shape = data.draw(shapes(min_dims=min_dims), label="shape")
        return Inputs([values(data, shape, domain)], dict(kwargs))

    return draw


def binary(domain_a: str = "normal", domain_b: str = "normal") -> Callable:
    """Two inputs whose shapes broadcast together (dims added, dims of size 1 stretched)."""

    def draw(data: st.DataObject) -> Inputs:
        pair = data.draw(
            hnp.mutually_broadcastable_shapes(num_shapes=2, max_side=4), label="shapes"
        )
        a, b = pair.input_shapes
        return Inputs([values(data, a, domain_a), values(data, b, domain_b)])

    return draw


def draw_axis(data: st.DataObject, ndim: int) -> Any:
    """None, one axis (maybe negative) or a tuple of distinct axes of an ``ndim`` array."""
    if ndim == 0:
        return None
    one = st.integers(-ndim, ndim - 1)
    several = st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True)
    return data.draw(st.none() | one | several.map(tuple), label="axis")


# ---- the three checks -----------------------------------------------------------------------


def _md_inputs(inputs: Inputs, dtype: Any = np.float64) -> list[md.Tensor]:
    return [
        md.tensor(a.astype(dtype), requires_grad=True) if a.dtype.kind == "f" else md.tensor(a)
        for a in inputs.arrays
    ]


def check_gradcheck(case: OpCase, data: st.DataObject) -> None:
    inputs = case.draw(data)
    tensors = _md_inputs(inputs)
    assert md.gradcheck(lambda *ts: case.md(*ts, **inputs.kwargs), tensors)


def check_against_torch(case: OpCase, data: st.DataObject, torch: Any) -> None:
    inputs = case.draw(data)
    ours = _md_inputs(inputs)
    theirs = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in inputs.arrays]
    out = case.md(*ours, **inputs.kwargs)
    expected = case.torch(torch, *theirs, **inputs.kwargs)
    assert out.shape == tuple(expected.shape), f"{case}: shape {out.shape} vs {expected.shape}"
    np.testing.assert_allclose(
        out.numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=f"{case} forward"
    )
    if not out.requires_grad:
        return
    v = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(v)
    expected.backward(torch.tensor(v))
    for k, (a, b) in enumerate(zip(ours, theirs)):
        if a.requires_grad:
            want = np.zeros(a.shape) if b.grad is None else b.grad.numpy()
            got = np.zeros(a.shape) if a.grad is None else a.grad
            assert got.shape == a.shape, f"{case}: gradient {k} has shape {got.shape}"
            np.testing.assert_allclose(
                got, want, rtol=1e-10, atol=1e-12, err_msg=f"{case} gradient of input {k}"
            )


def check_float32(case: OpCase, data: st.DataObject) -> None:
    inputs = case.draw(data)
    tensors = _md_inputs(inputs, np.float32)
    out = case.md(*tensors, **inputs.kwargs)
    assert out.dtype == np.float32, f"{case}: float32 inputs gave {out.dtype}"
    if out.requires_grad:
        out.backward(np.ones(out.shape, np.float32))
        for t in tensors:
            if t.grad is not None:
                assert t.grad.dtype == np.float32, f"{case}: float32 input got {t.grad.dtype} grad"


def check_gradgradcheck(case: OpCase, data: st.DataObject) -> None:
    inputs = case.draw(data)
    tensors = _md_inputs(inputs)
    assert md.gradgradcheck(lambda *ts: case.md(*ts, **inputs.kwargs), tensors)


def _second_order(lib: Any, grad: Callable, out: Any, inputs: list[Any], v: Any, w: list) -> list:
    """The gradients of ``<∇<out, v>, w>`` w.r.t. ``inputs`` and ``v`` (zeros where unused)."""
    firsts = grad(out, inputs, v, create_graph=True, allow_unused=True)
    total = sum((f * wk).sum() for f, wk in zip(firsts, w) if f is not None)
    if not getattr(total, "requires_grad", False):
        return [np.zeros(tuple(t.shape)) for t in [*inputs, v]]
    seconds = grad(total, [*inputs, v], allow_unused=True)
    return [
        np.zeros(tuple(t.shape)) if s is None else _to_numpy(lib, s)
        for s, t in zip(seconds, [*inputs, v])
    ]


def _to_numpy(lib: Any, t: Any) -> np.ndarray:
    if lib is md:
        return t.numpy()
    return t.detach().numpy(force=True)  # force: torch's efficient zero tensors (abs'' = 0)


def check_second_order_against_torch(case: OpCase, data: st.DataObject, torch: Any) -> None:
    inputs = case.draw(data)
    ours = _md_inputs(inputs)
    theirs = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in inputs.arrays]
    out = case.md(*ours, **inputs.kwargs)
    expected = case.torch(torch, *theirs, **inputs.kwargs)
    if not out.requires_grad:
        return
    rng = np.random.default_rng(1)
    v = rng.standard_normal(out.shape)
    w = [rng.standard_normal(a.shape) for a in inputs.arrays if a.dtype.kind == "f"]
    got = _second_order(
        md,
        md.autograd.grad,
        out,
        [t for t in ours if t.requires_grad],
        md.tensor(v, requires_grad=True),
        w,
    )
    want = _second_order(
        torch,
        torch.autograd.grad,
        expected,
        [t for t in theirs if t.requires_grad],
        torch.tensor(v, requires_grad=True),
        [torch.tensor(x) for x in w],
    )
    for k, (a, b) in enumerate(zip(got, want)):
        np.testing.assert_allclose(
            # rtol 1e-7: the two libraries' second derivatives take different (equal) formulas
            a,
            b,
            rtol=1e-7,
            atol=1e-9,
            err_msg=f"{case} second-order gradient {k}",
        )


def second_order_tests(
    cases: list[OpCase],
    gradgrad_examples: int = 4,
    torch_examples: int = 4,
    no_torch_oracle: dict[str, str] | None = None,
) -> tuple[Callable, ...]:
    """The two tests of each op's differentiable backward, bound like `op_tests`::

        test_gradgradcheck, test_second_order_matches_torch = second_order_tests(CASES)

    ``no_torch_oracle`` names the cases PyTorch cannot differentiate twice, each with the
    reason; they are left out of the PyTorch comparison only (gradgradcheck still runs).
    """
    excluded = no_torch_oracle or {}
    unknown = set(excluded) - {c.name for c in cases}
    if unknown:
        raise ValueError(f"no_torch_oracle names unknown cases: {sorted(unknown)}")
    oracle_cases = [c for c in cases if c.name not in excluded]
    import pytest
    from hypothesis import given, settings

    @pytest.mark.parametrize("case", cases, ids=str)
    @settings(max_examples=gradgrad_examples)
    @given(data=st.data())
    def test_gradgradcheck(case, data):
        check_gradgradcheck(case, data)

    @pytest.mark.parametrize("case", oracle_cases, ids=str)
    @settings(max_examples=torch_examples)
    @given(data=st.data())
    def test_second_order_matches_torch(case, data, torch):
        check_second_order_against_torch(case, data, torch)

    return test_gradgradcheck, test_second_order_matches_torch


def op_tests(
    cases: list[OpCase],
    gradcheck_examples: int | None = None,
    torch_examples: int | None = None,
    float32_examples: int = 5,
) -> tuple[Callable, ...]:
    """The three tests every op table gets, for a test module to bind at module level::

        test_gradcheck, test_matches_torch, test_float32_in_float32_out = op_tests(CASES, 10, 40)

    Each is parametrised over ``cases`` and draws its inputs with hypothesis; an example
    count of None keeps the profile's default (tests/conftest.py).
    """
    import pytest
    from hypothesis import given, settings

    def examples(n: int | None) -> Callable:
        return (lambda f: f) if n is None else settings(max_examples=n)

    @pytest.mark.parametrize("case", cases, ids=str)
    @examples(gradcheck_examples)
    @given(data=st.data())
    def test_gradcheck(case, data):
        check_gradcheck(case, data)

    @pytest.mark.parametrize("case", cases, ids=str)
    @examples(torch_examples)
    @given(data=st.data())
    def test_matches_torch(case, data, torch):
        check_against_torch(case, data, torch)

    @pytest.mark.parametrize("case", cases, ids=str)
    @examples(float32_examples)
    @given(data=st.data())
    def test_float32_in_float32_out(case, data):
        check_float32(case, data)

    return test_gradcheck, test_matches_torch, test_float32_in_float32_out
