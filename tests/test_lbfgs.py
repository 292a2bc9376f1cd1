"""optim.LBFGS (and Adam) on problems with a known minimiser; behaviour next to PyTorch's."""

from __future__ import annotations

import numpy as np
import pytest

import minidl as md
import minidl.optim as optim
from minidl.optim.lbfgs import strong_wolfe, two_loop_direction


def _quadratic(n=20, seed=0):
    """f(x) = ½ xᵀAx − bᵀx with A symmetric positive definite (condition number ~120)."""
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((n, n))
    A = M @ M.T + 0.5 * np.eye(n)
    b = rng.standard_normal(n)
    return A, b, np.linalg.solve(A, b)


def _quadratic_loss(A, b):
    At, bt = md.tensor(A), md.tensor(b)
    return lambda x: 0.5 * (x @ (At @ x)) - bt @ x


def _rosenbrock(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def _minimise(fn, x0, optimizer, steps=1, **kwargs):
    x = md.tensor(np.array(x0, dtype=np.float64), requires_grad=True)
    opt = optimizer([x], **kwargs)

    def closure():
        opt.zero_grad()
        loss = fn(x)
        loss.backward()
        return loss

    for _ in range(steps):
        if isinstance(opt, optim.LBFGS):
            opt.step(closure)
        else:
            closure()
            opt.step()
    return x.numpy(), opt


def test_lbfgs_finds_the_minimiser_of_a_quadratic():
    A, b, x_star = _quadratic()
    x, opt = _minimise(_quadratic_loss(A, b), np.zeros(20), optim.LBFGS, max_iter=100)
    np.testing.assert_allclose(x, x_star, atol=1e-4)
    assert opt.state[0]["n_iter"] < 60  # gradient descent would need thousands at κ ≈ 120


def test_lbfgs_solves_rosenbrock_from_the_standard_start():
    x, opt = _minimise(_rosenbrock, [-1.2, 1.0], optim.LBFGS, max_iter=200, max_eval=400)
    np.testing.assert_allclose(x, [1.0, 1.0], atol=1e-3)
    assert opt.state[0]["func_evals"] < 100


def test_lbfgs_without_line_search_takes_fixed_steps_and_still_converges_on_a_quadratic():
    A, b, x_star = _quadratic(n=5, seed=1)
    loss = _quadratic_loss(A, b)
    x, _ = _minimise(
        loss, np.zeros(5), optim.LBFGS, max_iter=200, max_eval=400, line_search_fn=None, lr=0.5
    )
    np.testing.assert_allclose(x, x_star, atol=1e-4)


def test_adam_finds_the_minimiser_of_a_quadratic():
    A, b, x_star = _quadratic(n=5, seed=1)
    x, _ = _minimise(_quadratic_loss(A, b), np.zeros(5), optim.Adam, steps=3000, lr=0.05)
    np.testing.assert_allclose(x, x_star, atol=1e-3)


def test_two_loop_recursion_satisfies_the_secant_equation():
    # With one pair (s, y), H y = s exactly (the BFGS update is built to make it so).
    rng = np.random.default_rng(0)
    s, y = rng.standard_normal(6), rng.standard_normal(6)
    y = y if y @ s > 0 else -y
    d = two_loop_direction(-y, [(s, y, 1 / (y @ s))], h0=0.37)  # d = −H(−y) = H y
    np.testing.assert_allclose(d, s, atol=1e-12)


def test_strong_wolfe_returns_a_step_meeting_both_conditions():
    A, b, _ = _quadratic(n=5, seed=2)
    x0 = np.zeros(5)
    g0 = A @ x0 - b
    d = -g0

    def phi(t):
        x = x0 + t * d
        return 0.5 * x @ A @ x - b @ x, A @ x - b

    f, g, t, _ = strong_wolfe(phi, d, 10.0, 0.0, g0)  # 10 is far too long a first guess
    assert f <= 1e-4 * t * (g0 @ d)
    assert abs(g @ d) <= 0.9 * abs(g0 @ d)


def test_lbfgs_needs_a_closure_and_valid_settings():
    x = md.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="closure"):
        optim.LBFGS([x]).step()
    with pytest.raises(ValueError, match="line_search_fn"):
        optim.LBFGS([x], line_search_fn="armijo")


@pytest.mark.parametrize("problem", ["quadratic", "rosenbrock"])
def test_lbfgs_behaves_like_torch(problem, torch):
    """Same iterations, evaluations and end point as torch.optim.LBFGS(strong_wolfe): on these
    problems both line searches accept the same steps, so the paths coincide."""
    if problem == "quadratic":
        A, b, _ = _quadratic()
        fn_md = _quadratic_loss(A, b)
        At_t, bt_t = torch.tensor(A), torch.tensor(b)
        fn_t = lambda x: 0.5 * (x @ (At_t @ x)) - bt_t @ x  # noqa: E731
        x0, kwargs = np.zeros(20), dict(max_iter=30)
    else:
        fn_md = fn_t = _rosenbrock
        x0, kwargs = np.array([-1.2, 1.0]), dict(max_iter=100, max_eval=200)
    x, opt = _minimise(fn_md, x0, optim.LBFGS, **kwargs)
    xt = torch.tensor(x0, requires_grad=True)
    opt_t = torch.optim.LBFGS([xt], line_search_fn="strong_wolfe", **kwargs)

    def closure():
        opt_t.zero_grad()
        loss = fn_t(xt)
        loss.backward()
        return loss

    opt_t.step(closure)
    state_t = opt_t.state[xt]
    assert opt.state[0]["n_iter"] == state_t["n_iter"]
    assert abs(opt.state[0]["func_evals"] - state_t["func_evals"]) <= 2
    np.testing.assert_allclose(x, xt.detach().numpy(), atol=1e-6)


def test_lbfgs_state_dict_round_trip_resumes_the_same_path(tmp_path):
    def make():
        x = md.tensor(np.array([-1.2, 1.0]), requires_grad=True)
        opt = optim.LBFGS([x], max_iter=10)

        def closure():
            opt.zero_grad()
            loss = _rosenbrock(x)
            loss.backward()
            return loss

        return x, opt, closure

    x, opt, closure = make()
    opt.step(closure)
    md.save(opt.state_dict(), tmp_path / "lbfgs.npz")
    saved_x = x.numpy().copy()
    opt.step(closure)
    x2, opt2, closure2 = make()
    x2.data[...] = saved_x
    opt2.load_state_dict(md.load(tmp_path / "lbfgs.npz"))
    opt2.step(closure2)
    np.testing.assert_array_equal(x2.numpy(), x.numpy())
