"""`gradcheck`: compare backward() with finite differences, in float64.

For a function ``fn`` and a random cotangent ``v`` (fixed seed), backward gives the exact
vector-Jacobian product ``a = Jᵀv``. Central differences of ``f(x) = <fn(x), v>`` give the
same vector numerically: ``(f(x + εe_j) − f(x − εe_j)) / 2ε ≈ a_j``, with an error of
order ε² — about 1e-12 in float64, far below any real bug. Small inputs are checked element
by element; large ones along random directions ``d`` (``a·d`` against the difference
quotient along ``d``), which catches a wrong gradient with probability 1.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import backend
from .autograd import enable_grad, no_grad
from .tensor import Tensor


class GradcheckError(AssertionError):
    """Raised by `gradcheck` when analytic and numeric gradients disagree."""


def _outputs(result: Any) -> list[Tensor]:
    outs = list(result) if isinstance(result, (tuple, list)) else [result]
    return [o for o in outs if isinstance(o, Tensor) and o.dtype.kind == "f"]


def _project(fn: Callable, inputs: Sequence[Any], cotangents: list[Any]) -> float:
    """f(x) = Σ_k <fn(x)_k, v_k>, without recording a graph."""
    with no_grad():
        outs = _outputs(fn(*inputs))
    return float(sum(float((o.data * v).sum()) for o, v in zip(outs, cotangents)))


def gradcheck(
    fn: Callable[..., Any],
    inputs: Tensor | Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    *,
    raise_exception: bool = True,
    max_exhaustive: int = 1024,
    n_directions: int = 8,
    seed: int = 0,
) -> bool:
    """Check the gradients of ``fn(*inputs)`` w.r.t. every input that requires grad.

    Args:
        fn: takes ``inputs`` and returns a Tensor (or a tuple of them).
        inputs: Tensors (float64 where ``requires_grad``) and any other arguments.
        eps, atol, rtol: step of the central difference; a value passes when
            ``|analytic − numeric| <= atol + rtol·|numeric|``.
        raise_exception: raise `GradcheckError` with the report (default) or print it and
            return False.
        max_exhaustive: inputs with at most this many elements are checked element by
            element; larger ones along ``n_directions`` random unit directions.

    Returns:
        True when every gradient matches.
    """
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad; nothing to check")
    for i in checked:
        if inputs[i].dtype != np.float64:
            raise TypeError(
                f"gradcheck: input {i} is {inputs[i].dtype}; finite differences need float64 "
                f"(use x.double() or md.tensor(..., dtype=md.float64))"
            )
        xp = backend.array_module(inputs[i].data)
        # perturbed through a flat view; ascontiguousarray turns a 0-d array into 1-d: reshape
        inputs[i].data = xp.ascontiguousarray(inputs[i].data).reshape(inputs[i].shape)
        inputs[i].grad = None
    rng = np.random.default_rng(seed)

    with enable_grad():
        outs = _outputs(fn(*inputs))
        if not outs:
            raise ValueError("gradcheck: fn returned no floating-point Tensor")
        cotangents = [
            backend.array_module(o.data).asarray(rng.standard_normal(o.shape)) for o in outs
        ]
        total = sum((o * v).sum() for o, v in zip(outs, cotangents))
        if total.requires_grad:
            total.backward()

    failures = []
    for i in checked:
        t = inputs[i]
        analytic = t.grad if t.grad is not None else backend.array_module(t.data).zeros_like(t.data)
        report = _check_input(
            fn, inputs, cotangents, i, analytic, eps, atol, rtol, max_exhaustive, n_directions, rng
        )
        if report:
            failures.append(report)
    if failures:
        message = "gradcheck failed:\n" + "\n".join(failures)
        if raise_exception:
            raise GradcheckError(message)
        print(message)
        return False
    return True


def _check_input(
    fn, inputs, cotangents, i, analytic, eps, atol, rtol, max_exhaustive, n_directions, rng
) -> str | None:
    """Compare one input's gradient; return a report line naming the worst element, or None."""
    t = inputs[i]
    if t.data.size == 0:  # nothing to perturb, nothing to compare
        return None
    flat = t.data.reshape(-1)  # a view: writing to it perturbs the input
    xp = backend.array_module(flat)
    a_flat = backend.to_numpy(analytic).reshape(-1)

    def difference(direction: Any) -> float:
        saved = flat.copy()
        flat[...] = saved + eps * direction
        plus = _project(fn, inputs, cotangents)
        flat[...] = saved - eps * direction
        minus = _project(fn, inputs, cotangents)
        flat[...] = saved
        return (plus - minus) / (2 * eps)

    if flat.size <= max_exhaustive:
        labels, numeric, exact = [], [], []
        for j in range(flat.size):
            e = xp.zeros_like(flat)
            e[j] = 1.0
            numeric.append(difference(e))
            exact.append(a_flat[j])
            labels.append(f"element {tuple(int(k) for k in np.unravel_index(j, t.shape))}")
        what = "element by element"
    else:
        labels, numeric, exact = [], [], []
        for k in range(n_directions):
            d = rng.standard_normal(flat.size)
            d /= np.linalg.norm(d)
            numeric.append(difference(xp.asarray(d)))
            exact.append(float(a_flat @ d))
            labels.append(f"random direction {k}")
        what = f"along {n_directions} random directions"
    numeric, exact = np.array(numeric), np.array(exact)
    excess = np.abs(exact - numeric) - (atol + rtol * np.abs(numeric))
    worst = int(np.argmax(excess))
    if excess[worst] <= 0:
        return None
    return (
        f"  input {i} (shape {t.shape}), checked {what}: {int((excess > 0).sum())} mismatches; "
        f"worst at {labels[worst]}: analytic {exact[worst]:.6g}, numeric {numeric[worst]:.6g} "
        f"(|diff| {abs(exact[worst] - numeric[worst]):.3g} > atol + rtol·|numeric| = "
        f"{atol + rtol * abs(numeric[worst]):.3g})"
    )


