"""Optimizers and schedules (minidl/optim/): trajectories equal torch.optim's step by step."""

from __future__ import annotations

import numpy as np
import pytest

import minidl as md
import minidl.optim as optim

STEPS = 6


def _start():
    rng = np.random.default_rng(0)
    return [rng.standard_normal((3, 2)), rng.standard_normal(4)]


def _loss(params, coefs):
    """A small non-quadratic objective, written once for both libraries."""
    total = 0.0
    for p, c in zip(params, coefs):
        total = total + (p * c).tanh().sum() + (p * p).sum() * 0.1
    return total


def _trajectories(make_ours, make_theirs, torch, steps=STEPS):
    coefs = [np.full((3, 2), 1.5), np.linspace(-2, 2, 4)]
    ours = [md.tensor(p, requires_grad=True) for p in _start()]
    theirs = [torch.tensor(p, requires_grad=True) for p in _start()]
    opt_ours, opt_theirs = make_ours(ours), make_theirs(theirs)
    t_coefs = [torch.tensor(c) for c in coefs]
    for step in range(steps):
        for opt, params, cs in ((opt_ours, ours, coefs), (opt_theirs, theirs, t_coefs)):
            opt.zero_grad()
            _loss(params, cs).backward()
            opt.step()
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(
                a.numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-14, err_msg=f"step {step}"
            )


SGD_CONFIGS = [
    dict(lr=0.1),
    dict(lr=0.1, momentum=0.9),
    dict(lr=0.1, momentum=0.9, dampening=0.3),
    dict(lr=0.1, momentum=0.9, nesterov=True),
    dict(lr=0.05, momentum=0.5, weight_decay=0.01),
    dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1),
]


@pytest.mark.parametrize(
    "config", SGD_CONFIGS, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items())
)
def test_sgd_matches_torch(config, torch):
    _trajectories(lambda p: optim.SGD(p, **config), lambda p: torch.optim.SGD(p, **config), torch)


ADAM_CONFIGS = [
    dict(lr=0.01),
    dict(lr=0.1, betas=(0.8, 0.9)),
    dict(lr=0.01, weight_decay=0.1, eps=1e-6),
]


@pytest.mark.parametrize(
    "config", ADAM_CONFIGS, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items())
)
def test_adam_matches_torch(config, torch):
    _trajectories(lambda p: optim.Adam(p, **config), lambda p: torch.optim.Adam(p, **config), torch)


def test_parameter_groups_with_their_own_learning_rates(torch):
    def groups(params):
        return [{"params": [params[0]]}, {"params": [params[1]], "lr": 0.5}]

    _trajectories(
        lambda p: optim.SGD(groups(p), lr=0.1, momentum=0.9),
        lambda p: torch.optim.SGD(groups(p), lr=0.1, momentum=0.9),
        torch,
    )


def test_parameters_without_gradient_are_left_alone():
    a, b = md.tensor([1.0], requires_grad=True), md.tensor([2.0], requires_grad=True)
    opt = optim.Adam([a, b], lr=0.1)
    (a * 3).sum().backward()
    opt.step()
    assert a.item() != 1.0 and b.item() == 2.0 and b.grad is None
    opt.zero_grad()
    assert a.grad is None


@pytest.mark.parametrize(
    "make",
    [
        lambda params, lr: optim.Adam(params, lr, weight_decay=0.01),
        lambda params, lr: optim.SGD(params, lr, momentum=0.9, weight_decay=0.01),
    ],
    ids=["adam", "sgd"],
)
def test_resuming_from_a_checkpoint_continues_the_same_trajectory(make, tmp_path):
    def run(steps, opt, params):
        for _ in range(steps):
            opt.zero_grad()
            _loss(params, [1.0, 2.0]).backward()
            opt.step()

    params = [md.tensor(p, requires_grad=True) for p in _start()]
    opt = make(params, lr=0.05)
    run(3, opt, params)
    md.save({"params": params, "optimizer": opt.state_dict()}, tmp_path / "ckpt.npz")
    run(3, opt, params)

    saved = md.load(tmp_path / "ckpt.npz")
    resumed = [md.tensor(p, requires_grad=True) for p in saved["params"]]
    opt2 = make(resumed, lr=0.5)  # loading brings lr back to 0.05, and the moments
    opt2.load_state_dict(saved["optimizer"])
    run(3, opt2, resumed)
    for p, q in zip(params, resumed):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


def test_bad_arguments_are_rejected():
    p = [md.tensor([1.0], requires_grad=True)]
    with pytest.raises(ValueError, match="SGD: lr, momentum and weight_decay must be >= 0"):
        optim.SGD(p, lr=-1)
    with pytest.raises(ValueError, match="SGD: nesterov needs momentum > 0 and dampening = 0"):
        optim.SGD(p, nesterov=True)
    with pytest.raises(ValueError, match=r"Adam: need lr >= 0, eps >= 0, 0 <= betas < 1"):
        optim.Adam(p, betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="SGD: got an empty parameter list"):
        optim.SGD([])
    with pytest.raises(TypeError, match="SGD: parameters must be Tensors that require grad"):
        optim.SGD([md.tensor([1.0])])


# ---- schedules --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (
            lambda o: optim.StepLR(o, 3, gamma=0.5),
            lambda T, o: T.optim.lr_scheduler.StepLR(o, 3, gamma=0.5),
        ),
        (lambda o: optim.StepLR(o, 1), lambda T, o: T.optim.lr_scheduler.StepLR(o, 1)),
        (
            lambda o: optim.CosineAnnealingLR(o, 10),
            lambda T, o: T.optim.lr_scheduler.CosineAnnealingLR(o, 10),
        ),
        (
            lambda o: optim.CosineAnnealingLR(o, 7, eta_min=0.01),
            lambda T, o: T.optim.lr_scheduler.CosineAnnealingLR(o, 7, eta_min=0.01),
        ),
    ],
    ids=["step3", "step1", "cosine", "cosine_eta_min"],
)
def test_schedules_match_torch(ours, theirs, torch):
    p = md.tensor([1.0], requires_grad=True)
    q = torch.tensor([1.0], requires_grad=True)
    opt, ref_opt = optim.SGD([p], lr=0.2), torch.optim.SGD([q], lr=0.2)
    sched, ref = ours(opt), theirs(torch, ref_opt)
    for epoch in range(16):  # past T_max too
        assert sched.get_last_lr() == pytest.approx(ref.get_last_lr(), rel=1e-12, abs=1e-15), epoch
        ref_opt.step()
        sched.step()
        ref.step()


def test_schedule_arguments_are_checked():
    opt = optim.SGD([md.tensor([1.0], requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="StepLR: step_size must be >= 1, got 0"):
        optim.StepLR(opt, 0)
    with pytest.raises(ValueError, match="CosineAnnealingLR: T_max must be >= 1, got 0"):
        optim.CosineAnnealingLR(opt, 0)
