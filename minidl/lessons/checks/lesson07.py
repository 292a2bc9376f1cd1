"""Checkers of lesson 07 (style transfer): the Gram matrix, and L-BFGS's two-loop recursion."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import minidl as md
import minidl.nn.functional as F
from minidl.optim import lbfgs

from ..grading import Case, Result, grade


def check_gram(my_gram: Callable) -> Result:
    """``my_gram(f)`` for a NumPy array f (N, C, H, W) -> (N, C, C), as ``F.gram_matrix``:
    Ĝ = F Fᵀ / (C·H·W) for each image, F its features as a (C, H·W) matrix."""
    gen = np.random.default_rng(7)

    def case(name: str, shape: tuple, hint: str, dtype: type = np.float64) -> Case:
        f = gen.standard_normal(shape).astype(dtype)
        tol = 1e-5 if dtype == np.float32 else 1e-9
        return Case(
            f"{name}: features {shape}",
            lambda fn: fn(f.copy()),
            lambda: F.gram_matrix(md.tensor(f)).numpy(),
            hint=hint,
            rtol=tol,
            atol=tol,
        )

    cases = [
        case("one image, 3 channels, 4x4", (1, 3, 4, 4),
             "reshape to (N, C, H*W), multiply by its transpose over the last two axes, and "
             "divide by C * H * W (the library's normalisation, not H * W alone)"),
        case("two images, non-square maps", (2, 5, 3, 7),
             "each image has its own Gram matrix: transpose only the last two axes, "
             "f.transpose(0, 2, 1); f.T would also move the batch axis"),
        case("one channel, one position", (1, 1, 1, 1), "Ĝ = f² / 1 here"),
        case("float32, 16 channels, 8x6", (3, 16, 8, 6),
             "the same code for any N, C, H, W", dtype=np.float32),
    ]  # fmt: skip
    return grade("gram_matrix", my_gram, cases)


def _bfgs_direction(g: np.ndarray, pairs: list, h0: float) -> np.ndarray:
    """-H g with H from the explicit BFGS inverse-Hessian update, pair after pair (oldest
    first), from H = h0 I: H <- (I - ρ s yᵀ) H (I - ρ y sᵀ) + ρ s sᵀ, ρ = 1 / (yᵀ s)."""
    n = g.size
    H = h0 * np.eye(n)
    for s, y in pairs:
        rho = 1.0 / (y @ s)
        V = np.eye(n) - rho * np.outer(y, s)
        H = V.T @ H @ V + rho * np.outer(s, s)
    return -H @ g


def _quadratic(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    gen = np.random.default_rng(seed)
    Q = np.linalg.qr(gen.standard_normal((n, n)))[0]
    A = Q @ np.diag(np.geomspace(0.5, 20.0, n)) @ Q.T  # SPD, condition number 40
    return A, gen.standard_normal(n)


def _pairs(n: int, count: int, seed: int) -> tuple[np.ndarray, list, float]:
    """A gradient and ``count`` (s, y) pairs of a quadratic (y = A s, so yᵀ s > 0)."""
    A, _ = _quadratic(n, seed)
    gen = np.random.default_rng(seed + 1)
    pairs = [(s, A @ s) for s in gen.standard_normal((count, n))]
    if not pairs:  # no curvature known yet: any scale; not 1, so that h0 is not ignored
        return gen.standard_normal(n), pairs, 0.3
    s, y = pairs[-1]
    return gen.standard_normal(n), pairs, float(s @ y / (y @ y))  # N&W eq. 7.20


def _direction_case(name: str, n: int, count: int, seed: int, hint: str) -> Case:
    g, pairs, h0 = _pairs(n, count, seed)
    copied = [(s.copy(), y.copy()) for s, y in pairs]
    return Case(
        f"{name}: n = {n}, {count} pairs",
        lambda fn: fn(g.copy(), copied, h0),
        lambda: _bfgs_direction(g, pairs, h0),
        hint=hint,
        rtol=1e-7,
        atol=1e-10,
    )


def _lbfgs_iterates(n: int, iterations: int, seed: int) -> np.ndarray:
    """The iterates of md.optim.LBFGS (strong Wolfe, history 3) on ½ xᵀA x − bᵀx from 0."""
    A, b = _quadratic(n, seed)
    x = md.tensor(np.zeros(n), requires_grad=True)
    opt = md.optim.LBFGS([x], max_iter=1, history_size=3)

    A_t, b_t = md.tensor(A), md.tensor(b)

    def closure() -> md.Tensor:
        opt.zero_grad()
        loss = 0.5 * (x * (A_t @ x)).sum() - (x * b_t).sum()
        loss.backward()
        return loss

    iterates = []
    for _ in range(iterations):  # one iteration per step(): the history carries over
        opt.step(closure)
        iterates.append(x.numpy().copy())
    return np.array(iterates)


def _inside_lbfgs(my_two_loop: Callable, n: int, iterations: int, seed: int) -> np.ndarray:
    """The same run with the student's recursion in place of the library's."""

    def two_loop_direction(g, history, h0):  # the library's signature: (s, y, ρ) triples
        return np.asarray(my_two_loop(g.copy(), [(s, y) for s, y, _ in history], h0))

    shipped = lbfgs.two_loop_direction
    lbfgs.two_loop_direction = two_loop_direction
    try:
        return _lbfgs_iterates(n, iterations, seed)
    finally:
        lbfgs.two_loop_direction = shipped


def check_two_loop(my_two_loop: Callable) -> Result:
    """``my_two_loop(g, pairs, h0) -> d = -H g`` for a gradient g (n,), pairs [(s, y), ...]
    from oldest to newest, and H the L-BFGS inverse-Hessian estimate starting from h0·I;
    checked against the explicit BFGS update, then as the recursion inside md.optim.LBFGS."""
    n, iterations = 8, 7
    cases = [
        _direction_case("no pairs yet", 5, 0, 0,
                        "with no history H = h0·I: return -h0 * g (and the loops do nothing)"),
        _direction_case("one pair", 5, 1, 1,
                        "first loop: a = ρ sᵀq, q -= a y (ρ = 1 / yᵀs, q starts at -g or g); "
                        "r = h0 q; second loop: b = ρ yᵀr, r += (a - b) s"),
        _direction_case("four pairs", 7, 4, 2,
                        "the first loop goes from the NEWEST pair to the oldest, the second "
                        "from the oldest to the newest, each pair with its own a from the first"),
        _direction_case("ten pairs, n = 6 (more pairs than dimensions)", 6, 10, 3,
                        "keep one a per pair: a list, not one variable"),
        Case(f"inside md.optim.LBFGS on a quadratic, n = {n}: the first {iterations} iterates",
             lambda fn: _inside_lbfgs(fn, n, iterations, 4),
             lambda: _lbfgs_iterates(n, iterations, 4),
             hint="your function stands in for minidl.optim.lbfgs.two_loop_direction: it gets "
                  "the flat gradient and the pairs that L-BFGS kept, and returns d (not -d)",
             rtol=1e-6, atol=1e-9),
    ]  # fmt: skip
    return grade("two_loop", my_two_loop, cases)