def gradgradcheck(
    fn: Callable[..., Any],
    inputs: Tensor | Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    *,
    raise_exception: bool = True,
    seed: int = 0,
) -> bool:
    """Check second derivatives: `gradcheck` of the backward itself, in float64.

    For a random cotangent ``v`` (fixed seed), ``h(x, v) = ∇ₓ <fn(x), v>`` is computed with
    ``create_graph=True``; gradcheck then compares its gradients w.r.t. both ``x`` (the
    Hessian-vector products) and ``v`` (the backward's own transpose) with finite differences.
    Reference: ``torch.autograd.gradgradcheck``.

    >>> x = md.tensor([0.3, -1.2], dtype=md.float64, requires_grad=True)
    >>> md.gradgradcheck(md.tanh, [x])
    True
    """
    from .autograd import grad

    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradgradcheck: no input requires grad; nothing to check")
    rng = np.random.default_rng(seed)
    with enable_grad():
        outs = _outputs(fn(*inputs))
    if not outs:
        raise ValueError("gradgradcheck: fn returned no floating-point Tensor")
    cotangents = [
        Tensor(
            backend.array_module(o.data).asarray(rng.standard_normal(o.shape)), requires_grad=True
        )
        for o in outs
    ]
    n = len(inputs)

    def first_derivative(*xs_and_vs: Any) -> tuple[Any, ...]:
        xs, vs = xs_and_vs[:n], xs_and_vs[n:]
        wrt = [xs[i] for i in checked]
        with enable_grad():
            pairs = [(o, v) for o, v in zip(_outputs(fn(*xs)), vs) if o.requires_grad]
            found = [None] * len(wrt)
            if pairs:
                found = grad(
                    [o for o, _ in pairs],
                    wrt,
                    [v for _, v in pairs],
                    create_graph=True,
                    allow_unused=True,
                )
        # an unused input's gradient is 0: finite differences must find 0 too
        zeros = backend.array_module
        return tuple(
            Tensor(zeros(x.data).zeros_like(x.data)) if g is None else g for g, x in zip(found, wrt)
        )

    # the recorded first derivative must equal the array one (gradcheck below only checks
    # that it is differentiated consistently)
    recorded = first_derivative(*inputs, *cotangents)
    wrt = [inputs[i] for i in checked]
    with enable_grad():
        pairs = [(o, v) for o, v in zip(_outputs(fn(*inputs)), cotangents) if o.requires_grad]
        plain = (
            grad([o for o, _ in pairs], wrt, [Tensor(v.data) for _, v in pairs], allow_unused=True)
            if pairs
            else [None] * len(wrt)
        )
    for k, (r, p) in enumerate(zip(recorded, plain)):
        p_data = backend.to_numpy(p.data) if p is not None else 0 * backend.to_numpy(r.data)
        if not np.allclose(backend.to_numpy(r.data), p_data, rtol=rtol, atol=atol):
            message = (
                f"gradgradcheck failed: the create_graph=True gradient of input {checked[k]} "
                f"differs from backward()'s (max |diff| "
                f"{np.abs(backend.to_numpy(r.data) - p_data).max():.3g})"
            )
            if raise_exception:
                raise GradcheckError(message)
            print(message)
            return False
    return gradcheck(
        first_derivative,
        (*inputs, *cotangents),
        eps,
        atol,
        rtol,
        raise_exception=raise_exception,
        seed=seed + 1,
    )
