"""L-BFGS with a strong-Wolfe line search, driven by a closure as in PyTorch.

L-BFGS builds a picture of the curvature from the last m steps s_k = x_{k+1} − x_k and
gradient changes y_k = g_{k+1} − g_k, and turns the gradient into a quasi-Newton direction
d = −H g with the two-loop recursion, never forming the n×n matrix H. It is what Gatys et
al. used to optimise the pixels of a style-transfer image: few, long, well-scaled steps.

Line search: strong Wolfe (sufficient decrease plus |φ'(t)| <= c2·|φ'(0)|), not backtracking
Armijo. The curvature half of the Wolfe conditions guarantees sᵀy > 0, which is exactly
what keeps the L-BFGS matrix positive definite, so every direction is a descent direction;
Armijo backtracking only shrinks steps, can accept steps that break sᵀy > 0 (we would have
to drop those pairs), and can never lengthen a step that is too short.

Reference: Nocedal & Wright, "Numerical Optimization", 2nd ed., Algorithm 7.4 (two-loop
recursion), Algorithms 3.5-3.6 and eq. 3.59 (line search, cubic interpolation);
``torch.optim.LBFGS`` for the API and the stopping rules.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from .. import backend
from ..autograd import enable_grad
from ..tensor import Tensor
from .optimizer import Optimizer


def _value(loss: Any) -> float:
    return loss.item() if isinstance(loss, Tensor) else float(loss)


def _dot(a: Any, b: Any) -> float:
    return float(a @ b)


def two_loop_direction(g: Any, history: list[tuple[Any, Any, float]], h0: float) -> Any:
    """d = −H g, with H the L-BFGS inverse-Hessian estimate from ``history``.

    ``history`` holds (s, y, ρ = 1/(yᵀs)) from oldest to newest; H starts as h0·I (h0 =
    sᵀy/yᵀy of the newest pair, Nocedal & Wright eq. 7.20). Shapes: g (n,) → d (n,).
    """
    q = -g
    alphas = []
    for s, y, rho in reversed(history):  # newest first
        a = rho * _dot(s, q)
        q = q - a * y
        alphas.append(a)
    r = h0 * q
    for (s, y, rho), a in zip(history, reversed(alphas)):  # oldest first
        b = rho * _dot(y, r)
        r = r + (a - b) * s
    return r


def _cubic_minimum(t1, f1, g1, t2, f2, g2, lo, hi) -> float:
    """Minimiser in [lo, hi] of the cubic through (t1, f1, φ'=g1), (t2, f2, φ'=g2) (N&W 3.59);
    the middle of [lo, hi] when that cubic has no minimum."""
    d1 = g1 + g2 - 3 * (f1 - f2) / (t1 - t2)
    square = d1 * d1 - g1 * g2
    if square < 0:
        return (lo + hi) / 2
    d2 = math.copysign(math.sqrt(square), t2 - t1)
    t = t2 - (t2 - t1) * (g2 + d2 - d1) / (g2 - g1 + 2 * d2)
    return min(max(t, lo), hi) if math.isfinite(t) else (lo + hi) / 2


def strong_wolfe(
    phi: Callable[[float], tuple[float, Any]],
    d: Any,
    t: float,
    f0: float,
    g0: Any,
    c1: float = 1e-4,
    c2: float = 0.9,
    tolerance_change: float = 1e-9,
    max_evals: int = 25,
) -> tuple[float, Any, float, int]:
    """A step t along d with f(x+td) <= f0 + c1·t·φ'(0) and |φ'(t)| <= c2·|φ'(0)|.

    ``phi(t)`` returns (f(x + t·d), ∇f(x + t·d)); φ'(t) = ∇f·d. Bracket first (grow t until
    the interval [t_prev, t] must hold an acceptable step), then zoom (shrink the bracket
    with safeguarded cubic interpolation). Returns (f, g, t, evaluations); when it runs out
    of evaluations it returns the lowest point found (possibly t = 0: no move).
    """
    gtd0 = _dot(g0, d)
    prev = (0.0, f0, g0, gtd0)
    evals = 0
    while True:  # bracketing phase (N&W Algorithm 3.5)
        f, g = phi(t)
        evals += 1
        gtd = _dot(g, d)
        cur = (t, f, g, gtd)
        if not math.isfinite(f) or f > f0 + c1 * t * gtd0 or (evals > 1 and f >= prev[1]):
            lo, hi = prev, cur
            break
        if abs(gtd) <= -c2 * gtd0:
            return f, g, t, evals
        if gtd >= 0:  # slope turned upward: the minimum is behind us
            lo, hi = cur, prev
            break
        if evals >= max_evals:
            return f, g, t, evals
        # extrapolate: at least 1% beyond t, at most 10 t
        t_next = _cubic_minimum(
            prev[0], prev[1], prev[3], t, f, gtd, t + 0.01 * (t - prev[0]), 10 * t
        )
        prev, t = cur, t_next

    while evals < max_evals:  # zoom phase (N&W Algorithm 3.6); lo is the best point so far
        width = abs(hi[0] - lo[0])
        if width * float(abs(d).max()) < tolerance_change:
            break
        a, b = min(lo[0], hi[0]), max(lo[0], hi[0])
        t = _cubic_minimum(lo[0], lo[1], lo[3], hi[0], hi[1], hi[3], a, b)
        if min(t - a, b - t) < 0.1 * width:  # too close to an end: bisect, so the bracket shrinks
            t = (a + b) / 2
        f, g = phi(t)
        evals += 1
        gtd = _dot(g, d)
        cur = (t, f, g, gtd)
        if not math.isfinite(f) or f > f0 + c1 * t * gtd0 or f >= lo[1]:
            hi = cur
        else:
            if abs(gtd) <= -c2 * gtd0:
                return f, g, t, evals
            if gtd * (hi[0] - lo[0]) >= 0:
                hi = lo
            lo = cur
    t, f, g, _ = lo
    return f, g, t, evals


class LBFGS(Optimizer):
    """Limited-memory BFGS; ``step(closure)`` runs up to ``max_iter`` iterations.

    ``closure()`` must clear the gradients, compute the loss, call ``backward()`` and return
    the loss; the line search calls it several times per iteration. Each iteration:

        d = −H g                      (two-loop recursion over the last ``history_size`` pairs)
        t = line search along d       (strong Wolfe; or the fixed ``lr`` when line_search_fn=None)
        x ← x + t·d;  keep (s, y) = (t·d, g_new − g) when sᵀy > 1e-10

    Stops when max|g| <= tolerance_grad, max|t·d| <= tolerance_change, the loss changes by
    less than tolerance_change, or after max_iter iterations / max_eval evaluations.
    Returns the loss at the start of the step, as PyTorch does.

    Differences from ``torch.optim.LBFGS``: the line search defaults to "strong_wolfe"
    (PyTorch's default is None, a fixed step ``lr``, which can diverge on badly scaled
    problems such as image pixels); our zoom phase bisects when the cubic step lands within
    10% of the bracket's ends, so step lengths, not convergence, can differ from PyTorch's.
    One parameter group, as in PyTorch.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1.0,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = "strong_wolfe",
    ) -> None:
        if lr <= 0 or max_iter < 1 or history_size < 1:
            raise ValueError(
                f"LBFGS: need lr > 0, max_iter >= 1, history_size >= 1; got lr={lr}, "
                f"max_iter={max_iter}, history_size={history_size}"
            )
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(
                f"LBFGS: line_search_fn must be None or 'strong_wolfe', got {line_search_fn!r}"
            )
        max_eval = max_eval if max_eval is not None else max_iter * 5 // 4
        defaults = dict(
            lr=lr,
            max_iter=max_iter,
            max_eval=max_eval,
            tolerance_grad=tolerance_grad,
            tolerance_change=tolerance_change,
            history_size=history_size,
            line_search_fn=line_search_fn,
        )
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS: one parameter group only (as in PyTorch)")
        self._plist = self.param_groups[0]["params"]

    # ---- the parameters as one flat vector ----------------------------------------------
    def _flat_grad(self) -> Any:
        xp = backend.array_module(self._plist[0].data)
        parts = [
            xp.zeros(p.numel(), p.dtype) if p.grad is None else p.grad.reshape(-1)
            for p in self._plist
        ]
        return xp.concatenate(parts)

    def _flat_params(self) -> Any:
        xp = backend.array_module(self._plist[0].data)
        return xp.concatenate([p.data.reshape(-1) for p in self._plist])

    def _set_params(self, flat: Any) -> None:
        offset = 0
        for p in self._plist:
            p.data[...] = flat[offset : offset + p.numel()].reshape(p.shape)
            offset += p.numel()

    def _evaluate(self, closure: Callable[[], Any]) -> tuple[float, Any]:
        with enable_grad():
            loss = _value(closure())
        return loss, self._flat_grad()

    # ---- one call: up to max_iter iterations --------------------------------------------
    def step(self, closure: Callable[[], Any] | None = None) -> float:  # noqa: C901
        if closure is None:
            raise ValueError("LBFGS.step: needs a closure that recomputes the loss and gradients")
        group = self.param_groups[0]
        lr, tol_grad, tol_change = group["lr"], group["tolerance_grad"], group["tolerance_change"]
        state = self.state.setdefault(0, {"func_evals": 0, "n_iter": 0, "history": []})

        loss, g = self._evaluate(closure)
        first_loss, evals = loss, 1
        state["func_evals"] += 1
        if float(abs(g).max()) <= tol_grad:
            return first_loss

        for it in range(1, group["max_iter"] + 1):
            state["n_iter"] += 1
            history = state["history"]
            if state["n_iter"] == 1:
                h0 = 1.0
            else:  # learn from the last step: s = t·d, y = change of the gradient
                s, y = state["t"] * state["d"], g - state["prev_g"]
                ys = _dot(y, s)
                if ys > 1e-10:  # keep only pairs with positive curvature (H stays positive)
                    if len(history) == group["history_size"]:
                        history.pop(0)
                    history.append((s, y, 1.0 / ys))
                    state["h0"] = ys / _dot(y, y)
                h0 = state.get("h0", 1.0)
            d = two_loop_direction(g, history, h0)
            state["prev_g"], prev_loss = g.copy(), loss

            # the very first step has no curvature yet: cap its length at about lr
            t = min(1.0, 1.0 / float(abs(g).sum())) * lr if state["n_iter"] == 1 else lr
            gtd = _dot(g, d)
            if gtd > -tol_change:  # not a descent direction (numerically): stop
                break

            if group["line_search_fn"] == "strong_wolfe":
                x0 = self._flat_params()

                def phi(step: float, x0: Any = x0, d: Any = d) -> tuple[float, Any]:
                    self._set_params(x0 + step * d)
                    return self._evaluate(closure)

                left = group["max_eval"] - evals
                loss, g, t, used = strong_wolfe(
                    phi, d, t, loss, g, tolerance_change=tol_change, max_evals=max(1, min(25, left))
                )
                self._set_params(x0 + t * d)
            else:
                self._set_params(self._flat_params() + t * d)
                loss, g = self._evaluate(closure)
                used = 1
            evals += used
            state["func_evals"] += used
            state["d"], state["t"] = d, t

            if it == group["max_iter"] or evals >= group["max_eval"]:
                break
            if float(abs(g).max()) <= tol_grad:
                break
            if float(abs(d).max()) * abs(t) <= tol_change or abs(loss - prev_loss) < tol_change:
                break
        return first_loss
